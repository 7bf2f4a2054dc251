-- Open311 GeoReport v2.

-- Where a compound lies, so a report with only coordinates finds its place.
ALTER TABLE regions ADD COLUMN lat REAL;
ALTER TABLE regions ADD COLUMN lon REAL;

-- Extra fields of a category, published as the service definition's attributes.
CREATE TABLE category_attributes (
    id INTEGER PRIMARY KEY,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    code TEXT NOT NULL,
    datatype TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL,
    -- JSON array of [key, name] pairs for the list datatypes.
    choices TEXT NOT NULL DEFAULT '[]',
    UNIQUE (category_id, code)
);

-- Keys of Open311 clients. Only a hash is kept: the key is shown once.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);

-- What came with a request through the API, kept private; the token lets the
-- client ask for the request's id later.
CREATE TABLE open311_requests (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    token TEXT NOT NULL UNIQUE,
    api_key_id INTEGER NOT NULL REFERENCES api_keys(id),
    email TEXT NOT NULL DEFAULT '',
    device_id TEXT NOT NULL DEFAULT '',
    account_id TEXT NOT NULL DEFAULT '',
    media_url TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL,
    attributes TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
