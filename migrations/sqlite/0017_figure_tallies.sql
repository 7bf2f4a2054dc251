-- Public figures at city scale (issue 18): running totals of the cases per
-- place, kept by the database in the transaction of every change to a case,
-- so the city's figures add up a few thousand tallies instead of reading a
-- million cases.
--
-- case_tallies: per region (the case's own place) and month (China time,
-- 'YYYY-MM') of registration: how many were collected then, and of those
-- how many are closed, were timed by a 13710 clock, closed on time, were
-- rated and were rated satisfied. closed_in counts the cases closed in the
-- month (by closed_at), whenever they were registered. category_tallies:
-- per region and category. Merged duplicates count nowhere (their original
-- does). The sums here are exactly those stats::public_stats used to
-- compute over the cases themselves; a test compares the two.
CREATE TABLE case_tallies (
    region_id INTEGER NOT NULL,
    month TEXT NOT NULL,
    collected INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    timed INTEGER NOT NULL DEFAULT 0,
    on_time INTEGER NOT NULL DEFAULT 0,
    rated INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    closed_in INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region_id, month)
);
CREATE INDEX case_tallies_month ON case_tallies(month);

CREATE TABLE category_tallies (
    region_id INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region_id, category_id)
);

INSERT INTO case_tallies (region_id, month, collected, closed, timed, on_time, rated, satisfied)
SELECT region_id, strftime('%Y-%m', created_at, '+8 hours'), COUNT(*),
    SUM(status = 'closed'),
    SUM(status = 'closed' AND clock_start IS NOT NULL),
    SUM(status = 'closed' AND clock_start IS NOT NULL
        AND COALESCE(completed_at, clock_start) <= completion_due_at),
    SUM(rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')),
    SUM(rating IN ('satisfied', 'fairly_satisfied'))
FROM cases WHERE status <> 'merged'
GROUP BY 1, 2;

INSERT INTO case_tallies (region_id, month, closed_in)
SELECT region_id, strftime('%Y-%m', closed_at, '+8 hours'), COUNT(*)
FROM cases WHERE status = 'closed' AND closed_at IS NOT NULL
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET closed_in = excluded.closed_in;

INSERT INTO category_tallies (region_id, category_id, n)
SELECT region_id, category_id, COUNT(*) FROM cases WHERE status <> 'merged' GROUP BY 1, 2;

-- One case counted in (+1) or out (-1): the statements are written twice,
-- once with NEW and once with OLD, because SQLite triggers cannot call a
-- function. Only the columns the figures read fire the update triggers.
CREATE TRIGGER case_tallies_insert AFTER INSERT ON cases WHEN NEW.status <> 'merged'
BEGIN
    INSERT INTO case_tallies (region_id, month, collected, closed, timed, on_time, rated, satisfied)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'), 1,
        NEW.status = 'closed',
        NEW.status = 'closed' AND NEW.clock_start IS NOT NULL,
        COALESCE(NEW.status = 'closed' AND NEW.clock_start IS NOT NULL
            AND COALESCE(NEW.completed_at, NEW.clock_start) <= NEW.completion_due_at, 0),
        COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0),
        COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied'), 0))
    ON CONFLICT (region_id, month) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied;
    INSERT INTO case_tallies (region_id, month, closed_in)
    SELECT NEW.region_id, strftime('%Y-%m', NEW.closed_at, '+8 hours'), 1
    WHERE NEW.status = 'closed' AND NEW.closed_at IS NOT NULL
    ON CONFLICT (region_id, month) DO UPDATE SET closed_in = closed_in + 1;
    INSERT INTO category_tallies (region_id, category_id, n) VALUES (NEW.region_id, NEW.category_id, 1)
    ON CONFLICT (region_id, category_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER case_tallies_uncount AFTER UPDATE OF
    status, region_id, category_id, created_at, closed_at, clock_start, completed_at,
    completion_due_at, rating ON cases WHEN OLD.status <> 'merged'
BEGIN
    UPDATE case_tallies SET collected = collected - 1,
        closed = closed - (OLD.status = 'closed'),
        timed = timed - (OLD.status = 'closed' AND OLD.clock_start IS NOT NULL),
        on_time = on_time - COALESCE(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL
            AND COALESCE(OLD.completed_at, OLD.clock_start) <= OLD.completion_due_at, 0),
        rated = rated - COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0),
        satisfied = satisfied - COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied'), 0)
    WHERE region_id = OLD.region_id AND month = strftime('%Y-%m', OLD.created_at, '+8 hours');
    UPDATE case_tallies SET closed_in = closed_in - 1
    WHERE OLD.status = 'closed' AND OLD.closed_at IS NOT NULL
        AND region_id = OLD.region_id AND month = strftime('%Y-%m', OLD.closed_at, '+8 hours');
    UPDATE category_tallies SET n = n - 1
    WHERE region_id = OLD.region_id AND category_id = OLD.category_id;
END;

CREATE TRIGGER case_tallies_recount AFTER UPDATE OF
    status, region_id, category_id, created_at, closed_at, clock_start, completed_at,
    completion_due_at, rating ON cases WHEN NEW.status <> 'merged'
BEGIN
    INSERT INTO case_tallies (region_id, month, collected, closed, timed, on_time, rated, satisfied)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'), 1,
        NEW.status = 'closed',
        NEW.status = 'closed' AND NEW.clock_start IS NOT NULL,
        COALESCE(NEW.status = 'closed' AND NEW.clock_start IS NOT NULL
            AND COALESCE(NEW.completed_at, NEW.clock_start) <= NEW.completion_due_at, 0),
        COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0),
        COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied'), 0))
    ON CONFLICT (region_id, month) DO UPDATE SET
        collected = collected + excluded.collected, closed = closed + excluded.closed,
        timed = timed + excluded.timed, on_time = on_time + excluded.on_time,
        rated = rated + excluded.rated, satisfied = satisfied + excluded.satisfied;
    INSERT INTO case_tallies (region_id, month, closed_in)
    SELECT NEW.region_id, strftime('%Y-%m', NEW.closed_at, '+8 hours'), 1
    WHERE NEW.status = 'closed' AND NEW.closed_at IS NOT NULL
    ON CONFLICT (region_id, month) DO UPDATE SET closed_in = closed_in + 1;
    INSERT INTO category_tallies (region_id, category_id, n) VALUES (NEW.region_id, NEW.category_id, 1)
    ON CONFLICT (region_id, category_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER case_tallies_delete AFTER DELETE ON cases WHEN OLD.status <> 'merged'
BEGIN
    UPDATE case_tallies SET collected = collected - 1,
        closed = closed - (OLD.status = 'closed'),
        timed = timed - (OLD.status = 'closed' AND OLD.clock_start IS NOT NULL),
        on_time = on_time - COALESCE(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL
            AND COALESCE(OLD.completed_at, OLD.clock_start) <= OLD.completion_due_at, 0),
        rated = rated - COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0),
        satisfied = satisfied - COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied'), 0)
    WHERE region_id = OLD.region_id AND month = strftime('%Y-%m', OLD.created_at, '+8 hours');
    UPDATE case_tallies SET closed_in = closed_in - 1
    WHERE OLD.status = 'closed' AND OLD.closed_at IS NOT NULL
        AND region_id = OLD.region_id AND month = strftime('%Y-%m', OLD.closed_at, '+8 hours');
    UPDATE category_tallies SET n = n - 1
    WHERE region_id = OLD.region_id AND category_id = OLD.category_id;
END;
