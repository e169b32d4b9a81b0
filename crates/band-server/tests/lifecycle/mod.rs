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
