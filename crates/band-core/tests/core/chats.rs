//! The chat service's state machine against in-memory fakes: turns, the queue, permissions by
//! person and by mode, crashes, stops, resume, restart repair and shutdown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use band_core::ports::{AgentEvent, EventLog, EventSink, GitRepos, MessageQueue, Notice, ProjectStore, WorkspaceStore};
use band_core::services::{ChatPorts, Chats, CreateChat, Projects, Sent, Workspaces};
use band_core::*;
use band_testkit::agent::FakeRuntime;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;

struct World {
    store: Arc<MemoryStore>,
    git: Arc<FakeGit>,
    terminals: band_core::services::Terminals,
    term_host: Arc<band_testkit::terminal::FakeTerminalHost>,
    teardown: band_core::services::WorkspaceTeardown,
    sink: Arc<RecordingSink>,
    claude: Arc<FakeRuntime>,
    chats: Chats,
    ws_path: PathBuf,
    transcripts: Arc<Transcripts>,
}

/// The turns written to the transcript sink: (chat, turn number, Markdown).
#[derive(Default)]
struct Transcripts(std::sync::Mutex<Vec<(ChatId, usize, String)>>);

#[async_trait::async_trait]
impl band_core::ports::TranscriptSink for Transcripts {
    async fn turn_ended(&self, chat: &Chat, number: usize, markdown: String) {
        self.0.lock().expect("lock").push((chat.id, number, markdown));
    }
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), sink.clone());
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone())
        .add(Path::new("/code/app"), None)
        .await
        .expect("project");
    let workspaces = Arc::new(Workspaces::new(ps, ws, g, e.clone(), PathBuf::from("/wt")));
    let (w, _) = workspaces.create("app", "feat", None).await.expect("workspace");
    let claude = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let transcripts = Arc::new(Transcripts::default());
    let env: band_core::services::EnvSource =
        Arc::new(|agent| [("AGENT".to_owned(), agent.id.to_string())].into_iter().collect());
    let term_host = band_testkit::terminal::FakeTerminalHost::new();
    let terminals =
        band_core::services::Terminals::new(workspaces.clone(), term_host.clone(), Arc::new(Default::default));
    let chats = Chats::new(
        workspaces.clone(),
        ChatPorts {
            chats: store.clone(),
            log: store.clone(),
            turns: store.clone(),
            queue: store.clone(),
            events: e,
            agents: vec![claude.clone()],
            registry: Arc::new(AgentRegistry::builtin()),
            prices: Arc::new(Prices::builtin()),
            transcripts: Some(transcripts.clone()),
            env,
        },
    );
    let setup = band_testkit::scripts::setup_world(workspaces.clone(), store.clone(), git.clone(), sink.clone()).setup;
    let teardown = band_core::services::WorkspaceTeardown::new(workspaces, chats.clone(), terminals.clone(), setup);
    World { store, git, terminals, term_host, teardown, sink, claude, chats, ws_path: w.path, transcripts }
}

impl World {
    async fn chat(&self, mode: &str) -> Chat {
        let mode = PermissionMode::parse(mode).expect("a mode");
        let req = CreateChat { workspace: "app/feat".into(), mode: Some(mode), ..CreateChat::default() };
        self.chats.create(req).await.expect("chat")
    }

    async fn kinds(&self, chat: ChatId) -> Vec<&'static str> {
        self.store.events_after(chat, 0, 1000).await.expect("events").iter().map(|e| e.payload.kind()).collect()
    }

    async fn status(&self, chat: ChatId) -> ChatStatus {
        self.chats.get(chat).await.expect("chat").status
    }
}

fn chunk(text: &str) -> AgentEvent {
    AgentEvent::Update(AgentUpdate::MessageChunk { text: text.into(), message_id: None })
}

fn end(input: u64, output: u64) -> AgentEvent {
    AgentEvent::TurnEnded {
        stop_reason: StopReason::EndTurn,
        usage: Some(Usage { input_tokens: input, output_tokens: output, cost_usd: Some(0.01), ..Usage::default() }),
    }
}

fn ask(id: &str, tool: &str, edit: bool) -> AgentEvent {
    AgentEvent::PermissionRequest { request_id: id.into(), tool: tool.into(), input: r#"{"x":1}"#.into(), edit }
}

#[tokio::test]
async fn a_turn_is_logged_in_order_and_its_usage_kept() {
    let w = world().await;
    let chat = w.chat("ask").await;
    assert_eq!(w.chats.send(chat.id, "write hello").await.expect("send"), Sent::Started { seq: 1 });
    let launch = &w.claude.launches()[0];
    assert_eq!((launch.cwd.clone(), launch.resume.clone()), (w.ws_path.clone(), None));
    assert_eq!(launch.env.get("AGENT").map(String::as_str), Some("claude-code"));
    let agent = w.claude.last();
    assert_eq!(agent.prompts(), ["write hello"]);
    assert_eq!(w.status(chat.id).await, ChatStatus::Working);

    agent.emit(AgentEvent::SessionStarted { session_id: "s-1".into() }).await;
    agent.emit(chunk("Hel")).await;
    agent.emit(chunk("lo")).await;
    agent.emit(end(10, 5)).await;
    assert_eq!(
        w.kinds(chat.id).await,
        [
            "prompt",
            "turn_started",
            "status",
            "agent_session",
            "agent_message_chunk",
            "agent_message_chunk",
            "turn_ended",
            "status"
        ]
    );
    let chat = w.chats.get(chat.id).await.expect("chat");
    assert_eq!((chat.status, chat.agent_session_id.as_deref(), chat.last_seq), (ChatStatus::Completed, Some("s-1"), 8));
    let turns = w.chats.turns(chat.id).await.expect("turns");
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0].prompt, "write hello");
    let outcome = turns[0].outcome.clone().expect("ended");
    assert_eq!(
        (outcome.stop_reason, outcome.usage.input_tokens, outcome.usage.output_tokens),
        (Some(StopReason::EndTurn), 10, 5)
    );
    // Every stored event was announced, after it was stored, with its sequence number.
    let announced: Vec<u64> = w
        .sink
        .take()
        .into_iter()
        .filter_map(|n| match n {
            Notice::ChatEvents { events, .. } => Some(events.iter().map(|e| e.seq).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(announced, (1..=8).collect::<Vec<u64>>());
}

#[tokio::test]
async fn messages_sent_while_busy_wait_in_order_and_start_by_themselves() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "first").await.expect("send");
    let Sent::Queued(a) = w.chats.send(chat.id, "second").await.expect("queued") else { panic!("not queued") };
    let Sent::Queued(b) = w.chats.send(chat.id, "third").await.expect("queued") else { panic!("not queued") };
    let Sent::Queued(c) = w.chats.send(chat.id, "fourth").await.expect("queued") else { panic!("not queued") };
    assert_eq!((a.position, b.position, c.position), (0, 1, 2));

    // Edit, reorder, cancel.
    w.chats.edit_queued(chat.id, b.id, "third, edited").await.expect("edit");
    let q = w.chats.move_queued(chat.id, b.id, 0).await.expect("move");
    assert_eq!(q.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["third, edited", "second", "fourth"]);
    w.chats.cancel_queued(chat.id, c.id).await.expect("cancel");
    let e = w.chats.cancel_queued(chat.id, c.id).await.expect_err("gone");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what.contains("may have been sent or cancelled")), "{e}");

    let agent = w.claude.last();
    agent.emit(end(1, 1)).await;
    assert_eq!(agent.prompts(), ["first", "third, edited"], "the next message started by itself");
    assert_eq!(w.status(chat.id).await, ChatStatus::Working);
    assert_eq!(w.chats.queue(chat.id).await.expect("queue").len(), 1);
    agent.emit(end(1, 1)).await;
    agent.emit(end(1, 1)).await;
    assert_eq!(agent.prompts(), ["first", "third, edited", "second"]);
    assert!(w.chats.queue(chat.id).await.expect("queue").is_empty());
    assert_eq!(w.status(chat.id).await, ChatStatus::Completed);
    assert_eq!(w.claude.launches().len(), 1, "one process served every turn");
    assert_eq!(w.chats.usage(band_core::ports::UsageScope::Chat(chat.id)).await.expect("usage").turns, 3);
}

#[tokio::test]
async fn permissions_wait_for_a_person_in_ask_mode() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "go").await.expect("send");
    let agent = w.claude.last();
    agent.emit(ask("r1", "Write", true)).await;
    assert_eq!(w.status(chat.id).await, ChatStatus::Waiting);
    assert!(agent.responses().is_empty());

    w.chats.respond(chat.id, None, PermissionDecision::Deny).await.expect("respond");
    assert_eq!(agent.responses(), [("r1".to_owned(), PermissionDecision::Deny)]);
    assert_eq!(w.status(chat.id).await, ChatStatus::Working);
    let e = w.chats.respond(chat.id, Some("r1"), PermissionDecision::Allow).await.expect_err("gone");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what.contains("no pending permission request 'r1'")), "{e}");

    agent.emit(ask("r2", "Bash", false)).await;
    agent.emit(ask("r3", "Write", true)).await;
    let e = w.chats.respond(chat.id, None, PermissionDecision::Allow).await.expect_err("ambiguous");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m.what.contains("2 pending requests (r2, r3)")), "{e}");
    w.chats.respond(chat.id, Some("r3"), PermissionDecision::Allow).await.expect("r3");
    assert_eq!(w.status(chat.id).await, ChatStatus::Waiting, "r2 still waits");
    w.chats.respond(chat.id, Some("r2"), PermissionDecision::Allow).await.expect("r2");
    assert_eq!(w.status(chat.id).await, ChatStatus::Working);
    let log = w.store.events_after(chat.id, 0, 100).await.expect("log");
    let resolved: Vec<(String, PermissionDecision, Decider)> = log
        .iter()
        .filter_map(|e| match &e.payload {
            EventPayload::PermissionResolved { request_id, decision, by } => Some((request_id.clone(), *decision, *by)),
            _ => None,
        })
        .collect();
    assert_eq!(
        resolved,
        [
            ("r1".to_owned(), PermissionDecision::Deny, Decider::User),
            ("r3".to_owned(), PermissionDecision::Allow, Decider::User),
            ("r2".to_owned(), PermissionDecision::Allow, Decider::User)
        ]
    );
}

#[tokio::test]
async fn modes_answer_for_the_person() {
    let w = world().await;
    let edits = w.chat("accept-edits").await;
    w.chats.send(edits.id, "go").await.expect("send");
    let agent = w.claude.last();
    agent.emit(ask("e1", "Write", true)).await;
    assert_eq!(agent.responses(), [("e1".to_owned(), PermissionDecision::Allow)]);
    assert_eq!(w.status(edits.id).await, ChatStatus::Working);
    agent.emit(ask("b1", "Bash", false)).await;
    assert_eq!(w.status(edits.id).await, ChatStatus::Waiting, "commands still ask");

    let all = w.chat("allow-all").await;
    w.chats.send(all.id, "go").await.expect("send");
    let agent = w.claude.last();
    agent.emit(ask("b2", "Bash", false)).await;
    assert_eq!(agent.responses(), [("b2".to_owned(), PermissionDecision::Allow)]);
    let log = w.store.events_after(all.id, 0, 100).await.expect("log");
    assert!(log.iter().any(|e| matches!(&e.payload, EventPayload::PermissionResolved { by: Decider::Mode, .. })));
}

#[tokio::test]
async fn a_crash_mid_turn_fails_the_chat_with_the_agents_last_words() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "go").await.expect("send");
    w.claude.last().crash("killed by signal 9", "panic: out of memory").await;
    assert_eq!(w.status(chat.id).await, ChatStatus::Failed);
    let turns = w.chats.turns(chat.id).await.expect("turns");
    let error = turns[0].outcome.as_ref().and_then(|o| o.error.clone()).expect("error");
    assert_eq!(error, "the agent exited (killed by signal 9): panic: out of memory");
    // No blind re-run: nothing was sent again. The next message starts a new process.
    assert_eq!(w.claude.launches().len(), 1);
    w.chats.send(chat.id, "again").await.expect("send");
    assert_eq!(w.claude.launches().len(), 2);
}

#[tokio::test]
async fn stop_ends_the_turn_and_the_process_and_the_next_message_resumes() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "long task").await.expect("send");
    let first = w.claude.last();
    first.emit(AgentEvent::SessionStarted { session_id: "sess-9".into() }).await;
    let stopped = w.chats.stop(chat.id).await.expect("stop");
    assert_eq!(stopped.status, ChatStatus::Interrupted);
    assert!(first.stopped());
    // Late events from the stopped process are ignored.
    first.emit(chunk("late")).await;
    assert!(!w.kinds(chat.id).await.contains(&"agent_message_chunk"));
    let turns = w.chats.turns(chat.id).await.expect("turns");
    assert_eq!(turns[0].outcome.as_ref().and_then(|o| o.stop_reason), Some(StopReason::Cancelled));

    w.chats.send(chat.id, "continue").await.expect("send");
    assert_eq!(w.claude.launches()[1].resume.as_deref(), Some("sess-9"), "resumes the agent's session");
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let w = world().await;
    let chat = w.chat("ask").await;
    let install = Some(Install::Npm("@anthropic-ai/claude-code".into()));
    let claude_code = AgentId::new("claude-code").expect("id");
    w.claude.fail_next_launch(AgentError::BinaryMissing {
        agent: claude_code.clone(),
        binary: "claude".into(),
        install: install.clone(),
    });
    let e = w.chats.send(chat.id, "hello").await.expect_err("no binary");
    assert!(
        matches!(&e, CoreError::Refused(m) if m.what == "the claude-code agent's binary 'claude' was not found on band-server's machine"),
        "{e}"
    );
    assert_eq!(
        e.problem().and_then(|p| p.fix.clone()),
        Some(Fix::InstallAgent { agent: claude_code, install }),
        "how to install it, as data"
    );
    let after = w.chats.get(chat.id).await.expect("chat");
    assert_eq!((after.last_seq, after.status), (0, ChatStatus::Idle), "nothing logged");

    let e = w.chats.send(chat.id, "  ").await.expect_err("empty");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m == "the message is empty"));
    let big = "x".repeat(band_core::services::chats::MAX_MESSAGE_BYTES + 1);
    let e = w.chats.send(chat.id, &big).await.expect_err("too big");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m.what.contains("the limit is 262144")), "{e}");

    // A malformed agent id, a bad label or name cannot reach the service: the edge parses them
    // into `AgentId`, `Labels`, `ChatName` (checked in band-core's names and band-server's API
    // tests). An id the registry lacks is not found, naming the list; an agent whose protocol
    // has no runtime here is refused; neither makes a chat.
    let agent = |id: &str| Some(AgentId::new(id).expect("id"));
    let before = w.chats.list(None).await.expect("list").len();
    let req = CreateChat { workspace: "app/feat".into(), agent: agent("nobody"), ..CreateChat::default() };
    let e = w.chats.create(req).await.expect_err("unknown agent");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what.starts_with("no agent 'nobody'")), "{e}");
    assert_eq!(e.problem().and_then(|p| p.fix.clone()), Some(Fix::SeeList(ListOf::Agents)));
    let req = CreateChat { workspace: "app/feat".into(), agent: agent("codex"), ..CreateChat::default() };
    let e = w.chats.create(req).await.expect_err("no runtime for codex here");
    assert!(
        matches!(&e, CoreError::Refused(m) if m.what == "the Codex agent ('codex') speaks codex-app-server, which this band-server does not run"),
        "{e}"
    );
    // Running in a terminal needs a terminal runtime: a terminal agent (always in a terminal) and
    // `via terminal` are refused without one.
    let req = CreateChat { workspace: "app/feat".into(), agent: agent("aider"), ..CreateChat::default() };
    let e = w.chats.create(req).await.expect_err("no terminal runtime here");
    assert!(
        matches!(&e, CoreError::Refused(m) if m.what == "the Aider agent ('aider') runs in a terminal, which this band-server does not run"),
        "{e}"
    );
    let req =
        CreateChat { workspace: "app/feat".into(), via: Some(band_core::ChatVia::Terminal), ..CreateChat::default() };
    let e = w.chats.create(req).await.expect_err("no terminal runtime here");
    assert!(
        matches!(&e, CoreError::Refused(m) if m.what == "the Claude Code agent ('claude-code') runs in a terminal, which this band-server does not run"),
        "{e}"
    );
    assert_eq!(w.chats.list(None).await.expect("list").len(), before, "no chat was made");

    w.chats.remove(chat.id).await.expect("remove");
    let e = w.chats.send(chat.id, "anyone?").await.expect_err("removed");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what == format!("no chat {}", chat.id.0)), "{e}");
    assert_eq!(e.problem().and_then(|p| p.fix.clone()), Some(Fix::SeeList(ListOf::Chats)), "the fix is data");
}

#[tokio::test]
async fn restart_repair_and_shutdown_mark_running_chats_interrupted() {
    let w = world().await;
    let a = w.chat("ask").await;
    let b = w.chat("ask").await;
    let idle = w.chat("ask").await;
    w.chats.send(a.id, "one").await.expect("send");
    w.chats.send(b.id, "two").await.expect("send");
    w.claude.sessions()[1].emit(ask("p", "Bash", false)).await;
    assert_eq!(w.status(b.id).await, ChatStatus::Waiting);

    w.chats.shutdown().await.expect("shutdown");
    for chat in [a.id, b.id] {
        assert_eq!(w.status(chat).await, ChatStatus::Interrupted);
    }
    assert_eq!(w.status(idle.id).await, ChatStatus::Idle);
    assert!(w.claude.sessions().iter().all(|s| s.stopped()), "every agent stopped");

    // A server that died without shutting down leaves chats working; the next start repairs them.
    let c = w.chat("ask").await;
    w.store
        .append_events(vec![(
            c.id,
            vec![EventPayload::TurnStarted, EventPayload::Status { status: ChatStatus::Working }],
        )])
        .await
        .expect("append");
    let fresh = world_sharing(&w).await;
    assert_eq!(fresh.recover().await.expect("recover"), 1);
    assert_eq!(w.status(c.id).await, ChatStatus::Interrupted);
}

/// A second chat service over the same store, as after a restart.
async fn world_sharing(w: &World) -> Chats {
    let git = Arc::new(FakeGit::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (w.store.clone(), w.store.clone());
    let e: Arc<dyn EventSink> = w.sink.clone();
    let workspaces = Arc::new(Workspaces::new(ps, ws, git, e.clone(), PathBuf::from("/wt")));
    let env: band_core::services::EnvSource = Arc::new(|_| BTreeMap::new());
    Chats::new(
        workspaces,
        ChatPorts {
            chats: w.store.clone(),
            log: w.store.clone(),
            turns: w.store.clone(),
            queue: w.store.clone(),
            events: e,
            agents: vec![],
            registry: Arc::new(AgentRegistry::builtin()),
            prices: Arc::new(Prices::builtin()),
            transcripts: None,
            env,
        },
    )
}

/// Issue 13: a chat under its default name is titled by its first prompt; a name someone gave it
/// stays; rename and delete (refused while working unless stopped).
#[tokio::test]
async fn chats_are_titled_by_their_first_prompt_renamed_and_deleted() {
    let w = world().await;
    let chat = w.chat("ask").await;
    assert_eq!(chat.name.as_str(), "claude-code");
    w.chats
        .send(chat.id, "\n  Fix the   login page: it loses the session after a refresh on Safari and Firefox\nmore")
        .await
        .expect("send");
    let titled = w.chats.get(chat.id).await.expect("get");
    assert_eq!(titled.name.as_str(), "Fix the login page: it loses the session after a…");
    assert!(titled.name.chars().count() <= band_core::TITLE_CHARS + 1);
    w.chats.send(chat.id, "a second prompt").await.expect("queued");
    assert_eq!(w.chats.get(chat.id).await.expect("get").name, titled.name, "only the first prompt titles it");

    let e = w.chats.delete(chat.id, false).await.expect_err("working");
    assert!(
        matches!(&e, CoreError::Refused(p) if p.what.contains("is working") && p.fix == Some(Fix::StopChat { chat: chat.id.0 })),
        "{e}"
    );
    assert!(w.chats.get(chat.id).await.is_ok(), "still there");
    w.chats.delete(chat.id, true).await.expect("stopped and deleted");
    assert!(matches!(w.chats.get(chat.id).await, Err(CoreError::NotFound(_))));
    assert!(w.chats.events_after(chat.id, 0, 10).await.is_err(), "its events went with it");

    let named = w.chat("ask").await;
    let patch = ChatPatch { name: Some(band_core::ChatName::new("mine").expect("name")), ..ChatPatch::default() };
    w.chats.update(named.id, patch).await.expect("rename");
    w.chats.send(named.id, "hello there").await.expect("send");
    assert_eq!(w.chats.get(named.id).await.expect("get").name.as_str(), "mine", "a given name stays");
}

/// Issue 13, defect 2: an edit in progress on a queued message was lost when the turn ended
/// first (the original text went out). Held while edited, it waits; the edit wins.
#[tokio::test]
async fn a_queued_message_being_edited_waits_for_the_edit() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "first").await.expect("send");
    let Sent::Queued(a) = w.chats.send(chat.id, "second").await.expect("queued") else { panic!("not queued") };
    let Sent::Queued(b) = w.chats.send(chat.id, "third").await.expect("queued") else { panic!("not queued") };
    w.chats.hold_queued(chat.id, a.id, true).await.expect("hold");
    let agent = w.claude.last();
    agent.emit(end(1, 1)).await;
    assert_eq!(agent.prompts(), ["first"], "nothing went out while the first queued message was being edited");
    assert_eq!(w.status(chat.id).await, ChatStatus::Completed);
    w.chats.edit_queued(chat.id, a.id, "second, edited").await.expect("edit");
    assert_eq!(agent.prompts(), ["first", "second, edited"], "the edit won, and went out at once");
    agent.emit(end(1, 1)).await;
    assert_eq!(agent.prompts(), ["first", "second, edited", "third"]);

    // A hold that lapses (the editor went away) lets the queue go on; a newer hold's lease wins.
    let Sent::Queued(c) = w.chats.send(chat.id, "fourth").await.expect("queued") else { panic!("not queued") };
    let old = w.chats.hold_queued(chat.id, c.id, true).await.expect("hold");
    let renewed = w.chats.hold_queued(chat.id, c.id, true).await.expect("renew");
    agent.emit(end(1, 1)).await;
    w.chats.release_queued(chat.id, c.id, old).await.expect("stale release");
    assert_eq!(agent.prompts().len(), 3, "a stale lease releases nothing");
    w.chats.release_queued(chat.id, c.id, renewed).await.expect("release");
    assert_eq!(agent.prompts().last().map(String::as_str), Some("fourth"));
    let e = w.chats.hold_queued(chat.id, b.id, true).await.expect_err("sent already");
    assert!(matches!(&e, CoreError::NotFound(m) if m.what.contains("may have been sent")), "{e}");
}

#[tokio::test]
async fn queue_messages_of_another_chat_are_not_reachable() {
    let w = world().await;
    let a = w.chat("ask").await;
    let b = w.chat("ask").await;
    w.chats.send(a.id, "busy").await.expect("send");
    let q = w.store.enqueue(a.id, "queued in a".into()).await.expect("enqueue");
    let e = w.chats.cancel_queued(b.id, q.id).await.expect_err("wrong chat");
    assert!(matches!(e, CoreError::NotFound(_)));
    assert_eq!(w.chats.queue(a.id).await.expect("queue").len(), 1);
}

#[tokio::test]
async fn a_workspace_is_not_removed_while_an_agent_works_in_it_and_takes_its_chats_and_terminals() {
    let w = world().await;
    let chat = w.chat("ask").await;
    let idle = w.chat("ask").await;
    w.terminals
        .create(band_core::services::CreateTerminal { workspace: "app/feat".into(), ..Default::default() })
        .await
        .expect("terminal");
    w.chats.send(chat.id, "work").await.expect("send");

    let e = w.teardown.remove("app/feat", true).await.expect_err("busy");
    let CoreError::Refused(m) = &e else { panic!("{e}") };
    assert_eq!(m.what, format!("chat {} is working in this workspace", chat.id.0));
    assert_eq!(m.fix, Some(Fix::StopChat { chat: chat.id.0 }), "stop it first, in each edge's words");
    assert_eq!(w.git.worktree_paths(), vec![w.ws_path.clone()], "the worktree is still there");
    assert_eq!(w.chats.list(Some("app/feat")).await.expect("list").len(), 2, "its chats too");
    assert!(!w.term_host.terminals()[0].killed(), "and its terminal");

    w.chats.stop(chat.id).await.expect("stop");
    // The idle chat's agent is still running: it must not outlive its workspace.
    w.chats.send(idle.id, "hello").await.expect("send");
    w.claude.last().emit(AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: None }).await;
    let idle_agent = w.claude.last();
    assert!(!idle_agent.stopped());
    w.sink.take();
    let (removed, _) = w.teardown.remove("app/feat", false).await.expect("removed");
    assert_eq!(removed.workspace.path, w.ws_path);
    assert!(w.git.worktree_paths().is_empty());
    for id in [chat.id, idle.id] {
        assert!(matches!(w.chats.get(id).await, Err(CoreError::NotFound(_))), "chat {} went with it", id.0);
    }
    assert!(w.term_host.terminals()[0].killed(), "its terminal was killed");
    assert!(idle_agent.stopped(), "the idle chat's agent was stopped");
    let gone: Vec<i64> = w
        .sink
        .take()
        .into_iter()
        .filter_map(|n| match n {
            Notice::ChatRemoved(c) => Some(c.id.0),
            _ => None,
        })
        .collect();
    assert_eq!(gone, [chat.id.0, idle.id.0], "clients hear both chats are gone");
}

#[tokio::test]
async fn interrupt_asks_the_running_agent_and_settings_changes_apply_to_the_next_request() {
    let w = world().await;
    let chat = w.chat("ask").await;
    let e = w.chats.interrupt(chat.id).await.expect_err("idle");
    assert!(
        matches!(&e, CoreError::Refused(m) if m.what == format!("chat {} has no turn under way", chat.id.0)),
        "{e}"
    );
    w.chats.send(chat.id, "go").await.expect("send");
    let agent = w.claude.last();
    w.chats.interrupt(chat.id).await.expect("interrupt");
    assert_eq!(agent.interrupts(), 1);
    assert_eq!(w.status(chat.id).await, ChatStatus::Working, "the agent ends the turn itself");

    let set = band_testkit::names::labels(&[("team", "web")]);
    let patch = ChatPatch { set_labels: set, mode: Some(PermissionMode::AllowAll), ..ChatPatch::default() };
    let updated = w.chats.update(chat.id, patch).await.expect("update");
    assert_eq!(
        (updated.mode, updated.labels.as_map().get("team").map(String::as_str)),
        (PermissionMode::AllowAll, Some("web"))
    );
    // The new mode answers the next request, without waiting for a person.
    agent.emit(ask("r9", "Bash", false)).await;
    assert_eq!(agent.responses(), [("r9".to_owned(), PermissionDecision::Allow)]);
    assert_eq!(w.status(chat.id).await, ChatStatus::Working);

    let patch = ChatPatch {
        remove_labels: vec![band_testkit::names::label_key("team")],
        model: Some(Some(band_testkit::names::model("sonnet"))),
        name: Some(band_testkit::names::chat_name("  renamed  ")),
        ..ChatPatch::default()
    };
    let updated = w.chats.update(chat.id, patch).await.expect("update");
    assert!(updated.labels.is_empty());
    assert_eq!((updated.model.as_deref(), updated.name.as_str()), (Some("sonnet"), "renamed"));
}

#[tokio::test]
async fn a_turn_without_a_reported_cost_is_priced_from_its_model() {
    let w = world().await;
    let chat = w.chat("ask").await;
    let turn_cost = |usage: Option<Usage>| AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage };
    let tokens = Usage { input_tokens: 1_000_000, output_tokens: 100_000, ..Usage::default() };

    // The agent names its model in its session: gpt-5.5 is priced as gpt-5 ($1.25 in, $10 out).
    w.chats.send(chat.id, "one").await.expect("send");
    let agent = w.claude.last();
    let info = AgentUpdate::SessionInfo {
        modes: vec![],
        current_mode: None,
        models: vec![AgentChoice { id: "$runtime|gpt-5.5".into(), name: "gpt-5.5".into() }],
        current_model: Some("$runtime|gpt-5.5".into()),
    };
    agent.emit(AgentEvent::Update(info)).await;
    agent.emit(turn_cost(Some(tokens))).await;
    // A cost the agent reports is kept as it is.
    w.chats.send(chat.id, "two").await.expect("send");
    agent.emit(turn_cost(Some(Usage { cost_usd: Some(0.5), ..tokens }))).await;
    // The chat's own model comes first; one without a price gives way to the agent's.
    for model in ["gemini-2.5-flash", "mystery-model"] {
        let patch = ChatPatch { model: Some(Some(ModelName::new(model).expect("model"))), ..ChatPatch::default() };
        w.chats.update(chat.id, patch).await.expect("update");
        w.chats.send(chat.id, model).await.expect("send");
        agent.emit(turn_cost(Some(tokens))).await;
    }

    let costs: Vec<Option<f64>> = w
        .chats
        .turns(chat.id)
        .await
        .expect("turns")
        .iter()
        .map(|t| t.outcome.as_ref().and_then(|o| o.usage.cost_usd))
        .collect();
    let near = |c: Option<f64>, x: f64| c.is_some_and(|c| (c - x).abs() < 1e-9);
    assert_eq!(costs.len(), 4);
    assert!(near(costs[0], 2.25) && costs[1] == Some(0.5), "{costs:?}");
    assert!(near(costs[2], 0.3 + 0.25) && near(costs[3], 2.25), "{costs:?}");
}

#[tokio::test]
async fn a_chat_exports_turn_by_turn_and_each_ended_turn_goes_to_the_transcript_sink() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.chats.send(chat.id, "write a").await.expect("send");
    let agent = w.claude.last();
    agent.emit(chunk("Writing.")).await;
    agent
        .emit(AgentEvent::Update(AgentUpdate::ToolCall {
            id: "t1".into(),
            title: "Write a".into(),
            kind: "edit".into(),
            input: "{}".into(),
            tool: "Write".into(),
        }))
        .await;
    agent.emit(ask("r1", "Write", true)).await;
    w.chats.respond(chat.id, None, PermissionDecision::Allow).await.expect("allow");
    agent.emit(end(10, 5)).await;
    w.chats.send(chat.id, "and b").await.expect("send");
    w.chats.stop(chat.id).await.expect("stop");

    let t = w.chats.transcript(chat.id).await.expect("transcript");
    assert_eq!(t.turns.iter().map(|t| t.prompt.as_str()).collect::<Vec<_>>(), ["write a", "and b"]);
    assert_eq!(t.turns[0].tools[0].decision, Some((PermissionDecision::Allow, Decider::User)));
    assert_eq!(t.turns[1].stop_reason, Some(StopReason::Cancelled), "a stopped turn is a turn too");
    let written = w.transcripts.0.lock().expect("lock").clone();
    let numbers: Vec<(ChatId, usize)> = written.iter().map(|(c, n, _)| (*c, *n)).collect();
    assert_eq!(numbers, [(chat.id, 1), (chat.id, 2)]);
    assert!(written[0].2.starts_with("## Turn 1\n\n**Prompt**\n\n> write a\n"), "{}", written[0].2);
    assert!(written[0].2.contains("allow by a person"), "{}", written[0].2);
    assert!(written[1].2.starts_with("## Turn 2\n\n**Prompt**\n\n> and b\n"), "{}", written[1].2);
    let e = w.chats.transcript(ChatId(999)).await.expect_err("no such chat");
    assert!(matches!(e, CoreError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn a_chat_runs_in_a_terminal_when_asked_or_when_its_agent_is_a_terminal_agent() {
    let store = Arc::new(MemoryStore::new());
    let git = Arc::new(FakeGit::default());
    let sink = Arc::new(RecordingSink::default());
    let (ps, ws): (Arc<dyn ProjectStore>, Arc<dyn WorkspaceStore>) = (store.clone(), store.clone());
    let (g, e): (Arc<dyn GitRepos>, Arc<dyn EventSink>) = (git.clone(), sink.clone());
    git.add_repo(Path::new("/code/app"), "main", false);
    Projects::new(ps.clone(), ws.clone(), g.clone(), e.clone())
        .add(Path::new("/code/app"), None)
        .await
        .expect("project");
    let workspaces = Arc::new(Workspaces::new(ps, ws, g, e.clone(), PathBuf::from("/wt")));
    workspaces.create("app", "feat", None).await.expect("workspace");
    let claude = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let terminal = FakeRuntime::new(AgentProtocol::Terminal);
    let chats = Chats::new(
        workspaces.clone(),
        ChatPorts {
            chats: store.clone(),
            log: store.clone(),
            turns: store.clone(),
            queue: store.clone(),
            events: e,
            agents: vec![claude.clone(), terminal.clone()],
            registry: Arc::new(AgentRegistry::builtin()),
            prices: Arc::new(Prices::builtin()),
            transcripts: None,
            env: Arc::new(|_| BTreeMap::new()),
        },
    );
    let create = |agent: &str, via: Option<ChatVia>| CreateChat {
        workspace: "app/feat".into(),
        agent: Some(AgentId::new(agent).expect("id")),
        via,
        ..CreateChat::default()
    };
    let plain = chats.create(create("claude-code", None)).await.expect("chat");
    let in_terminal = chats.create(create("claude-code", Some(ChatVia::Terminal))).await.expect("chat");
    let aider = chats.create(create("aider", Some(ChatVia::Protocol))).await.expect("chat");
    assert_eq!((plain.via, in_terminal.via, aider.via), (ChatVia::Protocol, ChatVia::Terminal, ChatVia::Terminal));
    for chat in [&plain, &in_terminal, &aider] {
        chats.send(chat.id, "hello").await.expect("send");
    }
    // Each ran with the runtime of how it runs, told which chat it is for.
    let launched = |r: &FakeRuntime| r.launches().iter().map(|l| (l.chat, l.agent.id.to_string())).collect::<Vec<_>>();
    assert_eq!(launched(&claude), [(plain.id, "claude-code".to_owned())]);
    assert_eq!(launched(&terminal), [(in_terminal.id, "claude-code".to_owned()), (aider.id, "aider".to_owned())]);
    assert_eq!(chats.get(in_terminal.id).await.expect("chat").via, ChatVia::Terminal, "stored");
}

#[tokio::test]
async fn an_agents_terminal_is_listed_with_its_chat_and_does_not_count_against_the_shells() {
    let w = world().await;
    let host = band_testkit::terminal::FakeTerminalHost::new();
    let spawn =
        band_core::ports::TerminalSpawn { cwd: w.ws_path.clone(), size: TerminalSize::AGENT, env: BTreeMap::new() };
    let chat = w.chat("ask").await;
    let ws = chat.workspace_id;
    let mut adopted = Vec::new();
    for _ in 0..band_core::services::terminals::MAX_PER_WORKSPACE {
        let process = band_core::ports::TerminalHost::spawn(&*host, spawn.clone()).await.expect("spawn");
        adopted.push(w.terminals.adopt(ws, chat.id, "Claude Code (chat 1)".into(), process));
    }
    assert!(adopted.iter().all(|t| t.chat == Some(chat.id) && t.workspace_id == ws));
    // A workspace full of agents' terminals still opens a shell.
    let shell = w
        .terminals
        .create(band_core::services::CreateTerminal { workspace: "app/feat".into(), ..Default::default() })
        .await
        .expect("a shell");
    assert_eq!(shell.chat, None);
    let listed = w.terminals.list(Some("app/feat")).await.expect("list");
    assert_eq!(listed.len(), adopted.len() + 1);
    w.terminals.forget(adopted[0].id);
    assert_eq!(w.terminals.list(Some("app/feat")).await.expect("list").len(), adopted.len());
}
