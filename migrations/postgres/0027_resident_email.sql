-- A resident may give an e-mail address for the messages about their case
-- (issue 20): they then go by mail when the city sends mail, else by text.
-- Personal data like the number: anonymisation empties it.
ALTER TABLE cases ADD COLUMN resident_email TEXT NOT NULL DEFAULT '';
