use std::path::Path;
use std::sync::Arc;

use crate::error::{CoreError, Fix, ListOf, Problem, StoreError};
use crate::model::{NewProject, Project};
use crate::names::ProjectName;
use crate::ports::{EventSink, GitRepos, Notice, ProjectStore, WorkspaceStore};

/// Registering and forgetting repositories. Removing a project never touches the repository.
pub struct Projects {
    store: Arc<dyn ProjectStore>,
    workspaces: Arc<dyn WorkspaceStore>,
    git: Arc<dyn GitRepos>,
    events: Arc<dyn EventSink>,
}

impl Projects {
    pub fn new(
        store: Arc<dyn ProjectStore>,
        workspaces: Arc<dyn WorkspaceStore>,
        git: Arc<dyn GitRepos>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        Self { store, workspaces, git, events }
    }

    /// Registers the repository containing `path` (absolute), named `name` or after its
    /// directory.
    ///
    /// # Errors
    /// `InvalidInput` for a relative path, a path outside any repository, a bare repository, a
    /// linked worktree or a bad name; `Conflict` when the name or the repository is registered.
    pub async fn add(&self, path: &Path, name: Option<&str>) -> Result<Project, CoreError> {
        if !path.is_absolute() {
            return Err(CoreError::InvalidInput(format!("path '{}' must be absolute", path.display()).into()));
        }
        let name = name.map(ProjectName::new).transpose()?;
        let info = self.git.inspect(path).await?;
        if info.is_linked_worktree {
            return Err(CoreError::InvalidInput(
                format!(
                    "{} is a linked worktree, not a repository's main checkout; add the main repository instead",
                    info.root.display()
                )
                .into(),
            ));
        }
        let name = match name {
            Some(n) => n,
            None => {
                let dir = info.root.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                ProjectName::derive_from(&dir)
                    .map_err(|e| CoreError::InvalidInput(Problem::new(e.to_string()).fix(Fix::ChooseName)))?
            }
        };
        let existing = self.store.list_projects().await?;
        if let Some(p) = existing.iter().find(|p| p.path == info.root) {
            return Err(CoreError::Conflict(
                format!("{} is already registered as project '{}'", info.root.display(), p.name).into(),
            ));
        }
        if existing.iter().any(|p| p.name == name) {
            return Err(CoreError::Conflict(
                Problem::new(format!("a project named '{name}' already exists")).fix(Fix::ChooseName),
            ));
        }
        let project = self
            .store
            .insert_project(NewProject { name, path: info.root, default_branch: info.default_branch })
            .await?;
        self.events.publish(Notice::ProjectAdded(project.clone()));
        Ok(project)
    }

    pub async fn list(&self) -> Result<Vec<Project>, CoreError> {
        Ok(self.store.list_projects().await?)
    }

    /// # Errors
    /// `InvalidInput` for a malformed name, `NotFound` for an unknown one.
    pub async fn get(&self, name: &str) -> Result<Project, CoreError> {
        let name = ProjectName::new(name)?;
        self.store.project_by_name(&name).await.map_err(|e| match e {
            StoreError::NotFound(_) => unknown_project(&name),
            e => e.into(),
        })
    }

    /// Forgets a project. The repository on disk is left exactly as it is.
    ///
    /// # Errors
    /// `Refused` while the project still has workspaces (they hold work).
    pub async fn remove(&self, name: &str) -> Result<Project, CoreError> {
        let project = self.get(name).await?;
        let workspaces = self.workspaces.list_workspaces(Some(project.id)).await?;
        if !workspaces.is_empty() {
            let branches: Vec<&str> = workspaces.iter().map(|w| w.branch.as_str()).collect();
            return Err(CoreError::Refused(
                Problem::new(format!(
                    "project '{}' still has {} workspace(s) ({})",
                    project.name,
                    workspaces.len(),
                    branches.join(", ")
                ))
                .fix(Fix::RemoveWorkspacesFirst { project: project.name.to_string() }),
            ));
        }
        self.store.delete_project(project.id).await?;
        self.events.publish(Notice::ProjectRemoved(project.clone()));
        Ok(project)
    }
}

pub(crate) fn unknown_project(name: &ProjectName) -> CoreError {
    CoreError::NotFound(Problem::new(format!("no project named '{name}'")).fix(Fix::SeeList(ListOf::Projects)))
}
