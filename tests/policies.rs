//! Policies with the real agent CLIs on the mock model, through band-server: a refused call is
//! denied before anyone is asked (even in ask mode) and the decision is in the audit, for Claude
//! Code (stream-json) and Gemini CLI (ACP); `canPushGit=false` keeps a local bare remote unchanged
//! whether the push is direct, in a pipeline or in a script file; `maxTurns` stops the chat.

use std::path::Path;
use std::time::Duration;

use band_mockmodel::offline::{self, CLAUDE, Cli, GEMINI};
use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::agents::{Band, new_home};

const PATIENCE: Duration = Duration::from_secs(120);

/// A band whose project `app` has `rules` at the project scope, then a workspace whose chat got
/// `prompt` in `mode`.
async fn start(
    cli: Cli,
    repo: &TestRepo,
    rules: &[&str],
    turns: impl FnOnce(&Path) -> Vec<MockTurn>,
    mode: &str,
) -> (Band, MockModel, i64, std::path::PathBuf) {
    let (home, wt) = new_home();
    let mock = MockModel::start(Scenario::new(turns(&wt))).await;
    offline::configure_band_home(home.path(), &mock);
    let band = Band::start(home).await;
    band.call("projects.add", json!({"path": repo.path()})).await;
    let shown = band.call("policy.set", json!({"project": "app", "set": rules})).await;
    assert_eq!(shown["scope"], "project app", "{shown}");
    let created = band
        .call(
            "workspaces.create",
            json!({"project": "app", "branch": "feat", "prompt": "Go.", "agent": cli.id, "mode": mode}),
        )
        .await;
    let chat = created["chat"]["id"].as_i64().expect("a chat was started");
    (band, mock, chat, wt)
}

async fn refused_calls_are_denied_without_asking_anyone_and_audited(cli: Cli) {
    let repo = TestRepo::named("app");
    let turns = |wt: &Path| {
        vec![cli.write(&wt.join("secret/key.txt"), "nope\n"), cli.shell("echo ran > ran.txt"), MockTurn::text("ok")]
    };
    // Ask mode: anything the policy let through would wait for a person.
    let (band, mock, chat, wt) =
        start(cli, &repo, &["canRunCommands=false", "denyPaths=secret/**"], turns, "ask").await;
    let done = band.wait_status(chat, &["completed", "failed"], PATIENCE).await;
    assert_eq!(done["status"], "completed", "{}: {done}", cli.id);
    assert!(!wt.join("secret/key.txt").exists() && !wt.join("ran.txt").exists(), "{}: a refused call ran", cli.id);
    let events = band.events(chat).await;
    assert!(!events.iter().any(|e| e["type"] == "status" && e["status"] == "waiting"), "{}: someone was asked", cli.id);
    let shown: Vec<&str> =
        events.iter().filter(|e| e["type"] == "error").filter_map(|e| e["message"].as_str()).collect();
    assert!(shown.iter().any(|m| m.starts_with("Denied by policy: denyPaths=secret/** (project app)")), "{shown:?}");
    assert!(shown.contains(&"Denied by policy: canRunCommands=false (project app)"), "{}: {shown:?}", cli.id);
    let audit = band.call("audit.actions", json!({"decider": "policy", "chat": chat})).await;
    let rules: Vec<&str> = audit.as_array().expect("list").iter().filter_map(|a| a["rule"].as_str()).collect();
    assert!(rules.contains(&"canRunCommands=false (project app)"), "{audit:#}");
    assert!(rules.iter().any(|r| r.starts_with("denyPaths=secret/** (project app)")), "{audit:#}");
    let changes = band.call("audit.actions", json!({"kind": "policy_change"})).await;
    assert_eq!(changes.as_array().map(Vec::len), Some(1), "{changes:#}");
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_refused_calls_are_denied_without_asking_anyone_and_audited() {
    refused_calls_are_denied_without_asking_anyone_and_audited(CLAUDE).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gemini_refused_calls_are_denied_without_asking_anyone_and_audited() {
    refused_calls_are_denied_without_asking_anyone_and_audited(GEMINI).await;
}

fn remote_branches(repo: &TestRepo, remote: &Path) -> String {
    repo.git(&["--git-dir", remote.to_str().expect("utf8"), "for-each-ref", "--format=%(refname)"])
}

#[tokio::test(flavor = "multi_thread")]
async fn can_push_git_false_keeps_the_remote_unchanged_direct_in_a_pipeline_and_in_a_script() {
    let repo = TestRepo::named("app");
    let remotes = tempfile::tempdir().expect("tempdir");
    let remote = remotes.path().join("remote.git");
    let r = remote.to_str().expect("utf8");
    repo.git(&["init", "-q", "--bare", r]);
    repo.git(&["remote", "add", "origin", r]);
    repo.git(&["push", "-q", "origin", "HEAD:refs/heads/main"]);
    let before = remote_branches(&repo, &remote);
    let turns = |wt: &Path| {
        vec![
            CLAUDE.write(&wt.join("p.sh"), "git push origin HEAD:refs/heads/pushed-by-script\n"),
            CLAUDE.shell("sh p.sh"),
            CLAUDE.shell("git push origin HEAD:refs/heads/pushed-directly"),
            CLAUDE.shell("echo go | git push origin HEAD:refs/heads/pushed-in-a-pipeline"),
            MockTurn::text("tried"),
        ]
    };
    // Allow-all: only the policy stands between the agent and the remote.
    let (band, mock, chat, _wt) = start(CLAUDE, &repo, &["canPushGit=false"], turns, "allow-all").await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    let events = band.events(chat).await;
    let all = Value::Array(events.clone()).to_string();
    // The script ran (the text of its command names no push) and git itself refused.
    assert!(all.contains("band-policy-canPushGit-false"), "the script's push was not rewritten: {all}");
    let shown: Vec<&str> =
        events.iter().filter(|e| e["type"] == "error").filter_map(|e| e["message"].as_str()).collect();
    assert_eq!(shown.iter().filter(|m| m.starts_with("Denied by policy: canPushGit=false")).count(), 2, "{shown:?}");
    assert_eq!(remote_branches(&repo, &remote), before, "the remote changed");
    band.stop().await;
    mock.stop().await;
    // The remote takes pushes from outside band's processes: the refusal above was the policy's.
    repo.git(&["push", "-q", "origin", "HEAD:refs/heads/control"]);
    assert_ne!(remote_branches(&repo, &remote), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_turns_stops_the_chat_with_the_reason() {
    let repo = TestRepo::named("app");
    let turns = |_: &Path| vec![MockTurn::text("one"), MockTurn::text("two")];
    let (band, mock, chat, _wt) = start(CLAUDE, &repo, &["maxTurns=1"], turns, "ask").await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    let refused = band.client.call_raw("chats.send", json!({"chat": chat, "message": "again"})).await;
    let message = refused.expect_err("over maxTurns").to_string();
    assert!(message.contains("maxTurns=1 (project app)"), "{message}");
    let audit = band.call("audit.actions", json!({"kind": "turn_refused"})).await;
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit:#}");
    band.call("policy.set", json!({"project": "app", "set": ["maxTurns=2"]})).await;
    band.call("chats.send", json!({"chat": chat, "message": "again"})).await;
    band.wait_status(chat, &["completed"], PATIENCE).await;
    band.stop().await;
    mock.stop().await;
}
