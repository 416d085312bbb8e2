-- Version 3: reaching people through Slack and email (the SQLite migration 003, ported).
--   outbox      notices written in the same transaction as the step that caused them, drained
--               by workers (leased like handoffs, so two workers never deliver the same one)
--   deliveries  one row per notice, person and channel: `sending` before the call, `sent` after
--   links       email link tokens (sha256 only), single use, expiring
--   seen_requests  signed inbound requests already accepted (Slack replay protection)

CREATE TABLE outbox (
  id          TEXT COLLATE "C" PRIMARY KEY,
  handoff_id  TEXT COLLATE "C" NOT NULL,
  kind        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  approval_id TEXT,
  text        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     BIGINT,
  lease_owner TEXT,
  lease_until BIGINT,
  error       TEXT
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX outbox_by_handoff ON outbox (handoff_id);

CREATE TABLE deliveries (
  outbox_id   TEXT COLLATE "C" NOT NULL,
  channel     TEXT COLLATE "C" NOT NULL,
  recipient   TEXT COLLATE "C" NOT NULL,
  approval_id TEXT,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  ref         TEXT,
  error       TEXT,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (outbox_id, channel, recipient)
);
CREATE INDEX deliveries_by_approval ON deliveries (approval_id) WHERE approval_id IS NOT NULL;

CREATE TABLE links (
  hash       TEXT COLLATE "C" PRIMARY KEY,  -- sha256 of the token; the token itself is never stored
  kind       TEXT NOT NULL,
  subject    TEXT NOT NULL,
  handoff_id TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at    BIGINT
);

CREATE TABLE seen_requests (
  key TEXT COLLATE "C" PRIMARY KEY,
  at  BIGINT NOT NULL
);
CREATE INDEX seen_requests_by_time ON seen_requests (at);
