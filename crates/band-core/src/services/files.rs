use std::sync::Arc;

use super::Workspaces;
use crate::error::CoreError;
use crate::files::{FileBytes, Listing, WorkspacePath};
use crate::model::Workspace;
use crate::ports::WorkspaceFiles;

/// A workspace's files, read-only, for clients: the Files pane's tree and viewer, and downloads.
///
/// Invariant: a path reaches the port only as a valid [`WorkspacePath`] of a workspace band
/// knows; everything the port refuses (SECURITY.md 13) reaches the caller as `Refused`.
pub struct Files {
    workspaces: Arc<Workspaces>,
    files: Arc<dyn WorkspaceFiles>,
}

impl Files {
    /// Largest file `files.read` returns (its text goes into one JSON reply).
    pub const READ_LIMIT: u64 = 2 * 1024 * 1024;
    /// Largest file served as raw bytes (images, downloads).
    pub const RAW_LIMIT: u64 = 16 * 1024 * 1024;
    /// Most entries one listing returns.
    pub const LIST_LIMIT: usize = 5000;

    pub fn new(workspaces: Arc<Workspaces>, files: Arc<dyn WorkspaceFiles>) -> Self {
        Self { workspaces, files }
    }

    /// The entries of a directory of the workspace (the root when `dir` is `None` or empty).
    ///
    /// # Errors
    /// `InvalidInput` for a malformed path (checked before anything is looked up) or a path that
    /// is not a directory, `NotFound` for an unknown workspace or path, `Refused` for what the
    /// containment rules exclude.
    pub async fn list(
        &self,
        selector: &str,
        dir: Option<&str>,
        offset: usize,
    ) -> Result<(Workspace, WorkspacePath, Listing), CoreError> {
        let dir = WorkspacePath::new(dir.unwrap_or_default())?;
        let (_, workspace) = self.workspaces.resolve(selector).await?;
        let listing = self.files.list(&workspace.path, &dir, offset, Self::LIST_LIMIT).await?;
        Ok((workspace, dir, listing))
    }

    /// The whole content of a regular file of the workspace, at most `limit` bytes
    /// ([`Files::READ_LIMIT`] or [`Files::RAW_LIMIT`]).
    ///
    /// # Errors
    /// As [`Files::list`]; `InvalidInput` for the root or a directory; `Refused` for a file
    /// over `limit`, saying how large it is and what the limit is.
    pub async fn read(&self, selector: &str, file: &str, limit: u64) -> Result<(Workspace, FileBytes), CoreError> {
        let file = WorkspacePath::new(file)?;
        if file.is_root() {
            return Err(CoreError::InvalidInput("give the path of a file, relative to the workspace root".into()));
        }
        let (_, workspace) = self.workspaces.resolve(selector).await?;
        let bytes = self.files.read(&workspace.path, &file, limit).await?;
        Ok((workspace, bytes))
    }
}
