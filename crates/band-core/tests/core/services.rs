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
    async fn set_archived(&self, id: WorkspaceId, at: Option<Millis>) -> Result<Workspace, StoreError> {
        self.0.set_archived(id, at).await
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
async fn a_worktree_deleted_by_hand_is_listed_missing_and_removing_it_judges_the_branch_from_the_repository() {
    let w = world();
    with_project(&w, "/code/app").await;
    let (merged, _) = w.workspaces.create("app", "lost", None).await.expect("create");
    let (ahead, _) = w.workspaces.create("app", "ahead", None).await.expect("create");
    w.git.set_divergence(&ahead.path, Divergence { ahead: 3, behind: 0 });
    w.git.lose_worktree_dir(&merged.path);
    w.git.lose_worktree_dir(&ahead.path);
    let listed = w.workspaces.list(None).await.expect("list");
    assert!(listed.iter().all(|l| l.missing), "{listed:?}");
    assert!(w.workspaces.missing(&merged).await.expect("missing"));

    // Merged and band's: the branch goes with it (a crash between removing the worktree and
    // deleting the branch is finished this way).
    let r = w.workspaces.remove("app/lost", false).await.expect("remove");
    assert!(r.branch_deleted, "{r:?}");
    // Commits the base lacks: removable without force (the worktree is gone already), the branch kept.
    let r = w.workspaces.remove("app/ahead", false).await.expect("remove");
    assert_eq!(r.branch_kept_because.as_deref(), Some("it has 3 commit(s) not in 'main'"));
    assert_eq!(w.git.branches_of(Path::new("/code/app")), ["ahead", "main"]);
    assert!(w.git.worktree_paths().is_empty(), "git's stale entries were pruned");
}

#[tokio::test]
async fn create_adopts_a_worktree_band_laid_out_but_does_not_list() {
    let w = world();
    with_project(&w, "/code/app").await;
    let orphan = Path::new(WT).join("app/feat/x");
    w.git.add_foreign_worktree(Path::new("/code/app"), &orphan, "feat/x");
    let (ws, created) = w.workspaces.create("app", "feat/x", None).await.expect("adopted");
    assert!(!created && !ws.branch_created, "band does not know who made the branch: {ws:?}");
    assert_eq!(ws.path, orphan);
    assert!(
        matches!(w.sink.take().as_slice(), [.., Notice::WorkspaceCreated { workspace, .. }] if workspace.id == ws.id)
    );
    let (again, created) = w.workspaces.create("app", "feat/x", None).await.expect("again");
    assert_eq!((again.id, created), (ws.id, false));

    // Elsewhere, or locked (a git command may still be making it): not band's to take.
    w.git.add_foreign_worktree(Path::new("/code/app"), Path::new("/elsewhere/y"), "y");
    let e = w.workspaces.create("app", "y", None).await.expect_err("checked out elsewhere");
    assert!(matches!(&e, CoreError::Conflict(m) if m.what.contains("already checked out")), "{e}");
    let locked = Path::new(WT).join("app/z");
    w.git.add_foreign_worktree(Path::new("/code/app"), &locked, "z");
    w.git.lock_worktree(&locked);
    assert!(matches!(w.workspaces.create("app", "z", None).await, Err(CoreError::Conflict(_))));
}

#[tokio::test]
async fn reconcile_adopts_orphans_marks_missing_prunes_and_leaves_the_rest_alone() {
    let w = world();
    let app = with_project(&w, "/code/app").await;
    let repo = Path::new("/code/app");
    let (gone, _) = w.workspaces.create("app", "gone", None).await.expect("create");
    let (kept, _) = w.workspaces.create("app", "kept", None).await.expect("create");
    w.git.lose_worktree_dir(&gone.path);
    let orphan = Path::new(WT).join("app/orphan");
    w.git.add_foreign_worktree(repo, &orphan, "orphan");
    let odd = Path::new(WT).join("app/odd");
    w.git.add_foreign_worktree(repo, &odd, "other");
    let busy = Path::new(WT).join("app/busy");
    w.git.add_foreign_worktree(repo, &busy, "busy");
    w.git.lock_worktree(&busy);
    w.git.add_foreign_worktree(repo, Path::new("/elsewhere/mine"), "mine");
    w.sink.take();

    let outcome = w.workspaces.reconcile().await.expect("reconcile");
    let [(name, Ok(done))] = outcome.as_slice() else { panic!("{outcome:?}") };
    assert_eq!(name, &app.name);
    assert_eq!(done.adopted.iter().map(|ws| ws.path.clone()).collect::<Vec<_>>(), [orphan.clone()]);
    assert_eq!(done.missing.iter().map(|ws| ws.id).collect::<Vec<_>>(), [gone.id]);
    let unknown: Vec<&Path> = done.unknown.iter().map(|(p, _)| p.as_path()).collect();
    assert_eq!(unknown, [busy.as_path(), odd.as_path()], "{:?}", done.unknown);
    assert!(done.pruned && w.git.prunes() == 1);
    // Nothing is deleted: the foreign worktrees are all still there; only git's stale entry went.
    let mut paths = w.git.worktree_paths();
    paths.sort();
    let mut expected =
        vec![busy.clone(), kept.path.clone(), odd.clone(), orphan.clone(), PathBuf::from("/elsewhere/mine")];
    expected.sort();
    assert_eq!(paths, expected);

    let listed = w.workspaces.list(Some("app")).await.expect("list");
    let shown: Vec<(&str, bool)> = listed.iter().map(|l| (l.workspace.branch.as_str(), l.missing)).collect();
    assert_eq!(shown, [("gone", true), ("kept", false), ("orphan", false)]);

    // Again: nothing more to do.
    let outcome = w.workspaces.reconcile().await.expect("reconcile");
    let [(_, Ok(again))] = outcome.as_slice() else { panic!("{outcome:?}") };
    assert!(again.adopted.is_empty() && !again.pruned && again.missing.len() == 1, "{again:?}");
}

/// A git port whose `add_worktree` waits until the test lets it finish, recording what reached
/// it: to see what a project's lock lets through.
struct GatedGit {
    fake: Arc<FakeGit>,
    entered: tokio::sync::mpsc::UnboundedSender<String>,
    gate: Arc<tokio::sync::Semaphore>,
}

#[async_trait]
impl GitRepos for GatedGit {
    async fn inspect(&self, path: &Path) -> Result<RepoInfo, GitError> {
        self.fake.inspect(path).await
    }
    async fn branches(&self, repo: &Path) -> Result<Vec<String>, GitError> {
        self.fake.branches(repo).await
    }
    async fn add_worktree(
        &self,
        repo: &Path,
        path: &Path,
        branch: &BranchName,
        base: &GitRef,
    ) -> Result<bool, GitError> {
        let _ = self.entered.send(branch.to_string());
        self.gate.acquire().await.expect("gate").forget();
        self.fake.add_worktree(repo, path, branch, base).await
    }
    async fn worktrees(&self, repo: &Path) -> Result<Vec<WorktreeInfo>, GitError> {
        self.fake.worktrees(repo).await
    }
    async fn prune_worktrees(&self, repo: &Path) -> Result<(), GitError> {
        self.fake.prune_worktrees(repo).await
    }
    async fn status(&self, worktree: &Path) -> Result<Vec<FileChange>, GitError> {
        self.fake.status(worktree).await
    }
    async fn divergence(&self, worktree: &Path, base: &GitRef) -> Result<Divergence, GitError> {
        self.fake.divergence(worktree, base).await
    }
    async fn branch_divergence(&self, repo: &Path, branch: &BranchName, base: &GitRef) -> Result<Divergence, GitError> {
        self.fake.branch_divergence(repo, branch, base).await
    }
    async fn diff(&self, worktree: &Path, base: &GitRef) -> Result<(String, String), GitError> {
        self.fake.diff(worktree, base).await
    }
    async fn remove_worktree(&self, repo: &Path, worktree: &Path, force: bool) -> Result<(), GitError> {
        self.fake.remove_worktree(repo, worktree, force).await
    }
    async fn discard_cut_off_worktree(&self, repo: &Path, worktree: &Path) -> Result<(), GitError> {
        self.fake.discard_cut_off_worktree(repo, worktree).await
    }
    async fn delete_branch(&self, repo: &Path, branch: &BranchName) -> Result<(), GitError> {
        self.fake.delete_branch(repo, branch).await
    }
    async fn copy_into_worktree(
        &self,
        repo: &Path,
        worktree: &Path,
        globs: &[CopyGlob],
    ) -> Result<CopyReport, GitError> {
        self.fake.copy_into_worktree(repo, worktree, globs).await
    }
    async fn disk_usage(&self, worktree: &Path) -> Result<u64, GitError> {
        self.fake.disk_usage(worktree).await
    }
    async fn merge_back(&self, req: &MergeRequest) -> Result<MergeOutcome, GitError> {
        self.fake.merge_back(req).await
    }
    async fn push_branch(&self, worktree: &Path, branch: &band_core::BranchName) -> Result<String, GitError> {
        self.fake.push_branch(worktree, branch).await
    }
    async fn fetch_pull(&self, repo: &Path, number: u64, branch: &band_core::BranchName) -> Result<(), GitError> {
        self.fake.fetch_pull(repo, number, branch).await
    }
    async fn upstream_divergence(&self, worktree: &Path) -> Result<Option<(String, Divergence)>, GitError> {
        self.fake.upstream_divergence(worktree).await
    }
}

/// One project's worktree changes take turns, in the order they came: while one create is in
/// git, no other create of the project reaches git; a create of the same branch that waited
/// gets the first one's workspace without calling git; another project does not wait.
#[tokio::test]
async fn a_projects_creates_take_turns_in_arrival_order_and_other_projects_do_not_wait() {
    let store = Arc::new(MemoryStore::new());
    let fake = Arc::new(FakeGit::default());
    let (entered, mut reached) = tokio::sync::mpsc::unbounded_channel();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let git: Arc<dyn GitRepos> = Arc::new(GatedGit { fake: fake.clone(), entered, gate: gate.clone() });
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let sink: Arc<dyn EventSink> = Arc::new(RecordingSink::default());
    let workspaces = Arc::new(Workspaces::new(ps.clone(), ws.clone(), git.clone(), sink.clone(), PathBuf::from(WT)));
    let projects = Projects::new(ps, ws, git, sink);
    for root in ["/code/app", "/code/other"] {
        fake.add_repo(Path::new(root), "main", false);
        projects.add(Path::new(root), None).await.expect("project");
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (i, branch) in ["a", "b", "a", "c"].into_iter().enumerate() {
        let workspaces = workspaces.clone();
        tasks.spawn(async move { (i, workspaces.create("app", branch, None).await) });
        // Each has asked for the project's turn before the next comes.
        tokio::task::yield_now().await;
    }
    assert_eq!(reached.recv().await.as_deref(), Some("a"), "the first comes first");
    // While "a" is in git, the others wait for app's turn; the other project does not.
    let other = tokio::spawn({
        let workspaces = workspaces.clone();
        async move { workspaces.create("other", "x", None).await }
    });
    assert_eq!(reached.recv().await.as_deref(), Some("x"), "no other create of app reached git");
    gate.add_permits(1); // "a" finishes: "b"'s turn
    assert_eq!(reached.recv().await.as_deref(), Some("b"));
    gate.add_permits(2); // "x" and "b" finish; the second "a" finds the first's workspace: "c"'s turn
    assert_eq!(reached.recv().await.as_deref(), Some("c"));
    gate.add_permits(1);
    let mut got = Vec::new();
    while let Some(done) = tasks.join_next().await {
        got.push(done.expect("task"));
    }
    got.sort_by_key(|(i, _)| *i);
    let results: Vec<(WorkspaceId, bool)> =
        got.into_iter().map(|(_, r)| r.map(|(ws, created)| (ws.id, created)).expect("created")).collect();
    assert_eq!(results[2], (results[0].0, false), "the second 'a' got the first one's workspace");
    assert!(results[0].1 && results[1].1 && results[3].1);
    other.await.expect("task").expect("other project's create");
    assert!(reached.try_recv().is_err(), "nothing else reached git");
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
