//! End to end with the real agent CLIs: band-server (in-process, or its binary as a child process
//! for the kill -9 test; real SQLite, real git repositories and worktrees) runs the CLIs installed
//! by ./scripts/agents.sh against the scripted mock model on 127.0.0.1. The test command runs this
//! inside a loopback-only network namespace when it can; the agents are configured offline in any
//! case. What every proven agent must do is the contract suite's (`contract.rs`, which uses the
//! helpers here); this file keeps what is one agent's own: a commit through Claude Code's tools
//! and usage totals, Codex's command approval, Gemini CLI's refused load, and kill -9 of
//! band-server mid-tool.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use band_api::client::Client;
use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

/// A fresh band home, and where it will check out `app/feat`.
pub(crate) fn new_home() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().expect("tempdir");
    let wt = std::fs::canonicalize(home.path()).expect("home").join("worktrees/app/feat");
    (home, wt)
}

fn configure(home: &Path, mock: &MockModel) {
    band_mockmodel::offline::configure_band_home(home, mock);
}

pub(crate) struct Band {
    home: tempfile::TempDir,
    pub(crate) running: Option<band_server::Running>,
    pub(crate) client: Client,
}

impl Band {
    pub(crate) async fn start(home: tempfile::TempDir) -> Self {
        let config = band_server::Config::local(home.path());
        let running = band_server::start(config).await.expect("server");
        let settings: Value =
            serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("read")).expect("json");
        let token = settings["tokenSecret"].as_str().map(str::to_owned);
        let client = Client::new(&running.url(), token).expect("client");
        Self { home, running: Some(running), client }
    }

    /// Its home (`BAND_HOME` for the `band` CLI).
    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Where `project/branch` will be checked out.
    fn worktree(&self, project: &str, branch: &str) -> PathBuf {
        std::fs::canonicalize(self.home.path()).expect("home").join("worktrees").join(project).join(branch)
    }

    pub(crate) async fn call(&self, method: &str, params: Value) -> Value {
        self.client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    async fn chat(&self, id: i64) -> Value {
        self.call("chats.get", json!({"chat": id})).await
    }

    /// Polls until the chat's status is one of `wanted`.
    pub(crate) async fn wait_status(&self, id: i64, wanted: &[&str], within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let chat = self.chat(id).await;
            if wanted.contains(&chat["status"].as_str().unwrap_or_default()) {
                return chat;
            }
            if Instant::now() > deadline {
                let events = self.call("chats.events", json!({"chat": id, "after": 0})).await;
                panic!("chat {id} is {} after {within:?}, wanted {wanted:?}; events: {events:#}", chat["status"]);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn events(&self, id: i64) -> Vec<Value> {
        self.call("chats.events", json!({"chat": id, "after": 0, "limit": 1000}))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) async fn stop(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("stop");
        }
        self.home
    }
}

pub(crate) fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

/// The scope marker (the value of `BAND_PROCESS_SCOPE`) of `pid`.
pub(crate) fn scope_of(pid: u32) -> String {
    let env = std::fs::read(format!("/proc/{pid}/environ")).expect("agent environ");
    env.split(|b| *b == 0)
        .find_map(|kv| std::str::from_utf8(kv).ok()?.strip_prefix("BAND_PROCESS_SCOPE=").map(str::to_owned))
        .expect("the agent carries its scope marker")
}

pub(crate) async fn project_with_workspace(band: &Band, repo: &TestRepo, prompt: &str, agent: &str, mode: &str) -> i64 {
    band.call("projects.add", json!({"path": repo.path()})).await;
    let created = band
        .call(
            "workspaces.create",
            json!({"project": "app", "branch": "feat", "prompt": prompt, "agent": agent, "mode": mode}),
        )
        .await;
    created["chat"]["id"].as_i64().expect("a chat was started")
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_writes_and_commits_a_file_when_a_person_allows_it() {
    let repo = TestRepo::named("app");
    let (home, wt) = new_home();
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool("Write", json!({"file_path": wt.join("hello.txt"), "content": "hello from claude\n"})),
        MockTurn::tool(
            "Bash",
            json!({"command": "git add hello.txt && git commit -q -m 'add hello'", "description": "commit"}),
        ),
        MockTurn::text("done"),
    ]))
    .await;
    configure(home.path(), &mock);
    let band = Band::start(home).await;
    let chat =
        project_with_workspace(&band, &repo, "Please write hello.txt and commit it.", "claude-code", "ask").await;
    assert_eq!(band.worktree("app", "feat"), wt);

    for tool in ["Write", "Bash"] {
        band.wait_status(chat, &["waiting"], Duration::from_secs(60)).await;
        let events = band.events(chat).await;
        let ask = events.iter().rev().find(|e| e["type"] == "permission").expect("a permission event");
        assert_eq!(ask["tool"], tool);
        // The overview shows what it waits on, in a person's words, at the top.
        let overview = band.call("chats.overview", json!({})).await;
        assert_eq!(overview[0]["chat"]["id"], chat, "{overview}");
        assert_eq!(overview[0]["pending"][0]["tool"], tool, "{overview}");
        let summary = overview[0]["pending"][0]["summary"].as_str().unwrap_or_default();
        assert!(summary.contains(if tool == "Write" { "hello.txt" } else { "git add hello.txt" }), "{overview}");
        band.call("chats.respond", json!({"chat": chat, "decision": "allow"})).await;
    }
    let done = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    assert!(done["agentSessionId"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(std::fs::read_to_string(wt.join("hello.txt")).expect("written"), "hello from claude\n");
    assert_eq!(repo.git(&["-C", wt.to_str().expect("utf8"), "log", "-1", "--format=%s"]), "add hello");

    let events = band.events(chat).await;
    let k = kinds(&events);
    for expected in [
        "prompt",
        "turn_started",
        "agent_session",
        "tool_call",
        "permission",
        "permission_resolved",
        "tool_call_update",
        "agent_message_chunk",
        "turn_ended",
    ] {
        assert!(k.contains(&expected), "{expected} missing from {k:?}");
    }
    let text: String =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, "done");
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    let usage = &turns[0]["usage"];
    assert!(
        usage["inputTokens"].as_u64().unwrap_or(0) > 0 && usage["outputTokens"].as_u64().unwrap_or(0) > 0,
        "{turns}"
    );
    assert!(usage["costUsd"].as_f64().unwrap_or(0.0) > 0.0, "{turns}");
    assert_eq!(turns[0]["stopReason"], "end_turn");
    let totals = band.call("chats.usage", json!({"workspace": "app/feat"})).await;
    assert_eq!(totals["turns"], 1);
    let overview = band.call("chats.overview", json!({})).await;
    assert_eq!(overview[0]["pending"], json!([]), "{overview}");
    assert_eq!(overview[0]["lastMessage"], "done", "{overview}");
    assert_eq!(overview[0]["branch"], "feat", "{overview}");
    assert!(overview[0]["usage"]["usage"]["costUsd"].as_f64().unwrap_or(0.0) > 0.0, "{overview}");
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_runs_a_command_that_commits_once_allowed_and_its_usage_is_kept() {
    let repo = TestRepo::named("app");
    let (home, wt) = new_home();
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool(
            "exec_command",
            json!({"cmd": "printf 'from codex\\n' > codex.txt && git add codex.txt && git commit -q -m 'add codex.txt'"}),
        ),
        MockTurn::text("committed"),
    ]))
    .await;
    configure(home.path(), &mock);
    let band = Band::start(home).await;
    let chat = project_with_workspace(&band, &repo, "Add codex.txt and commit it.", "codex", "ask").await;
    band.wait_status(chat, &["waiting"], Duration::from_secs(60)).await;
    let ask = band.events(chat).await.into_iter().rev().find(|e| e["type"] == "permission").expect("permission");
    assert_eq!(ask["tool"], "exec_command");
    assert!(ask["rawInput"].to_string().contains("git commit"), "{ask}");
    band.call("chats.respond", json!({"chat": chat, "decision": "allow"})).await;
    let done = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    assert!(done["agentSessionId"].as_str().is_some_and(|s| !s.is_empty()), "the codex thread id");
    assert_eq!(std::fs::read_to_string(wt.join("codex.txt")).expect("written"), "from codex\n");
    assert_eq!(repo.git(&["-C", wt.to_str().expect("utf8"), "log", "-1", "--format=%s"]), "add codex.txt");
    let events = band.events(chat).await;
    let text: String =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, "committed");
    let update = events.iter().find(|e| e["type"] == "tool_call_update").expect("tool update");
    assert_eq!(update["status"], "completed");
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    assert!(turns[0]["usage"]["inputTokens"].as_u64().unwrap_or(0) > 0, "{turns}");
    assert_eq!(turns[0]["stopReason"], "end_turn");
    band.stop().await;
    mock.stop().await;
}

// ---------------------------------------------------------------------------------------------
// band-server as a real process, killed with kill -9

/// The band-server binary next to this test's own directory (`target/<profile>/band-server`),
/// which `cargo test --workspace` builds (band-server's own tests need it) and
/// ./scripts/test.sh builds first. A binary older than the sources it is built from would test
/// old code, so that is refused too.
fn band_server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("this test binary");
    let bin = exe.parent().and_then(Path::parent).expect("target/<profile>").join("band-server");
    let build = "build it first: `cargo build -p band-server` (`cargo test --workspace` builds it too)";
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{} is missing ({e}): {build}", bin.display()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root");
    // The sources of band-server and of the band crates it is built from.
    let mut sources = Vec::new();
    let crates = [
        "band-server",
        "band-core",
        "band-api",
        "band-adapters",
        "band-store",
        "band-git",
        "band-files",
        "band-process",
    ];
    let mut dirs: Vec<PathBuf> = crates.iter().map(|c| root.join("crates").join(c).join("src")).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            } else {
                sources.push(entry.path());
            }
        }
    }
    let newer: Vec<&PathBuf> =
        sources.iter().filter(|p| std::fs::metadata(p).and_then(|m| m.modified()).is_ok_and(|t| t > built)).collect();
    assert!(newer.is_empty(), "{} is older than {newer:?}: {build}", bin.display());
    bin
}

/// A band-server process on `home`, and a client for it.
struct ServerProcess {
    child: tokio::process::Child,
    client: Client,
}

impl ServerProcess {
    async fn start(home: &Path) -> Self {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(band_server_binary())
            .args(["--port", "0"])
            .env("BAND_HOME", home)
            .env("BAND_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn band-server");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("band-server started in time")
            .expect("read")
            .expect("a line");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let url = first.rsplit(' ').next().expect("url").to_owned();
        let settings: Value =
            serde_json::from_slice(&std::fs::read(home.join("settings.json")).expect("read")).expect("json");
        let client = Client::new(&url, settings["tokenSecret"].as_str().map(str::to_owned)).expect("client");
        Self { child, client }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        self.client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    async fn wait_status(&self, id: i64, wanted: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let chat = self.call("chats.get", json!({"chat": id})).await;
            if chat["status"] == wanted {
                return chat;
            }
            assert!(Instant::now() < deadline, "chat {id} is {} after {within:?}, wanted {wanted}", chat["status"]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Live processes whose scope marker says band-server `pid` started them (or what they started).
fn started_by(pid: u32) -> Vec<i32> {
    let prefix = format!("BAND_PROCESS_SCOPE={pid}.");
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            let env = std::fs::read(format!("/proc/{p}/environ")).unwrap_or_default();
            !zombie && env.split(|b| *b == 0).any(|kv| kv.starts_with(prefix.as_bytes()))
        })
        .collect()
}

/// The parent of `pid`, if it is alive.
fn parent_of(pid: i32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// The reliability issue's item 5: `kill -9` of band-server while a chat runs a tool. The agent
/// dies with the server (parent-death signal), the tool it started is ended by the next start
/// (the dead server's processes are swept before anything else), so nothing goes on changing
/// the workspace; the chat reads interrupted, and the next message resumes the agent's session.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_band_server_mid_tool_leaves_nothing_and_the_next_start_resumes_the_chat() {
    let tag = format!("band-e2e-tool-{}", std::process::id());
    // Whatever happens, no sleeper of this test is left for later runs.
    struct Reap(String);
    impl Drop for Reap {
        fn drop(&mut self) {
            for pid in band_testkit::procs::running(&self.0) {
                let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        }
    }
    let _reap = Reap(tag.clone());
    let repo = TestRepo::named("app");
    let (home, _) = new_home();
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool(
            "Bash",
            json!({"command": format!("exec -a {tag} sleep 300"), "description": "wait", "timeout": 600_000}),
        ),
        MockTurn::text("back after the restart"),
    ]))
    .await;
    configure(home.path(), &mock);

    let first = ServerProcess::start(home.path()).await;
    first.call("projects.add", json!({"path": repo.path()})).await;
    let created = first
        .call(
            "workspaces.create",
            json!({"project": "app", "branch": "feat", "prompt": "Wait for five minutes.", "agent": "claude-code", "mode": "allow-all"}),
        )
        .await;
    let chat = created["chat"]["id"].as_i64().expect("a chat was started");
    let deadline = Instant::now() + Duration::from_secs(60);
    while band_testkit::procs::running(&tag).is_empty() {
        assert!(Instant::now() < deadline, "the agent never ran the tool");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let session = first.call("chats.get", json!({"chat": chat})).await["agentSessionId"]
        .as_str()
        .expect("the agent's session is known")
        .to_owned();
    let server = first.pid();
    let marked = started_by(server);
    let agents: Vec<i32> = marked.iter().copied().filter(|p| parent_of(*p) == Some(server)).collect();
    assert!(!agents.is_empty(), "the agent is band-server's child: {marked:?}");
    let tool = band_testkit::procs::running(&tag);
    assert!(tool.iter().all(|p| marked.contains(p)), "the tool carries the server's marker: {tool:?} {marked:?}");

    let mut first = first;
    first.child.start_kill().expect("kill -9");
    first.child.wait().await.expect("reaped");
    // The agent dies with the server, without anyone stopping it.
    let deadline = Instant::now() + Duration::from_secs(2);
    while agents.iter().any(|p| started_by(server).contains(p)) {
        assert!(Instant::now() < deadline, "the agent outlived band-server's kill -9: {:?}", started_by(server));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The next start ends what the dead server's agent left before it serves anything.
    let second = ServerProcess::start(home.path()).await;
    assert_eq!(started_by(server), Vec::<i32>::new(), "the dead server's processes survived the next start");
    assert_eq!(band_testkit::procs::running(&tag), Vec::<i32>::new(), "the tool survived the next start");
    let got = second.call("chats.get", json!({"chat": chat})).await;
    assert_eq!(got["status"], "interrupted", "{got}");

    let sent = second.call("chats.send", json!({"chat": chat, "message": "Go on."})).await;
    assert_eq!(sent["outcome"], "started");
    let done = second.wait_status(chat, "completed", Duration::from_secs(60)).await;
    assert_eq!(done["agentSessionId"].as_str(), Some(session.as_str()), "the same agent session");
    let events = second.call("chats.events", json!({"chat": chat, "after": 0, "limit": 1000})).await;
    let text: String = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "agent_message_chunk")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(text, "back after the restart");
    mock.stop().await;
    let mut second = second;
    let pid = second.pid().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let exit = tokio::time::timeout(Duration::from_secs(15), second.child.wait()).await.expect("stops").expect("exit");
    assert!(exit.success(), "{exit}");
}

/// Gemini CLI 0.61.0 refuses `session/load` in the UTC minute its session was made (AGENTS.md).
/// band then starts a new session and says so in the chat's log; the chat goes on.
#[tokio::test(flavor = "multi_thread")]
async fn gemini_refusing_a_load_in_its_sessions_first_minute_starts_a_new_session_with_a_note() {
    // Room for a turn, a restart and the next message within one UTC minute.
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() % 60;
    if second > 25 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
    }
    let repo = TestRepo::named("app");
    let (home, _) = new_home();
    let mock = MockModel::start(Scenario::new([MockTurn::text("noted"), MockTurn::text("it was PINEAPPLE")])).await;
    configure(home.path(), &mock);
    let band = Band::start(home).await;
    let chat = project_with_workspace(&band, &repo, "Remember PINEAPPLE.", "gemini", "ask").await;
    let first = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    let session = first["agentSessionId"].as_str().expect("a session").to_owned();
    let home = band.stop().await;
    let band = Band::start(home).await;
    band.call("chats.send", json!({"chat": chat, "message": "What was the word?"})).await;
    let second = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    let events = band.events(chat).await;
    let note = events.iter().find(|e| e["type"] == "error").expect("a note in the log");
    let message = note["message"].as_str().expect("message");
    assert!(message.starts_with(&format!("Gemini CLI could not resume its session {session} (")), "{message}");
    assert!(message.ends_with("this chat goes on in a new session, without the agent's memory of the earlier turns"));
    assert_ne!(second["agentSessionId"].as_str(), Some(session.as_str()), "a new session");
    // The new session knows nothing of the first turn: the mock, which answers by the
    // conversation it is sent, serves its first turn again.
    let text: String =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, "notednoted");
    let last = mock.main_requests().last().cloned().expect("a request").body.to_string();
    assert!(last.contains("What was the word?") && !last.contains("Remember PINEAPPLE."), "{last}");
    band.stop().await;
    mock.stop().await;
}

/// Issue 13, idle agents: a chat's Claude Code process idle past `agentIdleTimeoutSeconds` (2 s
/// here) is stopped (no process left), and the next message starts it again on the same session:
/// the mock model is sent the earlier conversation.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_claude_is_stopped_and_the_next_message_resumes_its_session() {
    let repo = TestRepo::named("app");
    let (home, _) = new_home();
    let mock = MockModel::start(Scenario::new([MockTurn::text("noted"), MockTurn::text("it was PINEAPPLE")])).await;
    configure(home.path(), &mock);
    let path = home.path().join("settings.json");
    let mut settings: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    settings["agentIdleTimeoutSeconds"] = json!(2);
    std::fs::write(&path, settings.to_string()).expect("write");
    let band = Band::start(home).await;
    let chat = project_with_workspace(&band, &repo, "Remember PINEAPPLE.", "claude-code", "ask").await;
    let first = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    let session = first["agentSessionId"].as_str().expect("a session").to_owned();
    let chats = band.running.as_ref().expect("running").chats.clone();
    let (_, pid) = chats.agent_pids().await.first().copied().expect("the agent runs after its turn");

    // Past the timeout (checked every second): no process, in band's view or the system's.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !chats.agent_pids().await.is_empty() {
        assert!(Instant::now() < deadline, "the idle agent was not stopped");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "process {pid} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(band.chat(chat).await["status"], "completed", "the user sees no change but a status");

    band.call("chats.send", json!({"chat": chat, "message": "What was the word?"})).await;
    let second = band.wait_status(chat, &["completed"], Duration::from_secs(60)).await;
    assert_eq!(second["agentSessionId"].as_str(), Some(session.as_str()), "the same session");
    let last = mock.main_requests().last().cloned().expect("a request").body.to_string();
    assert!(last.contains("Remember PINEAPPLE.") && last.contains("What was the word?"), "{last}");
    let text: String = band
        .events(chat)
        .await
        .iter()
        .filter(|e| e["type"] == "agent_message_chunk")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(text, "notedit was PINEAPPLE");
    band.stop().await;
    mock.stop().await;
}

/// Issue 13, `maxLiveAgents` (1 here, set live through settings.set): with the real Claude Code
/// CLI, a second chat's start while the only live agent waits on a permission is queued, its
/// `queued` label saying "1 live agents, limit 1"; once the first chat's turn ends, its agent is
/// stopped and the queued chat starts. Then a message to the first chat stops the (free, oldest)
/// second agent and resumes the first chat's session: the mock is sent the earlier conversation.
#[tokio::test(flavor = "multi_thread")]
async fn max_live_agents_queues_starts_and_stops_the_oldest_free_agent() {
    let repo = TestRepo::named("app");
    let (home, _) = new_home();
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool("Bash", json!({"command": "echo one", "description": "say one"})),
        MockTurn::text("first done"),
        MockTurn::text("second done"),
    ]))
    .await;
    configure(home.path(), &mock);
    let band = Band::start(home).await;
    band.call("settings.set", json!({"key": "maxLiveAgents", "value": "1"})).await;
    assert_eq!(band.call("settings.get", json!({})).await["maxLiveAgents"], 1);
    let a = project_with_workspace(&band, &repo, "Run it.", "claude-code", "ask").await;
    band.wait_status(a, &["waiting"], Duration::from_secs(60)).await;
    let chats = band.running.as_ref().expect("running").chats.clone();
    let (_, pid_a) = chats.agent_pids().await.first().copied().expect("a's agent runs");

    // Every live agent is busy: the second chat's start waits in line, and says why.
    let created = band
        .call(
            "workspaces.create",
            json!({"project": "app", "branch": "other", "prompt": "Run it too.", "agent": "claude-code", "mode": "allow-all"}),
        )
        .await;
    let b = created["chat"]["id"].as_i64().expect("a second chat");
    let queued = band.chat(b).await;
    assert_eq!(queued["labels"]["queued"], "1 live agents, limit 1", "{queued}");
    assert_ne!(queued["status"], "working", "{queued}");
    assert_eq!(band.call("chats.queue", json!({"chat": b})).await[0]["text"], "Run it too.");
    assert_eq!(chats.agent_pids().await.len(), 1, "still one live agent");

    // The first turn ends: its agent gives its slot to the chat waiting.
    band.call("chats.respond", json!({"chat": a, "decision": "allow"})).await;
    band.wait_status(a, &["completed"], Duration::from_secs(60)).await;
    let done = band.wait_status(b, &["completed"], Duration::from_secs(90)).await;
    assert!(done["labels"].get("queued").is_none(), "{done}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid_a}")).exists() {
        assert!(Instant::now() < deadline, "a's agent {pid_a} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let live = chats.agent_pids().await;
    assert_eq!(live.iter().map(|(c, _)| c.0).collect::<Vec<_>>(), vec![b], "only b's agent lives");
    let pid_b = live[0].1;

    // A new start stops the oldest free agent first (b's) and resumes a's session.
    let session = band.chat(a).await["agentSessionId"].as_str().expect("a session").to_owned();
    band.call("chats.send", json!({"chat": a, "message": "And again."})).await;
    let again = band.wait_status(a, &["completed"], Duration::from_secs(60)).await;
    assert_eq!(again["agentSessionId"].as_str(), Some(session.as_str()), "the same session");
    let last = mock.main_requests().last().cloned().expect("a request").body.to_string();
    assert!(last.contains("Run it.") && last.contains("And again."), "{last}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid_b}")).exists() {
        assert!(Instant::now() < deadline, "b's agent {pid_b} is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(chats.agent_pids().await.iter().map(|(c, _)| c.0).collect::<Vec<_>>(), vec![a]);
    band.stop().await;
    mock.stop().await;
}
