-- band's initial schema. Times are Unix milliseconds set by the store; JSON columns hold objects
-- serialized by band-store. Ids are AUTOINCREMENT so an id, once shown to a client, never names
-- another record.

CREATE TABLE projects (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    path           TEXT    NOT NULL UNIQUE,
    default_branch TEXT    NOT NULL,
    labels         TEXT    NOT NULL DEFAULT '{}',
    created_at     INTEGER NOT NULL
);

-- RESTRICT: forgetting a project must never orphan or silently drop its workspaces.
CREATE TABLE workspaces (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE RESTRICT,
    branch         TEXT    NOT NULL,
    base           TEXT    NOT NULL,
    path           TEXT    NOT NULL UNIQUE,
    branch_created BOOLEAN NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (project_id, branch)
);

CREATE TABLE chats (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent            TEXT    NOT NULL,
    model            TEXT,
    mode             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    labels           TEXT    NOT NULL DEFAULT '{}',
    status           TEXT    NOT NULL,
    agent_session_id TEXT,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX chats_workspace_id ON chats (workspace_id);

CREATE TABLE turns (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id            INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    started_seq        INTEGER NOT NULL,
    ended_seq          INTEGER,
    prompt             TEXT    NOT NULL,
    stop_reason        TEXT,
    error              TEXT,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL,
    duration_ms        INTEGER,
    started_at         INTEGER NOT NULL,
    ended_at           INTEGER
);
CREATE INDEX turns_chat_id ON turns (chat_id);

-- The primary key is the replay order; WITHOUT ROWID keeps each chat's events together on disk.
CREATE TABLE events (
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    payload TEXT    NOT NULL,
    PRIMARY KEY (chat_id, seq)
) WITHOUT ROWID;

CREATE TABLE queued_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX queued_messages_chat_id ON queued_messages (chat_id, position);
