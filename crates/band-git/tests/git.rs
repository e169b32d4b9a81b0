//! band-git against real repositories in temporary directories, driven by the real `git` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use band_core::ports::GitRepos;
use band_core::{BranchName, ChangeKind, Divergence, FileChange, GitError, GitRef, WorktreeInfo};
use band_git::Git;
use band_process::Supervisor;
use band_testkit::fixtures::RiggedRepo;

// ---------------------------------------------------------------------------------------------
// Fixture

/// A temporary directory (canonical path) that holds repositories.
struct Tmp {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmp {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = std::fs::canonicalize(dir.path()).expect("canonical tempdir");
        Self { _dir: dir, path }
    }

    fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }

    /// A repository with one commit (`README`) on `branch`.
    fn repo(&self, name: &str, branch: &str) -> PathBuf {
        let dir = self.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        git(&dir, &["init", "-q", "-b", branch]);
        commit(&dir, "README", "hello\n", "initial");
        dir
    }
}

/// Runs the fixture's git (not band's): isolated from the machine's configuration, with an
/// identity. Panics when git fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir, args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?} in {} failed: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn git_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    // Tests may run from a git hook, which exports GIT_DIR, GIT_INDEX_FILE and friends.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("LC_ALL", "C");
    cmd
}

fn write(dir: &Path, file: &str, content: &str) {
    let path = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

fn commit(dir: &Path, file: &str, content: &str, message: &str) -> String {
    write(dir, file, content);
    git(dir, &["add", "--", file]);
    git(dir, &["commit", "-q", "-m", message]);
    rev(dir, "HEAD")
}

fn rev(dir: &Path, spec: &str) -> String {
    git(dir, &["rev-parse", "--verify", "--end-of-options", spec]).trim().to_owned()
}

fn branch(name: &str) -> BranchName {
    BranchName::new(name).expect("valid branch")
}

fn gref(name: &str) -> GitRef {
    GitRef::new(name).expect("valid ref")
}

fn change(path: &str, kind: ChangeKind) -> FileChange {
    FileChange { path: path.to_owned(), kind }
}

/// Local branches as the git CLI sees them.
fn cli_branches(repo: &Path) -> Vec<String> {
    git(repo, &["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).lines().map(str::to_owned).collect()
}

/// Worktree paths as the git CLI sees them.
fn cli_worktrees(repo: &Path) -> Vec<PathBuf> {
    git(repo, &["worktree", "list", "--porcelain"])
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .map(PathBuf::from)
        .collect()
}

fn admin_entries(repo: &Path) -> usize {
    std::fs::read_dir(repo.join(".git/worktrees")).map_or(0, |d| d.count())
}

// ---------------------------------------------------------------------------------------------
// inspect

#[tokio::test]
async fn inspect_finds_the_canonical_root_from_the_root_and_a_subdirectory() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    std::fs::create_dir_all(repo.join("src/deep")).expect("mkdir");
    let git = Git::new(Supervisor::new());

    let info = git.inspect(&repo).await.expect("inspect root");
    assert_eq!(info.root, repo);
    assert_eq!(info.default_branch.as_str(), "main");
    assert!(!info.is_linked_worktree);

    let info = git.inspect(&repo.join("src/deep")).await.expect("inspect subdirectory");
    assert_eq!(info.root, repo);

    // A file inside the repository, and a path spelled with `..` and a symlink: same canonical root.
    assert_eq!(git.inspect(&repo.join("README")).await.expect("file").root, repo);
    assert_eq!(git.inspect(&repo.join("src/deep/..")).await.expect("dotdot").root, repo);
    std::os::unix::fs::symlink(&repo, tmp.join("link")).expect("symlink");
    assert_eq!(git.inspect(&tmp.join("link/src")).await.expect("symlink").root, repo);
}

#[tokio::test]
async fn inspect_refuses_nonexistent_paths_plain_directories_and_bare_repositories() {
    let tmp = Tmp::new();
    let git = Git::new(Supervisor::new());

    let missing = tmp.join("nope");
    // A path with nothing at it says so, rather than "is not a git repository".
    match git.inspect(&missing).await {
        Err(e @ GitError::NoSuchPath(_)) => assert_eq!(e.to_string(), format!("{} does not exist", missing.display())),
        other => panic!("expected NoSuchPath, got {other:?}"),
    }

    let plain = tmp.join("plain");
    std::fs::create_dir(&plain).expect("mkdir");
    assert!(matches!(git.inspect(&plain).await, Err(GitError::NotARepository(_))));

    let bare = tmp.join("bare.git");
    std::fs::create_dir(&bare).expect("mkdir");
    git_cmd(&bare, &["init", "-q", "--bare"]).status().expect("git init --bare");
    assert!(matches!(git.inspect(&bare).await, Err(GitError::BareRepository(_))));
    assert!(matches!(git.inspect(&bare.join("refs")).await, Err(GitError::BareRepository(_))));
}

#[tokio::test]
async fn inspect_recognizes_a_linked_worktree() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let wt = tmp.join("wt");
    git(&repo, &["worktree", "add", "-q", "-b", "topic", wt.to_str().expect("utf-8"), "main"]);
    std::fs::create_dir(wt.join("sub")).expect("mkdir");

    let info = Git::new(Supervisor::new()).inspect(&wt.join("sub")).await.expect("inspect linked worktree");
    assert_eq!(info.root, wt);
    assert!(info.is_linked_worktree);
    // The default branch is the main worktree's, not the linked worktree's branch.
    assert_eq!(info.default_branch.as_str(), "main");
}

// ---------------------------------------------------------------------------------------------
// default branch

#[tokio::test]
async fn default_branch_is_the_main_worktrees_head_even_unborn() {
    let tmp = Tmp::new();
    let git = Git::new(Supervisor::new());

    let master = tmp.repo("m", "master");
    assert_eq!(git.inspect(&master).await.expect("inspect").default_branch.as_str(), "master");

    let unborn = tmp.join("unborn");
    std::fs::create_dir(&unborn).expect("mkdir");
    self::git(&unborn, &["init", "-q", "-b", "trunk"]);
    assert_eq!(git.inspect(&unborn).await.expect("inspect").default_branch.as_str(), "trunk");
}

#[tokio::test]
async fn default_branch_falls_back_to_main_or_master_when_head_is_detached() {
    let tmp = Tmp::new();
    let git = Git::new(Supervisor::new());

    let repo = tmp.repo("m", "master");
    commit(&repo, "b", "b\n", "second");
    self::git(&repo, &["checkout", "-q", "--detach", "HEAD~1"]);
    assert_eq!(git.inspect(&repo).await.expect("inspect").default_branch.as_str(), "master");

    let repo = tmp.repo("x", "main");
    self::git(&repo, &["checkout", "-q", "--detach"]);
    assert_eq!(git.inspect(&repo).await.expect("inspect").default_branch.as_str(), "main");

    let repo = tmp.repo("y", "other");
    self::git(&repo, &["checkout", "-q", "--detach"]);
    assert_eq!(git.inspect(&repo).await.expect("inspect").default_branch.as_str(), "main");
}

#[tokio::test]
async fn default_branch_follows_origin_head_in_a_clone() {
    let tmp = Tmp::new();
    let upstream = tmp.repo("upstream", "develop");
    git(&tmp.path, &["clone", "-q", "upstream", "clone"]);
    let clone = tmp.join("clone");
    assert_eq!(rev(&clone, "refs/remotes/origin/HEAD"), rev(&upstream, "develop"));
    // The clone's own HEAD moves elsewhere: origin/HEAD still decides.
    git(&clone, &["checkout", "-q", "-b", "feature"]);
    let info = Git::new(Supervisor::new()).inspect(&clone).await.expect("inspect");
    assert_eq!(info.default_branch.as_str(), "develop");
}

// ---------------------------------------------------------------------------------------------
// branches and worktrees

#[tokio::test]
async fn branches_are_the_sorted_local_branches() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    for b in ["zeta", "feat/login", "alpha"] {
        git(&repo, &["branch", b]);
    }
    git(&repo, &["tag", "v1"]);
    let got = Git::new(Supervisor::new()).branches(&repo).await.expect("branches");
    assert_eq!(got, ["alpha", "feat/login", "main", "zeta"]);
    assert!(matches!(Git::new(Supervisor::new()).branches(&tmp.join("nope")).await, Err(GitError::NotARepository(_))));
}

#[tokio::test]
async fn worktrees_lists_the_main_one_first() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    git.add_worktree(&repo, &tmp.join("w/b"), &branch("b"), &gref("main")).await.expect("add b");
    git.add_worktree(&repo, &tmp.join("w/a"), &branch("a"), &gref("main")).await.expect("add a");
    self::git(&repo, &["worktree", "add", "-q", "--detach", tmp.join("w/d").to_str().expect("utf-8")]);

    let list = git.worktrees(&repo).await.expect("worktrees");
    let wt = |path: PathBuf, branch: Option<&str>, is_main: bool| WorktreeInfo {
        path,
        branch: branch.map(str::to_owned),
        is_main,
        missing: false,
        locked: false,
        cut_off: false,
    };
    let expected = [
        wt(repo.clone(), Some("main"), true),
        wt(tmp.join("w/a"), Some("a"), false),
        wt(tmp.join("w/b"), Some("b"), false),
        wt(tmp.join("w/d"), None, false),
    ];
    assert_eq!(list, expected);
    // The same list from a linked worktree.
    assert_eq!(git.worktrees(&tmp.join("w/a")).await.expect("worktrees"), expected);
}

#[tokio::test]
async fn worktrees_say_which_are_missing_or_locked_and_prune_drops_only_the_missing_unlocked() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    for b in ["gone", "held", "here"] {
        git.add_worktree(&repo, &tmp.join(&format!("w/{b}")), &branch(b), &gref("main")).await.expect("add");
    }
    std::fs::remove_dir_all(tmp.join("w/gone")).expect("rm -rf");
    self::git(&repo, &["worktree", "lock", tmp.join("w/held").to_str().expect("utf-8")]);
    std::fs::remove_dir_all(tmp.join("w/held")).expect("rm -rf");
    let state = |list: Vec<WorktreeInfo>| -> Vec<(String, bool, bool)> {
        list.into_iter().filter(|w| !w.is_main).map(|w| (w.branch.unwrap_or_default(), w.missing, w.locked)).collect()
    };
    let list = git.worktrees(&repo).await.expect("worktrees");
    assert_eq!(state(list), [("gone".into(), true, false), ("held".into(), true, true), ("here".into(), false, false)]);

    git.prune_worktrees(&repo).await.expect("prune");
    let list = git.worktrees(&repo).await.expect("worktrees");
    assert_eq!(state(list), [("held".into(), true, true), ("here".into(), false, false)]);
    assert_eq!(cli_branches(&repo), ["gone", "held", "here", "main"], "no branch is touched");
    // The pruned one's branch is free again.
    assert!(!git.add_worktree(&repo, &tmp.join("w/gone2"), &branch("gone"), &gref("main")).await.expect("re-add"));
}

#[tokio::test]
async fn branch_divergence_is_judged_without_a_worktree() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    commit(&wt, "a", "a\n", "one");
    commit(&wt, "b", "b\n", "two");
    commit(&repo, "m", "m\n", "on main");
    std::fs::remove_dir_all(&wt).expect("rm -rf");

    let d = git.branch_divergence(&repo, &branch("topic"), &gref("main")).await.expect("divergence");
    assert_eq!(d, Divergence { ahead: 2, behind: 1 });
    assert_eq!(d, cli_divergence_of(&repo, "topic", "main"));
    match git.branch_divergence(&repo, &branch("nope"), &gref("main")).await {
        Err(GitError::RefNotFound(r)) => assert_eq!(r, "nope"),
        other => panic!("expected RefNotFound, got {other:?}"),
    }
    match git.branch_divergence(&repo, &branch("topic"), &gref("nope")).await {
        Err(GitError::RefNotFound(r)) => assert_eq!(r, "nope"),
        other => panic!("expected RefNotFound, got {other:?}"),
    }
}

fn cli_divergence_of(repo: &Path, branch: &str, base: &str) -> Divergence {
    let out = git(repo, &["rev-list", "--left-right", "--count", &format!("{branch}...{base}")]);
    let mut n = out.split_whitespace().map(|x| x.parse::<u32>().expect("count"));
    Divergence { ahead: n.next().expect("ahead"), behind: n.next().expect("behind") }
}

// ---------------------------------------------------------------------------------------------
// add_worktree

#[tokio::test]
async fn add_worktree_creates_a_new_branch_from_the_base_and_its_parent_directories() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let main_commit = rev(&repo, "main");
    let path = tmp.join("worktrees/app/feat/x");

    let created =
        Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch("feat/x"), &gref("main")).await.expect("add");
    assert!(created);
    assert!(path.join("README").is_file());
    assert_eq!(rev(&path, "HEAD"), main_commit);
    assert_eq!(git(&path, &["symbolic-ref", "HEAD"]).trim(), "refs/heads/feat/x");
    assert!(cli_branches(&repo).contains(&"feat/x".to_owned()));
    assert!(cli_worktrees(&repo).contains(&path));
    // No upstream is configured for the new branch.
    assert!(git_cmd(&repo, &["config", "--get", "branch.feat/x.merge"]).output().expect("git").stdout.is_empty());
}

#[tokio::test]
async fn add_worktree_starts_from_the_given_base() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let first = rev(&repo, "HEAD");
    commit(&repo, "b", "b\n", "second");
    git(&repo, &["tag", "-a", "-m", "release", "v1", &first]);
    let git = Git::new(Supervisor::new());

    assert!(git.add_worktree(&repo, &tmp.join("w1"), &branch("one"), &gref("main~1")).await.expect("add"));
    assert_eq!(rev(&tmp.join("w1"), "HEAD"), first);
    // An annotated tag is peeled to its commit.
    assert!(git.add_worktree(&repo, &tmp.join("w2"), &branch("two"), &gref("v1")).await.expect("add"));
    assert_eq!(rev(&tmp.join("w2"), "HEAD"), first);
    // A full commit id.
    assert!(git.add_worktree(&repo, &tmp.join("w3"), &branch("three"), &gref(&first)).await.expect("add"));
    assert_eq!(rev(&tmp.join("w3"), "HEAD"), first);
}

#[tokio::test]
async fn add_worktree_checks_out_an_existing_branch_as_it_is() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    git(&repo, &["checkout", "-q", "-b", "existing"]);
    let tip = commit(&repo, "e", "e\n", "on existing");
    git(&repo, &["checkout", "-q", "main"]);

    let path = tmp.join("w");
    let created =
        Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch("existing"), &gref("main")).await.expect("add");
    assert!(!created);
    assert_eq!(rev(&path, "HEAD"), tip);
    assert_eq!(rev(&repo, "existing"), tip, "the branch is not reset to the base");
}

#[tokio::test]
async fn add_worktree_with_an_unknown_base_leaves_nothing_behind() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let path = tmp.join("worktrees/app/new");

    match Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch("new"), &gref("no-such-base")).await {
        Err(GitError::RefNotFound(r)) => assert_eq!(r, "no-such-base"),
        other => panic!("expected RefNotFound, got {other:?}"),
    }
    assert!(!tmp.join("worktrees").exists(), "no directory is created");
    assert_eq!(cli_branches(&repo), ["main"]);
    assert_eq!(cli_worktrees(&repo), std::slice::from_ref(&repo));
    assert_eq!(admin_entries(&repo), 0);
}

#[tokio::test]
async fn add_worktree_refuses_an_existing_path() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());

    let dir = tmp.join("taken");
    write(&dir, "precious.txt", "mine\n");
    match git.add_worktree(&repo, &dir, &branch("x"), &gref("main")).await {
        Err(GitError::PathExists(p)) => assert_eq!(p, dir),
        other => panic!("expected PathExists, got {other:?}"),
    }
    // An empty directory is what an add cut short leaves: not in the way.
    let empty = tmp.join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    assert!(git.add_worktree(&repo, &empty, &branch("e"), &gref("main")).await.expect("add into empty"));
    assert!(empty.join("README").is_file());
    let file = tmp.join("file");
    std::fs::write(&file, "x").expect("write");
    assert!(matches!(git.add_worktree(&repo, &file, &branch("x"), &gref("main")).await, Err(GitError::PathExists(_))));
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
    assert_eq!(cli_branches(&repo), ["e", "main"]);
    assert_eq!(admin_entries(&repo), 1);
}

#[tokio::test]
async fn add_worktree_refuses_a_branch_checked_out_elsewhere() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());

    let path = tmp.join("parents/w");
    match git.add_worktree(&repo, &path, &branch("main"), &gref("main")).await {
        Err(GitError::BranchCheckedOut(b)) => assert_eq!(b, "main"),
        other => panic!("expected BranchCheckedOut, got {other:?}"),
    }
    assert!(!tmp.join("parents").exists());

    git.add_worktree(&repo, &tmp.join("w1"), &branch("topic"), &gref("main")).await.expect("add");
    assert!(matches!(
        git.add_worktree(&repo, &tmp.join("w2"), &branch("topic"), &gref("main")).await,
        Err(GitError::BranchCheckedOut(_))
    ));
    assert!(!tmp.join("w2").exists());
    assert_eq!(admin_entries(&repo), 1);
}

#[tokio::test]
async fn add_worktree_cleans_up_when_git_itself_fails() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    // `feat` exists, so `feat/x` cannot be created (a ref directory/file conflict): git fails
    // after the checks band makes itself.
    git(&repo, &["branch", "feat"]);
    let path = tmp.join("deep/parents/w");
    match Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch("feat/x"), &gref("main")).await {
        Err(GitError::Refused(m)) => assert!(m.contains("feat"), "{m}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(!tmp.join("deep").exists());
    assert_eq!(cli_branches(&repo), ["feat", "main"]);
    assert_eq!(admin_entries(&repo), 0);
}

/// Twenty `add_worktree`s of one branch at one path, racing (without band's per-project lock,
/// as two band servers or a person's own git would): one wins, every other is told the path or
/// the branch is taken, and no loser's clean-up touches the winner's worktree or branch.
#[tokio::test]
async fn racing_adds_of_one_branch_never_undo_the_winner() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    for round in 0..5 {
        let (path, name) = (tmp.join(&format!("worktrees/app/race-{round}")), format!("race-{round}"));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (repo, path, name) = (repo.clone(), path.clone(), name.clone());
            tasks.spawn(async move {
                Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch(&name), &gref("main")).await
            });
        }
        let mut wins = 0;
        while let Some(result) = tasks.join_next().await {
            match result.expect("task") {
                Ok(created) => {
                    assert!(created, "round {round}: the winner created the branch");
                    wins += 1;
                }
                Err(GitError::PathExists(_) | GitError::BranchCheckedOut(_)) => {}
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains("at the same time"), "round {round}: an unclear error: {text}");
                    assert!(!text.contains("fatal"), "round {round}: git's raw text: {text}");
                }
            }
        }
        assert_eq!(wins, 1, "round {round}: one add wins");
        assert!(path.join("README").is_file(), "round {round}: the winner's worktree is intact");
        assert!(cli_worktrees(&repo).contains(&path), "round {round}: and registered");
        assert!(cli_branches(&repo).contains(&name), "round {round}: the winner's branch is kept");
        assert_eq!(git(&path, &["symbolic-ref", "HEAD"]).trim(), format!("refs/heads/{name}"));
    }
    assert_eq!(admin_entries(&repo), 5);
}

/// Another git process mid-way through adding a worktree (its administrative entry written but
/// not yet complete: an empty `commondir`) makes git fail with "failed to read ...commondir".
/// band says so in its own words, and leaves no branch behind (git had created it first).
#[tokio::test]
async fn a_worktree_change_racing_band_is_named_as_such_and_leaves_nothing() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let half = repo.join(".git/worktrees/half");
    std::fs::create_dir_all(&half).expect("mkdir");
    std::fs::write(half.join("gitdir"), format!("{}\n", tmp.join("elsewhere/.git").display())).expect("gitdir");
    std::fs::write(half.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    std::fs::write(half.join("commondir"), "").expect("commondir, not yet written");

    let path = tmp.join("worktrees/app/x");
    let e = Git::new(Supervisor::new())
        .add_worktree(&repo, &path, &branch("x"), &gref("main"))
        .await
        .expect_err("git fails");
    let text = e.to_string();
    assert!(
        text.contains("another git process") && text.contains("at the same time") && !text.contains("fatal"),
        "{text}"
    );
    assert!(!tmp.join("worktrees").exists(), "no directory is left");
    std::fs::remove_dir_all(&half).expect("the other process finishes");
    assert_eq!(cli_branches(&repo), ["main"], "the branch git created first is gone again");
}

/// A crash can leave git's entry of a worktree whose directory is gone, at band's own path:
/// adding there again works (the stale entry is dropped first) instead of failing with git's
/// "missing but already registered worktree".
#[tokio::test]
async fn add_worktree_over_a_stale_entry_at_its_path_works() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let path = tmp.join("worktrees/app/x");
    assert!(git.add_worktree(&repo, &path, &branch("x"), &gref("main")).await.expect("add"));
    std::fs::remove_dir_all(&path).expect("rm -rf");
    assert!(!git.add_worktree(&repo, &path, &branch("x"), &gref("main")).await.expect("add again"));
    assert!(path.join("README").is_file());
    assert_eq!(admin_entries(&repo), 1);
}

/// Twenty adds of different branches at once, without band's per-project lock: git's own race
/// ("failed to read .git/worktrees/x/commondir") may fail some, but each failure is named as a
/// race, and a failed add leaves no branch behind.
#[tokio::test]
async fn racing_adds_of_different_branches_fail_clearly_and_leave_no_branch() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (repo, path) = (repo.clone(), tmp.join(&format!("worktrees/app/b{i}")));
        tasks.spawn(async move {
            (i, Git::new(Supervisor::new()).add_worktree(&repo, &path, &branch(&format!("b{i}")), &gref("main")).await)
        });
    }
    let (mut made, mut raced) = (vec!["main".to_owned()], 0);
    while let Some(done) = tasks.join_next().await {
        match done.expect("task") {
            (i, Ok(true)) => made.push(format!("b{i}")),
            (i, other) => {
                assert!(matches!(other, Err(GitError::Concurrent)), "b{i}: {other:?}");
                raced += 1;
            }
        }
    }
    println!("{raced} of 20 adds met git's own race");
    made.sort();
    assert_eq!(cli_branches(&repo), made, "every branch belongs to a worktree that was made");
    assert_eq!(admin_entries(&repo), made.len() - 1);
}

#[tokio::test]
async fn worktree_paths_that_look_like_options_are_only_paths() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());

    // Absolute paths whose components read like options.
    for (i, name) in ["-b", "--force", "--upload-pack=touch x"].into_iter().enumerate() {
        let path = tmp.join("wt").join(name);
        let b = branch(&format!("b{i}"));
        assert!(git.add_worktree(&repo, &path, &b, &gref("main")).await.expect("add"));
        assert!(path.join("README").is_file(), "{}", path.display());
        assert_eq!(git.status(&path).await.expect("status"), []);
        git.remove_worktree(&repo, &path, false).await.expect("remove");
        assert!(!path.exists());
    }
    assert_eq!(admin_entries(&repo), 0);

    // A relative path is refused before git runs.
    let before = std::fs::read_dir(&repo).expect("ls").count();
    assert!(git.add_worktree(&repo, Path::new("-b"), &branch("rel"), &gref("main")).await.is_err());
    assert!(git.add_worktree(&repo, Path::new("--detach"), &branch("rel"), &gref("main")).await.is_err());
    assert_eq!(std::fs::read_dir(&repo).expect("ls").count(), before);
    assert!(!cli_branches(&repo).contains(&"rel".to_owned()));
    assert!(git.remove_worktree(&repo, Path::new("-f"), true).await.is_err());
}

// ---------------------------------------------------------------------------------------------
// status

#[tokio::test]
async fn status_reports_staged_unstaged_and_untracked_changes_sorted() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    commit(&repo, "mod.txt", "1\n", "m");
    commit(&repo, "del.txt", "1\n", "d");
    commit(&repo, "staged-mod.txt", "1\n", "s");
    commit(&repo, "staged-del.txt", "1\n", "s");
    write(&repo, ".gitignore", "target/\n*.log\n");
    git(&repo, &["add", ".gitignore"]);
    git(&repo, &["commit", "-q", "-m", "ignore"]);

    write(&repo, "mod.txt", "2\n");
    std::fs::remove_file(repo.join("del.txt")).expect("rm");
    write(&repo, "new-staged.txt", "n\n");
    git(&repo, &["add", "new-staged.txt"]);
    write(&repo, "staged-mod.txt", "2\n");
    git(&repo, &["add", "staged-mod.txt"]);
    git(&repo, &["rm", "-q", "staged-del.txt"]);
    write(&repo, "untracked dir/nested/a.txt", "u\n");
    write(&repo, "untracked dir/b.txt", "u\n");
    write(&repo, "loose.txt", "u\n");
    write(&repo, "target/out.bin", "ignored\n");
    write(&repo, "debug.log", "ignored\n");

    let got = Git::new(Supervisor::new()).status(&repo).await.expect("status");
    assert_eq!(
        got,
        [
            change("del.txt", ChangeKind::Deleted),
            change("loose.txt", ChangeKind::Untracked),
            change("mod.txt", ChangeKind::Modified),
            change("new-staged.txt", ChangeKind::Added),
            change("staged-del.txt", ChangeKind::Deleted),
            change("staged-mod.txt", ChangeKind::Modified),
            change("untracked dir/b.txt", ChangeKind::Untracked),
            change("untracked dir/nested/a.txt", ChangeKind::Untracked),
        ]
    );
}

#[tokio::test]
async fn status_reports_renames_and_nested_repositories_and_diff_skips_the_latter() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    commit(&repo, "old name.txt", "a file long enough to be recognized as renamed\n", "old");
    git(&repo, &["mv", "old name.txt", "new name.txt"]);
    // An agent cloned something inside the worktree.
    let _ = tmp.repo("app/vendor/lib", "main");

    let git = Git::new(Supervisor::new());
    assert_eq!(
        git.status(&repo).await.expect("status"),
        [change("new name.txt", ChangeKind::Renamed), change("vendor/lib", ChangeKind::Untracked)]
    );
    let (_, patch) = git.diff(&repo, &gref("main")).await.expect("diff");
    assert!(patch.contains("rename from old name.txt"), "{patch}");
    assert!(!patch.contains("vendor"), "{patch}");
}

#[tokio::test]
async fn status_of_a_clean_worktree_is_empty_and_of_a_missing_one_an_error() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    assert_eq!(git.status(&repo).await.expect("status"), []);

    let missing = tmp.join("gone");
    match git.status(&missing).await {
        Err(GitError::WorktreeMissing(p)) => assert_eq!(p, missing),
        other => panic!("expected WorktreeMissing, got {other:?}"),
    }
    // A plain directory inside a repository is not a worktree: no status of the enclosing one.
    std::fs::create_dir(repo.join("sub")).expect("mkdir");
    write(&repo, "dirty.txt", "x");
    assert!(matches!(git.status(&repo.join("sub")).await, Err(GitError::NotARepository(_))));
}

#[tokio::test]
async fn status_and_diff_never_write_the_index() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    // Make the index stat-dirty: same content, new mtime, so a refresh would rewrite it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write(&repo, "README", "hello\n");
    write(&repo, "untracked.txt", "u\n");
    let index = repo.join(".git/index");
    let before = std::fs::read(&index).expect("index");
    let git = Git::new(Supervisor::new());

    assert_eq!(git.status(&repo).await.expect("status"), [change("untracked.txt", ChangeKind::Untracked)]);
    let (_, patch) = git.diff(&repo, &gref("main")).await.expect("diff");
    assert!(patch.contains("untracked.txt"), "{patch}");
    assert_eq!(std::fs::read(&index).expect("index"), before, "the index was rewritten");
    assert!(!repo.join(".git/index.lock").exists());

    // Plain git would have rewritten it: the check above can fail.
    git_cmd(&repo, &["status"]).output().expect("git status");
    assert_ne!(std::fs::read(&index).expect("index"), before, "the scenario did not make the index stale");
}

// ---------------------------------------------------------------------------------------------
// divergence

#[tokio::test]
async fn divergence_counts_commits_on_each_side() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    assert_eq!(git.divergence(&wt, &gref("main")).await.expect("divergence"), Divergence::default());

    commit(&wt, "t1", "1\n", "t1");
    commit(&wt, "t2", "2\n", "t2");
    commit(&repo, "m1", "1\n", "m1");
    assert_eq!(git.divergence(&wt, &gref("main")).await.expect("divergence"), Divergence { ahead: 2, behind: 1 });
    assert_eq!(git.divergence(&repo, &gref("topic")).await.expect("divergence"), Divergence { ahead: 1, behind: 2 });

    // Merging main into the topic: main's commit is no longer "behind"; the merge is ahead.
    git_cmd(&wt, &["merge", "-q", "--no-edit", "main"]).status().expect("merge");
    assert_eq!(git.divergence(&wt, &gref("main")).await.expect("divergence"), Divergence { ahead: 3, behind: 0 });
    assert_eq!(
        git.divergence(&wt, &gref("main")).await.expect("divergence"),
        cli_divergence(&wt, "main"),
        "agrees with git rev-list"
    );

    match git.divergence(&wt, &gref("nope")).await {
        Err(GitError::RefNotFound(r)) => assert_eq!(r, "nope"),
        other => panic!("expected RefNotFound, got {other:?}"),
    }
    assert!(matches!(git.divergence(&tmp.join("gone"), &gref("main")).await, Err(GitError::WorktreeMissing(_))));
}

fn cli_divergence(dir: &Path, base: &str) -> Divergence {
    let out = git(dir, &["rev-list", "--left-right", "--count", &format!("HEAD...{base}")]);
    let mut n = out.split_whitespace().map(|s| s.parse::<u32>().expect("count"));
    Divergence { ahead: n.next().expect("ahead"), behind: n.next().expect("behind") }
}

#[tokio::test]
async fn divergence_agrees_with_git_on_a_criss_cross_history() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    git(&repo, &["branch", "side"]);
    for i in 0..4 {
        commit(&repo, &format!("m{i}"), "m\n", &format!("m{i}"));
        git(&repo, &["checkout", "-q", "side"]);
        commit(&repo, &format!("s{i}"), "s\n", &format!("s{i}"));
        if i % 2 == 0 {
            git(&repo, &["merge", "-q", "--no-edit", "main"]);
        }
        git(&repo, &["checkout", "-q", "main"]);
        if i == 1 {
            git(&repo, &["merge", "-q", "--no-edit", "side~1"]);
        }
    }
    let git = Git::new(Supervisor::new());
    for base in ["side", "side~2", "main~1"] {
        assert_eq!(
            git.divergence(&repo, &gref(base)).await.expect("divergence"),
            cli_divergence(&repo, base),
            "{base}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// diff

#[tokio::test]
async fn diff_covers_committed_staged_unstaged_and_untracked_changes_and_applies_at_the_merge_base() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    commit(&repo, "keep.txt", "line 1\nline 2\nline 3\n", "keep");
    commit(&repo, "doomed.txt", "bye\n", "doomed");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    let base_commit = rev(&repo, "main");

    // Main moves on; the diff is still taken from where the topic left it.
    commit(&repo, "later-on-main.txt", "main\n", "main moves");
    commit(&wt, "committed.txt", "committed\n", "on topic");
    write(&wt, "keep.txt", "line 1\nline 2 changed\nline 3\n"); // unstaged
    write(&wt, "staged.txt", "staged\n");
    self::git(&wt, &["add", "staged.txt"]);
    std::fs::remove_file(wt.join("doomed.txt")).expect("rm");
    write(&wt, "new dir/nested/untracked.txt", "untracked\n");
    write(&wt, "empty-untracked", "");
    write(&wt, ".gitignore", "*.log\n");
    write(&wt, "ignored.log", "noise\n");

    let (from, patch) = git.diff(&wt, &gref("main")).await.expect("diff");
    assert_eq!(from, base_commit);
    assert_eq!(from, self::git(&wt, &["merge-base", "HEAD", "main"]).trim());
    for header in [
        "diff --git a/committed.txt b/committed.txt",
        "diff --git a/keep.txt b/keep.txt",
        "diff --git a/staged.txt b/staged.txt",
        "diff --git a/doomed.txt b/doomed.txt",
        "diff --git a/new dir/nested/untracked.txt b/new dir/nested/untracked.txt",
        "diff --git a/empty-untracked b/empty-untracked",
        "diff --git a/.gitignore b/.gitignore",
    ] {
        assert!(patch.contains(header), "missing {header:?} in\n{patch}");
    }
    assert!(patch.contains("+line 2 changed"), "{patch}");
    assert!(patch.contains("+untracked"), "{patch}");
    assert!(patch.contains("deleted file mode"), "{patch}");
    assert!(!patch.contains("ignored.log"), "{patch}");
    assert!(!patch.contains("later-on-main"), "{patch}");

    // The untracked files are still untracked and the real index untouched.
    let status = git.status(&wt).await.expect("status");
    assert!(status.contains(&change("new dir/nested/untracked.txt", ChangeKind::Untracked)), "{status:?}");
    assert!(status.contains(&change("staged.txt", ChangeKind::Added)), "{status:?}");

    // The patch applies at the merge base and reproduces the worktree's files.
    let check = tmp.join("check");
    self::git(&repo, &["worktree", "add", "-q", "--detach", check.to_str().expect("utf-8"), &from]);
    let patch_file = tmp.join("p.diff");
    std::fs::write(&patch_file, &patch).expect("write patch");
    self::git(&check, &["apply", "--check", patch_file.to_str().expect("utf-8")]);
    self::git(&check, &["apply", patch_file.to_str().expect("utf-8")]);
    for file in
        ["committed.txt", "keep.txt", "staged.txt", "new dir/nested/untracked.txt", "empty-untracked", ".gitignore"]
    {
        assert_eq!(
            std::fs::read(check.join(file)).expect(file),
            std::fs::read(wt.join(file)).expect(file),
            "{file} differs after applying"
        );
    }
    assert!(!check.join("doomed.txt").exists());
}

#[tokio::test]
async fn diff_of_a_clean_worktree_is_empty_and_errors_are_typed() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let (from, patch) = git.diff(&repo, &gref("main")).await.expect("diff");
    assert_eq!(from, rev(&repo, "HEAD"));
    assert_eq!(patch, "");
    assert!(matches!(git.diff(&repo, &gref("nope")).await, Err(GitError::RefNotFound(_))));
    assert!(matches!(git.diff(&tmp.join("gone"), &gref("main")).await, Err(GitError::WorktreeMissing(_))));
}

#[tokio::test]
async fn diff_shows_binary_and_odd_file_names() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    std::fs::write(repo.join("blob.bin"), [0u8, 1, 2, 255, 0]).expect("write");
    write(&repo, "-rf", "dash\n");
    write(&repo, ":(glob)*", "magic\n");
    write(&repo, "tab\there", "tab\n");
    let (_, patch) = Git::new(Supervisor::new()).diff(&repo, &gref("main")).await.expect("diff");
    assert!(patch.contains("Binary files /dev/null and b/blob.bin differ"), "{patch}");
    assert!(patch.contains("diff --git a/-rf b/-rf"), "{patch}");
    assert!(patch.contains("diff --git a/:(glob)* b/:(glob)*"), "{patch}");
    assert!(patch.contains("+magic"), "{patch}");
    assert!(patch.contains("tab\\there"), "{patch}");
}

// ---------------------------------------------------------------------------------------------
// remove_worktree and delete_branch

#[tokio::test]
async fn remove_worktree_removes_a_clean_worktree() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");

    git.remove_worktree(&repo, &wt, false).await.expect("remove");
    assert!(!wt.exists());
    assert_eq!(cli_worktrees(&repo), std::slice::from_ref(&repo));
    assert_eq!(admin_entries(&repo), 0);
    assert!(cli_branches(&repo).contains(&"topic".to_owned()), "the branch is kept");
}

#[tokio::test]
async fn remove_worktree_refuses_a_dirty_worktree_unless_forced() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    write(&wt, "README", "changed\n");
    write(&wt, "untracked.txt", "work\n");

    match git.remove_worktree(&repo, &wt, false).await {
        Err(GitError::Refused(m)) => assert!(m.contains("modified or untracked files"), "{m}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(wt.join("untracked.txt")).expect("kept"), "work\n");
    assert_eq!(std::fs::read_to_string(wt.join("README")).expect("kept"), "changed\n");
    assert!(cli_worktrees(&repo).contains(&wt));

    git.remove_worktree(&repo, &wt, true).await.expect("forced remove");
    assert!(!wt.exists());
    assert_eq!(admin_entries(&repo), 0);
}

#[tokio::test]
async fn remove_worktree_of_a_deleted_directory_prunes_it() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    std::fs::remove_dir_all(&wt).expect("rm -rf");

    git.remove_worktree(&repo, &wt, false).await.expect("remove");
    assert_eq!(admin_entries(&repo), 0);
    assert_eq!(cli_worktrees(&repo), std::slice::from_ref(&repo));
    // And again: nothing left to remove is not an error.
    git.remove_worktree(&repo, &wt, true).await.expect("remove twice");
    // The branch is free again.
    assert!(!git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("re-add"));
}

/// What a `git worktree add` killed midway leaves, early and late: locked with git's reason
/// `initializing`, the worktree's `.git` file written or not yet. Both are removed, the branch
/// kept (seen in CI: git refused the early one, "is not a .git file").
#[tokio::test]
async fn a_cut_off_add_is_discarded_whether_or_not_its_git_file_was_written() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    for (name, early) in [("late", false), ("early", true)] {
        let wt = tmp.join(name);
        let cmd = ["worktree", "add", "-q", "--lock", "--reason", "initializing", "-b", name];
        std::process::Command::new("git")
            .current_dir(&repo)
            .args(cmd)
            .arg(&wt)
            .arg("main")
            .status()
            .expect("git worktree add");
        if early {
            std::fs::remove_file(wt.join(".git")).expect("before git wrote the .git file");
        }
        let listed = git.worktrees(&repo).await.expect("worktrees");
        assert!(listed.iter().any(|w| w.path == wt && w.cut_off), "{name}: {listed:?}");
        git.discard_cut_off_worktree(&repo, &wt).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!wt.exists(), "{name}: its directory is gone");
        assert!(!cli_worktrees(&repo).contains(&wt), "{name}: git no longer lists it");
        assert!(cli_branches(&repo).contains(&name.to_owned()), "{name}: its branch is kept");
    }
    assert_eq!(admin_entries(&repo), 0);
}

#[tokio::test]
async fn remove_worktree_refuses_a_directory_that_is_not_a_worktree() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let dir = tmp.join("plain");
    write(&dir, "precious.txt", "keep me\n");
    assert!(matches!(Git::new(Supervisor::new()).remove_worktree(&repo, &dir, true).await, Err(GitError::Refused(_))));
    assert!(dir.join("precious.txt").exists());
}

#[tokio::test]
async fn delete_branch_deletes_merged_or_not() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let git = Git::new(Supervisor::new());
    let wt = tmp.join("w");
    git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add");
    commit(&wt, "x", "x\n", "unmerged");

    // Checked out: git refuses.
    assert!(matches!(git.delete_branch(&repo, &branch("topic")).await, Err(GitError::Refused(_))));
    git.remove_worktree(&repo, &wt, false).await.expect("remove");
    git.delete_branch(&repo, &branch("topic")).await.expect("delete unmerged");
    assert_eq!(cli_branches(&repo), ["main"]);
    match git.delete_branch(&repo, &branch("topic")).await {
        Err(GitError::RefNotFound(b)) => assert_eq!(b, "topic"),
        other => panic!("expected RefNotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Security: a repository that tries to run code

#[tokio::test]
async fn the_trap_is_armed_for_plain_git() {
    // Without band's hardening, git runs the repository's programs: the security test below can
    // fail.
    let trap = RiggedRepo::named("evil");
    let repo = trap.path();
    write(repo, "file.txt", "changed\n");
    git_cmd(repo, &["status"]).output().expect("git status");
    git_cmd(repo, &["diff", "HEAD"]).output().expect("git diff");
    git_cmd(repo, &["diff", "--no-ext-diff", "HEAD"]).output().expect("git diff");
    let wt = trap.scratch("plain-wt");
    git_cmd(repo, &["worktree", "add", "-q", "-b", "plain", wt.to_str().expect("utf-8")]).output().expect("add");
    let markers = trap.markers();
    for expected in [
        "external-diff",
        "filter-clean",
        "filter-smudge",
        "fsmonitor",
        "hook-post-checkout",
        "hook-reference-transaction",
        "textconv",
    ] {
        assert!(markers.contains(&expected.to_owned()), "{expected} did not run: {markers:?}");
    }
}

#[tokio::test]
async fn no_method_lets_the_repository_run_code() {
    let trap = RiggedRepo::named("evil");
    let repo = trap.path().to_owned();
    let git = Git::new(Supervisor::new());
    write(&repo, "file.txt", "changed\n");
    write(&repo, "x.p", "changed too\n");
    write(&repo, "untracked.txt", "new\n");
    write(&repo, "new.p", "new\n");

    let info = git.inspect(&repo).await.expect("inspect");
    assert_eq!(info.root, repo);
    git.branches(&repo).await.expect("branches");
    let wt = trap.scratch("wt");
    assert!(git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add new branch"));
    git.worktrees(&repo).await.expect("worktrees");
    write(&wt, "file.txt", "edited in worktree\n");
    write(&wt, "more.txt", "more\n");
    let status = git.status(&wt).await.expect("status");
    assert!(status.contains(&change("file.txt", ChangeKind::Modified)), "{status:?}");
    git.status(&repo).await.expect("status");
    git.divergence(&wt, &gref("main")).await.expect("divergence");
    let (_, patch) = git.diff(&wt, &gref("main")).await.expect("diff");
    assert!(patch.contains("diff --git a/more.txt b/more.txt"), "{patch}");
    assert!(patch.contains("+edited in worktree"), "{patch}");
    git.diff(&repo, &gref("main")).await.expect("diff");
    assert!(matches!(git.remove_worktree(&repo, &wt, false).await, Err(GitError::Refused(_))));
    git.remove_worktree(&repo, &wt, true).await.expect("forced remove");
    git.delete_branch(&repo, &branch("topic")).await.expect("delete branch");
    // An existing branch checked out, then removed clean.
    assert!(!git.add_worktree(&repo, &wt, &branch("existing"), &gref("main")).await.expect("add existing"));
    git.remove_worktree(&repo, &wt, false).await.expect("remove clean");
    // Removing a directory that is no worktree: git refuses.
    std::fs::create_dir(&wt).expect("mkdir");
    assert!(matches!(git.remove_worktree(&repo, &wt, true).await, Err(GitError::Refused(_))));
    // A failing add (bad base) and one git refuses.
    assert!(git.add_worktree(&repo, &trap.scratch("w2"), &branch("b2"), &gref("nope")).await.is_err());
    assert!(git.add_worktree(&repo, &trap.scratch("w3"), &branch("main"), &gref("main")).await.is_err());

    assert_eq!(trap.markers(), Vec::<String>::new(), "the repository ran code");
}

// ---------------------------------------------------------------------------------------------
// The inherited environment

/// Re-runs this test binary with GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE pointing at another
/// repository; the child (below) checks that every method still works on the repository it is
/// given.
#[test]
fn inherited_git_environment_is_ignored() {
    const CHILD: &str = "BAND_GIT_ENV_CHILD";
    if let Some(dir) = std::env::var_os(CHILD) {
        let tmp = PathBuf::from(dir);
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(env_child(&tmp));
        return;
    }
    let tmp = Tmp::new();
    let decoy = tmp.repo("decoy", "decoy-branch");
    let _ = tmp.repo("real", "main");
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "inherited_git_environment_is_ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, &tmp.path)
        .env("GIT_DIR", decoy.join(".git"))
        .env("GIT_WORK_TREE", &decoy)
        .env("GIT_INDEX_FILE", tmp.join("decoy-index"))
        .env("GIT_OBJECT_DIRECTORY", decoy.join(".git/objects"))
        .env("GIT_CONFIG_PARAMETERS", "'core.hooksPath'='/nonexistent'")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("1 passed"), "the child did not run the test:\n{stdout}");
    assert!(!tmp.join("decoy-index").exists());
}

async fn env_child(tmp: &Path) {
    assert!(std::env::var_os("GIT_DIR").is_some(), "the child runs with GIT_DIR set");
    let repo = tmp.join("real");
    let git = Git::new(Supervisor::new());
    let info = git.inspect(&repo).await.expect("inspect");
    assert_eq!(info.root, repo);
    assert_eq!(info.default_branch.as_str(), "main");
    assert_eq!(git.branches(&repo).await.expect("branches"), ["main"]);
    let wt = tmp.join("wt");
    assert!(git.add_worktree(&repo, &wt, &branch("topic"), &gref("main")).await.expect("add"));
    std::fs::write(wt.join("new.txt"), "n\n").expect("write");
    assert_eq!(git.status(&wt).await.expect("status"), [change("new.txt", ChangeKind::Untracked)]);
    let (_, patch) = git.diff(&wt, &gref("main")).await.expect("diff");
    assert!(patch.contains("b/new.txt"), "{patch}");
    git.remove_worktree(&repo, &wt, true).await.expect("remove");
    git.delete_branch(&repo, &branch("topic")).await.expect("delete");
    assert!(!tmp.join("decoy/new.txt").exists());
}

// ---------------------------------------------------------------------------------------------
// Heavy commands: no index preloading, at most HEAVY_GIT at once

/// A stand-in for git that records its argv, counts how many of it run at once (the most it
/// saw goes to `peak`), and holds each run until `release` exists.
fn counting_git(dir: &Path) -> PathBuf {
    let script = dir.join("git");
    let body = format!(
        r#"#!/bin/sh
printf '%s\n' "$@" > "{d}/argv.$$"
mkdir -p "{d}/running" && : > "{d}/running/$$"
count() {{
  n=$(ls "{d}/running" | wc -l)
  if [ "$n" -gt "$(cat "{d}/peak" 2>/dev/null || echo 0)" ]; then echo "$n" > "{d}/peak"; fi
}}
count
while [ ! -e "{d}/release" ]; do
  count
  sleep 0.01
done
rm -f "{d}/running/$$"
"#,
        d = dir.display()
    );
    std::fs::write(&script, body).expect("write");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    // Let any concurrently forked child drop its copy of the write descriptor (ETXTBSY).
    std::thread::sleep(std::time::Duration::from_millis(100));
    script
}

#[tokio::test]
async fn status_and_diff_run_without_index_preloading_and_at_most_two_at_once() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let fake = tmp.join("fake");
    std::fs::create_dir_all(&fake).expect("mkdir");
    let git = Git::with_program(counting_git(&fake), Supervisor::new());
    assert_eq!(band_git::HEAVY_GIT, 2);

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (git, repo) = (git.clone(), repo.clone());
        tasks.spawn(async move {
            if i % 2 == 0 {
                git.status(&repo).await.map(|_| ())
            } else {
                git.diff(&repo, &gref("main")).await.map(|_| ())
            }
        });
    }
    // Released once two run: a third, if one were let through, would be seen by now or later.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir(fake.join("running")).map_or(0, |d| d.count()) < 2 {
        assert!(std::time::Instant::now() < deadline, "two heavy commands should start");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    std::fs::write(fake.join("release"), "").expect("release");
    while let Some(done) = tasks.join_next().await {
        done.expect("task").expect("the stand-in succeeds");
    }
    let peak: usize = std::fs::read_to_string(fake.join("peak")).expect("peak").trim().parse().expect("number");
    assert_eq!(peak, 2, "at most two heavy git commands ran at once");
    let runs: Vec<String> = std::fs::read_dir(&fake)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("argv."))
        .map(|e| std::fs::read_to_string(e.path()).expect("argv"))
        .collect();
    assert!(runs.len() >= 6, "{runs:?}");
    for argv in &runs {
        assert!(argv.contains("\ncore.preloadIndex=false\n"), "git reads every file without preloading: {argv}");
    }
}

// ---------------------------------------------------------------------------------------------
// Copying untracked files into a new worktree

fn glob(s: &str) -> band_core::CopyGlob {
    band_core::CopyGlob::new(s).expect("valid glob")
}

#[tokio::test]
async fn copy_files_brings_env_and_worktreeinclude_brings_ignored_files_and_nothing_else() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    commit(&repo, ".gitignore", ".env\n.env.*\nsecrets/\nnode_modules/\nbuild/\n", "ignore");
    commit(&repo, "config/tracked.json", "{\"tracked\": true}\n", "tracked config");
    commit(&repo, ".worktreeinclude", "# gitignored files to bring along\n.env.*\nsecrets/\n", "include");
    write(&repo, ".env", "TOKEN=abc\n");
    write(&repo, ".env.local", "LOCAL=1\n");
    write(&repo, "secrets/key.pem", "key\n");
    write(&repo, "node_modules/x/index.js", "module\n");
    write(&repo, "config/local.json", "{\"local\": true}\n");
    write(&repo, "config/deep/other.json", "{}\n");
    write(&repo, "notes.txt", "untracked, not asked for\n");
    std::os::unix::fs::symlink("/etc/hostname", repo.join("config/link.json")).expect("symlink");
    std::fs::set_permissions(repo.join(".env"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");

    let git = Git::new(Supervisor::new());
    let wt = tmp.join("wt");
    git.add_worktree(&repo, &wt, &branch("feat"), &gref("main")).await.expect("worktree");
    // The worktree already has a file there: never overwritten.
    write(&wt, "config/local.json", "{\"mine\": true}\n");

    let report = git.copy_into_worktree(&repo, &wt, &[glob(".env"), glob("config/*.json")]).await.expect("copy");
    let mut copied = report.copied.clone();
    copied.sort();
    assert_eq!(copied, [".env", ".env.local", "secrets/key.pem"], "{report:?}");
    assert_eq!(std::fs::read_to_string(wt.join(".env")).expect(".env"), "TOKEN=abc\n");
    assert_eq!(std::fs::read_to_string(wt.join("secrets/key.pem")).expect("key"), "key\n");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(wt.join(".env")).expect("meta").permissions());
    assert_eq!(mode & 0o777, 0o600, "the mode is kept");
    assert_eq!(std::fs::read_to_string(wt.join("config/local.json")).expect("kept"), "{\"mine\": true}\n");
    let skipped: Vec<(&str, &str)> = report.skipped.iter().map(|(p, w)| (p.as_str(), w.as_str())).collect();
    assert!(skipped.contains(&("config/local.json", "the worktree already has it")), "{skipped:?}");
    assert!(skipped.iter().any(|(p, w)| *p == "config/link.json" && w.contains("symlink")), "{skipped:?}");
    for never in ["node_modules/x/index.js", "notes.txt", "config/deep/other.json"] {
        assert!(!wt.join(never).exists(), "{never} was copied");
    }
    assert_eq!(report.bytes, 10 + 8 + 4);
    // What was copied is ignored in the worktree too: its status shows only the file written
    // there by hand.
    let status = git.status(&wt).await.expect("status");
    assert_eq!(status, [change("config/local.json", ChangeKind::Untracked)]);
}

#[tokio::test]
async fn a_copy_never_leaves_the_worktree_through_a_symlinked_directory() {
    let tmp = Tmp::new();
    let repo = tmp.repo("app", "main");
    let outside = tmp.join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    // A tracked symlink to a directory outside the worktree.
    std::os::unix::fs::symlink(&outside, repo.join("conf")).expect("symlink");
    git(&repo, &["add", "conf"]);
    git(&repo, &["commit", "-q", "-m", "link"]);
    // In the checkout the untracked file sits under a real directory of the same name.
    git(&repo, &["rm", "-q", "--cached", "conf"]);
    std::fs::remove_file(repo.join("conf")).expect("rm");
    write(&repo, "conf/.env", "SECRET=1\n");
    let git_ = Git::new(Supervisor::new());
    let wt = tmp.join("wt");
    git_.add_worktree(&repo, &wt, &branch("feat"), &gref("HEAD~0")).await.expect("worktree");
    assert!(std::fs::symlink_metadata(wt.join("conf")).expect("conf").file_type().is_symlink());
    let report = git_.copy_into_worktree(&repo, &wt, &[glob("conf/.env")]).await.expect("copy");
    assert!(report.copied.is_empty(), "{report:?}");
    assert!(
        report.skipped.iter().any(|(p, w)| p == "conf/.env" && w.contains("is a symlink in the worktree")),
        "{report:?}"
    );
    assert!(!outside.join(".env").exists(), "written outside the worktree");
}
