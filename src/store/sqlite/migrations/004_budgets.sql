-- The model decision layer: provenance of context fields, a handoff's model-call state, and
-- budgets (per flow per UTC day, and each reservation made before a paid call).
ALTER TABLE handoffs ADD COLUMN provenance TEXT;    -- JSON: [{name, use, trust, at, found}]
ALTER TABLE handoffs ADD COLUMN model_state TEXT;   -- JSON: {calls, running?}

CREATE TABLE budget_days (
  flow_id      TEXT NOT NULL,
  day          TEXT NOT NULL,                -- YYYY-MM-DD (UTC)
  reserved_usd REAL NOT NULL DEFAULT 0,      -- held for calls in flight
  spent_usd    REAL NOT NULL DEFAULT 0,      -- settled from reported usage
  calls        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (flow_id, day)
);

CREATE TABLE budget_reservations (
  id            TEXT PRIMARY KEY,            -- handoff id : call number
  handoff_id    TEXT NOT NULL,
  flow_id       TEXT NOT NULL,
  day           TEXT NOT NULL,
  model         TEXT NOT NULL,
  state         TEXT NOT NULL,               -- reserved | settled | refused
  estimate_usd  REAL NOT NULL,
  cost_usd      REAL,
  refused       TEXT,                        -- JSON: {cap, used, limit}
  input_tokens  INTEGER,
  output_tokens INTEGER,
  cached_tokens INTEGER,
  created_at    INTEGER NOT NULL,
  settled_at    INTEGER
);
CREATE INDEX budget_reservations_by_handoff ON budget_reservations (handoff_id);
-- The sweep looks for reservations nobody settled.
CREATE INDEX budget_reservations_held ON budget_reservations (created_at) WHERE state = 'reserved';
