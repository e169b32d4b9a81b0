//! [`WorkspaceStore`] on the `workspaces` table.

use std::path::PathBuf;

use async_trait::async_trait;
use band_core::ports::WorkspaceStore;
use band_core::{BranchName, GitRef, NewWorkspace, ProjectId, StoreError, Workspace, WorkspaceId};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, is_foreign_key_violation, unique_violation};
use crate::schema::workspaces;
use crate::{SqliteStore, now, path_text};

#[derive(Queryable, Selectable)]
#[diesel(table_name = workspaces, check_for_backend(diesel::sqlite::Sqlite))]
struct WorkspaceRow {
    id: i64,
    project_id: i64,
    branch: String,
    base: String,
    path: String,
    branch_created: bool,
    created_at: i64,
    direct: bool,
    archived_at: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = workspaces)]
struct NewWorkspaceRow {
    project_id: i64,
    branch: String,
    base: String,
    path: String,
    branch_created: bool,
    created_at: i64,
    direct: bool,
}

impl TryFrom<WorkspaceRow> for Workspace {
    type Error = StoreError;

    fn try_from(row: WorkspaceRow) -> Result<Self, StoreError> {
        Ok(Workspace {
            id: WorkspaceId(row.id),
            project_id: ProjectId(row.project_id),
            branch: BranchName::new(&row.branch).map_err(|e| corrupt_row("workspaces", row.id, e))?,
            base: GitRef::new(&row.base).map_err(|e| corrupt_row("workspaces", row.id, e))?,
            path: PathBuf::from(row.path),
            branch_created: row.branch_created,
            created_at: row.created_at,
            direct: row.direct,
            archived_at: row.archived_at,
        })
    }
}

fn to_domain(rows: Vec<WorkspaceRow>) -> Result<Vec<Workspace>, StoreError> {
    rows.into_iter().map(Workspace::try_from).collect()
}

#[async_trait]
impl WorkspaceStore for SqliteStore {
    async fn insert_workspace(&self, new: NewWorkspace) -> Result<Workspace, StoreError> {
        let row = NewWorkspaceRow {
            project_id: new.project_id.0,
            branch: new.branch.as_str().to_owned(),
            base: new.base.as_str().to_owned(),
            path: path_text(&new.path)?,
            branch_created: new.branch_created,
            created_at: now(),
            direct: new.direct,
        };
        self.write(move |conn| {
            diesel::insert_into(workspaces::table)
                .values(&row)
                .returning(WorkspaceRow::as_returning())
                .get_result(conn)
                .map_err(|e| match unique_violation(&e) {
                    Some("workspaces.project_id, workspaces.branch") => {
                        StoreError::Duplicate(format!("workspace on branch '{}'", new.branch))
                    }
                    Some("workspaces.path") => StoreError::Duplicate(format!("workspace at {}", new.path.display())),
                    _ if is_foreign_key_violation(&e) => StoreError::NotFound(format!("project {}", new.project_id.0)),
                    _ => from_diesel(e),
                })
        })
        .await?
        .try_into()
    }

    async fn list_workspaces(&self, project: Option<ProjectId>) -> Result<Vec<Workspace>, StoreError> {
        let rows = self
            .read(move |conn| {
                let query = workspaces::table.select(WorkspaceRow::as_select()).order(workspaces::id.asc());
                match project {
                    Some(p) => query.filter(workspaces::project_id.eq(p.0)).load(conn),
                    None => query.load(conn),
                }
                .map_err(from_diesel)
            })
            .await?;
        to_domain(rows)
    }

    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        self.read(move |conn| {
            workspaces::table
                .find(id.0)
                .select(WorkspaceRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("workspace {}", id.0)))
        })
        .await?
        .try_into()
    }

    async fn workspace_by_branch(
        &self,
        project: ProjectId,
        branch: &BranchName,
    ) -> Result<Option<Workspace>, StoreError> {
        let branch = branch.as_str().to_owned();
        let row = self
            .read(move |conn| {
                workspaces::table
                    .filter(workspaces::project_id.eq(project.0))
                    .filter(workspaces::branch.eq(branch))
                    .select(WorkspaceRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)
            })
            .await?;
        row.map(Workspace::try_from).transpose()
    }

    async fn set_archived(&self, id: WorkspaceId, at: Option<i64>) -> Result<Workspace, StoreError> {
        self.write(move |conn| {
            diesel::update(workspaces::table.find(id.0))
                .set(workspaces::archived_at.eq(at))
                .returning(WorkspaceRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("workspace {}", id.0)))
        })
        .await?
        .try_into()
    }

    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError> {
        self.write(move |conn| {
            let deleted = diesel::delete(workspaces::table.find(id.0)).execute(conn).map_err(from_diesel)?;
            if deleted == 0 { Err(StoreError::NotFound(format!("workspace {}", id.0))) } else { Ok(()) }
        })
        .await
    }
}
