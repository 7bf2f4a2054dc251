-- What the ledger shows of a case's events, kept on the case by the
-- database as the events are written (issue 18): how many times a unit
-- returned it, and who last acknowledged it. Each line of a ledger export
-- looked both up among the city's 7.7 million events, 10 of the 24
-- microseconds PostgreSQL spent per line of the city's CSV. Each new event
-- of either kind takes them again from the case's own events (a few), so
-- they are the same in whatever order the events arrive (`lianxin copy`
-- inserts them anew); events are never changed or deleted.
ALTER TABLE cases ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN acknowledger TEXT;
UPDATE cases SET returns = (
    SELECT COUNT(*) FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'return')
WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'return');
UPDATE cases SET acknowledger = (
    SELECT e.actor_label FROM case_events e WHERE e.case_id = cases.id AND e.kind = 'acknowledge'
    ORDER BY e.id DESC LIMIT 1)
WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'acknowledge');
CREATE TRIGGER case_returns AFTER INSERT ON case_events WHEN NEW.kind = 'return'
BEGIN
    UPDATE cases SET returns = (
        SELECT COUNT(*) FROM case_events e WHERE e.case_id = NEW.case_id AND e.kind = 'return')
    WHERE id = NEW.case_id;
END;
CREATE TRIGGER case_acknowledger AFTER INSERT ON case_events WHEN NEW.kind = 'acknowledge'
BEGIN
    UPDATE cases SET acknowledger = (
        SELECT e.actor_label FROM case_events e
        WHERE e.case_id = NEW.case_id AND e.kind = 'acknowledge' ORDER BY e.id DESC LIMIT 1)
    WHERE id = NEW.case_id;
END;
