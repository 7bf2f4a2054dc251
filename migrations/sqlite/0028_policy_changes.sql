-- A counter of changes to the deadline policy (the day mode and the
-- calendar), kept by the database itself like region_changes: every instance
-- keeps the policy in memory and reads it again only after some instance, or
-- plain SQL, changed it (issue 22). Every transition computes due times with
-- it, so this saves reading a year of calendar days per transition.
CREATE TABLE policy_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO policy_changes (id, n) VALUES (1, 0);
CREATE TRIGGER calendar_changed_insert AFTER INSERT ON calendar_days
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_changed_update AFTER UPDATE ON calendar_days
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER calendar_changed_delete AFTER DELETE ON calendar_days
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER day_mode_changed_insert AFTER INSERT ON settings WHEN NEW.key = 'day_mode'
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER day_mode_changed_update AFTER UPDATE ON settings
WHEN NEW.key = 'day_mode' OR OLD.key = 'day_mode'
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER day_mode_changed_delete AFTER DELETE ON settings WHEN OLD.key = 'day_mode'
BEGIN UPDATE policy_changes SET n = n + 1 WHERE id = 1; END;
