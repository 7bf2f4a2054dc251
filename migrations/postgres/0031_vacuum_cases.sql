-- no-transaction
-- Migrations 0029 and 0030 rewrote most case rows. Until a vacuum marks
-- the table's pages all-visible again, every index-only scan of the cases
-- (the boards' counts, the grid view) reads the rows as well: the city's
-- overdue board took 284 ms instead of 61 right after them at a million
-- cases. Autovacuum would come in time; this does it at once (4.7 s at a
-- million cases), without blocking reads or writes. Alone in its file:
-- VACUUM runs outside a transaction.
VACUUM (ANALYZE) cases;
