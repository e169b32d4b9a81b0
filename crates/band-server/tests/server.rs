//! band-server driven for real: in-process from a listener and as a process, with real git
//! repositories and a real SQLite file, over raw HTTP JSON-RPC and WebSocket.

mod browser;
mod chat_streams;
mod devices;
mod direct;
mod files;
mod layouts;
mod lifecycle;
mod limits;
mod merge;
mod pulls;
mod races;
mod reviews;
mod scripts;
mod security;
mod support;
mod terminals;
mod tunnel;
mod watch;
mod webhooks;

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};
use support::{TestServer, exists, raw_http, websocket, ws_call};

const NOT_FOUND: i64 = -32001;
const CONFLICT: i64 = -32002;
const REFUSED: i64 = -32003;
const INVALID: i64 = -32602;

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}

#[tokio::test]
async fn the_whole_spine_over_http_json_rpc() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("src/main.rs", "fn main() {}\n", "Add main");

    // Projects.
    let p = s.ok("projects.add", json!({"path": repo.path()})).await;
    assert_eq!(p["name"], "app");
    assert_eq!(p["defaultBranch"], "main");
    assert_eq!(p["path"], repo.path().to_str().expect("utf8"));
    let list = s.ok("projects.list", json!({})).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));

    // A workspace is a worktree under <worktreesDir>/<project>/<branch>, on a new branch.
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "feat/login"})).await;
    let expected = s.worktrees().join("app").join("feat/login");
    assert_eq!(ws["path"], expected.to_str().expect("utf8"));
    assert_eq!(
        (ws["created"].clone(), ws["branch"].clone(), ws["base"].clone()),
        (json!(true), json!("feat/login"), json!("main"))
    );
    assert!(expected.join("src/main.rs").is_file());
    assert_eq!(repo.git(&["-C", expected.to_str().expect("utf8"), "branch", "--show-current"]), "feat/login");

    // Idempotent.
    let again = s.ok("workspaces.create", json!({"project": "app", "branch": "feat/login"})).await;
    assert_eq!((again["id"].clone(), again["created"].clone()), (ws["id"].clone(), json!(false)));

    // Found by id, by project/branch, by branch, by a path inside it.
    let id = ws["id"].as_i64().expect("id");
    for selector in [json!(id.to_string()), json!("app/feat/login"), json!("feat/login"), json!(expected.join("src"))] {
        let got = s.ok("workspaces.get", json!({"workspace": selector})).await;
        assert_eq!(got["id"], id, "{selector}");
    }
    let listed = s.ok("workspaces.list", json!({"project": "app"})).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // Status and diff see committed, modified and untracked work.
    let status = s.ok("workspaces.status", json!({"workspace": id.to_string()})).await;
    assert_eq!((status["dirty"].clone(), status["ahead"].clone()), (json!(false), json!(0)));
    write(&expected.join("src/main.rs"), "fn main() { println!(\"hi\"); }\n");
    write(&expected.join("notes.txt"), "new file\n");
    let status = s.ok("workspaces.status", json!({"workspace": "app/feat/login"})).await;
    let changes: Vec<(String, String)> = status["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["path"].as_str().unwrap_or_default().into(), c["kind"].as_str().unwrap_or_default().into()))
        .collect();
    assert_eq!(changes, vec![("notes.txt".into(), "untracked".into()), ("src/main.rs".into(), "modified".into())]);
    let diff = s.ok("workspaces.diff", json!({"workspace": "app/feat/login"})).await;
    let patch = diff["patch"].as_str().expect("patch");
    assert!(patch.contains("diff --git a/src/main.rs b/src/main.rs"), "{patch}");
    assert!(patch.contains("+fn main() { println!(\"hi\"); }"), "{patch}");
    assert!(patch.contains("diff --git a/notes.txt b/notes.txt") && patch.contains("+new file"), "{patch}");

    // Removing refuses to lose uncommitted work...
    let (code, msg, data) = s.err_data("workspaces.remove", json!({"workspace": "app/feat/login"})).await;
    assert_eq!(code, REFUSED);
    assert!(msg.contains("2 uncommitted change(s)") && msg.contains("call again with force: true"), "{msg}");
    // The same as data, for each client to word the fix its own way (the CLI's --force, the
    // dashboard's button).
    assert_eq!(data["kind"], "refused");
    assert_eq!(data["what"], "workspace 'app/feat/login' has 2 uncommitted change(s) (notes.txt, src/main.rs)");
    assert_eq!(data["fix"], json!({"type": "commit_or_force"}));
    assert!(expected.join("notes.txt").is_file(), "nothing was removed");

    // ...and unmerged commits.
    let wt = expected.to_str().expect("utf8");
    repo.git(&["-C", wt, "add", "-A"]);
    repo.git(&["-C", wt, "commit", "-q", "-m", "Work"]);
    let status = s.ok("workspaces.status", json!({"workspace": id.to_string()})).await;
    assert_eq!((status["dirty"].clone(), status["ahead"].clone()), (json!(false), json!(1)));
    let (code, msg) = s.err("workspaces.remove", json!({"workspace": id.to_string()})).await;
    assert_eq!(code, REFUSED);
    assert!(msg.contains("1 commit(s) not in 'main'"), "{msg}");
    assert!(expected.is_dir());

    // Forced: the worktree goes, the branch with its commit stays.
    let removed = s.ok("workspaces.remove", json!({"workspace": id.to_string(), "force": true})).await;
    assert_eq!(removed["branchDeleted"], false);
    assert!(removed["branchKeptBecause"].as_str().unwrap_or_default().contains("1 commit(s)"));
    assert!(!exists(&expected));
    assert!(repo.git(&["branch", "--list", "feat/login"]).contains("feat/login"), "the work is kept");
    assert_eq!(s.ok("workspaces.list", json!({})).await, json!([]));

    // A clean, merged workspace is removed with its branch.
    s.ok("workspaces.create", json!({"project": "app", "branch": "tidy"})).await;
    let removed = s.ok("workspaces.remove", json!({"workspace": "app/tidy"})).await;
    assert_eq!(removed["branchDeleted"], true);
    assert_eq!(repo.git(&["branch", "--list", "tidy"]), "");

    // Removing the project never touches the repository.
    let gone = s.ok("projects.remove", json!({"name": "app"})).await;
    assert_eq!(gone["name"], "app");
    assert!(repo.path().join(".git").is_dir() && repo.path().join("src/main.rs").is_file());
    assert_eq!(s.ok("projects.list", json!({})).await, json!([]));
    s.stop().await;
}

#[tokio::test]
async fn workspaces_start_from_a_given_base_or_an_existing_branch() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("lib");
    repo.git(&["branch", "release"]);
    repo.commit_file("later.txt", "later\n", "On main after release was cut");
    s.ok("projects.add", json!({"path": repo.path(), "name": "lib"})).await;

    let ws = s.ok("workspaces.create", json!({"project": "lib", "branch": "hotfix", "base": "release"})).await;
    let path = std::path::PathBuf::from(ws["path"].as_str().expect("path"));
    assert!(!path.join("later.txt").exists(), "started from release, not main");
    assert_eq!(ws["base"], "release");

    // An existing branch is checked out as it is, and not deleted on removal.
    let ws = s.ok("workspaces.create", json!({"project": "lib", "branch": "release"})).await;
    assert_eq!(ws["branchCreated"], false);
    let removed = s.ok("workspaces.remove", json!({"workspace": "lib/release"})).await;
    assert_eq!(removed["branchDeleted"], false);
    assert!(repo.git(&["branch", "--list", "release"]).contains("release"));
    s.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let plain = tempfile::tempdir().expect("tempdir");

    let (code, msg) = s.err("projects.add", json!({"path": plain.path()})).await;
    assert_eq!(code, INVALID);
    assert!(msg.contains("is not a git repository"), "{msg}");
    let (code, msg) = s.err("projects.add", json!({"path": "relative/dir"})).await;
    assert_eq!((code, msg.contains("must be absolute")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("projects.add", json!({"path": repo.path(), "name": "../evil"})).await;
    assert_eq!((code, msg.contains("invalid project name")), (INVALID, true), "{msg}");
    assert_eq!(s.ok("projects.list", json!({})).await, json!([]));

    s.ok("projects.add", json!({"path": repo.path()})).await;
    let (code, msg) = s.err("projects.add", json!({"path": repo.path(), "name": "other"})).await;
    assert_eq!(code, CONFLICT);
    assert!(msg.contains("already registered as project 'app'"), "{msg}");
    let second = TestRepo::named("app");
    let (code, msg) = s.err("projects.add", json!({"path": second.path()})).await;
    assert_eq!(code, CONFLICT);
    assert_eq!(msg, "a project named 'app' already exists; choose another with the name param");
    assert_eq!(s.ok("projects.list", json!({})).await.as_array().map(Vec::len), Some(1));

    for (branch, why) in [
        ("--upload-pack=x", "may not start with '-'"),
        ("a..b", "'..' is not allowed"),
        ("$(id)", "'$' is not allowed"),
        ("a b", "' ' is not allowed"),
        ("x.lock", "'.lock'"),
    ] {
        let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": branch})).await;
        assert_eq!(code, INVALID, "{branch}");
        assert!(msg.contains(why), "{branch}: {msg}");
    }
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": "ok", "base": "-x"})).await;
    assert_eq!((code, msg.contains("may not start with '-'")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": "ok", "base": "nope"})).await;
    assert_eq!(code, NOT_FOUND);
    assert!(msg.contains("base 'nope' does not name a commit"), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "ghost", "branch": "x"})).await;
    assert_eq!((code, msg.as_str()), (NOT_FOUND, "no project named 'ghost'; see projects.list"));
    assert_eq!(repo.git(&["branch", "--list"]), "* main", "no branch was created");
    assert!(std::fs::read_dir(s.worktrees()).expect("dir").next().is_none(), "no worktree was created");

    for selector in ["99", "app/nope", "nope", "/nowhere/at/all"] {
        let (code, msg) = s.err("workspaces.status", json!({"workspace": selector})).await;
        assert_eq!(code, NOT_FOUND, "{selector}: {msg}");
    }
    let (code, msg) = s.err("projects.remove", json!({"name": "ghost"})).await;
    assert_eq!((code, msg.contains("no project named 'ghost'")), (NOT_FOUND, true));

    // Malformed params say what is wrong.
    let (code, msg) = s.err("workspaces.create", json!({"branch": "x"})).await;
    assert_eq!((code, msg.contains("missing field `project`")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "app"})).await;
    assert_eq!((code, msg.contains("give the new workspace's branch, or direct")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": "x", "bsae": "main"})).await;
    assert_eq!((code, msg.contains("unknown field `bsae`")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("projects.add", json!(["/tmp"])).await;
    assert_eq!((code, msg.contains("by name")), (INVALID, true), "{msg}");
    let (code, _) = s.err("projects.frobnicate", json!({})).await;
    assert_eq!(code, -32601);

    // A project with workspaces is not removed.
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let (code, msg) = s.err("projects.remove", json!({"name": "app"})).await;
    assert_eq!(code, REFUSED);
    assert!(msg.contains("still has 1 workspace(s) (w)"), "{msg}");
    s.stop().await;
}

/// Issue 13, defect 5: with the agent's CLI missing, creating a workspace with a first prompt used
/// to leave the workspace and an empty chat behind (and the prompt only in the dialog). The agent
/// is checked first: nothing is made, and the error says how to install it.
#[tokio::test]
async fn a_first_prompt_for_a_missing_agent_is_refused_before_anything_is_made() {
    let home = tempfile::tempdir().expect("tempdir");
    let settings = json!({"agents": {"claude-code": {"binary": "/nonexistent/claude"}}});
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    let s = TestServer::start_in(home).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": "feat", "prompt": "hello"})).await;
    assert_eq!(code, REFUSED, "{msg}");
    assert!(msg.contains("'/nonexistent/claude' was not found"), "{msg}");
    assert!(msg.contains("npm install -g @anthropic-ai/claude-code"), "{msg}");
    assert_eq!(s.ok("workspaces.list", json!({})).await, json!([]), "no workspace");
    assert_eq!(s.ok("chats.list", json!({})).await, json!([]), "no chat");
    assert_eq!(repo.git(&["branch", "--list"]), "* main", "no branch was created");
    // The same in a terminal (--via terminal): its binary is checked first too.
    let (code, msg) = s
        .err("workspaces.create", json!({"project": "app", "branch": "feat", "prompt": "hello", "via": "terminal"}))
        .await;
    assert_eq!(code, REFUSED, "{msg}");
    assert!(msg.contains("'/nonexistent/claude' was not found"), "{msg}");
    assert_eq!(s.ok("workspaces.list", json!({})).await, json!([]), "no workspace");
    assert_eq!(repo.git(&["branch", "--list"]), "* main", "no branch was created");
    // Without a prompt no agent is needed.
    s.ok("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    s.stop().await;
}

/// A project's configured defaults are narrower than the settings' and win over them; and its
/// default agent is the one checked before a workspace with a first prompt is made (the check
/// used to run on the settings' default, so a missing agent left a workspace behind: defect 5
/// by another way).
#[tokio::test]
async fn a_projects_defaults_outrank_the_settings_and_its_agent_is_checked_first() {
    let home = tempfile::tempdir().expect("tempdir");
    let settings = json!({
        "defaults": {"mode": "allow-all"},
        "agents": {"codex": {"binary": "/nonexistent/codex"}},
    });
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    let s = TestServer::start_in(home).await;
    let repo = TestRepo::named("app");
    repo.commit_file(".band/config.json", r#"{"defaults": {"agent": "codex", "mode": "ask"}}"#, "config");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let (code, msg) = s.err("workspaces.create", json!({"project": "app", "branch": "feat", "prompt": "hello"})).await;
    assert_eq!(code, REFUSED, "{msg}");
    assert!(msg.contains("'/nonexistent/codex' was not found"), "the project's agent is checked: {msg}");
    assert_eq!(s.ok("workspaces.list", json!({})).await, json!([]), "no workspace");
    assert_eq!(repo.git(&["branch", "--list"]), "* main", "no branch was created");
    // The project's mode beats the settings'; the request's own agent and mode beat both.
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w", "agent": "claude-code"})).await;
    assert_eq!(chat["mode"], "ask", "the project's default, not the settings' allow-all");
    let chat =
        s.ok("chats.create", json!({"workspace": "app/w", "agent": "claude-code", "mode": "accept-edits"})).await;
    assert_eq!(chat["mode"], "accept-edits", "a request's own mode wins");
    // A project without defaults takes the settings'.
    let plain = TestRepo::named("plain");
    s.ok("projects.add", json!({"path": plain.path()})).await;
    s.ok("workspaces.create", json!({"project": "plain", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "plain/w"})).await;
    assert_eq!(chat["mode"], "allow-all");
    s.stop().await;
}

/// Issue 13: settings.set changes one validated key in settings.json, never the token; the
/// defaults apply to the next chat at once; what needs a restart says so.
#[tokio::test]
async fn settings_set_validates_writes_and_applies_defaults_at_once() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let token_before = std::fs::read_to_string(s.home.path().join("settings.json")).expect("settings");

    let changed = s.ok("settings.set", json!({"key": "defaults.mode", "value": "allow-all"})).await;
    assert_eq!(changed, json!({"key": "defaults.mode", "value": "allow-all", "restartNeeded": false}));
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await;
    assert_eq!(chat["mode"], "allow-all", "the default applies to the next chat");
    let chat = s.ok("chats.create", json!({"workspace": "app/w", "mode": "ask"})).await;
    assert_eq!(chat["mode"], "ask", "a request's own mode wins");
    s.ok("settings.set", json!({"key": "agentIdleTimeoutSeconds", "value": "90"})).await;
    let changed = s.ok("settings.set", json!({"key": "maxLiveAgents", "value": "4"})).await;
    assert_eq!(changed["restartNeeded"], false, "applied at once");
    let changed = s.ok("settings.set", json!({"key": "worktreesDir", "value": "~/elsewhere"})).await;
    assert_eq!(changed["restartNeeded"], true);
    let got = s.ok("settings.get", json!({})).await;
    assert_eq!(got["defaults"], json!({"mode": "allow-all"}));
    assert_eq!(got["agentIdleTimeoutSeconds"], 90);
    assert_eq!(got["maxLiveAgents"], 4);
    assert_eq!(got["restartNeeded"], json!(["worktreesDir"]));

    let file: Value =
        serde_json::from_slice(&std::fs::read(s.home.path().join("settings.json")).expect("read")).expect("json");
    assert_eq!(file["defaults"], json!({"mode": "allow-all"}));
    assert_eq!(file["agentIdleTimeoutSeconds"], 90);
    assert_eq!(file["maxLiveAgents"], 4);
    assert_eq!(file["worktreesDir"], "~/elsewhere");
    let token: Value = serde_json::from_str(&token_before).expect("json");
    assert_eq!(file["tokenSecret"], token["tokenSecret"], "the token is kept");
    assert_eq!(file["terminals"], token["terminals"], "other settings are kept");
    assert!(!got.to_string().contains(token["tokenSecret"].as_str().expect("token")), "never the token");

    for (key, value, why) in [
        ("defaults.mode", "yolo", "'yolo' is not a mode: use ask, accept-edits or allow-all"),
        ("defaults.agent", "gpt-9", "no agent 'gpt-9'"),
        ("agentIdleTimeoutSeconds", "soon", "is not a whole number of seconds"),
        ("agentIdleTimeoutSeconds", "99999999", "is more than 30 days"),
        ("maxLiveAgents", "-1", "is not a whole number from 0 (no limit) to 1000"),
        ("maxLiveAgents", "5000", "is not a whole number from 0 (no limit) to 1000"),
        ("worktreesDir", "relative/dir", "must be an absolute path"),
        ("terminals.shell", "/nonexistent/sh", "is not an absolute path to an executable"),
        ("tokenSecret", "x", "the token is not a setting"),
        ("bind", "0.0.0.0", "is not a setting band changes from here"),
    ] {
        let (code, msg) = s.err("settings.set", json!({"key": key, "value": value})).await;
        let expected = if key == "defaults.agent" { NOT_FOUND } else { INVALID };
        assert_eq!(code, expected, "{key}: {msg}");
        assert!(msg.contains(why), "{key}={value}: {msg}");
    }
    // Empty: back to the default.
    s.ok("settings.set", json!({"key": "defaults.mode", "value": ""})).await;
    assert_eq!(s.ok("chats.create", json!({"workspace": "app/w"})).await["mode"], "ask");
    s.stop().await;
}

#[tokio::test]
async fn a_workspace_deleted_behind_bands_back_can_still_be_removed() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "gone"})).await;
    std::fs::remove_dir_all(ws["path"].as_str().expect("path")).expect("rm");
    let listed = s.ok("workspaces.get", json!({"workspace": "app/gone"})).await;
    assert_eq!(listed["missing"], true, "{listed}");
    let removed = s.ok("workspaces.remove", json!({"workspace": "app/gone"})).await;
    assert_eq!(removed["branchDeleted"], true, "band's branch, merged: judged from the repository, deleted");
    assert!(!repo.git(&["branch", "--list", "gone"]).contains("gone"));
    assert!(!repo.git(&["worktree", "list"]).contains("gone"), "the stale worktree entry was pruned");
    s.stop().await;
}

#[tokio::test]
async fn discovery_lists_exactly_the_methods_served() {
    let s = TestServer::start().await;
    let doc = s.ok("rpc.discover", json!({})).await;
    assert_eq!(doc["openrpc"], "1.3.2");
    let names: Vec<&str> =
        doc["methods"].as_array().expect("methods").iter().filter_map(|m| m["name"].as_str()).collect();
    let expected: Vec<&str> = band_api::METHODS.iter().map(|m| m.name).collect();
    assert_eq!(names, expected);
    // Every described method is served: none answers "method not found". (token.rotate would
    // replace the token under the test's feet; `devices` tests it.)
    for name in names.into_iter().filter(|n| *n != "token.rotate") {
        let reply = s.rpc(name, json!({})).await;
        assert_ne!(reply["error"]["code"], -32601, "{name} is described but not served");
    }
    let settings = s.ok("settings.get", json!({})).await;
    assert_eq!(settings["webServerPort"], s.addr.port());
    assert_eq!(settings["tokenSet"], true);
    assert!(!settings.to_string().contains(&s.token), "the token is never sent");
    s.stop().await;
}

#[tokio::test]
async fn json_rpc_over_websocket_with_the_token() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    let auth = ("authorization", format!("Bearer {}", s.token));
    let mut ws = websocket(s.addr, &[auth.clone()]).await.expect("header-token clients may omit Origin");
    let reply = ws_call(&mut ws, "projects.add", json!({"path": repo.path()})).await;
    assert_eq!(reply["result"]["name"], "app", "{reply}");
    let reply = ws_call(&mut ws, "workspaces.create", json!({"project": "app", "branch": "ws-branch"})).await;
    assert_eq!(reply["result"]["created"], true, "{reply}");
    let path = std::path::PathBuf::from(reply["result"]["path"].as_str().expect("path"));
    let reply = ws_call(&mut ws, "workspaces.create", json!({"project": "app", "branch": "$(id)"})).await;
    assert_eq!(reply["error"]["code"], INVALID);
    let reply = ws_call(&mut ws, "workspaces.list", json!({"project": "app"})).await;
    assert_eq!(reply["result"][0]["branch"], "ws-branch");
    let reply = ws_call(&mut ws, "workspaces.get", json!({"workspace": path.join("README.md")})).await;
    assert_eq!(reply["result"]["branch"], "ws-branch", "{reply}");
    write(&path.join("README.md"), "changed\n");
    let reply = ws_call(&mut ws, "workspaces.status", json!({"workspace": "app/ws-branch"})).await;
    assert_eq!(reply["result"]["changes"][0]["kind"], "modified", "{reply}");
    let reply = ws_call(&mut ws, "workspaces.diff", json!({"workspace": "app/ws-branch"})).await;
    assert!(reply["result"]["patch"].as_str().unwrap_or_default().contains("+changed"), "{reply}");
    let reply = ws_call(&mut ws, "workspaces.remove", json!({"workspace": "app/ws-branch"})).await;
    assert_eq!(reply["error"]["code"], REFUSED, "{reply}");
    let reply = ws_call(&mut ws, "workspaces.remove", json!({"workspace": "app/ws-branch", "force": true})).await;
    assert_eq!(reply["result"]["branchDeleted"], true, "{reply}");
    let reply = ws_call(&mut ws, "settings.get", json!({})).await;
    assert_eq!(reply["result"]["tokenSet"], true);

    // The dashboard's own origin is fine.
    let mut ws = websocket(s.addr, &[auth.clone(), ("origin", s.origin())]).await.expect("own origin");
    let reply = ws_call(&mut ws, "projects.list", json!({})).await;
    assert_eq!(reply["result"][0]["name"], "app");
    s.stop().await;
}

#[tokio::test]
async fn unauthenticated_wrong_token_wrong_host_and_cross_origin_requests_are_refused() {
    let s = TestServer::start().await;
    let host = ("host", s.host());
    let json_ct = ("content-type", "application/json".to_owned());
    let bearer = ("authorization", format!("Bearer {}", s.token));
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"projects.list"}"#;

    // /health is public, and carries the safety headers.
    let r = s.http("GET", "/health", &[host.clone()], "").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["content-security-policy"], "frame-ancestors 'self'");
    assert!(r.headers.get("access-control-allow-origin").is_none());

    // The token is required, exactly.
    let cases: Vec<(Vec<(&str, String)>, u16, &str)> = vec![
        (vec![host.clone(), json_ct.clone()], 401, "missing token"),
        (vec![host.clone(), json_ct.clone(), ("authorization", "Bearer nope".into())], 401, "invalid token"),
        (vec![host.clone(), json_ct.clone(), ("authorization", format!("Bearer {}x", s.token))], 401, "invalid token"),
        (vec![host.clone(), json_ct.clone(), ("authorization", s.token.clone())], 401, "malformed Authorization"),
        (vec![host.clone(), json_ct.clone(), ("authorization", format!("Basic {}", s.token))], 401, "malformed"),
        (vec![host.clone(), json_ct.clone(), ("authorization", "Bearer ".into())], 401, "malformed"),
        (vec![host.clone(), json_ct.clone(), ("authorization", "bearer x".into())], 401, "invalid token"),
        (vec![host.clone(), json_ct.clone(), bearer.clone(), bearer.clone()], 401, "more than one authorization"),
        // Host: DNS rebinding and other ports.
        (
            vec![("host", "evil.example:3456".into()), json_ct.clone(), bearer.clone()],
            403,
            "host 'evil.example:3456' is not allowed",
        ),
        (vec![("host", "localhost:1".into()), json_ct.clone(), bearer.clone()], 403, "is not allowed"),
        (
            vec![("host", format!("localhost.evil.example:{}", s.addr.port())), json_ct.clone(), bearer.clone()],
            403,
            "is not allowed",
        ),
        (
            vec![("host", format!("127.0.0.2:{}", s.addr.port())), json_ct.clone(), bearer.clone()],
            403,
            "is not allowed",
        ),
        (vec![json_ct.clone(), bearer.clone()], 403, "missing Host"),
        (vec![host.clone(), host.clone(), json_ct.clone(), bearer.clone()], 403, "more than one host"),
        // Origin: exact, even with a valid token.
        (
            vec![host.clone(), json_ct.clone(), bearer.clone(), ("origin", "http://evil.example".into())],
            403,
            "origin 'http://evil.example' is not allowed",
        ),
        (vec![host.clone(), json_ct.clone(), bearer.clone(), ("origin", "null".into())], 403, "origin 'null'"),
        (
            vec![host.clone(), json_ct.clone(), bearer.clone(), ("origin", "http://localhost:5173".into())],
            403,
            "is not allowed",
        ),
        (
            vec![
                host.clone(),
                json_ct.clone(),
                bearer.clone(),
                ("origin", format!("https://localhost:{}", s.addr.port())),
            ],
            403,
            "is not allowed",
        ),
        (
            vec![
                host.clone(),
                json_ct.clone(),
                bearer.clone(),
                ("origin", format!("http://localhost:{}.evil.example", s.addr.port())),
            ],
            403,
            "is not allowed",
        ),
        // Bodies that a page could send without a preflight.
        (
            vec![host.clone(), bearer.clone(), ("content-type", "text/plain".into())],
            415,
            "Content-Type: application/json",
        ),
        (vec![host.clone(), bearer.clone(), ("content-type", "application/x-www-form-urlencoded".into())], 415, "JSON"),
        (vec![host.clone(), bearer.clone(), ("content-type", "multipart/form-data; boundary=x".into())], 415, "JSON"),
        (vec![host.clone(), bearer.clone()], 415, "JSON"),
    ];
    for (headers, status, message) in &cases {
        let r = s.http("POST", "/rpc", headers, body).await;
        assert_eq!(r.status, *status, "{headers:?}: {}", r.body);
        assert!(r.error().contains(message), "{headers:?}: {}", r.body);
        assert!(!r.body.contains(&s.token), "the token never appears in an error");
        assert!(r.headers.get("access-control-allow-origin").is_none());
    }
    // Wrong Host is refused even on the public route.
    let r = s.http("GET", "/health", &[("host", "evil.example".into())], "").await;
    assert_eq!(r.status, 403);

    // The allowed forms work: each loopback name, and our own origin.
    for h in [format!("localhost:{}", s.addr.port()), format!("[::1]:{}", s.addr.port()), s.host()] {
        let r = s.http("POST", "/rpc", &[("host", h.clone()), json_ct.clone(), bearer.clone()], body).await;
        assert_eq!(r.status, 200, "{h}: {}", r.body);
    }
    let r =
        s.http("POST", "/rpc", &[host.clone(), json_ct.clone(), bearer.clone(), ("origin", s.origin())], body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    s.stop().await;
}

#[tokio::test]
async fn websocket_upgrades_are_checked_before_upgrading() {
    let s = TestServer::start().await;
    let bearer = ("authorization", format!("Bearer {}", s.token));
    let port = s.addr.port();
    assert_eq!(websocket(s.addr, &[]).await.err(), Some(401), "no token");
    assert_eq!(websocket(s.addr, &[("authorization", "Bearer wrong".into())]).await.err(), Some(401));
    for origin in [
        "http://evil.example".to_owned(),
        "null".into(),
        format!("http://localhost:{}", port + 1),
        "http://127.0.0.1".into(),
    ] {
        assert_eq!(websocket(s.addr, &[bearer.clone(), ("origin", origin.clone())]).await.err(), Some(403), "{origin}");
    }
    assert_eq!(websocket(s.addr, &[bearer.clone(), ("host", "evil.example".into())]).await.err(), Some(403));
    s.stop().await;
}

#[tokio::test]
async fn every_route_but_the_public_ones_needs_the_token() {
    let s = TestServer::start().await;
    let host = ("host", s.host());
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    assert_eq!(s.ok("terminals.create", json!({"workspace": "app/w"})).await["id"], 1);
    let mut routes: Vec<(&str, &str)> = band_server::ROUTES.to_vec();
    // Paths nobody routed are denied too (deny by default), not just unknown.
    routes.extend([
        ("GET", "/"),
        ("GET", "/rpc/x"),
        ("POST", "/health"),
        ("DELETE", "/rpc"),
        ("GET", "/..%2f..%2fetc/passwd"),
    ]);
    for (method, pattern) in routes {
        let public = band_server::guard::PUBLIC.contains(&(method, pattern));
        // A parameter takes a value that exists: terminal 1 is real here.
        let path = &pattern.replace("{id}", "1");
        let r = s.http(method, path, &[host.clone(), ("content-type", "application/json".into())], "{}").await;
        if public {
            // `/pair` and `/notify` answer an empty body with what to send; no credential is
            // asked for.
            let expected = if *path == "/pair" || *path == "/notify" { 400 } else { 200 };
            assert_eq!(r.status, expected, "{method} {path}: {}", r.body);
        } else {
            assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
            // A reply to HEAD has no body to say why.
            assert!(method == "HEAD" || r.error().contains("missing token"), "{method} {path}");
        }
    }
    let auth = ("authorization", format!("Bearer {}", s.token));
    let r = s.http("POST", "/nope", &[host.clone(), auth, ("content-type", "application/json".into())], "{}").await;
    assert_eq!((r.status, r.error()), (404, "no route POST /nope".to_owned()));
    // The table is the router's: with the token, every route in it is routed somewhere.
    for (method, path) in band_server::ROUTES.iter().filter(|(m, _)| *m != "HEAD") {
        // (A reply to HEAD has no body to tell the fallback by; HEAD is served where GET is.)
        let headers = [
            host.clone(),
            ("authorization", format!("Bearer {}", s.token)),
            ("content-type", "application/json".into()),
        ];
        let r = s.http(method, path, &headers, "{}").await;
        assert!(!r.body.contains("no route"), "{method} {path} is in ROUTES but not routed: {}", r.body);
    }
    s.stop().await;
}

#[tokio::test]
async fn state_survives_a_restart_on_the_same_home() {
    let repo = TestRepo::named("keep");
    let s = TestServer::start().await;
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "keep", "branch": "b1"})).await;
    let TestServer { home, running, .. } = s;
    running.expect("running").stop().await.expect("stop");
    let s = TestServer::start_in(home).await;
    let list = s.ok("workspaces.list", json!({})).await;
    assert_eq!(list[0]["branch"], "b1");
    assert_eq!(list[0]["project"], "keep");
    s.stop().await;
}

/// The real binary: first start writes the settings, `/health` answers, SIGTERM stops it cleanly.
#[tokio::test]
async fn the_server_process_starts_serves_and_stops_on_sigterm() {
    use tokio::io::AsyncBufReadExt;
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
        .args(["--port", "0"])
        .env("BAND_HOME", home.path())
        .env("BAND_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn band-server");
    let stderr = child.stderr.take().expect("stderr");
    let log = tokio::spawn(async move {
        let mut text = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::BufReader::new(stderr), &mut text).await;
        text
    });
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("started in time")
        .expect("read")
        .expect("a line");
    let url = first.rsplit(' ').next().expect("url").to_owned();
    assert!(first.starts_with("band-server ") && url.starts_with("http://127.0.0.1:"), "{first}");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().expect("addr");

    let r = raw_http(addr, "GET", "/health", &[("host", format!("127.0.0.1:{}", addr.port()))], "").await;
    assert_eq!(r.status, 200);

    let settings_path = home.path().join("settings.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&settings_path).expect("settings").permissions().mode() & 0o777, 0o600);
    let settings: Value = serde_json::from_slice(&std::fs::read(&settings_path).expect("read")).expect("json");
    let token = settings["tokenSecret"].as_str().expect("token");
    assert_eq!(token.len(), 64);
    assert!(home.path().join("band.db").is_file());

    let pid = child.id().expect("pid");
    let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await.expect("exits in time");
    assert!(exit.expect("status").success(), "a graceful stop exits 0");
    // The token is in one place only: the sign-in link on stdout; never in the log.
    let rest: Vec<String> = {
        let mut v = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            v.push(l);
        }
        v
    };
    let with_token: Vec<&String> = rest.iter().chain([&first]).filter(|l| l.contains(token)).collect();
    assert_eq!(with_token, [&format!("dashboard: {url}/?token={token}")]);
    let log = log.await.expect("log");
    assert!(log.contains("DEBUG") || log.contains("INFO"), "the log was captured: {log}");
    assert!(!log.contains(token), "the token leaked into the log");
}

/// A SIGTERM the moment the server says it listens is a graceful stop (exit 0), never a kill:
/// the handlers are installed before anything else (it was killed outright in 20 of 30 starts).
#[tokio::test]
async fn a_sigterm_right_after_start_is_a_graceful_stop() {
    use tokio::io::AsyncBufReadExt;
    let home = tempfile::tempdir().expect("tempdir");
    for round in 0..15 {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
            .args(["--port", "0"])
            .env("BAND_HOME", home.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn band-server");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("started in time")
            .expect("read")
            .expect("a line");
        let pid = child.id().expect("pid").to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        let exit = tokio::time::timeout(std::time::Duration::from_secs(15), child.wait())
            .await
            .expect("exits in time")
            .expect("status");
        assert!(exit.success(), "round {round}: a SIGTERM right after start ended it with {exit}");
    }
}

/// A reader of band-server's output that goes away (`band-server | head -1`) does not stop it:
/// writing the next lines to the closed pipe panicked and ended the server.
#[tokio::test]
async fn the_server_keeps_serving_when_its_stdout_is_closed() {
    use tokio::io::AsyncBufReadExt;
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
        .args(["--port", "0"])
        .env("BAND_HOME", home.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn band-server");
    let first = {
        // Only the first line is read; then the pipe is closed, before the server writes the rest.
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("started in time")
            .expect("read")
            .expect("a line")
    };
    let addr: std::net::SocketAddr =
        first.rsplit(' ').next().expect("url").trim_start_matches("http://").parse().expect("addr");
    for _ in 0..5 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let r = raw_http(addr, "GET", "/health", &[("host", format!("127.0.0.1:{}", addr.port()))], "").await;
        assert_eq!(r.status, 200, "still serving");
    }
    assert!(child.try_wait().expect("status").is_none(), "the server is still running");
    let pid = child.id().expect("pid").to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    let exit =
        tokio::time::timeout(std::time::Duration::from_secs(15), child.wait()).await.expect("exits").expect("status");
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let holder = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = holder.local_addr().expect("addr").port();
    let home = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
        .args(["--port", &port.to_string()])
        .env("BAND_HOME", home.path())
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot listen on 127.0.0.1:{port}")) && err.contains("--port"), "{err}");
}

/// One band-server per home: a second process on the same home is refused, naming the first
/// one's pid and port, and leaves the first serving.
#[tokio::test]
async fn a_second_server_on_the_same_home_is_a_clear_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let (addr, mut first) = spawn_server(home.path()).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
        .args(["--port", "0"])
        .env("BAND_HOME", home.path())
        .output()
        .await
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let pid = first.id().expect("pid");
    assert!(
        err.contains(&format!(
            "band-server is already running on this home (pid {pid}, port {}); stop it or use another --home",
            addr.port()
        )),
        "{err}"
    );
    let r = raw_http(addr, "GET", "/health", &[("host", format!("127.0.0.1:{}", addr.port()))], "").await;
    assert_eq!(r.status, 200, "the first server still serves");
    first.kill().await.expect("kill");
}

/// Starts the real binary on `home`; its address and the child (stdout drained).
async fn spawn_server(home: &std::path::Path) -> (std::net::SocketAddr, tokio::process::Child) {
    spawn_server_logging(home, None).await
}

/// As [`spawn_server`], its log (at info) appended to `log` when given.
async fn spawn_server_logging(
    home: &std::path::Path,
    log: Option<&std::path::Path>,
) -> (std::net::SocketAddr, tokio::process::Child) {
    use tokio::io::AsyncBufReadExt;
    let stderr = match log {
        Some(path) => std::fs::OpenOptions::new().create(true).append(true).open(path).expect("log file").into(),
        None => std::process::Stdio::null(),
    };
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_band-server"))
        .args(["--port", "0"])
        .env("BAND_HOME", home)
        .env("BAND_LOG", if log.is_some() { "info" } else { "warn" })
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("spawn band-server");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("started in time")
        .expect("read")
        .expect("a line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let url = first.rsplit(' ').next().expect("url").to_owned();
    (url.trim_start_matches("http://").parse().expect("addr"), child)
}

async fn rpc_as(addr: std::net::SocketAddr, token: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let headers = [
        ("host", format!("127.0.0.1:{}", addr.port())),
        ("authorization", format!("Bearer {token}")),
        ("content-type", "application/json".to_owned()),
    ];
    let reply = raw_http(addr, "POST", "/rpc", &headers, &body).await.json();
    reply.get("result").cloned().unwrap_or_else(|| panic!("{method}: {reply}"))
}

/// SECURITY.md R5: a second signal forces the exit at once, even while an agent that ignores
/// SIGTERM holds up the graceful stop; nothing band started survives it, and the next start
/// finds the chat interrupted.
#[tokio::test]
async fn a_second_signal_exits_at_once_and_leaves_no_process_behind() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("tempdir");
    // An "agent" that ignores SIGTERM: the graceful stop must wait out the grace period for it.
    // Its command line is unique to this run, so no other process can be mistaken for it.
    let marker = format!("sleep 7731.{}", std::process::id());
    // Whatever happens, the test leaves no such process behind for later runs.
    struct Reap(String);
    impl Drop for Reap {
        fn drop(&mut self) {
            for pid in band_testkit::procs::running(&self.0) {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
    }
    let _reap = Reap(marker.clone());
    let agent = home.path().join("stubborn-agent");
    std::fs::write(&agent, format!("#!/bin/sh\ntrap '' TERM\nexec {marker}\n")).expect("write");
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let settings = json!({"agents": {"claude-code": {"binary": agent}}});
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    std::fs::set_permissions(home.path().join("settings.json"), std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let (addr, mut child) = spawn_server(home.path()).await;
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("read")).expect("json");
    let token = settings["tokenSecret"].as_str().expect("token").to_owned();
    let repo = TestRepo::named("app");
    rpc_as(addr, &token, "projects.add", json!({"path": repo.path()})).await;
    rpc_as(addr, &token, "workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = rpc_as(addr, &token, "chats.create", json!({"workspace": "app/w"})).await;
    rpc_as(addr, &token, "chats.send", json!({"chat": chat["id"], "message": "hi"})).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while band_testkit::procs::running(&marker).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the agent did not start");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let pid = child.id().expect("pid").to_string();
    let signal = || std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(signal().success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = std::time::Instant::now();
    assert!(signal().success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(2), child.wait())
        .await
        .expect("the second signal ends it well before the agent's grace period would")
        .expect("status");
    assert_eq!(exit.code(), Some(130), "a forced exit says so");
    assert!(second.elapsed() < std::time::Duration::from_millis(1500), "{:?}", second.elapsed());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    while !band_testkit::procs::running(&marker).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the agent outlived the forced exit");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // The next start repairs what the forced exit left: the chat is interrupted, not working.
    let (addr, mut child) = spawn_server(home.path()).await;
    let got = rpc_as(addr, &token, "chats.get", json!({"chat": chat["id"]})).await;
    assert_eq!(got["status"], "interrupted", "{got}");
    child.kill().await.expect("kill");
}

/// The `Bearer` scheme name is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` work;
/// the token itself is compared exactly.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_the_token_is_not() {
    let s = TestServer::start().await;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "projects.list", "params": {}}).to_string();
    for (scheme, token, status) in [
        ("bearer", s.token.clone(), 200),
        ("BEARER", s.token.clone(), 200),
        ("BeArEr", s.token.clone(), 200),
        ("Bearer", s.token.to_uppercase(), 401),
    ] {
        let headers = [
            ("host", format!("127.0.0.1:{}", s.addr.port())),
            ("authorization", format!("{scheme} {token}")),
            ("content-type", "application/json".to_owned()),
        ];
        let reply = raw_http(s.addr, "POST", "/rpc", &headers, &body).await;
        assert_eq!(reply.status, status, "{scheme}: {}", reply.body);
    }
    s.stop().await;
}
