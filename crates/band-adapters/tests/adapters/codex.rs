//! Codex's adapter: its parser on transcripts recorded from the real `codex app-server`
//! (tests/fixtures/codex, made by band-mockmodel's real-agent tests), then the whole runtime with
//! the real CLI against the mock model on 127.0.0.1: approvals, interrupts, stop, resume.
//!
//! The CLI comes from `./scripts/agents.sh` (`BAND_AGENTS_BIN`, else
//! `$HOME/.cache/band/agents/node_modules/.bin`); each run gets a scratch HOME and CODEX_HOME with
//! the offline settings of docs/AGENTS.md.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use band_adapters::agents::codex::{CodexParser, CodexRuntime, Shared};
use band_adapters::agents::process::LineParser;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{AgentError, AgentUpdate, PermissionDecision, PermissionMode, StopReason, ToolCallStatus, Usage};
use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_process::Supervisor;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::mpsc;

// ---------------------------------------------------------------------------------------------
// The parser, on recorded transcripts.

/// Every event the parser makes of a fixture's agent output, and the replies it wrote back.
fn parse(fixture: &str) -> (Vec<AgentEvent>, Vec<String>) {
    let path = format!("{}/tests/fixtures/codex/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut parser = CodexParser::new(Arc::new(Shared::default()));
    let (mut events, mut replies) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("fixture line");
        if v["dir"] == "out" {
            let parsed = parser.parse(&v["msg"].to_string());
            events.extend(parsed.events);
            replies.extend(parsed.replies);
        }
    }
    (events, replies)
}

fn tokens(u: &Usage) -> String {
    format!("{}in/{}cached/{}out", u.input_tokens, u.cache_read_tokens, u.output_tokens)
}

/// One line per event, with consecutive message chunks joined into one `text:` line.
fn summary(events: &[AgentEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let item = match e {
            AgentEvent::SessionStarted { session_id } => format!("session:{session_id}"),
            AgentEvent::Update(AgentUpdate::MessageChunk { text, .. }) => {
                if let Some(last) = out.last_mut().filter(|l| l.starts_with("text:")) {
                    last.push_str(text);
                    continue;
                }
                format!("text:{text}")
            }
            AgentEvent::Update(AgentUpdate::ThoughtChunk { text }) => format!("thought:{text}"),
            AgentEvent::Update(AgentUpdate::ToolCall { id, title, kind, .. }) => format!("tool:{id}:{kind}:{title}"),
            AgentEvent::Update(AgentUpdate::ToolCallUpdate { id, status, .. }) => {
                format!("result:{id}:{}", status.as_str())
            }
            AgentEvent::Update(AgentUpdate::Plan { entries }) => format!("plan:{}", entries.join("|")),
            AgentEvent::Update(AgentUpdate::Usage(u)) => format!("usage:{}", tokens(u)),
            AgentEvent::PermissionRequest { request_id, tool, edit, .. } => format!("ask:{request_id}:{tool}:{edit}"),
            AgentEvent::TurnEnded { stop_reason, usage } => {
                format!("end:{}:{}", stop_reason.as_str(), usage.as_ref().map_or("-".to_owned(), tokens))
            }
            AgentEvent::TurnFailed { message, usage } => {
                format!("failed:{message}:{}", usage.as_ref().map_or("-".to_owned(), tokens))
            }
            AgentEvent::Notice { message } => format!("notice:{message}"),
            // Its model, for a cost estimate: checked on its own below.
            AgentEvent::Update(AgentUpdate::SessionInfo { .. }) => continue,
            AgentEvent::Update(AgentUpdate::Commands { commands }) => format!("commands:{}", commands.len()),
            AgentEvent::Update(AgentUpdate::Hook { event, .. }) => format!("hook:{event}"),
        };
        out.push(item);
    }
    out
}

#[test]
fn a_patch_and_a_command_approved_then_a_second_turn() {
    let (events, replies) = parse("accept.jsonl");
    let command = "printf 'more\\n' > more.txt && git add hello.txt more.txt && git commit -m 'add hello' && sleep 1 && echo committed";
    assert_eq!(
        summary(&events),
        [
            "session:01a203ee-3fe0-7dc0-b4bf-237e6c9da7f5".to_owned(),
            "text:Writing the file.".to_owned(),
            "tool:call_mock_t0_0:edit:/tmp/band-agents-st8Gai/repo/hello.txt".to_owned(),
            "ask:0:apply_patch:true".to_owned(),
            "result:call_mock_t0_0:completed".to_owned(),
            // A turn's usage is what the thread's total grew by since the turn began.
            "usage:9557in/0cached/27out".to_owned(),
            format!("tool:call_mock_t1_0:execute:{command}"),
            "ask:1:exec_command:false".to_owned(),
            "result:call_mock_t1_0:completed".to_owned(),
            "usage:19266in/0cached/62out".to_owned(),
            "text:done".to_owned(),
            "usage:29134in/0cached/63out".to_owned(),
            "end:end_turn:29134in/0cached/63out".to_owned(),
            "text:second answer".to_owned(),
            "usage:9945in/0cached/4out".to_owned(),
            "end:end_turn:9945in/0cached/4out".to_owned(),
        ]
    );
    assert!(replies.is_empty(), "{replies:?}");

    // The patch is on the item, not on the approval request: both carry it.
    let inputs: Vec<Value> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::PermissionRequest { input, .. } => Some(serde_json::from_str(input).expect("json input")),
            _ => None,
        })
        .collect();
    assert_eq!(inputs[0]["changes"][0]["diff"], "hello from codex\n", "{}", inputs[0]);
    assert_eq!(inputs[0]["changes"][0]["path"], "/tmp/band-agents-st8Gai/repo/hello.txt");
    assert!(inputs[1]["command"].as_str().is_some_and(|c| c.contains("git commit")), "{}", inputs[1]);
    assert_eq!(inputs[1]["cwd"], "/tmp/band-agents-st8Gai/repo");

    let tool_inputs: Vec<Value> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::ToolCall { input, .. }) => Some(serde_json::from_str(input).expect("json")),
            _ => None,
        })
        .collect();
    assert_eq!(tool_inputs[0], json!({"changes": inputs[0]["changes"]}));
    assert_eq!(tool_inputs[1], json!({"command": inputs[1]["command"], "cwd": inputs[1]["cwd"]}));
}

#[test]
fn command_output_comes_whole_from_the_completed_item() {
    let (events, _) = parse("accept.jsonl");
    let outputs: Vec<Option<String>> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::ToolCallUpdate { output, .. }) => Some(output.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(outputs[0], None);
    let out = outputs[1].as_deref().unwrap_or_default();
    assert!(out.contains("add hello") && out.ends_with("committed\n"), "{out:?}");
}

#[test]
fn declined_items_fail_and_the_turn_goes_on() {
    let (events, _) = parse("decline.jsonl");
    let s = summary(&events);
    assert!(s.contains(&"ask:0:apply_patch:true".to_owned()) && s.contains(&"ask:1:exec_command:false".to_owned()));
    assert!(s.contains(&"result:call_mock_t0_0:failed".to_owned()), "{s:?}");
    assert!(s.contains(&"result:call_mock_t1_0:failed".to_owned()), "{s:?}");
    assert_eq!(s.last().map(String::as_str), Some("end:end_turn:29057in/0cached/63out"));
    let declined = events.iter().any(|e| {
        matches!(e, AgentEvent::Update(AgentUpdate::ToolCallUpdate { status: ToolCallStatus::Failed, output: Some(o), .. }) if o == "declined")
    });
    assert!(declined, "{events:?}");
}

#[test]
fn an_interrupt_ends_the_turn_as_cancelled_and_the_thread_goes_on() {
    let (events, _) = parse("interrupt.jsonl");
    assert_eq!(
        summary(&events),
        [
            "session:01a203ee-3ef9-7830-82c6-513d64a3579f",
            "end:cancelled:-",
            "text:after the interrupt",
            "usage:9674in/0cached/5out",
            "end:end_turn:9674in/0cached/5out",
        ]
    );
}

#[test]
fn an_api_error_fails_the_turn_with_the_providers_message_and_the_next_turn_recovers() {
    let (events, _) = parse("error.jsonl");
    assert_eq!(
        summary(&events),
        [
            "session:01a203ee-422e-7620-a72f-7c6dd19d473f",
            "failed:mock: scripted failure:-",
            "text:recovered",
            "usage:9585in/0cached/3out",
            "end:end_turn:9585in/0cached/3out",
        ]
    );
}

#[test]
fn a_resumed_threads_restored_usage_is_not_this_turns() {
    let (events, _) = parse("resume.jsonl");
    // The restored total (29134 in) arrives before any turn: it is the baseline, not a report.
    assert_eq!(
        summary(&events),
        [
            "session:01a203ee-457c-7e73-aa17-e9006b342147",
            "text:second answer",
            "usage:9947in/0cached/4out",
            "end:end_turn:9947in/0cached/4out",
        ]
    );
}

#[test]
fn unserved_requests_get_an_error_reply_and_junk_is_ignored() {
    let mut parser = CodexParser::new(Arc::new(Shared::default()));
    let p = parser.parse(r#"{"id":7,"method":"item/tool/requestUserInput","params":{"questions":[]}}"#);
    assert!(p.events.is_empty());
    let reply: Value = serde_json::from_str(&p.replies[0]).expect("json");
    assert_eq!(reply["id"], 7);
    assert!(reply["error"]["message"].as_str().is_some_and(|m| m.contains("item/tool/requestUserInput")));
    assert!(reply.get("result").is_none());
    for junk in [
        "not json",
        "{}",
        "[1,2]",
        "null",
        r#"{"method":"item/started","params":null}"#,
        r#"{"method":"item/completed","params":{"item":{"type":"commandExecution"}}}"#,
        r#"{"method":"turn/completed"}"#,
        r#"{"method":"thread/tokenUsage/updated","params":{"tokenUsage":"x"}}"#,
        r#"{"id":null,"error":{"code":-32700}}"#,
        r#"{"id":"x","method":"item/fileChange/requestApproval"}"#,
    ] {
        let _ = parser.parse(junk);
    }
}

#[test]
fn a_message_that_did_not_stream_is_sent_whole_once() {
    let mut parser = CodexParser::new(Arc::new(Shared::default()));
    let completed = |id: &str, text: &str| {
        json!({"method": "item/completed", "params": {"item": {"type": "agentMessage", "id": id, "text": text}}})
            .to_string()
    };
    let delta = json!({"method": "item/agentMessage/delta", "params": {"itemId": "a", "delta": "stre"}}).to_string();
    let mut events = parser.parse(&delta).events;
    events.extend(parser.parse(&completed("a", "stre")).events);
    events.extend(parser.parse(&completed("b", "whole")).events);
    let reasoning =
        json!({"method": "item/completed", "params": {"item": {"type": "reasoning", "id": "r", "summary": ["hmm"]}}});
    events.extend(parser.parse(&reasoning.to_string()).events);
    assert_eq!(summary(&events), ["text:strewhole", "thought:hmm"]);
}

// ---------------------------------------------------------------------------------------------
// The runtime, with the real CLI against the mock model.

/// How long any one event may take to arrive.
const PATIENCE: Duration = Duration::from_secs(60);

fn agents_bin() -> PathBuf {
    let dir = match std::env::var_os("BAND_AGENTS_BIN") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/band/agents/node_modules/.bin"),
    };
    assert!(
        dir.join("codex").exists(),
        "the agent CLI `codex` is not in {}: run ./scripts/agents.sh (the README's test command does)",
        dir.display()
    );
    dir
}

/// A git repository with one commit, and a scratch home with codex's offline config for `mock`.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new(mock: &MockModel) -> Sandbox {
        let dir = tempfile::Builder::new().prefix("band-codex-").tempdir().expect("tempdir");
        let sandbox = Sandbox { dir };
        std::fs::create_dir_all(sandbox.repo()).expect("repo dir");
        std::fs::create_dir_all(sandbox.codex_home()).expect("codex home");
        sandbox.git(&["init", "-q"]);
        sandbox.git(&["config", "user.name", "Band Test"]);
        sandbox.git(&["config", "user.email", "test@band.invalid"]);
        sandbox.git(&["config", "commit.gpgsign", "false"]);
        std::fs::write(sandbox.repo().join("README.md"), "test repo\n").expect("write");
        sandbox.git(&["add", "README.md"]);
        sandbox.git(&["commit", "-q", "-m", "init"]);
        sandbox.configure(mock);
        sandbox
    }

    fn configure(&self, mock: &MockModel) {
        let config = band_mockmodel::offline::codex_config(mock);
        std::fs::write(self.codex_home().join("config.toml"), config).expect("config.toml");
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn codex_home(&self) -> PathBuf {
        self.home().join("codex")
    }

    fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git").arg("-C").arg(self.repo()).args(args).output().expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn commits(&self) -> Vec<String> {
        self.git(&["log", "--format=%s"]).lines().map(str::to_owned).collect()
    }

    fn env(&self) -> BTreeMap<String, String> {
        let path = format!("{}:{}", agents_bin().display(), std::env::var("PATH").unwrap_or_default());
        [
            ("PATH", path),
            ("HOME", self.home().display().to_string()),
            ("CODEX_HOME", self.codex_home().display().to_string()),
            ("MOCK_API_KEY", "test".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn launch(&self, resume: Option<String>) -> AgentLaunch {
        AgentLaunch {
            chat: band_core::ChatId(1),
            agent: band_testkit::names::agent("codex"),
            cwd: self.repo(),
            model: Some(band_testkit::names::model("gpt-5.5")),
            mode: PermissionMode::Ask,
            resume,
            env: self.env(),
            ask_every_call: false,
        }
    }

    /// Processes (not zombies) started with this sandbox's CODEX_HOME in their environment:
    /// codex itself and everything it started.
    fn processes(&self) -> Vec<(i32, String)> {
        let marker = format!("CODEX_HOME={}", self.codex_home().display());
        let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
        dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let zombie = stat.rsplit_once(')').is_none_or(|(_, r)| r.trim_start().starts_with('Z'));
                !zombie
                    && std::fs::read(format!("/proc/{pid}/environ"))
                        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
            })
            .map(|pid| {
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                (pid, String::from_utf8_lossy(&cmd).replace('\0', " "))
            })
            .collect()
    }
}

enum Seen {
    Event(AgentEvent),
    Exit(AgentExit),
}

struct Recorder(mpsc::UnboundedSender<Seen>);

#[async_trait]
impl AgentEvents for Recorder {
    async fn on_event(&self, event: AgentEvent) {
        let _ = self.0.send(Seen::Event(event));
    }
    async fn on_exit(&self, exit: AgentExit) {
        let _ = self.0.send(Seen::Exit(exit));
    }
}

/// One codex process through band's port, and everything it reported.
struct Agent {
    handle: Arc<dyn AgentHandle>,
    rx: mpsc::UnboundedReceiver<Seen>,
    events: Vec<AgentEvent>,
}

impl Agent {
    async fn launch(sandbox: &Sandbox, resume: Option<String>) -> Agent {
        let (tx, rx) = mpsc::unbounded_channel();
        let started = Instant::now();
        let runtime = CodexRuntime::new(Supervisor::new());
        let handle = runtime.launch(sandbox.launch(resume), Arc::new(Recorder(tx))).await.expect("launch");
        eprintln!("codex launch took {:?}", started.elapsed());
        Agent { handle, rx, events: Vec::new() }
    }

    /// Events up to and including the first that `stop_at` accepts.
    async fn until(&mut self, what: &str, stop_at: impl Fn(&AgentEvent) -> bool) -> AgentEvent {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(Seen::Event(e))) => {
                    self.events.push(e.clone());
                    if stop_at(&e) {
                        return e;
                    }
                }
                Ok(Some(Seen::Exit(exit))) => panic!("codex exited waiting for {what}: {exit:?}\n{:?}", self.events),
                Ok(None) => panic!("no more events waiting for {what}"),
                Err(_) => panic!("no {what} within {PATIENCE:?}; so far: {:#?}", summary(&self.events)),
            }
        }
    }

    async fn turn_end(&mut self) -> AgentEvent {
        self.until("end of turn", |e| matches!(e, AgentEvent::TurnEnded { .. } | AgentEvent::TurnFailed { .. })).await
    }

    /// Answers every approval with `decision` until the turn ends.
    async fn turn(&mut self, text: &str, decision: PermissionDecision) -> AgentEvent {
        let started = Instant::now();
        self.handle.prompt(text).await.expect("prompt");
        loop {
            let e = self
                .until("approval or end of turn", |e| {
                    matches!(
                        e,
                        AgentEvent::PermissionRequest { .. }
                            | AgentEvent::TurnEnded { .. }
                            | AgentEvent::TurnFailed { .. }
                    )
                })
                .await;
            if let AgentEvent::PermissionRequest { request_id, .. } = &e {
                self.handle.respond(request_id, decision).await.expect("respond");
                continue;
            }
            eprintln!("codex turn took {:?}", started.elapsed());
            return e;
        }
    }

    async fn exit(&mut self) -> AgentExit {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(Seen::Event(e))) => self.events.push(e),
                Ok(Some(Seen::Exit(exit))) => return exit,
                Ok(None) => panic!("events closed without an exit"),
                Err(_) => panic!("no exit within {PATIENCE:?}"),
            }
        }
    }

    async fn stop(mut self) -> AgentExit {
        self.handle.stop().await.expect("stop");
        self.exit().await
    }

    fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                AgentEvent::Update(AgentUpdate::MessageChunk { text, .. }) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn session(&self) -> Option<String> {
        self.events.iter().find_map(|e| match e {
            AgentEvent::SessionStarted { session_id } => Some(session_id.clone()),
            _ => None,
        })
    }
}

/// Waits until the mock has seen `n` main-conversation requests (the agent is mid-turn).
async fn wait_for_requests(mock: &MockModel, n: usize) {
    let deadline = Instant::now() + PATIENCE;
    while mock.main_requests().len() < n {
        assert!(Instant::now() < deadline, "codex never asked the mock for a turn");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn write_and_commit() -> Scenario {
    Scenario::new([
        MockTurn::tool(
            "exec_command",
            json!({"cmd": "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add hello' && echo committed"}),
        ),
        MockTurn::text("done"),
    ])
}

#[tokio::test]
async fn an_approved_command_writes_and_commits() {
    let mock = MockModel::start(write_and_commit()).await;
    let sandbox = Sandbox::new(&mock);
    let mut agent = Agent::launch(&sandbox, None).await;
    let end = agent.turn("Please write hello.txt and commit it.", PermissionDecision::Allow).await;

    let AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: Some(usage) } = end else { panic!("{end:?}") };
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0, "{usage:?}");
    assert_eq!(std::fs::read_to_string(sandbox.repo().join("hello.txt")).expect("written"), "hello\n");
    assert_eq!(sandbox.commits(), ["add hello", "init"]);
    assert_eq!(agent.text(), "done");
    let s = summary(&agent.events);
    assert!(s[0].starts_with("session:"), "{s:?}");
    assert!(s.iter().any(|e| e.starts_with("tool:call_mock_t0_0:execute:printf")), "{s:?}");
    assert!(s.iter().any(|e| e.starts_with("ask:") && e.ends_with(":exec_command:false")), "{s:?}");
    assert!(s.contains(&"result:call_mock_t0_0:completed".to_owned()), "{s:?}");
    let output = agent.events.iter().find_map(|e| match e {
        AgentEvent::Update(AgentUpdate::ToolCallUpdate { output, .. }) => output.clone(),
        _ => None,
    });
    assert_eq!(output.as_deref(), Some("committed\n"));

    // Nothing is pending any more: a late or made-up answer is refused.
    let late = agent.handle.respond("0", PermissionDecision::Allow).await;
    assert!(matches!(late, Err(AgentError::Protocol(_))), "{late:?}");
    assert!(agent.handle.pid().is_some());
    let exit = agent.stop().await;
    assert!(exit.requested, "{exit:?}");
    assert_eq!(sandbox.processes(), []);
    mock.stop().await;
}

#[tokio::test]
async fn a_declined_command_does_not_run() {
    let mock = MockModel::start(write_and_commit()).await;
    let sandbox = Sandbox::new(&mock);
    let mut agent = Agent::launch(&sandbox, None).await;
    let end = agent.turn("Please write hello.txt and commit it.", PermissionDecision::Deny).await;
    assert!(matches!(end, AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, .. }), "{end:?}");
    assert!(!sandbox.repo().join("hello.txt").exists());
    assert_eq!(sandbox.commits(), ["init"]);
    let s = summary(&agent.events);
    assert!(s.contains(&"result:call_mock_t0_0:failed".to_owned()), "{s:?}");
    // The model was told: its next request carries the refusal as the tool's output.
    let last = mock.main_requests().pop().expect("requests");
    assert!(last.body.to_string().contains("call_mock_t0_0"), "{}", last.body);
    agent.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn interrupt_cancels_the_turn_and_the_thread_goes_on() {
    let scenario = Scenario::new([MockTurn::text("too slow").delayed(60_000), MockTurn::text("after the interrupt")]);
    let mock = MockModel::start(scenario).await;
    let sandbox = Sandbox::new(&mock);
    let mut agent = Agent::launch(&sandbox, None).await;
    agent.handle.prompt("Take your time.").await.expect("prompt");
    wait_for_requests(&mock, 1).await;

    let started = Instant::now();
    agent.handle.interrupt().await.expect("interrupt");
    let end = agent.turn_end().await;
    eprintln!("codex interrupt took {:?}", started.elapsed());
    assert!(matches!(end, AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, .. }), "{end:?}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let next = agent.turn("Are you there?", PermissionDecision::Allow).await;
    assert!(matches!(next, AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, .. }), "{next:?}");
    assert_eq!(agent.text(), "after the interrupt");
    // With no turn under way, an interrupt is a no-op.
    agent.handle.interrupt().await.expect("idle interrupt");
    agent.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn an_interrupt_right_after_the_prompt_still_cancels_the_turn() {
    // The turn's id may not be known yet when the interrupt comes: it is sent once it is.
    let mock = MockModel::start(Scenario::new([MockTurn::text("too slow").delayed(60_000)])).await;
    let sandbox = Sandbox::new(&mock);
    let mut agent = Agent::launch(&sandbox, None).await;
    agent.handle.prompt("Take your time.").await.expect("prompt");
    agent.handle.interrupt().await.expect("interrupt");
    let end = agent.turn_end().await;
    assert!(matches!(end, AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, .. }), "{end:?}");
    agent.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn stop_mid_turn_leaves_no_process_behind() {
    let scenario =
        Scenario::new([MockTurn::tool("exec_command", json!({"cmd": "sleep 1000"})), MockTurn::text("done")]);
    let mock = MockModel::start(scenario).await;
    let sandbox = Sandbox::new(&mock);
    let mut agent = Agent::launch(&sandbox, None).await;
    agent.handle.prompt("Sleep.").await.expect("prompt");
    let ask = agent.until("the approval", |e| matches!(e, AgentEvent::PermissionRequest { .. })).await;
    let AgentEvent::PermissionRequest { request_id, .. } = ask else { unreachable!() };
    agent.handle.respond(&request_id, PermissionDecision::Allow).await.expect("respond");

    let deadline = Instant::now() + PATIENCE;
    while !sandbox.processes().iter().any(|(_, cmd)| cmd.contains("sleep 1000")) {
        assert!(Instant::now() < deadline, "the command never ran: {:?}", sandbox.processes());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = agent.handle.pid().expect("pid");
    let started = Instant::now();
    let exit = agent.stop().await;
    eprintln!("codex stop took {:?}", started.elapsed());
    assert!(exit.requested, "{exit:?}");
    assert_eq!(sandbox.processes(), [], "survivors after stop");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "codex {pid} is still there");
    mock.stop().await;
}

#[tokio::test]
async fn resume_continues_the_thread_in_a_new_process() {
    let mock = MockModel::start(Scenario::new([MockTurn::text("first answer"), MockTurn::text("second answer")])).await;
    let sandbox = Sandbox::new(&mock);
    let mut first = Agent::launch(&sandbox, None).await;
    let end = first.turn("Remember the word pelican.", PermissionDecision::Allow).await;
    assert!(matches!(end, AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, .. }), "{end:?}");
    let thread = first.session().expect("a session id");
    first.stop().await;

    let mut second = Agent::launch(&sandbox, Some(thread.clone())).await;
    let end = second.turn("Which word?", PermissionDecision::Allow).await;
    let AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: Some(usage) } = end else { panic!("{end:?}") };
    assert_eq!(second.session().as_deref(), Some(thread.as_str()));
    assert_eq!(second.text(), "second answer");
    // The restored usage is not reported: the first usage is this turn's, and only its.
    let s = summary(&second.events);
    assert_eq!(s.first(), Some(&format!("session:{thread}")), "{s:?}");
    let last = mock.main_requests().pop().expect("requests");
    for earlier in ["Remember the word pelican.", "first answer", "Which word?"] {
        assert!(last.body.to_string().contains(earlier), "the resumed thread lacks {earlier:?}");
    }
    // The mock counts a request's input as a quarter of its bytes: the turn's usage is its one
    // request's, not the thread's total.
    let expected = (last.body.to_string().len() as u64).div_ceil(4);
    assert!(usage.input_tokens.abs_diff(expected) <= expected / 20, "{usage:?}, expected about {expected} in");
    second.stop().await;
    mock.stop().await;
}

#[tokio::test]
async fn resuming_an_unknown_thread_fails_and_leaves_nothing_running() {
    let mock = MockModel::start(Scenario::new([MockTurn::text("unused")])).await;
    let sandbox = Sandbox::new(&mock);
    let (tx, _rx) = mpsc::unbounded_channel();
    let launch = sandbox.launch(Some("01a203ee-0000-7000-8000-000000000000".into()));
    let err =
        CodexRuntime::new(Supervisor::new()).launch(launch, Arc::new(Recorder(tx))).await.err().expect("an error");
    assert!(matches!(err, AgentError::Protocol(ref m) if m.contains("thread/resume")), "{err}");
    assert_eq!(sandbox.processes(), []);
    mock.stop().await;
}

#[tokio::test]
async fn a_missing_binary_names_the_package() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut launch = AgentLaunch {
        chat: band_core::ChatId(1),
        agent: band_testkit::names::agent("codex"),
        cwd: std::env::temp_dir(),
        model: None,
        mode: PermissionMode::Ask,
        resume: None,
        env: [("PATH".to_owned(), "/nonexistent".to_owned())].into_iter().collect(),
        ask_every_call: false,
    };
    let events: Arc<dyn AgentEvents> = Arc::new(Recorder(tx));
    let err =
        CodexRuntime::new(Supervisor::new()).launch(launch.clone(), events.clone()).await.err().expect("an error");
    let npm = Some(band_core::Install::Npm("@openai/codex".into()));
    assert!(matches!(err, AgentError::BinaryMissing { ref install, .. } if *install == npm), "{err}");
    assert_eq!(err.to_string(), "the codex agent's binary 'codex' was not found");

    launch.env.insert("PATH".into(), std::env::var("PATH").unwrap_or_default());
    launch.agent.binary = "/nonexistent/codex".into();
    let err = CodexRuntime::new(Supervisor::new()).launch(launch, events).await.err().expect("an error");
    assert!(matches!(err, AgentError::BinaryMissing { ref binary, .. } if binary == "/nonexistent/codex"), "{err}");
}

#[test]
fn each_message_carries_its_item_id() {
    let (events, _) = parse("accept.jsonl");
    let ids: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::MessageChunk { message_id, .. }) => message_id.as_deref(),
            _ => None,
        })
        .collect();
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| id.starts_with("msg_")), "{ids:?}");
}

#[test]
fn the_threads_model_is_reported_for_a_cost_estimate() {
    let (events, _) = parse("accept.jsonl");
    let models: Vec<Option<&str>> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::SessionInfo { current_model, .. }) => Some(current_model.as_deref()),
            _ => None,
        })
        .collect();
    assert_eq!(models, [Some("gpt-5.5")]);
}
