use std::sync::Arc;

use super::{Chats, Sent, Workspaces};
use crate::WorkspacePath;
use crate::error::CoreError;
use crate::model::{ChatId, Millis, Workspace};
use crate::ports::{EventSink, Notice, ReviewStore};
use crate::review::{DiffSide, LineRange, NewReviewComment, ReviewComment, ReviewCommentId, review_message};

/// Review comments on a workspace's diff, and their delivery to an agent.
///
/// Comments stay until resolved. [`Reviews::send`] puts every unresolved comment not yet sent
/// into ONE message to a chat of the workspace (the chat service starts a turn or queues it
/// when the chat is busy) and marks them sent; a comment sent once is not sent again unless it
/// is reopened.
pub struct Reviews {
    store: Arc<dyn ReviewStore>,
    workspaces: Arc<Workspaces>,
    chats: Chats,
    events: Arc<dyn EventSink>,
}

/// What [`Reviews::send`] did.
#[derive(Debug)]
pub struct SentReview {
    pub chat: ChatId,
    pub sent: Sent,
    pub comments: Vec<ReviewComment>,
}

/// A comment as a client asks for it, before checks.
#[derive(Debug, Clone)]
pub struct CommentSpec {
    pub path: String,
    /// `old` or `new` (default `new`).
    pub side: Option<String>,
    pub start: u32,
    /// Default: `start`.
    pub end: Option<u32>,
    pub quote: String,
    pub body: String,
}

impl Reviews {
    /// Largest comment body, and largest quote, in bytes.
    pub const MAX_BODY_BYTES: usize = 16 * 1024;
    pub const MAX_QUOTE_BYTES: usize = 32 * 1024;

    pub fn new(
        store: Arc<dyn ReviewStore>,
        workspaces: Arc<Workspaces>,
        chats: Chats,
        events: Arc<dyn EventSink>,
    ) -> Self {
        Self { store, workspaces, chats, events }
    }

    /// The workspace's comments, oldest first; resolved ones only with `all`.
    ///
    /// # Errors
    /// `NotFound` for an unknown workspace.
    pub async fn list(&self, workspace: &str, all: bool) -> Result<(Workspace, Vec<ReviewComment>), CoreError> {
        let (_, ws) = self.workspaces.resolve(workspace).await?;
        let mut comments = self.store.comments(ws.id).await?;
        if !all {
            comments.retain(|c| !c.resolved);
        }
        Ok((ws, comments))
    }

    /// Adds a comment on lines of a file of the workspace's diff.
    ///
    /// # Errors
    /// `InvalidInput` for a bad path, side or line range, an empty or too long body or quote;
    /// `NotFound` for an unknown workspace. Nothing is stored then.
    pub async fn add(&self, workspace: &str, spec: CommentSpec) -> Result<(Workspace, ReviewComment), CoreError> {
        let path = WorkspacePath::new(spec.path.trim())
            .map_err(|e| CoreError::InvalidInput(format!("file '{}': {e}", spec.path).into()))?;
        if path.is_root() {
            return Err(CoreError::InvalidInput("a review comment needs a file (a path in the workspace)".into()));
        }
        let side = match spec.side.as_deref() {
            None => DiffSide::New,
            Some(s) => DiffSide::parse(s).ok_or_else(|| {
                CoreError::InvalidInput(
                    format!("side '{s}' is neither 'new' (the workspace's lines) nor 'old' (the base's)").into(),
                )
            })?,
        };
        let end = spec.end.unwrap_or(spec.start);
        let lines = LineRange::new(spec.start, end).ok_or_else(|| {
            CoreError::InvalidInput(
                format!(
                    "lines {}-{end} are not a range: lines count from 1, the first no later than the last, at most {} lines",
                    spec.start,
                    LineRange::MAX_LINES
                )
                .into(),
            )
        })?;
        let body = spec.body.trim().to_owned();
        if body.is_empty() {
            return Err(CoreError::InvalidInput("the comment is empty: say what the agent should change".into()));
        }
        if body.len() > Self::MAX_BODY_BYTES {
            return Err(CoreError::InvalidInput(
                format!("the comment is {} bytes; the limit is {}", body.len(), Self::MAX_BODY_BYTES).into(),
            ));
        }
        if spec.quote.len() > Self::MAX_QUOTE_BYTES {
            return Err(CoreError::InvalidInput(
                format!("the quoted code is {} bytes; the limit is {}", spec.quote.len(), Self::MAX_QUOTE_BYTES).into(),
            ));
        }
        let (_, ws) = self.workspaces.resolve(workspace).await?;
        let comment = self
            .store
            .add_comment(NewReviewComment { workspace_id: ws.id, path, side, lines, quote: spec.quote, body })
            .await?;
        self.events.publish(Notice::ReviewChanged { workspace: ws.id });
        Ok((ws, comment))
    }

    /// Resolves a comment (or, with `resolved` false, opens it again: it will be sent again).
    ///
    /// # Errors
    /// `NotFound` for an unknown comment.
    pub async fn resolve(&self, id: ReviewCommentId, resolved: bool) -> Result<ReviewComment, CoreError> {
        let comment = self.store.set_resolved(id, resolved).await?;
        self.events.publish(Notice::ReviewChanged { workspace: comment.workspace_id });
        Ok(comment)
    }

    /// Sends every unresolved, unsent comment of the workspace as one message to `chat` (by
    /// default the workspace's chat active last), starting a turn or queued when it is busy.
    ///
    /// # Errors
    /// `NotFound` for an unknown workspace or chat; `InvalidInput` for a chat of another
    /// workspace, or when there is nothing to send or no chat to send it to. Nothing is marked
    /// sent then.
    pub async fn send(
        &self,
        workspace: &str,
        chat: Option<ChatId>,
        now: Millis,
    ) -> Result<(Workspace, SentReview), CoreError> {
        let (_, ws) = self.workspaces.resolve(workspace).await?;
        let pending: Vec<ReviewComment> =
            self.store.comments(ws.id).await?.into_iter().filter(|c| !c.resolved && c.sent.is_none()).collect();
        if pending.is_empty() {
            return Err(CoreError::InvalidInput(
                format!("workspace {} has no unsent review comments: add one first", ws.id.0).into(),
            ));
        }
        let chat = match chat {
            Some(id) => {
                let chat = self.chats.get(id).await?;
                if chat.workspace_id != ws.id {
                    return Err(CoreError::InvalidInput(
                        format!(
                            "chat {} is in another workspace; review comments go to a chat of workspace {}",
                            id.0, ws.id.0
                        )
                        .into(),
                    ));
                }
                chat
            }
            None => {
                let chats = self.chats.list(Some(&ws.id.0.to_string())).await?;
                chats.into_iter().max_by_key(|c| (c.updated_at, c.id)).ok_or_else(|| {
                    CoreError::InvalidInput(
                        format!("workspace {} has no chat to send the comments to: start a chat first", ws.id.0).into(),
                    )
                })?
            }
        };
        let sent = self.chats.send(chat.id, &review_message(&pending)).await?;
        let ids: Vec<ReviewCommentId> = pending.iter().map(|c| c.id).collect();
        self.store.mark_sent(&ids, chat.id, now).await?;
        self.events.publish(Notice::ReviewChanged { workspace: ws.id });
        let comments = pending.into_iter().map(|c| ReviewComment { sent: Some((now, chat.id)), ..c }).collect();
        Ok((ws, SentReview { chat: chat.id, sent, comments }))
    }
}
