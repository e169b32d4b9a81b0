-- Paired devices: each with its own token, of which only the SHA-256 (hex) is kept, and a scope
-- ('read' or 'control'). Revoked devices stay listed (revoked_at set) so the audit log's device
-- ids keep meaning something.

CREATE TABLE devices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'control')),
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER,
    revoked_at   INTEGER
);

-- Authentication events (pairing, refusals, revocations, rotations), newest kept: the store
-- prunes what is older than the last 10,000 on every append. No secret is ever written here.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    device_id   INTEGER,
    device_name TEXT,
    remote      TEXT,
    detail      TEXT    NOT NULL
);
