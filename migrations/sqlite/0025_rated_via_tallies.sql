-- Figures tell ratings apart by how they reached the case (issue 20):
-- given online by the resident, recorded by the station at a session, or
-- recorded on a callback (回访). The tallies of migrations 0017 and 0020
-- count the rated; these two columns count those of them recorded at a
-- session and on a callback (online is the rest), kept by their own
-- triggers in the same transaction as every change to a case. Only the
-- rated cases given other than online are touched, so the triggers cost
-- nothing for the rest.
ALTER TABLE case_tallies ADD COLUMN rated_session INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN rated_callback INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_tallies ADD COLUMN rated_session INTEGER NOT NULL DEFAULT 0;
ALTER TABLE report_tallies ADD COLUMN rated_callback INTEGER NOT NULL DEFAULT 0;

-- The existing cases, counted as the triggers below count each new one.
INSERT INTO case_tallies (region_id, month, rated_session, rated_callback)
SELECT c.region_id, strftime('%Y-%m', c.created_at, '+8 hours'),
    SUM(c.rated_via = 'session'), SUM(c.rated_via = 'callback')
FROM cases c
WHERE c.status <> 'merged' AND c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND c.rated_via IN ('session', 'callback')
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET
    rated_session = excluded.rated_session, rated_callback = excluded.rated_callback;

INSERT INTO report_tallies (dimension, month, region_id, key_id, rated_session, rated_callback)
SELECT d.dimension, strftime('%Y-%m', c.created_at, '+8 hours'), c.region_id,
    CASE d.dimension WHEN 'unit' THEN COALESCE(c.unit_id, 0)
        WHEN 'station' THEN COALESCE(c.station_id, 0) WHEN 'category' THEN c.category_id
        ELSE COALESCE(c.heard_by, 0) END,
    SUM(c.rated_via = 'session'), SUM(c.rated_via = 'callback')
FROM cases c
CROSS JOIN (SELECT 'unit' AS dimension UNION ALL SELECT 'station'
            UNION ALL SELECT 'category' UNION ALL SELECT 'heard_by') d
WHERE c.status <> 'merged' AND c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND c.rated_via IN ('session', 'callback')
GROUP BY 1, 2, 3, 4
ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
    rated_session = excluded.rated_session, rated_callback = excluded.rated_callback;

CREATE TRIGGER rated_via_tallies_insert AFTER INSERT ON cases
WHEN NEW.status <> 'merged' AND NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND NEW.rated_via IN ('session', 'callback')
BEGIN
    INSERT INTO case_tallies (region_id, month, rated_session, rated_callback)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'), (NEW.rated_via = 'session'), (NEW.rated_via = 'callback'))
    ON CONFLICT (region_id, month) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, rated_session, rated_callback)
    SELECT d.dimension, strftime('%Y-%m', NEW.created_at, '+8 hours'), NEW.region_id, d.key_id,
        (NEW.rated_via = 'session'), (NEW.rated_via = 'callback')
    FROM (SELECT 'unit' AS dimension, COALESCE(NEW.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(NEW.station_id, 0)
          UNION ALL SELECT 'category', NEW.category_id
          UNION ALL SELECT 'heard_by', COALESCE(NEW.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
END;

CREATE TRIGGER rated_via_tallies_delete AFTER DELETE ON cases
WHEN OLD.status <> 'merged' AND OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND OLD.rated_via IN ('session', 'callback')
BEGIN
    INSERT INTO case_tallies (region_id, month, rated_session, rated_callback)
    VALUES (OLD.region_id, strftime('%Y-%m', OLD.created_at, '+8 hours'), -(OLD.rated_via = 'session'), -(OLD.rated_via = 'callback'))
    ON CONFLICT (region_id, month) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, rated_session, rated_callback)
    SELECT d.dimension, strftime('%Y-%m', OLD.created_at, '+8 hours'), OLD.region_id, d.key_id,
        -(OLD.rated_via = 'session'), -(OLD.rated_via = 'callback')
    FROM (SELECT 'unit' AS dimension, COALESCE(OLD.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(OLD.station_id, 0)
          UNION ALL SELECT 'category', OLD.category_id
          UNION ALL SELECT 'heard_by', COALESCE(OLD.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
END;

CREATE TRIGGER rated_via_tallies_uncount AFTER UPDATE OF
    status, region_id, created_at, rating, rated_via, unit_id, station_id, category_id, heard_by ON cases
WHEN OLD.status <> 'merged' AND OLD.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND OLD.rated_via IN ('session', 'callback') AND (OLD.status, OLD.region_id, OLD.created_at, OLD.rating, OLD.rated_via, OLD.unit_id, OLD.station_id, OLD.category_id, OLD.heard_by) IS NOT (NEW.status, NEW.region_id, NEW.created_at, NEW.rating, NEW.rated_via, NEW.unit_id, NEW.station_id, NEW.category_id, NEW.heard_by)
BEGIN
    INSERT INTO case_tallies (region_id, month, rated_session, rated_callback)
    VALUES (OLD.region_id, strftime('%Y-%m', OLD.created_at, '+8 hours'), -(OLD.rated_via = 'session'), -(OLD.rated_via = 'callback'))
    ON CONFLICT (region_id, month) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, rated_session, rated_callback)
    SELECT d.dimension, strftime('%Y-%m', OLD.created_at, '+8 hours'), OLD.region_id, d.key_id,
        -(OLD.rated_via = 'session'), -(OLD.rated_via = 'callback')
    FROM (SELECT 'unit' AS dimension, COALESCE(OLD.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(OLD.station_id, 0)
          UNION ALL SELECT 'category', OLD.category_id
          UNION ALL SELECT 'heard_by', COALESCE(OLD.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
END;

CREATE TRIGGER rated_via_tallies_recount AFTER UPDATE OF
    status, region_id, created_at, rating, rated_via, unit_id, station_id, category_id, heard_by ON cases
WHEN NEW.status <> 'merged' AND NEW.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied') AND NEW.rated_via IN ('session', 'callback') AND (OLD.status, OLD.region_id, OLD.created_at, OLD.rating, OLD.rated_via, OLD.unit_id, OLD.station_id, OLD.category_id, OLD.heard_by) IS NOT (NEW.status, NEW.region_id, NEW.created_at, NEW.rating, NEW.rated_via, NEW.unit_id, NEW.station_id, NEW.category_id, NEW.heard_by)
BEGIN
    INSERT INTO case_tallies (region_id, month, rated_session, rated_callback)
    VALUES (NEW.region_id, strftime('%Y-%m', NEW.created_at, '+8 hours'), (NEW.rated_via = 'session'), (NEW.rated_via = 'callback'))
    ON CONFLICT (region_id, month) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
    INSERT INTO report_tallies (dimension, month, region_id, key_id, rated_session, rated_callback)
    SELECT d.dimension, strftime('%Y-%m', NEW.created_at, '+8 hours'), NEW.region_id, d.key_id,
        (NEW.rated_via = 'session'), (NEW.rated_via = 'callback')
    FROM (SELECT 'unit' AS dimension, COALESCE(NEW.unit_id, 0) AS key_id
          UNION ALL SELECT 'station', COALESCE(NEW.station_id, 0)
          UNION ALL SELECT 'category', NEW.category_id
          UNION ALL SELECT 'heard_by', COALESCE(NEW.heard_by, 0)) d
    WHERE 1
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        rated_session = rated_session + excluded.rated_session,
        rated_callback = rated_callback + excluded.rated_callback;
END;
