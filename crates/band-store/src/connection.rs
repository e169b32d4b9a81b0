//! Opening the database: connection settings, the integrity check, migrations and the reader pool.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use band_core::StoreError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::errors::{internal, is_disk_full};

pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a connection waits for another one's lock before failing with SQLITE_BUSY.
pub(crate) const BUSY_TIMEOUT_MS: u32 = 5000;

/// Read connections; reads are short, so a few serve many tasks.
const READERS: u32 = 4;

pub(crate) type Readers = Pool<ConnectionManager<SqliteConnection>>;

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct QuickCheck {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

/// Settings every connection gets. `busy_timeout` comes first: switching to WAL needs a lock, and
/// without the timeout a concurrent open fails at once with SQLITE_BUSY instead of waiting.
pub(crate) fn configure(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    conn.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};"))?;
    let mode = diesel::sql_query("PRAGMA journal_mode = WAL").get_result::<JournalMode>(conn)?;
    if !mode.journal_mode.eq_ignore_ascii_case("wal") {
        return Err(diesel::result::Error::QueryBuilderError(
            format!("SQLite refused WAL mode (journal mode is '{}')", mode.journal_mode).into(),
        ));
    }
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;")
    // Checkpoints run off the write path: see checkpointer.rs.
}

#[derive(Debug)]
struct Configure;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Configure {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        configure(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A `file:` URI for `path` (absolute), so that no character of the path is read as URI syntax
/// and read connections can be opened read-only.
pub(crate) fn uri(path: &Path, mode: &str) -> Result<String, StoreError> {
    let s = path.to_str().ok_or_else(|| {
        internal(format!("the database path {} is not valid UTF-8; choose another location", path.display()))
    })?;
    let mut uri = String::from("file:");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~') {
            uri.push(char::from(b));
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri.push_str("?mode=");
    uri.push_str(mode);
    Ok(uri)
}

/// Opens (creating it if needed) the database at `path` (absolute): the write connection,
/// checked and migrated, and the pool of read-only connections. Blocks.
pub(crate) fn open(path: &Path) -> Result<(SqliteConnection, Readers), StoreError> {
    let failed = |e: &dyn std::fmt::Display| {
        if is_disk_full(e) {
            StoreError::DiskFull
        } else {
            internal(format!("cannot open the database {}: {e}", path.display()))
        }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| internal(format!("cannot create the directory {} for the database: {e}", dir.display())))?;
    }
    let mut writer = SqliteConnection::establish(&uri(path, "rwc")?).map_err(|e| failed(&e))?;
    // A file that is not a database at all fails here, when SQLite first reads its header.
    configure(&mut writer).map_err(|e| {
        internal(format!(
            "cannot open the database {}: {e}; if the file is damaged, move it aside and restore a backup",
            path.display()
        ))
    })?;
    // Checked before migrating, so that nothing is written to a damaged file.
    quick_check(&mut writer, path)?;
    writer.run_pending_migrations(MIGRATIONS).map_err(|e| failed(&format!("migrating the schema failed: {e}")))?;
    // SQLite opens a file it may not write read-only, silently; every write would then fail
    // later. Writing the header's user_version back as it is (a real write, changing nothing)
    // says so now, with what to fix.
    let version =
        diesel::sql_query("PRAGMA user_version").get_result::<UserVersion>(&mut writer).map_err(|e| failed(&e))?;
    writer.batch_execute(&format!("PRAGMA user_version = {}", version.user_version)).map_err(|e| {
        let dir = path.parent().map_or_else(|| ".".into(), |d| d.display().to_string());
        internal(format!(
            "the database {} cannot be written ({e}); give the user running band-server write access to it, \
                 its -wal and -shm files and the directory {dir} (e.g. `chmod u+w`), or use another --home",
            path.display()
        ))
    })?;
    let readers = Pool::builder()
        .max_size(READERS)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(Configure))
        .build(ConnectionManager::new(uri(path, "ro")?))
        .map_err(|e| failed(&format!("opening read connections failed: {e}")))?;
    Ok((writer, readers))
}

#[derive(QueryableByName)]
struct UserVersion {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    user_version: i32,
}

fn quick_check(conn: &mut SqliteConnection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |detail: &str| {
        internal(format!("the database {} is corrupt ({detail}); move it aside and restore a backup", path.display()))
    };
    let rows = diesel::sql_query("PRAGMA quick_check").load::<QuickCheck>(conn).map_err(|e| corrupt(&e.to_string()))?;
    match rows.as_slice() {
        [row] if row.quick_check == "ok" => Ok(()),
        rows => {
            let problems: Vec<String> = rows.iter().take(4).map(|r| r.quick_check.replace('\n', " ")).collect();
            Err(corrupt(&format!("quick_check: {}", problems.join("; "))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_everything_sqlite_could_misread() {
        assert_eq!(uri(Path::new("/a b/x?y#z%.db"), "ro").ok(), Some("file:/a%20b/x%3Fy%23z%25.db?mode=ro".into()));
        assert_eq!(uri(Path::new("/d/ünï.db"), "rwc").ok(), Some("file:/d/%C3%BCn%C3%AF.db?mode=rwc".into()));
    }
}
