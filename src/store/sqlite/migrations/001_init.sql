-- Baton's SQLite schema, version 1. Migrations are forward-only and numbered.
-- JSON columns hold text; times are milliseconds since the epoch.

CREATE TABLE flow_versions (
  version     TEXT PRIMARY KEY,          -- sha256 of the flow definition
  flow_id     TEXT NOT NULL,
  name        TEXT NOT NULL,
  def         TEXT NOT NULL,             -- the parsed definition (JSON)
  source      TEXT NOT NULL,             -- the flow file's text
  published_at INTEGER NOT NULL
);
CREATE INDEX flow_versions_by_flow ON flow_versions (flow_id, published_at);

CREATE TABLE handoffs (
  id            TEXT PRIMARY KEY,
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
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  handed_off_at INTEGER,
  accepted_at   INTEGER,
  completed_at  INTEGER,
  wake_at       INTEGER,
  breached      INTEGER NOT NULL DEFAULT 0,
  ladder_step   INTEGER NOT NULL DEFAULT 0,
  rework        INTEGER NOT NULL DEFAULT 0,
  cost_usd      REAL NOT NULL DEFAULT 0,
  rev           INTEGER NOT NULL,
  attempt       INTEGER NOT NULL DEFAULT 0,
  lease_owner   TEXT,
  lease_until   INTEGER,
  event_seq     INTEGER NOT NULL,
  head_hash     TEXT NOT NULL,
  UNIQUE (flow_id, idem_key)
);
CREATE INDEX handoffs_due ON handoffs (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX handoffs_by_owner ON handoffs (owner, state);
CREATE INDEX handoffs_by_state ON handoffs (state, flow_id);
CREATE INDEX handoffs_by_created ON handoffs (created_at, id);

CREATE TABLE events (
  handoff_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  type       TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  via        TEXT,
  data       TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL,
  PRIMARY KEY (handoff_id, seq)
) WITHOUT ROWID;

CREATE TABLE actions (
  handoff_id      TEXT NOT NULL,
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
  next_attempt_at INTEGER,
  approval_id     TEXT,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (handoff_id, id)
) WITHOUT ROWID;

CREATE TABLE approvals (
  id          TEXT PRIMARY KEY,
  handoff_id  TEXT NOT NULL,
  flow_id     TEXT NOT NULL,
  state       TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  decided_at  INTEGER,
  body        TEXT NOT NULL               -- the whole ApprovalRecord (JSON)
);
CREATE INDEX approvals_by_state ON approvals (state, requested_at);
CREATE INDEX approvals_by_handoff ON approvals (handoff_id);

CREATE TABLE ledger (
  handoff_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  owner      TEXT NOT NULL,
  from_at    INTEGER NOT NULL,
  to_at      INTEGER,
  reason     TEXT NOT NULL,
  status     TEXT NOT NULL,
  by_user    TEXT,
  PRIMARY KEY (handoff_id, seq)
) WITHOUT ROWID;
CREATE INDEX ledger_by_owner ON ledger (owner, from_at);

CREATE TABLE tasks (
  id         TEXT PRIMARY KEY,
  handoff_id TEXT NOT NULL,
  kind       TEXT NOT NULL,
  title      TEXT NOT NULL,
  body       TEXT,
  assignee   TEXT NOT NULL,
  state      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  data       TEXT
);
CREATE INDEX tasks_by_assignee ON tasks (assignee, state);
CREATE INDEX tasks_by_handoff ON tasks (handoff_id);

CREATE TABLE inbox (
  id         TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  handoff_id TEXT NOT NULL,
  kind       TEXT NOT NULL,
  text       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX inbox_by_owner ON inbox (owner, created_at);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  access      TEXT NOT NULL,
  name        TEXT,
  hash        TEXT NOT NULL UNIQUE,       -- sha256 of the secret; the secret itself is never stored
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER,
  last_used_at INTEGER
);

-- The global checkpoint chain: each row covers the heads of the handoffs a transaction touched.
CREATE TABLE checkpoints (
  seq       INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  heads     TEXT NOT NULL,                -- JSON [[handoff id, last seq, last hash], ...]
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
