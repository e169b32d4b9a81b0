//! band's storage adapter: [`SqliteStore`] implements band-core's storage ports
//! ([`ProjectStore`](band_core::ports::ProjectStore),
//! [`WorkspaceStore`](band_core::ports::WorkspaceStore), [`ChatStore`](band_core::ports::ChatStore),
//! [`EventLog`](band_core::ports::EventLog), [`TurnLog`](band_core::ports::TurnLog),
//! [`MessageQueue`](band_core::ports::MessageQueue), [`LayoutStore`](band_core::ports::LayoutStore),
//! [`DeviceStore`](band_core::ports::DeviceStore), [`AuditLog`](band_core::ports::AuditLog),
//! [`CronStore`](band_core::ports::CronStore))
//! on one SQLite file through diesel, with the
//! schema embedded as migrations and applied at open.
//!
//! Invariants:
//! - The database is in WAL mode; every connection sets `busy_timeout` (before switching to WAL),
//!   `foreign_keys = ON` and `synchronous = NORMAL`. The file passes `PRAGMA quick_check` before
//!   anything is written to it, or it is not opened.
//! - One writer: every insert and delete goes through the single write connection behind a mutex;
//!   reads use a small pool of read-only connections, so a read never waits for a write.
//! - No blocking call on an async worker thread: every database call runs in
//!   `tokio::task::spawn_blocking`.
//! - Rows never leave the crate: diesel types and errors are translated at the seam into
//!   band-core's domain types (rebuilt with their validating constructors) and [`StoreError`].
//! - Times are Unix milliseconds set by the store; paths are stored as UTF-8 text.
//! - A change of several rows is one transaction (`BEGIN IMMEDIATE`): all of it is written or none.
//! - Event payloads are JSON in a private, explicit shape (see `payload`); a chat's events are
//!   keyed `(chat_id, seq)` in a `WITHOUT ROWID` table, so a page of a chat's log is one range of
//!   the primary key.

mod access;
mod chats;
mod checkpointer;
mod connection;
mod cronjobs;
mod errors;
mod events;
mod layouts;
mod payload;
mod policies;
mod projects;
mod queue;
mod reviews;
mod schema;
mod scripts;
mod usage;
mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use band_core::{Millis, StoreError};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl, SqliteConnection};

use crate::connection::Readers;
use crate::errors::{from_diesel, internal};

/// band's database: one SQLite file. Cloning is cheap and shares the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<SqliteConnection>,
    readers: Readers,
    /// Event appends waiting to be committed together (group commit).
    appends: Mutex<events::Appends>,
    /// When the last write was committed (ms), for the checkpointer.
    last_write: Arc<std::sync::atomic::AtomicI64>,
    _checkpointer: checkpointer::Checkpointer,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = BigInt)]
    busy: i64,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it and its parent directories if needed, checking
    /// its integrity and bringing its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Internal`] naming the file when it cannot be opened, is not a database or
    /// fails its integrity check; [`StoreError::DiskFull`] when it cannot be written for lack of
    /// space.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = std::path::absolute(path)
            .map_err(|e| internal(format!("cannot resolve the database path {}: {e}", path.display())))?;
        blocking(move || {
            let (writer, readers) = connection::open(&path)?;
            tracing::debug!(path = %path.display(), "database opened");
            let last_write = Arc::new(std::sync::atomic::AtomicI64::new(now()));
            let checkpointer = checkpointer::spawn(&path, connection::uri(&path, "rw")?, last_write.clone());
            Ok(Self {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    readers,
                    appends: Mutex::default(),
                    last_write,
                    _checkpointer: checkpointer,
                }),
            })
        })
        .await
    }

    /// The database file (absolute).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// SQLite's full `PRAGMA integrity_check` (every page, index and constraint; slower than the
    /// quick check `open` makes): the problems found, none when the database is sound.
    ///
    /// # Errors
    /// [`StoreError::Internal`] when the check cannot run.
    pub async fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let rows = self
            .read(|conn| diesel::sql_query("PRAGMA integrity_check").load::<Row>(conn).map_err(from_diesel))
            .await?;
        Ok(rows.into_iter().map(|r| r.integrity_check).filter(|r| r != "ok").collect())
    }

    /// Copies the write-ahead log into the database file and truncates it; for shutdown and idle
    /// moments. A checkpoint blocked by a concurrent reader is logged, not an error: the log is
    /// kept and checkpointed later.
    ///
    /// # Errors
    /// [`StoreError::DiskFull`] or [`StoreError::Internal`] when SQLite fails.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        let path = self.inner.path.clone();
        let busy = self
            .write(|conn| {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpoint>(conn).map_err(from_diesel)
            })
            .await?
            .busy;
        if busy != 0 {
            tracing::warn!(path = %path.display(), "WAL checkpoint incomplete: the database was busy");
        }
        Ok(())
    }

    /// Runs `f` on the write connection, off the async worker threads.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            // A panic while holding the lock cannot leave a half-written change behind: each
            // operation is one statement (or one transaction, rolled back when it unwinds).
            let mut conn = inner.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = f(&mut conn);
            inner.wrote();
            result
        })
        .await
    }

    /// Runs `f` on a read-only connection from the pool, off the async worker threads.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = inner
                .readers
                .get()
                .map_err(|e| internal(format!("no read connection to {}: {e}", inner.path.display())))?;
            f(&mut conn)
        })
        .await
    }
}

impl Inner {
    fn wrote(&self) {
        self.last_write.store(now(), std::sync::atomic::Ordering::Relaxed);
    }
}

async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| internal(format!("a database task failed: {e}")))?
}

/// Runs `f` in one write transaction (`BEGIN IMMEDIATE`): committed when it returns `Ok`, rolled
/// back when it returns an error or panics.
pub(crate) fn transaction<T>(
    conn: &mut SqliteConnection,
    f: impl FnOnce(&mut SqliteConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    /// diesel's transactions need an error type made from its own errors.
    struct Failed(StoreError);
    impl From<diesel::result::Error> for Failed {
        fn from(e: diesel::result::Error) -> Self {
            Self(from_diesel(e))
        }
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conn.immediate_transaction(|conn| f(conn).map_err(Failed))
    }));
    match outcome {
        Ok(result) => result.map_err(|Failed(e)| e),
        Err(panic) => {
            // diesel leaves a transaction whose closure panicked open; the connection would stay
            // inside it, and every later write would only be a savepoint of it.
            if let Err(e) = AnsiTransactionManager::rollback_transaction(conn) {
                tracing::error!("rolling back after a panic failed: {e}");
            }
            std::panic::resume_unwind(panic)
        }
    }
}

/// Counts and sequence numbers are `u64` in band-core and `INTEGER` (i64) in SQLite; values past
/// `i64::MAX` (never reached in practice) are stored as `i64::MAX`.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The reverse of [`to_i64`]; a negative stored value (only a damaged file has one) reads as 0.
fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn now() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX))
}

/// Paths are stored as text; one that is not UTF-8 cannot be stored faithfully, so it is refused.
fn path_text(path: &Path) -> Result<String, StoreError> {
    path.to_str().map(str::to_owned).ok_or_else(|| {
        internal(format!("the path {} is not valid UTF-8; band can only store UTF-8 paths", path.display()))
    })
}

#[cfg(test)]
mod tests;
