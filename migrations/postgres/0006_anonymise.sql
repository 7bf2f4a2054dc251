-- When a closed case's resident contact details were removed.
ALTER TABLE cases ADD COLUMN anonymised_at TEXT;
