-- Cronjobs: a prompt sent on a schedule into a chat, a new chat of a workspace, or a new workspace
-- of a project. `schedule` is 'every <ms>' or 'cron <zone> <expression>'; `target` is
-- 'chat <id>', 'workspace <id>' or 'new_workspace <project id>'. The target is not a foreign key:
-- a job outlives its chat, and its next run records that it is gone.

CREATE TABLE cron_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    prompt      TEXT    NOT NULL,
    schedule    TEXT    NOT NULL CHECK (schedule LIKE 'every %' OR schedule LIKE 'cron %'),
    target      TEXT    NOT NULL CHECK (target LIKE 'chat %' OR target LIKE 'workspace %' OR target LIKE 'new_workspace %'),
    agent       TEXT,
    mode        TEXT,
    enabled     BOOLEAN NOT NULL,
    if_busy     TEXT    NOT NULL CHECK (if_busy IN ('queue', 'skip')),
    if_missed   TEXT    NOT NULL CHECK (if_missed IN ('skip', 'run-once')),
    next_run_at INTEGER,
    last_run_at INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Each job's runs, the newest 1,000 kept (pruned by the store on each insert). `usage` is the
-- turn's usage as JSON: {"input":N,"output":N,"cacheRead":N,"cacheWrite":N,"costUsd":X|null}.
CREATE TABLE cron_runs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    job_id             INTEGER NOT NULL REFERENCES cron_jobs (id) ON DELETE CASCADE,
    trigger            TEXT    NOT NULL,
    scheduled_at       INTEGER NOT NULL,
    at                 INTEGER NOT NULL,
    outcome            TEXT    NOT NULL,
    detail             TEXT,
    workspace_id       INTEGER,
    chat_id            INTEGER,
    seq                INTEGER,
    queued_id          INTEGER,
    turn_id            INTEGER,
    usage              TEXT    NOT NULL,
    duration_ms        INTEGER,
    ended_at           INTEGER
);

CREATE INDEX cron_runs_by_job ON cron_runs (job_id, id);
CREATE INDEX cron_runs_open ON cron_runs (outcome) WHERE outcome IN ('queued', 'running');
