-- Escalated items (市级统筹): several cases sharing one problem, taken up by
-- a lead unit with a long-term measure (长效机制). The linked cases keep
-- their own loop; each update on the item is noted on every linked case.
CREATE TABLE coordination_items (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    measure TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    -- The lowest region node holding every linked case, for access.
    region_id INTEGER NOT NULL REFERENCES regions(id),
    -- The station, when every linked case came through the same one.
    station_id INTEGER REFERENCES stations(id),
    status TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE coordination_updates (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES coordination_items(id),
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    by_user_id INTEGER REFERENCES users(id),
    by_label TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX coordination_updates_item ON coordination_updates(item_id);

ALTER TABLE cases ADD COLUMN item_id INTEGER REFERENCES coordination_items(id);
CREATE INDEX cases_item ON cases(item_id);
