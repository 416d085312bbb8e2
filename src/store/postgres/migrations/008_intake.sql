-- Version 8: intake from triggers (email, Slack, schedules, vendor webhooks).
--   intake_failures  what arrived and could not become a handoff (the dead-letter list): the raw
--                    payload, the reason, and what became of it; one row per flow, trigger and
--                    the trigger's own key, so a redelivery lands on the same row
--   trigger_fires    when each trigger of each flow last fired, and how it went
--   schedules        each schedule's next due slot, claimed by one worker at a time

CREATE TABLE intake_failures (
  id            TEXT PRIMARY KEY,
  flow          TEXT NOT NULL,
  via           TEXT NOT NULL,
  key           TEXT NOT NULL,
  reason        TEXT NOT NULL,
  message       TEXT NOT NULL,
  details       TEXT NOT NULL,
  payload       TEXT NOT NULL,
  received_at   BIGINT NOT NULL,
  last_seen_at  BIGINT NOT NULL,
  seen          BIGINT NOT NULL DEFAULT 1,
  state         TEXT NOT NULL,
  settled_at    BIGINT,
  settled_by    TEXT,
  handoff_id    TEXT
);
CREATE INDEX intake_failures_by_flow ON intake_failures (flow, received_at);

CREATE TABLE trigger_fires (
  flow          TEXT NOT NULL,
  via           TEXT NOT NULL,
  last_at       BIGINT NOT NULL,
  last_outcome  TEXT NOT NULL,
  fired         BIGINT NOT NULL DEFAULT 0,
  failed        BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (flow, via)
);

CREATE TABLE schedules (
  flow          TEXT PRIMARY KEY,
  spec          TEXT NOT NULL,
  next_at       BIGINT NOT NULL,
  last_slot_at  BIGINT,
  lease_owner   TEXT,
  lease_until   BIGINT
);
