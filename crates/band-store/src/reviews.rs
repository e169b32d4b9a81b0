//! [`ReviewStore`] on the `review_comments` table: one row per comment, going with its
//! workspace (a foreign key with cascade).

use async_trait::async_trait;
use band_core::ports::ReviewStore;
use band_core::{
    ChatId, DiffSide, LineRange, Millis, NewReviewComment, ReviewComment, ReviewCommentId, StoreError, WorkspaceId,
    WorkspacePath,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, is_foreign_key_violation};
use crate::schema::review_comments;
use crate::{SqliteStore, now};

#[derive(Queryable, Selectable)]
#[diesel(table_name = review_comments, check_for_backend(diesel::sqlite::Sqlite))]
struct CommentRow {
    id: i64,
    workspace_id: i64,
    path: String,
    side: String,
    start_line: i64,
    end_line: i64,
    quote: String,
    body: String,
    resolved: bool,
    sent_at: Option<i64>,
    sent_chat_id: Option<i64>,
    created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = review_comments)]
struct NewCommentRow {
    workspace_id: i64,
    path: String,
    side: &'static str,
    start_line: i64,
    end_line: i64,
    quote: String,
    body: String,
    created_at: i64,
}

impl TryFrom<CommentRow> for ReviewComment {
    type Error = StoreError;

    fn try_from(row: CommentRow) -> Result<Self, StoreError> {
        let id = row.id;
        let path = WorkspacePath::new(&row.path).map_err(|e| corrupt_row("review_comments", id, e))?;
        let side = DiffSide::parse(&row.side)
            .ok_or_else(|| corrupt_row("review_comments", id, format!("side '{}'", row.side)))?;
        let lines = u32::try_from(row.start_line)
            .ok()
            .zip(u32::try_from(row.end_line).ok())
            .and_then(|(s, e)| LineRange::new(s, e))
            .ok_or_else(|| corrupt_row("review_comments", id, format!("lines {}-{}", row.start_line, row.end_line)))?;
        Ok(ReviewComment {
            id: ReviewCommentId(id),
            workspace_id: WorkspaceId(row.workspace_id),
            path,
            side,
            lines,
            quote: row.quote,
            body: row.body,
            resolved: row.resolved,
            sent: row.sent_at.zip(row.sent_chat_id).map(|(at, chat)| (at, ChatId(chat))),
            created_at: row.created_at,
        })
    }
}

fn by_id(conn: &mut SqliteConnection, id: ReviewCommentId) -> Result<CommentRow, StoreError> {
    review_comments::table
        .find(id.0)
        .select(CommentRow::as_select())
        .first(conn)
        .optional()
        .map_err(from_diesel)?
        .ok_or_else(|| StoreError::NotFound(format!("review comment {}", id.0)))
}

#[async_trait]
impl ReviewStore for SqliteStore {
    async fn add_comment(&self, comment: NewReviewComment) -> Result<ReviewComment, StoreError> {
        let workspace = comment.workspace_id.0;
        let row = NewCommentRow {
            workspace_id: workspace,
            path: comment.path.as_str().to_owned(),
            side: comment.side.as_str(),
            start_line: i64::from(comment.lines.start()),
            end_line: i64::from(comment.lines.end()),
            quote: comment.quote,
            body: comment.body,
            created_at: now(),
        };
        let row = self
            .write(move |conn| {
                diesel::insert_into(review_comments::table)
                    .values(&row)
                    .returning(CommentRow::as_returning())
                    .get_result(conn)
                    .map_err(|e| {
                        if is_foreign_key_violation(&e) {
                            StoreError::NotFound(format!("workspace {workspace}"))
                        } else {
                            from_diesel(e)
                        }
                    })
            })
            .await?;
        row.try_into()
    }

    async fn comments(&self, workspace: WorkspaceId) -> Result<Vec<ReviewComment>, StoreError> {
        let rows = self
            .read(move |conn| {
                review_comments::table
                    .filter(review_comments::workspace_id.eq(workspace.0))
                    .order(review_comments::id.asc())
                    .select(CommentRow::as_select())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(ReviewComment::try_from).collect()
    }

    async fn comment(&self, id: ReviewCommentId) -> Result<ReviewComment, StoreError> {
        self.read(move |conn| by_id(conn, id)).await?.try_into()
    }

    async fn set_resolved(&self, id: ReviewCommentId, resolved: bool) -> Result<ReviewComment, StoreError> {
        let row = self
            .write(move |conn| {
                let target = review_comments::table.find(id.0);
                let changed = if resolved {
                    diesel::update(target).set(review_comments::resolved.eq(true)).execute(conn)
                } else {
                    diesel::update(target)
                        .set((
                            review_comments::resolved.eq(false),
                            review_comments::sent_at.eq(None::<i64>),
                            review_comments::sent_chat_id.eq(None::<i64>),
                        ))
                        .execute(conn)
                }
                .map_err(from_diesel)?;
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("review comment {}", id.0)));
                }
                by_id(conn, id)
            })
            .await?;
        row.try_into()
    }

    async fn mark_sent(&self, ids: &[ReviewCommentId], chat: ChatId, at: Millis) -> Result<(), StoreError> {
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.write(move |conn| {
            diesel::update(review_comments::table.filter(review_comments::id.eq_any(ids)))
                .set((review_comments::sent_at.eq(Some(at)), review_comments::sent_chat_id.eq(Some(chat.0))))
                .execute(conn)
                .map(|_| ())
                .map_err(from_diesel)
        })
        .await
    }
}
