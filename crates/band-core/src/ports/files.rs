use std::path::Path;

use async_trait::async_trait;

use crate::error::FileError;
use crate::files::{FileBytes, Listing, WorkspacePath};

/// Reading a workspace's files for clients (the dashboard's Files pane, downloads).
///
/// `root` is the workspace's directory (absolute); paths are [`WorkspacePath`]s, so they are
/// already relative, without `..`, `.git` or empty components. Implementations MUST, on every
/// call (SECURITY.md 13):
/// - canonicalize `root`, resolve every symlink of the path, and check the *resolved* path again,
///   component by component (never as a string prefix): it MUST lie inside the canonical root
///   ([`FileError::Outside`]), MUST NOT be or lie inside a component named `.git` in any letter
///   case — the `.git` directory of a repository or submodule and the `.git` file of a linked
///   worktree alike ([`FileError::GitInternals`]) — and MUST NOT be one of band's own files (its
///   settings and database and their siblings at the root of band's home;
///   [`FileError::BandFile`]), including through a hard link;
/// - read regular files only ([`FileError::NotRegular`] for pipes, sockets and devices, without
///   ever blocking on one; [`FileError::IsADirectory`]), at most `limit` bytes
///   ([`FileError::TooLarge`], also when the file grew past it while being read);
/// - read the file it checked: when it was replaced between the checks and the read, refuse
///   ([`FileError::Changed`]) rather than serve the replacement;
/// - not block the calling async task on I/O.
///
/// Listings show what can be read: never a `.git` entry, band's own files, or a name that is not
/// valid UTF-8 or not a valid [`WorkspacePath`] component. Symlinks in a listing are not
/// followed (their kind is `Symlink`).
#[async_trait]
pub trait WorkspaceFiles: Send + Sync {
    /// The entries of the directory `dir`: directories first, then by name; from the `offset`th
    /// in that order, at most `max_entries`; with the total, and `truncated` when more follow.
    ///
    /// # Errors
    /// As above; [`FileError::NotFound`], [`FileError::NotADirectory`];
    /// [`FileError::RootMissing`] when the workspace's directory is gone.
    async fn list(
        &self,
        root: &Path,
        dir: &WorkspacePath,
        offset: usize,
        max_entries: usize,
    ) -> Result<Listing, FileError>;

    /// The whole content of the regular file `file`, when it has at most `limit` bytes.
    ///
    /// # Errors
    /// As above; [`FileError::NotFound`], [`FileError::RootMissing`],
    /// [`FileError::SymlinkLoop`].
    async fn read(&self, root: &Path, file: &WorkspacePath, limit: u64) -> Result<FileBytes, FileError>;
}

/// What a [`FileWatcher`] reports about a workspace's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Files changed on disk (debounced: one event for a burst), relative to the root; paths
    /// that are no [`WorkspacePath`] (`.git` internals) are never reported.
    Changed(Vec<WorkspacePath>),
    /// Live watching stopped or is partial (the watch limit was reached, the root went away):
    /// why, in words fit to show. Clients refresh by hand from then on.
    Degraded(String),
}

/// Where a watcher's events go (called from the watcher's own thread).
pub type WatchSink = std::sync::Arc<dyn Fn(WatchEvent) + Send + Sync>;

/// A live watch; dropping it stops watching and frees its watches.
pub type Watching = Box<dyn std::any::Any + Send + Sync>;

/// Watching a workspace's files for changes made outside band (an editor, a terminal).
///
/// Implementations MUST debounce (a burst of writes is one [`WatchEvent::Changed`]), MUST bound
/// the kernel watches one root may use and say so with [`WatchEvent::Degraded`] when the bound
/// or the system's limit is reached, MUST NOT watch `.git` internals nor directories no one
/// edits by hand (`node_modules`, `target`), and MUST stop everything when the [`Watching`] is
/// dropped.
pub trait FileWatcher: Send + Sync {
    /// # Errors
    /// [`FileError::RootMissing`] when `root` is not a directory; any other failure to start.
    fn watch(&self, root: &Path, sink: WatchSink) -> Result<Watching, FileError>;
}
