-- Mail for staff (issue 20): an address and whether they want the daily
-- digest of what waits for them (每日待办摘要).
--
-- digest_day: the China-time day (YYYY-MM-DD) whose digest an instance has
-- claimed for the user; an instance claims a day by moving it forward, so
-- several instances send each digest once, and gives it back when the mail
-- server failed for a while.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN digest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN digest_day TEXT;
CREATE INDEX users_digest ON users(digest_day) WHERE digest = 1;
