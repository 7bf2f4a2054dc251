-- Text messages to residents (短信通知, issue 20).
--
-- cases.notify: the resident agreed at intake to texts as the case moves;
-- they can stop them from their case page.
-- outbox: one row per message, written in the same transaction as the
-- case event that calls for it, so a message exists if and only if the
-- step does. It holds no phone number or text: the dispatcher reads the
-- number from the case when it sends, so anonymising the case leaves no
-- copy here, and a message whose case stopped texts or lost its number is
-- dropped rather than sent. lease_until is how several instances share the
-- work: a dispatcher claims due rows for a while, and a row whose claimant
-- died becomes due again when the lease runs out. Rows stay as the record
-- of what went out (state sent, gave_up or dropped).
ALTER TABLE cases ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    notice TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TEXT NOT NULL,
    lease_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX outbox_due ON outbox(due_at) WHERE state = 'pending';
CREATE INDEX outbox_case ON outbox(case_id);
