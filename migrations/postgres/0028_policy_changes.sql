-- A counter of changes to the deadline policy (the day mode and the
-- calendar), kept by the database itself like region_changes: every instance
-- keeps the policy in memory and reads it again only after some instance, or
-- plain SQL, changed it (issue 22). Every transition computes due times with
-- it, so this saves reading a year of calendar days per transition.
CREATE TABLE policy_changes (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO policy_changes (id, n) VALUES (1, 0);
CREATE FUNCTION policy_changed() RETURNS trigger AS $$
BEGIN
    UPDATE policy_changes SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER calendar_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION policy_changed();
-- Only the day mode among the settings: the others are no part of the policy.
CREATE TRIGGER day_mode_inserted AFTER INSERT ON settings
    FOR EACH ROW WHEN (NEW.key = 'day_mode') EXECUTE FUNCTION policy_changed();
CREATE TRIGGER day_mode_updated AFTER UPDATE ON settings
    FOR EACH ROW WHEN (NEW.key = 'day_mode' OR OLD.key = 'day_mode') EXECUTE FUNCTION policy_changed();
CREATE TRIGGER day_mode_deleted AFTER DELETE ON settings
    FOR EACH ROW WHEN (OLD.key = 'day_mode') EXECUTE FUNCTION policy_changed();
