-- The clock the 13710 job last escalated on each case, kept by the database
-- from the reminders it records (issue 18). A case is escalated while this
-- equals its running clock's start: one comparison on the case's own row,
-- where every board count looked up the reminders of each of the city's
-- 23,000 overdue cases (half of the city's overdue board's 100 ms). The job
-- records reminders for the case's current clock only, and a clock that
-- starts again starts later, so the last one recorded is the newest.
ALTER TABLE cases ADD COLUMN escalated_clock TEXT;
UPDATE cases c SET escalated_clock = m.clock_start
FROM (SELECT case_id, MAX(clock_start) AS clock_start FROM reminders
      WHERE level = 'overdue' GROUP BY case_id) m
WHERE c.id = m.case_id;
-- Taken again from the case's reminders, not from the new one alone: the
-- same in whatever order they arrive (`lianxin copy` inserts them anew).
CREATE FUNCTION reminder_escalates() RETURNS trigger AS $$
BEGIN
    UPDATE cases SET escalated_clock = (
        SELECT MAX(m.clock_start) FROM reminders m
        WHERE m.case_id = NEW.case_id AND m.level = 'overdue')
    WHERE id = NEW.case_id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER reminder_escalates AFTER INSERT ON reminders
    FOR EACH ROW WHEN (NEW.level = 'overdue') EXECUTE FUNCTION reminder_escalates();

-- The open cases' index carries it, so the city's overdue board is still
-- counted from this index alone.
DROP INDEX cases_open;
CREATE INDEX cases_open ON cases(due_at, status, created_at, closed_at, clock_start, rating)
INCLUDE (id, escalated_clock) WHERE due_at IS NOT NULL;
