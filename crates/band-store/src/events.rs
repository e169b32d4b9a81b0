//! [`EventLog`] on the `events` table and [`TurnLog`] on the `turns` table, which
//! [`EventLog::append_events`] keeps as a projection of the log.
//!
//! A chat's events are the primary-key range `(chat_id, 1..=last_seq)` of a `WITHOUT ROWID`
//! table: appending is inserting at the end of the range, a page is one index range scan in
//! either direction. Each batch is one transaction on the write connection; its statements are
//! prepared once per connection and cached by diesel (updates excepted: diesel never caches
//! those, and a batch runs one per chat).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use async_trait::async_trait;
use band_core::ports::{EventLog, TurnLog, UsageScope};
use band_core::{
    AgentUpdate, ChatEvent, ChatId, ChatStatus, EventPayload, StopReason, StoreError, Turn, TurnId, TurnOutcome,
    TurnUsage, Usage, UsageBy, UsageFilter, UsageReport, UsageTotals,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, internal};
use crate::schema::{chats, events, turns, workspaces};
use crate::{SqliteStore, now, payload, queue, to_i64, to_u64, transaction, usage};

#[derive(Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::sqlite::Sqlite))]
struct EventRow {
    chat_id: i64,
    seq: i64,
    at: i64,
    kind: String,
    payload: String,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEventRow<'a> {
    chat_id: i64,
    seq: i64,
    at: i64,
    kind: &'static str,
    payload: &'a str,
}

impl TryFrom<EventRow> for ChatEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        let payload = payload::decode(&row.kind, &row.payload)
            .map_err(|e| internal(format!("corrupt row in events (chat {}, seq {}): {e}", row.chat_id, row.seq)))?;
        Ok(ChatEvent { chat_id: ChatId(row.chat_id), seq: to_u64(row.seq), at: row.at, payload })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = turns, check_for_backend(diesel::sqlite::Sqlite))]
struct TurnRow {
    id: i64,
    chat_id: i64,
    started_seq: i64,
    ended_seq: Option<i64>,
    prompt: String,
    stop_reason: Option<String>,
    error: Option<String>,
    input_tokens: i64,
    output_tokens: i64,
    cache_read_tokens: i64,
    cache_write_tokens: i64,
    cost_usd: Option<f64>,
    started_at: i64,
    ended_at: Option<i64>,
    model: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = turns)]
struct NewTurnRow<'a> {
    chat_id: i64,
    started_seq: i64,
    prompt: &'a str,
    started_at: i64,
    model: Option<&'a str>,
}

#[derive(AsChangeset)]
#[diesel(table_name = turns, treat_none_as_null = true)]
struct TurnEndRow<'a> {
    ended_seq: i64,
    ended_at: i64,
    duration_ms: i64,
    stop_reason: Option<&'static str>,
    error: Option<&'a str>,
    input_tokens: i64,
    output_tokens: i64,
    cache_read_tokens: i64,
    cache_write_tokens: i64,
    cost_usd: Option<f64>,
}

/// What appending changes on a chat's row, once per chat and batch. `None`: left as it is.
#[derive(AsChangeset)]
#[diesel(table_name = chats)]
struct ChatProjection<'a> {
    last_seq: i64,
    updated_at: i64,
    status: Option<&'static str>,
    agent_session_id: Option<&'a str>,
}

impl TryFrom<TurnRow> for Turn {
    type Error = StoreError;

    fn try_from(row: TurnRow) -> Result<Self, StoreError> {
        let stop_reason = row
            .stop_reason
            .as_deref()
            .map(|s| {
                StopReason::parse(s).ok_or_else(|| corrupt_row("turns", row.id, format!("unknown stop reason '{s}'")))
            })
            .transpose()?;
        let outcome = row.ended_seq.map(|_| TurnOutcome {
            stop_reason,
            error: row.error,
            usage: Usage {
                input_tokens: tokens_from_db(row.input_tokens),
                output_tokens: tokens_from_db(row.output_tokens),
                cache_read_tokens: tokens_from_db(row.cache_read_tokens),
                cache_write_tokens: tokens_from_db(row.cache_write_tokens),
                cost_usd: row.cost_usd,
            },
        });
        Ok(Turn {
            id: TurnId(row.id),
            chat_id: ChatId(row.chat_id),
            prompt: row.prompt,
            started_seq: to_u64(row.started_seq),
            started_at: row.started_at,
            ended_seq: row.ended_seq.map(to_u64),
            ended_at: row.ended_at,
            outcome,
            model: row.model,
        })
    }
}

/// One chat's state while its part of a batch is appended.
struct Appending {
    last_seq: i64,
    status: Option<ChatStatus>,
    agent_session_id: Option<String>,
    /// The text of the chat's last `Prompt` so far in this batch.
    prompt: Option<String>,
    appended: bool,
}

/// A batch with each payload's JSON, encoded before the write lock is taken.
type Encoded = Vec<(ChatId, Vec<(EventPayload, String)>)>;

/// Appends waiting for the writer, and whether a caller is committing them.
#[derive(Default)]
pub(crate) struct Appends {
    queue: Vec<PendingAppend>,
    leading: bool,
}

struct PendingAppend {
    batch: Encoded,
    reply: tokio::sync::oneshot::Sender<Result<Vec<ChatEvent>, StoreError>>,
}

/// The leader's loop: takes everything queued, commits it in one transaction (each batch keeping
/// its own numbering and projections), answers every caller, and repeats until the queue is
/// empty. When the shared transaction fails, each batch is retried in its own, so one bad batch
/// (an unknown chat) never takes the others down with it.
fn commit_appends(inner: &crate::Inner) {
    /// If the leader panics, the next caller must be able to lead.
    struct Release<'a>(&'a crate::Inner);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.appends.lock().unwrap_or_else(|p| p.into_inner()).leading = false;
            }
        }
    }
    let _release = Release(inner);
    loop {
        let mut group = {
            let mut appends = inner.appends.lock().unwrap_or_else(|p| p.into_inner());
            if appends.queue.is_empty() {
                appends.leading = false;
                return;
            }
            std::mem::take(&mut appends.queue)
        };
        let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
        inner.wrote();
        if group.len() == 1 {
            let PendingAppend { batch, reply } = group.remove(0);
            let _ = reply.send(transaction(&mut conn, |c| append(c, batch)));
            continue;
        }
        let copies: Vec<Encoded> = group.iter().map(|p| p.batch.clone()).collect();
        let together =
            transaction(&mut conn, |c| copies.into_iter().map(|b| append(c, b)).collect::<Result<Vec<_>, _>>());
        match together {
            Ok(results) => {
                for (pending, events) in group.into_iter().zip(results) {
                    let _ = pending.reply.send(Ok(events));
                }
            }
            Err(_) => {
                for PendingAppend { batch, reply } in group {
                    let _ = reply.send(transaction(&mut conn, |c| append(c, batch)));
                }
            }
        }
    }
}

fn append(conn: &mut SqliteConnection, batch: Encoded) -> Result<Vec<ChatEvent>, StoreError> {
    let at = now();
    let mut out = Vec::with_capacity(batch.iter().map(|(_, events)| events.len()).sum());
    // Chats in the order they first appear, for deterministic updates.
    let mut order = Vec::new();
    let mut chats: HashMap<i64, Appending> = HashMap::new();
    for (chat, events) in batch {
        let state = match chats.entry(chat.0) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let last_seq = chats::table
                    .find(chat.0)
                    .select(chats::last_seq)
                    .first::<i64>(conn)
                    .optional()
                    .map_err(from_diesel)?
                    .ok_or_else(|| crate::chats::not_found(chat))?;
                order.push(chat.0);
                e.insert(Appending { last_seq, status: None, agent_session_id: None, prompt: None, appended: false })
            }
        };
        for (payload, json) in events {
            state.last_seq += 1;
            state.appended = true;
            let seq = state.last_seq;
            diesel::insert_into(events::table)
                .values(&NewEventRow { chat_id: chat.0, seq, at, kind: payload.kind(), payload: &json })
                .execute(conn)
                .map_err(from_diesel)?;
            project(conn, chat.0, seq, at, &payload, state)?;
            out.push(ChatEvent { chat_id: chat, seq: to_u64(seq), at, payload });
        }
    }
    for id in order {
        let Some(state) = chats.get(&id).filter(|s| s.appended) else { continue };
        let projection = ChatProjection {
            last_seq: state.last_seq,
            updated_at: at,
            status: state.status.map(ChatStatus::as_str),
            agent_session_id: state.agent_session_id.as_deref(),
        };
        diesel::update(chats::table.find(id)).set(&projection).execute(conn).map_err(from_diesel)?;
    }
    Ok(out)
}

/// Applies one event's projections (see [`EventLog::append_events`]).
fn project(
    conn: &mut SqliteConnection,
    chat: i64,
    seq: i64,
    at: i64,
    payload: &EventPayload,
    state: &mut Appending,
) -> Result<(), StoreError> {
    match payload {
        EventPayload::Prompt { text, queued } => {
            state.prompt = Some(text.clone());
            if let Some(id) = queued {
                queue::take(conn, chat, id.0)?;
            }
        }
        EventPayload::TurnStarted => {
            let prompt = state.prompt.as_deref().unwrap_or_default();
            let model = usage::model_of_new_turn(conn, chat)?;
            diesel::insert_into(turns::table)
                .values(&NewTurnRow {
                    chat_id: chat,
                    started_seq: seq,
                    prompt,
                    started_at: at,
                    model: model.as_deref(),
                })
                .execute(conn)
                .map_err(from_diesel)?;
        }
        EventPayload::TurnEnded(outcome) => {
            // The open turn is the chat's newest, if it has not ended.
            let newest = turns::table
                .filter(turns::chat_id.eq(chat))
                .order(turns::id.desc())
                .select((turns::id, turns::ended_seq, turns::started_at, turns::model))
                .first::<(i64, Option<i64>, i64, Option<String>)>(conn)
                .optional()
                .map_err(from_diesel)?;
            if let Some((id, None, started_at, model)) = newest {
                let usage = outcome.usage;
                let end = TurnEndRow {
                    ended_seq: seq,
                    ended_at: at,
                    duration_ms: at - started_at,
                    stop_reason: outcome.stop_reason.map(StopReason::as_str),
                    error: outcome.error.as_deref(),
                    input_tokens: tokens_to_db(usage.input_tokens),
                    output_tokens: tokens_to_db(usage.output_tokens),
                    cache_read_tokens: tokens_to_db(usage.cache_read_tokens),
                    cache_write_tokens: tokens_to_db(usage.cache_write_tokens),
                    cost_usd: usage.cost_usd,
                };
                diesel::update(turns::table.find(id)).set(&end).execute(conn).map_err(from_diesel)?;
                usage::add_turn(conn, chat, at, model.as_deref().unwrap_or_default(), &usage, at - started_at)?;
            }
        }
        EventPayload::Update(AgentUpdate::ToolCall { tool, kind, .. }) => {
            usage::add_tool_call(conn, chat, at, if tool.is_empty() { kind } else { tool })?;
        }
        EventPayload::Update(AgentUpdate::SessionInfo { current_model: Some(model), .. }) => {
            usage::set_open_turn_model(conn, chat, model)?;
        }
        EventPayload::Status { status } => state.status = Some(*status),
        EventPayload::AgentSession { session_id } => state.agent_session_id = Some(session_id.clone()),
        EventPayload::Update(_)
        | EventPayload::Permission { .. }
        | EventPayload::PermissionResolved { .. }
        | EventPayload::Error { .. } => {}
    }
    Ok(())
}

/// Token counts are stored as the two's-complement bits of the `u64`, so that every count reads
/// back exactly (a count past `i64::MAX`, never seen in practice, shows negative in raw SQL).
#[allow(clippy::cast_possible_wrap)]
fn tokens_to_db(n: u64) -> i64 {
    n as i64
}

#[allow(clippy::cast_sign_loss)]
fn tokens_from_db(n: i64) -> u64 {
    n as u64
}

fn to_events(rows: Vec<EventRow>) -> Result<Vec<ChatEvent>, StoreError> {
    rows.into_iter().map(ChatEvent::try_from).collect()
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The newest `limit` events of `chat` with `seq < before`, newest first: one backwards range
/// scan of the primary key.
#[diesel::dsl::auto_type(no_type_alias)]
fn newest_before(chat: i64, before: i64, limit: i64) -> _ {
    events::table.filter(events::chat_id.eq(chat)).filter(events::seq.lt(before)).order(events::seq.desc()).limit(limit)
}

/// The oldest `limit` events of `chat` with `seq > after`: one forward range scan of the primary
/// key.
#[diesel::dsl::auto_type(no_type_alias)]
fn oldest_after(chat: i64, after: i64, limit: i64) -> _ {
    events::table.filter(events::chat_id.eq(chat)).filter(events::seq.gt(after)).order(events::seq.asc()).limit(limit)
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn append_events(&self, batch: Vec<(ChatId, Vec<EventPayload>)>) -> Result<Vec<ChatEvent>, StoreError> {
        let encoded = batch
            .into_iter()
            .map(|(chat, payloads)| {
                let events = payloads
                    .into_iter()
                    .map(|p| payload::encode(&p).map(|json| (p, json)))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(internal)?;
                Ok((chat, events))
            })
            .collect::<Result<Encoded, StoreError>>()?;
        // Group commit: appends that arrive while the writer is busy are committed together.
        let (reply, done) = tokio::sync::oneshot::channel();
        let lead = {
            let mut appends = self.inner.appends.lock().unwrap_or_else(|p| p.into_inner());
            appends.queue.push(PendingAppend { batch: encoded, reply });
            !std::mem::replace(&mut appends.leading, true)
        };
        if lead {
            let inner = std::sync::Arc::clone(&self.inner);
            tokio::task::spawn_blocking(move || commit_appends(&inner));
        }
        done.await.map_err(|_| internal("the database writer stopped before committing the events"))?
    }

    async fn events_after(&self, chat: ChatId, after: u64, limit: usize) -> Result<Vec<ChatEvent>, StoreError> {
        let (after, limit) = (to_i64(after), self::limit(limit));
        let rows = self
            .read(move |conn| {
                oldest_after(chat.0, after, limit).select(EventRow::as_select()).load(conn).map_err(from_diesel)
            })
            .await?;
        to_events(rows)
    }

    async fn events_before(
        &self,
        chat: ChatId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ChatEvent>, StoreError> {
        let (before, limit) = (before.map_or(i64::MAX, to_i64), self::limit(limit));
        let mut rows = self
            .read(move |conn| {
                newest_before(chat.0, before, limit).select(EventRow::as_select()).load(conn).map_err(from_diesel)
            })
            .await?;
        rows.reverse();
        to_events(rows)
    }
}

#[async_trait]
impl TurnLog for SqliteStore {
    async fn turns(&self, chat: ChatId) -> Result<Vec<Turn>, StoreError> {
        let rows = self
            .read(move |conn| {
                turns::table
                    .filter(turns::chat_id.eq(chat.0))
                    .order(turns::id.asc())
                    .select(TurnRow::as_select())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(Turn::try_from).collect()
    }

    async fn usage_totals(&self, scope: UsageScope) -> Result<UsageTotals, StoreError> {
        let rows = self
            .read(move |conn| {
                let ended = turns::table
                    .filter(turns::ended_seq.is_not_null())
                    .order(turns::id.asc())
                    .select(TurnRow::as_select());
                match scope {
                    UsageScope::Chat(c) => ended.filter(turns::chat_id.eq(c.0)).load(conn),
                    UsageScope::Workspace(w) => ended
                        .filter(
                            turns::chat_id.eq_any(chats::table.filter(chats::workspace_id.eq(w.0)).select(chats::id)),
                        )
                        .load(conn),
                    UsageScope::Project(p) => ended
                        .filter(
                            turns::chat_id.eq_any(
                                chats::table
                                    .filter(chats::workspace_id.eq_any(
                                        workspaces::table.filter(workspaces::project_id.eq(p.0)).select(workspaces::id),
                                    ))
                                    .select(chats::id),
                            ),
                        )
                        .load(conn),
                    UsageScope::Since(at) => ended.filter(turns::started_at.ge(at)).load(conn),
                }
                .map_err(from_diesel)
            })
            .await?;
        // Added up here, in turn order, rather than by SUM(): costs are floats, and this way every
        // store adds them in the same order to the same total.
        let mut totals = UsageTotals::default();
        for row in rows {
            let turn = Turn::try_from(row)?;
            if let Some(outcome) = &turn.outcome {
                totals.turns += 1;
                totals.usage = totals.usage + outcome.usage;
                totals.duration_ms += turn.duration_ms().unwrap_or_default();
            }
        }
        Ok(totals)
    }

    async fn usage_report(&self, by: UsageBy, filter: UsageFilter) -> Result<UsageReport, StoreError> {
        self.read(move |conn| usage::report(conn, by, filter)).await
    }

    async fn turn_usage(
        &self,
        filter: UsageFilter,
        limit: usize,
        before: Option<TurnId>,
    ) -> Result<Vec<TurnUsage>, StoreError> {
        self.read(move |conn| usage::turns(conn, filter, limit, before)).await
    }
}

/// The SQL of the two page queries, for checking their query plans.
#[cfg(test)]
pub(crate) fn page_queries_sql() -> [String; 2] {
    fn sql(query: &impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite>) -> String {
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(query).to_string();
        sql.split(" -- binds:").next().unwrap_or_default().to_owned()
    }
    [
        sql(&oldest_after(1, 0, 100).select(EventRow::as_select())),
        sql(&newest_before(1, i64::MAX, 100).select(EventRow::as_select())),
    ]
}
