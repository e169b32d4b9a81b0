//! Pull requests through the real server, a real repository with a local bare remote, and a
//! stand-in `gh` (GitHub cannot be reached): create (the branch pushed first, title and body
//! drafted from the chat), status with checks, list, a workspace from a PR URL (its branch
//! fetched) or number, a URL of another repository refused, gh not installed, gh signed out.

use std::path::Path;

use band_core::AgentProtocol;
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use band_testkit::gh::FakeGh;
use serde_json::json;

use crate::support::TestServer;
use crate::{INVALID, REFUSED};

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn home_with_gh(gh: &Path) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(home.path().join("settings.json"), json!({"ghBinary": gh}).to_string()).expect("settings");
    home
}

#[tokio::test]
async fn pull_requests_are_created_shown_listed_and_opened_as_workspaces_through_gh() {
    let gh = FakeGh::new();
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(home_with_gh(&gh.path()), Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    let bare = tempfile::tempdir().expect("tempdir");
    git_in(bare.path(), &["init", "-q", "--bare"]);
    repo.git(&["remote", "add", "origin", bare.path().to_str().expect("utf-8")]);
    repo.git(&["push", "-q", "origin", "main"]);
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let wt = ws["path"].as_str().expect("path").to_owned();
    std::fs::write(Path::new(&wt).join("hello.txt"), "hello\n").expect("write");
    git_in(Path::new(&wt), &["add", "."]);
    git_in(Path::new(&wt), &["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "Add hello"]);
    let chat = s.ok("chats.create", json!({"workspace": "app/feat"})).await["id"].as_i64().expect("id");
    s.ok("chats.send", json!({"chat": chat, "message": "Add a greeting file"})).await;

    // Create: gh says the branch has none; the branch is pushed, the PR drafted from the chat.
    gh.respond("pr-view-feat", 1, "", "no pull requests found for branch \"feat\"\n");
    gh.respond(
        "pr-create",
        0,
        "https://github.com/acme/app/pull/1\n",
        "\nCreating pull request for feat into main in acme/app\n\n",
    );
    let draft = s.ok("workspaces.pr.draft", json!({"workspace": "app/feat"})).await;
    assert_eq!(draft["title"], "Add a greeting file");
    assert!(draft["body"].as_str().expect("body").contains("- Add a greeting file"), "{draft}");
    let made = s.ok("workspaces.pr", json!({"workspace": "app/feat"})).await;
    assert_eq!((made["created"].as_bool(), made["pull"]["number"].as_u64()), (Some(true), Some(1)), "{made}");
    assert_eq!(made["pushedTo"], "origin");
    assert_eq!(
        git_in(bare.path(), &["rev-parse", "refs/heads/feat"]),
        git_in(Path::new(&wt), &["rev-parse", "HEAD"]),
        "pushed first"
    );
    let create = gh.calls().into_iter().find(|c| c[..2] == ["pr", "create"]).expect("gh pr create");
    assert_eq!(&create[..8], ["pr", "create", "--head", "feat", "--base", "main", "--title", "Add a greeting file"]);
    assert_eq!(create[8], "--body");
    assert!(create[9].contains("Add a greeting file"), "{create:?}");

    // Status and checks, as gh pr view --json prints them.
    gh.respond("pr-view-feat", 0, &FakeGh::pr_json(1, "feat", "main", "Add a greeting file", "OPEN"), "");
    let status = s.ok("workspaces.pr.status", json!({"workspace": "app/feat"})).await;
    assert_eq!(status["pull"]["state"], "open");
    assert_eq!(
        status["pull"]["checks"],
        json!([{"name": "build", "outcome": "passed"}, {"name": "ci/lint", "outcome": "pending"}])
    );
    let view = gh.calls().into_iter().rfind(|c| c[..2] == ["pr", "view"]).expect("gh pr view");
    assert_eq!(
        view,
        [
            "pr",
            "view",
            "--json",
            "number,url,title,state,isDraft,headRefName,baseRefName,statusCheckRollup",
            "--",
            "feat"
        ]
    );
    // Asked again: the open one comes back, nothing new is created.
    let again = s.ok("workspaces.pr", json!({"workspace": "app/feat", "title": "Other"})).await;
    assert_eq!(again["created"], false);
    assert_eq!(gh.calls().iter().filter(|c| c[..2] == ["pr", "create"]).count(), 1);

    // The project's open PRs.
    let list = format!(
        "[{},{}]\n",
        FakeGh::pr_json(2, "fix-typo", "main", "Fix a typo", "OPEN"),
        FakeGh::pr_json(1, "feat", "main", "Add a greeting file", "OPEN")
    );
    gh.respond("pr-list", 0, &list, "");
    let prs = s.ok("projects.prs", json!({"name": "app"})).await;
    assert_eq!(
        prs.as_array().map(|a| a.iter().map(|p| p["head"].as_str().unwrap_or("")).collect::<Vec<_>>()),
        Some(vec!["fix-typo", "feat"])
    );
    assert!(gh.calls().iter().any(|c| c[..4] == ["pr", "list", "--state", "open"]));

    // A workspace from a PR URL: its branch fetched from refs/pull/2/head.
    let tip = git_in(bare.path(), &["rev-parse", "refs/heads/feat"]);
    git_in(bare.path(), &["update-ref", "refs/pull/2/head", &tip]);
    gh.respond("repo-view", 0, "{\"nameWithOwner\":\"acme/app\"}\n", "");
    gh.respond("pr-view-2", 0, &FakeGh::pr_json(2, "fix-typo", "main", "Fix a typo", "OPEN"), "");
    let from_url =
        s.ok("workspaces.create", json!({"project": "app", "pr": "https://github.com/acme/app/pull/2"})).await;
    assert_eq!(
        (from_url["branch"].as_str(), from_url["created"].as_bool()),
        (Some("fix-typo"), Some(true)),
        "{from_url}"
    );
    assert_eq!(repo.git(&["rev-parse", "refs/heads/fix-typo"]), tip);
    let by_number = s.ok("workspaces.create", json!({"project": "app", "pr": "#2"})).await;
    assert_eq!((by_number["id"].clone(), by_number["created"].as_bool()), (from_url["id"].clone(), Some(false)));

    // Bad input: another repository's PR, something that is no PR, an unknown number.
    let (code, msg) =
        s.err("workspaces.create", json!({"project": "app", "pr": "https://github.com/evil/other/pull/2"})).await;
    assert_eq!(
        (code, msg.contains("is a pull request of evil/other, but project 'app' is acme/app")),
        (INVALID, true),
        "{msg}"
    );
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "pr": "pull two"})).await;
    assert_eq!((code, msg.contains("is not a pull request")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "pr": "2", "branch": "x"})).await;
    assert_eq!((code, msg.contains("give no branch, base or direct with pr")), (INVALID, true), "{msg}");
    gh.respond(
        "pr-view-9",
        1,
        "",
        "GraphQL: Could not resolve to a PullRequest with the number of 9. (repository.pullRequest)\n",
    );
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "pr": "9"})).await;
    assert_eq!((code, msg.as_str()), (crate::NOT_FOUND, "no pull request #9"), "{msg}");

    // Signed out: what to run.
    gh.sign_out(true);
    let (code, msg) = s.err("workspaces.pr.status", json!({"workspace": "app/feat"})).await;
    assert_eq!(
        (code, msg.as_str()),
        (
            REFUSED,
            "the GitHub CLI (gh) is not signed in to GitHub; sign it in on band-server's machine: run `gh auth login`"
        )
    );
    s.stop().await;

    // Not installed: what to install, and nothing pushed or run.
    let s = TestServer::start_in(home_with_gh(Path::new("/nonexistent/band-test/gh"))).await;
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let (code, msg) = s.err("projects.prs", json!({"name": "app"})).await;
    assert_eq!(
        (code, msg.as_str()),
        (
            REFUSED,
            "the GitHub CLI (gh) is not installed on band-server's machine; install it on band-server's machine (https://cli.github.com), then run `gh auth login`"
        )
    );
    s.stop().await;
}
