//! Nothing lost under races, crashes and crowds: concurrent creates through the server, `kill -9`
//! of the real binary in the middle of creates and removes, and the start after it, which
//! reconciles git and band.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use super::support::{TestServer, try_rpc};
use super::{CONFLICT, REFUSED, spawn_server_logging};

/// Linked worktrees under `under`, as the git CLI lists them (the main one never is).
fn git_worktrees(repo: &TestRepo, under: &Path) -> BTreeSet<PathBuf> {
    repo.git(&["worktree", "list", "--porcelain"])
        .lines()
        .filter_map(|l| l.strip_prefix("worktree "))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(under))
        .collect()
}

fn git_branches(repo: &TestRepo) -> BTreeSet<String> {
    repo.git(&["for-each-ref", "--format=%(refname:short)", "refs/heads/"]).lines().map(str::to_owned).collect()
}

/// A workspace as `workspaces.list` shows it.
#[derive(Debug, Clone)]
struct Listed {
    id: i64,
    path: PathBuf,
    missing: bool,
    branch_created: bool,
}

async fn listed(addr: SocketAddr, token: &str) -> BTreeMap<String, Listed> {
    let list = try_rpc(addr, token, "workspaces.list", json!({"project": "app"})).await.expect("a reply");
    let list = list["result"].as_array().unwrap_or_else(|| panic!("workspaces.list: {list}")).clone();
    list.iter()
        .map(|w| {
            let l = Listed {
                id: w["id"].as_i64().expect("id"),
                path: PathBuf::from(w["path"].as_str().expect("path")),
                missing: w["missing"].as_bool().unwrap_or(false),
                branch_created: w["branchCreated"].as_bool().expect("branchCreated"),
            };
            (w["branch"].as_str().expect("branch").to_owned(), l)
        })
        .collect()
}

/// A failed call's message must be band's own words about the conflict, never git's raw text or
/// a wrong cause.
fn assert_clear(method: &str, error: &Value) {
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("fatal") && !message.contains("does not name a commit") && !message.contains("git:"),
        "{method}: an unclear error: {error}"
    );
}

fn token_of(home: &Path) -> String {
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home.join("settings.json")).expect("settings")).expect("json");
    settings["tokenSecret"].as_str().expect("token").to_owned()
}

/// Twenty callers create one workspace at once, ten times: one worktree each time, every caller
/// that succeeds gets that same workspace, any other a clear conflict, and the winner's worktree
/// and branch survive the losers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_creates_of_one_branch_make_one_workspace() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let worktrees = s.worktrees();
    for round in 0..10 {
        let branch = format!("same-{round}");
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (addr, token, branch) = (s.addr, s.token.clone(), branch.clone());
            tasks.spawn(async move {
                try_rpc(addr, &token, "workspaces.create", json!({"project": "app", "branch": branch})).await
            });
        }
        let (mut ids, mut created, mut conflicts) = (BTreeSet::new(), 0, 0);
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.expect("task").expect("a reply");
            if let Some(e) = reply.get("error") {
                assert_eq!(e["code"], CONFLICT, "round {round}: {e}");
                assert_clear("workspaces.create", e);
                conflicts += 1;
                continue;
            }
            ids.insert(reply["result"]["id"].as_i64().expect("id"));
            created += usize::from(reply["result"]["created"] == json!(true));
        }
        assert_eq!(ids.len(), 1, "round {round}: every caller gets the same workspace ({conflicts} conflicts)");
        assert_eq!(created, 1, "round {round}: one caller created it");
        let path = worktrees.join("app").join(&branch);
        assert!(path.join("README.md").is_file(), "round {round}: the winner's worktree is intact");
        assert!(git_branches(&repo).contains(&branch), "round {round}: the winner's branch is kept");
        let band: BTreeSet<PathBuf> = listed(s.addr, &s.token).await.values().map(|l| l.path.clone()).collect();
        assert_eq!(git_worktrees(&repo, &worktrees), band, "round {round}: git worktree list = workspaces.list");
    }
    s.stop().await;
}

/// Twenty creates of different branches at once, five times: all succeed (band serializes
/// worktree changes per repository, so git's own races cannot happen), and no branch is left
/// without its workspace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_creates_of_different_branches_all_succeed_and_leak_nothing() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let worktrees = s.worktrees();
    for round in 0..5 {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (addr, token) = (s.addr, s.token.clone());
            tasks.spawn(async move {
                let branch = format!("r{round}/b{i}");
                try_rpc(addr, &token, "workspaces.create", json!({"project": "app", "branch": branch})).await
            });
        }
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.expect("task").expect("a reply");
            assert!(reply.get("error").is_none(), "round {round}: {reply}");
            assert_eq!(reply["result"]["created"], true, "round {round}: {reply}");
        }
        let band = listed(s.addr, &s.token).await;
        assert_eq!(band.len(), 20 * (round + 1), "round {round}");
        let paths: BTreeSet<PathBuf> = band.values().map(|l| l.path.clone()).collect();
        assert_eq!(git_worktrees(&repo, &worktrees), paths, "round {round}: git worktree list = workspaces.list");
        let mut branches: BTreeSet<String> = band.keys().cloned().collect();
        branches.insert("main".into());
        assert_eq!(git_branches(&repo), branches, "round {round}: no branch without its workspace");
    }
    s.stop().await;
}

/// What the test knows of a branch from the replies it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Its creation was confirmed (and no removal was attempted since).
    Present,
    /// Its removal was confirmed.
    Absent,
    /// A call on it got no reply: the server died during it.
    Unknown,
    /// Created again after a restart (made anew, or an orphan adopted): it must be there.
    Recreated,
}

/// A small xorshift: the kill points vary per run, and the seed is printed to replay one
/// (`BAND_RACES_SEED`).
#[derive(Clone)]
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const WORKERS: u64 = 6;
const ROUNDS: u64 = 10;
const PRECIOUS: [&str; 2] = ["precious-a", "precious-b"];

/// One caller of the chaos: creates fresh branches and removes its own (never forced), and now
/// and then tries to remove a workspace holding uncommitted work, until the server dies. Every
/// branch is touched by one worker only, so what the replies say about it is exact.
async fn worker(
    addr: SocketAddr,
    token: String,
    name: String,
    mut rng: Rng,
    known: Arc<Mutex<BTreeMap<String, Known>>>,
    confirmed: tokio::sync::mpsc::UnboundedSender<()>,
    mut mine: Vec<String>,
) {
    for n in 0.. {
        let choice = rng.below(10);
        if choice < 2 {
            let precious = PRECIOUS[rng.below(2) as usize];
            let Some(reply) =
                try_rpc(addr, &token, "workspaces.remove", json!({"workspace": format!("app/{precious}")})).await
            else {
                return;
            };
            assert_eq!(reply["error"]["code"], REFUSED, "uncommitted work is never removed unforced: {reply}");
        } else if choice < 6 && !mine.is_empty() {
            let branch = mine.swap_remove(rng.below(mine.len() as u64) as usize);
            known.lock().expect("lock").insert(branch.clone(), Known::Unknown);
            let Some(reply) =
                try_rpc(addr, &token, "workspaces.remove", json!({"workspace": format!("app/{branch}")})).await
            else {
                return;
            };
            assert!(reply.get("error").is_none(), "removing clean {branch}: {reply}");
            assert_eq!(reply["result"]["branchDeleted"], true, "{branch}: a merged branch band made goes: {reply}");
            known.lock().expect("lock").insert(branch, Known::Absent);
        } else {
            let branch = format!("{name}-{n}");
            known.lock().expect("lock").insert(branch.clone(), Known::Unknown);
            let Some(reply) =
                try_rpc(addr, &token, "workspaces.create", json!({"project": "app", "branch": branch})).await
            else {
                return;
            };
            if let Some(e) = reply.get("error") {
                panic!("creating {branch}: {e}");
            }
            assert_eq!(reply["result"]["created"], true, "{branch}: {reply}");
            known.lock().expect("lock").insert(branch.clone(), Known::Present);
            mine.push(branch);
        }
        if confirmed.send(()).is_err() {
            return;
        }
    }
}

/// Prints a file when dropped during a panic: a failed test shows the log it names.
struct PrintOnPanic(std::path::PathBuf);

impl Drop for PrintOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.0).unwrap_or_default();
            println!("--- {} ---\n{text}--- end of the log ---", self.0.display());
        }
    }
}

/// `kill -9` of band-server at a random point of concurrent creates and removes, ten times,
/// starting it again each time: the database is sound, every confirmed change is there, git and
/// band agree (no worktree under band's directory that band does not list, no workspace whose
/// worktree is gone unless it is marked missing), uncommitted work is intact, and every branch a
/// dead call touched can be created again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_amid_creates_and_removes_loses_nothing_and_the_next_start_reconciles() {
    let seed = std::env::var("BAND_RACES_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    });
    println!("kill -9 races: seed {seed} (BAND_RACES_SEED={seed} replays the kill points)");
    let mut rng = Rng(seed);
    let home = tempfile::tempdir().expect("tempdir");
    super::support::isolate_terminals(home.path());
    // The servers' logs, printed if the test fails (what reconciliation and git said).
    let log = home.path().join("servers.log");
    let _log_on_failure = PrintOnPanic(log.clone());
    let repo = TestRepo::named("app");
    let (mut addr, mut child) = spawn_server_logging(home.path(), Some(&log)).await;
    let token = token_of(home.path());
    let worktrees = std::fs::canonicalize(home.path().join("worktrees")).expect("worktrees");
    try_rpc(addr, &token, "projects.add", json!({"path": repo.path()})).await.expect("projects.add");
    for precious in PRECIOUS {
        let reply = try_rpc(addr, &token, "workspaces.create", json!({"project": "app", "branch": precious})).await;
        assert!(reply.as_ref().is_some_and(|r| r.get("result").is_some()), "{reply:?}");
        std::fs::write(worktrees.join("app").join(precious).join("work.txt"), "uncommitted\n").expect("work");
    }
    let known: Arc<Mutex<BTreeMap<String, Known>>> = Arc::default();

    for round in 0..ROUNDS {
        let (tx, mut confirmations) = tokio::sync::mpsc::unbounded_channel();
        let mut workers = tokio::task::JoinSet::new();
        // The workspaces known to be there are dealt out among the workers, to remove.
        let mut dealt: Vec<Vec<String>> = vec![Vec::new(); WORKERS as usize];
        let present: Vec<String> =
            known.lock().expect("lock").iter().filter(|(_, k)| **k == Known::Present).map(|(b, _)| b.clone()).collect();
        for (i, branch) in present.into_iter().enumerate() {
            dealt[i % WORKERS as usize].push(branch);
        }
        for (w, mine) in dealt.into_iter().enumerate() {
            let worker_rng = Rng(rng.below(u64::MAX) | 1);
            let name = format!("r{round}w{w}");
            workers.spawn(worker(addr, token.clone(), name, worker_rng, known.clone(), tx.clone(), mine));
        }
        drop(tx);
        // Killed after a random number of confirmed calls: the others are somewhere in between.
        let kill_after = 1 + rng.below(16);
        for _ in 0..kill_after {
            tokio::time::timeout(Duration::from_secs(20), confirmations.recv())
                .await
                .expect("calls are confirmed in time")
                .expect("workers run");
        }
        // ...and a random moment after the last: the confirmation marks the start of the next
        // call's turn, and the kill must land anywhere in it (git running, the insert...).
        let delay = Duration::from_micros(rng.below(40_000));
        tokio::time::sleep(delay).await;
        child.start_kill().expect("kill -9");
        child.wait().await.expect("reaped");
        while let Some(done) = workers.join_next().await {
            done.unwrap_or_else(|e| panic!("round {round} (seed {seed}): a worker failed: {e}"));
        }
        // The dead server's git commands finish on their own (nothing kills them): wait for them,
        // as a person restarting band a moment later would.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !band_testkit::procs::working_in(&[repo.path(), &worktrees]).is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "git commands of the killed server still run");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let store = band_store::SqliteStore::open(&home.path().join("band.db")).await.expect("the database opens");
        assert_eq!(store.integrity_check().await.expect("integrity_check"), Vec::<String>::new(), "round {round}");
        drop(store);

        (addr, child) = spawn_server_logging(home.path(), Some(&log)).await;
        let band = listed(addr, &token).await;
        let context = format!("round {round} (seed {seed}), killed {delay:?} after {kill_after} confirmations");
        // Git and band agree: every worktree under band's directory is a workspace, and every
        // workspace not marked missing has its worktree.
        let in_git = git_worktrees(&repo, &worktrees);
        let present: BTreeSet<PathBuf> = band.values().filter(|l| !l.missing).map(|l| l.path.clone()).collect();
        assert_eq!(in_git, present, "{context}: git's worktrees = band's workspaces not marked missing");
        for (branch, l) in band.iter().filter(|(_, l)| l.missing) {
            assert!(!l.path.join(".git").exists(), "{context}: {branch} is marked missing but its worktree is there");
        }
        // Every confirmed change is there.
        for (branch, k) in known.lock().expect("lock").iter() {
            match k {
                Known::Present => {
                    let l = band.get(branch).unwrap_or_else(|| panic!("{context}: confirmed {branch} is gone"));
                    assert!(!l.missing && l.path.join("README.md").is_file(), "{context}: {branch}: {l:?}");
                    assert!(l.branch_created, "{context}: {branch} was created by band: {l:?}");
                }
                Known::Absent => {
                    assert!(!band.contains_key(branch), "{context}: removed {branch} is back");
                    assert!(!git_branches(&repo).contains(branch), "{context}: removed {branch}'s branch is back");
                }
                Known::Recreated => {
                    let l = band.get(branch).unwrap_or_else(|| panic!("{context}: re-created {branch} is gone"));
                    assert!(!l.missing && l.path.join("README.md").is_file(), "{context}: {branch}: {l:?}");
                }
                Known::Unknown => {}
            }
        }
        // Uncommitted work is intact.
        for precious in PRECIOUS {
            let l = band.get(precious).unwrap_or_else(|| panic!("{context}: {precious} is gone"));
            assert_eq!(std::fs::read_to_string(l.path.join("work.txt")).expect("work"), "uncommitted\n", "{context}");
        }

        let unknown = known.lock().expect("lock").values().filter(|k| **k == Known::Unknown).count();
        let missing = band.values().filter(|l| l.missing).count();
        let adopted = band.iter().filter(|(b, l)| !l.branch_created && !PRECIOUS.contains(&b.as_str())).count();
        println!("{context}: {unknown} call(s) cut off, {missing} workspace(s) missing, {adopted} adopted so far");

        // What a dead call left is usable: a workspace marked missing can be removed, and every
        // branch a dead call touched can be created (again), which returns its adopted workspace.
        for (branch, l) in band.iter().filter(|(_, l)| l.missing) {
            let reply = try_rpc(addr, &token, "workspaces.remove", json!({"workspace": l.id.to_string()})).await;
            let reply = reply.expect("a reply");
            assert!(reply.get("error").is_none(), "{context}: removing missing {branch}: {reply}");
            if l.branch_created {
                assert!(!git_branches(&repo).contains(branch), "{context}: {branch}'s merged branch stays: {reply}");
            }
            known.lock().expect("lock").insert(branch.clone(), Known::Absent);
        }
        let unknown: Vec<String> =
            known.lock().expect("lock").iter().filter(|(_, k)| **k == Known::Unknown).map(|(b, _)| b.clone()).collect();
        for branch in unknown {
            let reply = try_rpc(addr, &token, "workspaces.create", json!({"project": "app", "branch": branch})).await;
            let reply = reply.expect("a reply");
            assert!(reply.get("error").is_none(), "{context}: creating {branch} again: {reply}");
            if let Some(before) = band.get(&branch).filter(|l| !l.missing) {
                assert_eq!(reply["result"]["id"], before.id, "{context}: {branch}: the listed workspace is returned");
            }
            assert!(worktrees.join("app").join(&branch).join("README.md").is_file(), "{context}: {branch}");
            // It belongs to no worker any more: removed at the end.
            known.lock().expect("lock").insert(branch, Known::Recreated);
        }
    }

    // At the end, everything but the precious workspaces is removed: nothing is left in git but
    // their branches, main, and branches band did not create (adopted ones keep theirs).
    let band = listed(addr, &token).await;
    let mut kept: BTreeSet<String> = ["main".to_owned()].into();
    for (branch, l) in &band {
        if PRECIOUS.contains(&branch.as_str()) || !l.branch_created {
            kept.insert(branch.clone());
        }
        if PRECIOUS.contains(&branch.as_str()) {
            continue;
        }
        let reply = try_rpc(addr, &token, "workspaces.remove", json!({"workspace": l.id.to_string()})).await;
        assert!(reply.as_ref().is_some_and(|r| r.get("error").is_none()), "removing {branch}: {reply:?}");
    }
    assert_eq!(git_branches(&repo), kept, "seed {seed}: no branch leaked");
    assert_eq!(git_worktrees(&repo, &worktrees).len(), PRECIOUS.len(), "seed {seed}");
    child.start_kill().expect("kill");
    child.wait().await.expect("reaped");
}

/// The defect: git's own race ("failed to read .git/worktrees/X/commondir", while another git
/// process is adding a worktree) reached the user as git's raw text. It is a clear conflict.
#[tokio::test]
async fn a_git_race_reaches_the_user_as_a_clear_conflict() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    // What a `git worktree add` run by hand has written so far: its entry, commondir still empty.
    let half = repo.path().join(".git/worktrees/half");
    std::fs::create_dir_all(&half).expect("mkdir");
    std::fs::write(half.join("gitdir"), "/nowhere/half/.git\n").expect("gitdir");
    std::fs::write(half.join("HEAD"), "ref: refs/heads/main\n").expect("HEAD");
    std::fs::write(half.join("commondir"), "").expect("commondir");

    let (code, message) = s.err("workspaces.create", json!({"project": "app", "branch": "x"})).await;
    assert_eq!(code, CONFLICT, "{message}");
    assert!(
        message.contains("another git process") && message.contains("at the same time") && message.contains("'app'"),
        "{message}"
    );
    assert_clear("workspaces.create", &json!({"message": message}));
    std::fs::remove_dir_all(&half).expect("the other git finishes");
    assert_eq!(git_branches(&repo), BTreeSet::from(["main".to_owned()]), "nothing left behind");
    // And once the other process is done, the same request succeeds.
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "x"})).await;
    assert_eq!(ws["created"], true);
    s.stop().await;
}

/// A crash between git and the database leaves a worktree band does not list (an orphan); one
/// between removing a worktree and forgetting it, a workspace whose worktree is gone. The next
/// start adopts the orphan (its uncommitted work intact), marks the other missing and drops
/// git's stale entry; a worktree under band's directory that band did not lay out is left alone,
/// and one whose add was killed midway is removed (its branch kept).
#[tokio::test]
async fn the_next_start_adopts_orphans_and_marks_missing_workspaces() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let worktrees = s.worktrees();
    let at = |branch: &str| worktrees.join("app").join(branch).display().to_string();
    s.ok("workspaces.create", json!({"project": "app", "branch": "kept"})).await;
    let gone = s.ok("workspaces.create", json!({"project": "app", "branch": "gone"})).await;
    std::fs::remove_dir_all(at("gone")).expect("rm -rf");
    repo.git(&["worktree", "add", "-q", "-b", "orphan", &at("orphan"), "main"]);
    std::fs::write(worktrees.join("app/orphan/work.txt"), "uncommitted\n").expect("work");
    repo.git(&["worktree", "add", "-q", "-b", "live", &at("live"), "main"]);
    repo.git(&["worktree", "add", "-q", "-b", "other", &at("odd"), "main"]);
    // What a `git worktree add` killed midway leaves (seen in CI: the race test's kill -9 landing
    // while git made a worktree): still locked with git's own reason. A person's lock is another.
    repo.git(&["worktree", "add", "-q", "--lock", "--reason", "initializing", "-b", "cut", &at("cut"), "main"]);
    repo.git(&["worktree", "add", "-q", "--lock", "--reason", "mine", "-b", "held", &at("held"), "main"]);

    // While it runs: asking for the orphan's branch adopts it.
    let live = s.ok("workspaces.create", json!({"project": "app", "branch": "live"})).await;
    assert_eq!((live["created"].clone(), live["path"].clone()), (json!(false), json!(at("live"))));
    let listed_now = s.ok("workspaces.list", json!({"project": "app"})).await;
    let missing: Vec<&Value> = listed_now.as_array().expect("list").iter().filter(|w| w["missing"] == true).collect();
    assert_eq!(missing.len(), 1, "{listed_now}");
    assert_eq!(missing[0]["branch"], "gone");

    let TestServer { home, running, .. } = s;
    running.expect("running").stop().await.expect("stop");
    let s = TestServer::start_in(home).await;
    let band = listed(s.addr, &s.token).await;
    assert_eq!(band.keys().map(String::as_str).collect::<Vec<_>>(), ["gone", "kept", "live", "orphan"]);
    assert!(band["gone"].missing && !band["kept"].missing && !band["orphan"].missing);
    assert!(!band["orphan"].branch_created, "band does not know who made the branch, so it keeps it");
    assert_eq!(std::fs::read_to_string(worktrees.join("app/orphan/work.txt")).expect("work"), "uncommitted\n");
    assert!(worktrees.join("app/odd/README.md").is_file(), "a worktree band did not lay out is left alone");
    assert!(!repo.git(&["worktree", "list"]).contains("/gone"), "git's stale entry was pruned");
    let in_git = git_worktrees(&repo, &worktrees);
    assert!(!in_git.contains(&worktrees.join("app/cut")), "a cut-off add is removed: {in_git:?}");
    assert!(!worktrees.join("app/cut").exists() && git_branches(&repo).contains("cut"), "its branch is kept");
    assert!(in_git.contains(&worktrees.join("app/held")), "a person's lock is left alone: {in_git:?}");

    // The orphan's branch can be asked for again: its adopted workspace.
    let again = s.ok("workspaces.create", json!({"project": "app", "branch": "orphan"})).await;
    assert_eq!((again["id"].clone(), again["created"].clone()), (json!(band["orphan"].id), json!(false)));
    let status = s.ok("workspaces.status", json!({"workspace": "app/orphan"})).await;
    assert_eq!(status["changes"][0]["path"], "work.txt", "{status}");
    // The missing one can be removed, and its branch (band's, merged) goes with it.
    let removed = s.ok("workspaces.remove", json!({"workspace": gone["id"].to_string()})).await;
    assert_eq!(removed["branchDeleted"], true, "{removed}");
    assert!(!git_branches(&repo).contains("gone"));
    s.stop().await;
}
