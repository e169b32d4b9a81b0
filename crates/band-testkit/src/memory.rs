//! [`MemoryStore`]: the storage ports in memory, obeying the same contracts as band-store's
//! `SqliteStore` (the contract suite in [`crate::contract`] runs against both).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use band_core::ports::{ProjectStore, WorkspaceStore};
use band_core::{
    BranchName, Millis, NewProject, NewWorkspace, Project, ProjectId, ProjectName, StoreError, Workspace, WorkspaceId,
};

/// Projects and workspaces in memory. Ids start at 1 and are never reused, as in SQLite with
/// `AUTOINCREMENT`.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    projects: BTreeMap<i64, Project>,
    workspaces: BTreeMap<i64, Workspace>,
    last_project_id: i64,
    last_workspace_id: i64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX))
}

/// The real store keeps paths as UTF-8 text and refuses others; so does the fake.
fn check_utf8(path: &Path) -> Result<(), StoreError> {
    match path.to_str() {
        Some(_) => Ok(()),
        None => Err(StoreError::Internal(
            format!("the path {} is not valid UTF-8; band can only store UTF-8 paths", path.display()).into(),
        )),
    }
}

#[async_trait]
impl ProjectStore for MemoryStore {
    async fn insert_project(&self, new: NewProject) -> Result<Project, StoreError> {
        check_utf8(&new.path)?;
        let mut state = self.state();
        if state.projects.values().any(|p| p.name == new.name) {
            return Err(StoreError::Duplicate(format!("project '{}'", new.name)));
        }
        if state.projects.values().any(|p| p.path == new.path) {
            return Err(StoreError::Duplicate(format!("project at {}", new.path.display())));
        }
        state.last_project_id += 1;
        let project = Project {
            id: ProjectId(state.last_project_id),
            name: new.name,
            path: new.path,
            default_branch: new.default_branch,
            created_at: now(),
        };
        state.projects.insert(project.id.0, project.clone());
        Ok(project)
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let mut projects: Vec<Project> = self.state().projects.values().cloned().collect();
        // Byte order, as SQLite's default BINARY collation sorts.
        projects.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        Ok(projects)
    }

    async fn project_by_name(&self, name: &ProjectName) -> Result<Project, StoreError> {
        self.state()
            .projects
            .values()
            .find(|p| &p.name == name)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("project '{name}'")))
    }

    async fn project_by_id(&self, id: ProjectId) -> Result<Project, StoreError> {
        self.state().projects.get(&id.0).cloned().ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))
    }

    async fn delete_project(&self, id: ProjectId) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.projects.contains_key(&id.0) {
            return Err(StoreError::NotFound(format!("project {}", id.0)));
        }
        if state.workspaces.values().any(|w| w.project_id == id) {
            return Err(StoreError::Internal(
                format!("project {} still has workspaces; refusing to delete it (remove its workspaces first)", id.0)
                    .into(),
            ));
        }
        state.projects.remove(&id.0);
        Ok(())
    }
}

#[async_trait]
impl WorkspaceStore for MemoryStore {
    async fn insert_workspace(&self, new: NewWorkspace) -> Result<Workspace, StoreError> {
        check_utf8(&new.path)?;
        let mut state = self.state();
        // Uniqueness before the project's existence: SQLite checks UNIQUE constraints as it
        // inserts and foreign keys at the end of the statement.
        if state.workspaces.values().any(|w| w.project_id == new.project_id && w.branch == new.branch) {
            return Err(StoreError::Duplicate(format!("workspace on branch '{}'", new.branch)));
        }
        if state.workspaces.values().any(|w| w.path == new.path) {
            return Err(StoreError::Duplicate(format!("workspace at {}", new.path.display())));
        }
        if !state.projects.contains_key(&new.project_id.0) {
            return Err(StoreError::NotFound(format!("project {}", new.project_id.0)));
        }
        state.last_workspace_id += 1;
        let workspace = Workspace {
            id: WorkspaceId(state.last_workspace_id),
            project_id: new.project_id,
            branch: new.branch,
            base: new.base,
            path: new.path,
            branch_created: new.branch_created,
            created_at: now(),
        };
        state.workspaces.insert(workspace.id.0, workspace.clone());
        Ok(workspace)
    }

    async fn list_workspaces(&self, project: Option<ProjectId>) -> Result<Vec<Workspace>, StoreError> {
        // The map is keyed by id, so values come out ordered by id.
        Ok(self.state().workspaces.values().filter(|w| project.is_none_or(|p| w.project_id == p)).cloned().collect())
    }

    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        self.state().workspaces.get(&id.0).cloned().ok_or_else(|| StoreError::NotFound(format!("workspace {}", id.0)))
    }

    async fn workspace_by_branch(
        &self,
        project: ProjectId,
        branch: &BranchName,
    ) -> Result<Option<Workspace>, StoreError> {
        Ok(self.state().workspaces.values().find(|w| w.project_id == project && &w.branch == branch).cloned())
    }

    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError> {
        match self.state().workspaces.remove(&id.0) {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(format!("workspace {}", id.0))),
        }
    }
}
