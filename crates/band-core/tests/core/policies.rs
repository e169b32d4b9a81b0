//! Policies in the chat service against in-memory fakes: a refused call is denied before the
//! mode or a person is asked, logged, shown in the chat and audited; allowed calls go on to the
//! mode; a narrower scope cannot loosen; maxTurns refuses the next turn; canPushGit=false reaches
//! the agent's environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use band_core::ports::{
    ActionAudit, ActionEntry, ActionFilter, ActionKind, AgentEvent, EventLog, EventSink, GitRepos, NewAction,
    PolicyStore, ProjectStore, ToolClassifier, WorkspaceStore,
};
use band_core::services::{ChatPorts, Chats, CreateChat, Policies, PolicyPorts, Projects, Sent, Workspaces};
use band_core::*;
use band_testkit::agent::FakeRuntime;
use band_testkit::events::RecordingSink;
use band_testkit::git::FakeGit;
use band_testkit::memory::MemoryStore;

#[derive(Default)]
struct Rules(Mutex<BTreeMap<PolicyScope, PolicyRules>>);

#[async_trait::async_trait]
impl PolicyStore for Rules {
    async fn policy(&self, scope: PolicyScope) -> Result<PolicyRules, StoreError> {
        Ok(self.0.lock().expect("lock").get(&scope).cloned().unwrap_or_default())
    }
    async fn put_policy(&self, scope: PolicyScope, rules: PolicyRules) -> Result<(), StoreError> {
        self.0.lock().expect("lock").insert(scope, rules);
        Ok(())
    }
}

#[derive(Default)]
struct Audit(Mutex<Vec<ActionEntry>>);

#[async_trait::async_trait]
impl ActionAudit for Audit {
    async fn append_action(&self, action: NewAction, keep: usize) -> Result<ActionEntry, StoreError> {
        let mut all = self.0.lock().expect("lock");
        let entry = ActionEntry { id: all.len() as i64 + 1, at: 0, action };
        all.push(entry.clone());
        let over = all.len().saturating_sub(keep);
        all.drain(..over);
        Ok(entry)
    }
    async fn actions(&self, filter: ActionFilter) -> Result<Vec<ActionEntry>, StoreError> {
        let all = self.0.lock().expect("lock");
        Ok(all
            .iter()
            .rev()
            .filter(|e| filter.kind.is_none_or(|k| e.action.kind == k))
            .filter(|e| filter.decider.is_none_or(|d| e.action.decider == Some(d)))
            .take(filter.limit)
            .cloned()
            .collect())
    }
}

/// Bash is a command (its input is the command line), Write creates `x`, anything else is other.
struct Classify;

impl ToolClassifier for Classify {
    fn classify(&self, tool: &str, input: &str, _edit: bool, _workspace: &Path) -> ToolCall {
        let action = match tool {
            "Bash" => ToolAction::RunCommand { command: input.to_owned() },
            "Write" => ToolAction::CreateFile,
            _ => ToolAction::Other,
        };
        let paths = if tool == "Write" { vec![input.to_owned()] } else { vec![] };
        ToolCall { tool: tool.to_owned(), action, paths }
    }
}

struct World {
    store: Arc<MemoryStore>,
    claude: Arc<FakeRuntime>,
    chats: Chats,
    policies: Policies,
    audit: Arc<Audit>,
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
    workspaces.create("app", "feat", None).await.expect("workspace");
    let claude = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
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
            transcripts: None,
            env: Arc::new(|_| BTreeMap::new()),
        },
    );
    let audit = Arc::new(Audit::default());
    let policies = Policies::new(
        workspaces,
        PolicyPorts {
            store: Arc::new(Rules::default()),
            audit: audit.clone(),
            classifier: Arc::new(Classify),
            chats: store.clone(),
            keep: 100,
        },
    );
    chats.enforce(policies.clone());
    World { store, claude, chats, policies, audit }
}

fn set(s: &[&str]) -> Vec<PolicyAssignment> {
    s.iter().map(|a| PolicyAssignment::parse(a).expect("assignment")).collect()
}

fn ask(id: &str, tool: &str, input: &str) -> AgentEvent {
    AgentEvent::PermissionRequest { request_id: id.into(), tool: tool.into(), input: input.into(), edit: false }
}

impl World {
    async fn chat(&self, mode: &str) -> Chat {
        let mode = PermissionMode::parse(mode).expect("a mode");
        let req = CreateChat { workspace: "app/feat".into(), mode: Some(mode), ..CreateChat::default() };
        self.chats.create(req).await.expect("chat")
    }

    async fn events(&self, chat: ChatId) -> Vec<EventPayload> {
        self.store.events_after(chat, 0, 1000).await.expect("events").into_iter().map(|e| e.payload).collect()
    }
}

#[tokio::test]
async fn a_refused_call_is_denied_before_the_mode_or_a_person_with_its_rule_shown_and_audited() {
    let w = world().await;
    w.policies.set(PolicyScope::Global, &set(&["canRunCommands=false"])).await.expect("set");
    // In allow-all mode, the mode would allow it: the policy comes first.
    let chat = w.chat("allow-all").await;
    w.chats.send(chat.id, "run ls").await.expect("send");
    let agent = w.claude.last();
    assert!(w.claude.launches()[0].ask_every_call, "a policy makes the agent ask band for every call");
    agent.emit(ask("r1", "Bash", "ls")).await;
    assert_eq!(agent.responses(), [("r1".to_owned(), PermissionDecision::Deny)]);
    let events = w.events(chat.id).await;
    assert!(events.iter().any(|e| matches!(
        e,
        EventPayload::PermissionResolved { by: Decider::Policy, decision: PermissionDecision::Deny, .. }
    )));
    assert!(
        events.iter().any(|e| matches!(e, EventPayload::Error { message } if message == "Denied by policy: canRunCommands=false (global)")),
        "{events:?}"
    );
    assert_ne!(w.chats.get(chat.id).await.expect("chat").status, ChatStatus::Waiting, "nobody was asked");
    // A write is not a command: the mode allows it.
    agent.emit(ask("r2", "Write", "notes.md")).await;
    assert_eq!(agent.responses()[1], ("r2".to_owned(), PermissionDecision::Allow));

    let filter = ActionFilter { kind: Some(ActionKind::ToolCall), limit: 10, ..ActionFilter::default() };
    let calls = w.policies.actions(filter).await.expect("audit");
    let got: Vec<_> = calls
        .iter()
        .map(|e| (e.action.tool.clone(), e.action.decision, e.action.decider, e.action.rule.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (Some("Write".into()), Some(PermissionDecision::Allow), Some(Decider::Mode), None),
            (
                Some("Bash".into()),
                Some(PermissionDecision::Deny),
                Some(Decider::Policy),
                Some("canRunCommands=false (global)".into())
            ),
        ]
    );
    let changes = ActionFilter { kind: Some(ActionKind::PolicyChange), limit: 10, ..ActionFilter::default() };
    assert_eq!(w.policies.actions(changes).await.expect("audit")[0].action.detail, "global: canRunCommands=false");
}

#[tokio::test]
async fn a_person_still_decides_what_the_policy_allows_and_their_answer_is_audited() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.policies.set(PolicyScope::Chat(chat.id), &set(&["denyPaths=secrets/**"])).await.expect("set");
    w.chats.send(chat.id, "write").await.expect("send");
    let agent = w.claude.last();
    agent.emit(ask("r1", "Write", "secrets/key")).await;
    assert_eq!(agent.responses(), [("r1".to_owned(), PermissionDecision::Deny)]);
    agent.emit(ask("r2", "Write", "src/main.rs")).await;
    assert_eq!(w.chats.get(chat.id).await.expect("chat").status, ChatStatus::Waiting);
    w.chats.respond(chat.id, Some("r2"), PermissionDecision::Allow).await.expect("respond");
    let all = w.policies.actions(ActionFilter { limit: 10, ..ActionFilter::default() }).await.expect("audit");
    assert_eq!(all[0].action.decider, Some(Decider::User));
    assert_eq!(
        all[1].action.rule.as_deref(),
        Some(format!("denyPaths=secrets/** (chat {}) for secrets/key", chat.id.0).as_str())
    );
}

#[tokio::test]
async fn a_narrower_scope_cannot_loosen_and_the_effective_policy_names_each_rules_scope() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.policies.set(PolicyScope::Global, &set(&["canPushGit=false", "maxTurns=5"])).await.expect("set");
    let err = w.policies.set(PolicyScope::Chat(chat.id), &set(&["canPushGit=true"])).await.expect_err("loosens");
    assert!(matches!(err, CoreError::Refused(_)) && err.to_string().contains("set at global"), "{err}");
    w.policies.set(PolicyScope::Chat(chat.id), &set(&["maxTurns=2"])).await.expect("tightens");
    let e = w.policies.effective(PolicyScope::Chat(chat.id)).await.expect("effective");
    assert_eq!(e.layers.len(), 4, "global, project, workspace, chat");
    assert_eq!(e.policy.max_turns(), Some((2, PolicyScope::Chat(chat.id))));
    assert_eq!(e.policy.push_refused(), Some(PolicyScope::Global));
    let gone = w.policies.effective(PolicyScope::Chat(ChatId(999))).await.expect_err("no chat");
    assert!(matches!(gone, CoreError::NotFound(_)), "{gone}");
}

#[tokio::test]
async fn max_turns_refuses_the_next_turn_with_the_reason_and_push_refusal_reaches_the_agent() {
    let w = world().await;
    let chat = w.chat("ask").await;
    w.policies.set(PolicyScope::Chat(chat.id), &set(&["maxTurns=1", "canPushGit=false"])).await.expect("set");
    assert!(matches!(w.chats.send(chat.id, "one").await.expect("first"), Sent::Started { .. }));
    let env = &w.claude.launches()[0].env;
    assert_eq!(env.get("GIT_CONFIG_COUNT").map(String::as_str), Some("1"));
    assert_eq!(env.get("GIT_CONFIG_KEY_0").cloned(), Some(format!("url.{PUSH_REFUSED_URL}.pushInsteadOf")));
    w.claude.last().emit(AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: None }).await;
    let err = w.chats.send(chat.id, "two").await.expect_err("over the limit");
    assert!(matches!(err, CoreError::Refused(_)), "{err}");
    assert_eq!(err.to_string(), format!("chat {} has run 1 turn(s): maxTurns=1 (chat {})", chat.id.0, chat.id.0));
    let refused = ActionFilter { kind: Some(ActionKind::TurnRefused), limit: 10, ..ActionFilter::default() };
    assert_eq!(w.audit.actions(refused).await.expect("audit").len(), 1);
    // Raising the limit lets it go on.
    w.policies.set(PolicyScope::Chat(chat.id), &set(&["maxTurns=2"])).await.expect("raise");
    assert!(matches!(w.chats.send(chat.id, "two").await.expect("second"), Sent::Started { .. }));
}
