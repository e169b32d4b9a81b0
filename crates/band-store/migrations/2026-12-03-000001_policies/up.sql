-- Policies: the rules one scope sets, one row per scope ('global', 'project:<id>',
-- 'workspace:<id>', 'chat:<id>'), as KEY=VALUE lines band-core parses. No foreign key: a rule
-- names ids, and the rows of a removed project, workspace or chat are harmless (ids are never reused).
CREATE TABLE policies (
    scope      TEXT    PRIMARY KEY NOT NULL,
    rules      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The audit of agent actions: tool calls with their decision and decider, cronjob runs, policy
-- changes, refused turns. Pruned to a bounded count in the transaction of each append; it
-- outlives the chats it names (no foreign keys).
CREATE TABLE agent_actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    chat_id      INTEGER,
    workspace_id INTEGER,
    tool         TEXT,
    decision     TEXT,
    decider      TEXT,
    rule         TEXT,
    detail       TEXT    NOT NULL
);
CREATE INDEX agent_actions_chat ON agent_actions (chat_id, id);
CREATE INDEX agent_actions_workspace ON agent_actions (workspace_id, id);
CREATE INDEX agent_actions_at ON agent_actions (at);
