-- Nothing to do on PostgreSQL: SQLite's 0032 stores the places' tallies in
-- the order of their key (WITHOUT ROWID), which PostgreSQL's heap tables
-- and their indexes have no counterpart of. Kept so that both databases
-- count the same migrations (`lianxin copy` compares them).
SELECT 1;
