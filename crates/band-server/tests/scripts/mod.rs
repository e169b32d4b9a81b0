//! A project's configuration and scripts through the real server: `.band/config.json` in a real
//! repository, scripts run by the real `/bin/sh` through band-process, their output on
//! `workspaces.subscribe`. Scripts run only once approved, and again only after a new approval
//! when they change (SECURITY.md 23).

use std::path::{Path, PathBuf};
use std::time::Duration;

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use super::support::{TestServer, Ws, next_json, subscribe};
use super::{CONFLICT, INVALID, REFUSED};

fn config(repo: &TestRepo, text: &str) {
    std::fs::create_dir_all(repo.path().join(".band")).expect("mkdir .band");
    std::fs::write(repo.path().join(".band/config.json"), text).expect("write config");
}

async fn project(s: &TestServer, repo: &TestRepo) {
    s.ok("projects.add", json!({"path": repo.path(), "name": "app"})).await;
}

/// Waits for the run's end (`workspaces.scripts`), at most 20 s.
async fn ended(s: &TestServer, workspace: &str, run: i64) -> Value {
    for _ in 0..400 {
        let runs = s.ok("workspaces.scripts", json!({"workspace": workspace})).await;
        if let Some(r) = runs.as_array().and_then(|a| a.iter().find(|r| r["id"] == run))
            && r["status"] != "running"
        {
            return r.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("run {run} of {workspace} did not end");
}

/// The next `workspaces.notice` whose type is `kind`.
async fn notice(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let n = next_json(ws).await;
        if n["params"]["result"]["type"] == kind {
            return n["params"]["result"].clone();
        }
    }
}

#[tokio::test]
async fn scripts_run_only_once_approved_and_are_asked_for_again_after_a_change() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let marker = tempfile::tempdir().expect("tempdir");
    let ran = marker.path().join("ran");
    config(
        &repo,
        &json!({
            "setup": format!("echo \"setup in $PWD on $BAND_BRANCH\"; echo setup >> '{}'", ran.display()),
            "teardown": format!("echo teardown >> '{}'", ran.display()),
        })
        .to_string(),
    );
    project(&s, &repo).await;

    // Not approved: the workspace is made, nothing runs, and it says why.
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "a"})).await;
    let setup = &created["setup"];
    assert_eq!(setup["state"], "not_trusted", "{created}");
    assert!(setup["notice"].as_str().unwrap_or_default().contains("has not approved its scripts"), "{setup}");
    assert_eq!(setup["fix"], json!({"type": "approve_scripts", "project": "app"}));
    let hash = setup["scriptsHash"].as_str().expect("hash").to_owned();
    assert_eq!(hash.len(), 64);
    assert!(PathBuf::from(created["path"].as_str().expect("path")).join("README.md").is_file(), "usable");
    let (code, msg, data) = s.err_data("workspaces.setup", json!({"workspace": "app/a"})).await;
    assert_eq!(code, REFUSED);
    assert!(msg.contains("are not approved") && msg.contains("approve them with projects.trust"), "{msg}");
    assert_eq!(data["fix"]["type"], "approve_scripts");

    // projects.config shows the scripts and their hash; a wrong hash approves nothing.
    let shown = s.ok("projects.config", json!({"name": "app"})).await;
    assert_eq!((shown["source"].clone(), shown["trusted"].clone()), (json!("repository"), json!(false)));
    assert_eq!(shown["scriptsHash"], hash.as_str());
    assert!(shown["setup"].as_str().unwrap_or_default().contains("echo setup"));
    let (code, msg) = s.err("projects.trust", json!({"project": "app", "hash": "0".repeat(64)})).await;
    assert_eq!(code, CONFLICT);
    assert!(msg.contains("changed since they were shown"), "{msg}");

    // Approved: the next workspace runs its setup, in the worktree, with band's variables.
    let trusted = s.ok("projects.trust", json!({"project": "app", "hash": hash})).await;
    assert_eq!(trusted["trusted"], true);
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "b"})).await;
    assert_eq!(created["setup"]["state"], "started", "{created}");
    let run = created["setup"]["run"]["id"].as_i64().expect("run");
    let done = ended(&s, "app/b", run).await;
    assert_eq!((done["status"].clone(), done["exitCode"].clone()), (json!("succeeded"), json!(0)), "{done}");
    let b_path = created["path"].as_str().expect("path");
    assert_eq!(done["output"], format!("setup in {b_path} on b\n"));
    // And it can be run again for the first workspace, now approved.
    let again = s.ok("workspaces.setup", json!({"workspace": "app/a"})).await;
    ended(&s, "app/a", again["id"].as_i64().expect("id")).await;
    assert_eq!(std::fs::read_to_string(&ran).expect("ran"), "setup\nsetup\n");

    // The teardown runs before the worktree goes.
    let removed = s.ok("workspaces.remove", json!({"workspace": "app/b"})).await;
    assert_eq!(removed["teardown"]["state"], "ran", "{removed}");
    assert_eq!(removed["teardown"]["run"]["status"], "succeeded");
    assert_eq!(std::fs::read_to_string(&ran).expect("ran"), "setup\nsetup\nteardown\n");

    // A change to a script asks again: nothing runs until the new hash is approved.
    config(&repo, &json!({"setup": format!("echo changed >> '{}'", ran.display()), "teardown": "true"}).to_string());
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "c"})).await;
    assert_eq!(created["setup"]["state"], "not_trusted");
    let new_hash = created["setup"]["scriptsHash"].as_str().expect("hash").to_owned();
    assert_ne!(new_hash, hash);
    let removed = s.ok("workspaces.remove", json!({"workspace": "app/c"})).await;
    assert_eq!(removed["teardown"]["state"], "not_trusted", "{removed}");
    assert!(!std::fs::read_to_string(&ran).expect("ran").contains("changed"), "an unapproved script ran");
    // Going back to the approved content is approved again; untrust withdraws it.
    s.ok("projects.untrust", json!({"name": "app"})).await;
    let view = s.ok("projects.config", json!({"name": "app"})).await;
    assert_eq!(view["trusted"], false);
    s.stop().await;
}

#[tokio::test]
async fn setup_output_streams_live_a_failure_is_shown_and_the_workspace_stays_usable() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    config(&repo, r#"{"setup": "echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; exit 3"}"#);
    project(&s, &repo).await;
    let hash = s.ok("projects.config", json!({"name": "app"})).await["scriptsHash"].as_str().expect("h").to_owned();
    s.ok("projects.trust", json!({"project": "app", "hash": hash})).await;
    let mut ws = subscribe(&s, "workspaces.subscribe", json!({})).await;

    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "x"})).await;
    let run = created["setup"]["run"]["id"].as_i64().expect("run");
    let started = notice(&mut ws, "script_run").await;
    assert_eq!((started["run"]["id"].as_i64(), started["run"]["status"].clone()), (Some(run), json!("running")));
    // The output arrives piece by piece, each with its offset, before the end.
    let mut text = String::new();
    let end = loop {
        let n = next_json(&mut ws).await["params"]["result"].clone();
        match n["type"].as_str() {
            Some("script_output") => {
                assert_eq!(n["runId"].as_i64(), Some(run));
                assert_eq!(n["offset"].as_u64(), Some(text.len() as u64), "no gap, no overlap");
                text.push_str(n["text"].as_str().unwrap_or_default());
            }
            Some("script_run") if n["run"]["status"] != "running" => break n["run"].clone(),
            _ => {}
        }
    };
    assert_eq!(text, "one\ntwo\nthree\n");
    assert_eq!((end["status"].clone(), end["exitCode"].clone()), (json!("failed"), json!(3)));
    assert_eq!(end["error"], "it exited with code 3");
    assert_eq!(end["output"], "one\ntwo\nthree\n", "kept");
    // Kept, and the workspace works as any other.
    let runs = s.ok("workspaces.scripts", json!({"workspace": "app/x"})).await;
    assert_eq!(runs[0]["output"], "one\ntwo\nthree\n");
    let status = s.ok("workspaces.status", json!({"workspace": "app/x"})).await;
    assert_eq!(status["dirty"], false);
    s.ok("chats.create", json!({"workspace": "app/x"})).await;
    s.stop().await;
}

#[tokio::test]
async fn a_script_past_its_timeout_is_stopped_with_everything_it_started() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    // A sleep no other test runs: in its group, and one that left it with setsid.
    let tag = format!("300.{}", std::process::id());
    config(
        &repo,
        &json!({"setup": format!("sleep {tag} & setsid sleep {tag} & echo started; wait"), "scriptTimeoutSeconds": 1})
            .to_string(),
    );
    project(&s, &repo).await;
    let hash = s.ok("projects.config", json!({"name": "app"})).await["scriptsHash"].as_str().expect("h").to_owned();
    s.ok("projects.trust", json!({"project": "app", "hash": hash})).await;
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "slow"})).await;
    let run = created["setup"]["run"]["id"].as_i64().expect("run");
    let done = ended(&s, "app/slow", run).await;
    assert_eq!(done["status"], "timed-out", "{done}");
    assert_eq!(done["output"], "started\n");
    let left = band_testkit::procs::running(&format!("sleep {tag}"));
    assert!(left.is_empty(), "processes a script started outlived it: {left:?}");
    s.stop().await;
}

#[tokio::test]
async fn copy_files_and_worktreeinclude_bring_gitignored_files_into_new_worktrees() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file(".gitignore", ".env\n.env.*\n", "ignore env files");
    repo.commit_file(".worktreeinclude", ".env.*\n", "bring local env files");
    config(&repo, r#"{"copyFiles": [".env"]}"#);
    std::fs::write(repo.path().join(".env"), "API_KEY=local\n").expect(".env");
    std::fs::write(repo.path().join(".env.test"), "TEST=1\n").expect(".env.test");
    project(&s, &repo).await;
    let created = s.ok("workspaces.create", json!({"project": "app", "branch": "x"})).await;
    let mut copied: Vec<String> = created["setup"]["copied"]
        .as_array()
        .expect("copied")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    copied.sort();
    assert_eq!(copied, [".env", ".env.test"], "{created}");
    // No script, nothing to approve: the state says so.
    assert_eq!(created["setup"]["state"], "none");
    let wt = Path::new(created["path"].as_str().expect("path"));
    assert_eq!(std::fs::read_to_string(wt.join(".env")).expect(".env"), "API_KEY=local\n");
    s.stop().await;
}

#[tokio::test]
async fn a_bad_configuration_is_a_clear_error_and_the_workspace_is_made_without_it() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    project(&s, &repo).await;
    for (text, why) in [
        ("{\"setup\": \"make\",", "is not valid JSON"),
        (r#"{"setup": "make", "postCreate": "x"}"#, "unknown key 'postCreate'; the keys are: setup, teardown"),
        (r#"{"copyFiles": ["../secrets/.env"]}"#, "'..' would leave the repository"),
        (r#"{"copyFiles": ["/etc/passwd"]}"#, "is absolute"),
    ] {
        config(&repo, text);
        let view = s.ok("projects.config", json!({"name": "app"})).await;
        let error = view["error"].as_str().unwrap_or_default();
        assert!(error.contains(".band/config.json") && error.contains(why), "{text}: {view}");
        let branch = format!("b{}", text.len());
        let created = s.ok("workspaces.create", json!({"project": "app", "branch": branch})).await;
        assert_eq!(created["setup"]["state"], "invalid_config", "{text}: {created}");
        let notice = created["setup"]["notice"].as_str().unwrap_or_default();
        assert!(notice.contains("made without the project's configuration") && notice.contains(why), "{notice}");
        assert!(Path::new(created["path"].as_str().expect("path")).join("README.md").is_file());
        // Nothing to approve in a configuration band cannot read.
        let (code, msg) = s.err("projects.trust", json!({"project": "app", "hash": "x"})).await;
        assert_eq!(code, INVALID);
        assert!(msg.contains("invalid configuration"), "{msg}");
    }
    // An override is checked before it is kept, and it wins over the file.
    let (code, msg) =
        s.err("projects.config.set", json!({"project": "app", "config": {"setup": "x", "teardwn": "y"}})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("unknown key 'teardwn'"), "{msg}");
    let view = s.ok("projects.config.set", json!({"project": "app", "config": {"setup": "echo override"}})).await;
    assert_eq!((view["source"].clone(), view["setup"].clone()), (json!("override"), json!("echo override")));
    assert!(view["error"].is_null());
    config(&repo, r#"{"copyFiles": [".env"]}"#);
    let view = s.ok("projects.config.set", json!({"project": "app", "config": null})).await;
    assert_eq!(view["source"], "repository");
    s.stop().await;
}
