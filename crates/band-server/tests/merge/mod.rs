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

fn commit_all(dir: &Path, message: &str) {
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message]);
}

/// Without a message, the commit's is drafted from the workspace's chats: their names, which a
/// chat takes from its first prompt; with no chat, the branch says it.
#[tokio::test]
async fn merge_drafts_the_commit_message_from_the_chats_when_none_is_given() {
    use band_core::ports::AgentEvent;
    let fake = band_testkit::agent::FakeRuntime::new(band_core::AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(tempfile::tempdir().expect("tempdir"), Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;

    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "login"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    let chat = s.ok("chats.create", json!({"workspace": "app/login"})).await["id"].as_i64().expect("id");
    // A chat never prompted keeps its agent's name: it says nothing of the work.
    s.ok("chats.create", json!({"workspace": "app/login"})).await;
    s.ok("chats.send", json!({"chat": chat, "message": "Add the login page\nwith a form and a button"})).await;
    fake.last().emit(AgentEvent::TurnEnded { stop_reason: band_core::StopReason::EndTurn, usage: None }).await;
    s.ok("chats.create", json!({"workspace": "app/login", "name": "Tidy the styles"})).await;
    std::fs::write(wt.join("login.html"), "<form></form>\n").expect("write");
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/login"})).await;
    let drafted = "login: Add the login page; Tidy the styles";
    assert_eq!(merged["message"], drafted, "{merged}");
    assert!(merged["committed"].is_string(), "{merged}");
    assert_eq!(git_in(&wt, &["log", "-1", "--format=%B"]), drafted);
    assert_eq!(repo.git(&["log", "-1", "--format=%s", "main"]), drafted, "the base moved to it");

    // No chat saying anything (one never prompted): the branch names the work.
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "quiet"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    let untitled = s.ok("chats.create", json!({"workspace": "app/quiet"})).await;
    assert_eq!(untitled["name"], "claude-code", "{untitled}");
    std::fs::write(wt.join("quiet.txt"), "q\n").expect("write");
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/quiet"})).await;
    assert_eq!(merged["message"], "quiet: work from band", "{merged}");
    assert_eq!(git_in(&wt, &["log", "-1", "--format=%s"]), "quiet: work from band");
    s.stop().await;
}

/// `strategy: merge` takes the base in with a merge commit (the branch's own commits kept as
/// they were, not rebased); the base then fast-forwards to it and the branch is pushed.
#[tokio::test]
async fn merge_strategy_merge_makes_a_merge_commit_and_keeps_the_branch_commits() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    std::fs::write(wt.join("one.txt"), "1\n").expect("write");
    commit_all(&wt, "one");
    let mine = git_in(&wt, &["rev-parse", "HEAD"]);
    std::fs::write(wt.join("two.txt"), "2\n").expect("write");
    repo.commit_file("other.txt", "main moved\n", "main moves on");
    let main_before = repo.git(&["rev-parse", "main"]);

    let merged =
        s.ok("workspaces.merge", json!({"workspace": "app/feat", "message": "two", "strategy": "merge"})).await;
    assert_eq!(merged["conflicts"], json!([]), "{merged}");
    let head = merged["head"].as_str().expect("head").to_owned();
    // HEAD is a merge of the workspace's commit 'two' and main as it was; 'one' is unchanged.
    let parents = git_in(&wt, &["rev-list", "--parents", "-n", "1", "HEAD"]);
    let parents: Vec<&str> = parents.split(' ').skip(1).collect();
    assert_eq!(parents.len(), 2, "a merge commit: {parents:?}");
    assert_eq!(parents[1], main_before);
    assert_eq!(git_in(&wt, &["log", "-1", "--format=%s", parents[0]]), "two");
    assert_eq!(merged["committed"].as_str(), Some(parents[0]));
    assert_eq!(git_in(&wt, &["rev-parse", "HEAD~1~1"]), mine, "not rebased: 'one' keeps its id");
    assert!(wt.join("other.txt").is_file() && wt.join("two.txt").is_file());
    assert_eq!(git_in(&wt, &["status", "--porcelain"]), "");
    // The base fast-forwarded to the merge in the checkout; the branch pushed.
    assert_eq!(merged["baseMoved"], "'main' fast-forwarded in the project's checkout", "{merged}");
    assert_eq!(repo.git(&["rev-parse", "main"]), head);
    assert!(repo.path().join("two.txt").is_file());
    assert_eq!(
        (merged["pushed"].clone(), git_in(bare.path(), &["rev-parse", "refs/heads/feat"])),
        (json!("origin"), head)
    );
    s.stop().await;
}

/// The base moves forward only when that is safe: the project's checkout holding it with
/// uncommitted changes, or an untracked file the merge would overwrite, or another worktree
/// holding it, leave it as it is (and say why); the branch is still merged and pushed. When no
/// checkout holds it (the checkout is on another branch), only the ref moves.
#[tokio::test]
async fn merge_leaves_the_base_alone_when_moving_it_is_not_safe() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("shared.txt", "one\n", "shared");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
    let workspace = |branch: &'static str| {
        let s = &s;
        async move {
            let created = s.ok("workspaces.create", json!({"project": "app", "branch": branch})).await;
            let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
            std::fs::write(wt.join(format!("{branch}.txt")), format!("{branch}\n")).expect("write");
            wt
        }
    };

    // 1. The checkout is on main with an uncommitted change to a tracked file.
    let wt = workspace("dirty").await;
    std::fs::write(repo.path().join("shared.txt"), "local edit\n").expect("write");
    let main_before = repo.git(&["rev-parse", "main"]);
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/dirty", "message": "dirty"})).await;
    assert!(merged["baseMoved"].is_null(), "{merged}");
    assert_eq!(
        merged["baseKeptBecause"],
        "'main' is checked out in the project's checkout, which has uncommitted changes; left as it is"
    );
    assert_eq!(repo.git(&["rev-parse", "main"]), main_before, "main untouched");
    assert_eq!(std::fs::read_to_string(repo.path().join("shared.txt")).expect("edit"), "local edit\n");
    assert!(!repo.path().join("dirty.txt").exists());
    assert_eq!(merged["pushed"], "origin", "the branch is still pushed: {merged}");
    assert_eq!(git_in(bare.path(), &["rev-parse", "refs/heads/dirty"]), git_in(&wt, &["rev-parse", "HEAD"]));
    repo.git(&["checkout", "-q", "--", "shared.txt"]);

    // 2. An untracked file in the checkout that the fast-forward would overwrite.
    workspace("clash").await;
    std::fs::write(repo.path().join("clash.txt"), "mine, untracked\n").expect("write");
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/clash", "message": "clash"})).await;
    assert!(merged["baseMoved"].is_null(), "{merged}");
    let why = merged["baseKeptBecause"].as_str().expect("why");
    assert!(why.starts_with("fast-forwarding the checkout failed"), "{why}");
    assert_eq!(repo.git(&["rev-parse", "main"]), main_before, "main untouched");
    assert_eq!(std::fs::read_to_string(repo.path().join("clash.txt")).expect("kept"), "mine, untracked\n");
    std::fs::remove_file(repo.path().join("clash.txt")).expect("rm");

    // 3. main is checked out in another worktree (not band's).
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let other = elsewhere.path().join("main-wt");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.git(&["worktree", "add", "-q", other.to_str().expect("utf-8"), "main"]);
    workspace("held").await;
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/held", "message": "held"})).await;
    assert!(merged["baseMoved"].is_null(), "{merged}");
    let why = merged["baseKeptBecause"].as_str().expect("why");
    assert!(
        why.starts_with("'main' is checked out in another worktree (") && why.ends_with("; left as it is"),
        "{why}"
    );
    assert_eq!(repo.git(&["rev-parse", "main"]), main_before, "main untouched");
    assert!(!other.join("held.txt").exists());
    repo.git(&["worktree", "remove", other.to_str().expect("utf-8")]);

    // 4. No checkout holds main (the project's is on 'side'): the ref moves, no file does.
    let wt = workspace("free").await;
    let merged = s.ok("workspaces.merge", json!({"workspace": "app/free", "message": "free"})).await;
    let head = git_in(&wt, &["rev-parse", "HEAD"]);
    assert_eq!(merged["baseMoved"], format!("'main' moved to {}", &head[..12]), "{merged}");
    assert_eq!(repo.git(&["rev-parse", "main"]), head);
    assert_eq!(repo.git(&["branch", "--show-current"]), "side");
    assert!(!repo.path().join("free.txt").exists(), "the checkout's files are untouched");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    s.stop().await;
}
