use async_trait::async_trait;

use crate::access::{AuditEntry, Device, DeviceId, NewAuditEntry, NewDevice};
use crate::chat::{
    Chat, ChatEvent, ChatPatch, EventPayload, NewChat, QueuedId, QueuedMessage, Turn, TurnId, TurnUsage, UsageBy,
    UsageFilter, UsageReport, UsageTotals,
};
use crate::error::StoreError;
use crate::model::{
    ChatId, ChatStatus, Layout, LayoutScope, Millis, NewProject, NewWorkspace, Project, ProjectId, Workspace,
    WorkspaceId,
};
use crate::names::{BranchName, ProjectName};
use crate::review::{NewReviewComment, ReviewComment, ReviewCommentId};

/// Durable storage of projects.
///
/// Implementations MUST be safe to call from many tasks at once and MUST NOT block the calling
/// async task on I/O.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Stores a new project and assigns its id and creation time.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] naming the project when its name or its path is already stored;
    /// nothing is written then.
    async fn insert_project(&self, new: NewProject) -> Result<Project, StoreError>;

    /// All projects, ordered by name.
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] when no project has that name.
    async fn project_by_name(&self, name: &ProjectName) -> Result<Project, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] when no project has that id.
    async fn project_by_id(&self, id: ProjectId) -> Result<Project, StoreError>;

    /// Deletes the project record (never anything on disk).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent. Implementations MUST refuse (as
    /// [`StoreError::Internal`]) to delete a project that still has workspaces, rather than
    /// orphan or cascade them.
    async fn delete_project(&self, id: ProjectId) -> Result<(), StoreError>;
}

/// Durable storage of workspaces.
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// # Errors
    /// [`StoreError::Duplicate`] when the project already has a workspace on that branch, or any
    /// workspace has that path; [`StoreError::NotFound`] when the project does not exist.
    async fn insert_workspace(&self, new: NewWorkspace) -> Result<Workspace, StoreError>;

    /// Workspaces of one project, or of all projects, ordered by id.
    async fn list_workspaces(&self, project: Option<ProjectId>) -> Result<Vec<Workspace>, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace, StoreError>;

    /// `Ok(None)` when the project has no workspace on that branch.
    async fn workspace_by_branch(
        &self,
        project: ProjectId,
        branch: &BranchName,
    ) -> Result<Option<Workspace>, StoreError>;

    /// Marks the workspace archived at `at` (its worktree is gone, its branch and chats kept), or
    /// restored with `None`; returns it as it is now.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn set_archived(&self, id: WorkspaceId, at: Option<crate::model::Millis>) -> Result<Workspace, StoreError>;

    /// Deletes the workspace with its chats (see [`ChatStore::delete_chat`]) and its layout.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError>;
}

/// Durable storage of chats' settings. Status, agent session and `last_seq` are projections of
/// the event log, written only by [`EventLog::append_events`].
#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Stores a new chat: status idle, no events.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the workspace does not exist.
    async fn insert_chat(&self, new: NewChat) -> Result<Chat, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] ("chat N") when absent.
    async fn chat(&self, id: ChatId) -> Result<Chat, StoreError>;

    /// Chats of one workspace, or of all, ordered by id.
    async fn list_chats(&self, workspace: Option<WorkspaceId>) -> Result<Vec<Chat>, StoreError>;

    /// Chats whose status is one of `statuses`, ordered by id.
    async fn chats_in_status(&self, statuses: &[ChatStatus]) -> Result<Vec<Chat>, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn update_chat(&self, id: ChatId, patch: ChatPatch) -> Result<Chat, StoreError>;

    /// Deletes the chat with its events, turns and queued messages.
    async fn delete_chat(&self, id: ChatId) -> Result<(), StoreError>;
}

/// The per-chat, append-only event log: the one source of truth of what happened in a chat.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Appends, in ONE transaction, each chat's events after its last one, numbering them
    /// `last_seq + 1, + 2, ...`, and applies their projections in the same transaction:
    /// - `Status` sets the chat's status; `AgentSession` its agent session id;
    /// - `Prompt { queued: Some(id) }` deletes that queued message;
    /// - `TurnStarted` opens a turn whose prompt is the text of the `Prompt` before it in the
    ///   same batch (empty if none); `TurnEnded` closes the chat's open turn with its outcome
    ///   (no open turn: nothing to close).
    ///
    /// Returns the stored events in order. All or nothing: on error nothing was written.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when a chat does not exist; [`StoreError::DiskFull`].
    async fn append_events(&self, batch: Vec<(ChatId, Vec<EventPayload>)>) -> Result<Vec<ChatEvent>, StoreError>;

    /// Events with `seq > after`, ascending, at most `limit`.
    async fn events_after(&self, chat: ChatId, after: u64, limit: usize) -> Result<Vec<ChatEvent>, StoreError>;

    /// The last `limit` events with `seq < before` (no bound when `None`), ascending: pages of
    /// history from the newest backwards.
    async fn events_before(
        &self,
        chat: ChatId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ChatEvent>, StoreError>;
}

/// Turns as projected by the event log (read-only).
#[async_trait]
pub trait TurnLog: Send + Sync {
    /// A chat's turns, oldest first.
    async fn turns(&self, chat: ChatId) -> Result<Vec<Turn>, StoreError>;

    /// Totals over the ended turns of a chat, or of every chat of a workspace.
    async fn usage_totals(&self, scope: UsageScope) -> Result<UsageTotals, StoreError>;

    /// The ended turns `filter` selects, grouped `by` (largest cost first, then most tokens,
    /// then key), with their total and their tool calls. Sums of costs are exact to a millionth
    /// of a dollar per turn (each turn's cost is rounded to one before adding).
    async fn usage_report(&self, by: UsageBy, filter: UsageFilter) -> Result<UsageReport, StoreError>;

    /// The ended turns `filter` selects, newest first, at most `limit`, before the turn `before`
    /// when given (for paging), each with its tool calls.
    async fn turn_usage(
        &self,
        filter: UsageFilter,
        limit: usize,
        before: Option<TurnId>,
    ) -> Result<Vec<TurnUsage>, StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageScope {
    Chat(ChatId),
    Workspace(WorkspaceId),
    Project(crate::ProjectId),
    /// Every chat's turns started at or after this time.
    Since(crate::Millis),
}

/// Messages waiting for a busy chat, in order.
#[async_trait]
pub trait MessageQueue: Send + Sync {
    /// Adds a message at the end of the chat's queue.
    async fn enqueue(&self, chat: ChatId, text: String) -> Result<QueuedMessage, StoreError>;

    /// The chat's queue, by position (0, 1, 2... without gaps).
    async fn queued(&self, chat: ChatId) -> Result<Vec<QueuedMessage>, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] ("queued message N") when it is gone (sent or cancelled).
    async fn edit_queued(&self, id: QueuedId, text: String) -> Result<QueuedMessage, StoreError>;

    /// Moves a message to `position` (clamped to the end), shifting the others; returns the
    /// chat's queue.
    async fn move_queued(&self, id: QueuedId, position: u32) -> Result<Vec<QueuedMessage>, StoreError>;

    /// Removes a message; the others close the gap.
    async fn cancel_queued(&self, id: QueuedId) -> Result<QueuedMessage, StoreError>;
}

/// Remembered dashboard layouts: one document per [`LayoutScope`].
#[async_trait]
pub trait LayoutStore: Send + Sync {
    /// The scope's layout; `Ok(None)` when none was set (or its workspace is gone).
    async fn layout(&self, scope: LayoutScope) -> Result<Option<Layout>, StoreError>;

    /// Replaces the scope's layout with `document` (stored as given, never parsed) and returns
    /// it. `updated_at` is now, or 1 ms after the one it replaces if that is not earlier, so it
    /// strictly increases per scope.
    ///
    /// A workspace's layout is deleted with the workspace
    /// ([`WorkspaceStore::delete_workspace`]).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("workspace N") when the scope's workspace does not exist;
    /// nothing is written then.
    async fn put_layout(&self, scope: LayoutScope, document: String) -> Result<Layout, StoreError>;
}

/// Review comments on workspaces' diffs, kept until resolved.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Stores a new comment, unresolved and unsent, and assigns its id and creation time.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("workspace N") when the workspace does not exist.
    async fn add_comment(&self, comment: NewReviewComment) -> Result<ReviewComment, StoreError>;

    /// The workspace's comments, oldest first. Comments are deleted with their workspace.
    async fn comments(&self, workspace: WorkspaceId) -> Result<Vec<ReviewComment>, StoreError>;

    /// One comment.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("review comment N") when there is none.
    async fn comment(&self, id: ReviewCommentId) -> Result<ReviewComment, StoreError>;

    /// Marks a comment resolved, or open again (which also clears its sent mark, so it is sent
    /// again), and returns it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("review comment N") when there is none.
    async fn set_resolved(&self, id: ReviewCommentId, resolved: bool) -> Result<ReviewComment, StoreError>;

    /// Records that these comments were sent to `chat` at `at`; ids that are gone are skipped.
    async fn mark_sent(&self, ids: &[ReviewCommentId], chat: ChatId, at: Millis) -> Result<(), StoreError>;
}

/// Paired devices. A device's token is never stored, only its hash.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device, not revoked and never seen, and assigns its id and creation time.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when a device with that token hash exists; nothing is written.
    async fn insert_device(&self, new: NewDevice) -> Result<Device, StoreError>;

    /// Every device, revoked ones included, ordered by id.
    async fn list_devices(&self) -> Result<Vec<Device>, StoreError>;

    /// Records that the device was seen at `at`; `last_seen_at` never moves backwards.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("device N") when absent.
    async fn touch_device(&self, id: DeviceId, at: crate::model::Millis) -> Result<(), StoreError>;

    /// Marks the device revoked now, or keeps the time it was first revoked; returns it.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("device N") when absent.
    async fn revoke_device(&self, id: DeviceId) -> Result<Device, StoreError>;
}

/// The audit log of authentication events, newest kept, bounded.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry (id increasing, `at` now) and prunes the oldest entries beyond
    /// [`AUDIT_KEEP`](crate::AUDIT_KEEP), in one transaction.
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError>;

    /// At most `limit` entries with `id < before` (no bound when `None`), newest first.
    async fn audit_before(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}
