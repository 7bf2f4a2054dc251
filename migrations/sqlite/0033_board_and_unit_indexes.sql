-- Boards and to-do counts at a million cases (issue 18).
--
-- cases_area gains closed_at: a board counts the open cases and those
-- closed this month, and a community holds years of closed ones (3,069 of
-- the director's 3,324 at a million). SQLite tests the closing time in the
-- index and reads the row only of a case the board counts; before, it read
-- every case of the community from the table to look at closed_at (the
-- director's board counts: 11-17 ms, then 2-5 ms).
CREATE INDEX cases_area_closed ON cases(area_path, status, closed_at);
DROP INDEX cases_area;

-- A unit's cases, with everything its board and its handlers' to-do read:
-- a city-wide bureau holds 77,000 cases at a million, 12,600 of them open,
-- and its board read each one's row (the page took 0.8-0.9 s, its to-do
-- count 66-300 ms on each of the handlers' pages). From the index alone the
-- board takes 57-60 ms and the to-do 3 ms; the index is 133 MB of a 2.7 GB
-- city. Its columns are those of `cases::board_counts`, of a column's
-- order (`cases::rows`) and of `cases::to_do`.
CREATE INDEX cases_unit_status ON cases(unit_id, status, closed_at, due_at, created_at,
    rating, clock_start, escalated_clock);
DROP INDEX cases_unit;

-- The planner's figures for the new indexes (the old ones' go with them);
-- an empty table leaves none.
ANALYZE cases_area_closed;
ANALYZE cases_unit_status;
