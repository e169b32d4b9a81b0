//! Direct mode through the real server: a workspace that is the project's own checkout, marked
//! as such, where chats, status, diffs and files work as in any other; removing it only forgets
//! it, never touching the checkout (its files, its uncommitted work, its branch).

use serde_json::json;

use band_testkit::fixtures::TestRepo;

use super::support::TestServer;
use super::{CONFLICT, INVALID};

#[tokio::test]
async fn a_direct_workspace_is_the_checkout_and_removing_it_never_touches_it() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    // Scripts are for worktrees band makes: a direct workspace runs none, approved or not.
    std::fs::create_dir_all(repo.path().join(".band")).expect("mkdir");
    let marker = repo.path().join("teardown-ran");
    std::fs::write(
        repo.path().join(".band/config.json"),
        json!({"setup": "echo setup > setup-ran", "teardown": format!("echo x > '{}'", marker.display())}).to_string(),
    )
    .expect("config");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let hash = s.ok("projects.config", json!({"name": "app"})).await["scriptsHash"].clone();
    s.ok("projects.trust", json!({"project": "app", "hash": hash})).await;
    repo.git(&["checkout", "-q", "-b", "wip"]);

    let created = s.ok("workspaces.create", json!({"project": "app", "direct": true})).await;
    assert_eq!(created["direct"], true, "{created}");
    assert_eq!(created["created"], true);
    assert_eq!(created["path"], repo.path().to_str().expect("utf-8"));
    assert_eq!((created["branch"].clone(), created["base"].clone()), (json!("wip"), json!("main")));
    assert_eq!(created["branchCreated"], false);
    assert_eq!(created["setup"]["state"], "skipped");
    assert!(!repo.path().join("setup-ran").exists(), "no setup in the checkout");
    let id = created["id"].as_i64().expect("id");
    // Idempotent: one per project.
    let again = s.ok("workspaces.create", json!({"project": "app", "direct": true})).await;
    assert_eq!((again["id"].as_i64(), again["created"].clone()), (Some(id), json!(false)));
    // Listed, marked, not missing; a path inside the checkout finds it.
    let list = s.ok("workspaces.list", json!({"project": "app"})).await;
    assert_eq!(list[0]["direct"], true);
    assert!(list[0]["missing"].is_null(), "{list}");
    let inside = repo.path().join("README.md");
    let got = s.ok("workspaces.get", json!({"workspace": inside})).await;
    assert_eq!(got["id"].as_i64(), Some(id));

    // Work in it shows as in any workspace.
    std::fs::write(repo.path().join("notes.txt"), "mine\n").expect("write");
    repo.commit_file("src/lib.rs", "pub fn f() {}\n", "work on wip");
    let status = s.ok("workspaces.status", json!({"workspace": id.to_string()})).await;
    assert_eq!((status["ahead"].clone(), status["dirty"].clone()), (json!(1), json!(true)), "{status}");
    let diff = s.ok("workspaces.diff", json!({"workspace": id.to_string()})).await;
    assert!(diff["patch"].as_str().unwrap_or_default().contains("+pub fn f() {}"), "{diff}");
    s.ok("chats.create", json!({"workspace": id.to_string()})).await;
    let (code, msg) = s.err("workspaces.setup", json!({"workspace": id.to_string()})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("setup scripts run only in worktrees band makes"), "{msg}");
    assert!(!repo.path().join("setup-ran").exists());

    // Removing it needs no force (nothing of the checkout is at stake) and touches nothing.
    let removed = s.ok("workspaces.remove", json!({"workspace": id.to_string()})).await;
    assert_eq!(removed["branchDeleted"], false);
    assert!(removed["branchKeptBecause"].as_str().unwrap_or_default().contains("never touches"), "{removed}");
    assert!(removed["teardown"].is_null(), "{removed}");
    assert!(!marker.exists(), "no teardown in the checkout");
    assert_eq!(std::fs::read_to_string(repo.path().join("notes.txt")).expect("kept"), "mine\n");
    assert!(repo.path().join("src/lib.rs").is_file());
    assert_eq!(repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "wip");
    assert!(repo.git(&["worktree", "list"]).lines().count() == 1);
    assert_eq!(s.ok("chats.list", json!({})).await, json!([]), "its chats went with it");
    s.stop().await;
}

#[tokio::test]
async fn direct_mode_refuses_what_it_cannot_mean() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "direct": true, "branch": "x"})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("give no branch or base with direct"), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "app"})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("give the new workspace's branch, or direct"), "{msg}");
    // A detached checkout has no branch to name the workspace by.
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", "--detach", head.trim()]);
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "direct": true})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("detached HEAD"), "{msg}");
    // A worktree workspace on the branch the checkout has now is in the way.
    repo.git(&["checkout", "-q", "main"]);
    s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let wt = s.worktrees().join("app/feat");
    repo.git(&["-C", wt.to_str().expect("utf-8"), "checkout", "-q", "--detach"]);
    repo.git(&["checkout", "-q", "feat"]);
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "direct": true})).await;
    assert_eq!(code, CONFLICT);
    assert!(msg.contains("already on branch 'feat'"), "{msg}");
    s.stop().await;
}
