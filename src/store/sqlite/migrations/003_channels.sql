-- Version 3: reaching people through Slack and email.
--   outbox      notices written in the same transaction as the step that caused them, drained
--               by workers (leased like handoffs, so two workers never deliver the same one)
--   deliveries  one row per notice, person and channel: `sending` before the call, `sent` after
--   links       email link tokens (sha256 only), single use, expiring
--   seen_requests  signed inbound requests already accepted (Slack replay protection)

CREATE TABLE outbox (
  id          TEXT PRIMARY KEY,
  handoff_id  TEXT NOT NULL,
  kind        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  approval_id TEXT,
  text        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER,
  lease_owner TEXT,
  lease_until INTEGER,
  error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX outbox_by_handoff ON outbox (handoff_id);

CREATE TABLE deliveries (
  outbox_id   TEXT NOT NULL,
  channel     TEXT NOT NULL,
  recipient   TEXT NOT NULL,
  approval_id TEXT,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  ref         TEXT,
  error       TEXT,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (outbox_id, channel, recipient)
) WITHOUT ROWID;
CREATE INDEX deliveries_by_approval ON deliveries (approval_id) WHERE approval_id IS NOT NULL;

CREATE TABLE links (
  hash       TEXT PRIMARY KEY,             -- sha256 of the token; the token itself is never stored
  kind       TEXT NOT NULL,
  subject    TEXT NOT NULL,
  handoff_id TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
) WITHOUT ROWID;

CREATE TABLE seen_requests (
  key TEXT PRIMARY KEY,
  at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_requests_by_time ON seen_requests (at);
