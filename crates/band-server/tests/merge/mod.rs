//! Merging a workspace back through the real server, on a real repository with a local bare
//! remote: commit, rebase onto the base, the base fast-forwarded in the checkout, the branch
//! pushed; a conflict lists the files and leaves everything as it was.

use std::path::Path;

use serde_json::json;

use band_testkit::fixtures::TestRepo;

use super::INVALID;
use super::support::TestServer;

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn merge_commits_rebases_moves_the_base_and_pushes_and_a_conflict_changes_nothing() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("shared.txt", "one\n", "shared");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;

    // A clean merge: uncommitted work is committed, main moved on meanwhile (rebase needed).
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    std::fs::write(wt.join("feature.txt"), "new\n").expect("write");
    repo.commit_file("other.txt", "main moved\n", "main moves on");
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/feat", "message": "Add the feature"})).await;
    assert_eq!(merged["conflicts"], json!([]), "{merged}");
    assert!(merged["committed"].as_str().is_some_and(|c| c.len() == 40), "{merged}");
    assert_eq!(merged["baseMoved"], "'main' fast-forwarded in the project's checkout", "{merged}");
    assert_eq!(merged["pushed"], "origin");
    // The checkout has the work, on a straight history; the remote has the branch.
    assert_eq!(std::fs::read_to_string(repo.path().join("feature.txt")).expect("ff"), "new\n");
    assert_eq!(repo.git(&["log", "-1", "--format=%s", "main"]), "Add the feature");
    assert_eq!(repo.git(&["rev-list", "--merges", "--count", "main"]), "0");
    let head = merged["head"].as_str().expect("head");
    assert_eq!(git_in(bare.path(), &["rev-parse", "refs/heads/feat"]), head);
    // Now merged and pushed, it can go without --force.
    s.ok("workspaces.remove", json!({"workspace": "app/feat"})).await;

    // A conflict: both sides changed shared.txt. Everything stays as it was.
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "clash"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    git_in(&wt, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "empty"]);
    std::fs::write(wt.join("shared.txt"), "mine\n").expect("write");
    std::fs::write(wt.join("untracked.txt"), "u\n").expect("write");
    repo.commit_file("shared.txt", "theirs\n", "main changes shared");
    let before_head = git_in(&wt, &["rev-parse", "HEAD"]);
    let main_before = repo.git(&["rev-parse", "main"]);
    for strategy in ["rebase", "merge"] {
        let out =
            s.ok("workspaces.merge", json!({"workspace": "app/clash", "message": "mine", "strategy": strategy})).await;
        assert_eq!(out["conflicts"], json!(["shared.txt"]), "{strategy}: {out}");
        assert!(out["committed"].is_null() && out["pushed"].is_null(), "{out}");
        assert_eq!(git_in(&wt, &["rev-parse", "HEAD"]), before_head, "{strategy}: the commit was undone");
        assert_eq!(std::fs::read_to_string(wt.join("shared.txt")).expect("mine"), "mine\n");
        assert_eq!(std::fs::read_to_string(wt.join("untracked.txt")).expect("u"), "u\n");
        let status = git_in(&wt, &["status", "--porcelain"]);
        assert!(status.contains("M shared.txt") && status.contains("?? untracked.txt"), "{status}");
        assert_eq!(repo.git(&["rev-parse", "main"]), main_before, "main untouched");
        assert!(!wt.join(".git").is_dir());
    }
    // Bad input says what is wrong.
    let (code, msg) = s.err("workspaces.merge", json!({"workspace": "app/clash", "message": "  "})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("needs a commit message"), "{msg}");
    let (code, msg) = s.err("workspaces.merge", json!({"workspace": "app/clash", "strategy": "squash"})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("squash"), "{msg}");
    s.stop().await;
}
