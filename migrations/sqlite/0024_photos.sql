-- Photos with a case (照片, issue 20): the problem as reported, the work,
-- before and after (整改前后).
--
-- The pictures are kept in the photo store (a folder, or an S3 bucket for
-- several instances) under `object` (`object` + '.small' for the
-- thumbnail); the row is what access, the timeline and anonymisation go
-- by. A photo shows on the resident's page when it is theirs or when staff
-- made it public (no faces, plates or doors).
-- removed_at: anonymisation (the resident's photos, with their contact
-- data) or staff took it away. The sweep deletes the pictures and then
-- empties `object`, so a crash in between only means another try.
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    stage TEXT NOT NULL,
    by_resident INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id),
    public INTEGER NOT NULL DEFAULT 0,
    object TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX photos_case ON photos(case_id) WHERE removed_at IS NULL;
CREATE INDEX photos_to_sweep ON photos(id) WHERE removed_at IS NOT NULL AND object <> '';
