-- The store now reaches both databases through sqlx's Any driver, which
-- cannot read a column SQLite declares BOOLEAN. The same 0/1 values move to
-- INTEGER columns of the same name (PostgreSQL keeps real booleans).
ALTER TABLE regions ADD COLUMN retired_int INTEGER NOT NULL DEFAULT 0;
UPDATE regions SET retired_int = CASE WHEN retired THEN 1 ELSE 0 END;
ALTER TABLE regions DROP COLUMN retired;
ALTER TABLE regions RENAME COLUMN retired_int TO retired;
ALTER TABLE category_attributes ADD COLUMN required_int INTEGER NOT NULL DEFAULT 0;
UPDATE category_attributes SET required_int = CASE WHEN required THEN 1 ELSE 0 END;
ALTER TABLE category_attributes DROP COLUMN required;
ALTER TABLE category_attributes RENAME COLUMN required_int TO required;
ALTER TABLE party_orgs ADD COLUMN secretary_retired_int INTEGER NOT NULL DEFAULT 0;
UPDATE party_orgs SET secretary_retired_int = CASE WHEN secretary_retired THEN 1 ELSE 0 END;
ALTER TABLE party_orgs DROP COLUMN secretary_retired;
ALTER TABLE party_orgs RENAME COLUMN secretary_retired_int TO secretary_retired;
ALTER TABLE needs ADD COLUMN open_int INTEGER NOT NULL DEFAULT 1;
UPDATE needs SET open_int = CASE WHEN open THEN 1 ELSE 0 END;
ALTER TABLE needs DROP COLUMN open;
ALTER TABLE needs RENAME COLUMN open_int TO open;
