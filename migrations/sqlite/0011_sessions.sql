-- Station sessions (接待日): leaders and deputies receive residents at a
-- liaison station on a published date; what they hear is registered against
-- the session and what they promise is kept as a commitment.
ALTER TABLE stations ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '';

-- The deputies attached to a station and the leaders assigned to it under
-- the regular-visit system (定期深入基层人大代表联络站点联系群众制度).
CREATE TABLE station_members (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    PRIMARY KEY (station_id, user_id)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    residents_present INTEGER,
    minutes TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX sessions_station ON sessions(station_id, starts_at);

CREATE TABLE session_attendees (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    case_id INTEGER REFERENCES cases(id),
    text TEXT NOT NULL,
    due_on TEXT NOT NULL,
    delivered_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX commitments_session ON commitments(session_id);

ALTER TABLE cases ADD COLUMN session_id INTEGER REFERENCES sessions(id);
ALTER TABLE cases ADD COLUMN heard_by INTEGER REFERENCES users(id);
CREATE INDEX cases_session ON cases(session_id);
