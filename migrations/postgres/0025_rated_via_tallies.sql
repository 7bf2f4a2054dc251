-- Figures tell ratings apart by how they reached the case (issue 20):
-- given online by the resident, recorded by the station at a session, or
-- recorded on a callback (回访). The tallies of migrations 0017 and 0020
-- count the rated; these two columns count those of them recorded at a
-- session and on a callback (online is the rest), kept by their own
-- trigger in the same transaction as every change to a case. Only the
-- rated cases given other than online are touched, so it costs nothing
-- for the rest.
ALTER TABLE case_tallies ADD COLUMN rated_session BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN rated_callback BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_tallies ADD COLUMN rated_session BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_tallies ADD COLUMN rated_callback BIGINT NOT NULL DEFAULT 0;

-- The existing cases, counted as the trigger below counts each new one.
INSERT INTO case_tallies AS t (region_id, month, rated_session, rated_callback)
SELECT c.region_id, china_month(c.created_at),
    COUNT(*) FILTER (WHERE c.rated_via = 'session'), COUNT(*) FILTER (WHERE c.rated_via = 'callback')
FROM cases c
WHERE c.status <> 'merged' AND c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')
    AND c.rated_via IN ('session', 'callback')
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET
    rated_session = excluded.rated_session, rated_callback = excluded.rated_callback;

INSERT INTO report_tallies AS t (dimension, month, region_id, key_id, rated_session, rated_callback)
SELECT d.dimension, china_month(c.created_at), c.region_id,
    CASE d.dimension WHEN 'unit' THEN COALESCE(c.unit_id, 0)
        WHEN 'station' THEN COALESCE(c.station_id, 0) WHEN 'category' THEN c.category_id
        ELSE COALESCE(c.heard_by, 0) END,
    COUNT(*) FILTER (WHERE c.rated_via = 'session'), COUNT(*) FILTER (WHERE c.rated_via = 'callback')
FROM cases c
CROSS JOIN (VALUES ('unit'), ('station'), ('category'), ('heard_by')) d(dimension)
WHERE c.status <> 'merged' AND c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')
    AND c.rated_via IN ('session', 'callback')
GROUP BY 1, 2, 3, 4
ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
    rated_session = excluded.rated_session, rated_callback = excluded.rated_callback;

-- One case counted in (sign 1) or out (sign -1), if it counts at all.
CREATE FUNCTION rated_via_tally(c cases, sign BIGINT) RETURNS void AS $$
BEGIN
    IF c.status = 'merged' OR c.rating IS NULL
        OR c.rating NOT IN ('satisfied', 'fairly_satisfied', 'dissatisfied')
        OR c.rated_via IS NULL OR c.rated_via NOT IN ('session', 'callback') THEN
        RETURN;
    END IF;
    INSERT INTO case_tallies AS t (region_id, month, rated_session, rated_callback)
    VALUES (c.region_id, china_month(c.created_at),
        sign * (c.rated_via = 'session')::int, sign * (c.rated_via = 'callback')::int)
    ON CONFLICT (region_id, month) DO UPDATE SET
        rated_session = t.rated_session + excluded.rated_session,
        rated_callback = t.rated_callback + excluded.rated_callback;
    INSERT INTO report_tallies AS t (dimension, month, region_id, key_id, rated_session, rated_callback)
    SELECT d.dimension, china_month(c.created_at), c.region_id, d.key_id,
        sign * (c.rated_via = 'session')::int, sign * (c.rated_via = 'callback')::int
    FROM (VALUES ('unit', COALESCE(c.unit_id, 0)), ('station', COALESCE(c.station_id, 0)),
                 ('category', c.category_id), ('heard_by', COALESCE(c.heard_by, 0)))
        d(dimension, key_id)
    ON CONFLICT (dimension, month, region_id, key_id) DO UPDATE SET
        rated_session = t.rated_session + excluded.rated_session,
        rated_callback = t.rated_callback + excluded.rated_callback;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION rated_via_tallies() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rated_via_tally(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM rated_via_tally(NEW, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER rated_via_tallies_insert_delete AFTER INSERT OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION rated_via_tallies();
-- Only a change to a column these tallies read moves them.
CREATE TRIGGER rated_via_tallies_update AFTER UPDATE OF
    status, region_id, created_at, rating, rated_via, unit_id, station_id, category_id, heard_by ON cases
    FOR EACH ROW
    WHEN ((OLD.status, OLD.region_id, OLD.created_at, OLD.rating, OLD.rated_via, OLD.unit_id, OLD.station_id, OLD.category_id, OLD.heard_by)
          IS DISTINCT FROM
          (NEW.status, NEW.region_id, NEW.created_at, NEW.rating, NEW.rated_via, NEW.unit_id, NEW.station_id, NEW.category_id, NEW.heard_by))
    EXECUTE FUNCTION rated_via_tallies();
