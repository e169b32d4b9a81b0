//! The real agent CLIs (Claude Code 2.1.197, Codex 0.169.0), run offline against the mock model:
//! proof that the mock speaks their wire APIs, and a record of their own protocols (stream-json
//! with control requests; the app-server's JSON-RPC) as band's adapters will meet them.
//!
//! The CLIs come from `./scripts/agents.sh` (`BAND_AGENTS_BIN`, else
//! `$HOME/.cache/band/agents/node_modules/.bin`). Every run gets a scratch HOME and the offline
//! settings of docs/AGENTS.md, so nothing is sent anywhere but the mock on 127.0.0.1.
//!
//! `BAND_RECORD_FIXTURES=1` rewrites the transcripts in `crates/band-adapters/tests/fixtures/`
//! (one `{"dir": "in"|"out", "msg": ...}` line per protocol message) from these runs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use band_mockmodel::offline::agents_bin;
use band_mockmodel::{MockModel, MockTurn, RecordedRequest, Scenario};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// How long any one protocol message may take to arrive.
const PATIENCE: Duration = Duration::from_secs(60);

/// A git repository with one commit, and a scratch home for the agent, in one temporary directory.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::Builder::new().prefix("band-agents-").tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("repo")).expect("repo dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home dir");
        let sandbox = Sandbox { dir };
        sandbox.git(&["init", "-q"]);
        sandbox.git(&["config", "user.name", "Band Test"]);
        sandbox.git(&["config", "user.email", "test@band.invalid"]);
        sandbox.git(&["config", "commit.gpgsign", "false"]);
        std::fs::write(sandbox.repo().join("README.md"), "test repo\n").expect("write");
        sandbox.git(&["add", "README.md"]);
        sandbox.git(&["commit", "-q", "-m", "init"]);
        sandbox
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git").arg("-C").arg(self.repo()).args(args).output().expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn commits(&self) -> Vec<String> {
        self.git(&["log", "--format=%s"]).lines().map(str::to_owned).collect()
    }
}

/// A CLI speaking JSON lines on stdin/stdout, with everything it said and heard kept in order.
struct Agent {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: PathBuf,
    /// Shared with the stdout reader, so that lines are recorded when they arrive, not when the
    /// test gets round to reading them: the fixtures keep the real interleaving of in and out.
    transcript: Arc<Mutex<Vec<Entry>>>,
}

/// One protocol message: `in` (to the agent) or `out` (from it), parsed, and as the fixture line
/// `{"dir":..,"msg":..}` that embeds the message's bytes exactly as they were on the wire.
struct Entry {
    dir: &'static str,
    msg: Value,
    line: String,
}

impl Entry {
    fn new(dir: &'static str, raw: &str, msg: Value) -> Entry {
        Entry { dir, msg, line: format!(r#"{{"dir":"{dir}","msg":{raw}}}"#) }
    }
}

impl Agent {
    fn spawn(name: &'static str, mut command: Command, stderr: PathBuf) -> Agent {
        let log = std::fs::File::create(&stderr).expect("stderr file");
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log).kill_on_drop(true);
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let recorder = transcript.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(msg) = serde_json::from_str::<Value>(&line) {
                    lock(&recorder).push(Entry::new("out", &line, msg));
                }
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Agent { name, child, stdin, lines, stderr, transcript }
    }

    async fn send(&mut self, msg: Value) {
        let mut line = msg.to_string();
        lock(&self.transcript).push(Entry::new("in", &line, msg));
        line.push('\n');
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(line.as_bytes()).await.expect("write to agent");
        stdin.flush().await.expect("flush");
    }

    /// The next JSON message on stdout. Non-JSON lines are a protocol violation.
    async fn next(&mut self) -> Value {
        match tokio::time::timeout(PATIENCE, self.lines.recv()).await {
            Ok(Some(line)) => serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{} wrote a line that is not JSON ({e}): {line}", self.name)),
            Ok(None) => self.fail("closed stdout"),
            Err(_) => self.fail("went quiet"),
        }
    }

    fn fail(&self, what: &str) -> ! {
        let stderr = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        let tail: Vec<String> = lock(&self.transcript).iter().rev().take(8).map(|e| e.line.clone()).collect();
        panic!(
            "{} {what}.\nlast messages (newest first):\n{}\nstderr:\n{}",
            self.name,
            tail.join("\n").chars().take(6000).collect::<String>(),
            stderr.chars().rev().take(3000).collect::<String>().chars().rev().collect::<String>()
        );
    }

    /// Closes stdin (how a session ends) and waits for the process, reading what it still says.
    async fn finish(&mut self) {
        self.stdin.take();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => self.fail("did not exit after stdin closed"),
            }
        }
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        assert!(matches!(status, Ok(Ok(s)) if s.success()), "{} exited with {status:?}", self.name);
    }

    /// With `BAND_RECORD_FIXTURES` set, writes the transcript as a fixture for band-adapters' tests.
    fn record(&self, file: &str) {
        if std::env::var_os("BAND_RECORD_FIXTURES").is_none() {
            return;
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../band-adapters/tests/fixtures").join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("fixture dir");
        let text: String = lock(&self.transcript).iter().map(|e| format!("{}\n", e.line)).collect();
        std::fs::write(&path, text).expect("write fixture");
    }

    /// Everything the agent has written so far.
    fn out(&self) -> Vec<Value> {
        lock(&self.transcript).iter().filter(|e| e.dir == "out").map(|e| e.msg.clone()).collect()
    }
}

/// Numbers the agent processes of this test binary (for their stderr files).
fn next_run() -> u32 {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    RUNS.fetch_add(1, Ordering::Relaxed)
}

fn lock(transcript: &Mutex<Vec<Entry>>) -> MutexGuard<'_, Vec<Entry>> {
    transcript.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits until the mock has seen `n` main-conversation requests (the agent is mid-turn).
async fn wait_for_requests(mock: &MockModel, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    while mock.main_requests().len() < n {
        assert!(Instant::now() < deadline, "the agent never asked the mock for a turn");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_abandoned(mock: &MockModel, index: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !mock.main_requests()[index].abandoned {
        assert!(Instant::now() < deadline, "the agent did not hang up on the interrupted turn");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn body_mentions(request: &RecordedRequest, needle: &str) -> bool {
    request.body.to_string().contains(needle)
}

// ---------------------------------------------------------------------------------------------
// Claude Code: `claude --output-format stream-json --input-format stream-json` (no -p needed),
// permission prompts over stdio as control requests.

#[derive(Clone, Copy, PartialEq)]
enum Permission {
    Allow,
    Deny,
}

struct Claude {
    agent: Agent,
    permission: Permission,
    /// The `can_use_tool` requests answered so far.
    asked: Vec<Value>,
}

impl Claude {
    fn spawn(sandbox: &Sandbox, mock: &MockModel, extra: &[&str]) -> Claude {
        let home = sandbox.home();
        let mut command = Command::new(agents_bin().join("claude"));
        command
            .args(["--output-format", "stream-json", "--verbose", "--input-format", "stream-json"])
            .args(["--include-partial-messages", "--permission-prompt-tool", "stdio"])
            .args(extra)
            .current_dir(sandbox.repo())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
            .env("ANTHROPIC_BASE_URL", mock.url())
            .env("ANTHROPIC_API_KEY", "test")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("DISABLE_TELEMETRY", "1")
            .env("DISABLE_AUTOUPDATER", "1")
            .env("DISABLE_ERROR_REPORTING", "1");
        let stderr = home.join(format!("claude-{}.stderr", next_run()));
        Claude { agent: Agent::spawn("claude", command, stderr), permission: Permission::Allow, asked: Vec::new() }
    }

    /// The next message that is not a permission prompt (those are answered by the policy).
    async fn next(&mut self) -> Value {
        loop {
            let msg = self.agent.next().await;
            if msg["type"] == "control_request" && msg["request"]["subtype"] == "can_use_tool" {
                let response = match self.permission {
                    Permission::Allow => json!({"behavior": "allow", "updatedInput": msg["request"]["input"]}),
                    Permission::Deny => json!({"behavior": "deny", "message": "band test: denied"}),
                };
                let answer = json!({"type": "control_response", "response": {
                    "subtype": "success", "request_id": msg["request_id"], "response": response}});
                self.asked.push(msg["request"].clone());
                self.agent.send(answer).await;
                continue;
            }
            return msg;
        }
    }

    /// Sends a control request and returns its control response (the `response` object).
    async fn control(&mut self, id: &str, request: Value) -> Value {
        self.agent.send(json!({"type": "control_request", "request_id": id, "request": request})).await;
        loop {
            let msg = self.next().await;
            if msg["type"] == "control_response" && msg["response"]["request_id"] == id {
                return msg["response"].clone();
            }
        }
    }

    async fn initialize(&mut self) -> Value {
        let response = self.control("init", json!({"subtype": "initialize"})).await;
        assert_eq!(response["subtype"], "success", "{response}");
        response
    }

    async fn say(&mut self, text: &str) {
        self.agent.send(json!({"type": "user", "message": {"role": "user", "content": text}})).await;
    }

    /// Reads up to and including the turn's `result` line.
    async fn until_result(&mut self) -> Value {
        loop {
            let msg = self.next().await;
            if msg["type"] == "result" {
                return msg;
            }
        }
    }

    async fn prompt(&mut self, text: &str) -> Value {
        let started = Instant::now();
        self.say(text).await;
        let result = self.until_result().await;
        eprintln!("claude turn took {:?} (result duration_ms {})", started.elapsed(), result["duration_ms"]);
        result
    }
}

fn write_and_commit(sandbox: &Sandbox) -> Vec<MockTurn> {
    let path = sandbox.repo().join("hello.txt");
    vec![
        MockTurn::tool("Write", json!({"file_path": path, "content": "hello from claude\n"})),
        MockTurn::text("Committing.").and_tool(
            "Bash",
            json!({"command": "git add hello.txt && git commit -m 'add hello'", "description": "Commit hello.txt"}),
        ),
        MockTurn::text("done"),
        MockTurn::text("second answer"),
    ]
}

fn assert_success(result: &Value, text: &str) {
    assert_eq!(result["subtype"], "success", "{result}");
    assert_eq!(result["is_error"], false, "{result}");
    assert_eq!(result["result"], text, "{result}");
    assert!(result["total_cost_usd"].as_f64().is_some_and(|c| c > 0.0), "cost: {result}");
    assert!(result["usage"]["input_tokens"].as_u64().is_some_and(|t| t > 0), "usage: {result}");
    assert!(result["usage"]["output_tokens"].as_u64().is_some_and(|t| t > 0), "usage: {result}");
}

#[tokio::test]
async fn claude_writes_commits_and_answers_a_second_prompt_in_one_session() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(Scenario::new(write_and_commit(&sandbox))).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    let init = claude.initialize().await;
    assert!(init["response"]["commands"].is_array(), "{init}");

    let first = claude.prompt("Please write hello.txt and commit it.").await;
    assert_success(&first, "done");
    assert_eq!(first["num_turns"], 3);
    assert_eq!(std::fs::read_to_string(sandbox.repo().join("hello.txt")).expect("written"), "hello from claude\n");
    assert_eq!(sandbox.commits(), ["add hello", "init"]);
    let asked: Vec<&Value> = claude.asked.iter().map(|r| &r["tool_name"]).collect();
    assert_eq!(asked, ["Write", "Bash"]);
    assert!(claude.asked.iter().all(|r| r["tool_use_id"].as_str().is_some_and(|id| id.starts_with("toolu_mock_"))));

    let second = claude.prompt("And a second question.").await;
    assert_success(&second, "second answer");
    assert_eq!(second["session_id"], first["session_id"], "one process, one session");

    // What the adapters will parse: init, partial messages, tool use and results.
    let out = claude.agent.out();
    let init_lines = out.iter().filter(|m| m["type"] == "system" && m["subtype"] == "init").count();
    assert_eq!(init_lines, 2, "one system/init per prompt");
    assert!(out.iter().any(|m| m["type"] == "stream_event" && m["event"]["delta"]["type"] == "text_delta"));
    assert!(out.iter().any(|m| m["type"] == "stream_event" && m["event"]["delta"]["type"] == "input_json_delta"));
    assert!(out.iter().any(|m| m["type"] == "assistant" && m["message"]["content"][0]["type"] == "tool_use"));
    let results = out.iter().filter(|m| m["type"] == "user" && m["message"]["content"][0]["type"] == "tool_result");
    assert_eq!(results.count(), 2);

    claude.agent.finish().await;
    claude.agent.record("claude/allow.jsonl");
    assert_eq!(mock.main_requests().len(), 4);
    assert!(mock.requests().iter().all(|r| r.path == "/" || r.path.starts_with("/v1/messages")));
    mock.stop().await;
}

#[tokio::test]
async fn claude_denied_tools_change_nothing() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(Scenario::new(write_and_commit(&sandbox))).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    claude.permission = Permission::Deny;
    claude.initialize().await;
    let result = claude.prompt("Please write hello.txt and commit it.").await;
    assert_eq!(result["subtype"], "success", "{result}");
    assert!(!sandbox.repo().join("hello.txt").exists());
    assert_eq!(sandbox.commits(), ["init"]);
    let denied: Vec<&Value> =
        result["permission_denials"].as_array().expect("denials").iter().map(|d| &d["tool_name"]).collect();
    assert_eq!(denied, ["Write", "Bash"]);
    // The model is told: the tool result is the denial message, marked as an error.
    let second = &mock.main_requests()[1];
    assert!(body_mentions(second, "band test: denied"));
    claude.agent.finish().await;
    claude.agent.record("claude/deny.jsonl");
    mock.stop().await;
}

#[tokio::test]
async fn claude_interrupt_ends_the_turn_and_the_session_goes_on() {
    let sandbox = Sandbox::new();
    let scenario = Scenario::new([MockTurn::text("too slow").delayed(60_000), MockTurn::text("after the interrupt")]);
    let mock = MockModel::start(scenario).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    claude.initialize().await;
    claude.say("Take your time.").await;
    wait_for_requests(&mock, 1).await;

    let started = Instant::now();
    claude
        .agent
        .send(json!({"type": "control_request", "request_id": "stop", "request": {"subtype": "interrupt"}}))
        .await;
    let mut acknowledged = false;
    let result = loop {
        let msg = claude.next().await;
        if msg["type"] == "control_response" && msg["response"]["request_id"] == "stop" {
            assert_eq!(msg["response"]["subtype"], "success", "{msg}");
            acknowledged = true;
        }
        if msg["type"] == "result" {
            break msg;
        }
    };
    eprintln!("claude interrupt took {:?}", started.elapsed());
    assert!(acknowledged);
    assert_eq!(result["subtype"], "error_during_execution", "{result}");
    assert_eq!(result["is_error"], true);
    wait_for_abandoned(&mock, 0).await;

    let next = claude.prompt("Are you there?").await;
    assert_success(&next, "after the interrupt");
    assert_eq!(next["session_id"], result["session_id"]);
    // The interrupted prompt is still in the conversation.
    assert!(body_mentions(&mock.main_requests()[1], "Take your time."));
    claude.agent.finish().await;
    claude.agent.record("claude/interrupt.jsonl");
    mock.stop().await;
}

#[tokio::test]
async fn claude_resume_continues_the_conversation_in_a_new_process() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(Scenario::new(write_and_commit(&sandbox))).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    claude.initialize().await;
    let first = claude.prompt("Please write hello.txt and commit it.").await;
    assert_success(&first, "done");
    claude.agent.finish().await;
    let session = first["session_id"].as_str().expect("session id").to_owned();

    let mut resumed = Claude::spawn(&sandbox, &mock, &["--resume", &session]);
    resumed.initialize().await;
    let second = resumed.prompt("And a second question.").await;
    assert_success(&second, "second answer");
    assert_eq!(second["session_id"], session.as_str(), "resuming keeps the session id");
    resumed.agent.finish().await;
    resumed.agent.record("claude/resume.jsonl");

    let last = mock.main_requests().pop().expect("requests");
    let messages = last.body["messages"].as_array().expect("messages");
    let text = serde_json::to_string(messages).expect("json");
    for earlier in ["Please write hello.txt and commit it.", "toolu_mock_t0_0", "toolu_mock_t1_0", "add hello", "done"]
    {
        assert!(text.contains(earlier), "the resumed conversation lacks {earlier:?}");
    }
    mock.stop().await;
}

#[tokio::test]
async fn claude_reports_api_errors_and_refused_control_requests() {
    let sandbox = Sandbox::new();
    let scenario = Scenario::new([MockTurn::error(400, "mock: scripted failure"), MockTurn::text("recovered")]);
    let mock = MockModel::start(scenario).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    claude.initialize().await;
    let refused = claude.control("bogus", json!({"subtype": "no_such_request"})).await;
    assert_eq!(refused["subtype"], "error", "{refused}");
    assert!(refused["error"].as_str().is_some_and(|e| e.contains("no_such_request")), "{refused}");

    let failed = claude.prompt("This will fail.").await;
    // Surprise: an API error is `subtype: success` with `is_error: true` and the HTTP status.
    assert_eq!(failed["is_error"], true, "{failed}");
    assert_eq!(failed["api_error_status"], 400, "{failed}");
    assert!(failed["result"].as_str().is_some_and(|r| r.contains("mock: scripted failure")), "{failed}");

    let next = claude.prompt("Try again.").await;
    assert_success(&next, "recovered");
    claude.agent.finish().await;
    claude.agent.record("claude/error.jsonl");
    mock.stop().await;
}

#[tokio::test]
async fn claude_control_requests_set_the_permission_mode_and_model() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(Scenario::new(write_and_commit(&sandbox))).await;
    let mut claude = Claude::spawn(&sandbox, &mock, &[]);
    claude.initialize().await;
    let mode = claude.control("mode", json!({"subtype": "set_permission_mode", "mode": "acceptEdits"})).await;
    assert_eq!(mode["subtype"], "success", "{mode}");
    assert_eq!(mode["response"]["mode"], "acceptEdits", "{mode}");
    let model = claude.control("model", json!({"subtype": "set_model", "model": "sonnet"})).await;
    assert_eq!(model["subtype"], "success", "{model}");

    let result = claude.prompt("Please write hello.txt and commit it.").await;
    assert_success(&result, "done");
    // acceptEdits: Write runs without asking; Bash still asks.
    let asked: Vec<&Value> = claude.asked.iter().map(|r| &r["tool_name"]).collect();
    assert_eq!(asked, ["Bash"]);
    assert_eq!(sandbox.commits(), ["add hello", "init"]);
    let model_used = mock.main_requests()[0].body["model"].as_str().expect("model").to_owned();
    assert!(model_used.contains("sonnet"), "set_model did not reach the API: {model_used}");
    claude.agent.finish().await;
    claude.agent.record("claude/control.jsonl");
    mock.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Codex: `codex app-server`, JSON-RPC over stdio without the "jsonrpc" member.

struct Codex {
    agent: Agent,
    next_id: u64,
    /// The answer to every approval request.
    decision: &'static str,
    /// Approval requests answered so far.
    approvals: Vec<Value>,
}

impl Codex {
    fn spawn(sandbox: &Sandbox, mock: &MockModel) -> Codex {
        let home = sandbox.home();
        let codex_home = home.join("codex");
        std::fs::create_dir_all(&codex_home).expect("codex home");
        let config = band_mockmodel::offline::codex_config(mock);
        std::fs::write(codex_home.join("config.toml"), config).expect("config.toml");
        let mut command = Command::new(agents_bin().join("codex"));
        command
            .arg("app-server")
            .current_dir(sandbox.repo())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("CODEX_HOME", &codex_home)
            .env("MOCK_API_KEY", "test");
        let stderr = home.join(format!("codex-{}.stderr", next_run()));
        Codex { agent: Agent::spawn("codex", command, stderr), next_id: 1, decision: "accept", approvals: Vec::new() }
    }

    /// The next notification or response; server requests (approvals) are answered on the way.
    async fn next(&mut self) -> Value {
        loop {
            let msg = self.agent.next().await;
            let method = msg["method"].as_str().unwrap_or_default();
            if msg.get("id").is_some() && method.ends_with("/requestApproval") {
                self.approvals.push(msg.clone());
                self.agent.send(json!({"id": msg["id"], "result": {"decision": self.decision}})).await;
                continue;
            }
            assert!(msg.get("id").is_none() || msg.get("method").is_none(), "unexpected server request: {msg}");
            return msg;
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.agent.send(json!({"id": id, "method": method, "params": params})).await;
        loop {
            let msg = self.next().await;
            if msg["id"] == id && msg.get("method").is_none() {
                assert!(msg.get("error").is_none(), "{method} failed: {msg}");
                return msg["result"].clone();
            }
        }
    }

    async fn until(&mut self, method: &str) -> Value {
        loop {
            let msg = self.next().await;
            if msg["method"] == method {
                return msg["params"].clone();
            }
        }
    }

    async fn initialize(&mut self) {
        let result =
            self.request("initialize", json!({"clientInfo": {"name": "band-tests", "version": "0.1.0"}})).await;
        assert!(result["userAgent"].is_string(), "{result}");
        self.agent.send(json!({"method": "initialized"})).await;
    }

    async fn start_thread(&mut self, sandbox: &Sandbox) -> String {
        let params = json!({"cwd": sandbox.repo(), "approvalPolicy": "untrusted", "sandbox": "danger-full-access", "model": "gpt-5.5"});
        let result = self.request("thread/start", params).await;
        result["thread"]["id"].as_str().expect("thread id").to_owned()
    }

    async fn start_turn(&mut self, thread: &str, text: &str) -> String {
        let input = json!([{"type": "text", "text": text}]);
        let result = self.request("turn/start", json!({"threadId": thread, "input": input})).await;
        result["turn"]["id"].as_str().expect("turn id").to_owned()
    }

    /// Runs one turn to `turn/completed` and returns that notification's params.
    async fn turn(&mut self, thread: &str, text: &str) -> Value {
        let started = Instant::now();
        self.start_turn(thread, text).await;
        let completed = self.until("turn/completed").await;
        eprintln!("codex turn took {:?}", started.elapsed());
        completed
    }

    fn agent_messages(&self) -> Vec<String> {
        self.agent
            .out()
            .into_iter()
            .filter(|m| m["method"] == "item/completed" && m["params"]["item"]["type"] == "agentMessage")
            .map(|m| m["params"]["item"]["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn methods(&self) -> Vec<String> {
        self.agent.out().iter().filter_map(|m| m["method"].as_str().map(str::to_owned)).collect()
    }
}

/// apply_patch (a fileChange approval), then a shell command that writes a file and commits (a
/// commandExecution approval), then text; and an answer for a second prompt.
/// `item/commandExecution/outputDelta` comes only for output after the command's first burst, and
/// not reliably enough to assert: `item/completed` carries the whole `aggregatedOutput`.
fn patch_and_commit() -> Scenario {
    let patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello from codex\n*** End Patch\n";
    Scenario::new([
        MockTurn::text("Writing the file.").and_tool("apply_patch", json!(patch)),
        MockTurn::tool(
            "exec_command",
            // Output that comes after a pause is streamed as outputDelta; the first burst is not.
            json!({"cmd": "printf 'more\\n' > more.txt && git add hello.txt more.txt && git commit -m 'add hello' && sleep 1 && echo committed"}),
        ),
        MockTurn::text("done"),
        MockTurn::text("second answer"),
    ])
}

#[tokio::test]
async fn codex_patches_runs_commits_and_answers_a_second_turn() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(patch_and_commit()).await;
    let mut codex = Codex::spawn(&sandbox, &mock);
    codex.initialize().await;
    let thread = codex.start_thread(&sandbox).await;
    let completed = codex.turn(&thread, "Please write hello.txt and commit it.").await;
    assert_eq!(completed["turn"]["status"], "completed", "{completed}");
    assert_eq!(std::fs::read_to_string(sandbox.repo().join("hello.txt")).expect("patched"), "hello from codex\n");
    assert_eq!(std::fs::read_to_string(sandbox.repo().join("more.txt")).expect("written"), "more\n");
    assert_eq!(sandbox.commits(), ["add hello", "init"]);
    let kinds: Vec<&str> = codex.approvals.iter().map(|a| a["method"].as_str().expect("method")).collect();
    assert_eq!(kinds, ["item/fileChange/requestApproval", "item/commandExecution/requestApproval"]);
    assert!(codex.approvals[1]["params"]["command"].as_str().is_some_and(|c| c.contains("git commit")));

    let second = codex.turn(&thread, "And a second question.").await;
    assert_eq!(second["turn"]["status"], "completed");
    assert_eq!(codex.agent_messages(), ["Writing the file.", "done", "second answer"]);
    let methods = codex.methods();
    for expected in [
        "thread/started",
        "turn/started",
        "item/started",
        "item/agentMessage/delta",
        "item/completed",
        "turn/diff/updated",
        "thread/tokenUsage/updated",
        "thread/status/changed",
        "serverRequest/resolved",
        "turn/completed",
    ] {
        assert!(methods.iter().any(|m| m == expected), "no {expected} in {methods:?}");
    }
    codex.agent.finish().await;
    codex.agent.record("codex/accept.jsonl");
    assert!(mock.requests().iter().all(|r| r.path == "/v1/responses"));
    mock.stop().await;
}

#[tokio::test]
async fn codex_declined_changes_do_not_happen() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(patch_and_commit()).await;
    let mut codex = Codex::spawn(&sandbox, &mock);
    codex.decision = "decline";
    codex.initialize().await;
    let thread = codex.start_thread(&sandbox).await;
    let completed = codex.turn(&thread, "Please write hello.txt and commit it.").await;
    assert_eq!(completed["turn"]["status"], "completed", "{completed}");
    assert_eq!(codex.approvals.len(), 2);
    assert!(!sandbox.repo().join("hello.txt").exists());
    assert!(!sandbox.repo().join("more.txt").exists());
    assert_eq!(sandbox.commits(), ["init"]);
    let out = codex.agent.out();
    let declined: Vec<&Value> = out
        .iter()
        .filter(|m| m["method"] == "item/completed")
        .map(|m| &m["params"]["item"])
        .filter(|i| i["type"] == "fileChange" || i["type"] == "commandExecution")
        .map(|i| &i["status"])
        .collect();
    assert_eq!(declined, ["declined", "declined"]);
    codex.agent.finish().await;
    codex.agent.record("codex/decline.jsonl");
    mock.stop().await;
}

#[tokio::test]
async fn codex_interrupt_ends_the_turn_and_the_thread_goes_on() {
    let sandbox = Sandbox::new();
    let scenario = Scenario::new([MockTurn::text("too slow").delayed(60_000), MockTurn::text("after the interrupt")]);
    let mock = MockModel::start(scenario).await;
    let mut codex = Codex::spawn(&sandbox, &mock);
    codex.initialize().await;
    let thread = codex.start_thread(&sandbox).await;
    let turn = codex.start_turn(&thread, "Take your time.").await;
    wait_for_requests(&mock, 1).await;

    let started = Instant::now();
    let result = codex.request("turn/interrupt", json!({"threadId": thread, "turnId": turn})).await;
    assert_eq!(result, json!({}));
    let completed = codex.until("turn/completed").await;
    eprintln!("codex interrupt took {:?}", started.elapsed());
    assert_eq!(completed["turn"]["status"], "interrupted", "{completed}");
    wait_for_abandoned(&mock, 0).await;

    let next = codex.turn(&thread, "Are you there?").await;
    assert_eq!(next["turn"]["status"], "completed");
    assert_eq!(codex.agent_messages(), ["after the interrupt"]);
    assert!(body_mentions(&mock.main_requests()[1], "<turn_aborted>"), "codex tells the model about the interrupt");
    codex.agent.finish().await;
    codex.agent.record("codex/interrupt.jsonl");
    mock.stop().await;
}

#[tokio::test]
async fn codex_resume_continues_the_thread_in_a_new_process() {
    let sandbox = Sandbox::new();
    let mock = MockModel::start(patch_and_commit()).await;
    let mut codex = Codex::spawn(&sandbox, &mock);
    codex.initialize().await;
    let thread = codex.start_thread(&sandbox).await;
    let first = codex.turn(&thread, "Please write hello.txt and commit it.").await;
    assert_eq!(first["turn"]["status"], "completed");
    codex.agent.finish().await;

    let mut resumed = Codex::spawn(&sandbox, &mock);
    resumed.initialize().await;
    let params = json!({"threadId": thread, "cwd": sandbox.repo(), "approvalPolicy": "untrusted",
        "sandbox": "danger-full-access", "excludeTurns": true});
    let result = resumed.request("thread/resume", params).await;
    assert_eq!(result["thread"]["id"], thread.as_str());
    let second = resumed.turn(&thread, "And a second question.").await;
    assert_eq!(second["turn"]["status"], "completed");
    assert_eq!(resumed.agent_messages(), ["second answer"]);
    resumed.agent.finish().await;
    resumed.agent.record("codex/resume.jsonl");

    let last = mock.main_requests().pop().expect("requests");
    for earlier in ["Please write hello.txt and commit it.", "call_mock_t0_0", "call_mock_t1_0", "done"] {
        assert!(body_mentions(&last, earlier), "the resumed thread lacks {earlier:?}");
    }
    mock.stop().await;
}

#[tokio::test]
async fn codex_reports_api_errors_and_recovers() {
    let sandbox = Sandbox::new();
    let scenario = Scenario::new([MockTurn::error(400, "mock: scripted failure"), MockTurn::text("recovered")]);
    let mock = MockModel::start(scenario).await;
    let mut codex = Codex::spawn(&sandbox, &mock);
    codex.initialize().await;
    let thread = codex.start_thread(&sandbox).await;
    let failed = codex.turn(&thread, "This will fail.").await;
    assert_eq!(failed["turn"]["status"], "failed", "{failed}");
    assert!(failed["turn"]["error"]["message"].as_str().is_some_and(|m| m.contains("mock: scripted failure")));
    let error = codex.agent.out().into_iter().find(|m| m["method"] == "error").expect("an error notification");
    assert_eq!(error["params"]["willRetry"], false, "{error}");

    let next = codex.turn(&thread, "Try again.").await;
    assert_eq!(next["turn"]["status"], "completed");
    assert_eq!(codex.agent_messages(), ["recovered"]);
    codex.agent.finish().await;
    codex.agent.record("codex/error.jsonl");
    mock.stop().await;
}
