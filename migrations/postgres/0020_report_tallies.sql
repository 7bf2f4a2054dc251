-- Staff figures at city scale (issue 18): the report's figures per place
-- and month of registration, overall and per unit, station, category or
-- person, kept by the database in the transaction of every change to a
-- case, as the public figures' tallies are (migration 0017). The city's
-- twelve months by any of them add up tallies instead of reading half a
-- million cases (4 s at a million).
--
-- cases.returned: the case was returned by a unit at least once, so that
-- every figure is a function of the case's own row; a return event sets it.
ALTER TABLE cases ADD COLUMN returned BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET returned = 1 WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'return');

CREATE FUNCTION case_returned() RETURNS trigger AS $$
BEGIN
    UPDATE cases SET returned = 1 WHERE id = NEW.case_id AND returned = 0;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_returned AFTER INSERT ON case_events
    FOR EACH ROW WHEN (NEW.kind = 'return') EXECUTE FUNCTION case_returned();

-- The rest of domain::figures::Figures per place and month, beside the
-- public figures' columns (Figures::add is the rule, stats::judged says it
-- in SQL; a test compares them over a generated city), and for the grid
-- view the closed cases settled at some tier and at compound or grid tier.
ALTER TABLE case_tallies
    ADD COLUMN assigned BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN ack_due BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN acknowledged BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN returned BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN reworked BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN tiered BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN low_tier BIGINT NOT NULL DEFAULT 0;

-- report_tallies: the figures per dimension ('unit', 'station',
-- 'category', 'heard_by'), month (China time, 'YYYY-MM') of registration,
-- region (the case's own place) and key (the unit, station, category or
-- person; 0 for none): each case is counted once under every dimension.
-- Merged duplicates count nowhere (their original does).
CREATE TABLE report_tallies (
    dimension TEXT COLLATE "C" NOT NULL,
    month TEXT COLLATE "C" NOT NULL,
    region_id BIGINT NOT NULL,
    key_id BIGINT NOT NULL,
    collected BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    timed BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    assigned BIGINT NOT NULL DEFAULT 0,
    ack_due BIGINT NOT NULL DEFAULT 0,
    acknowledged BIGINT NOT NULL DEFAULT 0,
    returned BIGINT NOT NULL DEFAULT 0,
    reworked BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    tiered BIGINT NOT NULL DEFAULT 0,
    low_tier BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dimension, month, region_id, key_id)
);
-- The city reads a dimension's months in key order; an area reads its places'.
CREATE INDEX report_tallies_region ON report_tallies(region_id, dimension, month);

-- The existing cases, counted as the trigger below counts each new one.
INSERT INTO case_tallies AS t (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
SELECT c.region_id, china_month(c.created_at),
    COUNT(*) FILTER (WHERE c.unit_id IS NOT NULL OR c.returned = 1),
    COUNT(*) FILTER (WHERE c.clock_start IS NOT NULL),
    COUNT(*) FILTER (WHERE COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at),
    COUNT(*) FILTER (WHERE c.returned = 1),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.rework_count > 0),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.tier IS NOT NULL),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.tier IN ('compound', 'grid'))
FROM cases c
WHERE c.status <> 'merged'
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET
    assigned = excluded.assigned, ack_due = excluded.ack_due, acknowledged = excluded.acknowledged, returned = excluded.returned, reworked = excluded.reworked, tiered = excluded.tiered, low_tier = excluded.low_tier;

INSERT INTO report_tallies (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
SELECT d.dimension, china_month(c.created_at), c.region_id,
    CASE d.dimension WHEN 'unit' THEN COALESCE(c.unit_id, 0)
        WHEN 'station' THEN COALESCE(c.station_id, 0) WHEN 'category' THEN c.category_id
        ELSE COALESCE(c.heard_by, 0) END,
    COUNT(*),
    COUNT(*) FILTER (WHERE c.status = 'closed'),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.clock_start IS NOT NULL),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.clock_start IS NOT NULL
            AND COALESCE(c.completed_at, c.clock_start) <= c.completion_due_at),
    COUNT(*) FILTER (WHERE c.unit_id IS NOT NULL OR c.returned = 1),
    COUNT(*) FILTER (WHERE c.clock_start IS NOT NULL),
    COUNT(*) FILTER (WHERE COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at),
    COUNT(*) FILTER (WHERE c.returned = 1),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.rework_count > 0),
    COUNT(*) FILTER (WHERE c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')),
    COUNT(*) FILTER (WHERE c.rating IN ('satisfied', 'fairly_satisfied')),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.tier IS NOT NULL),
    COUNT(*) FILTER (WHERE c.status = 'closed' AND c.tier IN ('compound', 'grid'))
FROM cases c
CROSS JOIN (VALUES ('unit'), ('station'), ('category'), ('heard_by')) d(dimension)
WHERE c.status <> 'merged'
GROUP BY 1, 2, 3, 4;

-- One case counted in (sign 1) or out (sign -1), per place and under
-- every dimension.
CREATE FUNCTION report_tally(c cases, sign BIGINT) RETURNS void AS $$
BEGIN
    IF c.status = 'merged' THEN
        RETURN;
    END IF;
    INSERT INTO case_tallies AS t (region_id, month, assigned, ack_due, acknowledged, returned, reworked, tiered, low_tier)
    VALUES (c.region_id, china_month(c.created_at),
        sign * COALESCE(c.unit_id IS NOT NULL OR c.returned = 1, false)::int,
        sign * COALESCE(c.clock_start IS NOT NULL, false)::int,
        sign * COALESCE(COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at, false)::int,
        sign * COALESCE(c.returned = 1, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.rework_count > 0, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.tier IS NOT NULL, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.tier IN ('compound', 'grid'), false)::int)
    ON CONFLICT (region_id, month) DO UPDATE SET
        assigned = t.assigned + excluded.assigned,
        ack_due = t.ack_due + excluded.ack_due,
        acknowledged = t.acknowledged + excluded.acknowledged,
        returned = t.returned + excluded.returned,
        reworked = t.reworked + excluded.reworked,
        tiered = t.tiered + excluded.tiered,
        low_tier = t.low_tier + excluded.low_tier;
    INSERT INTO report_tallies AS t (dimension, month, region_id, key_id, collected, closed, timed, on_time, assigned, ack_due, acknowledged, returned, reworked, rated, satisfied, tiered, low_tier)
    SELECT d.dimension, china_month(c.created_at), c.region_id, d.key_id,
        sign,
        sign * COALESCE(c.status = 'closed', false)::int,
        sign * COALESCE(c.status = 'closed' AND c.clock_start IS NOT NULL, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.clock_start IS NOT NULL
            AND COALESCE(c.completed_at, c.clock_start) <= c.completion_due_at, false)::int,
        sign * COALESCE(c.unit_id IS NOT NULL OR c.returned = 1, false)::int,
        sign * COALESCE(c.clock_start IS NOT NULL, false)::int,
        sign * COALESCE(COALESCE(c.acknowledged_at, CASE WHEN c.status NOT IN ('awaiting_ack', 'in_progress', 'closure_requested', 'local_handling', 'escalated', 'suggestion', 'rework')
            AND c.completed_at IS NULL THEN c.clock_start END) <= c.acknowledge_due_at, false)::int,
        sign * COALESCE(c.returned = 1, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.rework_count > 0, false)::int,
        sign * COALESCE(c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), false)::int,
        sign * COALESCE(c.rating IN ('satisfied', 'fairly_satisfied'), false)::int,
        sign * COALESCE(c.status = 'closed' AND c.tier IS NOT NULL, false)::int,
        sign * COALESCE(c.status = 'closed' AND c.tier IN ('compound', 'grid'), false)::int
    FROM (VALUES ('unit', COALESCE(c.unit_id, 0)), ('station', COALESCE(c.station_id, 0)),
                 ('category', c.category_id), ('heard_by', COALESCE(c.heard_by, 0)))
        d(dimension, key_id)
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        collected = t.collected + excluded.collected,
        closed = t.closed + excluded.closed,
        timed = t.timed + excluded.timed,
        on_time = t.on_time + excluded.on_time,
        assigned = t.assigned + excluded.assigned,
        ack_due = t.ack_due + excluded.ack_due,
        acknowledged = t.acknowledged + excluded.acknowledged,
        returned = t.returned + excluded.returned,
        reworked = t.reworked + excluded.reworked,
        rated = t.rated + excluded.rated,
        satisfied = t.satisfied + excluded.satisfied,
        tiered = t.tiered + excluded.tiered,
        low_tier = t.low_tier + excluded.low_tier;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION report_tallies() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM report_tally(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM report_tally(NEW, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER report_tallies_insert_delete AFTER INSERT OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION report_tallies();
-- Only a change to a column the figures read moves a tally.
CREATE TRIGGER report_tallies_update AFTER UPDATE OF
    status, region_id, category_id, unit_id, station_id, heard_by, created_at, clock_start, acknowledged_at, completed_at, completion_due_at, acknowledge_due_at, rework_count, returned, rating, tier ON cases
    FOR EACH ROW
    WHEN ((OLD.status, OLD.region_id, OLD.category_id, OLD.unit_id, OLD.station_id, OLD.heard_by, OLD.created_at, OLD.clock_start, OLD.acknowledged_at, OLD.completed_at, OLD.completion_due_at, OLD.acknowledge_due_at, OLD.rework_count, OLD.returned, OLD.rating, OLD.tier)
          IS DISTINCT FROM
          (NEW.status, NEW.region_id, NEW.category_id, NEW.unit_id, NEW.station_id, NEW.heard_by, NEW.created_at, NEW.clock_start, NEW.acknowledged_at, NEW.completed_at, NEW.completion_due_at, NEW.acknowledge_due_at, NEW.rework_count, NEW.returned, NEW.rating, NEW.tier))
    EXECUTE FUNCTION report_tallies();
