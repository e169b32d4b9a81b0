//! [`MessageQueue`] on the `queued_messages` table. Each chat's positions are 0..n-1 without gaps
//! after every transaction; a change that moves one message shifts the others in the same
//! transaction.

use async_trait::async_trait;
use band_core::ports::MessageQueue;
use band_core::{ChatId, QueuedId, QueuedMessage, StoreError};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel};
use crate::schema::queued_messages as q;
use crate::{SqliteStore, chats, now, transaction};

#[derive(Queryable, Selectable)]
#[diesel(table_name = q, check_for_backend(diesel::sqlite::Sqlite))]
struct QueuedRow {
    id: i64,
    chat_id: i64,
    position: i64,
    text: String,
    created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = q)]
struct NewQueuedRow {
    chat_id: i64,
    position: i64,
    text: String,
    created_at: i64,
}

impl TryFrom<QueuedRow> for QueuedMessage {
    type Error = StoreError;

    fn try_from(row: QueuedRow) -> Result<Self, StoreError> {
        Ok(QueuedMessage {
            id: QueuedId(row.id),
            chat_id: ChatId(row.chat_id),
            position: u32::try_from(row.position)
                .map_err(|_| corrupt_row("queued_messages", row.id, format!("position {}", row.position)))?,
            text: row.text,
            created_at: row.created_at,
        })
    }
}

fn not_found(id: QueuedId) -> StoreError {
    StoreError::NotFound(format!("queued message {}", id.0))
}

fn find(conn: &mut SqliteConnection, id: QueuedId) -> Result<QueuedRow, StoreError> {
    q::table
        .find(id.0)
        .select(QueuedRow::as_select())
        .first(conn)
        .optional()
        .map_err(from_diesel)?
        .ok_or_else(|| not_found(id))
}

fn queue_of(conn: &mut SqliteConnection, chat: i64) -> Result<Vec<QueuedMessage>, StoreError> {
    q::table
        .filter(q::chat_id.eq(chat))
        .order((q::position.asc(), q::id.asc()))
        .select(QueuedRow::as_select())
        .load(conn)
        .map_err(from_diesel)?
        .into_iter()
        .map(QueuedMessage::try_from)
        .collect()
}

/// Removes the message `id` from `chat`'s queue, if it is there, and closes the gap; returns the
/// removed row. For cancelling, and for the event log when a queued message is sent.
pub(crate) fn take(conn: &mut SqliteConnection, chat: i64, id: i64) -> Result<Option<QueuedMessage>, StoreError> {
    let Some(row) = diesel::delete(q::table.filter(q::id.eq(id)).filter(q::chat_id.eq(chat)))
        .returning(QueuedRow::as_returning())
        .get_result(conn)
        .optional()
        .map_err(from_diesel)?
    else {
        return Ok(None);
    };
    diesel::update(q::table.filter(q::chat_id.eq(chat)).filter(q::position.gt(row.position)))
        .set(q::position.eq(q::position - 1))
        .execute(conn)
        .map_err(from_diesel)?;
    row.try_into().map(Some)
}

#[async_trait]
impl MessageQueue for SqliteStore {
    async fn enqueue(&self, chat: ChatId, text: String) -> Result<QueuedMessage, StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                chats::exists(conn, chat)?;
                let len: i64 = q::table.filter(q::chat_id.eq(chat.0)).count().get_result(conn).map_err(from_diesel)?;
                diesel::insert_into(q::table)
                    .values(&NewQueuedRow { chat_id: chat.0, position: len, text, created_at: now() })
                    .returning(QueuedRow::as_returning())
                    .get_result(conn)
                    .map_err(from_diesel)
            })
        })
        .await?
        .try_into()
    }

    async fn queued(&self, chat: ChatId) -> Result<Vec<QueuedMessage>, StoreError> {
        self.read(move |conn| queue_of(conn, chat.0)).await
    }

    async fn edit_queued(&self, id: QueuedId, text: String) -> Result<QueuedMessage, StoreError> {
        self.write(move |conn| {
            diesel::update(q::table.find(id.0))
                .set(q::text.eq(text))
                .returning(QueuedRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| not_found(id))
        })
        .await?
        .try_into()
    }

    async fn move_queued(&self, id: QueuedId, position: u32) -> Result<Vec<QueuedMessage>, StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                let row = find(conn, id)?;
                let len: i64 =
                    q::table.filter(q::chat_id.eq(row.chat_id)).count().get_result(conn).map_err(from_diesel)?;
                let to = i64::from(position).min(len - 1);
                let from = row.position;
                let others = q::table.filter(q::chat_id.eq(row.chat_id)).filter(q::id.ne(row.id));
                if to < from {
                    diesel::update(others.filter(q::position.ge(to)).filter(q::position.lt(from)))
                        .set(q::position.eq(q::position + 1))
                        .execute(conn)
                        .map_err(from_diesel)?;
                } else if to > from {
                    diesel::update(others.filter(q::position.gt(from)).filter(q::position.le(to)))
                        .set(q::position.eq(q::position - 1))
                        .execute(conn)
                        .map_err(from_diesel)?;
                }
                if to != from {
                    diesel::update(q::table.find(row.id)).set(q::position.eq(to)).execute(conn).map_err(from_diesel)?;
                }
                queue_of(conn, row.chat_id)
            })
        })
        .await
    }

    async fn cancel_queued(&self, id: QueuedId) -> Result<QueuedMessage, StoreError> {
        self.write(move |conn| {
            transaction(conn, |conn| {
                let row = find(conn, id)?;
                take(conn, row.chat_id, row.id)?.ok_or_else(|| not_found(id))
            })
        })
        .await
    }
}
