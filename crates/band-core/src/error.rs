//! Errors per layer. Adapters translate their own errors into [`StoreError`], [`GitError`] and
//! [`AgentError`] at the seam; the services turn those into [`CoreError`], the one type the edges
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
    /// git ran and refused; the string is git's own message, trimmed.
    #[error("git: {0}")]
    Refused(String),
    #[error("git failed: {0}")]
    Internal(#[source] Source),
}

/// Errors of the agent port.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(
        "the {agent} agent's binary '{binary}' was not found; install it with `npm install -g {package}` or set its path in settings"
    )]
    BinaryMissing { agent: &'static str, binary: String, package: &'static str },
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

/// What a use case reports to its caller. Every variant but `Internal` carries a message fit to
/// show a person: what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request itself is malformed (a bad name, a relative path...).
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with existing state (a duplicate project...).
    #[error("{0}")]
    Conflict(String),
    /// The request is valid but refused to protect the user's work.
    #[error("{0}")]
    Refused(String),
    /// Opaque to callers; logged where it is mapped.
    #[error("internal error: {0}")]
    Internal(#[source] Source),
}

impl From<crate::names::NameError> for CoreError {
    fn from(e: crate::names::NameError) -> Self {
        Self::InvalidInput(e.to_string())
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => Self::NotFound(format!("{m} not found")),
            StoreError::Duplicate(m) => Self::Conflict(format!("{m} already exists")),
            StoreError::DiskFull => Self::Refused(StoreError::DiskFull.to_string()),
            StoreError::Internal(s) => Self::Internal(s),
        }
    }
}

impl From<GitError> for CoreError {
    fn from(e: GitError) -> Self {
        match e {
            GitError::NotARepository(_) | GitError::BareRepository(_) => Self::InvalidInput(e.to_string()),
            GitError::RefNotFound(_) => Self::NotFound(e.to_string()),
            GitError::BranchCheckedOut(_) | GitError::PathExists(_) => Self::Conflict(e.to_string()),
            GitError::WorktreeMissing(_) | GitError::Refused(_) => Self::Refused(e.to_string()),
            GitError::Internal(s) => Self::Internal(s),
        }
    }
}
