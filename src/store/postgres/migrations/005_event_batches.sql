-- The audit log is stored one row per commit: the events one step appended to a handoff, as a
-- JSON array. Fewer rows make a step cheaper to write (row headers, index entries and WAL
-- records are per row). Each event keeps its own hash, chained exactly as before.
CREATE TABLE event_batches (
  handoff_id TEXT COLLATE "C" NOT NULL,
  seq        INTEGER NOT NULL,     -- the last event's seq
  events     TEXT NOT NULL,        -- JSON [[seq, at, type, actor_kind, actor_id, via, data, hash], ...]
                                   -- data: the exact JSON text that was hashed, as a string
  prev_hash  TEXT NOT NULL,        -- the hash the first event links to
  PRIMARY KEY (handoff_id, seq)
);

INSERT INTO event_batches (handoff_id, seq, events, prev_hash)
  SELECT handoff_id, seq, json_build_array(json_build_array(seq, at, type, actor_kind, actor_id, via, data, hash))::text,
    prev_hash
  FROM events;
DROP TABLE events;

-- One row per event, as before, for every reader (audit, metrics, exports).
CREATE VIEW events AS
  SELECT b.handoff_id,
    (e.value ->> 0)::integer AS seq,
    (e.value ->> 1)::bigint AS at,
    e.value ->> 2 AS type,
    e.value ->> 3 AS actor_kind,
    e.value ->> 4 AS actor_id,
    e.value ->> 5 AS via,
    e.value ->> 6 AS data,
    CASE WHEN e.n = 1 THEN b.prev_hash ELSE (b.events::json -> (e.n::integer - 2)) ->> 7 END AS prev_hash,
    e.value ->> 7 AS hash
  FROM event_batches b CROSS JOIN LATERAL json_array_elements(b.events::json) WITH ORDINALITY AS e(value, n);
