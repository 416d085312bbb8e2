-- Indexes no query reads: each cost every commit a page write or two (ledger entries by owner,
-- tasks by handoff). The ledger is read by handoff (its primary key); tasks by assignee or id.
DROP INDEX ledger_by_owner;
DROP INDEX tasks_by_handoff;
