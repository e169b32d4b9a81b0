//! [`LayoutStore`] on the `layouts` table: one row per scope, keyed `'global'` or
//! `'workspace:<id>'`, with the workspace as a foreign key so the layout goes with it.

use async_trait::async_trait;
use band_core::ports::LayoutStore;
use band_core::{Layout, LayoutScope, StoreError, WorkspaceId};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, is_foreign_key_violation};
use crate::schema::layouts;
use crate::{SqliteStore, now, transaction};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = layouts, check_for_backend(diesel::sqlite::Sqlite))]
struct LayoutRow {
    scope: String,
    workspace_id: Option<i64>,
    document: String,
    updated_at: i64,
}

fn key(scope: LayoutScope) -> (String, Option<i64>) {
    match scope {
        LayoutScope::Global => ("global".to_owned(), None),
        LayoutScope::Workspace(WorkspaceId(id)) => (format!("workspace:{id}"), Some(id)),
    }
}

impl TryFrom<LayoutRow> for Layout {
    type Error = StoreError;

    fn try_from(row: LayoutRow) -> Result<Self, StoreError> {
        let scope = match (row.scope.as_str(), row.workspace_id) {
            ("global", None) => LayoutScope::Global,
            (_, Some(id)) if row.scope == format!("workspace:{id}") => LayoutScope::Workspace(WorkspaceId(id)),
            _ => {
                return Err(corrupt_row(
                    "layouts",
                    row.workspace_id.unwrap_or_default(),
                    format!("scope '{}'", row.scope),
                ));
            }
        };
        Ok(Layout { scope, document: row.document, updated_at: row.updated_at })
    }
}

#[async_trait]
impl LayoutStore for SqliteStore {
    async fn layout(&self, scope: LayoutScope) -> Result<Option<Layout>, StoreError> {
        let (key, _) = key(scope);
        let row = self
            .read(move |conn| {
                layouts::table.find(key).select(LayoutRow::as_select()).first(conn).optional().map_err(from_diesel)
            })
            .await?;
        row.map(Layout::try_from).transpose()
    }

    async fn put_layout(&self, scope: LayoutScope, document: String) -> Result<Layout, StoreError> {
        let (key, workspace_id) = key(scope);
        let row = self
            .write(move |conn| {
                transaction(conn, |conn| {
                    let previous: Option<i64> = layouts::table
                        .find(&key)
                        .select(layouts::updated_at)
                        .first(conn)
                        .optional()
                        .map_err(from_diesel)?;
                    let row = LayoutRow {
                        updated_at: previous.map_or(now(), |p| now().max(p.saturating_add(1))),
                        scope: key,
                        workspace_id,
                        document,
                    };
                    diesel::insert_into(layouts::table)
                        .values(&row)
                        .on_conflict(layouts::scope)
                        .do_update()
                        .set(&row)
                        .execute(conn)
                        .map_err(|e| match workspace_id {
                            Some(id) if is_foreign_key_violation(&e) => StoreError::NotFound(format!("workspace {id}")),
                            _ => from_diesel(e),
                        })?;
                    Ok(row)
                })
            })
            .await?;
        row.try_into()
    }
}
