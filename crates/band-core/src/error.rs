//! Errors per layer. Adapters translate their own errors into [`StoreError`], [`GitError`],
//! [`FileError`] and [`AgentError`] at the seam; the services turn those into [`CoreError`], the one type the edges
//! (JSON-RPC, CLI) map to their own codes.

use std::path::PathBuf;

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the storage ports.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule was broken; the string names the conflicting value.
    #[error("{0} already exists")]
    Duplicate(String),
    /// The database could not be written for lack of space.
    #[error("the disk is full; free some space and try again")]
    DiskFull,
    #[error("storage failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the git port.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// Nothing is at the path given.
    #[error("{} does not exist", .0.display())]
    NoSuchPath(PathBuf),
    #[error("{} is not a git repository", .0.display())]
    NotARepository(PathBuf),
    #[error("{} is a bare repository; band needs a working tree", .0.display())]
    BareRepository(PathBuf),
    #[error("'{0}' does not name a commit in this repository")]
    RefNotFound(String),
    #[error("branch '{0}' is already checked out in another worktree")]
    BranchCheckedOut(String),
    #[error("{} already exists and is not this workspace's worktree", .0.display())]
    PathExists(PathBuf),
    #[error("worktree {} is missing", .0.display())]
    WorktreeMissing(PathBuf),
    /// Another git process changed the repository's worktrees or branches while git ran (git's
    /// own words for it, such as "failed to read .git/worktrees/x/commondir", are for the log
    /// only). Nothing the call made is left behind, so trying again is safe.
    #[error(
        "another git process was changing this repository's worktrees at the same time; nothing was changed, and trying again is safe"
    )]
    Concurrent,
    /// git ran and refused; the string is git's own message, trimmed.
    #[error("git: {0}")]
    Refused(String),
    #[error("git failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the workspace files port. Each names the path as the client gave it (relative to the
/// workspace root), never the resolved location, and says why it was refused.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("'{0}' does not exist in this workspace")]
    NotFound(String),
    #[error("the workspace's directory {} is missing", .0.display())]
    RootMissing(PathBuf),
    #[error("'{0}' is a directory; list it with files.list")]
    IsADirectory(String),
    #[error("'{0}' is not a directory")]
    NotADirectory(String),
    /// A named pipe, socket or device (`kind` says which, with its article).
    #[error("'{path}' is {kind}, not a regular file; band serves regular files only")]
    NotRegular { path: String, kind: &'static str },
    /// After resolving symlinks, the path lies outside the workspace root.
    #[error("'{0}' resolves outside the workspace; band serves files inside it only")]
    Outside(String),
    /// After resolving symlinks, the path lies inside a `.git` directory (or is a `.git` file).
    #[error("'{0}' resolves into git's internals (.git), which band never serves")]
    GitInternals(String),
    /// After resolving symlinks (or through a hard link), the path is one of band's own files:
    /// its settings (with the token), its database.
    #[error("'{0}' resolves to one of band's own files, which band never serves")]
    BandFile(String),
    #[error("'{0}' is a symlink loop")]
    SymlinkLoop(String),
    #[error("'{0}' cannot be read: permission denied")]
    PermissionDenied(String),
    #[error("'{path}' is {} ({size} bytes); band reads files up to {}", crate::files::human_size(*.size), crate::files::human_size(*.limit))]
    TooLarge { path: String, size: u64, limit: u64 },
    /// The file was replaced between the checks and the read.
    #[error("'{0}' changed while it was being read; try again")]
    Changed(String),
    #[error("reading files failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the agent port.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The agent's program is not installed (not on its PATH, or not at the configured path).
    #[error("the {agent} agent's binary '{binary}' was not found")]
    BinaryMissing { agent: crate::AgentId, binary: String, install: Option<crate::Install> },
    #[error("the agent process exited: {0}")]
    Exited(String),
    #[error("the agent broke its protocol: {0}")]
    Protocol(String),
    #[error("agent failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the terminal port.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("the terminal's shell has exited")]
    Exited,
    /// The directory to start in is gone.
    #[error("{} is not a directory", .0.display())]
    Missing(PathBuf),
    /// The PTY did not take input within this many seconds.
    #[error("the terminal did not take its input within {0} s; the program in it is not reading")]
    Stalled(u64),
    #[error("terminal failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the tunnel port. Each message is fit to show a person.
#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    /// The program is not installed; the message says how to install it or where to set its path.
    #[error("{0}")]
    BinaryMissing(String),
    /// A setting the provider needs is absent or invalid; the message names it.
    #[error("{0}")]
    NotConfigured(String),
    /// The process exited, or printed no URL in time; the message has its last lines.
    #[error("{0}")]
    Failed(String),
    #[error("tunnel failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the pull-request port (the GitHub CLI). Each message is fit to show a person.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// `gh` is not installed (or not where band looks for it).
    #[error("the GitHub CLI (gh) is not installed on band-server's machine")]
    NotInstalled,
    /// `gh` runs but is signed in to no GitHub host.
    #[error("the GitHub CLI (gh) is not signed in to GitHub")]
    SignedOut,
    /// No pull request matched (a branch without one, an unknown number).
    #[error("{0}")]
    NoPullRequest(String),
    /// gh failed; the message is its own (its last lines).
    #[error("gh failed: {0}")]
    Failed(String),
}

impl From<PullError> for CoreError {
    fn from(e: PullError) -> Self {
        match e {
            PullError::NotInstalled => {
                Self::Refused(Problem::new(e.to_string()).fix(Fix::SetUpGh { signed_out: false }))
            }
            PullError::SignedOut => Self::Refused(Problem::new(e.to_string()).fix(Fix::SetUpGh { signed_out: true })),
            PullError::NoPullRequest(m) => Self::NotFound(m.into()),
            PullError::Failed(_) => Self::Refused(e.to_string().into()),
        }
    }
}

/// Errors of the project configuration port. Each names the source (the file, or band's
/// override) and says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: {what}")]
    Invalid { source_name: String, what: String },
    #[error("reading the project's configuration failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the script runner port.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("the script could not be started: {0}")]
    NotStarted(String),
}

/// What a use case reports to its caller. Every variant but `Internal` carries a [`Problem`]: the
/// facts (what was wrong, with which value, and why) and, where there is one, the [`Fix`] — which
/// each edge words for its own user, since only it knows its commands, flags or buttons.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request itself is malformed (a bad name, a relative path...).
    #[error("{0}")]
    InvalidInput(Problem),
    #[error("{0}")]
    NotFound(Problem),
    /// The request conflicts with existing state (a duplicate project...).
    #[error("{0}")]
    Conflict(Problem),
    /// The request is valid but refused to protect the user's work.
    #[error("{0}")]
    Refused(Problem),
    /// Opaque to callers; logged where it is mapped.
    #[error("internal error: {0}")]
    Internal(#[source] Source),
}

impl CoreError {
    /// The problem, unless the error is internal.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::InvalidInput(p) | Self::NotFound(p) | Self::Conflict(p) | Self::Refused(p) => Some(p),
            Self::Internal(_) => None,
        }
    }
}

/// The facts of a failure, and what would fix it. `what` says what was wrong in words that fit
/// every edge ("no workspace 'app/x'", "workspace 'app/x' has 2 uncommitted change(s) (a, b)");
/// it never names a command, flag or button: that is the [`Fix`]'s, worded by each edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: Option<Fix>,
}

impl Problem {
    pub fn new(what: impl Into<String>) -> Self {
        Self { what: what.into(), fix: None }
    }

    /// With what would fix it.
    #[must_use]
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

impl std::fmt::Display for Problem {
    /// The facts alone; an edge adds its own wording of the fix.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.what)
    }
}

impl From<String> for Problem {
    fn from(what: String) -> Self {
        Self::new(what)
    }
}

impl From<&str> for Problem {
    fn from(what: &str) -> Self {
        Self::new(what)
    }
}

impl PartialEq<str> for Problem {
    fn eq(&self, other: &str) -> bool {
        self.what == other
    }
}

impl PartialEq<&str> for Problem {
    fn eq(&self, other: &&str) -> bool {
        self.what == *other
    }
}

/// A list to look something up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOf {
    Projects,
    Workspaces,
    Chats,
    Terminals,
    Devices,
    Agents,
    Cronjobs,
}

/// What would fix a failure, as a fact the edges word: the CLI names its command or flag, the
/// dashboard its button, the API its method or param.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// The thing named does not exist (or is ambiguous): look it up in this list.
    SeeList(ListOf),
    /// A name is taken or cannot be derived: give the project another name.
    ChooseName,
    /// Uncommitted changes stand in the way: commit them, or force, which discards them.
    CommitOrForce,
    /// Commits the base lacks stand in the way: merge them, or force, which removes the worktree
    /// and keeps the branch.
    MergeOrForce,
    /// The project still has workspaces: remove them first.
    RemoveWorkspacesFirst { project: String },
    /// The workspace's worktree is gone: remove the workspace, forced.
    RemoveWorkspaceForced { workspace: String },
    /// A chat is busy: stop it first.
    StopChat { chat: i64 },
    /// Too many terminals, or an exited one kept: kill one (this one, when named).
    KillTerminal { terminal: Option<i64> },
    /// A tunnel runs or starts: stop it first.
    StopTunnel,
    /// Several permission requests are pending: name the one to answer.
    NameRequest,
    /// The credential's scope is too small: pair the device again with this scope.
    PairAgain { scope: crate::Scope },
    /// Only the main token may do this.
    UseMainToken,
    /// The pairing code is wrong, used or expired: ask for a new one.
    NewPairingCode,
    /// The project's scripts are not approved (or changed since): review and approve them.
    ApproveScripts { project: String },
    /// The GitHub CLI is missing (install it, then sign in) or signed out (sign in).
    SetUpGh { signed_out: bool },
    /// The workspace is archived (no worktree): restore it first.
    RestoreWorkspace { workspace: i64 },
    /// An agent's program is missing: install it this way (when band knows how), or set the
    /// path of its binary in settings (`agents.<agent>.binary`).
    InstallAgent { agent: crate::AgentId, install: Option<crate::Install> },
}

impl From<crate::names::NameError> for CoreError {
    fn from(e: crate::names::NameError) -> Self {
        Self::InvalidInput(e.to_string().into())
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => Self::NotFound(format!("{m} not found").into()),
            StoreError::Duplicate(m) => Self::Conflict(format!("{m} already exists").into()),
            StoreError::DiskFull => Self::Refused(StoreError::DiskFull.to_string().into()),
            StoreError::Internal(s) => Self::Internal(s),
        }
    }
}

impl From<FileError> for CoreError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::NotFound(_) | FileError::RootMissing(_) => Self::NotFound(e.to_string().into()),
            FileError::IsADirectory(_) | FileError::NotADirectory(_) => Self::InvalidInput(e.to_string().into()),
            FileError::NotRegular { .. }
            | FileError::Outside(_)
            | FileError::GitInternals(_)
            | FileError::BandFile(_)
            | FileError::SymlinkLoop(_)
            | FileError::PermissionDenied(_)
            | FileError::TooLarge { .. } => Self::Refused(e.to_string().into()),
            FileError::Changed(_) => Self::Conflict(e.to_string().into()),
            FileError::Internal(s) => Self::Internal(s),
        }
    }
}

impl From<TunnelError> for CoreError {
    fn from(e: TunnelError) -> Self {
        match e {
            TunnelError::BinaryMissing(m) | TunnelError::NotConfigured(m) => Self::InvalidInput(m.into()),
            TunnelError::Failed(m) => Self::Refused(m.into()),
            TunnelError::Internal(s) => Self::Internal(s),
        }
    }
}

impl From<GitError> for CoreError {
    fn from(e: GitError) -> Self {
        match e {
            GitError::NoSuchPath(_) | GitError::NotARepository(_) | GitError::BareRepository(_) => {
                Self::InvalidInput(e.to_string().into())
            }
            GitError::RefNotFound(_) => Self::NotFound(e.to_string().into()),
            GitError::BranchCheckedOut(_) | GitError::PathExists(_) | GitError::Concurrent => {
                Self::Conflict(e.to_string().into())
            }
            GitError::WorktreeMissing(_) | GitError::Refused(_) => Self::Refused(e.to_string().into()),
            GitError::Internal(s) => Self::Internal(s),
        }
    }
}
