-- Figures by SQL (issue 18): the acknowledgement deadline of the case's
-- current (or last) 13710 clock, beside completion_due_at, so "acknowledged
-- in time" is a comparison the database makes
-- (DeadlinePolicy::acknowledge_due). Written with every change of the
-- clock; the store fills it for the existing cases after migrating.
ALTER TABLE cases ADD COLUMN acknowledge_due_at TEXT COLLATE "C";

INSERT INTO settings (key, value) VALUES ('deadlines_stale', 'migration 0018')
ON CONFLICT (key) DO NOTHING;
