//! The ACP adapter against a fake ACP agent (band-testkit's `fake-acp-agent.mjs`: the protocol
//! without a model) for what real agents do not do on demand — refused loads, requests band
//! does not serve, options without a reject — and against stand-ins that misbehave: one that
//! exits at once, one that prints garbage, one that never answers. The real Gemini CLI, OpenCode
//! and Qwen Code run through the same adapter in the workspace's contract suite
//! (`tests/contract.rs`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use band_adapters::agents::acp::AcpRuntime;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{AgentError, AgentProtocol, AgentUpdate, PermissionDecision, PermissionMode, StopReason, Usage};
use band_process::Supervisor;
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(30);

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

/// A tag in the agent's command line, so a test can tell its processes from the others'.
fn tag(name: &str) -> String {
    format!("band-acp-test-{name}-{}", std::process::id())
}

/// A launch of the fake ACP agent, misbehaving as `fake` says (see the script).
fn launch(name: &str, fake: &str, resume: Option<&str>) -> AgentLaunch {
    let mut agent = band_testkit::names::agent("gemini");
    agent.binary = band_testkit::fake_acp_agent().display().to_string();
    agent.args = vec![tag(name)];
    let mut env: std::collections::BTreeMap<String, String> =
        [("PATH", std::env::var("PATH").unwrap_or_default())].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    env.insert("FAKE_ACP".into(), fake.into());
    AgentLaunch {
        chat: band_core::ChatId(1),
        agent,
        cwd: std::env::temp_dir(),
        model: None,
        mode: PermissionMode::Ask,
        resume: resume.map(str::to_owned),
        env,
        ask_every_call: false,
    }
}

struct Agent {
    handle: Arc<dyn AgentHandle>,
    rx: mpsc::UnboundedReceiver<Seen>,
}

impl Agent {
    async fn start(name: &str, fake: &str, resume: Option<&str>) -> Agent {
        let (tx, rx) = mpsc::unbounded_channel();
        let runtime = AcpRuntime::new(Supervisor::new());
        assert_eq!(runtime.protocol(), AgentProtocol::Acp);
        let handle = runtime.launch(launch(name, fake, resume), Arc::new(Recorder(tx))).await.expect("launch");
        Agent { handle, rx }
    }

    /// Events up to and including the end of the turn.
    async fn turn(&mut self) -> Vec<AgentEvent> {
        self.until(|e| matches!(e, AgentEvent::TurnEnded { .. } | AgentEvent::TurnFailed { .. })).await
    }

    async fn until(&mut self, stop: impl Fn(&AgentEvent) -> bool) -> Vec<AgentEvent> {
        let mut seen = Vec::new();
        loop {
            match tokio::time::timeout(PATIENCE, self.rx.recv()).await {
                Ok(Some(Seen::Event(e))) => {
                    let last = stop(&e);
                    seen.push(e);
                    if last {
                        return seen;
                    }
                }
                Ok(Some(Seen::Exit(exit))) => panic!("the agent exited: {exit:?}; so far {seen:#?}"),
                other => panic!("no more events ({}); so far {seen:#?}", other.is_ok()),
            }
        }
    }

    async fn stop(self, name: &str) {
        self.handle.stop().await.expect("stop");
        assert_eq!(band_testkit::procs::running(&tag(name)), Vec::<i32>::new(), "the agent outlived its stop");
    }
}

fn said(events: &[AgentEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::MessageChunk { text, .. }) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_turn_streams_its_text_and_ends_with_usage_after_the_session_and_its_modes() {
    let mut agent = Agent::start("turn", "", None).await;
    agent.handle.prompt("hello there").await.expect("prompt");
    let events = agent.turn().await;
    assert_eq!(events[0], AgentEvent::SessionStarted { session_id: "fake-session".into() });
    let AgentEvent::Update(AgentUpdate::SessionInfo { modes, current_mode, models, current_model }) = &events[1] else {
        panic!("{events:#?}")
    };
    let ids: Vec<&str> = modes.iter().map(|m| m.id.as_str()).collect();
    assert_eq!((ids, current_mode.as_deref()), (vec!["default", "yolo"], Some("default")));
    assert_eq!((models[0].name.as_str(), current_model.as_deref()), ("Fake Model", Some("fake-model")));
    assert_eq!(said(&events), "echo: hello there");
    let usage = Usage { input_tokens: 10, output_tokens: 5, ..Usage::default() };
    assert_eq!(events.last(), Some(&AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: Some(usage) }));
    agent.stop("turn").await;
}

#[tokio::test]
async fn permissions_are_answered_with_the_agents_own_option_ids() {
    let mut agent = Agent::start("ask", "", None).await;
    for (prompt, decision, chose) in [
        ("ask", PermissionDecision::Allow, "chose yes"),
        ("ask", PermissionDecision::Deny, "chose no"),
        // No reject option: a deny is the cancelled outcome.
        ("ask-no-reject", PermissionDecision::Deny, "chose cancelled"),
    ] {
        agent.handle.prompt(prompt).await.expect("prompt");
        let events = agent.until(|e| matches!(e, AgentEvent::PermissionRequest { .. })).await;
        let Some(AgentEvent::PermissionRequest { request_id, tool, input, edit }) = events.last() else {
            unreachable!()
        };
        assert!(
            events.iter().any(|e| matches!(e, AgentEvent::Update(AgentUpdate::ToolCall { id, .. }) if id == "call-1")),
            "the tool call comes first: {events:#?}"
        );
        assert_eq!((tool.as_str(), input.as_str(), *edit), ("touch x", r#"{"path":"x"}"#, true));
        agent.handle.respond(request_id, decision).await.expect("respond");
        let e = agent.handle.respond(request_id, decision).await.expect_err("answered once");
        assert!(matches!(e, AgentError::Protocol(ref m) if m.contains("no pending permission request")), "{e}");
        assert_eq!(said(&agent.turn().await), chose, "{prompt} {decision:?}");
    }
    agent.stop("ask").await;
}

#[tokio::test]
async fn file_terminal_and_unknown_requests_are_refused_with_method_not_found() {
    let mut agent = Agent::start("requests", "", None).await;
    agent.handle.prompt("requests").await.expect("prompt");
    assert_eq!(
        said(&agent.turn().await),
        "fs/write_text_file=-32601 terminal/create=-32601 craft/drainMidTurnQueue=-32601"
    );
    agent.stop("requests").await;
}

#[tokio::test]
async fn an_interrupt_sends_session_cancel_and_answers_open_requests_cancelled() {
    let mut agent = Agent::start("cancel", "", None).await;
    agent.handle.prompt("hang").await.expect("prompt");
    agent.until(|e| matches!(e, AgentEvent::Update(AgentUpdate::SessionInfo { .. }))).await;
    agent.handle.interrupt().await.expect("interrupt");
    let events = agent.turn().await;
    assert!(
        matches!(events.last(), Some(AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, .. })),
        "{events:#?}"
    );
    // The agent lives on: the next turn works.
    agent.handle.prompt("again").await.expect("prompt");
    assert_eq!(said(&agent.turn().await), "echo: again");
    agent.stop("cancel").await;
}

#[tokio::test]
async fn a_loaded_session_is_not_logged_again_and_a_refused_load_starts_a_new_one_with_a_note() {
    let mut agent = Agent::start("load", "", Some("fake-session")).await;
    agent.handle.prompt("after the restart").await.expect("prompt");
    let events = agent.turn().await;
    assert_eq!(events[0], AgentEvent::SessionStarted { session_id: "fake-session".into() });
    assert_eq!(said(&events), "echo: after the restart", "the replay is not reported again");
    agent.stop("load").await;

    let mut agent = Agent::start("no-load", "no-load", Some("lost-session")).await;
    agent.handle.prompt("hello").await.expect("prompt");
    let events = agent.turn().await;
    assert_eq!(events[0], AgentEvent::SessionStarted { session_id: "fake-session".into() });
    let AgentEvent::Notice { message } = &events[1] else { panic!("{events:#?}") };
    assert!(
        message.starts_with("Gemini CLI could not resume its session lost-session (Gemini CLI refused session/load: Internal error ({\"details\":\"session not found\"})); this chat goes on in a new session"),
        "{message}"
    );
    assert_eq!(said(&events), "echo: hello");
    agent.stop("no-load").await;
}

/// Launches a misbehaving stand-in, expecting the launch to fail; nothing of it may be left.
async fn failed_launch(name: &str, fake: &str) -> AgentError {
    let (tx, _rx) = mpsc::unbounded_channel();
    let runtime = AcpRuntime::new(Supervisor::new()).with_handshake_timeout(Duration::from_secs(2));
    let started = std::time::Instant::now();
    let e = runtime.launch(launch(name, fake, None), Arc::new(Recorder(tx))).await.err().expect("a failed launch");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!(band_testkit::procs::running(&tag(name)), Vec::<i32>::new(), "{name}: left running");
    e
}

#[tokio::test]
async fn an_agent_that_exits_at_once_says_how_it_ended() {
    let e = failed_launch("exit", "exit").await;
    assert!(matches!(e, AgentError::Exited(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the agent process exited: Gemini CLI exited (exit code 3): fake-acp-agent: exiting at once as asked"
    );
}

#[tokio::test]
async fn an_agent_that_prints_garbage_times_out_showing_what_it_printed() {
    let e = failed_launch("garbage", "garbage").await;
    assert_eq!(
        e.to_string(),
        "the agent broke its protocol: Gemini CLI did not answer initialize within 2 s; it printed, instead of ACP: \
         Welcome to FakeAgent 1.0! | *** not json ***"
    );
}

#[tokio::test]
async fn an_agent_that_never_answers_initialize_times_out() {
    let e = failed_launch("silent", "silent").await;
    assert_eq!(e.to_string(), "the agent broke its protocol: Gemini CLI did not answer initialize within 2 s");
}

#[tokio::test]
async fn a_missing_binary_names_the_package() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let mut l = launch("missing", "", None);
    l.agent = band_testkit::names::agent("qwen-code");
    l.env.insert("PATH".into(), "/nonexistent".into());
    let e = AcpRuntime::new(Supervisor::new()).launch(l, Arc::new(Recorder(tx))).await.err().expect("missing");
    let npm = Some(band_core::Install::Npm("@qwen-code/qwen-code".into()));
    assert!(
        matches!(e, AgentError::BinaryMissing { ref binary, ref install, .. } if binary == "qwen" && *install == npm),
        "{e:?}"
    );
}

#[tokio::test]
async fn messages_without_an_id_get_one_that_changes_when_something_else_comes_between() {
    let mut agent = Agent::start("ids", "", None).await;
    agent.handle.prompt("ask").await.expect("prompt");
    let events = agent.until(|e| matches!(e, AgentEvent::PermissionRequest { .. })).await;
    let Some(AgentEvent::PermissionRequest { request_id, .. }) = events.last() else { unreachable!() };
    agent.handle.respond(request_id, PermissionDecision::Allow).await.expect("respond");
    agent.turn().await;
    agent.handle.prompt("one").await.expect("prompt");
    agent.handle.prompt("two").await.expect("prompt");
    let mut ids = Vec::new();
    for _ in 0..2 {
        for e in agent.turn().await {
            if let AgentEvent::Update(AgentUpdate::MessageChunk { message_id, .. }) = e {
                ids.push(message_id.expect("an id"));
            }
        }
    }
    assert_eq!(ids, ["m2", "m3"], "one per message, new after each turn");
    agent.stop("ids").await;
}

#[tokio::test]
async fn a_session_cost_reported_in_usage_updates_is_each_turns_share() {
    let mut agent = Agent::start("cost", "", None).await;
    for _ in 0..2 {
        agent.handle.prompt("cost").await.expect("prompt");
        let events = agent.turn().await;
        let live: Vec<Option<f64>> = events
            .iter()
            .filter_map(|e| match e {
                AgentEvent::Update(AgentUpdate::Usage(u)) => Some(u.cost_usd),
                _ => None,
            })
            .collect();
        assert_eq!(live, [Some(0.25)], "the turn's cost so far, not the session's");
        let Some(AgentEvent::TurnEnded { usage: Some(usage), .. }) = events.last() else { panic!("{events:#?}") };
        assert_eq!((usage.cost_usd, usage.input_tokens), (Some(0.25), 10));
    }
    agent.stop("cost").await;
}
