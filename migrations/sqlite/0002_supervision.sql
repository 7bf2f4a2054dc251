-- 13710 reminders: one per case, clock, checkpoint and level, so a restarted
-- or second instance of the job never repeats one.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    clock_start TEXT NOT NULL,
    checkpoint TEXT NOT NULL,
    level TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (case_id, clock_start, checkpoint, level)
);

-- 督办函: numbered per year, e.g. 吕督〔2026〕7号.
CREATE TABLE supervision_letters (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,
    due TEXT NOT NULL,
    demand TEXT NOT NULL,
    reply_by TEXT NOT NULL,
    issued_by INTEGER REFERENCES users(id),
    office TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX supervision_letters_case ON supervision_letters(case_id);
