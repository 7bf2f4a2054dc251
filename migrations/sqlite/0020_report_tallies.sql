-- Staff figures at city scale (issue 18): the report's figures per place
-- and month of registration, overall and per unit, station, category or
-- person, kept by the database in the transaction of every change to a
-- case, as the public figures' tallies are (migration 0017). The city's
-- twelve months by any of them add up tallies instead of reading half a
-- million cases (11 s at a million on SQLite).
--
-- cases.returned: the case was returned by a unit at least once, so that
-- every figure is a function of the case's own row; a return event sets it.
ALTER TABLE cases ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET returned = 1 WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'return');

CREATE TRIGGER case_returned AFTER INSERT ON case_events WHEN NEW.kind = 'return'
BEGIN
    UPDATE cases SET returned = 1 WHERE id = NEW.case_id AND returned = 0;
END;

-- The rest of domain::figures::Figures per place and month, beside the
-- public figures' columns (Figures::add is the rule, stats::judged says it
-- in SQL; a test compares them over a generated city), and for the grid
-- view the closed cases settled at some tier and at compound or grid tier.
ALTER TABLE case_tallies ADD COLUMN assigned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN ack_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN reworked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN tiered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN low_tier INTEGER NOT NULL DEFAULT 0;

-- report_tallies: the figures per dimension ('unit', 'station',
-- 'category', 'heard_by'), month (China time, 'YYYY-MM') of registration,
-- region (the case's own place) and key (the unit, station, category or
-- person; 0 for none): each case is counted once under every dimension.
-- Merged duplicates count nowhere (their original does).
CREATE TABLE report_tallies (
    dimension TEXT NOT NULL,
    month TEXT NOT NULL,
    region_id INTEGER NOT NULL,
    key_id INTEGER NOT NULL,
    collected INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    timed INTEGER NOT NULL DEFAULT 0,
    on_time INTEGER NOT NULL DEFAULT 0,
    assigned INTEGER NOT NULL DEFAULT 0,
    ack_due INTEGER NOT NULL DEFAULT 0,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    returned INTEGER NOT NULL DEFAULT 0,
    reworked INTEGER NOT NULL DEFAULT 0,
    rated INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    tiered INTEGER NOT NULL DEFAULT 0,
    low_tier INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, month, region_id, key_id)
) WITHOUT ROWID;
-- The city reads a dimension's months in key order; an area reads its places'.
CREATE INDEX report_tallies_region ON report_tallies(region_id, dimension, month);

-- The existing cases, counted as the triggers below count each new one.
INSERT INTO case_tallies (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
SELECT c.region_id, strftime('%Y-%m', c.created_at, '+8 hours'),
    SUM(c.unit_id IS NOT NULL OR c.returned = 1),
    SUM(c.clock_start IS NOT NULL),
    SUM(COALESCE(COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at, 0)),
    SUM(c.returned = 1),
    SUM(c.status = 'closed' AND c.rework_count > 0),
    SUM(COALESCE(c.status = 'closed' AND c.tier IS NOT NULL, 0)),
    SUM(COALESCE(c.status = 'closed' AND c.tier IN ('compound', 'grid'), 0))
FROM cases c
WHERE c.status <> 'merged'
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET
    assigned = excluded.assigned, ack_due = excluded.ack_due, acknowledged = excluded.acknowledged, returned = excluded.returned, reworked = excluded.reworked, tiered = excluded.tiered, low_tier = excluded.low_tier;

INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
SELECT d.dimension, strftime('%Y-%m', c.created_at, '+8 hours'), c.region_id,
    CASE d.dimension WHEN 'unit' THEN COALESCE(c.unit_id, 0)
        WHEN 'station' THEN COALESCE(c.station_id, 0) WHEN 'category' THEN c.category_id
        ELSE COALESCE(c.heard_by, 0) END,
    COUNT(*),
    SUM(c.status = 'closed'),
    SUM(c.status = 'closed' AND c.clock_start IS NOT NULL),
    SUM(COALESCE(c.status = 'closed' AND c.clock_start IS NOT NULL
            AND COALESCE(c.completed_at, c.clock_start) <= c.completion_due_at, 0)),
    SUM(c.unit_id IS NOT NULL OR c.returned = 1),
    SUM(c.clock_start IS NOT NULL),
    SUM(COALESCE(COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at, 0)),
    SUM(c.returned = 1),
    SUM(c.status = 'closed' AND c.rework_count > 0),
    SUM(COALESCE(c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0)),
    SUM(COALESCE(c.rating IN ('satisfied', 'fairly_satisfied'), 0)),
    SUM(COALESCE(c.status = 'closed' AND c.tier IS NOT NULL, 0)),
    SUM(COALESCE(c.status = 'closed' AND c.tier IN ('compound', 'grid'), 0))
FROM cases c
CROSS JOIN (SELECT 'unit' AS dimension UNION ALL SELECT 'station'
            UNION ALL SELECT 'category' UNION ALL SELECT 'heard_by') d
WHERE c.status <> 'merged'
GROUP BY 1, 2, 3, 4;

-- One case counted in or out, written out with NEW and with OLD because
-- SQLite triggers cannot call a function; an update moves the tallies only
-- when a column they read changed.
CREATE TRIGGER report_tallies_insert AFTER INSERT ON cases WHEN NEW.status <> 'merged'
BEGIN
    INSERT INTO case_tallies (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'),
        (NEW.unit_id IS NOT NULL OR NEW.returned = 1),
        (NEW.clock_start IS NOT NULL),
        (COALESCE(COALESCE(NEW.acknowledged_at, CASE WHEN NEW.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND NEW.completed_at IS NULL THEN NEW.clock_start END) <= NEW.acknowledge_due_at, 0)),
        (NEW.returned = 1),
        (NEW.status = 'closed' AND NEW.rework_count > 0),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IS NOT NULL, 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IN ('compound', 'grid'), 0)))
    ON CONFLICT (region_id, month) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
    SELECT d.dimension, strftime('%Y-%m', NEW.created_at, '+8 hours'), NEW.region_id, d.key_id,
        (1),
        (NEW.status = 'closed'),
        (NEW.status = 'closed' AND NEW.clock_start IS NOT NULL),
        (COALESCE(NEW.status = 'closed' AND NEW.clock_start IS NOT NULL
            AND COALESCE(NEW.completed_at, NEW.clock_start) <= NEW.completion_due_at, 0)),
        (NEW.unit_id IS NOT NULL OR NEW.returned = 1),
        (NEW.clock_start IS NOT NULL),
        (COALESCE(COALESCE(NEW.acknowledged_at, CASE WHEN NEW.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND NEW.completed_at IS NULL THEN NEW.clock_start END) <= NEW.acknowledge_due_at, 0)),
        (NEW.returned = 1),
        (NEW.status = 'closed' AND NEW.rework_count > 0),
        (COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0)),
        (COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied'), 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IS NOT NULL, 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IN ('compound', 'grid'), 0))
    FROM (SELECT 'unit' AS dimension, COALESCE(NEW.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(NEW.station_id, 0)
          UNION ALL SELECT 'category', NEW.category_id
          UNION ALL SELECT 'heard_by', COALESCE(NEW.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        collected = collected + excluded.collected,
        closed = closed + excluded.closed,
        timed = timed + excluded.timed,
        on_time = on_time + excluded.on_time,
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        rated = rated + excluded.rated,
        satisfied = satisfied + excluded.satisfied,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
END;

CREATE TRIGGER report_tallies_uncount AFTER UPDATE OF
    status, region_id, category_id, unit_id, station_id, heard_by, created_at, clock_start, acknowledged_at, completed_at, completion_due_at, acknowledge_due_at, rework_count, returned, rating, tier ON cases
WHEN OLD.status <> 'merged' AND (OLD.status, OLD.region_id, OLD.category_id, OLD.unit_id, OLD.station_id, OLD.heard_by, OLD.created_at, OLD.clock_start, OLD.acknowledged_at, OLD.completed_at, OLD.completion_due_at, OLD.acknowledge_due_at, OLD.rework_count, OLD.returned, OLD.rating, OLD.tier) IS NOT (NEW.status, NEW.region_id, NEW.category_id, NEW.unit_id, NEW.station_id, NEW.heard_by, NEW.created_at, NEW.clock_start, NEW.acknowledged_at, NEW.completed_at, NEW.completion_due_at, NEW.acknowledge_due_at, NEW.rework_count, NEW.returned, NEW.rating, NEW.tier)
BEGIN
    INSERT INTO case_tallies (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
    VALUES (OLD.region_id, strftime('%Y-%m', OLD.created_at, '+8 hours'),
        -(OLD.unit_id IS NOT NULL OR OLD.returned = 1),
        -(OLD.clock_start IS NOT NULL),
        -(COALESCE(COALESCE(OLD.acknowledged_at, CASE WHEN OLD.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND OLD.completed_at IS NULL THEN OLD.clock_start END) <= OLD.acknowledge_due_at, 0)),
        -(OLD.returned = 1),
        -(OLD.status = 'closed' AND OLD.rework_count > 0),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IS NOT NULL, 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IN ('compound', 'grid'), 0)))
    ON CONFLICT (region_id, month) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
    SELECT d.dimension, strftime('%Y-%m', OLD.created_at, '+8 hours'), OLD.region_id, d.key_id,
        -(1),
        -(OLD.status = 'closed'),
        -(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL),
        -(COALESCE(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL
            AND COALESCE(OLD.completed_at, OLD.clock_start) <= OLD.completion_due_at, 0)),
        -(OLD.unit_id IS NOT NULL OR OLD.returned = 1),
        -(OLD.clock_start IS NOT NULL),
        -(COALESCE(COALESCE(OLD.acknowledged_at, CASE WHEN OLD.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND OLD.completed_at IS NULL THEN OLD.clock_start END) <= OLD.acknowledge_due_at, 0)),
        -(OLD.returned = 1),
        -(OLD.status = 'closed' AND OLD.rework_count > 0),
        -(COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0)),
        -(COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied'), 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IS NOT NULL, 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IN ('compound', 'grid'), 0))
    FROM (SELECT 'unit' AS dimension, COALESCE(OLD.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(OLD.station_id, 0)
          UNION ALL SELECT 'category', OLD.category_id
          UNION ALL SELECT 'heard_by', COALESCE(OLD.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        collected = collected + excluded.collected,
        closed = closed + excluded.closed,
        timed = timed + excluded.timed,
        on_time = on_time + excluded.on_time,
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        rated = rated + excluded.rated,
        satisfied = satisfied + excluded.satisfied,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
END;

CREATE TRIGGER report_tallies_recount AFTER UPDATE OF
    status, region_id, category_id, unit_id, station_id, heard_by, created_at, clock_start, acknowledged_at, completed_at, completion_due_at, acknowledge_due_at, rework_count, returned, rating, tier ON cases
WHEN NEW.status <> 'merged' AND (OLD.status, OLD.region_id, OLD.category_id, OLD.unit_id, OLD.station_id, OLD.heard_by, OLD.created_at, OLD.clock_start, OLD.acknowledged_at, OLD.completed_at, OLD.completion_due_at, OLD.acknowledge_due_at, OLD.rework_count, OLD.returned, OLD.rating, OLD.tier) IS NOT (NEW.status, NEW.region_id, NEW.category_id, NEW.unit_id, NEW.station_id, NEW.heard_by, NEW.created_at, NEW.clock_start, NEW.acknowledged_at, NEW.completed_at, NEW.completion_due_at, NEW.acknowledge_due_at, NEW.rework_count, NEW.returned, NEW.rating, NEW.tier)
BEGIN
    INSERT INTO case_tallies (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'),
        (NEW.unit_id IS NOT NULL OR NEW.returned = 1),
        (NEW.clock_start IS NOT NULL),
        (COALESCE(COALESCE(NEW.acknowledged_at, CASE WHEN NEW.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND NEW.completed_at IS NULL THEN NEW.clock_start END) <= NEW.acknowledge_due_at, 0)),
        (NEW.returned = 1),
        (NEW.status = 'closed' AND NEW.rework_count > 0),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IS NOT NULL, 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IN ('compound', 'grid'), 0)))
    ON CONFLICT (region_id, month) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
    SELECT d.dimension, strftime('%Y-%m', NEW.created_at, '+8 hours'), NEW.region_id, d.key_id,
        (1),
        (NEW.status = 'closed'),
        (NEW.status = 'closed' AND NEW.clock_start IS NOT NULL),
        (COALESCE(NEW.status = 'closed' AND NEW.clock_start IS NOT NULL
            AND COALESCE(NEW.completed_at, NEW.clock_start) <= NEW.completion_due_at, 0)),
        (NEW.unit_id IS NOT NULL OR NEW.returned = 1),
        (NEW.clock_start IS NOT NULL),
        (COALESCE(COALESCE(NEW.acknowledged_at, CASE WHEN NEW.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND NEW.completed_at IS NULL THEN NEW.clock_start END) <= NEW.acknowledge_due_at, 0)),
        (NEW.returned = 1),
        (NEW.status = 'closed' AND NEW.rework_count > 0),
        (COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0)),
        (COALESCE(NEW.rating IN ('satisfied', 'fairly_satisfied'), 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IS NOT NULL, 0)),
        (COALESCE(NEW.status = 'closed' AND NEW.tier IN ('compound', 'grid'), 0))
    FROM (SELECT 'unit' AS dimension, COALESCE(NEW.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(NEW.station_id, 0)
          UNION ALL SELECT 'category', NEW.category_id
          UNION ALL SELECT 'heard_by', COALESCE(NEW.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        collected = collected + excluded.collected,
        closed = closed + excluded.closed,
        timed = timed + excluded.timed,
        on_time = on_time + excluded.on_time,
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        rated = rated + excluded.rated,
        satisfied = satisfied + excluded.satisfied,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
END;

CREATE TRIGGER report_tallies_delete AFTER DELETE ON cases WHEN OLD.status <> 'merged'
BEGIN
    INSERT INTO case_tallies (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
    VALUES (OLD.region_id, strftime('%Y-%m', OLD.created_at, '+8 hours'),
        -(OLD.unit_id IS NOT NULL OR OLD.returned = 1),
        -(OLD.clock_start IS NOT NULL),
        -(COALESCE(COALESCE(OLD.acknowledged_at, CASE WHEN OLD.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND OLD.completed_at IS NULL THEN OLD.clock_start END) <= OLD.acknowledge_due_at, 0)),
        -(OLD.returned = 1),
        -(OLD.status = 'closed' AND OLD.rework_count > 0),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IS NOT NULL, 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IN ('compound', 'grid'), 0)))
    ON CONFLICT (region_id, month) DO UPDATE SET
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
    SELECT d.dimension, strftime('%Y-%m', OLD.created_at, '+8 hours'), OLD.region_id, d.key_id,
        -(1),
        -(OLD.status = 'closed'),
        -(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL),
        -(COALESCE(OLD.status = 'closed' AND OLD.clock_start IS NOT NULL
            AND COALESCE(OLD.completed_at, OLD.clock_start) <= OLD.completion_due_at, 0)),
        -(OLD.unit_id IS NOT NULL OR OLD.returned = 1),
        -(OLD.clock_start IS NOT NULL),
        -(COALESCE(COALESCE(OLD.acknowledged_at, CASE WHEN OLD.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND OLD.completed_at IS NULL THEN OLD.clock_start END) <= OLD.acknowledge_due_at, 0)),
        -(OLD.returned = 1),
        -(OLD.status = 'closed' AND OLD.rework_count > 0),
        -(COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), 0)),
        -(COALESCE(OLD.rating IN ('satisfied', 'fairly_satisfied'), 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IS NOT NULL, 0)),
        -(COALESCE(OLD.status = 'closed' AND OLD.tier IN ('compound', 'grid'), 0))
    FROM (SELECT 'unit' AS dimension, COALESCE(OLD.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(OLD.station_id, 0)
          UNION ALL SELECT 'category', OLD.category_id
          UNION ALL SELECT 'heard_by', COALESCE(OLD.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        collected = collected + excluded.collected,
        closed = closed + excluded.closed,
        timed = timed + excluded.timed,
        on_time = on_time + excluded.on_time,
        assigned = assigned + excluded.assigned,
        ack_due = ack_due + excluded.ack_due,
        acknowledged = acknowledged + excluded.acknowledged,
        returned = returned + excluded.returned,
        reworked = reworked + excluded.reworked,
        rated = rated + excluded.rated,
        satisfied = satisfied + excluded.satisfied,
        tiered = tiered + excluded.tiered,
        low_tier = low_tier + excluded.low_tier;
END;
