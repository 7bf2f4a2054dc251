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
    region_id BIGINT NOT NULL,
    month TEXT COLLATE "C" NOT NULL,
    collected BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    timed BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    closed_in BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_id, month)
);
CREATE INDEX case_tallies_month ON case_tallies(month);

CREATE TABLE category_tallies (
    region_id BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_id, category_id)
);

-- The month of a stored stamp (RFC 3339 text, UTC) in China (UTC+8, no
-- daylight saving): the months the figures show.
CREATE FUNCTION china_month(stamp TEXT) RETURNS TEXT AS $$
    SELECT to_char((stamp::timestamptz AT TIME ZONE 'UTC') + INTERVAL '8 hours', 'YYYY-MM')
$$ LANGUAGE sql STABLE;

INSERT INTO case_tallies (region_id, month, collected, closed, timed, on_time, rated, satisfied)
SELECT region_id, china_month(created_at), COUNT(*),
    COUNT(*) FILTER (WHERE status = 'closed'),
    COUNT(*) FILTER (WHERE status = 'closed' AND clock_start IS NOT NULL),
    COUNT(*) FILTER (WHERE status = 'closed' AND clock_start IS NOT NULL
        AND COALESCE(completed_at, clock_start) <= completion_due_at),
    COUNT(*) FILTER (WHERE rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied')),
    COUNT(*) FILTER (WHERE rating IN ('satisfied', 'fairly_satisfied'))
FROM cases WHERE status <> 'merged'
GROUP BY 1, 2;

INSERT INTO case_tallies (region_id, month, closed_in)
SELECT region_id, china_month(closed_at), COUNT(*)
FROM cases WHERE status = 'closed' AND closed_at IS NOT NULL
GROUP BY 1, 2
ON CONFLICT (region_id, month) DO UPDATE SET closed_in = excluded.closed_in;

INSERT INTO category_tallies (region_id, category_id, n)
SELECT region_id, category_id, COUNT(*) FROM cases WHERE status <> 'merged' GROUP BY 1, 2;

-- One case counted in (sign 1) or out (sign -1).
CREATE FUNCTION case_tally(c cases, sign BIGINT) RETURNS void AS $$
BEGIN
    IF c.status = 'merged' THEN
        RETURN;
    END IF;
    INSERT INTO case_tallies AS t (region_id, month, collected, closed, timed, on_time, rated, satisfied)
    VALUES (c.region_id, china_month(c.created_at), sign,
        sign * (c.status = 'closed')::int,
        sign * (c.status = 'closed' AND c.clock_start IS NOT NULL)::int,
        sign * COALESCE(c.status = 'closed' AND c.clock_start IS NOT NULL
            AND COALESCE(c.completed_at, c.clock_start) <= c.completion_due_at, false)::int,
        sign * COALESCE(c.rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied'), false)::int,
        sign * COALESCE(c.rating IN ('satisfied', 'fairly_satisfied'), false)::int)
    ON CONFLICT (region_id, month) DO UPDATE SET
        collected = t.collected + excluded.collected, closed = t.closed + excluded.closed,
        timed = t.timed + excluded.timed, on_time = t.on_time + excluded.on_time,
        rated = t.rated + excluded.rated, satisfied = t.satisfied + excluded.satisfied;
    IF c.status = 'closed' AND c.closed_at IS NOT NULL THEN
        INSERT INTO case_tallies AS t (region_id, month, closed_in)
        VALUES (c.region_id, china_month(c.closed_at), sign)
        ON CONFLICT (region_id, month) DO UPDATE SET closed_in = t.closed_in + excluded.closed_in;
    END IF;
    INSERT INTO category_tallies AS t (region_id, category_id, n)
    VALUES (c.region_id, c.category_id, sign)
    ON CONFLICT (region_id, category_id) DO UPDATE SET n = t.n + excluded.n;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION case_tallies() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM case_tally(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM case_tally(NEW, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_tallies_insert_delete AFTER INSERT OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION case_tallies();
-- Only a change to a column the figures read moves a tally.
CREATE TRIGGER case_tallies_update AFTER UPDATE OF
    status, region_id, category_id, created_at, closed_at, clock_start, completed_at,
    completion_due_at, rating ON cases
    FOR EACH ROW
    WHEN ((OLD.status, OLD.region_id, OLD.category_id, OLD.created_at, OLD.closed_at,
           OLD.clock_start, OLD.completed_at, OLD.completion_due_at, OLD.rating)
          IS DISTINCT FROM
          (NEW.status, NEW.region_id, NEW.category_id, NEW.created_at, NEW.closed_at,
           NEW.clock_start, NEW.completed_at, NEW.completion_due_at, NEW.rating))
    EXECUTE FUNCTION case_tallies();
