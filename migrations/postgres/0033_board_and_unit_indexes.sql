-- A unit's cases, with everything its board and its handlers' to-do read
-- (issue 18): a city-wide bureau holds 77,000 cases at a million, 12,600 of
-- them open. The to-do count read each waiting case's row through a bitmap
-- over cases_unit and cases_status (99 ms cold at 100,000 cases); by an
-- index-only scan it takes 0.3 ms. The same columns as SQLite's 0033.
CREATE INDEX cases_unit_status ON cases(unit_id, status, closed_at, due_at, created_at,
    rating, clock_start, escalated_clock);
DROP INDEX cases_unit;

-- SQLite's 0033 also adds closed_at to cases_area so that a board's counts
-- test it in the index before reading a row; PostgreSQL tests such a
-- condition only on the row outside an index-only scan, so cases_area stays
-- as it is (the director's board meets its target without it).
ANALYZE cases;
