//! The wire types of review comments (`workspaces.comments*`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{DiffSide, SendResult};

/// A review comment on lines of a workspace's diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewCommentInfo {
    pub id: i64,
    pub workspace_id: i64,
    /// The file, relative to the workspace.
    pub path: String,
    pub side: DiffSide,
    /// First line (1-based) on that side.
    pub start_line: u32,
    /// Last line (equal to `startLine` for one line).
    pub end_line: u32,
    /// The commented code as the user saw it.
    pub quote: String,
    pub body: String,
    pub resolved: bool,
    /// When it was last sent to an agent (ms since the epoch); absent while unsent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
    /// The chat it was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_chat_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentsListParams {
    /// A workspace id, `project/branch`, a branch unique across projects, or an absolute path
    /// inside the workspace.
    pub workspace: String,
    /// Resolved comments too (default: only the open ones).
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentsAddParams {
    pub workspace: String,
    /// The file, relative to the workspace (as `workspaces.diff` names it).
    pub path: String,
    /// `new` (default: the workspace's lines) or `old` (the base's, for removed lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<DiffSide>,
    /// First line, counting from 1 on that side.
    pub start_line: u32,
    /// Last line (default: `startLine`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// The commented code, as shown (up to 32 KiB).
    #[serde(default)]
    pub quote: String,
    /// The comment (up to 16 KiB).
    pub body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentsResolveParams {
    pub comment: i64,
    /// false opens it again (it will be sent again); default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentsSendParams {
    pub workspace: String,
    /// The chat to send them to (default: the workspace's chat active last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
}

/// What `workspaces.comments.send` did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentsSentInfo {
    pub chat_id: i64,
    /// Started a turn, or queued behind the chat's current one.
    pub sent: SendResult,
    /// The comments it carried, now marked sent.
    pub comments: Vec<ReviewCommentInfo>,
    /// The message the agent received.
    pub message: String,
}
