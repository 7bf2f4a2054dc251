-- Micro-wishes (微心愿): a resident's small wish, published on the public
-- wish wall, claimed by one party member or unit at a time.
CREATE TABLE wishes (
    id INTEGER PRIMARY KEY,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    resident_name TEXT NOT NULL,
    resident_phone TEXT NOT NULL,
    status TEXT NOT NULL,
    claimant TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX wishes_status ON wishes(status);

CREATE TABLE wish_events (
    id INTEGER PRIMARY KEY,
    wish_id INTEGER NOT NULL REFERENCES wishes(id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor_label TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX wish_events_wish ON wish_events(wish_id);
