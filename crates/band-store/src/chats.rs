//! [`ChatStore`] on the `chats` table. Status, agent session and `last_seq` are written only by
//! the event log (`events.rs`); here only the settings change.

use async_trait::async_trait;
use band_core::ports::ChatStore;
use band_core::{
    AgentId, Chat, ChatId, ChatName, ChatPatch, ChatStatus, Labels, ModelName, NewChat, PermissionMode, StoreError,
    WorkspaceId,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, internal, is_foreign_key_violation};
use crate::schema::chats;
use crate::{SqliteStore, now, to_u64, transaction};

#[derive(Queryable, Selectable)]
#[diesel(table_name = chats, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct ChatRow {
    id: i64,
    workspace_id: i64,
    agent: String,
    model: Option<String>,
    mode: String,
    name: String,
    labels: String,
    status: String,
    agent_session_id: Option<String>,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = chats)]
struct NewChatRow {
    workspace_id: i64,
    agent: String,
    model: Option<String>,
    mode: &'static str,
    name: String,
    labels: String,
    status: &'static str,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
}

#[derive(AsChangeset)]
#[diesel(table_name = chats, treat_none_as_null = true)]
struct SettingsRow {
    model: Option<String>,
    mode: &'static str,
    name: String,
    labels: String,
    updated_at: i64,
}

impl TryFrom<ChatRow> for Chat {
    type Error = StoreError;

    fn try_from(row: ChatRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str, value: &str| corrupt_row("chats", row.id, format!("unknown {what} '{value}'"));
        Ok(Chat {
            id: ChatId(row.id),
            workspace_id: WorkspaceId(row.workspace_id),
            // Any valid id: which agents exist is the registry's business, and a chat whose agent
            // was removed from the settings is still a chat (its next message says why it cannot
            // start).
            agent: AgentId::new(&row.agent).map_err(|e| corrupt_row("chats", row.id, e.to_string()))?,
            model: row
                .model
                .as_deref()
                .map(ModelName::new)
                .transpose()
                .map_err(|e| corrupt_row("chats", row.id, e.to_string()))?,
            mode: PermissionMode::parse(&row.mode).ok_or_else(|| corrupt("permission mode", &row.mode))?,
            name: ChatName::new(&row.name).map_err(|e| corrupt_row("chats", row.id, e.to_string()))?,
            labels: serde_json::from_str(&row.labels)
                .map_err(|e| corrupt_row("chats", row.id, format!("labels are not a JSON object of strings: {e}")))
                .and_then(|map| Labels::new(map).map_err(|e| corrupt_row("chats", row.id, e.to_string())))?,
            status: ChatStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
            agent_session_id: row.agent_session_id,
            last_seq: to_u64(row.last_seq),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn labels_json(labels: &Labels) -> Result<String, StoreError> {
    serde_json::to_string(labels.as_map()).map_err(internal)
}

pub(crate) fn not_found(id: ChatId) -> StoreError {
    StoreError::NotFound(format!("chat {}", id.0))
}

/// The chat's row, or NotFound.
pub(crate) fn find(conn: &mut SqliteConnection, id: ChatId) -> Result<ChatRow, StoreError> {
    chats::table
        .find(id.0)
        .select(ChatRow::as_select())
        .first(conn)
        .optional()
        .map_err(from_diesel)?
        .ok_or_else(|| not_found(id))
}

/// Fails with NotFound unless the chat exists.
pub(crate) fn exists(conn: &mut SqliteConnection, id: ChatId) -> Result<(), StoreError> {
    chats::table
        .find(id.0)
        .select(chats::id)
        .first::<i64>(conn)
        .optional()
        .map_err(from_diesel)?
        .map_or_else(|| Err(not_found(id)), |_| Ok(()))
}

fn to_domain(rows: Vec<ChatRow>) -> Result<Vec<Chat>, StoreError> {
    rows.into_iter().map(Chat::try_from).collect()
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn insert_chat(&self, new: NewChat) -> Result<Chat, StoreError> {
        let at = now();
        let row = NewChatRow {
            workspace_id: new.workspace_id.0,
            agent: new.agent.to_string(),
            model: new.model.map(|m| m.to_string()),
            mode: new.mode.as_str(),
            name: new.name.to_string(),
            labels: labels_json(&new.labels)?,
            status: ChatStatus::Idle.as_str(),
            last_seq: 0,
            created_at: at,
            updated_at: at,
        };
        self.write(move |conn| {
            diesel::insert_into(chats::table).values(&row).returning(ChatRow::as_returning()).get_result(conn).map_err(
                |e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::NotFound(format!("workspace {}", new.workspace_id.0))
                    } else {
                        from_diesel(e)
                    }
                },
            )
        })
        .await?
        .try_into()
    }

    async fn chat(&self, id: ChatId) -> Result<Chat, StoreError> {
        self.read(move |conn| find(conn, id)).await?.try_into()
    }

    async fn list_chats(&self, workspace: Option<WorkspaceId>) -> Result<Vec<Chat>, StoreError> {
        let rows = self
            .read(move |conn| {
                let query = chats::table.select(ChatRow::as_select()).order(chats::id.asc());
                match workspace {
                    Some(w) => query.filter(chats::workspace_id.eq(w.0)).load(conn),
                    None => query.load(conn),
                }
                .map_err(from_diesel)
            })
            .await?;
        to_domain(rows)
    }

    async fn chats_in_status(&self, statuses: &[ChatStatus]) -> Result<Vec<Chat>, StoreError> {
        let statuses: Vec<&'static str> = statuses.iter().map(|s| s.as_str()).collect();
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .read(move |conn| {
                chats::table
                    .filter(chats::status.eq_any(statuses))
                    .select(ChatRow::as_select())
                    .order(chats::id.asc())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        to_domain(rows)
    }

    async fn update_chat(&self, id: ChatId, patch: ChatPatch) -> Result<Chat, StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                let mut chat = Chat::try_from(find(conn, id)?)?;
                let ChatPatch { name, model, mode, set_labels, remove_labels } = patch;
                // Removals first, then additions: a label both removed and set ends up set.
                chat.labels.patch(&set_labels, &remove_labels);
                let settings = SettingsRow {
                    model: model.unwrap_or(chat.model).map(|m| m.to_string()),
                    mode: mode.unwrap_or(chat.mode).as_str(),
                    name: name.unwrap_or(chat.name).to_string(),
                    labels: labels_json(&chat.labels)?,
                    updated_at: now(),
                };
                diesel::update(chats::table.find(id.0))
                    .set(&settings)
                    .returning(ChatRow::as_returning())
                    .get_result(conn)
                    .map_err(from_diesel)
            })
        })
        .await?
        .try_into()
    }

    async fn delete_chat(&self, id: ChatId) -> Result<(), StoreError> {
        self.write(move |conn| {
            // The schema's ON DELETE CASCADE takes the chat's events, turns and queue with it.
            let deleted = diesel::delete(chats::table.find(id.0)).execute(conn).map_err(from_diesel)?;
            if deleted == 0 { Err(not_found(id)) } else { Ok(()) }
        })
        .await
    }
}
