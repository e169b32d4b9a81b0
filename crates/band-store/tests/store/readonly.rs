//! A database band may not write is refused when it opens, with what to fix, instead of opening
//! "healthy" and failing every write later with "internal error".
//!
//! File permissions do not bind root, so when the tests run as root (as in CI) the check runs in a
//! copy of this test binary started as `nobody` (setpriv), on a database that user owns read-only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use band_store::SqliteStore;

const CHILD: &str = "BAND_TEST_READONLY_DB";
const TEST: &str = "readonly::a_database_band_cannot_write_is_refused_at_open_saying_what_to_fix";
const NOBODY: u32 = 65534;

/// Opens `db` and prints what happened, for the parent to read.
async fn open_and_report(db: &Path) {
    match SqliteStore::open(db).await {
        Ok(_) => println!("RESULT opened"),
        Err(e) => println!("RESULT {e}"),
    }
}

#[tokio::test]
async fn a_database_band_cannot_write_is_refused_at_open_saying_what_to_fix() {
    if let Some(db) = std::env::var_os(CHILD) {
        open_and_report(Path::new(&db)).await;
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir(&home).expect("home");
    let db = home.join("band.db");
    // A real band database, checkpointed into the one file, then made read-only.
    let store = SqliteStore::open(&db).await.expect("a fresh database");
    store.checkpoint().await.expect("checkpoint");
    drop(store);
    for f in ["band.db-wal", "band.db-shm"] {
        let _ = std::fs::remove_file(home.join(f));
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).expect("chmod");

    let report = if rustix::process::geteuid().is_root() {
        // Root ignores the mode: run the open as nobody, from a copy of this binary it can reach.
        let exe = dir.path().join("test-binary");
        std::fs::copy(std::env::current_exe().expect("this test binary"), &exe).expect("copy");
        for p in [dir.path(), &home, exe.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        std::os::unix::fs::chown(&home, Some(NOBODY), Some(NOBODY)).expect("chown home");
        std::os::unix::fs::chown(&db, Some(NOBODY), Some(NOBODY)).expect("chown db");
        let out = std::process::Command::new("setpriv")
            .args(["--reuid", &NOBODY.to_string(), "--regid", &NOBODY.to_string(), "--clear-groups", "--"])
            .arg(&exe)
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD, &db)
            .output()
            .expect("setpriv (util-linux) runs the check as nobody");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        stdout.lines().find_map(|l| l.split_once("RESULT ").map(|(_, r)| r.to_owned())).unwrap_or_else(|| {
            panic!("no result from the unprivileged run: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
        })
    } else {
        match SqliteStore::open(&db).await {
            Ok(_) => "opened".to_owned(),
            Err(e) => e.to_string(),
        }
    };
    assert!(report.contains(&format!("the database {} cannot be written", db.display())), "{report}");
    assert!(report.contains("give the user running band-server write access"), "{report}");
}
