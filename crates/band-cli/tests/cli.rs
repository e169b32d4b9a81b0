//! The real `band` binary against a real band-server (in-process), real git repositories and a
//! real SQLite file: every command in text and JSON, errors on stderr as JSON with exit 1.

use std::path::Path;
use std::process::Output;

use band_testkit::fixtures::TestRepo;
use serde_json::Value;

struct Env {
    home: tempfile::TempDir,
    url: String,
    running: Option<band_server::Running>,
}

impl Env {
    async fn start() -> Self {
        Self::start_with(serde_json::json!({})).await
    }

    /// A server whose settings.json also has the fields of `extra`.
    async fn start_with(extra: Value) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        // Terminals get a HOME of their own: the user's shell start-up files stay out of tests.
        let shell_home = home.path().join("shell-home");
        std::fs::create_dir_all(&shell_home).expect("shell home");
        let mut settings = serde_json::json!({"terminals": {"env": {"HOME": shell_home}}});
        if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
        let config = band_server::Config::local(home.path());
        let running = band_server::start(config).await.expect("server");
        Self { url: running.url(), home, running: Some(running) }
    }

    /// Runs `band` in `cwd` with BAND_HOME and BAND_SERVER_URL set (the token comes from
    /// settings.json).
    async fn band_in(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_band"));
        cmd.args(args)
            .current_dir(cwd)
            .env("BAND_HOME", self.home.path())
            .env("BAND_SERVER_URL", &self.url)
            .env_remove("BAND_TOKEN")
            .env_remove("BAND_OUTPUT");
        cmd.output().await.expect("run band")
    }

    async fn band(&self, args: &[&str]) -> Output {
        self.band_in(self.home.path(), args).await
    }

    /// `band --output json ...`, which must succeed with one JSON document.
    async fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.band(&all).await;
        assert!(out.status.success(), "band {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("band {args:?}: not one JSON document ({e})"))
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("stop");
        }
    }
}

/// Runs `band` with only the BAND_* variables given (none inherited from the test's environment).
async fn band_with(args: &[&str], vars: &[(&str, String)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_band"));
    cmd.args(args);
    for var in ["BAND_HOME", "BAND_SERVER_URL", "BAND_TOKEN", "BAND_OUTPUT"] {
        cmd.env_remove(var);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().await.expect("run band")
}

fn text(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The command failed with exit 1 and one line `error: ...` on stderr (or `{"error": ...}` with
/// `--output json`); returns the message.
fn error(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "nothing on stdout when failing");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.starts_with('{') {
        let v: Value = serde_json::from_str(&stderr).unwrap_or_else(|_| panic!("stderr is not JSON: {stderr}"));
        return v["error"].as_str().expect("error message").to_owned();
    }
    let line = stderr.strip_suffix('\n').unwrap_or_else(|| panic!("stderr does not end in a newline: {stderr:?}"));
    assert!(!line.contains('\n'), "more than one line on stderr: {stderr:?}");
    line.strip_prefix("error: ")
        .unwrap_or_else(|| panic!("stderr does not start with 'error: ': {stderr:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_and_workspaces_from_the_command_line() {
    let env = Env::start().await;
    let repo = TestRepo::named("webapp");

    // Relative paths are resolved against the current directory.
    let out = env.band_in(repo.path().parent().expect("parent"), &["projects", "add", "webapp"]).await;
    assert!(text(&out).starts_with("added project webapp ("), "{}", text(&out));
    let list = env.json(&["projects", "list"]).await;
    assert_eq!(list[0]["name"], "webapp");
    assert!(text(&env.band(&["projects", "list"]).await).contains("webapp  main"));

    let created = env.json(&["workspaces", "create", "webapp", "feat-a"]).await;
    for field in ["id", "project", "branch", "path"] {
        assert!(!created[field].is_null(), "{field} missing in {created}");
    }
    let path = created["path"].as_str().expect("path").to_owned();
    assert!(Path::new(&path).join("README.md").is_file());
    let again = env.json(&["workspaces", "create", "webapp", "feat-a"]).await;
    assert_eq!((again["path"].as_str(), again["created"].as_bool()), (Some(path.as_str()), Some(false)));
    let out = env.band(&["workspaces", "create", "webapp", "feat-a"]).await;
    assert!(text(&out).contains(&path), "idempotent create prints the path");

    // Inside the workspace, the workspace argument may be left out.
    let inside = Path::new(&path);
    std::fs::create_dir_all(inside.join("src")).expect("mkdir");
    std::fs::write(inside.join("src/new.rs"), "pub fn f() {}\n").expect("write");
    let out = env.band_in(&inside.join("src"), &["--output", "json", "workspaces", "status"]).await;
    let status: Value = serde_json::from_slice(&text(&out).into_bytes()).expect("json");
    assert_eq!(status["changes"][0]["path"], "src/new.rs");
    assert_eq!(status["changes"][0]["kind"], "untracked");
    let out = env.band_in(inside, &["workspaces", "diff"]).await;
    assert!(text(&out).contains("+pub fn f() {}"));
    let out = env.band_in(inside, &["workspaces", "status"]).await;
    assert!(text(&out).contains("untracked    src/new.rs"), "{}", text(&out));

    let ws = env.json(&["workspaces", "list", "webapp"]).await;
    assert_eq!(ws.as_array().map(Vec::len), Some(1));
    assert!(text(&env.band(&["workspaces", "list"]).await).contains("webapp/feat-a"));

    // Work is never lost silently.
    let msg = error(&env.band(&["workspaces", "remove", "webapp/feat-a"]).await);
    assert!(msg.contains("uncommitted change(s) (src/new.rs)") && msg.contains("--force"), "{msg}");
    assert!(inside.join("src/new.rs").is_file());
    let removed = env.json(&["workspaces", "remove", "webapp/feat-a", "--force"]).await;
    assert_eq!(removed["branchDeleted"], true, "no commits: the branch held nothing");
    assert!(!inside.exists());

    let out = env.band(&["projects", "remove", "webapp"]).await;
    assert!(text(&out).contains("is untouched"));
    assert!(repo.path().join("README.md").is_file());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_a_clear_error_and_exit_1() {
    let env = Env::start().await;
    let repo = TestRepo::named("app");
    let plain = tempfile::tempdir().expect("tempdir");

    let msg = error(&env.band(&["projects", "add", plain.path().to_str().expect("utf8")]).await);
    assert!(msg.ends_with("is not a git repository"), "{msg}");
    // A path with nothing at it says so, on one line (and as JSON when asked).
    let missing = plain.path().join("nope");
    let out = env.band(&["projects", "add", missing.to_str().expect("utf8")]).await;
    assert_eq!(String::from_utf8_lossy(&out.stderr), format!("error: {} does not exist\n", missing.display()));
    let out = env.band(&["--output", "json", "projects", "add", missing.to_str().expect("utf8")]).await;
    let json: Value = serde_json::from_slice(&out.stderr).expect("one JSON document on stderr");
    assert_eq!(json, serde_json::json!({"error": format!("{} does not exist", missing.display())}));
    env.json(&["projects", "add", repo.path().to_str().expect("utf8")]).await;
    let msg = error(&env.band(&["projects", "add", repo.path().to_str().expect("utf8")]).await);
    assert!(msg.contains("already registered as project 'app'"), "{msg}");
    for branch in ["--upload-pack=x", "a..b", "$(id)"] {
        let msg = error(&env.band(&["workspaces", "create", "app", "--", branch]).await);
        assert!(msg.starts_with(&format!("invalid branch name '{branch}'")), "{branch}: {msg}");
    }
    assert_eq!(repo.git(&["branch", "--list"]), "* main");
    let msg = error(&env.band(&["workspaces", "create", "nope", "x"]).await);
    assert_eq!(msg, "no project named 'nope'; see `band projects list`");
    let msg = error(&env.band(&["workspaces", "status", "app/nope"]).await);
    assert!(msg.starts_with("no workspace 'app/nope'"), "{msg}");
    // Outside any workspace, leaving the argument out is explained.
    let msg = error(&env.band_in(plain.path(), &["workspaces", "diff"]).await);
    assert!(msg.contains("is not inside a band workspace"), "{msg}");
    // A missing argument is named (clap puts it on the line after the sentence).
    let msg = error(&env.band(&["workspaces", "create", "app", "x", "--agent", "codex"]).await);
    assert_eq!(msg, "the following required arguments were not provided: --prompt <PROMPT> (see `band --help`)");
    let msg = error(&env.band(&["projects", "frobnicate"]).await);
    assert!(msg.contains("unrecognized subcommand 'frobnicate'"), "{msg}");
    let msg = error(&env.band(&["schema", "no", "such"]).await);
    assert!(msg.starts_with("no command 'no such'; known: projects.add"), "{msg}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_settings_health_schema_and_output_modes() {
    let env = Env::start().await;
    let h = env.json(&["health"]).await;
    assert_eq!(h["status"], "ok");
    let s = env.json(&["settings"]).await;
    assert_eq!(s["tokenSet"], true);
    assert!(s["worktreesDir"].as_str().expect("dir").ends_with("/worktrees"));
    let settings: Value =
        serde_json::from_slice(&std::fs::read(env.home.path().join("settings.json")).expect("read")).expect("json");
    let token = settings["tokenSecret"].as_str().expect("token");
    let out = env.band(&["settings"]).await;
    assert!(text(&out).contains("port:") && !text(&out).contains(token), "never the token");
    // One setting at a time, validated; what needs a restart says so.
    let out = text(&env.band(&["settings", "set", "defaults.mode=accept-edits"]).await);
    assert_eq!(out.trim(), "defaults.mode = accept-edits; in effect now");
    let out = text(&env.band(&["settings", "set", "worktreesDir=~/wt"]).await);
    assert_eq!(out.trim(), "worktreesDir = ~/wt; restart band-server for it to take effect");
    let out = text(&env.band(&["settings"]).await);
    assert!(out.contains("default mode:  accept-edits") && out.contains("restart needed for: worktreesDir"), "{out}");
    let msg = error(&env.band(&["settings", "set", "defaults.mode"]).await);
    assert_eq!(msg, "'defaults.mode' is not KEY=VALUE (e.g. defaults.mode=accept-edits)");
    let msg = error(&env.band(&["settings", "set", "defaults.mode=yolo"]).await);
    assert!(msg.contains("'yolo' is not a mode"), "{msg}");

    // BAND_OUTPUT=json works like --output json.
    let out = band_with(
        &["projects", "list"],
        &[
            ("BAND_HOME", env.home.path().display().to_string()),
            ("BAND_SERVER_URL", env.url.clone()),
            ("BAND_OUTPUT", "json".into()),
        ],
    )
    .await;
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).expect("json"), serde_json::json!([]));

    // A wrong BAND_TOKEN is refused with a hint.
    let out = band_with(
        &["projects", "list"],
        &[
            ("BAND_HOME", env.home.path().display().to_string()),
            ("BAND_SERVER_URL", env.url.clone()),
            ("BAND_TOKEN", "f".repeat(64)),
        ],
    )
    .await;
    let msg = error(&out);
    assert!(msg.contains("invalid token") && msg.contains("BAND_TOKEN"), "{msg}");

    let schema = env.json(&["schema"]).await;
    assert_eq!(schema["openrpc"], "1.3.2");
    let one = env.json(&["schema", "workspaces", "create"]).await;
    assert_eq!(one["method"]["name"], "workspaces.create");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_is_not_running_is_explained() {
    let home = tempfile::tempdir().expect("tempdir");
    // A port nothing listens on: bind one, note it, free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let out = band_with(
        &["projects", "list"],
        &[
            ("BAND_HOME", home.path().display().to_string()),
            ("BAND_SERVER_URL", format!("http://127.0.0.1:{port}")),
            ("BAND_TOKEN", "a".repeat(64)),
        ],
    )
    .await;
    let msg = error(&out);
    assert!(msg.contains("band-server is not running at http://127.0.0.1:") && msg.contains("start it with"), "{msg}");
    let out = band_with(
        &["health"],
        &[("BAND_HOME", home.path().display().to_string()), ("BAND_SERVER_URL", format!("http://127.0.0.1:{port}"))],
    )
    .await;
    assert!(error(&out).contains("not running"));
    // No settings and no BAND_TOKEN: say where the token comes from.
    let out = band_with(&["projects", "list"], &[("BAND_HOME", home.path().display().to_string())]).await;
    assert!(error(&out).contains("no token: set BAND_TOKEN"));
    let out = band_with(
        &["projects", "list"],
        &[
            ("BAND_HOME", home.path().display().to_string()),
            ("BAND_SERVER_URL", "ftp://x".into()),
            ("BAND_TOKEN", "a".into()),
        ],
    )
    .await;
    assert!(error(&out).contains("use an http:// URL"));
}

/// The real Claude Code CLI, offline against the mock model, driven only through `band`.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_runs_from_the_command_line_and_watch_follows_it_to_the_end() {
    use band_mockmodel::{MockModel, MockTurn, Scenario};
    let home = tempfile::tempdir().expect("tempdir");
    let wt = std::fs::canonicalize(home.path()).expect("home").join("worktrees/webapp/agent-work");
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool("Write", serde_json::json!({"file_path": wt.join("notes.md"), "content": "# notes\n"})),
        MockTurn::tool("Bash", serde_json::json!({"command": "git add notes.md && git commit -q -m 'add notes'"})),
        MockTurn::text("All done."),
        MockTurn::text("Second answer."),
    ]))
    .await;
    band_mockmodel::offline::configure_band_home(home.path(), &mock);
    // Transcript files on: each finished turn goes to <dir>/chat-<id>.md.
    let transcripts = home.path().join("transcripts");
    let settings_path = home.path().join("settings.json");
    let mut settings: Value = serde_json::from_slice(&std::fs::read(&settings_path).expect("read")).expect("json");
    settings["transcripts"] = serde_json::json!({"dir": transcripts});
    std::fs::write(&settings_path, settings.to_string()).expect("write");
    let config = band_server::Config::local(home.path());
    let running = band_server::start(config).await.expect("server");
    let env = Env { url: running.url(), home, running: Some(running) };
    let repo = TestRepo::named("webapp");
    env.json(&["projects", "add", repo.path().to_str().expect("utf8")]).await;

    // One step: the workspace and a chat with its first message; allow-all answers permissions.
    let out = env
        .band(&[
            "workspaces",
            "create",
            "webapp",
            "agent-work",
            "--prompt",
            "Write notes and commit them.",
            "--mode",
            "allow-all",
        ])
        .await;
    let printed = text(&out);
    assert!(printed.contains("started chat 1 (claude-code)"), "{printed}");

    // Inside the workspace, `watch` needs no chat id; it ends when the turn does.
    let out = env.band_in(&wt, &["chats", "watch"]).await;
    let lines: Vec<Value> = text(&out).lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    let types: Vec<&str> = lines.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.first(), Some(&"prompt"));
    assert_eq!(types.last(), Some(&"status"));
    assert_eq!(lines.last().map(|e| e["status"].clone()), Some(Value::from("completed")));
    assert!(types.contains(&"permission_resolved") && types.contains(&"tool_call"), "{types:?}");
    let seqs: Vec<u64> = lines.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "every event once, in order");
    assert!(wt.join("notes.md").is_file());
    assert_eq!(repo.git(&["-C", wt.to_str().expect("utf8"), "log", "-1", "--format=%s"]), "add notes");

    // `send` without a chat goes to the workspace's most recent chat.
    let out = env.band_in(&wt, &["chats", "send", "-m", "And now?"]).await;
    assert!(text(&out).contains("sent to chat 1"), "{}", text(&out));
    let out = env.band_in(&wt, &["--output", "json", "chats", "watch", "1", "--after", &seqs.len().to_string()]).await;
    let tail: Vec<Value> = text(&out).lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    let answer: String =
        tail.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(answer, "Second answer.");

    let turns = env.json(&["chats", "turns", "1"]).await;
    assert_eq!(turns.as_array().map(Vec::len), Some(2));

    // The transcript: Markdown by default, JSON on request; and the same turns in the file.
    let md = text(&env.band_in(&wt, &["chats", "export"]).await);
    assert!(
        md.starts_with(
            "# Write notes and commit them. (claude-code, chat 1)\n\n## Turn 1\n\n**Prompt**\n\n> Write notes and commit them.\n"
        ),
        "{md}"
    );
    assert!(md.contains("**Tool** `Write: ") && md.contains("allow by the chat's mode"), "{md}");
    assert!(
        md.contains("**Response**\n\nAll done.\n") && md.contains("## Turn 2") && md.contains("Second answer."),
        "{md}"
    );
    let export = env.json(&["chats", "export", "1", "--format", "json"]).await;
    assert_eq!(export["format"], "json");
    let transcript: Value = serde_json::from_str(export["content"].as_str().expect("content")).expect("JSON content");
    let turns = transcript["turns"].as_array().expect("turns");
    assert_eq!((turns.len(), turns[1]["response"][0].as_str()), (2, Some("Second answer.")));
    let tools = turns[0]["toolCalls"].as_array().expect("tool calls");
    assert_eq!(
        (tools.len(), tools[0]["decision"].as_str(), tools[0]["decidedBy"].as_str()),
        (2, Some("allow"), Some("mode"))
    );
    assert!(turns[0]["usage"]["inputTokens"].as_u64().unwrap_or(0) > 0, "{transcript}");
    let file = std::fs::read_to_string(transcripts.join("chat-1.md")).expect("the transcript file");
    assert_eq!(file, md, "the file holds what the export says, turn by turn");
    let listed = text(&env.band(&["chats", "list", "--all"]).await);
    assert!(listed.contains("claude-code") && listed.contains("allow-all") && listed.contains("completed"), "{listed}");
    let msg = error(&env.band(&["chats", "respond", "1", "--allow"]).await);
    assert!(msg.contains("no pending permission request"), "{msg}");
    let msg = error(&env.band(&["chats", "create"]).await);
    assert!(msg.contains("is not inside a band workspace"), "{msg}");
    let msg = error(&env.band_in(&wt, &["chats", "create", "--agent", "gpt-9"]).await);
    assert_eq!(msg, "no agent 'gpt-9' (band knows 22 agents); see `band agents list`");
    // Refused before anything is made: no workspace for a chat that cannot start.
    let msg =
        error(&env.band(&["workspaces", "create", "webapp", "other", "--prompt", "hi", "--agent", "gpt-9"]).await);
    assert!(msg.starts_with("no agent 'gpt-9'"), "{msg}");
    let listed = env.json(&["workspaces", "list"]).await;
    assert!(listed.as_array().expect("list").iter().all(|w| w["branch"] != "other"), "{listed}");
    // A terminal agent runs in a terminal; one that is not installed says how to install it.
    let msg = error(
        &env.band(&[
            "workspaces",
            "create",
            "webapp",
            "aider-try",
            "--prompt",
            "hi",
            "--agent",
            "aider",
            "--via",
            "terminal",
        ])
        .await,
    );
    assert!(msg.starts_with("the aider agent's binary 'aider' was not found"), "{msg}");
    assert!(msg.contains("https://aider.chat/docs/install.html"), "{msg}");
    let msg = error(&env.band_in(&wt, &["chats", "create", "--agent", "GPT 9"]).await);
    assert!(msg.starts_with("invalid agent id 'GPT 9': it must start with a lowercase letter"), "{msg}");

    // Chats are titled by their first prompt, renamed and deleted (a free one at once).
    let chat = env.json(&["chats", "get", "1"]).await;
    assert_eq!(chat["name"], "Write notes and commit them.");
    let renamed = env.json(&["chats", "rename", "1", "notes"]).await;
    assert_eq!(renamed["name"], "notes");
    let msg = error(&env.band(&["chats", "rename", "1", " "]).await);
    assert!(msg.contains("name"), "{msg}");
    let second = env.json(&["chats", "create", "webapp/agent-work"]).await;
    let id = second["id"].to_string();
    env.json(&["chats", "delete", &id]).await;
    let msg = error(&env.band(&["chats", "get", &id]).await);
    assert!(msg.contains(&format!("no chat {id}")), "{msg}");

    // The agents: installed ones first, with their versions; the others say how to install them.
    let agents = env.json(&["agents", "list"]).await;
    let agents = agents.as_array().expect("a list");
    let claude = agents.iter().find(|a| a["id"] == "claude-code").expect("claude-code");
    assert_eq!((claude["installed"].as_bool(), claude["proven"].as_bool()), (Some(true), Some(true)), "{claude}");
    assert!(claude["version"].as_str().is_some_and(|v| v.contains("Claude Code")), "{claude}");
    let first_missing = agents.iter().position(|a| a["installed"] == false).expect("some are not installed here");
    assert!(agents[first_missing..].iter().all(|a| a["installed"] == false), "installed ones first");
    let listed = text(&env.band(&["agents", "list"]).await);
    let head = listed.lines().next().unwrap_or_default();
    assert!(head.starts_with("ID") && head.contains("PROTOCOL") && head.contains("PROVEN"), "{listed}");
    assert!(listed.contains("not installed: see https://aider.chat/docs/install.html"), "{listed}");
    env.stop().await;
    mock.stop().await;
}

/// Polls `band terminals output <id>` until it shows `needle` (10 s at most).
async fn wait_terminal(env: &Env, id: &str, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let out = text(&env.band(&["terminals", "output", id]).await);
        if out.contains(needle) {
            return out;
        }
        assert!(std::time::Instant::now() < deadline, "no {needle:?} in terminal {id}:\n{out}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn terminals_from_the_command_line() {
    let env = Env::start().await;
    let repo = TestRepo::named("webapp");
    env.json(&["projects", "add", repo.path().to_str().expect("utf8")]).await;
    let ws = env.json(&["workspaces", "create", "webapp", "term"]).await;
    let wt = std::path::PathBuf::from(ws["path"].as_str().expect("path"));

    // Inside the workspace, `create` needs no workspace argument.
    let out = env.band_in(&wt, &["--output", "json", "terminals", "create", "--title", "dev"]).await;
    let t: Value = serde_json::from_slice(&text(&out).into_bytes()).expect("json");
    assert_eq!((t["id"].as_i64(), t["title"].as_str(), t["cols"].as_u64()), (Some(1), Some("dev"), Some(80)));
    assert_eq!(t["workspaceId"], ws["id"]);

    // Text is typed literally, then Enter.
    let out = env.band(&["terminals", "send", "1", "echo cli-$((20+3)) \"$PWD\""]).await;
    assert!(text(&out).contains("sent to terminal 1"), "{}", text(&out));
    wait_terminal(&env, "1", &format!("cli-23 {}", wt.display())).await;
    let listed = text(&env.band_in(&wt, &["terminals", "list"]).await);
    assert!(listed.contains("80x24") && listed.contains("running") && listed.contains("dev"), "{listed}");
    let all = env.json(&["terminals", "list", "--all"]).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    let page = env.json(&["terminals", "output", "1"]).await;
    assert!(page["data"].as_str().expect("data").contains("cli-23"), "{page}");
    assert_eq!(page["start"], 0);

    // Standard input, as it is (its own line ending).
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_band"))
        .args(["terminals", "send", "1", "--stdin"])
        .env("BAND_HOME", env.home.path())
        .env("BAND_SERVER_URL", &env.url)
        .env_remove("BAND_TOKEN")
        .env_remove("BAND_OUTPUT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("band");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"echo stdin-$((3+4))\r").await.expect("write");
    }
    assert!(child.wait_with_output().await.expect("band").status.success());
    wait_terminal(&env, "1", "stdin-7").await;

    // `output -f` prints the scrollback, then follows until the shell exits.
    let follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_band"))
        .args(["terminals", "output", "1", "-f"])
        .env("BAND_HOME", env.home.path())
        .env("BAND_SERVER_URL", &env.url)
        .env_remove("BAND_TOKEN")
        .env_remove("BAND_OUTPUT")
        .output();
    let follow = tokio::spawn(follow);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    env.band(&["terminals", "send", "1", "echo follow-$((1+1)); exit 2"]).await;
    let out = tokio::time::timeout(std::time::Duration::from_secs(15), follow)
        .await
        .expect("-f ends when the shell exits")
        .expect("join")
        .expect("band");
    let printed = text(&out);
    assert!(printed.contains("cli-23") && printed.contains("follow-2"), "{printed}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("[terminal 1 exited: exit code 2]"));

    let out = env.band(&["terminals", "kill", "1"]).await;
    assert_eq!(text(&out).trim(), "killed terminal 1 (exit code 2)");
    assert_eq!(env.json(&["terminals", "list", "--all"]).await, serde_json::json!([]));

    // Errors are clear, with exit 1.
    assert_eq!(error(&env.band(&["terminals", "send", "1", "ls"]).await), "no terminal 1; see `band terminals list`");
    assert_eq!(
        error(&env.band_in(&wt, &["terminals", "create", "--cols", "9999"]).await),
        "cols must be between 1 and 500 (got 9999)"
    );
    let msg = error(&env.band(&["terminals", "create"]).await);
    assert!(msg.contains("is not inside a band workspace"), "{msg}");
    env.stop().await;
}

#[tokio::test]
async fn devices_qr_token_rotation_and_the_audit_log_from_the_command_line() {
    let env = Env::start().await;
    let text = env.band(&["qr", "--name", "phone", "--scope", "control"]).await;
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(shown.contains('█') && shown.contains("/?pair="), "a QR code and the URL: {shown}");
    assert!(shown.contains("'phone' in with control access"), "{shown}");

    let pairing = env.json(&["qr", "--name", "tablet"]).await;
    assert_eq!(pairing["scope"], "read");
    assert!(pairing["url"].as_str().is_some_and(|u| u.starts_with(&format!("{}/?pair=", env.url))), "{pairing}");
    assert_eq!(pairing["code"].as_str().map(str::len), Some(32));

    // Redeem the code as another machine would (`POST /pair`), so there is a device to list.
    let code = pairing["code"].as_str().expect("code");
    let body = serde_json::json!({"code": code}).to_string();
    let out = tokio::process::Command::new("curl")
        .args(["-sf", "-X", "POST", "-H", "content-type: application/json", "--data", &body])
        .arg(format!("{}/pair", env.url))
        .output()
        .await
        .expect("curl runs");
    assert!(out.status.success(), "POST /pair: {out:?}");
    let redeemed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(redeemed["device"]["name"], "tablet");
    let list = env.band(&["devices", "list"]).await;
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("tablet") && listed.contains("read") && listed.contains("active"), "{listed}");
    let revoked = env.json(&["devices", "revoke", "tablet"]).await;
    assert!(revoked["revokedAt"].is_i64(), "{revoked}");
    let missing = env.band(&["devices", "revoke", "nobody"]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("device 'nobody'"), "{missing:?}");

    let before = std::fs::read_to_string(env.home.path().join("settings.json")).expect("settings");
    let rotated = env.band(&["token", "rotate"]).await;
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let said = String::from_utf8_lossy(&rotated.stdout);
    let after = std::fs::read_to_string(env.home.path().join("settings.json")).expect("settings");
    assert_ne!(before, after, "settings.json has a new token");
    assert!(said.contains("Sign in again with") && said.contains("/?token="), "{said}");

    let audit = env.json(&["audit"]).await;
    let kinds: Vec<&str> = audit.as_array().expect("entries").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"token_rotated"), "{kinds:?}");
    assert!(kinds.contains(&"pairing_started"), "{kinds:?}");
    let text = env.band(&["audit", "--limit", "2"]).await;
    let shown = String::from_utf8_lossy(&text.stdout);
    assert!(shown.starts_with("ID") && shown.lines().count() == 3, "{shown}");
    env.stop().await;
}

#[tokio::test]
async fn tunnel_start_prints_the_url_alone_and_stop_and_status_report_the_state() {
    use std::os::unix::fs::PermissionsExt;
    // A stand-in cloudflared: the real service cannot be reached from here.
    let bin = tempfile::tempdir().expect("tempdir");
    let cloudflared = bin.path().join("cloudflared");
    let script = "#!/bin/sh\necho '2026-11-22T10:00:01Z INF |  https://cli-stand-in.trycloudflare.com  |' >&2\nexec sleep 3600\n";
    std::fs::write(&cloudflared, script).expect("write");
    std::fs::set_permissions(&cloudflared, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let env = Env::start_with(serde_json::json!({"tunnel": {"cloudflared": {"binary": cloudflared}}})).await;

    assert!(text(&env.band(&["tunnel", "status"]).await).starts_with("stopped; start one with `band tunnel start"));
    // No provider configured: a cloudflared quick tunnel, which needs no account.
    let out = env.band(&["tunnel", "start"]).await;
    assert_eq!(text(&out), "https://cli-stand-in.trycloudflare.com\n", "the URL alone on stdout");
    let status = env.json(&["tunnel", "status"]).await;
    assert_eq!((status["state"].as_str(), status["provider"].as_str()), (Some("running"), Some("cloudflared")));
    assert_eq!(status["url"], "https://cli-stand-in.trycloudflare.com");
    assert_eq!(
        text(&env.band(&["tunnel", "status"]).await).trim(),
        "running: https://cli-stand-in.trycloudflare.com (cloudflared)"
    );
    let msg = error(&env.band(&["tunnel", "start", "--provider", "bore"]).await);
    assert!(msg.contains("already running at https://cli-stand-in.trycloudflare.com; stop it first"), "{msg}");
    assert!(text(&env.band(&["tunnel", "stop"]).await).starts_with("stopped"));
    assert_eq!(env.json(&["tunnel", "stop"]).await, serde_json::json!({"state": "stopped"}));
    let msg = error(&env.band(&["tunnel", "start", "--provider", "ngrok"]).await);
    assert!(msg.contains("unknown tunnel provider 'ngrok'; use one of: cloudflared, cloudflared-named, bore"), "{msg}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cronjobs_from_the_command_line() {
    use band_mockmodel::{MockModel, MockTurn, Scenario};
    let home = tempfile::tempdir().expect("tempdir");
    let mock = MockModel::start(Scenario::new([MockTurn::text("Hello from the schedule.")])).await;
    band_mockmodel::offline::configure_band_home(home.path(), &mock);
    let running = band_server::start(band_server::Config::local(home.path())).await.expect("server");
    let env = Env { url: running.url(), home, running: Some(running) };
    let repo = TestRepo::named("app");
    env.json(&["projects", "add", repo.path().to_str().expect("utf8")]).await;
    env.json(&["workspaces", "create", "app", "feat"]).await;

    let printed = text(
        &env.band(&[
            "cronjobs",
            "create",
            "nightly",
            "--name",
            "Nightly",
            "--prompt",
            "Say hi.",
            "--every",
            "1h",
            "--workspace",
            "app/feat",
            "--mode",
            "allow-all",
            "--if-busy",
            "skip",
        ])
        .await,
    );
    assert!(
        printed.starts_with("created cronjob 'nightly': next run 20") && printed.trim_end().ends_with("UTC"),
        "{printed}"
    );
    let listed = text(&env.band(&["cronjobs", "list"]).await);
    assert!(
        listed.contains("nightly") && listed.contains("every 1h") && listed.contains("new chat in app/feat"),
        "{listed}"
    );

    // Bad input: what was wrong, and what to do.
    let create = |extra: &[&'static str]| {
        let mut args = vec!["cronjobs", "create", "other", "--name", "Other", "--prompt", "p"];
        args.extend_from_slice(extra);
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (create(&["--cron", "61 * * * *", "--workspace", "app/feat"]), "invalid cron expression '61 * * * *'"),
        (
            create(&["--cron", "0 9 * * *", "--timezone", "Mars/Base", "--workspace", "app/feat"]),
            "unknown time zone 'Mars/Base'; use an IANA name",
        ),
        (create(&["--every", "5x", "--workspace", "app/feat"]), "'5x' is not an interval; write a number with a unit"),
        (create(&["--workspace", "app/feat"]), "give a schedule: --cron EXPR or --every DURATION"),
        (create(&["--every", "1h"]), "give a target: --chat C, --workspace W, or --project P --new-workspace"),
        (create(&["--every", "1h", "--chat", "99"]), "no chat 99; see `band chats list`"),
        (
            create(&["--every", "1h", "--project", "ghost", "--new-workspace"]),
            "no project 'ghost'; see `band projects list`",
        ),
        (create(&["--every", "1h", "--cron", "* * * * *", "--workspace", "app/feat"]), "cannot be used with"),
        (
            create(&["--every", "1h", "--project", "app"]),
            "--project needs --new-workspace: each run gets a new workspace",
        ),
        (create(&["--every", "1h", "--new-workspace"]), "--new-workspace needs --project P"),
        (
            vec![
                "cronjobs",
                "create",
                "nightly",
                "--name",
                "N",
                "--prompt",
                "p",
                "--every",
                "1h",
                "--workspace",
                "app/feat",
            ],
            "a cronjob with the key 'nightly' already exists; see `band cronjobs list`",
        ),
        (vec!["cronjobs", "trigger", "nope"], "no cronjob 'nope'; see `band cronjobs list`"),
        (
            vec!["cronjobs", "update", "nightly", "--timezone", "UTC"],
            "cronjob 'nightly' runs on an interval; a timezone goes with a cron expression",
        ),
    ];
    for (args, expected) in cases {
        let msg = error(&env.band(&args).await);
        assert!(msg.contains(expected), "{args:?}: {msg}");
    }

    // A budget: set one key, then the other (the first kept), then remove one; nonsense refused.
    let job = env.json(&["cronjobs", "update", "nightly", "--max-cost-usd", "$2.50"]).await;
    assert_eq!(job["budget"], "maxCostUsd=2.5");
    let job = env.json(&["cronjobs", "update", "nightly", "--max-tokens", "100000"]).await;
    assert_eq!(job["budget"], "maxCostUsd=2.5,maxTokens=100000");
    let shown = text(&env.band(&["cronjobs", "get", "nightly"]).await);
    assert!(shown.contains("budget:    maxCostUsd=2.5,maxTokens=100000"), "{shown}");
    let job = env.json(&["cronjobs", "update", "nightly", "--max-cost-usd", "none"]).await;
    assert_eq!(job["budget"], "maxTokens=100000");
    let msg = error(&env.band(&["cronjobs", "update", "nightly", "--max-tokens", "lots"]).await);
    assert!(msg.contains("the budget 'maxTokens=lots' is not understood"), "{msg}");
    let job = env.json(&["cronjobs", "update", "nightly", "--max-tokens", "none"]).await;
    assert!(job.get("budget").is_none(), "{job}");

    // Trigger now: a new chat in app/feat, followed to the end of its turn in the history.
    let printed = text(&env.band(&["cronjobs", "trigger", "nightly"]).await);
    assert!(printed.starts_with("cronjob 'nightly' run 1: running in chat 1"), "{printed}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let runs = env.json(&["cronjobs", "runs", "nightly"]).await;
        if runs[0]["outcome"] == "completed" {
            assert_eq!(
                (runs[0]["trigger"].clone(), runs[0]["chatId"].clone()),
                (Value::from("manual"), Value::from(1))
            );
            assert!(runs[0]["usage"]["outputTokens"].as_u64() > Some(0), "{runs}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{runs}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let table = text(&env.band(&["cronjobs", "runs", "nightly"]).await);
    assert!(table.contains("manual") && table.contains("completed"), "{table}");

    let printed = text(&env.band(&["cronjobs", "update", "nightly", "--disabled"]).await);
    assert_eq!(printed.trim(), "updated cronjob 'nightly': disabled");
    let printed = text(
        &env.band(&[
            "cronjobs",
            "update",
            "nightly",
            "--cron",
            "0 9 * * 1-5",
            "--timezone",
            "Europe/Berlin",
            "--enabled",
        ])
        .await,
    );
    assert!(printed.contains("next run 20"), "{printed}");
    let shown = text(&env.band(&["cronjobs", "get", "nightly"]).await);
    assert!(
        shown.contains("schedule:  cron '0 9 * * 1-5' (Europe/Berlin)") && shown.contains("if busy:   skip"),
        "{shown}"
    );
    let printed = text(&env.band(&["cronjobs", "delete", "nightly"]).await);
    assert_eq!(printed.trim(), "deleted cronjob 'nightly' and its history");
    assert!(text(&env.band(&["cronjobs", "list"]).await).starts_with("no cronjobs yet"));
    env.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn project_scripts_are_shown_approved_and_followed_from_the_command_line() {
    let env = Env::start().await;
    let repo = TestRepo::named("app");
    std::fs::create_dir_all(repo.path().join(".band")).expect("mkdir");
    let config = serde_json::json!({"setup": "echo hello from setup; echo to stderr >&2", "teardown": "echo bye"});
    std::fs::write(repo.path().join(".band/config.json"), config.to_string()).expect("config");
    text(&env.band(&["projects", "add", repo.path().to_str().expect("utf-8"), "--name", "app"]).await);

    // Not approved: the workspace is made, and the CLI says why nothing ran and what to run.
    let out = text(&env.band(&["workspaces", "create", "app", "a"]).await);
    assert!(out.contains("has not approved its scripts") && out.contains("`band projects trust app`"), "{out}");
    let shown = text(&env.band(&["projects", "config", "app"]).await);
    assert!(
        shown.contains("  | echo hello from setup; echo to stderr >&2") && shown.contains("NOT approved"),
        "{shown}"
    );
    let msg = error(&env.band(&["workspaces", "setup", "app/a"]).await);
    assert!(msg.contains("are not approved") && msg.contains("band projects trust app"), "{msg}");
    // A stale hash approves nothing.
    let msg = error(&env.band(&["projects", "trust", "app", "--hash", "abc"]).await);
    assert!(msg.contains("changed since they were shown"), "{msg}");

    // trust shows the scripts first, then approves exactly them.
    let out = text(&env.band(&["projects", "trust", "app"]).await);
    let (shown, approved) = out.split_once("approved the scripts").expect("approved after showing");
    assert!(shown.contains("  | echo bye"), "{out}");
    assert!(approved.contains("of project app (hash "), "{out}");
    // setup follows the output to the end (stdout and stderr as they came).
    let out = env.band(&["workspaces", "setup", "app/a"]).await;
    assert_eq!(text(&out), "hello from setup\nto stderr\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("succeeded"));
    let runs = env.json(&["workspaces", "scripts", "app/a"]).await;
    assert_eq!(runs[0]["status"], "succeeded");
    let removed = text(&env.band(&["workspaces", "remove", "app/a"]).await);
    assert!(removed.contains("teardown script succeeded"), "{removed}");
    // Withdrawn: asked again.
    text(&env.band(&["projects", "untrust", "app"]).await);
    let view = env.json(&["projects", "config", "app"]).await;
    assert_eq!(view["trusted"], false);
    // A bad file for --set is named.
    let bad = repo.path().join("bad.json");
    std::fs::write(&bad, "{nope").expect("bad");
    let msg = error(&env.band(&["projects", "config", "app", "--set", bad.to_str().expect("utf-8")]).await);
    assert!(msg.contains("bad.json is not valid JSON"), "{msg}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_direct_workspace_from_the_command_line_is_marked_and_removing_it_leaves_the_checkout() {
    let env = Env::start().await;
    let repo = TestRepo::named("app");
    text(&env.band(&["projects", "add", repo.path().to_str().expect("utf-8")]).await);
    let out = text(&env.band(&["workspaces", "create", "app", "--direct"]).await);
    assert!(out.contains(&format!("app/main at {}", repo.path().display())) && out.contains("direct:"), "{out}");
    let list = text(&env.band(&["workspaces", "list"]).await);
    assert!(list.contains("(direct: the checkout)"), "{list}");
    // Inside the checkout, the workspace argument may be left out.
    std::fs::write(repo.path().join("wip.txt"), "mine\n").expect("write");
    let status = text(&env.band_in(repo.path(), &["workspaces", "status"]).await);
    assert!(status.contains("untracked    wip.txt"), "{status}");
    let msg = error(&env.band(&["workspaces", "create", "app", "x", "--direct"]).await);
    assert!(msg.contains("--direct") && msg.contains("cannot be used with"), "{msg}");
    let removed = text(&env.band(&["workspaces", "remove", "app/main"]).await);
    assert!(removed.contains("never touches"), "{removed}");
    assert_eq!(std::fs::read_to_string(repo.path().join("wip.txt")).expect("kept"), "mine\n");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn facts_archive_gc_and_merge_from_the_command_line() {
    let env = Env::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("shared.txt", "one\n", "shared");
    text(&env.band(&["projects", "add", repo.path().to_str().expect("utf-8")]).await);
    let created = env.json(&["workspaces", "create", "app", "feat"]).await;
    let wt = Path::new(created["path"].as_str().expect("path")).to_owned();
    std::fs::write(wt.join("new.txt"), "n\n").expect("write");
    let facts = text(&env.band(&["workspaces", "facts", "app/feat"]).await);
    assert!(
        facts.contains("base main: 0 ahead, 0 behind") && facts.contains("uncommitted: 1 file(s)\n  new.txt"),
        "{facts}"
    );
    assert!(facts.contains("remote: no upstream") && facts.contains("disk: "), "{facts}");
    let msg = error(&env.band(&["workspaces", "archive", "app/feat"]).await);
    assert!(msg.contains("commit them first"), "{msg}");
    let gc = text(&env.band(&["workspaces", "gc", "--idle-days", "0"]).await);
    assert!(gc.contains("nothing to archive") && gc.contains("app/feat  1 uncommitted change(s)"), "{gc}");

    // A conflict is an error naming the files, and nothing changes.
    repo.commit_file("shared.txt", "theirs\n", "main changes shared");
    std::fs::write(wt.join("shared.txt"), "mine\n").expect("write");
    let msg = error(&env.band(&["workspaces", "merge", "app/feat", "-m", "mine"]).await);
    assert!(msg.contains("conflicts in 1 file(s): shared.txt") && msg.contains("nothing was changed"), "{msg}");
    assert_eq!(std::fs::read_to_string(wt.join("shared.txt")).expect("mine"), "mine\n");
    // Without the clash it merges; there is no remote to push to, and it says so.
    std::fs::write(wt.join("shared.txt"), "theirs\n").expect("write");
    let out = text(&env.band(&["workspaces", "merge", "app/feat", "-m", "Add new.txt"]).await);
    assert!(
        out.contains("merged app/feat onto main") && out.contains("fast-forwarded in the project's checkout"),
        "{out}"
    );
    assert!(out.contains("not pushed: the repository has no remote"), "{out}");
    assert!(repo.path().join("new.txt").is_file());
    // Clean and merged: archived, then restored.
    let out = text(&env.band(&["workspaces", "archive", "app/feat"]).await);
    assert!(out.contains("branch feat and its chats are kept"), "{out}");
    assert!(text(&env.band(&["workspaces", "list"]).await).contains("(archived)"));
    text(&env.band(&["workspaces", "restore", "app/feat"]).await);
    assert!(wt.join("new.txt").is_file());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_is_removed_with_everything_from_the_command_line() {
    let env = Env::start().await;
    let repo = TestRepo::named("app");
    text(&env.band(&["projects", "add", repo.path().to_str().expect("utf-8")]).await);
    env.json(&["workspaces", "create", "app", "clean"]).await;
    let dirty = env.json(&["workspaces", "create", "app", "dirty"]).await;
    std::fs::write(Path::new(dirty["path"].as_str().expect("path")).join("w.txt"), "w\n").expect("write");
    // Kept with a warning each, and exit 1 with nothing on stdout.
    let out = env.band(&["projects", "remove", "app", "--everything"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: workspace 'app/dirty' was kept") && stderr.contains("`--force`"), "{stderr}");
    let out = text(&env.band(&["projects", "remove", "app", "--everything", "--force"]).await);
    assert!(out.contains("removed workspace app/dirty") && out.contains("removed project app"), "{out}");
    assert!(repo.path().join("README.md").is_file());
    let msg = error(&env.band(&["projects", "remove", "app", "--force"]).await);
    assert!(msg.contains("--everything"), "{msg}");
    env.stop().await;
}
