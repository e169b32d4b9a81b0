use async_trait::async_trait;

use crate::error::StoreError;
use crate::model::{NewProject, NewWorkspace, Project, ProjectId, Workspace, WorkspaceId};
use crate::names::{BranchName, ProjectName};

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

    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError>;
}
