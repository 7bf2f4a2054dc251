-- A city of a million cases (issue 18): what lists filter, sort and scope
-- by is kept on the case, indexed, instead of worked out per row.
-- (cases_area holds the status too: a board column of a community is one
-- range of it.)
--
-- area_path: the materialised path of the case's region, so an area's cases
-- are an index range ('/1/4/' <= area_path < '/1/40'), not a join through
-- every case of the city. Set by the insert that creates the case (or, when
-- it leaves it empty, by the trigger below); moving a region rewrites it.
-- Byte order ("C"), whatever the database's collation: the range relies on
-- '/' sorting just before '0', and stamps compare as text.
--
-- due_at / warn_at: the earliest due time and the earliest warning time of
-- the 13710 checkpoints still open (DeadlinePolicy::open_deadline); NULL
-- when none is open. "Overdue" is due_at < now, "due soon" warn_at < now.
-- completion_due_at: the completion deadline of the case's current (or
-- last) clock, extensions included, by which figures judge "on time". A
-- finished clock keeps the deadline it was judged by: a later change of the
-- calendar recomputes only the open cases.
-- Written with every change of the clock; the store fills them for the
-- existing cases after migrating (the rules live in Rust), see
-- deadlines_stale below.
ALTER TABLE cases ADD COLUMN area_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN due_at TEXT COLLATE "C";
ALTER TABLE cases ADD COLUMN warn_at TEXT COLLATE "C";
ALTER TABLE cases ADD COLUMN completion_due_at TEXT COLLATE "C";

UPDATE cases SET area_path = r.path FROM regions r WHERE r.id = cases.region_id;

CREATE FUNCTION cases_area() RETURNS trigger AS $$
BEGIN
    NEW.area_path := (SELECT r.path FROM regions r WHERE r.id = NEW.region_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_area_on_insert BEFORE INSERT ON cases
    FOR EACH ROW WHEN (NEW.area_path = '') EXECUTE FUNCTION cases_area();
CREATE TRIGGER cases_area_on_move BEFORE UPDATE OF region_id ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_area();

CREATE INDEX cases_area ON cases(area_path, status);
-- The recurrence check at intake: the same category closed in the same place.
CREATE INDEX cases_category_area ON cases(category_id, area_path);
CREATE INDEX cases_due ON cases(due_at);
CREATE INDEX cases_closed_at ON cases(closed_at);
CREATE INDEX cases_created ON cases(created_at);

INSERT INTO settings (key, value) VALUES ('deadlines_stale', 'migration 0016')
ON CONFLICT (key) DO NOTHING;

-- A counter of changes to the region tree, kept by the database itself, so
-- every instance can keep the tree in memory and reload it only when some
-- instance changed it (one indexed read per use instead of the whole tree).
CREATE TABLE region_changes (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO region_changes (id, n) VALUES (1, 0);
CREATE FUNCTION regions_changed() RETURNS trigger AS $$
BEGIN
    UPDATE region_changes SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER regions_changed AFTER INSERT OR UPDATE OR DELETE ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION regions_changed();
