-- Baton's PostgreSQL schema, version 1 (the SQLite schema, ported). Migrations are forward-only
-- and numbered. Times are milliseconds since the epoch (BIGINT). JSON columns hold TEXT, not
-- jsonb: event data and checkpoint heads are hashed over their exact stored text.
-- Ids sort bytewise (COLLATE "C") so keyset pages and audit order match SQLite's.

CREATE TABLE flow_versions (
  version      TEXT PRIMARY KEY,          -- sha256 of the flow definition
  flow_id      TEXT NOT NULL,
  name         TEXT NOT NULL,
  def          TEXT NOT NULL,             -- the parsed definition (JSON)
  source       TEXT NOT NULL,             -- the flow file's text
  published_at BIGINT NOT NULL
);
CREATE INDEX flow_versions_by_flow ON flow_versions (flow_id, published_at);

CREATE TABLE handoffs (
  id            TEXT COLLATE "C" PRIMARY KEY,
  flow_id       TEXT NOT NULL,
  flow_version  TEXT NOT NULL,
  mode          TEXT NOT NULL,
  idem_key      TEXT NOT NULL,
  state         TEXT NOT NULL,
  owner         TEXT NOT NULL,
  boundary_from TEXT NOT NULL,
  boundary_to   TEXT NOT NULL,
  input         TEXT NOT NULL,
  context       TEXT,
  decision      TEXT,
  requester     TEXT,
  observed      TEXT,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  handed_off_at BIGINT,
  accepted_at   BIGINT,
  completed_at  BIGINT,
  wake_at       BIGINT,
  breached      INTEGER NOT NULL DEFAULT 0,
  ladder_step   INTEGER NOT NULL DEFAULT 0,
  rework        INTEGER NOT NULL DEFAULT 0,
  cost_usd      DOUBLE PRECISION NOT NULL DEFAULT 0,
  rev           BIGINT NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 0,
  lease_owner   TEXT,
  lease_until   BIGINT,
  event_seq     INTEGER NOT NULL,
  head_hash     TEXT NOT NULL,
  UNIQUE (flow_id, idem_key)
);
-- Free space in each page lets updates that touch no indexed column stay on the page (HOT),
-- so claims and lease changes do not rewrite every index.
ALTER TABLE handoffs SET (fillfactor = 75);
CREATE INDEX handoffs_due ON handoffs (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX handoffs_by_owner ON handoffs (owner, state);
CREATE INDEX handoffs_by_state ON handoffs (state, flow_id);
CREATE INDEX handoffs_by_created ON handoffs (created_at, id);

CREATE TABLE events (
  handoff_id TEXT COLLATE "C" NOT NULL,
  seq        INTEGER NOT NULL,
  at         BIGINT NOT NULL,
  type       TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  via        TEXT,
  data       TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL,
  PRIMARY KEY (handoff_id, seq)
);

CREATE TABLE actions (
  handoff_id      TEXT COLLATE "C" NOT NULL,
  id              TEXT NOT NULL,
  ord             INTEGER NOT NULL,
  use             TEXT NOT NULL,
  state           TEXT NOT NULL,
  risk            TEXT NOT NULL,
  idem_key        TEXT NOT NULL,
  params          TEXT NOT NULL,
  result          TEXT,
  error           TEXT,
  calls           INTEGER NOT NULL DEFAULT 0,
  started_attempt INTEGER,
  next_attempt_at BIGINT,
  approval_id     TEXT,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (handoff_id, id)
);

CREATE TABLE approvals (
  id           TEXT COLLATE "C" PRIMARY KEY,
  handoff_id   TEXT COLLATE "C" NOT NULL,
  flow_id      TEXT NOT NULL,
  state        TEXT NOT NULL,
  requested_at BIGINT NOT NULL,
  decided_at   BIGINT,
  body         TEXT NOT NULL              -- the whole ApprovalRecord (JSON)
);
CREATE INDEX approvals_by_state ON approvals (state, requested_at);
CREATE INDEX approvals_by_handoff ON approvals (handoff_id);

CREATE TABLE ledger (
  handoff_id TEXT COLLATE "C" NOT NULL,
  seq        INTEGER NOT NULL,
  owner      TEXT NOT NULL,
  from_at    BIGINT NOT NULL,
  to_at      BIGINT,
  reason     TEXT NOT NULL,
  status     TEXT NOT NULL,
  by_user    TEXT,
  PRIMARY KEY (handoff_id, seq)
);
CREATE INDEX ledger_by_owner ON ledger (owner, from_at);

CREATE TABLE tasks (
  id         TEXT COLLATE "C" PRIMARY KEY,
  handoff_id TEXT COLLATE "C" NOT NULL,
  kind       TEXT NOT NULL,
  title      TEXT NOT NULL,
  body       TEXT,
  assignee   TEXT NOT NULL,
  state      TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  data       TEXT
);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state);
CREATE INDEX tasks_by_handoff ON tasks (handoff_id);

CREATE TABLE inbox (
  id         TEXT COLLATE "C" PRIMARY KEY,
  owner      TEXT NOT NULL,
  handoff_id TEXT COLLATE "C" NOT NULL,
  kind       TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX inbox_by_owner ON inbox (owner, created_at);

CREATE TABLE tokens (
  id           TEXT COLLATE "C" PRIMARY KEY,
  user_id      TEXT NOT NULL,
  access       TEXT NOT NULL,
  name         TEXT,
  hash         TEXT NOT NULL UNIQUE,      -- sha256 of the secret; the secret itself is never stored
  created_at   BIGINT NOT NULL,
  revoked_at   BIGINT,
  last_used_at BIGINT
);

-- The global checkpoint chain: each row covers the heads of the handoffs a transaction touched.
CREATE TABLE checkpoints (
  seq       BIGINT PRIMARY KEY,
  at        BIGINT NOT NULL,
  heads     TEXT NOT NULL,                -- JSON [[handoff id, last seq, last hash], ...]
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
