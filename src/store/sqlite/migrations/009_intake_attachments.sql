-- Version 9: the files that came with what arrived (email attachments), kept by reference.
--   intake_attachments  one row per distinct content: ref is att_ + the sha256 of the bytes, so
--                       the same file sent twice is kept once; served read-only, never run

CREATE TABLE intake_attachments (
  ref           TEXT PRIMARY KEY,
  bytes         BLOB NOT NULL,
  size          INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  filename      TEXT,
  created_at    INTEGER NOT NULL
);
