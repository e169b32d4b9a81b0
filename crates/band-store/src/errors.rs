//! Translation of diesel's and SQLite's errors into [`StoreError`], the only error type that
//! leaves the crate.

use std::error::Error as StdError;
use std::fmt::Display;

use band_core::StoreError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// SQLite's message for `SQLITE_FULL`; diesel reports that code only through its message.
const DISK_FULL: &str = "database or disk is full";

pub(crate) fn internal(e: impl Into<Box<dyn StdError + Send + Sync>>) -> StoreError {
    StoreError::Internal(e.into())
}

/// Whatever failed without a more specific meaning at the call site.
pub(crate) fn from_diesel(e: DieselError) -> StoreError {
    if is_disk_full(&e) { StoreError::DiskFull } else { internal(e) }
}

pub(crate) fn is_disk_full(e: &dyn Display) -> bool {
    e.to_string().contains(DISK_FULL)
}

/// The columns named by a UNIQUE violation, as SQLite spells them: `projects.name`, or
/// `workspaces.project_id, workspaces.branch` for a composite key.
pub(crate) fn unique_violation(e: &DieselError) -> Option<&str> {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.message().strip_prefix("UNIQUE constraint failed: ")
        }
        _ => None,
    }
}

/// diesel reports some foreign key failures (a RESTRICT on delete) with kind `Unknown`, so
/// SQLite's fixed message is checked too.
pub(crate) fn is_foreign_key_violation(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => true,
        DieselError::DatabaseError(_, info) => info.message() == "FOREIGN KEY constraint failed",
        _ => false,
    }
}

/// A stored row that band-core's constructors refuse: the file was edited or damaged outside band.
pub(crate) fn corrupt_row(table: &str, id: i64, e: impl Display) -> StoreError {
    internal(format!("corrupt row in {table} (id {id}): {e}"))
}
