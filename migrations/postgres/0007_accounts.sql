-- Accounts an administrator manages: a reset or initial password must be
-- changed at the next sign-in; a disabled account cannot sign in but keeps
-- its history; raising session_epoch signs the account out everywhere
-- (sessions carry the epoch they were opened under).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at TEXT;
