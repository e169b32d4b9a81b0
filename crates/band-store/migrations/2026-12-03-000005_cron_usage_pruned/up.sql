-- A cronjob's budget bounds all its runs, but only the newest 1,000 runs are kept: the usage of the
-- runs pruned is folded here first, per job, UTC day (days since 1970-01-01) and chat, so the job's
-- spending (usage by cronjob, its budget) never forgets them. Costs in millionths of a dollar.
CREATE TABLE cron_usage_pruned (
    job_id             INTEGER NOT NULL REFERENCES cron_jobs (id) ON DELETE CASCADE,
    day                INTEGER NOT NULL,
    chat_id            INTEGER NOT NULL,
    turns              INTEGER NOT NULL,
    costed_turns       INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL,
    PRIMARY KEY (job_id, day, chat_id)
) WITHOUT ROWID;
