-- Nothing to do: PostgreSQL's booleans are read as booleans (the SQLite
-- migration of the same number moves its BOOLEAN columns to INTEGER).
SELECT 1;
