//! The JSON-RPC API. Each method is a type implementing [`Method`]; [`METHODS`] lists them all
//! for discovery. Field names are camelCase on the wire.

use band_core::Scope;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One JSON-RPC method: its name, what it does, and its params and result types.
pub trait Method {
    const NAME: &'static str;
    const SUMMARY: &'static str;
    /// Who may call it: `read` (any credential), `control` (a control device or the main token)
    /// or `admin` (the main token only). Chosen in [`methods!`], the one place every method is
    /// classified.
    const SCOPE: Scope;
    type Params: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
    type Result: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
}

/// JSON-RPC error codes band uses, beyond the protocol's own (-32700..-32600).
pub mod codes {
    /// The params were malformed or a value in them invalid (the protocol's own code).
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL: i32 = -32603;
    pub const NOT_FOUND: i32 = -32001;
    pub const CONFLICT: i32 = -32002;
    /// Valid, but refused to protect the user's work (e.g. removing a dirty workspace).
    pub const REFUSED: i32 = -32003;
    /// The credential's scope does not cover the method (a read device calling chats.send...).
    pub const FORBIDDEN: i32 = -32004;
}

/// Params of methods that take none (an empty object, or no params at all).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

// ---- projects -------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInfo {
    pub id: i64,
    pub name: String,
    /// Absolute path of the repository's main working tree.
    pub path: String,
    pub default_branch: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectsAddParams {
    /// Absolute path of the repository (or of any directory inside it).
    pub path: String,
    /// Defaults to the repository's directory name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectNameParams {
    pub name: String,
}

// ---- workspaces -----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceInfo {
    pub id: i64,
    pub project: String,
    pub branch: String,
    /// What the branch started from; diffs and merge checks are against it.
    pub base: String,
    /// Absolute path of the worktree.
    pub path: String,
    /// Whether band created the branch (and so deletes it once merged, on removal).
    pub branch_created: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesCreateParams {
    pub project: String,
    pub branch: String,
    /// Defaults to the project's default branch. Ignored when the workspace exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Start a chat in the workspace with this first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The chat's agent (with `prompt`): claude-code (default) or codex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The chat's model (with `prompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The chat's permission mode (with `prompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceCreated {
    #[serde(flatten)]
    pub workspace: WorkspaceInfo,
    /// False when the workspace already existed and was returned as it is.
    pub created: bool,
    /// The chat started with `prompt`, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatInfo>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesListParams {
    /// Only this project's workspaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceParams {
    /// A workspace id, `project/branch`, a branch unique across projects, or an absolute path
    /// inside the workspace.
    pub workspace: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChangeInfo {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    /// added, modified, deleted, renamed, type-changed, untracked or conflicted.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceStatusInfo {
    pub workspace: WorkspaceInfo,
    /// True when there are uncommitted changes.
    pub dirty: bool,
    pub changes: Vec<FileChangeInfo>,
    /// Commits on the branch that the base lacks.
    pub ahead: u32,
    /// Commits on the base that the branch lacks.
    pub behind: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDiffInfo {
    pub workspace: WorkspaceInfo,
    /// The commit the diff starts from: the merge base of the branch and its base.
    pub from: String,
    /// Unified diff with `diff --git` headers; untracked files appear as new files.
    pub patch: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesRemoveParams {
    pub workspace: String,
    /// Discard uncommitted changes and remove a worktree whose branch is unmerged (the branch
    /// itself is then kept).
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceRemoved {
    pub workspace: WorkspaceInfo,
    pub branch_deleted: bool,
    /// Why the branch was kept, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_kept_because: Option<String>,
}

// ---- files ----------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesListParams {
    /// A workspace selector: id, project/branch, branch or a path inside it.
    pub workspace: String,
    /// A directory relative to the workspace root, `/`-separated; the root when left out or
    /// empty. No `..`, `.`, empty components or `.git`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileEntryInfo {
    pub name: String,
    /// Relative to the workspace root, `/`-separated: what files.read and files.list take.
    pub path: String,
    /// dir, file, symlink (not followed; read or list it to follow it) or other (a pipe,
    /// socket or device: never read).
    pub kind: String,
    /// Bytes, for files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileListing {
    pub workspace_id: i64,
    /// The directory listed; empty for the root.
    pub path: String,
    /// Directories first, then by name. `.git`, band's own files and names that are not UTF-8
    /// are left out.
    pub entries: Vec<FileEntryInfo>,
    /// The directory has more entries than one listing returns (5000); these are the first.
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesReadParams {
    /// A workspace selector.
    pub workspace: String,
    /// A file relative to the workspace root, `/`-separated.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileContentInfo {
    pub workspace_id: i64,
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// True when the file is not UTF-8 text (or has a NUL byte); `text` is then left out. Get its
    /// bytes from `GET /workspaces/{id}/raw/{path}`.
    pub binary: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A syntax-highlighting hint from the file's name (rust, typescript, markdown...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

// ---- layout ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutParams {
    /// A workspace selector for that workspace's layout; the global layout when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutSetParams {
    /// A workspace selector for that workspace's layout; the global layout when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Any JSON object (open panes, sizes, the active chat...), at most 64 KiB; band keeps it as
    /// it is and never interprets it.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub layout: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LayoutInfo {
    /// The workspace whose layout this is; absent for the global layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
    /// The layout as it was last set; null when none was.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub layout: Option<serde_json::Value>,
    /// When it was last set (Unix ms, strictly increasing per layout); null when never.
    pub updated_at: Option<i64>,
}

// ---- chats ----------------------------------------------------------------------------------

/// Token counts and cost of a turn, or summed over turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageInfo {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatInfo {
    pub id: i64,
    pub workspace_id: i64,
    /// claude-code or codex.
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// ask, accept-edits or allow-all.
    pub mode: String,
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    /// idle, working, waiting, completed, failed or interrupted.
    pub status: String,
    /// The agent's own session id (resumed on the next message after a restart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_session_id: Option<String>,
    /// Sequence number of the chat's last event.
    pub last_seq: u64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsCreateParams {
    /// A workspace selector: id, project/branch, branch or a path inside it.
    pub workspace: String,
    /// claude-code (default) or codex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// ask (default), accept-edits or allow-all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsListParams {
    /// Only this workspace's chats (a selector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatParams {
    pub chat: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsSendParams {
    pub chat: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// started (a turn began) or queued (the chat was busy).
    pub outcome: String,
    /// Sequence number of the `prompt` event, when started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The queued message, when queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<QueuedInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsRespondParams {
    pub chat: i64,
    /// allow or deny.
    pub decision: String,
    /// The permission request to answer; may be left out when only one is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsUpdateParams {
    pub chat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A model name; an empty string returns to the agent's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Labels to set (key to value).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub set_labels: std::collections::BTreeMap<String, String>,
    /// Label keys to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuedInfo {
    pub id: i64,
    pub chat_id: i64,
    pub position: u32,
    pub text: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueEditParams {
    pub chat: i64,
    pub id: i64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueMoveParams {
    pub chat: i64,
    pub id: i64,
    /// 0-based; past the end means last.
    pub position: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueItemParams {
    pub chat: i64,
    pub id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsEventsParams {
    pub chat: i64,
    /// Events after this sequence number (ascending from there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    /// Or: the events before this sequence number (a page going back; the newest when neither
    /// `after` nor `before` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    /// At most this many (default 200, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One entry of a chat's log. Agent updates follow ACP's `session/update` names
/// (`agent_message_chunk`, `tool_call`...); band adds its own (`prompt`, `turn_ended`...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInfo {
    pub chat_id: i64,
    pub seq: u64,
    /// Unix milliseconds.
    pub at: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EventBody {
    Prompt {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queued_id: Option<i64>,
    },
    TurnStarted {},
    TurnEnded {
        /// end_turn, max_tokens, max_turn_requests, refusal or cancelled; absent when failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stop_reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        usage: UsageInfo,
    },
    AgentMessageChunk {
        text: String,
    },
    AgentThoughtChunk {
        text: String,
    },
    ToolCall {
        tool_call_id: String,
        title: String,
        /// The tool's kind (read, edit, execute, ...), as the agent reports it.
        tool_kind: String,
        raw_input: serde_json::Value,
    },
    ToolCallUpdate {
        tool_call_id: String,
        /// pending, in_progress, completed or failed.
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw_output: Option<String>,
    },
    Plan {
        entries: Vec<String>,
    },
    UsageUpdate {
        usage: UsageInfo,
    },
    Permission {
        request_id: String,
        tool: String,
        raw_input: serde_json::Value,
    },
    PermissionResolved {
        request_id: String,
        /// allow or deny.
        decision: String,
        /// user or mode.
        by: String,
    },
    Status {
        status: String,
    },
    AgentSession {
        session_id: String,
    },
    Error {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnInfo {
    pub id: i64,
    pub prompt: String,
    pub started_seq: u64,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub usage: UsageInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotalsInfo {
    pub turns: u64,
    pub usage: UsageInfo,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageParams {
    /// A chat id, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// a workspace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatsSubscribeParams {
    pub chat: i64,
    /// Replay the log from after this sequence number (0: from the start), then follow live.
    #[serde(default)]
    pub after: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesSubscribeParams {
    /// Only this workspace (a selector); all when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

/// What a workspace subscription carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum WorkspaceNotice {
    /// A chat was created, or its settings or status changed.
    Chat {
        chat: ChatInfo,
    },
    ChatRemoved {
        chat: ChatInfo,
    },
    Queue {
        chat_id: i64,
        queue: Vec<QueuedInfo>,
    },
    WorkspaceCreated {
        workspace: WorkspaceInfo,
    },
    WorkspaceRemoved {
        workspace: WorkspaceInfo,
    },
    /// A layout was set: the global one (heard by every subscriber) or a workspace's.
    Layout {
        /// Absent for the global layout.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        workspace_id: Option<i64>,
        #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
        layout: serde_json::Value,
        updated_at: i64,
    },
}

// ---- terminals ------------------------------------------------------------------------------

/// A shell on a PTY in a workspace. Terminals live as long as band-server's process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalInfo {
    pub id: i64,
    pub workspace_id: i64,
    pub title: String,
    pub cols: u16,
    pub rows: u16,
    /// running or exited. An exited terminal keeps its output until it is killed.
    pub status: String,
    /// How the shell exited, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_signal: Option<i32>,
    /// The shell's process id (also its session and process group id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Bytes of output so far: the offset the next byte will have.
    pub offset: u64,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsCreateParams {
    /// A workspace selector: id, project/branch, branch or a path inside it. The shell starts in
    /// the workspace's directory; the shell, its directory and its environment are the server's
    /// choice, never the client's.
    pub workspace: String,
    /// 1 to 500 (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<i64>,
    /// 1 to 200 (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<i64>,
    /// At most 100 characters (default "terminal <id>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsListParams {
    /// Only this workspace's terminals (a selector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalParams {
    pub terminal: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsSendParams {
    pub terminal: i64,
    /// Typed literally, as UTF-8: nothing is interpreted and no newline is added (end a command
    /// with "\r" or "\n"). At most 65536 bytes at once.
    pub data: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsResizeParams {
    pub terminal: i64,
    /// 1 to 500.
    pub cols: i64,
    /// 1 to 200.
    pub rows: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsOutputParams {
    pub terminal: i64,
    /// Output after this byte offset (default 0: the whole scrollback). Pass the `offset` of the
    /// previous answer to continue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
}

/// A piece of a terminal's output, as text (invalid UTF-8 replaced by U+FFFD; a character cut
/// at the end is left for the next call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TerminalOutputInfo {
    pub data: String,
    /// Byte offset of the first byte of `data`. More than the `after` asked for when older output
    /// has left the scrollback (256 KiB).
    pub start: u64,
    /// Byte offset just past `data`: the `after` of the next call.
    pub offset: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalsSubscribeParams {
    pub terminal: i64,
    /// Replay the scrollback after this byte offset (0: all of it), then follow live.
    #[serde(default)]
    pub after: u64,
}

/// What a terminal subscription carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum TerminalStreamItem {
    /// Output, as text (see [`TerminalOutputInfo`]).
    Output { data: String, start: u64, offset: u64 },
    /// The shell exited and all of its output was sent; the subscription ends.
    Exit { terminal: TerminalInfo },
}

// ---- tunnel ---------------------------------------------------------------------------------

/// The tunnel: a public URL that reaches this server (cloudflared or bore). At most one runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TunnelInfo {
    /// `stopped`, `starting`, `running` or `failed`.
    pub state: String,
    /// `cloudflared`, `cloudflared-named` or `bore`; absent when stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The public URL, while running (e.g. `https://random-words.trycloudflare.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it started running, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Why it failed: the error, with the tunnel program's last output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TunnelStartParams {
    /// `cloudflared`, `cloudflared-named` or `bore`; default: `tunnel.provider` in settings.json.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

// ---- settings and discovery -----------------------------------------------------------------

/// The server's settings as clients may see them: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInfo {
    /// band's home directory (`BAND_HOME`, default `~/.band`).
    pub home: String,
    pub web_server_port: u16,
    pub bind: String,
    pub worktrees_dir: String,
    /// Always true on a running server; the token itself is never sent.
    pub token_set: bool,
    pub version: String,
}

/// The body of `GET /health` (public, no token needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: String,
    pub version: String,
}

// ---- devices, audit and the main token ------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicesPairParams {
    /// What to call the device (e.g. "phone"): 1 to 64 characters, not only digits.
    pub name: String,
    /// read (watch only) or control (send, approve, terminals). Default: read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A pairing started: open `url` on the device (or scan `qr`), or redeem `code` with
/// `POST /pair`. Single use; it expires at `expiresAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pairing {
    pub name: String,
    pub scope: String,
    /// The one-time pairing code (at least 128 random bits, hex).
    pub code: String,
    /// The dashboard's address with `?pair=<code>`: opening it signs the browser in as the device.
    pub url: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// The QR code of `url`, one string per row of modules, `#` dark and ` ` light, without the
    /// quiet zone (draw four light modules around it).
    pub qr: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub id: i64,
    pub name: String,
    /// read or control.
    pub scope: String,
    pub created_at: i64,
    /// When a request with this device's credential was last seen (updated about once a minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DevicesRevokeParams {
    /// A device id, or the name of exactly one device not yet revoked.
    pub device: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditListParams {
    /// Only entries older than this entry id (for paging back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntryInfo {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// pairing_started, paired, redeem_failed, signed_in, refused, revoked or token_rotated.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// The peer's address as the server saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// What happened, never a secret.
    pub detail: String,
}

/// Who the caller is: what its credential may do, and which device it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// read, control or admin (the main token).
    pub scope: String,
    /// The paired device's id, when the credential is a device's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRotated {
    /// Live sockets closed because they were opened with the old token or a browser session.
    pub sockets_closed: u32,
    /// Where the new token is (it is never sent): settings.json's tokenSecret.
    pub settings_path: String,
}

/// The body of `POST /pair` (public: the code is the credential).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedeemRequest {
    pub code: String,
}

/// The reply of `POST /pair`: the device's own token (shown once, stored only hashed).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redeemed {
    pub token: String,
    pub device: DeviceInfo,
}

/// Describes one method for discovery, built from its [`Method`] impl.
pub struct MethodDoc {
    pub name: &'static str,
    pub summary: &'static str,
    pub scope: Scope,
    pub params: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    pub result: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

impl MethodDoc {
    const fn of<M: Method>() -> Self {
        fn schema<T: JsonSchema>(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
            g.subschema_for::<T>()
        }
        Self {
            name: M::NAME,
            summary: M::SUMMARY,
            scope: M::SCOPE,
            params: schema::<M::Params>,
            result: schema::<M::Result>,
        }
    }
}

/// Declares each method type, its [`Method`] impl, and [`METHODS`] listing them all, so that a
/// method cannot exist without being described and classified (`read`, `control` or `admin`,
/// see [`Scope`]).
macro_rules! methods {
    ($($ty:ident = $name:literal, $scope:ident, $summary:literal, $params:ty => $result:ty;)*) => {
        $(
            #[doc = $summary]
            pub struct $ty;
            impl Method for $ty {
                const NAME: &'static str = $name;
                const SUMMARY: &'static str = $summary;
                const SCOPE: Scope = scope!($scope);
                type Params = $params;
                type Result = $result;
            }
        )*
        /// Every method of the API. The server registers exactly these (a test checks both ways).
        pub const METHODS: &[MethodDoc] = &[$(MethodDoc::of::<$ty>()),*];
    };
}

/// The scope keywords of [`methods!`]; anything else does not compile.
macro_rules! scope {
    (read) => {
        Scope::Read
    };
    (control) => {
        Scope::Control
    };
    (admin) => {
        Scope::Admin
    };
}

methods! {
    ProjectsAdd = "projects.add", control, "Register a git repository as a project.",
        ProjectsAddParams => ProjectInfo;
    ProjectsList = "projects.list", read, "List registered projects, by name.",
        NoParams => Vec<ProjectInfo>;
    ProjectsRemove = "projects.remove", control, "Forget a project. The repository on disk is never touched; refused while it has workspaces.",
        ProjectNameParams => ProjectInfo;
    WorkspacesCreate = "workspaces.create", control, "Create a workspace: a git worktree on a new or existing branch. Idempotent.",
        WorkspacesCreateParams => WorkspaceCreated;
    WorkspacesList = "workspaces.list", read, "List workspaces, of one project or of all.",
        WorkspacesListParams => Vec<WorkspaceInfo>;
    WorkspacesGet = "workspaces.get", read, "Find one workspace by id, project/branch, branch or path.",
        WorkspaceParams => WorkspaceInfo;
    WorkspacesStatus = "workspaces.status", read, "Uncommitted changes of a workspace and how far it is ahead of / behind its base.",
        WorkspaceParams => WorkspaceStatusInfo;
    WorkspacesDiff = "workspaces.diff", read, "Unified diff of a workspace against the merge base with its base.",
        WorkspaceParams => WorkspaceDiffInfo;
    WorkspacesRemove = "workspaces.remove", control, "Remove a workspace's worktree. Refused with uncommitted or unmerged work unless forced.",
        WorkspacesRemoveParams => WorkspaceRemoved;
    ChatsCreate = "chats.create", control, "Start a chat with an agent in a workspace (no message is sent yet).",
        ChatsCreateParams => ChatInfo;
    ChatsList = "chats.list", read, "List chats, of one workspace or of all.",
        ChatsListParams => Vec<ChatInfo>;
    ChatsGet = "chats.get", read, "One chat.",
        ChatParams => ChatInfo;
    ChatsSend = "chats.send", control, "Send a message: starts a turn when the chat is free, else queues it.",
        ChatsSendParams => SendResult;
    ChatsStop = "chats.stop", control, "End the current turn and the agent's process group; the next message resumes the session.",
        ChatParams => ChatInfo;
    ChatsInterrupt = "chats.interrupt", control, "Ask the agent to end its current turn early, keeping its process.",
        ChatParams => ChatInfo;
    ChatsRespond = "chats.respond", control, "Answer a pending permission request: allow or deny.",
        ChatsRespondParams => ChatInfo;
    ChatsUpdate = "chats.update", control, "Rename a chat, change its model or mode, set or remove labels.",
        ChatsUpdateParams => ChatInfo;
    ChatsRemove = "chats.remove", control, "Stop a chat's agent and delete the chat with its log.",
        ChatParams => ChatInfo;
    ChatsEvents = "chats.events", read, "A page of a chat's event log: after a sequence number, or before one going back.",
        ChatsEventsParams => Vec<EventInfo>;
    ChatsTurns = "chats.turns", read, "A chat's turns with their usage, cost, duration and stop reason.",
        ChatParams => Vec<TurnInfo>;
    ChatsUsage = "chats.usage", read, "Usage totals of a chat or of a workspace's chats.",
        UsageParams => UsageTotalsInfo;
    ChatsQueue = "chats.queue", read, "Messages waiting for a busy chat, in order.",
        ChatParams => Vec<QueuedInfo>;
    ChatsQueueEdit = "chats.queue.edit", control, "Change the text of a queued message.",
        QueueEditParams => QueuedInfo;
    ChatsQueueMove = "chats.queue.move", control, "Move a queued message to another position.",
        QueueMoveParams => Vec<QueuedInfo>;
    ChatsQueueCancel = "chats.queue.cancel", control, "Remove a message from the queue.",
        QueueItemParams => QueuedInfo;
    FilesList = "files.list", read, "List a directory of a workspace: directories first, then files, without .git or band's own files.",
        FilesListParams => FileListing;
    FilesRead = "files.read", read, "Read a file of a workspace (up to 2 MiB): its text, or that it is binary, with a language hint. Contained to the workspace.",
        FilesReadParams => FileContentInfo;
    LayoutGet = "layout.get", read, "The remembered dashboard layout: the global one, or a workspace's.",
        LayoutParams => LayoutInfo;
    LayoutSet = "layout.set", control, "Remember a dashboard layout (a JSON object up to 64 KiB), global or per workspace; subscribers of workspaces.subscribe hear of it.",
        LayoutSetParams => LayoutInfo;
    TerminalsCreate = "terminals.create", control, "Open a shell on a PTY in a workspace's directory. The shell, directory and environment are the server's choice.",
        TerminalsCreateParams => TerminalInfo;
    TerminalsList = "terminals.list", read, "List terminals, of one workspace or of all.",
        TerminalsListParams => Vec<TerminalInfo>;
    TerminalsGet = "terminals.get", read, "One terminal.",
        TerminalParams => TerminalInfo;
    TerminalsSend = "terminals.send", control, "Type text into a terminal, literally; no newline is added.",
        TerminalsSendParams => TerminalInfo;
    TerminalsResize = "terminals.resize", control, "Change a terminal's size (the program in it gets SIGWINCH).",
        TerminalsResizeParams => TerminalInfo;
    TerminalsOutput = "terminals.output", read, "A terminal's output after a byte offset, as far back as its scrollback reaches.",
        TerminalsOutputParams => TerminalOutputInfo;
    TerminalsKill = "terminals.kill", control, "End a terminal's shell and everything it started, and forget the terminal.",
        TerminalParams => TerminalInfo;
    TunnelStart = "tunnel.start", admin, "Start the tunnel (one at a time) and return its public URL; its exact host is admitted while it runs.",
        TunnelStartParams => TunnelInfo;
    TunnelStop = "tunnel.stop", admin, "Stop the tunnel: its host is refused at once, then its process is stopped. Idempotent.",
        NoParams => TunnelInfo;
    TunnelStatus = "tunnel.status", read, "The tunnel's state: stopped, starting, running (with its URL) or failed (with why).",
        NoParams => TunnelInfo;
    SettingsGet = "settings.get", read, "The server's settings (without the token).",
        NoParams => SettingsInfo;
    Discover = "rpc.discover", read, "This API described as an OpenRPC 1.3 document.",
        NoParams => serde_json::Value;
    DevicesPair = "devices.pair", admin, "Start pairing a device: a one-time code (10 minutes) and the sign-in URL carrying it, with its QR code.",
        DevicesPairParams => Pairing;
    DevicesList = "devices.list", admin, "Paired devices with their scope and when they were last seen, revoked ones included.",
        NoParams => Vec<DeviceInfo>;
    DevicesRevoke = "devices.revoke", admin, "Revoke a device (by id or name): its token stops working and its sessions and sockets end at once.",
        DevicesRevokeParams => DeviceInfo;
    AuditList = "audit.list", admin, "The audit log of pairing, sign-ins, refusals, revocations and token rotations, newest first.",
        AuditListParams => Vec<AuditEntryInfo>;
    AuthWhoami = "auth.whoami", read, "The caller's access: its scope (read, control or admin) and, for a paired device, which one.",
        NoParams => WhoAmI;
    TokenRotate = "token.rotate", admin, "Replace the main token: every browser session and every socket opened with the old token ends. Device tokens stay valid.",
        NoParams => TokenRotated;
}

/// A subscription: subscribe with params, receive `notification`s carrying items, unsubscribe.
pub struct SubscriptionDoc {
    pub name: &'static str,
    pub notification: &'static str,
    pub unsubscribe: &'static str,
    pub summary: &'static str,
    /// Who may subscribe (see [`Method::SCOPE`]).
    pub scope: Scope,
    pub params: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    pub item: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

fn schema<T: JsonSchema>(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

/// A chat's log from a sequence number, then live: every event once, in order.
pub const CHATS_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "chats.subscribe",
    notification: "chats.event",
    unsubscribe: "chats.unsubscribe",
    summary: "Replay a chat's events after a sequence number, then follow them live, with no gap and no duplicate.",
    scope: Scope::Read,
    params: schema::<ChatsSubscribeParams>,
    item: schema::<EventInfo>,
};

/// Chat status, queue and workspace changes, live.
pub const WORKSPACES_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "workspaces.subscribe",
    notification: "workspaces.notice",
    unsubscribe: "workspaces.unsubscribe",
    summary: "Follow chat status and queue changes, workspace creation and removal, and layout changes, of one workspace or all.",
    scope: Scope::Read,
    params: schema::<WorkspacesSubscribeParams>,
    item: schema::<WorkspaceNotice>,
};

/// A terminal's output from a byte offset, then live, until its shell exits.
pub const TERMINALS_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "terminals.subscribe",
    notification: "terminals.data",
    unsubscribe: "terminals.unsubscribe",
    summary: "Replay a terminal's scrollback after a byte offset, then follow its output live, until the shell exits.",
    scope: Scope::Read,
    params: schema::<TerminalsSubscribeParams>,
    item: schema::<TerminalStreamItem>,
};

/// The tunnel's state now, then every change.
pub const TUNNEL_SUBSCRIBE: SubscriptionDoc = SubscriptionDoc {
    name: "tunnel.subscribe",
    notification: "tunnel.state",
    unsubscribe: "tunnel.unsubscribe",
    summary: "The tunnel's state now, then each change live: starting, running (with its URL), stopped, failed (with why).",
    scope: Scope::Read,
    params: schema::<NoParams>,
    item: schema::<TunnelInfo>,
};

pub const SUBSCRIPTIONS: &[SubscriptionDoc] =
    &[CHATS_SUBSCRIBE, WORKSPACES_SUBSCRIBE, TERMINALS_SUBSCRIBE, TUNNEL_SUBSCRIBE];

/// The OpenRPC 1.3 document for [`METHODS`]. Params are by name: each field of a method's params
/// type is one OpenRPC param.
pub fn openrpc() -> serde_json::Value {
    use serde_json::{Value, json};
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "#/components/schemas/".into())
        .into_generator();
    let mut methods = Vec::new();
    for m in METHODS {
        let params_schema = (m.params)(&mut generator);
        let result_schema = (m.result)(&mut generator);
        let params_schema = resolve(&generator, params_schema.to_value());
        let required: Vec<&str> = params_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let params: Vec<Value> = params_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .map(|(name, schema)| {
                        let mut p =
                            json!({"name": name, "required": required.contains(&name.as_str()), "schema": schema});
                        if let Some(d) = schema.get("description") {
                            p["description"] = d.clone();
                        }
                        p
                    })
                    .collect()
            })
            .unwrap_or_default();
        methods.push(json!({
            "name": m.name,
            "summary": m.summary,
            "x-scope": m.scope.as_str(),
            "paramStructure": "by-name",
            "params": params,
            "result": {"name": "result", "schema": result_schema.to_value()},
        }));
    }
    let subscriptions: Vec<Value> = SUBSCRIPTIONS
        .iter()
        .map(|s| {
            json!({
                "name": s.name,
                "summary": s.summary,
                "x-scope": s.scope.as_str(),
                "notification": s.notification,
                "unsubscribe": s.unsubscribe,
                "params": (s.params)(&mut generator).to_value(),
                "item": (s.item)(&mut generator).to_value(),
            })
        })
        .collect();
    let schemas = generator.take_definitions(true);
    json!({
        "openrpc": "1.3.2",
        "info": {"title": "band", "version": env!("CARGO_PKG_VERSION"),
                 "description": "band-server's JSON-RPC 2.0 API, over HTTP POST and WebSocket at /rpc. Subscriptions (x-subscriptions) need the WebSocket."},
        "methods": methods,
        "x-subscriptions": subscriptions,
        "components": {"schemas": schemas},
    })
}

/// Follows a top-level `$ref` into the generator's definitions.
fn resolve(generator: &schemars::SchemaGenerator, schema: serde_json::Value) -> serde_json::Value {
    match schema.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.rsplit('/').next()) {
        Some(name) => generator.definitions().get(name).cloned().unwrap_or(schema),
        None => schema,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_and_subscription_is_classified_and_access_itself_is_admin() {
        let doc = openrpc();
        for m in
            doc["methods"].as_array().expect("methods").iter().chain(doc["x-subscriptions"].as_array().expect("subs"))
        {
            assert!(["read", "control", "admin"].contains(&m["x-scope"].as_str().unwrap_or_default()), "{}", m["name"]);
        }
        let scope = |name: &str| METHODS.iter().find(|m| m.name == name).map(|m| m.scope);
        for admin in ["devices.pair", "devices.list", "devices.revoke", "audit.list", "token.rotate"] {
            assert_eq!(scope(admin), Some(Scope::Admin), "{admin}");
        }
        for control in ["chats.send", "chats.respond", "chats.stop", "terminals.create", "terminals.send", "layout.set"]
        {
            assert_eq!(scope(control), Some(Scope::Control), "{control}");
        }
        for read in ["chats.list", "chats.events", "workspaces.diff", "files.read", "terminals.output"] {
            assert_eq!(scope(read), Some(Scope::Read), "{read}");
        }
        assert!(SUBSCRIPTIONS.iter().all(|s| s.scope == Scope::Read));
    }

    #[test]
    fn method_names_are_unique_and_namespaced() {
        let mut names: Vec<&str> = METHODS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate method names");
        assert!(names.iter().all(|n| n.contains('.')), "{names:?}");
    }

    #[test]
    fn openrpc_describes_every_method_with_its_params() {
        let doc = openrpc();
        let methods = doc["methods"].as_array().expect("methods");
        assert_eq!(methods.len(), METHODS.len());
        let create = methods.iter().find(|m| m["name"] == "workspaces.create").expect("workspaces.create");
        let params: Vec<(&str, bool)> = create["params"]
            .as_array()
            .expect("params")
            .iter()
            .map(|p| (p["name"].as_str().unwrap_or_default(), p["required"].as_bool().unwrap_or_default()))
            .collect();
        assert_eq!(
            params,
            vec![
                ("agent", false),
                ("base", false),
                ("branch", true),
                ("mode", false),
                ("model", false),
                ("project", true),
                ("prompt", false)
            ]
        );
        let subs = doc["x-subscriptions"].as_array().expect("subscriptions");
        assert_eq!(subs.len(), SUBSCRIPTIONS.len());
        assert_eq!(subs[0]["notification"], "chats.event");
        assert!(subs[0]["item"]["$ref"].as_str().is_some_and(|r| r.ends_with("/EventInfo")));
        // Results refer to shared component schemas, which exist.
        let r = create["result"]["schema"]["$ref"].as_str().expect("a $ref");
        let name = r.rsplit('/').next().unwrap_or_default();
        assert!(doc["components"]["schemas"][name].is_object(), "{r} missing");
        assert!(doc["components"]["schemas"]["WorkspaceCreated"]["properties"]["branch"].is_object());
    }

    /// The dashboard's copy of this API (`web/src/api/openrpc.json`), from which its TypeScript
    /// types are generated (`npm run gen:types` in web/, checked by its own test), must be this
    /// one. `BAND_WRITE_SCHEMA=1 cargo test -p band-adapters --lib api` rewrites it.
    #[test]
    fn the_dashboard_copy_of_the_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/src/api/openrpc.json");
        let mut want = serde_json::to_string_pretty(&openrpc()).expect("json");
        want.push('\n');
        if std::env::var_os("BAND_WRITE_SCHEMA").is_some_and(|v| v == "1") {
            std::fs::write(&path, &want).expect("write web/src/api/openrpc.json");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "web/src/api/openrpc.json is stale: run `BAND_WRITE_SCHEMA=1 cargo test -p band-adapters --lib api`, \
             then `npm run gen:types` in web/, and commit both"
        );
    }

    #[test]
    fn layouts_are_described_as_objects() {
        let doc = openrpc();
        let methods = doc["methods"].as_array().expect("methods");
        let set = methods.iter().find(|m| m["name"] == "layout.set").expect("layout.set");
        let layout = set["params"].as_array().expect("params").iter().find(|p| p["name"] == "layout").expect("layout");
        assert_eq!((layout["required"].as_bool(), layout["schema"]["type"].as_str()), (Some(true), Some("object")));
        let info = &doc["components"]["schemas"]["LayoutInfo"]["properties"]["layout"];
        assert!(info.to_string().contains("object") && info.to_string().contains("null"), "{info}");
    }

    #[test]
    fn params_reject_unknown_fields_and_wire_names_are_camel_case() {
        let e = serde_json::from_str::<WorkspacesCreateParams>(r#"{"project":"a","branch":"b","bse":"x"}"#)
            .expect_err("unknown field");
        assert!(e.to_string().contains("unknown field `bse`"), "{e}");
        let info =
            ProjectInfo { id: 1, name: "a".into(), path: "/a".into(), default_branch: "main".into(), created_at: 5 };
        let v = serde_json::to_value(info).expect("json");
        assert_eq!(v["defaultBranch"], "main");
        assert_eq!(v["createdAt"], 5);
    }
}
