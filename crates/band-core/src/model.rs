//! Domain records. Plain data; the services decide, the ports store and fetch.

use std::path::PathBuf;

use crate::names::{BranchName, GitRef, ProjectName};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkspaceId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatId(pub i64);

/// A registered git repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub name: ProjectName,
    /// Canonical path of the repository's main working tree.
    pub path: PathBuf,
    pub default_branch: BranchName,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub name: ProjectName,
    pub path: PathBuf,
    pub default_branch: BranchName,
}

/// A git worktree on its own branch, owned by one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub project_id: ProjectId,
    pub branch: BranchName,
    /// What the branch started from and what its diff and merge state are measured against.
    pub base: GitRef,
    pub path: PathBuf,
    /// Whether band created the branch (and so may delete it once merged).
    pub branch_created: bool,
    pub created_at: Millis,
    /// The project's own checkout rather than a worktree of band's (direct mode): removing it
    /// only forgets it; git is never touched.
    pub direct: bool,
    /// When it was archived: its worktree was removed, its branch and chats kept, until it is
    /// restored.
    pub archived_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkspace {
    pub project_id: ProjectId,
    pub branch: BranchName,
    pub base: GitRef,
    pub path: PathBuf,
    pub branch_created: bool,
    pub direct: bool,
}

/// A workspace as listed: its record, its project's name, and whether its worktree is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedWorkspace {
    pub project: ProjectName,
    pub workspace: Workspace,
    /// git has no worktree at its path, or the worktree's directory is gone (deleted by hand, or
    /// band stopped in the middle of removing it): it can only be removed.
    pub missing: bool,
}

/// What reconciling one project's worktrees with band's records found and did (at start: a crash
/// may have come between a git change and the database's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Worktrees band had made at `<worktrees_dir>/<project>/<branch>`, on that branch, that it
    /// did not list (a stop between git and the database): now workspaces.
    pub adopted: Vec<Workspace>,
    /// Workspaces whose worktree is gone; they are listed as missing and can be removed.
    pub missing: Vec<Workspace>,
    /// Worktrees in the project's part of band's directory that band neither lists nor adopted,
    /// with why; left exactly as they are.
    pub unknown: Vec<(PathBuf, String)>,
    /// Worktrees whose `git worktree add` was killed midway ([`WorktreeInfo::cut_off`]): removed,
    /// their branches kept.
    pub discarded: Vec<PathBuf>,
    /// git's entries of worktrees whose directories are gone were dropped.
    pub pruned: bool,
}

/// What `GitRepos::inspect` learns about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// Canonical top-level directory of the working tree containing the path.
    pub root: PathBuf,
    pub default_branch: BranchName,
    /// True when `root` is a linked worktree rather than the main working tree.
    pub is_linked_worktree: bool,
}

/// A worktree as git lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeInfo {
    pub path: PathBuf,
    /// `None` when HEAD is detached.
    pub branch: Option<String>,
    pub is_main: bool,
    /// Its directory is gone: git still has its administrative entry (what `git worktree prune`
    /// drops).
    pub missing: bool,
    /// Locked (`git worktree lock`, or by a `git worktree add` still making it): prune keeps it.
    pub locked: bool,
    /// Locked by a `git worktree add` that never finished: the lock's reason is git's own
    /// `initializing`, which git removes as its last step. When no git can be running on it (band's
    /// start, once the last server's processes are swept), its add was killed midway.
    pub cut_off: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed,
    TypeChanged,
    Untracked,
    Conflicted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Modified => "modified",
            Self::Deleted => "deleted",
            Self::Renamed => "renamed",
            Self::TypeChanged => "type-changed",
            Self::Untracked => "untracked",
            Self::Conflicted => "conflicted",
        }
    }
}

/// One uncommitted change in a worktree (index or working tree against HEAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path relative to the worktree root, `/`-separated.
    pub path: String,
    pub kind: ChangeKind,
}

/// Commits on one side only: `ahead` = on HEAD, not on the base; `behind` = the reverse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Divergence {
    pub ahead: u32,
    pub behind: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceStatus {
    pub workspace: Workspace,
    pub project: ProjectName,
    pub changes: Vec<FileChange>,
    pub divergence: Divergence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceDiff {
    pub workspace: Workspace,
    pub project: ProjectName,
    /// The commit the diff is taken from: the merge base of the workspace's HEAD and its base.
    pub from: String,
    /// Unified diff (with `diff --git` headers) of the working tree, untracked files included.
    pub patch: String,
}

/// The outcome of removing a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRemoval {
    pub workspace: Workspace,
    pub project: ProjectName,
    pub branch_deleted: bool,
    /// Why the branch was kept, when it was.
    pub branch_kept_because: Option<String>,
}

/// Who decides on an agent's permission requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionMode {
    /// Every request waits for a person.
    Ask,
    /// File edits are allowed; anything else waits for a person.
    AcceptEdits,
    /// Everything is allowed.
    AllowAll,
}

impl PermissionMode {
    pub const ALL: [PermissionMode; 3] = [Self::Ask, Self::AcceptEdits, Self::AllowAll];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ask => "ask",
            Self::AcceptEdits => "accept-edits",
            Self::AllowAll => "allow-all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// How band talks to a chat's agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChatVia {
    /// Through the agent's structured protocol (stream-json, app-server, ACP).
    #[default]
    Protocol,
    /// Its interactive CLI in a terminal (a PTY), typed into like a person would; status from
    /// its hooks (`band notify`) or its screen. Terminal-protocol agents always run so.
    Terminal,
}

impl ChatVia {
    pub const ALL: [ChatVia; 2] = [Self::Protocol, Self::Terminal];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Protocol => "protocol",
            Self::Terminal => "terminal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The life of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChatStatus {
    Idle,
    Working,
    /// Waiting on the user: a permission or a question.
    Waiting,
    Completed,
    Failed,
    /// The server stopped mid-turn; the next message resumes the agent's session.
    Interrupted,
}

impl ChatStatus {
    pub const ALL: [ChatStatus; 6] =
        [Self::Idle, Self::Working, Self::Waiting, Self::Completed, Self::Failed, Self::Interrupted];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// A turn is under way (the agent works, or waits on the user).
    pub fn busy(self) -> bool {
        matches!(self, Self::Working | Self::Waiting)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Working => "working",
            Self::Waiting => "waiting",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }
}

/// Whose layout: the dashboard's overall one, or one workspace's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayoutScope {
    Global,
    Workspace(WorkspaceId),
}

/// A remembered dashboard layout (open panes, sizes, the active chat...). The document is JSON
/// text that only the clients interpret; band keeps it and hands it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub scope: LayoutScope,
    pub document: String,
    /// When it was last set; strictly increasing per scope, so a client can tell a newer layout
    /// from one it already has.
    pub updated_at: Millis,
}

/// How a workspace's branch takes in its base before it goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeStrategy {
    /// Replay the branch's commits on the base (a straight history).
    Rebase,
    /// Merge the base into the branch (a merge commit when they diverged).
    Merge,
}

/// What to merge back, for [`crate::ports::GitRepos::merge_back`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequest {
    /// The project's checkout.
    pub repo: PathBuf,
    pub worktree: PathBuf,
    pub branch: BranchName,
    pub base: GitRef,
    /// The message of the commit made of uncommitted changes (if any).
    pub message: String,
    pub strategy: MergeStrategy,
    /// Push the branch to its remote afterwards.
    pub push: bool,
}

/// What merging back did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The commit made of the uncommitted changes, when there were any.
    pub committed: Option<String>,
    /// Files in conflict, one by one; then everything was put back as it was (the commit undone
    /// into uncommitted changes again) and nothing else happened.
    pub conflicts: Vec<String>,
    /// The branch's tip after taking in the base.
    pub head: Option<String>,
    /// The base branch moved forward to the tip (`Ok(where)`: in the checkout, or the ref), or
    /// why it was left (`Err`).
    pub base_moved: Option<Result<String, String>>,
    /// Pushed to (`Ok(remote)`), or why not (`Err`); `None` when not asked.
    pub pushed: Option<Result<String, String>>,
}
