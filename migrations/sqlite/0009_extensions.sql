-- A unit's request for more time (延期) on the completion checkpoint of one
-- clock; the deadline moves only once a supervisor approves.
CREATE TABLE extensions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    clock_start TEXT NOT NULL,
    days INTEGER NOT NULL,
    reason TEXT NOT NULL,
    requested_by INTEGER REFERENCES users(id),
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX extensions_case ON extensions (case_id, clock_start);
