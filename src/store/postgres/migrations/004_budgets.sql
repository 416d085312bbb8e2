-- The model decision layer: provenance of context fields, a handoff's model-call state, and
-- budgets (per flow per UTC day, and each reservation made before a paid call).
ALTER TABLE handoffs ADD COLUMN provenance TEXT;    -- JSON: [{name, use, trust, at, found}]
ALTER TABLE handoffs ADD COLUMN model_state TEXT;   -- JSON: {calls, running?}

CREATE TABLE budget_days (
  flow_id      TEXT NOT NULL,
  day          TEXT NOT NULL,                -- YYYY-MM-DD (UTC)
  reserved_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
  spent_usd    DOUBLE PRECISION NOT NULL DEFAULT 0,
  calls        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (flow_id, day)
);

CREATE TABLE budget_reservations (
  id            TEXT COLLATE "C" PRIMARY KEY,
  handoff_id    TEXT COLLATE "C" NOT NULL,
  flow_id       TEXT NOT NULL,
  day           TEXT NOT NULL,
  model         TEXT NOT NULL,
  state         TEXT NOT NULL,               -- reserved | settled | refused
  estimate_usd  DOUBLE PRECISION NOT NULL,
  cost_usd      DOUBLE PRECISION,
  refused       TEXT,
  input_tokens  INTEGER,
  output_tokens INTEGER,
  cached_tokens INTEGER,
  created_at    BIGINT NOT NULL,
  settled_at    BIGINT
);
CREATE INDEX budget_reservations_by_handoff ON budget_reservations (handoff_id);
-- The sweep looks for reservations nobody settled.
CREATE INDEX budget_reservations_held ON budget_reservations (created_at) WHERE state = 'reserved';
