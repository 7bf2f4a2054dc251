-- Lianxin schema, SQLite dialect. Kept to SQL that PostgreSQL also speaks,
-- except for the id columns, so the PostgreSQL migrations differ only there.

CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES regions(id),
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Materialised path '/1/4/9/' so a subtree is one LIKE away on any database.
    path TEXT NOT NULL,
    retired BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX regions_parent ON regions(parent_id);
CREATE INDEX regions_path ON regions(path);

CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL
);

CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    address TEXT NOT NULL DEFAULT ''
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    default_tier TEXT NOT NULL,
    default_unit_id INTEGER REFERENCES units(id),
    deadline_class TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    region_id INTEGER REFERENCES regions(id),
    unit_id INTEGER REFERENCES units(id),
    station_id INTEGER REFERENCES stations(id),
    created_at TEXT NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    pin TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    station_id INTEGER REFERENCES stations(id),
    source TEXT NOT NULL,
    resident_name TEXT NOT NULL,
    resident_phone TEXT NOT NULL,
    status TEXT NOT NULL,
    route TEXT,
    tier TEXT,
    unit_id INTEGER REFERENCES units(id),
    deadline_class TEXT NOT NULL,
    clock_start TEXT,
    acknowledged_at TEXT,
    progress_at TEXT,
    completed_at TEXT,
    result TEXT,
    rating TEXT,
    rework_count INTEGER NOT NULL DEFAULT 0,
    closed_at TEXT,
    merged_into TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Optimistic concurrency: every write bumps it, a stale write changes nothing.
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_region ON cases(region_id);
CREATE INDEX cases_unit ON cases(unit_id);
CREATE INDEX cases_status ON cases(status);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor_label TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id);

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
