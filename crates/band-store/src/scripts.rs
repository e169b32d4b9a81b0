//! [`ProjectTrustStore`] on `project_trust` and `project_config_overrides`, and
//! [`ScriptRunStore`] on `script_runs`.

use async_trait::async_trait;
use band_core::ports::{FinishedRun, ProjectTrustStore, ScriptRunStore};
use band_core::{NewScriptRun, ProjectId, ScriptKind, ScriptRun, ScriptRunId, ScriptStatus, StoreError, WorkspaceId};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, is_foreign_key_violation};
use crate::schema::{project_config_overrides, project_trust, script_runs};
use crate::{SqliteStore, now};

#[derive(Queryable, Selectable)]
#[diesel(table_name = script_runs, check_for_backend(diesel::sqlite::Sqlite))]
struct RunRow {
    id: i64,
    workspace_id: i64,
    kind: String,
    status: String,
    exit_code: Option<i32>,
    error: Option<String>,
    output: String,
    output_len: i64,
    scripts_hash: String,
    started_at: i64,
    ended_at: Option<i64>,
}

impl TryFrom<RunRow> for ScriptRun {
    type Error = StoreError;

    fn try_from(row: RunRow) -> Result<Self, StoreError> {
        Ok(ScriptRun {
            id: ScriptRunId(row.id),
            workspace_id: WorkspaceId(row.workspace_id),
            kind: ScriptKind::parse(&row.kind)
                .ok_or_else(|| corrupt_row("script_runs", row.id, format!("kind '{}'", row.kind)))?,
            status: ScriptStatus::parse(&row.status)
                .ok_or_else(|| corrupt_row("script_runs", row.id, format!("status '{}'", row.status)))?,
            exit_code: row.exit_code,
            error: row.error,
            output: row.output,
            output_len: u64::try_from(row.output_len).unwrap_or_default(),
            scripts_hash: row.scripts_hash,
            started_at: row.started_at,
            ended_at: row.ended_at,
        })
    }
}

fn project_missing(project: ProjectId) -> StoreError {
    StoreError::NotFound(format!("project {}", project.0))
}

#[async_trait]
impl ProjectTrustStore for SqliteStore {
    async fn is_trusted(&self, project: ProjectId, hash: &str) -> Result<bool, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let n: i64 = project_trust::table
                .filter(project_trust::project_id.eq(project.0))
                .filter(project_trust::scripts_hash.eq(hash))
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            Ok(n > 0)
        })
        .await
    }

    async fn trust(&self, project: ProjectId, hash: &str) -> Result<(), StoreError> {
        let hash = hash.to_owned();
        self.write(move |conn| {
            diesel::insert_into(project_trust::table)
                .values((
                    project_trust::project_id.eq(project.0),
                    project_trust::scripts_hash.eq(hash),
                    project_trust::approved_at.eq(now()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .map_err(|e| if is_foreign_key_violation(&e) { project_missing(project) } else { from_diesel(e) })?;
            Ok(())
        })
        .await
    }

    async fn untrust(&self, project: ProjectId) -> Result<usize, StoreError> {
        self.write(move |conn| {
            diesel::delete(project_trust::table.filter(project_trust::project_id.eq(project.0)))
                .execute(conn)
                .map_err(from_diesel)
        })
        .await
    }

    async fn config_override(&self, project: ProjectId) -> Result<Option<String>, StoreError> {
        self.read(move |conn| {
            project_config_overrides::table
                .find(project.0)
                .select(project_config_overrides::document)
                .first(conn)
                .optional()
                .map_err(from_diesel)
        })
        .await
    }

    async fn set_config_override(&self, project: ProjectId, document: Option<String>) -> Result<(), StoreError> {
        self.write(move |conn| {
            match document {
                Some(document) => {
                    diesel::insert_into(project_config_overrides::table)
                        .values((
                            project_config_overrides::project_id.eq(project.0),
                            project_config_overrides::document.eq(&document),
                            project_config_overrides::updated_at.eq(now()),
                        ))
                        .on_conflict(project_config_overrides::project_id)
                        .do_update()
                        .set((
                            project_config_overrides::document.eq(&document),
                            project_config_overrides::updated_at.eq(now()),
                        ))
                        .execute(conn)
                        .map_err(|e| {
                            if is_foreign_key_violation(&e) { project_missing(project) } else { from_diesel(e) }
                        })?;
                }
                None => {
                    diesel::delete(project_config_overrides::table.find(project.0))
                        .execute(conn)
                        .map_err(from_diesel)?;
                }
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ScriptRunStore for SqliteStore {
    async fn insert_script_run(&self, new: NewScriptRun) -> Result<ScriptRun, StoreError> {
        self.write(move |conn| {
            diesel::insert_into(script_runs::table)
                .values((
                    script_runs::workspace_id.eq(new.workspace_id.0),
                    script_runs::kind.eq(new.kind.as_str()),
                    script_runs::status.eq(ScriptStatus::Running.as_str()),
                    script_runs::scripts_hash.eq(&new.scripts_hash),
                    script_runs::started_at.eq(now()),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::NotFound(format!("workspace {}", new.workspace_id.0))
                    } else {
                        from_diesel(e)
                    }
                })
        })
        .await?
        .try_into()
    }

    async fn finish_script_run(&self, id: ScriptRunId, end: FinishedRun) -> Result<ScriptRun, StoreError> {
        self.write(move |conn| {
            diesel::update(script_runs::table.find(id.0))
                .set((
                    script_runs::status.eq(end.status.as_str()),
                    script_runs::exit_code.eq(end.exit_code),
                    script_runs::error.eq(end.error),
                    script_runs::output.eq(end.output),
                    script_runs::output_len.eq(i64::try_from(end.output_len).unwrap_or(i64::MAX)),
                    script_runs::ended_at.eq(now()),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("script run {}", id.0)))
        })
        .await?
        .try_into()
    }

    async fn script_runs(&self, workspace: WorkspaceId) -> Result<Vec<ScriptRun>, StoreError> {
        let rows = self
            .read(move |conn| {
                script_runs::table
                    .filter(script_runs::workspace_id.eq(workspace.0))
                    .order(script_runs::id.asc())
                    .select(RunRow::as_select())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(ScriptRun::try_from).collect()
    }

    async fn stop_running_scripts(&self) -> Result<usize, StoreError> {
        self.write(move |conn| {
            diesel::update(script_runs::table.filter(script_runs::status.eq(ScriptStatus::Running.as_str())))
                .set((
                    script_runs::status.eq(ScriptStatus::Stopped.as_str()),
                    script_runs::error.eq("band-server stopped while it ran"),
                    script_runs::ended_at.eq(now()),
                ))
                .execute(conn)
                .map_err(from_diesel)
        })
        .await
    }
}
