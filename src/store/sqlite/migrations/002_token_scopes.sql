-- Token scopes and who managed a token. A token may be limited to some flows and/or teams
-- (JSON arrays of ids; NULL: no limit). created_by / revoked_by name who created or revoked it.
ALTER TABLE tokens ADD COLUMN flows TEXT;
ALTER TABLE tokens ADD COLUMN teams TEXT;
ALTER TABLE tokens ADD COLUMN created_by TEXT;
ALTER TABLE tokens ADD COLUMN revoked_by TEXT;
