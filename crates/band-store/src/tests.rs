//! Tests of what only the inside of the crate can see: connection settings, the read-only
//! readers, corrupt rows and a full disk.

use band_core::ports::{ProjectStore, WorkspaceStore};
use band_core::{BranchName, NewProject, ProjectName};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use super::*;

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    value: String,
}

fn number(conn: &mut SqliteConnection, pragma: &str) -> i64 {
    diesel::sql_query(format!("SELECT (SELECT * FROM pragma_{pragma}()) AS value"))
        .get_result::<Number>(conn)
        .map(|n| n.value)
        .unwrap_or_else(|e| panic!("PRAGMA {pragma}: {e}"))
}

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("band.db")).await.expect("open the store");
    (dir, store)
}

fn new_project(name: &str) -> NewProject {
    NewProject {
        name: ProjectName::new(name).expect("a valid name"),
        path: format!("/repos/{name}").into(),
        default_branch: BranchName::new("main").expect("a valid branch"),
    }
}

#[derive(Debug, PartialEq)]
struct Settings {
    busy_timeout: i64,
    journal_mode: String,
    foreign_keys: i64,
    synchronous: i64,
}

fn settings(conn: &mut SqliteConnection) -> Settings {
    Settings {
        busy_timeout: number(conn, "busy_timeout"),
        journal_mode: diesel::sql_query("SELECT (SELECT * FROM pragma_journal_mode()) AS value")
            .get_result::<Word>(conn)
            .expect("journal_mode")
            .value,
        foreign_keys: number(conn, "foreign_keys"),
        synchronous: number(conn, "synchronous"),
    }
}

#[tokio::test]
async fn every_connection_waits_on_locks_uses_wal_and_enforces_foreign_keys() {
    let (_dir, store) = open().await;
    let expected = Settings {
        busy_timeout: i64::from(connection::BUSY_TIMEOUT_MS),
        journal_mode: "wal".into(),
        foreign_keys: 1,
        synchronous: 1, // NORMAL
    };
    let writer = store.write(|conn| Ok(settings(conn))).await.expect("the writer");
    assert_eq!(writer, expected, "the write connection");
    let reader = store.read(|conn| Ok(settings(conn))).await.expect("a reader");
    assert_eq!(reader, expected, "a read connection");
}

#[tokio::test]
async fn read_connections_cannot_write() {
    let (_dir, store) = open().await;
    let r = store
        .read(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (name, path, default_branch, created_at) VALUES ('x', '/x', 'main', 0)",
            )
            .map_err(from_diesel)
        })
        .await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("readonly")), "{r:?}");
    assert_eq!(store.list_projects().await.expect("list").len(), 0);
}

#[tokio::test]
async fn rows_that_fail_validation_are_reported_as_corrupt() {
    let (_dir, store) = open().await;
    store
        .write(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (id, name, path, default_branch, created_at) VALUES (7, '../evil', '/x', 'main', 0)",
            )
            .map_err(from_diesel)
        })
        .await
        .expect("a raw insert");
    let r = store.list_projects().await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string().starts_with("corrupt row in projects (id 7): invalid project name")),
        "{r:?}"
    );
    let r = store.project_by_id(band_core::ProjectId(7)).await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("corrupt row")), "{r:?}");

    store
        .write(|conn| {
            conn.batch_execute(
                "INSERT INTO projects (id, name, path, default_branch, created_at) VALUES (8, 'ok', '/ok', 'main', 0);
                 INSERT INTO workspaces (id, project_id, branch, base, path, branch_created, created_at)
                 VALUES (9, 8, '--upload-pack=x', 'main', '/w', 1, 0)",
            )
            .map_err(from_diesel)
        })
        .await
        .expect("a raw insert");
    let r = store.list_workspaces(None).await;
    assert!(
        matches!(&r, Err(StoreError::Internal(e)) if e.to_string().starts_with("corrupt row in workspaces (id 9): invalid branch name")),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_full_disk_is_reported_reads_keep_working_and_writes_recover() {
    let (_dir, store) = open().await;
    store.insert_project(new_project("before")).await.expect("an insert with room");
    // SQLite answers SQLITE_FULL once the file would outgrow max_page_count, as on a full disk.
    store
        .write(|conn| {
            let pages = number(conn, "page_count");
            conn.batch_execute(&format!("PRAGMA max_page_count = {pages}")).map_err(from_diesel)
        })
        .await
        .expect("cap the file");
    let mut full = None;
    for i in 0..1000 {
        if let Err(e) = store.insert_project(new_project(&format!("p{i}-{}", "x".repeat(50)))).await {
            full = Some(e);
            break;
        }
    }
    assert!(matches!(full, Some(StoreError::DiskFull)), "{full:?}");
    let listed = store.list_projects().await.expect("reads keep working on a full disk");
    assert!(listed.iter().any(|p| p.name.as_str() == "before"));

    store
        .write(|conn| conn.batch_execute("PRAGMA max_page_count = 1073741823").map_err(from_diesel))
        .await
        .expect("space returns");
    store.insert_project(new_project("after")).await.expect("writes work again once there is room");
    store.checkpoint().await.expect("checkpoint");
}

#[test]
fn non_utf8_paths_are_refused_with_a_clear_message() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"/x/\xff"));
        let e = path_text(bad).expect_err("not UTF-8");
        assert!(e.to_string().contains("is not valid UTF-8"), "{e}");
    }
    assert_eq!(path_text(Path::new("/ünï/x")).ok().as_deref(), Some("/ünï/x"));
}

#[tokio::test]
async fn deleting_a_workspace_deletes_its_chats_and_their_rows() {
    // The chat tables have no Rust code yet; this pins the schema's promise to what comes next.
    let (_dir, store) = open().await;
    let p = store.insert_project(new_project("app")).await.expect("project");
    let w = store
        .insert_workspace(band_core::NewWorkspace {
            project_id: p.id,
            branch: BranchName::new("feat").expect("valid"),
            base: band_core::GitRef::new("main").expect("valid"),
            path: "/wt/feat".into(),
            branch_created: true,
        })
        .await
        .expect("workspace");
    let id = w.id.0;
    store
        .write(move |conn| {
            conn.batch_execute(&format!(
                "INSERT INTO chats (id, workspace_id, agent, mode, name, status, created_at, updated_at)
                 VALUES (1, {id}, 'claude-code', 'ask', 'c', 'idle', 0, 0);
                 INSERT INTO turns (chat_id, started_seq, prompt, started_at) VALUES (1, 1, 'hi', 0);
                 INSERT INTO events (chat_id, seq, at, kind, payload) VALUES (1, 1, 0, 'text', '{{}}');
                 INSERT INTO queued_messages (chat_id, position, text, created_at) VALUES (1, 0, 'next', 0);"
            ))
            .map_err(from_diesel)
        })
        .await
        .expect("chat rows");
    store.delete_workspace(w.id).await.expect("delete the workspace");
    let left = store
        .read(|conn| {
            Ok(["chats", "turns", "events", "queued_messages"].map(|t| {
                diesel::sql_query(format!("SELECT count(*) AS value FROM {t}"))
                    .get_result::<Number>(conn)
                    .map(|n| n.value)
            }))
        })
        .await
        .expect("count");
    assert_eq!(left.map(|r| r.ok()), [Some(0); 4], "chats and everything under them go with the workspace");
}

#[tokio::test]
async fn the_migration_reverts_cleanly_and_applies_again() {
    use diesel_migrations::MigrationHarness;

    let (_dir, store) = open().await;
    let tables = |conn: &mut SqliteConnection| {
        diesel::sql_query(
            "SELECT name AS value FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name != '__diesel_schema_migrations' ORDER BY name",
        )
        .load::<Word>(conn)
        .map(|rows| rows.into_iter().map(|r| r.value).collect::<Vec<_>>())
        .map_err(from_diesel)
    };
    let (all, none, again) = store
        .write(move |conn| {
            let all = tables(conn)?;
            conn.revert_all_migrations(connection::MIGRATIONS).map_err(internal)?;
            let none = tables(conn)?;
            conn.run_pending_migrations(connection::MIGRATIONS).map_err(internal)?;
            Ok((all, none, tables(conn)?))
        })
        .await
        .expect("revert and re-apply");
    assert_eq!(all, ["chats", "events", "projects", "queued_messages", "turns", "workspaces"]);
    assert_eq!(none, Vec::<String>::new(), "down.sql drops every table");
    assert_eq!(again, all);
}
