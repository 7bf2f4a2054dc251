-- The audit trail: every change, who made it, before and after. Each entry
-- carries the hash of the one before it, so editing or deleting a row breaks
-- the chain (`lianxin audit verify` finds where).
CREATE TABLE audit_log (
    -- Numbered by audit_head, not by a sequence.
    id BIGINT PRIMARY KEY,
    -- RFC 3339 text as hashed, so the hash never depends on a driver's date format.
    at TEXT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_log_actor ON audit_log(actor_user_id);

-- The head of the chain. Each entry updates it first, in the writer's
-- transaction, so concurrent writers queue on this row and the chain stays
-- one line on any database.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
