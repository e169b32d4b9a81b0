//! [`ProjectStore`] on the `projects` table.

use std::path::PathBuf;

use async_trait::async_trait;
use band_core::ports::ProjectStore;
use band_core::{BranchName, NewProject, Project, ProjectId, ProjectName, StoreError};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, internal, is_foreign_key_violation, unique_violation};
use crate::schema::projects;
use crate::{SqliteStore, now, path_text};

#[derive(Queryable, Selectable)]
#[diesel(table_name = projects, check_for_backend(diesel::sqlite::Sqlite))]
struct ProjectRow {
    id: i64,
    name: String,
    path: String,
    default_branch: String,
    created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = projects)]
struct NewProjectRow {
    name: String,
    path: String,
    default_branch: String,
    created_at: i64,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(row: ProjectRow) -> Result<Self, StoreError> {
        Ok(Project {
            id: ProjectId(row.id),
            name: ProjectName::new(&row.name).map_err(|e| corrupt_row("projects", row.id, e))?,
            path: PathBuf::from(row.path),
            default_branch: BranchName::new(&row.default_branch).map_err(|e| corrupt_row("projects", row.id, e))?,
            created_at: row.created_at,
        })
    }
}

#[async_trait]
impl ProjectStore for SqliteStore {
    async fn insert_project(&self, new: NewProject) -> Result<Project, StoreError> {
        let row = NewProjectRow {
            name: new.name.as_str().to_owned(),
            path: path_text(&new.path)?,
            default_branch: new.default_branch.as_str().to_owned(),
            created_at: now(),
        };
        self.write(move |conn| {
            diesel::insert_into(projects::table)
                .values(&row)
                .returning(ProjectRow::as_returning())
                .get_result(conn)
                .map_err(|e| match unique_violation(&e) {
                    Some("projects.name") => StoreError::Duplicate(format!("project '{}'", new.name)),
                    Some("projects.path") => StoreError::Duplicate(format!("project at {}", new.path.display())),
                    _ => from_diesel(e),
                })
        })
        .await?
        .try_into()
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows = self
            .read(|conn| {
                projects::table
                    .select(ProjectRow::as_select())
                    .order(projects::name.asc())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(Project::try_from).collect()
    }

    async fn project_by_name(&self, name: &ProjectName) -> Result<Project, StoreError> {
        let name = name.clone();
        self.read(move |conn| {
            projects::table
                .filter(projects::name.eq(name.as_str()))
                .select(ProjectRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("project '{name}'")))
        })
        .await?
        .try_into()
    }

    async fn project_by_id(&self, id: ProjectId) -> Result<Project, StoreError> {
        self.read(move |conn| {
            projects::table
                .find(id.0)
                .select(ProjectRow::as_select())
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))
        })
        .await?
        .try_into()
    }

    async fn delete_project(&self, id: ProjectId) -> Result<(), StoreError> {
        self.write(move |conn| {
            // The schema's ON DELETE RESTRICT refuses while workspaces reference the project.
            let deleted = diesel::delete(projects::table.find(id.0)).execute(conn).map_err(|e| {
                if is_foreign_key_violation(&e) {
                    internal(format!(
                        "project {} still has workspaces; refusing to delete it (remove its workspaces first)",
                        id.0
                    ))
                } else {
                    from_diesel(e)
                }
            })?;
            if deleted == 0 { Err(StoreError::NotFound(format!("project {}", id.0))) } else { Ok(()) }
        })
        .await
    }
}
