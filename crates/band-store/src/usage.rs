//! Usage reports ([`TurnLog::usage_report`](band_core::ports::TurnLog::usage_report),
//! [`TurnLog::turn_usage`](band_core::ports::TurnLog::turn_usage)) and the two roll-ups they read.
//!
//! `usage_daily` (ended turns per UTC day, chat and model) and `tool_daily` (tool calls per UTC
//! day, chat and tool) are kept by [`crate::events`]'s projection, in the transaction of the
//! events that change them, so a report reads one row per chat, model and day instead of every
//! turn: a year of a busy server is thousands of rows, however many turns it ran. Costs are kept
//! in millionths of a dollar, each turn's rounded, so sums are exact and every store adds up the
//! same. Queries are written in SQL (grouping over joins); the only values put into their text
//! are integers from typed filters.

use band_core::{
    ChatId, Millis, StoreError, ToolUse, Turn, TurnId, TurnUsage, Usage, UsageBy, UsageFilter, UsageGroup, UsageReport,
    UsageTotals, WorkspaceId, utc_day,
};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::errors::from_diesel;

/// A new turn's model: the chat's previous turn's (the agent's report outlives a turn); for a
/// first turn, the model the agent reported before it (an ACP agent's session says so before any
/// prompt); else the chat's configured one.
pub(crate) fn model_of_new_turn(conn: &mut SqliteConnection, chat: i64) -> Result<Option<String>, StoreError> {
    use crate::schema::{chats, events, turns};
    let previous = turns::table
        .filter(turns::chat_id.eq(chat))
        .order(turns::id.desc())
        .select(turns::model)
        .first::<Option<String>>(conn)
        .optional()
        .map_err(from_diesel)?;
    let reported = match previous {
        Some(model) => model,
        // No turn yet: the chat's log is short, its last session info is cheap to find.
        None => events::table
            .filter(events::chat_id.eq(chat))
            .filter(events::kind.eq("session_info"))
            .order(events::seq.desc())
            .select(events::payload)
            .first::<String>(conn)
            .optional()
            .map_err(from_diesel)?
            .and_then(|json| match crate::payload::decode("session_info", &json) {
                Ok(band_core::EventPayload::Update(band_core::AgentUpdate::SessionInfo { current_model, .. })) => {
                    current_model
                }
                _ => None,
            }),
    };
    if reported.is_some() {
        return Ok(reported);
    }
    chats::table
        .find(chat)
        .select(chats::model)
        .first::<Option<String>>(conn)
        .optional()
        .map_err(from_diesel)
        .map(Option::flatten)
}

/// The agent reported its model: the open turn ran on it.
pub(crate) fn set_open_turn_model(conn: &mut SqliteConnection, chat: i64, model: &str) -> Result<(), StoreError> {
    use crate::schema::turns;
    diesel::update(turns::table.filter(turns::chat_id.eq(chat)).filter(turns::ended_seq.is_null()))
        .set(turns::model.eq(model))
        .execute(conn)
        .map(drop)
        .map_err(from_diesel)
}

/// A turn's cost in millionths of a dollar (none reported: none).
pub(crate) fn micros(cost: Option<f64>) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)]
    cost.filter(|c| c.is_finite()).map(|c| (c.max(0.0) * 1e6).round() as i64)
}

#[allow(clippy::cast_possible_wrap)]
fn db(n: u64) -> i64 {
    n as i64
}

#[allow(clippy::cast_sign_loss)]
fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// Adds an ended turn to its day's row.
pub(crate) fn add_turn(
    conn: &mut SqliteConnection,
    chat: i64,
    ended_at: Millis,
    model: &str,
    usage: &Usage,
    duration_ms: i64,
) -> Result<(), StoreError> {
    let cost = micros(usage.cost_usd);
    diesel::sql_query(
        "INSERT INTO usage_daily (day, chat_id, model, turns, costed_turns, input_tokens, output_tokens, \
         cache_read_tokens, cache_write_tokens, cost_micros, duration_ms) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (day, chat_id, model) DO UPDATE SET turns = turns + 1, \
         costed_turns = costed_turns + excluded.costed_turns, input_tokens = input_tokens + excluded.input_tokens, \
         output_tokens = output_tokens + excluded.output_tokens, \
         cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, \
         cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, \
         cost_micros = cost_micros + excluded.cost_micros, duration_ms = duration_ms + excluded.duration_ms",
    )
    .bind::<BigInt, _>(utc_day(ended_at))
    .bind::<BigInt, _>(chat)
    .bind::<Text, _>(model)
    .bind::<BigInt, _>(i64::from(cost.is_some()))
    .bind::<BigInt, _>(db(usage.input_tokens))
    .bind::<BigInt, _>(db(usage.output_tokens))
    .bind::<BigInt, _>(db(usage.cache_read_tokens))
    .bind::<BigInt, _>(db(usage.cache_write_tokens))
    .bind::<BigInt, _>(cost.unwrap_or(0))
    .bind::<BigInt, _>(duration_ms.max(0))
    .execute(conn)
    .map(drop)
    .map_err(from_diesel)
}

/// Counts a tool call on its day.
pub(crate) fn add_tool_call(conn: &mut SqliteConnection, chat: i64, at: Millis, tool: &str) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO tool_daily (day, chat_id, tool, calls) VALUES (?, ?, ?, 1) \
         ON CONFLICT (day, chat_id, tool) DO UPDATE SET calls = calls + 1",
    )
    .bind::<BigInt, _>(utc_day(at))
    .bind::<BigInt, _>(chat)
    .bind::<Text, _>(if tool.is_empty() { "other" } else { tool })
    .execute(conn)
    .map(drop)
    .map_err(from_diesel)
}

#[derive(QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    turns: i64,
    #[diesel(sql_type = BigInt)]
    costed: i64,
    #[diesel(sql_type = BigInt)]
    input: i64,
    #[diesel(sql_type = BigInt)]
    output: i64,
    #[diesel(sql_type = BigInt)]
    cache_read: i64,
    #[diesel(sql_type = BigInt)]
    cache_write: i64,
    #[diesel(sql_type = BigInt)]
    cost: i64,
    #[diesel(sql_type = BigInt)]
    duration: i64,
}

impl GroupRow {
    fn totals(&self) -> UsageTotals {
        totals(
            self.turns,
            self.costed,
            [self.input, self.output, self.cache_read, self.cache_write],
            self.cost,
            self.duration,
        )
    }
}

fn totals(turns: i64, costed: i64, tokens: [i64; 4], cost_micros: i64, duration_ms: i64) -> UsageTotals {
    #[allow(clippy::cast_precision_loss)]
    let cost_usd = (costed > 0).then(|| cost_micros as f64 / 1e6);
    UsageTotals {
        turns: count(turns),
        usage: Usage {
            input_tokens: count(tokens[0]),
            output_tokens: count(tokens[1]),
            cache_read_tokens: count(tokens[2]),
            cache_write_tokens: count(tokens[3]),
            cost_usd,
        },
        duration_ms,
    }
}

#[derive(QueryableByName)]
struct ToolRow {
    #[diesel(sql_type = Text)]
    tool: String,
    #[diesel(sql_type = BigInt)]
    calls: i64,
}

/// The WHERE conditions of `filter` on a table aliased `u` with a `day` column (and `chats c`,
/// `workspaces w` joined).
fn conditions(filter: &UsageFilter, day: &str) -> String {
    let mut out = vec!["1 = 1".to_owned()];
    if let Some(d) = filter.from_day {
        out.push(format!("{day} >= {d}"));
    }
    if let Some(d) = filter.to_day {
        out.push(format!("{day} <= {d}"));
    }
    if let Some(p) = filter.project {
        out.push(format!("w.project_id = {}", p.0));
    }
    if let Some(w) = filter.workspace {
        out.push(format!("c.workspace_id = {}", w.0));
    }
    if let Some(c) = filter.chat {
        out.push(format!("c.id = {}", c.0));
    }
    out.join(" AND ")
}

const JOINS: &str = "JOIN chats c ON c.id = u.chat_id JOIN workspaces w ON w.id = c.workspace_id \
                     JOIN projects p ON p.id = w.project_id";

const SUMS: &str = "SUM(u.turns) AS turns, SUM(u.costed_turns) AS costed, SUM(u.input_tokens) AS input, \
                    SUM(u.output_tokens) AS output, SUM(u.cache_read_tokens) AS cache_read, \
                    SUM(u.cache_write_tokens) AS cache_write, SUM(u.cost_micros) AS cost, \
                    SUM(u.duration_ms) AS duration";

pub(crate) fn report(conn: &mut SqliteConnection, by: UsageBy, filter: UsageFilter) -> Result<UsageReport, StoreError> {
    let (key, label) = match by {
        UsageBy::Chat => ("CAST(c.id AS TEXT)", "p.name || '/' || w.branch || ' · ' || c.name"),
        UsageBy::Workspace => ("CAST(w.id AS TEXT)", "p.name || '/' || w.branch"),
        UsageBy::Project => ("CAST(p.id AS TEXT)", "p.name"),
        UsageBy::Agent => ("c.agent", "c.agent"),
        UsageBy::Model => ("u.model", "CASE WHEN u.model = '' THEN 'default' ELSE u.model END"),
        UsageBy::Day => ("date(u.day * 86400, 'unixepoch')", "date(u.day * 86400, 'unixepoch')"),
        UsageBy::Cronjob => ("", ""),
    };
    let sql = if by == UsageBy::Cronjob {
        cronjob_sql(&filter)
    } else {
        format!(
            "SELECT {key} AS key, MIN({label}) AS label, {SUMS} FROM usage_daily u {JOINS} WHERE {} GROUP BY 1",
            conditions(&filter, "u.day")
        )
    };
    let mut rows = diesel::sql_query(sql).load::<GroupRow>(conn).map_err(from_diesel)?;
    sort(by, &mut rows);
    let groups: Vec<UsageGroup> =
        rows.iter().map(|r| UsageGroup { key: r.key.clone(), label: r.label.clone(), totals: r.totals() }).collect();
    let total = rows.iter().fold(GroupRow::zero(), GroupRow::add).totals();
    let tools = diesel::sql_query(format!(
        "SELECT u.tool AS tool, SUM(u.calls) AS calls FROM tool_daily u {JOINS} WHERE {} GROUP BY 1 \
         ORDER BY 2 DESC, 1",
        conditions(&filter, "u.day")
    ))
    .load::<ToolRow>(conn)
    .map_err(from_diesel)?
    .into_iter()
    .map(|t| ToolUse { tool: t.tool, calls: count(t.calls) })
    .collect();
    Ok(UsageReport { groups, total, tools })
}

/// Cronjob runs that started a turn, by job: their recorded usage (JSON, as `crate::cronjobs`
/// keeps it) on the day the run ended, and what the runs pruned since had spent
/// (`cron_usage_pruned`, folded the same way).
fn cronjob_sql(filter: &UsageFilter) -> String {
    let cost = "CAST(ROUND(COALESCE(json_extract(r.usage, '$.costUsd'), 0) * 1000000) AS INTEGER)";
    format!(
        "SELECT CAST(j.id AS TEXT) AS key, MIN(j.key) AS label, SUM(u.turns) AS turns, SUM(u.costed) AS costed, \
         SUM(u.input) AS input, SUM(u.output) AS output, SUM(u.cache_read) AS cache_read, \
         SUM(u.cache_write) AS cache_write, SUM(u.cost) AS cost, SUM(u.duration) AS duration \
         FROM (SELECT r.job_id, r.chat_id, r.ended_at / 86400000 AS day, 1 AS turns, \
                      json_extract(r.usage, '$.costUsd') IS NOT NULL AS costed, \
                      COALESCE(json_extract(r.usage, '$.input'), 0) AS input, \
                      COALESCE(json_extract(r.usage, '$.output'), 0) AS output, \
                      COALESCE(json_extract(r.usage, '$.cacheRead'), 0) AS cache_read, \
                      COALESCE(json_extract(r.usage, '$.cacheWrite'), 0) AS cache_write, \
                      {cost} AS cost, COALESCE(r.duration_ms, 0) AS duration \
               FROM cron_runs r WHERE r.turn_id IS NOT NULL AND r.ended_at IS NOT NULL \
               UNION ALL \
               SELECT job_id, chat_id, day, turns, costed_turns, input_tokens, output_tokens, cache_read_tokens, \
                      cache_write_tokens, cost_micros, duration_ms FROM cron_usage_pruned) u \
         JOIN cron_jobs j ON j.id = u.job_id JOIN chats c ON c.id = u.chat_id \
         JOIN workspaces w ON w.id = c.workspace_id \
         WHERE {} GROUP BY j.id",
        conditions(filter, "u.day")
    )
}

impl GroupRow {
    fn zero() -> Self {
        Self {
            key: String::new(),
            label: String::new(),
            turns: 0,
            costed: 0,
            input: 0,
            output: 0,
            cache_read: 0,
            cache_write: 0,
            cost: 0,
            duration: 0,
        }
    }

    fn add(self, r: &Self) -> Self {
        Self {
            turns: self.turns + r.turns,
            costed: self.costed + r.costed,
            input: self.input + r.input,
            output: self.output + r.output,
            cache_read: self.cache_read + r.cache_read,
            cache_write: self.cache_write + r.cache_write,
            cost: self.cost + r.cost,
            duration: self.duration + r.duration,
            ..self
        }
    }
}

/// Days in order; anything else by cost, then tokens, then key.
fn sort(by: UsageBy, rows: &mut [GroupRow]) {
    if by == UsageBy::Day {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        let tokens = |r: &GroupRow| r.input + r.output + r.cache_read + r.cache_write;
        rows.sort_by(|a, b| b.cost.cmp(&a.cost).then(tokens(b).cmp(&tokens(a))).then(a.key.cmp(&b.key)));
    }
}

#[derive(QueryableByName)]
struct TurnUsageRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    chat_id: i64,
    #[diesel(sql_type = BigInt)]
    workspace_id: i64,
    #[diesel(sql_type = Text)]
    agent: String,
    #[diesel(sql_type = Text)]
    prompt: String,
    #[diesel(sql_type = BigInt)]
    started_seq: i64,
    #[diesel(sql_type = BigInt)]
    ended_seq: i64,
    #[diesel(sql_type = BigInt)]
    started_at: i64,
    #[diesel(sql_type = BigInt)]
    ended_at: i64,
    #[diesel(sql_type = Nullable<Text>)]
    stop_reason: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    error: Option<String>,
    #[diesel(sql_type = BigInt)]
    input_tokens: i64,
    #[diesel(sql_type = BigInt)]
    output_tokens: i64,
    #[diesel(sql_type = BigInt)]
    cache_read_tokens: i64,
    #[diesel(sql_type = BigInt)]
    cache_write_tokens: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    cost_usd: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    model: Option<String>,
}

pub(crate) fn turns(
    conn: &mut SqliteConnection,
    filter: UsageFilter,
    limit: usize,
    before: Option<TurnId>,
) -> Result<Vec<TurnUsage>, StoreError> {
    let mut cond = conditions(&filter, "(u.ended_at / 86400000)");
    if let Some(b) = before {
        cond.push_str(&format!(" AND u.id < {}", b.0));
    }
    let rows = diesel::sql_query(format!(
        "SELECT u.id, u.chat_id, c.workspace_id, c.agent, u.prompt, u.started_seq, u.ended_seq, u.started_at, \
         u.ended_at, u.stop_reason, u.error, u.input_tokens, u.output_tokens, u.cache_read_tokens, \
         u.cache_write_tokens, u.cost_usd, u.model \
         FROM turns u JOIN chats c ON c.id = u.chat_id JOIN workspaces w ON w.id = c.workspace_id \
         WHERE u.ended_seq IS NOT NULL AND u.ended_at IS NOT NULL AND {cond} ORDER BY u.id DESC LIMIT {}",
        i64::try_from(limit).unwrap_or(i64::MAX)
    ))
    .load::<TurnUsageRow>(conn)
    .map_err(from_diesel)?;
    rows.into_iter()
        .map(|r| {
            let tools = turn_tools(conn, r.chat_id, r.started_seq, r.ended_seq)?;
            let stop_reason = r.stop_reason.as_deref().and_then(band_core::StopReason::parse);
            let turn = Turn {
                id: TurnId(r.id),
                chat_id: ChatId(r.chat_id),
                prompt: r.prompt,
                started_seq: crate::to_u64(r.started_seq),
                started_at: r.started_at,
                ended_seq: Some(crate::to_u64(r.ended_seq)),
                ended_at: Some(r.ended_at),
                outcome: Some(band_core::TurnOutcome {
                    stop_reason,
                    error: r.error,
                    usage: Usage {
                        input_tokens: count(r.input_tokens),
                        output_tokens: count(r.output_tokens),
                        cache_read_tokens: count(r.cache_read_tokens),
                        cache_write_tokens: count(r.cache_write_tokens),
                        cost_usd: r.cost_usd,
                    },
                }),
                model: r.model,
            };
            Ok(TurnUsage { turn, workspace_id: WorkspaceId(r.workspace_id), agent: r.agent, tools })
        })
        .collect()
}

/// A turn's tool calls, from its events (one range of the chat's primary key).
fn turn_tools(conn: &mut SqliteConnection, chat: i64, from: i64, to: i64) -> Result<Vec<ToolUse>, StoreError> {
    Ok(diesel::sql_query(
        "SELECT COALESCE(NULLIF(json_extract(payload, '$.tool'), ''), NULLIF(json_extract(payload, '$.kind'), ''), 'other') AS tool, \
         COUNT(*) AS calls FROM events WHERE chat_id = ? AND seq BETWEEN ? AND ? AND kind = 'tool_call' \
         GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    .bind::<BigInt, _>(chat)
    .bind::<BigInt, _>(from)
    .bind::<BigInt, _>(to)
    .load::<ToolRow>(conn)
    .map_err(from_diesel)?
    .into_iter()
    .map(|t| ToolUse { tool: t.tool, calls: count(t.calls) })
    .collect())
}
