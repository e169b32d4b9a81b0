//! band-store against a real file: the storage contract, durability across reopening, WAL, many
//! writers at once, and damaged files.

use std::path::Path;
use std::sync::Arc;

use band_core::ports::{ProjectStore, WorkspaceStore};
use band_core::{BranchName, GitRef, NewProject, NewWorkspace, ProjectName, StoreError};
use band_store::SqliteStore;
use band_testkit::contract;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

fn new_project(name: &str) -> NewProject {
    NewProject {
        name: ProjectName::new(name).expect("a valid name"),
        path: format!("/repos/{name}").into(),
        default_branch: BranchName::new("main").expect("a valid branch"),
    }
}

fn new_workspace(project: band_core::ProjectId, branch: &str) -> NewWorkspace {
    NewWorkspace {
        project_id: project,
        branch: BranchName::new(branch).expect("a valid branch"),
        base: GitRef::new("main").expect("a valid ref"),
        path: format!("/wt/{}/{branch}", project.0).into(),
        branch_created: true,
        direct: false,
    }
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).await.unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

#[tokio::test]
async fn sqlite_store_obeys_the_store_contract() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut n = 0;
    contract::all(|| {
        n += 1;
        let path = dir.path().join(format!("{n}.db"));
        async move { open(&path).await }
    })
    .await;
}

#[tokio::test]
async fn sqlite_store_obeys_the_cronjob_contract() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut n = 0;
    contract::cron_all(|| {
        n += 1;
        let path = dir.path().join(format!("cron-{n}.db"));
        async move { open(&path).await }
    })
    .await;
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("nested/dirs/band.db");
    let store = open(&path).await;
    assert_eq!(store.path(), path, "the store names its file");
    let p = store.insert_project(new_project("app")).await.expect("insert a project");
    let w = store.insert_workspace(new_workspace(p.id, "feat")).await.expect("insert a workspace");
    drop(store);

    let store = open(&path).await;
    assert_eq!(store.list_projects().await.expect("list projects"), vec![p.clone()]);
    assert_eq!(store.list_workspaces(None).await.expect("list workspaces"), vec![w]);
    let q = store.insert_project(new_project("next")).await.expect("insert after reopening");
    assert!(q.id > p.id, "ids continue after reopening");
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[tokio::test]
async fn the_file_is_in_wal_mode_and_checkpoints_truncate_the_log() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    let store = open(&path).await;
    store.insert_project(new_project("app")).await.expect("insert");

    // WAL mode is a property of the file: a connection that did not ask for it sees it.
    let mut other = SqliteConnection::establish(path.to_str().expect("a UTF-8 path")).expect("a second connection");
    let mode = diesel::sql_query("PRAGMA journal_mode").get_result::<JournalMode>(&mut other).expect("journal_mode");
    assert_eq!(mode.journal_mode, "wal");
    drop(other);

    let wal = dir.path().join("band.db-wal");
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(len(&wal) > 0, "the insert went to the write-ahead log");
    store.checkpoint().await.expect("checkpoint");
    assert_eq!(len(&wal), 0, "TRUNCATE empties the log");
    assert_eq!(store.list_projects().await.expect("list").len(), 1, "the data is in the file");
}

/// Commits never checkpoint (that would stall the one commit that crosses the threshold); a
/// background thread does, once writes pause, and empties the log once the store is idle.
#[tokio::test]
async fn an_idle_store_checkpoints_and_empties_its_log_by_itself() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    let store = open(&path).await;
    for i in 0..200 {
        store.insert_project(new_project(&format!("p{i}"))).await.expect("insert");
    }
    let wal = dir.path().join("band.db-wal");
    assert!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0, "writes went to the log");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0 {
        assert!(std::time::Instant::now() < deadline, "the idle log was never checkpointed and emptied");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Everything is in the main file: a fresh read-only look sees it without the log.
    let mut other = SqliteConnection::establish(path.to_str().expect("a UTF-8 path")).expect("a second connection");
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c = diesel::sql_query("SELECT count(*) AS n FROM projects").get_result::<Count>(&mut other).expect("count");
    assert_eq!(c.n, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_writers_all_succeed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(open(&dir.path().join("band.db")).await);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let p = store.insert_project(new_project(&format!("p{i:02}"))).await?;
                let w = store.insert_workspace(new_workspace(p.id, "feat")).await?;
                let listed = store.list_workspaces(Some(p.id)).await?;
                Ok::<_, StoreError>((p, w, listed))
            })
        })
        .collect();
    let mut project_ids = Vec::new();
    let mut workspace_ids = Vec::new();
    for task in tasks {
        let (p, w, listed) = task.await.expect("the task ran").expect("every write succeeds");
        assert_eq!(listed, vec![w.clone()], "each writer reads its own write");
        project_ids.push(p.id);
        workspace_ids.push(w.id);
    }
    project_ids.sort();
    project_ids.dedup();
    workspace_ids.sort();
    workspace_ids.dedup();
    assert_eq!((project_ids.len(), workspace_ids.len()), (64, 64), "ids are distinct");
    let names: Vec<String> =
        store.list_projects().await.expect("list").into_iter().map(|p| p.name.to_string()).collect();
    let expected: Vec<String> = (0..64).map(|i| format!("p{i:02}")).collect();
    assert_eq!(names, expected);
}

#[track_caller]
fn assert_refused_naming(r: Result<SqliteStore, StoreError>, path: &Path) {
    match r {
        Err(StoreError::Internal(e)) => {
            let message = e.to_string();
            assert!(message.contains(&path.display().to_string()), "the error names the file: {message}");
            assert!(message.contains("restore a backup"), "the error says what to do: {message}");
        }
        Err(e) => panic!("expected Internal naming {}, got {e:?}", path.display()),
        Ok(_) => panic!("a damaged file must not open"),
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    let garbage: Vec<u8> = (0..16_384u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&path, &garbage).expect("write garbage");
    assert_refused_naming(SqliteStore::open(&path).await, &path);
    assert_eq!(std::fs::read(&path).expect("read back"), garbage, "the damaged file is left as it was");
}

#[tokio::test]
async fn a_database_with_damaged_pages_fails_its_integrity_check() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("band.db");
    let store = open(&path).await;
    for i in 0..50 {
        let p = store.insert_project(new_project(&format!("p{i}"))).await.expect("insert");
        store.insert_workspace(new_workspace(p.id, "feat")).await.expect("insert");
    }
    store.checkpoint().await.expect("checkpoint");
    drop(store);

    // The header and the schema stay readable; the pages of the workspaces table do not.
    #[derive(QueryableByName)]
    struct Root {
        #[diesel(sql_type = Text)]
        page: String,
    }
    let mut conn = SqliteConnection::establish(path.to_str().expect("utf8")).expect("connect");
    let root: Vec<Root> =
        diesel::sql_query("SELECT CAST(rootpage AS TEXT) AS page FROM sqlite_schema WHERE name = 'workspaces'")
            .load(&mut conn)
            .expect("the table's root page");
    drop(conn);
    let page: usize = root[0].page.parse().expect("a page number");
    let mut bytes = std::fs::read(&path).expect("read the file");
    assert!(bytes.len() > 8192, "the database spans several pages");
    // Pages are numbered from 1; the root's header stays readable, its cells do not.
    let from = (page - 1) * 4096;
    bytes[from + 2048..from + 4096].fill(0xA5);
    std::fs::write(&path, &bytes).expect("damage the file");
    let r = SqliteStore::open(&path).await;
    assert!(matches!(&r, Err(StoreError::Internal(e)) if e.to_string().contains("is corrupt (quick_check: ")), "{r:?}");
    assert_refused_naming(r, &path);
}
