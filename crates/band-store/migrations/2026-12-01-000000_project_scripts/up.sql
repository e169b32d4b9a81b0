-- A project's configuration and scripts: the script hashes the user approved for each project
-- (scripts run only when their exact content was approved), band's override of a project's
-- `.band/config.json`, and each workspace's setup and teardown runs with their output (the last
-- 256 KiB). Approvals and the override go with their project, runs with their workspace.

CREATE TABLE project_trust (
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scripts_hash TEXT    NOT NULL,
    approved_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, scripts_hash)
) WITHOUT ROWID;

CREATE TABLE project_config_overrides (
    project_id INTEGER PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    document   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE script_runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('setup', 'teardown')),
    status       TEXT    NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed-out', 'stopped')),
    exit_code    INTEGER,
    error        TEXT,
    output       TEXT    NOT NULL DEFAULT '',
    output_len   INTEGER NOT NULL DEFAULT 0,
    scripts_hash TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER
);
CREATE INDEX script_runs_workspace_id ON script_runs (workspace_id);
