//! The use-case services against in-memory fakes of their ports: the decisions band-core makes
//! (idempotency, rollback, refusals, selector resolution, notices), independent of real git.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use band_core::ports::{EventSink, GitRepos, Notice, ProjectStore, WorkspaceStore};
use band_core::services::{Projects, Workspaces};
use band_core::*;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;

const WT: &str = "/band/worktrees";

struct World {
    git: Arc<FakeGit>,
    sink: Arc<RecordingSink>,
    projects: Projects,
    workspaces: Workspaces,
}

/// Services over `store`, with workspaces kept in `workspace_store` (the same store by default).
fn build(store: Arc<MemoryStore>, workspace_store: Arc<dyn WorkspaceStore>) -> World {
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let ps: Arc<dyn ProjectStore> = store.clone();
    let g: Arc<dyn GitRepos> = git.clone();
    let e: Arc<dyn EventSink> = sink.clone();
    World {
        projects: Projects::new(ps.clone(), workspace_store.clone(), g.clone(), e.clone()),
        workspaces: Workspaces::new(ps, workspace_store, g, e, PathBuf::from(WT)),
        git,
        sink,
    }
}

fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    build(store.clone(), store)
}

async fn with_project(w: &World, root: &str) -> Project {
    w.git.add_repo(Path::new(root), "main", false);
    w.projects.add(Path::new(root), None).await.expect("project added")
}

fn change(path: &str) -> FileChange {
    FileChange { path: path.into(), kind: ChangeKind::Modified }
}

#[tokio::test]
async fn adding_a_project_names_it_after_its_directory_and_announces_it() {
    let w = world();
    let p = with_project(&w, "/code/My App").await;
    assert_eq!(p.name.as_str(), "My-App");
    assert_eq!(p.default_branch.as_str(), "main");
    assert!(matches!(w.sink.take().as_slice(), [Notice::ProjectAdded(added)] if added.id == p.id));
}

#[tokio::test]
async fn linked_worktrees_and_relative_paths_are_not_projects() {
    let w = world();
    w.git.add_repo(Path::new("/code/wt"), "main", true);
    let e = w.projects.add(Path::new("/code/wt"), None).await.expect_err("linked");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m.what.contains("linked worktree")), "{e}");
    let e = w.projects.add(Path::new("code"), None).await.expect_err("relative");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m.what.contains("must be absolute")), "{e}");
    assert!(w.projects.list().await.expect("list").is_empty());
    assert!(w.sink.take().is_empty(), "nothing announced for refused requests");
}

#[tokio::test]
async fn create_is_idempotent_and_lays_out_project_and_branch() {
    let w = world();
    with_project(&w, "/code/app").await;
    let (ws, created) = w.workspaces.create("app", "feat/x", None).await.expect("create");
    assert!(created && ws.branch_created);
    assert_eq!(ws.path, Path::new(WT).join("app/feat/x"));
    assert_eq!(ws.base.as_str(), "main");
    let (again, created) = w.workspaces.create("app", "feat/x", Some("ignored")).await.expect("again");
    assert_eq!((again.id, created), (ws.id, false));
    assert_eq!(w.git.worktree_paths(), vec![ws.path.clone()]);
}

/// A store that fails to insert workspaces, as a full disk would.
struct FailingInserts(Arc<MemoryStore>);

#[async_trait]
impl WorkspaceStore for FailingInserts {
    async fn insert_workspace(&self, _new: NewWorkspace) -> Result<Workspace, StoreError> {
        Err(StoreError::DiskFull)
    }
    async fn list_workspaces(&self, project: Option<ProjectId>) -> Result<Vec<Workspace>, StoreError> {
        self.0.list_workspaces(project).await
    }
    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        self.0.workspace_by_id(id).await
    }
    async fn workspace_by_branch(&self, p: ProjectId, b: &BranchName) -> Result<Option<Workspace>, StoreError> {
        self.0.workspace_by_branch(p, b).await
    }
    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError> {
        self.0.delete_workspace(id).await
    }
}

#[tokio::test]
async fn a_workspace_that_cannot_be_stored_leaves_no_worktree_or_branch_behind() {
    let store = Arc::new(MemoryStore::new());
    let w = build(store.clone(), Arc::new(FailingInserts(store)));
    with_project(&w, "/code/app").await;
    let err = w.workspaces.create("app", "doomed", None).await.expect_err("store fails");
    assert!(matches!(&err, CoreError::Refused(m) if m.what.contains("disk is full")), "{err}");
    assert!(w.git.worktree_paths().is_empty(), "the worktree was removed again");
    assert_eq!(w.git.branches_of(Path::new("/code/app")), vec!["main".to_owned()], "and the new branch");
}

#[tokio::test]
async fn an_existing_branch_is_used_and_kept() {
    let w = world();
    with_project(&w, "/code/app").await;
    w.git.add_branch(Path::new("/code/app"), "release");
    let (ws, _) = w.workspaces.create("app", "release", None).await.expect("create");
    assert!(!ws.branch_created);
    let r = w.workspaces.remove("app/release", false).await.expect("remove");
    assert!(!r.branch_deleted);
    assert_eq!(r.branch_kept_because.as_deref(), Some("the branch existed before the workspace"));
    assert!(w.git.branches_of(Path::new("/code/app")).contains(&"release".to_owned()));
}

#[tokio::test]
async fn removal_refuses_to_lose_work_unless_forced_and_even_then_keeps_commits() {
    let w = world();
    with_project(&w, "/code/app").await;
    let (ws, _) = w.workspaces.create("app", "topic", None).await.expect("create");
    w.sink.take();

    w.git.set_changes(&ws.path, (0..7).map(|i| change(&format!("f{i}"))).collect());
    let e = w.workspaces.remove("topic", false).await.expect_err("dirty");
    let CoreError::Refused(m) = &e else { panic!("{e}") };
    assert!(m.what.contains("7 uncommitted change(s) (f0, f1, f2, f3, f4 and 2 more)"), "{m}");

    w.git.set_changes(&ws.path, vec![]);
    w.git.set_divergence(&ws.path, Divergence { ahead: 2, behind: 0 });
    let e = w.workspaces.remove("topic", false).await.expect_err("unmerged");
    assert!(matches!(&e, CoreError::Refused(m) if m.what.contains("2 commit(s) not in 'main'")), "{e}");
    assert_eq!(w.git.worktree_paths(), vec![ws.path.clone()], "nothing removed while refusing");
    assert!(w.sink.take().is_empty());

    let r = w.workspaces.remove("topic", true).await.expect("forced");
    assert!(!r.branch_deleted);
    assert!(w.git.branches_of(Path::new("/code/app")).contains(&"topic".to_owned()), "commits kept");
    assert!(w.git.worktree_paths().is_empty());
    assert!(matches!(w.sink.take().as_slice(), [Notice::WorkspaceRemoved { .. }]));
    assert!(w.workspaces.list(None).await.expect("list").is_empty());
}

#[tokio::test]
async fn a_merged_branch_band_created_is_deleted_with_its_workspace() {
    let w = world();
    with_project(&w, "/code/app").await;
    w.workspaces.create("app", "done", None).await.expect("create");
    let r = w.workspaces.remove("app/done", false).await.expect("remove");
    assert!(r.branch_deleted && r.branch_kept_because.is_none());
    assert_eq!(w.git.branches_of(Path::new("/code/app")), vec!["main".to_owned()]);
}

#[tokio::test]
async fn selectors_resolve_by_id_pair_branch_and_path_and_ambiguity_is_explained() {
    let w = world();
    with_project(&w, "/code/a").await;
    with_project(&w, "/code/b").await;
    let (wa, _) = w.workspaces.create("a", "feat/same", None).await.expect("a");
    let (wb, _) = w.workspaces.create("b", "feat/same", None).await.expect("b");
    let (solo, _) = w.workspaces.create("a", "solo", None).await.expect("solo");

    assert_eq!(w.workspaces.resolve(&wa.id.0.to_string()).await.expect("id").1.id, wa.id);
    assert_eq!(w.workspaces.resolve("b/feat/same").await.expect("pair").1.id, wb.id);
    assert_eq!(w.workspaces.resolve("solo").await.expect("branch").1.id, solo.id);
    let inside = wb.path.join("src/deep");
    assert_eq!(w.workspaces.resolve(inside.to_str().expect("utf8")).await.expect("path").1.id, wb.id);

    // `feat/same` reads as project `feat`, which does not exist, so it is a branch: in two projects.
    let e = w.workspaces.resolve("feat/same").await.expect_err("ambiguous");
    assert!(
        matches!(&e, CoreError::InvalidInput(m) if m.what.contains("2 workspaces are on branch 'feat/same'") && m.what.contains("<project>/feat/same")),
        "{e}"
    );
    let e = w.workspaces.resolve("/elsewhere").await.expect_err("outside");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what.contains("is not inside a band workspace")), "{e}");
}

#[tokio::test]
async fn a_project_with_workspaces_is_not_forgotten() {
    let w = world();
    with_project(&w, "/code/app").await;
    w.workspaces.create("app", "w1", None).await.expect("create");
    let e = w.projects.remove("app").await.expect_err("has workspaces");
    assert!(matches!(&e, CoreError::Refused(m) if m.what.contains("still has 1 workspace(s) (w1)")), "{e}");
    w.workspaces.remove("app/w1", false).await.expect("remove ws");
    w.projects.remove("app").await.expect("now it goes");
    assert!(w.projects.list().await.expect("list").is_empty());
}

#[tokio::test]
async fn a_worktree_deleted_by_hand_is_still_removable_and_its_branch_kept() {
    let w = world();
    with_project(&w, "/code/app").await;
    let (ws, _) = w.workspaces.create("app", "lost", None).await.expect("create");
    w.git.lose_worktree_dir(&ws.path);
    let r = w.workspaces.remove("app/lost", false).await.expect("remove");
    assert!(!r.branch_deleted);
    assert_eq!(r.branch_kept_because.as_deref(), Some("its merge state could not be checked"));
}

/// Workspaces shared (as the layout and files services need them), over one store, with a
/// project `app` and its workspace `app/w`.
async fn shared() -> (Arc<MemoryStore>, Arc<RecordingSink>, Arc<Workspaces>, Workspace) {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), sink.clone());
    let workspaces = Arc::new(Workspaces::new(ps.clone(), ws.clone(), g.clone(), e.clone(), PathBuf::from(WT)));
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps, ws, g, e).add(Path::new("/code/app"), None).await.expect("project");
    let (w, _) = workspaces.create("app", "w", None).await.expect("workspace");
    sink.take();
    (store, sink, workspaces, w)
}

#[tokio::test]
async fn layouts_are_capped_kept_per_scope_and_announced() {
    use band_core::services::Layouts;
    let (store, sink, workspaces, w) = shared().await;
    let layouts = Layouts::new(store, workspaces, sink.clone());

    let big = format!("{{\"x\":\"{}\"}}", "y".repeat(Layouts::MAX_BYTES));
    let e = layouts.set(None, big).await.expect_err("too big");
    assert!(
        matches!(&e, CoreError::InvalidInput(m) if m == "the layout is 65544 bytes; band keeps layouts up to 65536 bytes (64.0 KiB)"),
        "{e:?}"
    );
    let e = layouts.set(Some("app/nope"), "{}".into()).await.expect_err("unknown workspace");
    assert!(matches!(e, CoreError::NotFound(_)), "{e:?}");
    assert_eq!(sink.take(), vec![], "a refused layout is not announced");
    assert_eq!(layouts.get(None).await.expect("get").1, None, "nor stored");

    let (none, global) = layouts.set(None, "{\"g\":1}".into()).await.expect("global");
    assert_eq!((none, global.scope), (None, LayoutScope::Global));
    let (ws, mine) = layouts.set(Some("app/w"), "{\"w\":1}".into()).await.expect("workspace");
    assert_eq!((ws.map(|ws| ws.id), mine.scope), (Some(w.id), LayoutScope::Workspace(w.id)));
    assert_eq!(sink.take(), vec![Notice::LayoutChanged(global.clone()), Notice::LayoutChanged(mine.clone())]);
    assert_eq!(layouts.get(None).await.expect("get").1, Some(global));
    assert_eq!(layouts.get(Some(&w.id.0.to_string())).await.expect("get").1, Some(mine));
}

/// Records what reached the port.
#[derive(Default)]
struct RecordingFiles {
    calls: std::sync::Mutex<Vec<(PathBuf, String, u64)>>,
}

#[async_trait]
impl ports::WorkspaceFiles for RecordingFiles {
    async fn list(&self, root: &Path, dir: &WorkspacePath, _offset: usize, max: usize) -> Result<Listing, FileError> {
        self.calls.lock().expect("lock").push((root.to_owned(), dir.as_str().to_owned(), max as u64));
        Ok(Listing { entries: vec![], offset: 0, total: 0, truncated: false })
    }
    async fn read(&self, root: &Path, file: &WorkspacePath, limit: u64) -> Result<FileBytes, FileError> {
        self.calls.lock().expect("lock").push((root.to_owned(), file.as_str().to_owned(), limit));
        Err(FileError::TooLarge { path: file.to_string(), size: limit + 1, limit })
    }
}

#[tokio::test]
async fn only_valid_paths_of_known_workspaces_reach_the_files_port() {
    use band_core::services::Files;
    let (_store, _sink, workspaces, w) = shared().await;
    let port = Arc::new(RecordingFiles::default());
    let files = Files::new(workspaces, port.clone());

    for bad in ["../x", "/etc/passwd", ".git/config", "a//b"] {
        let e = files.read("app/nope", bad, 10).await.expect_err(bad);
        assert!(
            matches!(&e, CoreError::InvalidInput(m) if m.what.starts_with("invalid path")),
            "the path is checked first: {e:?}"
        );
        let e = files.list("app/w", Some(bad), 0).await.expect_err(bad);
        assert!(matches!(e, CoreError::InvalidInput(_)), "{e:?}");
    }
    let e = files.read("app/w", "", 10).await.expect_err("the root is not a file");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m == "give the path of a file, relative to the workspace root"));
    let e = files.read("app/nope", "a", 10).await.expect_err("unknown workspace");
    assert!(matches!(e, CoreError::NotFound(_)), "{e:?}");
    assert_eq!(port.calls.lock().expect("lock").len(), 0, "nothing reached the port");

    files.list("app/w", None, 0).await.expect("root listing");
    let e = files.read("app/w", "src/big.bin", Files::READ_LIMIT).await.expect_err("too large");
    assert!(
        matches!(&e, CoreError::Refused(m) if m == "'src/big.bin' is 2.0 MiB (2097153 bytes); band reads files up to 2.0 MiB"),
        "{e:?}"
    );
    assert_eq!(
        *port.calls.lock().expect("lock"),
        [
            (w.path.clone(), String::new(), Files::LIST_LIMIT as u64),
            (w.path.clone(), "src/big.bin".to_owned(), Files::READ_LIMIT)
        ]
    );
}
