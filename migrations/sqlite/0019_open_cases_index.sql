-- The city's overdue board at a million cases (issue 18): the open cases
-- (those with a due time, a few percent of all) indexed by due time with
-- what a board filters, sorts and counts them by, so the overdue cases of
-- the whole city are counted and paged from this small index alone instead
-- of reading each one's row, 23,000 rows scattered over the table (the
-- handling column's page: 1.8 s cold on SQLite and 220 ms on PostgreSQL,
-- 8 and 27 ms with it). It replaces the plain due-time index.
DROP INDEX cases_due;
CREATE INDEX cases_open ON cases(due_at, status, created_at, closed_at, clock_start, rating)
WHERE due_at IS NOT NULL;

-- The units' monthly ranking: the cases whose clock started in the month
-- (read whole-table before, 0.5 s at a million), and the returns of the
-- month among 7.7 million events (2 s).
CREATE INDEX cases_clock_start ON cases(clock_start);
CREATE INDEX case_events_kind_at ON case_events(kind, at);
