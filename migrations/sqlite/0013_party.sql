-- Party building (党建引领): organisations on the region tree, dual
-- registration (双报到) of work units and in-service members, the need list
-- (需求清单), claim cards (认领卡) and the service logged against them.
CREATE TABLE party_orgs (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES party_orgs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    secretary TEXT NOT NULL,
    secretary_retired BOOLEAN NOT NULL DEFAULT FALSE,
    members INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX party_orgs_region ON party_orgs(region_id);

-- A work unit's party organisation, known city-wide once it registers anywhere.
CREATE TABLE work_units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    party_org TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    members INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE unit_registrations (
    id INTEGER PRIMARY KEY,
    work_unit_id INTEGER NOT NULL REFERENCES work_units(id),
    community_id INTEGER NOT NULL REFERENCES regions(id),
    status TEXT NOT NULL,
    receipt_no TEXT UNIQUE,
    registered_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER REFERENCES users(id),
    UNIQUE (work_unit_id, community_id)
);

-- The member's 登记表; the account (users.role = 'member') stays disabled
-- until the community confirms.
CREATE TABLE party_members (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    community_id INTEGER NOT NULL REFERENCES regions(id),
    work_unit_id INTEGER NOT NULL REFERENCES work_units(id),
    gender TEXT NOT NULL,
    birth_year INTEGER NOT NULL,
    phone TEXT NOT NULL,
    address TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    joined_party TEXT NOT NULL,
    skills TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    receipt_no TEXT UNIQUE,
    registered_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER REFERENCES users(id)
);
CREATE INDEX party_members_community ON party_members(community_id, status);

CREATE TABLE needs (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES regions(id),
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    open BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX needs_community ON needs(community_id);

CREATE TABLE need_claims (
    id INTEGER PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES needs(id),
    member_id INTEGER NOT NULL REFERENCES users(id),
    pledge TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by INTEGER REFERENCES users(id),
    evaluation TEXT,
    evaluation_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX need_claims_need ON need_claims(need_id);
CREATE INDEX need_claims_member ON need_claims(member_id);

CREATE TABLE service_logs (
    id INTEGER PRIMARY KEY,
    claim_id INTEGER NOT NULL REFERENCES need_claims(id),
    served_on TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX service_logs_claim ON service_logs(claim_id, served_on);
