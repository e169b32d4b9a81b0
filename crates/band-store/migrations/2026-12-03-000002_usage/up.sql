-- Usage reports (issue 11): each turn's model, and two roll-ups kept in the transaction of the
-- events that change them, so a report reads a row per chat, model and day rather than every
-- turn or event.
ALTER TABLE turns ADD COLUMN model TEXT;

-- Ended turns per UTC day (days since 1970-01-01), chat and model ('' for the agent's default).
-- Costs in millionths of a dollar, each turn's rounded, so sums are exact.
CREATE TABLE usage_daily (
    day                INTEGER NOT NULL,
    chat_id            INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    model              TEXT    NOT NULL,
    turns              INTEGER NOT NULL,
    costed_turns       INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cost_micros        INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL,
    PRIMARY KEY (day, chat_id, model)
) WITHOUT ROWID;
CREATE INDEX usage_daily_chat ON usage_daily (chat_id, day);

-- Tool calls per UTC day, chat and tool name (as the agent calls it; older events give their kind).
CREATE TABLE tool_daily (
    day     INTEGER NOT NULL,
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    tool    TEXT    NOT NULL,
    calls   INTEGER NOT NULL,
    PRIMARY KEY (day, chat_id, tool)
) WITHOUT ROWID;
CREATE INDEX tool_daily_chat ON tool_daily (chat_id, day);

-- What was there before: every ended turn, and every tool call.
INSERT INTO usage_daily
SELECT ended_at / 86400000, chat_id, '', COUNT(*), COUNT(cost_usd), SUM(input_tokens), SUM(output_tokens),
       SUM(cache_read_tokens), SUM(cache_write_tokens), COALESCE(SUM(CAST(ROUND(cost_usd * 1000000) AS INTEGER)), 0),
       COALESCE(SUM(duration_ms), 0)
FROM turns WHERE ended_seq IS NOT NULL AND ended_at IS NOT NULL
GROUP BY 1, 2;
INSERT INTO tool_daily
SELECT at / 86400000, chat_id, COALESCE(json_extract(payload, '$.tool'), json_extract(payload, '$.kind'), 'other'), COUNT(*)
FROM events WHERE kind = 'tool_call'
GROUP BY 1, 2, 3;
