//! Workspace facts and lifecycle through the real server, on a real repository with a local
//! bare remote: ahead/behind the base and the remote, dirty files, disk use; archive (worktree
//! gone, branch and chats kept) and restore; gc's report and retention's rule that nothing
//! uncommitted or unpushed is ever archived.

use std::path::Path;

use serde_json::json;

use band_testkit::fixtures::TestRepo;

use super::support::TestServer;
use super::{INVALID, REFUSED};

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn facts_archive_restore_and_gc_never_lose_work() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    repo.git(&["push", "-q", "origin", "main"]);
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;

    // Facts: a commit ahead of the base, pushed then one more; a dirty file; disk use.
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    std::fs::write(wt.join("a.txt"), "a\n").expect("write");
    git_in(&wt, &["add", "a.txt"]);
    git_in(&wt, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "a"]);
    git_in(&wt, &["push", "-q", "-u", "origin", "feat"]);
    std::fs::write(wt.join("b.txt"), "b\n").expect("write");
    git_in(&wt, &["add", "b.txt"]);
    git_in(&wt, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "b"]);
    std::fs::write(wt.join("big.bin"), vec![7u8; 100_000]).expect("write");
    let facts = s.ok("workspaces.facts", json!({"workspace": "app/feat"})).await;
    assert_eq!((facts["ahead"].clone(), facts["behind"].clone()), (json!(2), json!(0)), "{facts}");
    assert_eq!(facts["remote"], json!({"upstream": "origin/feat", "ahead": 1, "behind": 0}));
    assert_eq!(facts["unsavedCommits"], 1, "one commit neither in main nor pushed");
    assert_eq!(facts["dirty"], json!(["big.bin"]));
    let disk = facts["diskBytes"].as_u64().expect("disk");
    // Its own files (README, a, b, big.bin), not the repository's objects.
    assert!((100_000..120_000).contains(&disk), "{disk}");

    // Archive refuses while work is uncommitted, and changes nothing.
    let (code, msg) = s.err("workspaces.archive", json!({"workspace": "app/feat"})).await;
    assert_eq!(code, REFUSED);
    assert!(msg.contains("uncommitted change(s) (big.bin)") && msg.contains("commit them first"), "{msg}");
    assert!(wt.join("big.bin").is_file());
    std::fs::remove_file(wt.join("big.bin")).expect("rm");

    // A chat survives archiving; the branch keeps its unpushed commit.
    let chat = s.ok("chats.create", json!({"workspace": "app/feat"})).await;
    let archived = s.ok("workspaces.archive", json!({"workspace": "app/feat"})).await;
    assert!(archived["archivedAt"].as_i64().is_some(), "{archived}");
    assert!(!wt.exists(), "the worktree is gone");
    assert!(repo.git(&["branch", "--list", "feat"]).contains("feat"), "the branch is kept");
    assert_eq!(s.ok("chats.get", json!({"chat": chat["id"]})).await["id"], chat["id"]);
    let listed = s.ok("workspaces.list", json!({})).await;
    assert!(listed[0]["missing"].is_null() && listed[0]["archivedAt"].is_i64(), "archived, not missing: {listed}");
    let facts = s.ok("workspaces.facts", json!({"workspace": "app/feat"})).await;
    assert_eq!((facts["ahead"].clone(), facts["diskBytes"].clone()), (json!(2), json!(null)), "{facts}");
    // Work needs the worktree: refused with what to do.
    let (code, _, data) = s.err_data("terminals.create", json!({"workspace": "app/feat"})).await;
    assert_eq!((code, data["fix"]["type"].clone()), (REFUSED, json!("restore_workspace")), "{data}");
    // Restore brings it back on its branch, with the commits.
    let restored = s.ok("workspaces.restore", json!({"workspace": "app/feat"})).await;
    assert!(restored["archivedAt"].is_null());
    assert!(wt.join("b.txt").is_file());
    assert_eq!(git_in(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), "feat");

    // gc: an idle workspace with nothing to lose would be archived; one with an unpushed commit
    // or a dirty file is kept, with why. idleDays 0 makes every workspace idle enough.
    s.ok("workspaces.create", json!({"project": "app", "branch": "clean"})).await;
    let dirty = s.ok("workspaces.create", json!({"project": "app", "branch": "dirty"})).await;
    std::fs::write(Path::new(dirty["path"].as_str().expect("path")).join("x"), "x").expect("write");
    let report = s.ok("workspaces.gc", json!({"idleDays": 0})).await;
    assert_eq!(report["applied"], false);
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|i| i["facts"]["workspace"]["branch"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(names(&report["archive"]), ["clean"], "{report}");
    let kept = report["kept"].as_array().expect("kept");
    let why = |b: &str| kept.iter().find(|i| i["facts"]["workspace"]["branch"] == b).map(|i| i["why"].clone());
    assert_eq!(why("feat"), Some(json!("1 commit(s) neither in its base nor pushed")));
    assert_eq!(why("dirty"), Some(json!("1 uncommitted change(s)")));
    assert!(s.worktrees().join("app/clean").is_dir(), "a report changes nothing");
    // Recent work is kept at the default of 14 days.
    let report = s.ok("workspaces.gc", json!({})).await;
    assert_eq!((report["idleDays"].clone(), report["archive"].clone()), (json!(14), json!([])));
    let applied = s.ok("workspaces.gc", json!({"idleDays": 0, "apply": true})).await;
    assert_eq!(names(&applied["archive"]), ["clean"]);
    assert!(!s.worktrees().join("app/clean").exists());
    assert!(Path::new(dirty["path"].as_str().expect("path")).join("x").is_file(), "dirty work untouched");
    assert!(wt.join("b.txt").is_file(), "unpushed work untouched");
    let (code, _) = s.err("workspaces.archive", json!({"workspace": "nope"})).await;
    assert_ne!(code, INVALID);
    s.stop().await;
}

#[tokio::test]
async fn a_project_is_removed_with_everything_in_it_warning_for_what_it_keeps() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "clean"})).await;
    let dirty = s.ok("workspaces.create", json!({"project": "app", "branch": "dirty"})).await;
    let dirty_path = Path::new(dirty["path"].as_str().expect("path")).to_owned();
    std::fs::write(dirty_path.join("work.txt"), "unsaved\n").expect("write");
    let unmerged = s.ok("workspaces.create", json!({"project": "app", "branch": "unmerged"})).await;
    let unmerged_path = Path::new(unmerged["path"].as_str().expect("path")).to_owned();
    git_in(
        &unmerged_path,
        &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "kept"],
    );
    let terminal = s.ok("terminals.create", json!({"workspace": "app/clean"})).await;
    s.ok("chats.create", json!({"workspace": "app/clean"})).await;

    // Without force: what would lose work is kept, with a warning each, and so is the project.
    let r = s.ok("projects.purge", json!({"name": "app"})).await;
    assert_eq!(r["projectRemoved"], false, "{r}");
    let removed: Vec<&str> =
        r["removed"].as_array().expect("removed").iter().filter_map(|w| w["workspace"]["branch"].as_str()).collect();
    assert_eq!(removed, ["clean"]);
    let warnings: Vec<&str> = r["warnings"].as_array().expect("warnings").iter().filter_map(|w| w.as_str()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[0].contains("'app/dirty' was kept") && warnings[0].contains("uncommitted change(s) (work.txt)"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("'app/unmerged' was kept") && warnings[1].contains("1 commit(s) not in 'main'"),
        "{warnings:?}"
    );
    assert!(warnings[2].contains("project 'app' was kept"), "{warnings:?}");
    assert!(dirty_path.join("work.txt").is_file());
    let t = s.ok("terminals.list", json!({})).await;
    assert!(t.as_array().expect("terminals").iter().all(|x| x["id"] != terminal["id"]), "its terminal went: {t}");

    // With force: everything goes but the unmerged branch, and the repository is untouched.
    let r = s.ok("projects.purge", json!({"name": "app", "force": true})).await;
    assert_eq!((r["projectRemoved"].clone(), r["warnings"].clone()), (json!(true), json!([])), "{r}");
    assert_eq!(s.ok("projects.list", json!({})).await, json!([]));
    assert!(!dirty_path.exists() && !unmerged_path.exists());
    assert!(repo.git(&["branch", "--list", "unmerged"]).contains("unmerged"), "its unmerged branch is kept");
    assert!(repo.path().join("README.md").is_file());
    let (code, _) = s.err("projects.purge", json!({"name": "app"})).await;
    assert_eq!(code, -32001);
    s.stop().await;
}

fn now_ms() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis())
        .expect("ms")
}

/// Waits until the clock has passed `t` (ms), so whatever happens next is strictly later.
async fn tick_past(t: i64) {
    while now_ms() <= t {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

async fn last_activity(s: &TestServer, workspace: &str) -> i64 {
    let facts = s.ok("workspaces.facts", json!({"workspace": workspace})).await;
    facts["lastActivity"].as_i64().unwrap_or_else(|| panic!("lastActivity missing: {facts}"))
}

/// Polls the facts until `lastActivity` passes `after` (the agent's events land asynchronously).
async fn activity_after(s: &TestServer, workspace: &str, after: i64) -> i64 {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let t = last_activity(s, workspace).await;
        if t > after {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "lastActivity stayed at {t}, not after {after}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn last_activity_is_reported_and_moves_forward_when_a_chat_in_the_workspace_works() {
    use band_core::AgentUpdate;
    use band_core::ports::AgentEvent;
    let fake = band_testkit::agent::FakeRuntime::new(band_core::AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(tempfile::tempdir().expect("tempdir"), Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;

    // At first, the workspace's creation.
    let before = now_ms();
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let after = now_ms();
    s.ok("workspaces.create", json!({"project": "app", "branch": "other"})).await;
    let created = last_activity(&s, "app/w").await;
    assert!((before..=after).contains(&created), "{before} <= {created} <= {after}");
    let other = last_activity(&s, "app/other").await;

    // A chat made, a prompt sent, the agent's output, its turn's end: each moves it forward.
    tick_past(created).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    let t1 = last_activity(&s, "app/w").await;
    assert!(t1 > created, "a new chat: {t1} > {created}");
    tick_past(t1).await;
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let t2 = activity_after(&s, "app/w", t1).await;
    tick_past(t2).await;
    let agent = fake.last();
    agent.emit(AgentEvent::Update(AgentUpdate::MessageChunk { text: "working".into(), message_id: None })).await;
    let t3 = activity_after(&s, "app/w", t2).await;
    tick_past(t3).await;
    agent.emit(AgentEvent::TurnEnded { stop_reason: band_core::StopReason::EndTurn, usage: None }).await;
    // Once the turn's end is recorded (the chat no longer working), nothing moves it any more.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.ok("chats.get", json!({"chat": chat})).await["status"] != "completed" {
        assert!(tokio::time::Instant::now() < deadline, "the turn never ended");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let t4 = activity_after(&s, "app/w", t3).await;
    assert!(t4 <= now_ms());
    // The list of facts says the same; another workspace's activity is its own.
    let gc = s.ok("workspaces.gc", json!({"idleDays": 0})).await;
    let all: Vec<&serde_json::Value> =
        gc["archive"].as_array().into_iter().chain(gc["kept"].as_array()).flatten().collect();
    let of = |b: &str| {
        all.iter().find(|i| i["facts"]["workspace"]["branch"] == b).map(|i| i["facts"]["lastActivity"].clone())
    };
    assert_eq!(of("w"), Some(json!(t4)), "{gc}");
    assert_eq!(of("other"), Some(json!(other)), "{gc}");
    s.stop().await;
}

/// Sets `created_at` of the named workspaces `days` back, in the database of a stopped server.
fn age_workspaces(home: &Path, branches: &[&str], days: i64) {
    use diesel::{Connection, RunQueryDsl};
    let db = home.join("band.db");
    let mut conn = diesel::SqliteConnection::establish(db.to_str().expect("utf-8")).expect("band.db opens");
    let then = now_ms() - days * 24 * 60 * 60 * 1000;
    for branch in branches {
        let sql = format!("UPDATE workspaces SET created_at = {then} WHERE branch = '{branch}'");
        assert_eq!(diesel::sql_query(sql).execute(&mut conn).expect("update"), 1, "{branch}");
    }
}

/// Retention (`retention.archiveIdleDays` in settings.json) runs by itself when the server starts
/// (then hourly): it archives what has been idle past the limit and loses nothing by it, and never
/// a workspace with uncommitted changes, commits only its branch holds, or a recent chat.
#[tokio::test]
async fn retention_archives_by_itself_only_idle_workspaces_that_lose_nothing() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    repo.git(&["push", "-q", "origin", "main"]);
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let mut paths = std::collections::BTreeMap::new();
    for b in ["idle", "dirty", "unmerged", "chatty", "recent"] {
        let made = s.ok("workspaces.create", json!({"project": "app", "branch": b})).await;
        paths.insert(b, Path::new(made["path"].as_str().expect("path")).to_owned());
    }
    std::fs::write(paths["dirty"].join("notes.txt"), "unsaved\n").expect("write");
    std::fs::write(paths["unmerged"].join("work.txt"), "committed, not merged, not pushed\n").expect("write");
    git_in(&paths["unmerged"], &["add", "work.txt"]);
    git_in(&paths["unmerged"], &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "work"]);
    let chat = s.ok("chats.create", json!({"workspace": "app/chatty"})).await;

    // Days pass: the workspaces were made 3 days ago (the chat in 'chatty' is recent).
    let TestServer { home, running, .. } = s;
    running.expect("running").stop().await.expect("stop");
    age_workspaces(home.path(), &["idle", "dirty", "unmerged", "chatty"], 3);
    let settings_path = home.path().join("settings.json");
    let mut settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&settings_path).expect("settings")).expect("json");
    settings["retention"] = json!({"archiveIdleDays": 2});
    std::fs::write(&settings_path, settings.to_string()).expect("settings");

    // Nothing asked: the pass at start archives 'idle', and only it.
    let s = TestServer::start_in(home).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let archived = loop {
        let list = s.ok("workspaces.list", json!({})).await;
        let archived: Vec<String> = list
            .as_array()
            .expect("list")
            .iter()
            .filter(|w| w["archivedAt"].is_i64())
            .map(|w| w["branch"].as_str().expect("branch").to_owned())
            .collect();
        if !archived.is_empty() {
            break archived;
        }
        assert!(tokio::time::Instant::now() < deadline, "retention archived nothing: {list}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(archived, ["idle"]);
    assert!(!paths["idle"].exists(), "its worktree is gone");
    assert!(repo.git(&["branch", "--list", "idle"]).contains("idle"), "its branch is kept");
    // The others are as they were.
    assert_eq!(std::fs::read_to_string(paths["dirty"].join("notes.txt")).expect("dirty"), "unsaved\n");
    assert!(paths["unmerged"].join("work.txt").is_file());
    assert_eq!(git_in(&paths["unmerged"], &["log", "-1", "--format=%s"]), "work");
    assert!(paths["chatty"].is_dir() && paths["recent"].is_dir());
    assert_eq!(s.ok("chats.get", json!({"chat": chat["id"]})).await["id"], chat["id"]);
    // workspaces.gc defaults to the setting, and says why each was kept.
    let report = s.ok("workspaces.gc", json!({})).await;
    assert_eq!((report["idleDays"].clone(), report["archive"].clone()), (json!(2), json!([])), "{report}");
    let kept = report["kept"].as_array().expect("kept");
    let why = |b: &str| kept.iter().find(|i| i["facts"]["workspace"]["branch"] == b).map(|i| i["why"].clone());
    assert_eq!(why("dirty"), Some(json!("1 uncommitted change(s)")));
    assert_eq!(why("unmerged"), Some(json!("1 commit(s) neither in its base nor pushed")));
    assert_eq!(why("chatty"), Some(json!("active 0 day(s) ago (archived after 2)")));
    assert_eq!(why("recent"), Some(json!("active 0 day(s) ago (archived after 2)")));
    s.stop().await;
}

/// A clean-up (the one retention runs) keeps a workspace whose terminal is open: archiving would
/// kill the shell and what runs in it (a dev server...). Once it is closed, the workspace goes.
#[tokio::test]
async fn a_clean_up_keeps_a_workspace_with_an_open_terminal() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let made = s.ok("workspaces.create", json!({"project": "app", "branch": "serving"})).await;
    let terminal = s.ok("terminals.create", json!({"workspace": "app/serving"})).await;
    let report = s.ok("workspaces.gc", json!({"idleDays": 0, "apply": true})).await;
    assert_eq!(report["archive"], json!([]), "{report}");
    assert_eq!(report["kept"][0]["why"], format!("terminal {} is open", terminal["id"]), "{report}");
    assert!(Path::new(made["path"].as_str().expect("path")).is_dir());
    let listed = s.ok("terminals.list", json!({})).await;
    assert_eq!(listed[0]["id"], terminal["id"], "the terminal lives on: {listed}");
    s.ok("terminals.kill", json!({"terminal": terminal["id"]})).await;
    let report = s.ok("workspaces.gc", json!({"idleDays": 0, "apply": true})).await;
    assert_eq!(report["archive"][0]["facts"]["workspace"]["branch"], "serving", "{report}");
    s.stop().await;
}
