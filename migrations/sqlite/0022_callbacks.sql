-- Callbacks (回访, issue 20): the station phones residents whose case has
-- waited for a rating, records each call, and may record a rating given
-- by phone or in person on the resident's behalf.
--
-- awaiting_since: when the case last came to wait for a rating (NULL in
-- every other state); the callback list is the index range of it.
-- calls / call_concluded: the unanswered calls since then, and whether a
-- call settled it (wrong number, refusal); domain::Calls. Both start again
-- when the case comes back to wait after a rework.
-- rated_via: how the rating given reached the case (domain::RatingChannel).
-- Every rating before this was the resident's own, online.
ALTER TABLE cases ADD COLUMN awaiting_since TEXT;
ALTER TABLE cases ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN call_concluded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN rated_via TEXT;

UPDATE cases SET awaiting_since = COALESCE(
    (SELECT MAX(e.at) FROM case_events e WHERE e.case_id = cases.id AND e.to_status = 'awaiting_rating'),
    updated_at)
WHERE status = 'awaiting_rating';
UPDATE cases SET rated_via = 'online'
WHERE rating IN ('satisfied', 'fairly_satisfied', 'dissatisfied');

CREATE INDEX cases_awaiting ON cases(awaiting_since) WHERE awaiting_since IS NOT NULL;
