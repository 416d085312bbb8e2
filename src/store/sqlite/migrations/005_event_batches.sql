-- The audit log is stored one row per commit: the events one step appended to a handoff, as a
-- JSON array. Fewer, larger rows make a step several times cheaper to write than one row per
-- event. Each event keeps its own hash, chained exactly as before.
-- A rowid table (not WITHOUT ROWID), so a step's events stay on the table page instead of
-- spilling into overflow pages.
CREATE TABLE event_batches (
  handoff_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,     -- the last event's seq
  events     TEXT NOT NULL,        -- JSON [[seq, at, type, actor_kind, actor_id, via, data, hash], ...]
                                   -- data: the exact JSON text that was hashed, as a string
  prev_hash  TEXT NOT NULL,        -- the hash the first event links to
  PRIMARY KEY (handoff_id, seq)
);

INSERT INTO event_batches (handoff_id, seq, events, prev_hash)
  SELECT handoff_id, seq, json_array(json_array(seq, at, type, actor_kind, actor_id, via, data, hash)), prev_hash
  FROM events;
DROP TABLE events;

-- One row per event, as before, for every reader (audit, metrics, exports).
CREATE VIEW events AS
  SELECT b.handoff_id AS handoff_id,
    e.value ->> 0 AS seq,
    e.value ->> 1 AS at,
    e.value ->> 2 AS type,
    e.value ->> 3 AS actor_kind,
    e.value ->> 4 AS actor_id,
    e.value ->> 5 AS via,
    e.value ->> 6 AS data,
    CASE WHEN e.key = 0 THEN b.prev_hash ELSE b.events ->> ('$[' || (e.key - 1) || '][7]') END AS prev_hash,
    e.value ->> 7 AS hash
  FROM event_batches b, json_each(b.events) e;
