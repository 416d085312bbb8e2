-- What an action's `capture` read before its call (the fields it overwrote, an id to delete):
-- what its rollback restores. NULL: nothing was captured.
ALTER TABLE actions ADD COLUMN undo TEXT;
