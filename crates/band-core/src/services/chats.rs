//! Chats: running agents in workspaces, turn by turn, with every event logged before it is
//! announced.
//!
//! Each chat is serialized by its own async lock: a user's message, the agent's events, a
//! permission answer and a stop never interleave within one chat, so decisions (queue or start,
//! wait or auto-allow, next queued message) are made on a consistent state. Chats never wait on
//! each other. The adapter's reader task delivers the agent's events one at a time
//! ([`AgentEvents`]), so a chat's log keeps the agent's order.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use futures_util::lock::Mutex as AsyncMutex;

use super::{Policies, Terminals, Workspaces};
use crate::agents::{AgentDefinition, AgentId, AgentProtocol, AgentRegistry};
use crate::chat::*;
use crate::error::{AgentError, CoreError, Fix, ListOf, Problem, StoreError};
use crate::model::{ChatId, ChatStatus, ChatVia, PermissionMode};
use crate::names::{ChatName, Labels, ModelName};
use crate::policy::{PolicyKey, PolicyScope, Refusal, ToolCall};
use crate::ports::{
    ActionKind, AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime, ChatStore, EventLog,
    EventSink, MessageQueue, NewAction, Notice, TranscriptSink, TurnLog, UsageScope,
};
use crate::prices::Prices;
use crate::terminal::TerminalId;
use crate::transcript::Transcript;

/// The largest message band accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Builds an agent's environment (see [`crate::agent_env`]); supplied by the composition root,
/// which knows the process environment.
pub type EnvSource = Arc<dyn Fn(&AgentDefinition) -> BTreeMap<String, String> + Send + Sync>;

/// The ports the chat service needs.
pub struct ChatPorts {
    pub chats: Arc<dyn ChatStore>,
    pub log: Arc<dyn EventLog>,
    pub turns: Arc<dyn TurnLog>,
    pub queue: Arc<dyn MessageQueue>,
    pub events: Arc<dyn EventSink>,
    /// One runtime per protocol band runs.
    pub agents: Vec<Arc<dyn AgentRuntime>>,
    /// The agents chats may name.
    pub registry: Arc<AgentRegistry>,
    /// Model prices, for the cost of turns whose agent reports none.
    pub prices: Arc<Prices>,
    /// Where each finished turn's transcript goes, when the user asked for that.
    pub transcripts: Option<Arc<dyn TranscriptSink>>,
    pub env: EnvSource,
}

/// What to create a chat with; `None` takes the default (claude-code, ask mode).
#[derive(Debug, Clone, Default)]
pub struct CreateChat {
    /// A workspace selector.
    pub workspace: String,
    /// Default: Claude Code ([`AgentId::DEFAULT`]).
    pub agent: Option<AgentId>,
    pub model: Option<ModelName>,
    /// Default: ask.
    pub mode: Option<PermissionMode>,
    /// Default: the agent's name.
    pub name: Option<ChatName>,
    pub labels: Labels,
    /// Default: the agent's protocol; terminal-protocol agents always run in a terminal.
    pub via: Option<ChatVia>,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// It started a turn; its `Prompt` event has this sequence number.
    Started { seq: u64 },
    /// The chat was busy: it waits in the queue.
    Queued(QueuedMessage),
}

#[derive(Clone)]
pub struct Chats {
    inner: Arc<Inner>,
}

struct Inner {
    workspaces: Arc<Workspaces>,
    ports: ChatPorts,
    agents: BTreeMap<AgentProtocol, Arc<dyn AgentRuntime>>,
    live: Mutex<HashMap<ChatId, Arc<AsyncMutex<Run>>>>,
    shutting_down: AtomicBool,
    /// Where terminal agents' terminals are listed, for people to watch and type into.
    terminals: std::sync::OnceLock<Terminals>,
    /// The policies judged before anyone is asked, and the audit of agent actions.
    policies: std::sync::OnceLock<Policies>,
    /// Chats whose agent process runs now (their `Run::handle` is set).
    alive: Mutex<HashSet<ChatId>>,
    /// `maxLiveAgents`: the most agent processes kept at once (0: no limit).
    max_live: Arc<AtomicUsize>,
    /// Chats whose next turn waits for an agent slot, first come first served; their message
    /// waits in their queue.
    waiting_slot: Mutex<VecDeque<ChatId>>,
}

fn check_days(filter: &UsageFilter) -> Result<(), CoreError> {
    match (filter.from_day, filter.to_day) {
        (Some(from), Some(to)) if from > to => Err(CoreError::InvalidInput(Problem::new(
            "the usage's first day is after its last: swap --since and --until",
        ))),
        _ => Ok(()),
    }
}

/// The label a chat waiting for an agent slot carries, saying why ("3 live agents, limit 3").
pub const QUEUED_LABEL: &str = "queued";

/// A chat's live part: its agent process, if any.
#[derive(Default)]
struct Run {
    handle: Option<Arc<dyn AgentHandle>>,
    /// Bumped for every process started or dropped; events of an older process are ignored.
    generation: u64,
    /// Permission requests waiting for a person, in order.
    pending: Vec<String>,
    session_id: Option<String>,
    /// The model the agent says it runs (its id and its name), for a cost estimate.
    models: Vec<String>,
    /// Queued messages someone is editing, with the lease of their hold: the queue waits for them.
    held: HashMap<QueuedId, u64>,
    /// Holds handed out so far (each hold's lease).
    leases: u64,
    /// The chat as last read. Only its id and workspace are used from it, for agent updates (the
    /// hot path): those never change. Decisions read the store.
    cached: Option<Chat>,
    /// A terminal agent's terminal, as listed by [`Terminals`].
    terminal: Option<TerminalId>,
    /// The workspace's directory the agent runs in, for classifying its tool calls.
    cwd: Option<std::path::PathBuf>,
    /// Pending requests' calls, for the audit of a person's answer.
    asked: HashMap<String, ToolCall>,
    /// The budgets warned of during this turn (by rule and scope), so each warning is said once.
    budget_warned: std::collections::HashSet<String>,
    /// This turn was interrupted because a budget was spent.
    budget_stopped: bool,
    /// Budgets of this turn only, beside the policies' (a cronjob's, for the turn its run
    /// started), with what was spent before the turn.
    caps: Vec<(Budget, u64)>,
}

impl Chats {
    pub fn new(workspaces: Arc<Workspaces>, ports: ChatPorts) -> Self {
        let agents = ports.agents.iter().map(|a| (a.protocol(), a.clone())).collect();
        Self {
            inner: Arc::new(Inner {
                workspaces,
                ports,
                agents,
                live: Mutex::new(HashMap::new()),
                shutting_down: AtomicBool::new(false),
                terminals: std::sync::OnceLock::new(),
                policies: std::sync::OnceLock::new(),
                alive: Mutex::new(HashSet::new()),
                max_live: Arc::new(AtomicUsize::new(0)),
                waiting_slot: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Judges every tool call by `policies` before the chat's mode or a person is asked, records
    /// every decision in their audit, and refuses turns beyond `maxTurns`.
    pub fn enforce(&self, policies: Policies) {
        let _ = self.inner.policies.set(policies);
    }

    /// Lists terminal agents' terminals in `terminals` (beside the workspace's shells), so
    /// people can watch them and type into them.
    pub fn show_terminals_in(&self, terminals: Terminals) {
        let _ = self.inner.terminals.set(terminals);
    }

    /// # Errors
    /// `NotFound` for the workspace or an agent the registry does not have; `Refused` for an
    /// agent whose protocol this server does not run.
    pub async fn create(&self, req: CreateChat) -> Result<Chat, CoreError> {
        let (_, workspace) = self.inner.workspaces.resolve(&req.workspace).await?;
        let via = self.runs_as(req.agent.as_ref(), req.via)?;
        let agent = req.agent.unwrap_or_else(AgentId::default_agent);
        let mode = req.mode.unwrap_or(PermissionMode::Ask);
        let name = match req.name {
            Some(n) => n,
            None => ChatName::new(agent.as_str())?,
        };
        let model = req.model;
        let chat = self
            .inner
            .ports
            .chats
            .insert_chat(NewChat { workspace_id: workspace.id, agent, model, mode, name, labels: req.labels, via })
            .await?;
        self.inner.ports.events.publish(Notice::ChatChanged(chat.clone()));
        Ok(chat)
    }

    /// Whether a chat could be created with `agent` (the default when `None`) run `via` its
    /// protocol or a terminal, and started: it is in the registry, this server runs it so, and its
    /// binary is there. Returns how it will run (a terminal-protocol agent always in a terminal).
    ///
    /// # Errors
    /// As [`Chats::create`] for the agent.
    pub fn check_agent(&self, agent: Option<&AgentId>, via: Option<ChatVia>) -> Result<ChatVia, CoreError> {
        let default = AgentId::default_agent();
        let via = self.runs_as(agent, via)?;
        let definition = self.inner.ports.registry.get(agent.unwrap_or(&default))?;
        let runtime = self.inner.runtime(definition, via)?;
        runtime.check(definition, &(self.inner.ports.env)(definition)).map_err(agent_error)?;
        Ok(via)
    }

    /// How a chat of `agent` (the default when `None`) asked to run `via` will run, when this
    /// server runs it so (its binary is looked for when it starts).
    fn runs_as(&self, agent: Option<&AgentId>, via: Option<ChatVia>) -> Result<ChatVia, CoreError> {
        let default = AgentId::default_agent();
        let definition = self.inner.ports.registry.get(agent.unwrap_or(&default))?;
        let via =
            if definition.protocol == AgentProtocol::Terminal { ChatVia::Terminal } else { via.unwrap_or_default() };
        self.inner.runtime(definition, via).map(|_| via)
    }

    /// A terminal chat's terminal, while its agent runs (as [`Terminals`] lists it).
    pub async fn terminal(&self, id: ChatId) -> Result<Option<TerminalId>, CoreError> {
        let run = self.inner.run(id);
        let run = run.lock().await;
        self.inner.chat(id).await?;
        Ok(run.terminal)
    }

    /// Chats of one workspace (a selector) or of all.
    pub async fn list(&self, workspace: Option<&str>) -> Result<Vec<Chat>, CoreError> {
        let id = match workspace {
            Some(w) => Some(self.inner.workspaces.resolve(w).await?.1.id),
            None => None,
        };
        Ok(self.inner.ports.chats.list_chats(id).await?)
    }

    /// # Errors
    /// `NotFound` when there is no such chat.
    pub async fn get(&self, id: ChatId) -> Result<Chat, CoreError> {
        self.inner.chat(id).await
    }

    /// Changes a chat's name, model, mode or labels.
    ///
    /// A new mode is band's to apply to every later permission request; an agent process that
    /// was started for another mode and is idle is stopped, so the next message starts it again
    /// (resuming its session) with the flags of the new mode (Claude Code in ask mode asks even
    /// for what its own allow-list would run).
    pub async fn update(&self, id: ChatId, patch: ChatPatch) -> Result<Chat, CoreError> {
        let run = self.inner.run(id);
        let mut run = run.lock().await;
        let before = self.inner.chat(id).await?;
        let mode_changed = patch.mode.is_some_and(|m| m != before.mode);
        let chat = self.inner.ports.chats.update_chat(id, patch).await?;
        self.inner.ports.events.publish(Notice::ChatChanged(chat.clone()));
        if mode_changed && !chat.status.busy() && run.handle.is_some() {
            run.generation += 1;
            self.inner.set_alive(id, false);
            if let Some(h) = run.handle.take() {
                h.stop().await.map_err(agent_error)?;
            }
        }
        Ok(chat)
    }

    /// Sends a message: starts a turn when the chat is free, else queues it.
    ///
    /// # Errors
    /// `InvalidInput` for an empty or oversized message; `NotFound` for a removed chat;
    /// `Refused` when the agent cannot be started (its binary missing...). Nothing is recorded
    /// then: the message is not lost in a log, the caller still has it.
    pub async fn send(&self, id: ChatId, text: &str) -> Result<Sent, CoreError> {
        check_message(text)?;
        let run = self.inner.run(id);
        let mut run = run.lock().await;
        let chat = self.inner.chat(id).await?;
        if chat.status.busy() {
            let queued = self.inner.ports.queue.enqueue(id, text.to_owned()).await?;
            self.inner.queue_changed(&chat).await;
            return Ok(Sent::Queued(queued));
        }
        // A chat still under its default name (its agent's) is titled by its first prompt; the
        // turn's status change announces it. A turn that cannot start leaves the name as it was.
        let untitled = chat.name.clone();
        let titled = if chat.last_seq == 0
            && chat.name.as_str() == chat.agent.as_str()
            && let Some(title) = title_from_prompt(text)
        {
            self.inner.ports.chats.update_chat(id, ChatPatch { name: Some(title), ..ChatPatch::default() }).await?;
            true
        } else {
            false
        };
        let sent = self.inner.start_turn(&mut run, &chat, text, None).await;
        if sent.is_err() && titled {
            let patch = ChatPatch { name: Some(untitled), ..ChatPatch::default() };
            let _ = self.inner.ports.chats.update_chat(id, patch).await;
        }
        sent
    }

    /// Caps the turn under way with budgets of its own (a cronjob's, for the turn its run started),
    /// judged as the policies' are: a warning at 80 %, the turn interrupted at 100 %. Nothing
    /// happens when the chat is not working (the turn already ended).
    ///
    /// # Errors
    /// `NotFound` for an unknown chat.
    pub async fn cap_turn(&self, id: ChatId, caps: Vec<TurnCap>) -> Result<(), CoreError> {
        let run = self.inner.run(id);
        let mut run = run.lock().await;
        let chat = self.inner.chat(id).await?;
        if !chat.status.busy() {
            return Ok(());
        }
        run.caps = caps
            .into_iter()
            .map(|c| {
                let cost = matches!(c.key, PolicyKey::MaxCostUsd | PolicyKey::DailyMaxCostUsd);
                let b = Budget {
                    key: c.key,
                    limit: c.limit,
                    cost,
                    at: PolicyScope::Chat(id),
                    turn_only: true,
                    label: c.label,
                };
                (b, c.spent)
            })
            .collect();
        Ok(())
    }

    /// The budgets in force for a chat, each with what its scope has spent (ended turns).
    ///
    /// # Errors
    /// `NotFound` for an unknown chat; store failures.
    pub async fn budgets(&self, id: ChatId) -> Result<Vec<BudgetStatus>, CoreError> {
        let chat = self.inner.chat(id).await?;
        Ok(self
            .inner
            .budget_states(&chat)
            .await?
            .into_iter()
            .map(|(b, spent)| BudgetStatus {
                key: b.key,
                at: b.at,
                rule: b.rule(),
                scope: b.label.clone(),
                limit: b.limit,
                spent,
                cost: b.cost,
                shown: format!("{} of {}", b.shown(spent), b.shown(b.limit)),
            })
            .collect())
    }

    /// Ends the current turn, if any, and the agent's process group. The next message starts
    /// the agent again, resuming its session.
    pub async fn stop(&self, id: ChatId) -> Result<Chat, CoreError> {
        let run = self.inner.run(id);
        let handle = {
            let mut run = run.lock().await;
            let chat = self.inner.chat(id).await?;
            if chat.status.busy() {
                let outcome =
                    TurnOutcome { stop_reason: Some(StopReason::Cancelled), error: None, usage: Usage::default() };
                self.inner
                    .append(&chat, vec![EventPayload::TurnEnded(outcome), status(ChatStatus::Interrupted)])
                    .await?;
            }
            run.pending.clear();
            run.asked.clear();
            run.generation += 1;
            self.inner.set_alive(id, false);
            self.inner.unqueue_slot(id);
            (run.handle.take(), run.terminal.take())
        };
        if let Some(h) = handle.0 {
            h.stop().await.map_err(agent_error)?;
            self.inner.admit_next().await;
        }
        self.inner.release_terminal(handle.1);
        self.inner.chat(id).await
    }

    /// Asks the agent to end its current turn early, keeping its process.
    pub async fn interrupt(&self, id: ChatId) -> Result<(), CoreError> {
        let run = self.inner.run(id);
        let run = run.lock().await;
        let chat = self.inner.chat(id).await?;
        match (&run.handle, chat.status.busy()) {
            (Some(h), true) => h.interrupt().await.map_err(agent_error),
            _ => Err(CoreError::Refused(format!("chat {} has no turn under way", id.0).into())),
        }
    }

    /// Answers a pending permission request (the only one, when `request_id` is `None`).
    ///
    /// # Errors
    /// `NotFound` when the request is gone (answered, or the turn ended); `InvalidInput` when
    /// several are pending and none was named.
    pub async fn respond(
        &self,
        id: ChatId,
        request_id: Option<&str>,
        decision: PermissionDecision,
    ) -> Result<(), CoreError> {
        let run = self.inner.run(id);
        let mut run = run.lock().await;
        let chat = self.inner.chat(id).await?;
        let request = match (request_id, run.pending.as_slice()) {
            (_, []) => {
                return Err(CoreError::NotFound(
                    format!(
                        "chat {} has no pending permission request{}",
                        id.0,
                        request_id.map(|r| format!(" '{r}' (it may have been answered already)")).unwrap_or_default()
                    )
                    .into(),
                ));
            }
            (None, [only]) => only.clone(),
            (None, many) => {
                return Err(CoreError::InvalidInput(
                    Problem::new(format!("chat {} has {} pending requests ({})", id.0, many.len(), many.join(", ")))
                        .fix(Fix::NameRequest),
                ));
            }
            (Some(r), pending) if pending.iter().any(|p| p == r) => r.to_owned(),
            (Some(r), _) => {
                return Err(CoreError::NotFound(
                    format!(
                        "chat {} has no pending permission request '{r}' (it may have been answered already)",
                        id.0
                    )
                    .into(),
                ));
            }
        };
        let handle = run
            .handle
            .clone()
            .ok_or_else(|| CoreError::Refused(format!("chat {} has no agent running", id.0).into()))?;
        handle.respond(&request, decision).await.map_err(agent_error)?;
        run.pending.retain(|p| *p != request);
        if let (Some(call), Some(p)) = (run.asked.remove(&request), self.inner.policies.get()) {
            p.record_call(&chat, &call, decision, Decider::User, None).await;
        }
        let mut events = vec![EventPayload::PermissionResolved { request_id: request, decision, by: Decider::User }];
        if run.pending.is_empty() {
            events.push(status(ChatStatus::Working));
        }
        self.inner.append(&chat, events).await?;
        Ok(())
    }

    /// Stops the chat's agent and deletes the chat with its log.
    pub async fn remove(&self, id: ChatId) -> Result<Chat, CoreError> {
        let chat = self.stop(id).await?;
        self.inner.ports.chats.delete_chat(id).await?;
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        self.inner.ports.events.publish(Notice::ChatRemoved(chat.clone()));
        Ok(chat)
    }

    /// Deletes a chat with its events. A chat whose agent works (or waits on a permission) is
    /// not deleted unless `stop` says to stop it first.
    ///
    /// # Errors
    /// `Refused` (stop it first) for a busy chat without `stop`; `NotFound` for no such chat.
    pub async fn delete(&self, id: ChatId, stop: bool) -> Result<Chat, CoreError> {
        let chat = self.inner.chat(id).await?;
        if chat.status.busy() && !stop {
            let what =
                format!("chat {} ('{}') is {}: deleting it would cut its turn", id.0, chat.name, chat.status.as_str());
            return Err(CoreError::Refused(Problem::new(what).fix(Fix::StopChat { chat: id.0 })));
        }
        self.remove(id).await
    }

    /// A chat deleted with its workspace (its agent already stopped): its live state goes, and
    /// clients hear it is gone.
    pub(crate) fn forget(&self, chat: &Chat) {
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner()).remove(&chat.id);
        self.inner.ports.events.publish(Notice::ChatRemoved(chat.clone()));
    }

    /// Events after `after`, at most `limit`.
    pub async fn events_after(&self, id: ChatId, after: u64, limit: usize) -> Result<Vec<ChatEvent>, CoreError> {
        self.inner.chat(id).await?;
        Ok(self.inner.ports.log.events_after(id, after, limit).await?)
    }

    /// The `limit` events before `before` (the newest when `None`), ascending.
    pub async fn events_before(
        &self,
        id: ChatId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ChatEvent>, CoreError> {
        self.inner.chat(id).await?;
        Ok(self.inner.ports.log.events_before(id, before, limit).await?)
    }

    /// The chat's whole log as a transcript, turn by turn.
    pub async fn transcript(&self, id: ChatId) -> Result<Transcript, CoreError> {
        let chat = self.inner.chat(id).await?;
        let events = self.inner.events_from(id, 0).await?;
        Ok(Transcript::from_events(chat, &events))
    }

    pub async fn turns(&self, id: ChatId) -> Result<Vec<Turn>, CoreError> {
        self.inner.chat(id).await?;
        Ok(self.inner.ports.turns.turns(id).await?)
    }

    pub async fn usage(&self, scope: UsageScope) -> Result<UsageTotals, CoreError> {
        Ok(self.inner.ports.turns.usage_totals(scope).await?)
    }

    /// Ended turns' usage grouped `by`, with the tool calls of the same turns.
    ///
    /// # Errors
    /// `InvalidInput` when the filter's days are the wrong way round; store failures.
    pub async fn usage_report(&self, by: UsageBy, filter: UsageFilter) -> Result<UsageReport, CoreError> {
        check_days(&filter)?;
        Ok(self.inner.ports.turns.usage_report(by, filter).await?)
    }

    /// Ended turns one by one, newest first (at most 1000 per call), with their tool calls.
    ///
    /// # Errors
    /// As [`Chats::usage_report`].
    pub async fn turn_usage(
        &self,
        filter: UsageFilter,
        limit: usize,
        before: Option<TurnId>,
    ) -> Result<Vec<TurnUsage>, CoreError> {
        check_days(&filter)?;
        Ok(self.inner.ports.turns.turn_usage(filter, limit.clamp(1, 1000), before).await?)
    }

    pub async fn queue(&self, id: ChatId) -> Result<Vec<QueuedMessage>, CoreError> {
        self.inner.chat(id).await?;
        Ok(self.inner.ports.queue.queued(id).await?)
    }

    /// Changes a queued message's text; a hold on it (someone was editing it) ends, and if the
    /// chat became free meanwhile the edited message starts.
    pub async fn edit_queued(&self, id: ChatId, queued: QueuedId, text: &str) -> Result<QueuedMessage, CoreError> {
        check_message(text)?;
        let (chat, mut run) = self.queued_of(id, queued).await?;
        let msg = self.inner.ports.queue.edit_queued(queued, text.to_owned()).await?;
        self.inner.queue_changed(&chat).await;
        run.held.remove(&queued);
        self.inner.next_if_free(&mut run, id).await?;
        Ok(msg)
    }

    /// Holds a queued message while someone edits it: a turn that ends meanwhile does not send
    /// it (nor anything queued after it) until the edit is saved, the hold is released, or it
    /// lapses. Returns the hold's lease: the edge that times holds out releases it with
    /// [`Chats::release_queued`] and this lease, which a newer hold makes stale. Releasing
    /// (`hold` false) lets the queue go on at once if the chat is free.
    ///
    /// # Errors
    /// `NotFound` when the message is no longer queued (it was sent or cancelled).
    pub async fn hold_queued(&self, id: ChatId, queued: QueuedId, hold: bool) -> Result<u64, CoreError> {
        let (_, mut run) = self.queued_of(id, queued).await?;
        if hold {
            run.leases += 1;
            let lease = run.leases;
            run.held.insert(queued, lease);
            return Ok(lease);
        }
        run.held.remove(&queued);
        self.inner.next_if_free(&mut run, id).await?;
        Ok(0)
    }

    /// Ends the hold `lease` on a queued message, if it is still the current one (a lapsed
    /// hold: whoever was editing went away).
    pub async fn release_queued(&self, id: ChatId, queued: QueuedId, lease: u64) -> Result<(), CoreError> {
        let run = self.inner.run(id);
        let mut run = run.lock().await;
        if run.held.get(&queued) == Some(&lease) {
            run.held.remove(&queued);
            self.inner.next_if_free(&mut run, id).await?;
        }
        Ok(())
    }

    pub async fn move_queued(
        &self,
        id: ChatId,
        queued: QueuedId,
        position: u32,
    ) -> Result<Vec<QueuedMessage>, CoreError> {
        let (chat, _guard) = self.queued_of(id, queued).await?;
        let queue = self.inner.ports.queue.move_queued(queued, position).await?;
        self.inner.queue_changed(&chat).await;
        Ok(queue)
    }

    pub async fn cancel_queued(&self, id: ChatId, queued: QueuedId) -> Result<QueuedMessage, CoreError> {
        let (chat, mut run) = self.queued_of(id, queued).await?;
        let msg = self.inner.ports.queue.cancel_queued(queued).await?;
        self.inner.queue_changed(&chat).await;
        if run.held.remove(&queued).is_some() {
            self.inner.next_if_free(&mut run, id).await?;
        }
        Ok(msg)
    }

    /// Locks the chat and checks that `queued` is in its queue.
    async fn queued_of(
        &self,
        id: ChatId,
        queued: QueuedId,
    ) -> Result<(Chat, futures_util::lock::OwnedMutexGuard<Run>), CoreError> {
        let guard = self.inner.run(id).lock_owned().await;
        let chat = self.inner.chat(id).await?;
        if !self.inner.ports.queue.queued(id).await?.iter().any(|q| q.id == queued) {
            return Err(CoreError::NotFound(
                format!("chat {} has no queued message {} (it may have been sent or cancelled)", id.0, queued.0).into(),
            ));
        }
        Ok((chat, guard))
    }

    /// At start: chats left mid-turn by a server that died become interrupted (their next
    /// message resumes the agent's session). Returns how many.
    pub async fn recover(&self) -> Result<usize, CoreError> {
        let stale = self.inner.ports.chats.chats_in_status(&[ChatStatus::Working, ChatStatus::Waiting]).await?;
        self.inner.interrupt_all(&stale, "band-server stopped during the turn").await?;
        Ok(stale.len())
    }

    /// At shutdown: every running chat is marked interrupted in one transaction, then every
    /// agent process group is stopped.
    pub async fn shutdown(&self) -> Result<(), CoreError> {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        let busy = self.inner.ports.chats.chats_in_status(&[ChatStatus::Working, ChatStatus::Waiting]).await?;
        let marked = self.inner.interrupt_all(&busy, "band-server was shut down during the turn").await;
        let runs: Vec<Arc<AsyncMutex<Run>>> =
            self.inner.live.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for run in runs {
            let handle = {
                let mut run = run.lock().await;
                run.generation += 1;
                run.handle.take()
            };
            if let Some(h) = handle {
                let _ = h.detach().await;
            }
        }
        marked
    }

    /// Stops the agent process of every chat that is free (not working, not waiting) and has had
    /// no event for `idle_ms` as of `now_ms`: about 200 MB each for Claude Code, kept for
    /// nothing. Nothing is logged and the status stays: the next message starts the agent again,
    /// resuming its session, as after `stop`. Returns the chats whose agent was stopped.
    pub async fn stop_idle(&self, now_ms: crate::model::Millis, idle_ms: crate::model::Millis) -> Vec<ChatId> {
        let runs: Vec<(ChatId, Arc<AsyncMutex<Run>>)> =
            self.inner.live.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (*k, v.clone())).collect();
        let mut stopped = Vec::new();
        for (id, run) in runs {
            let handle = {
                let mut run = run.lock().await;
                if run.handle.is_none() {
                    continue;
                }
                let Ok(chat) = self.inner.chat(id).await else { continue };
                if chat.status.busy() || now_ms.saturating_sub(chat.updated_at) < idle_ms {
                    continue;
                }
                run.generation += 1;
                run.pending.clear();
                run.asked.clear();
                self.inner.set_alive(id, false);
                run.handle.take()
            };
            if let Some(h) = handle {
                let _ = h.stop().await;
                stopped.push(id);
                self.inner.admit_next().await;
            }
        }
        stopped
    }

    /// `maxLiveAgents`, shared with whoever changes it (0: no limit). A start beyond it stops
    /// the oldest free agent first, or waits in line while every live agent is busy.
    pub fn live_limit(&self) -> Arc<AtomicUsize> {
        self.inner.max_live.clone()
    }

    /// Process ids of the agents running now (for diagnostics and tests).
    pub async fn agent_pids(&self) -> Vec<(ChatId, u32)> {
        let runs: Vec<(ChatId, Arc<AsyncMutex<Run>>)> =
            self.inner.live.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (*k, v.clone())).collect();
        let mut out = Vec::new();
        for (id, run) in runs {
            if let Some(pid) = run.lock().await.handle.as_ref().and_then(|h| h.pid()) {
                out.push((id, pid));
            }
        }
        out
    }
}

impl Inner {
    fn set_alive(&self, id: ChatId, alive: bool) {
        let mut set = self.alive.lock().unwrap_or_else(|p| p.into_inner());
        if alive {
            set.insert(id);
        } else {
            set.remove(&id);
        }
    }

    fn unqueue_slot(&self, id: ChatId) {
        self.waiting_slot.lock().unwrap_or_else(|p| p.into_inner()).retain(|c| *c != id);
    }

    /// Some chat waits for an agent slot.
    fn slot_wanted(&self) -> bool {
        !self.waiting_slot.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    /// Whether `id` may start an agent now: under the limit, or once the oldest free agent is
    /// stopped (resumable, as the idle timeout does). `Some(why)` when every live agent is busy.
    async fn no_slot(&self, id: ChatId) -> Option<String> {
        let limit = self.max_live.load(Ordering::Relaxed);
        if limit == 0 {
            return None;
        }
        loop {
            let others: Vec<ChatId> =
                self.alive.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().filter(|c| *c != id).collect();
            if others.len() < limit {
                return None;
            }
            // The free ones, oldest first.
            let mut free = Vec::new();
            for other in &others {
                if let Ok(chat) = self.chat(*other).await
                    && !chat.status.busy()
                {
                    free.push((chat.updated_at, *other));
                }
            }
            free.sort();
            let mut stopped = false;
            for (_, other) in free {
                // Never wait on another chat's lock here (its holder may be waiting on ours).
                let cell = self.live.lock().unwrap_or_else(|p| p.into_inner()).get(&other).cloned();
                let Some(mut run) = cell.as_ref().and_then(|r| r.try_lock()) else { continue };
                let Ok(chat) = self.chat(other).await else { continue };
                if chat.status.busy() || run.handle.is_none() {
                    continue;
                }
                run.generation += 1;
                run.pending.clear();
                self.set_alive(other, false);
                if let Some(h) = run.handle.take() {
                    drop(run);
                    let _ = h.stop().await;
                }
                stopped = true;
                break;
            }
            if !stopped {
                return Some(format!("{} live agents, limit {limit}", others.len()));
            }
        }
    }

    /// Every live agent is busy: the message waits in the chat's queue, the chat in line for a
    /// slot, and its `queued` label says why.
    async fn wait_for_slot(
        &self,
        chat: &Chat,
        text: &str,
        queued: Option<QueuedId>,
        why: String,
    ) -> Result<Sent, CoreError> {
        {
            let mut line = self.waiting_slot.lock().unwrap_or_else(|p| p.into_inner());
            if !line.contains(&chat.id) {
                line.push_back(chat.id);
            }
        }
        self.set_queued_label(chat, Some(why)).await;
        let message = match queued {
            // Already queued (its turn came, the slot did not): it stays first.
            Some(q) => self.ports.queue.queued(chat.id).await?.into_iter().find(|m| m.id == q),
            None => None,
        };
        let message = match message {
            Some(m) => m,
            None => {
                let m = self.ports.queue.enqueue(chat.id, text.to_owned()).await?;
                self.queue_changed(chat).await;
                m
            }
        };
        Ok(Sent::Queued(message))
    }

    /// Sets (or, with `None`, removes) the label saying why the chat waits for a slot.
    async fn set_queued_label(&self, chat: &Chat, why: Option<String>) {
        let Ok(now) = self.chat(chat.id).await else { return };
        let has = now.labels.as_map().get(QUEUED_LABEL);
        if has == why.as_ref() {
            return;
        }
        let patch = match why {
            Some(why) => {
                let Ok(labels) = Labels::new([(QUEUED_LABEL.to_owned(), why)].into()) else { return };
                ChatPatch { set_labels: labels, ..ChatPatch::default() }
            }
            None => {
                let Ok(key) = crate::names::LabelKey::new(QUEUED_LABEL) else { return };
                ChatPatch { remove_labels: vec![key], ..ChatPatch::default() }
            }
        };
        if let Ok(chat) = self.ports.chats.update_chat(chat.id, patch).await {
            self.ports.events.publish(Notice::ChatChanged(chat));
        }
    }

    /// A slot came free: the chat waiting longest starts its queued message.
    async fn admit_next(self: &Arc<Self>) {
        let next = self.waiting_slot.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        let Some(next) = next else { return };
        let run = self.run(next);
        let mut run = run.lock().await;
        if let Err(e) = self.start_waiting(&mut run, next).await {
            self.ports.events.publish(Notice::Fault { chat: next, message: e.to_string() });
        }
    }

    /// Starts the first queued message of a chat that waited for a slot (whatever its last
    /// turn's outcome: the message was sent after it).
    async fn start_waiting(self: &Arc<Self>, run: &mut Run, id: ChatId) -> Result<(), CoreError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Ok(());
        }
        let chat = self.chat(id).await?;
        if chat.status.busy() || run.handle.is_some() {
            return Ok(());
        }
        match self.ports.queue.queued(id).await?.into_iter().next() {
            Some(first) if !run.held.contains_key(&first.id) => {
                self.start_turn(run, &chat, &first.text, Some(first.id)).await?;
            }
            // Nothing left to start (cancelled meanwhile): it no longer waits.
            None => self.set_queued_label(&chat, None).await,
            Some(_) => {}
        }
        Ok(())
    }

    fn run(&self, id: ChatId) -> Arc<AsyncMutex<Run>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).entry(id).or_default().clone()
    }

    async fn chat(&self, id: ChatId) -> Result<Chat, CoreError> {
        self.ports.chats.chat(id).await.map_err(|e| match e {
            StoreError::NotFound(_) => {
                CoreError::NotFound(Problem::new(format!("no chat {}", id.0)).fix(Fix::SeeList(ListOf::Chats)))
            }
            e => e.into(),
        })
    }

    /// Appends to the log, then announces what was stored (and writes the transcript of a turn
    /// that ended, when transcript files are on).
    async fn append(&self, chat: &Chat, payloads: Vec<EventPayload>) -> Result<Vec<ChatEvent>, CoreError> {
        let status_changed = payloads.iter().any(|p| matches!(p, EventPayload::Status { .. }));
        let turn_ended = payloads.iter().any(|p| matches!(p, EventPayload::TurnEnded(_)));
        let events = self.ports.log.append_events(vec![(chat.id, payloads)]).await?;
        self.ports.events.publish(Notice::ChatEvents { workspace: chat.workspace_id, events: events.clone().into() });
        if status_changed && let Ok(chat) = self.ports.chats.chat(chat.id).await {
            self.ports.events.publish(Notice::ChatChanged(chat));
        }
        if turn_ended {
            self.write_transcript(chat).await;
        }
        Ok(events)
    }

    /// Every event of the chat after `after`, in pages.
    async fn events_from(&self, id: ChatId, mut after: u64) -> Result<Vec<ChatEvent>, CoreError> {
        const PAGE: usize = 1000;
        let mut all = Vec::new();
        loop {
            let page = self.ports.log.events_after(id, after, PAGE).await?;
            let full = page.len() == PAGE;
            after = page.last().map_or(after, |e| e.seq);
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    /// The newest turn's transcript to the transcript sink, if there is one. A turn that cannot
    /// be read back is not written; it never fails the turn.
    async fn write_transcript(&self, chat: &Chat) {
        let Some(sink) = &self.ports.transcripts else { return };
        let Ok(turns) = self.ports.turns.turns(chat.id).await else { return };
        let Some(turn) = turns.last() else { return };
        // The turn's prompt is the event just before its start.
        let Ok(events) = self.events_from(chat.id, turn.started_seq.saturating_sub(2)).await else { return };
        let transcript = Transcript::from_events(chat.clone(), &events);
        if let Some(t) = transcript.turns.first() {
            sink.turn_ended(chat, turns.len(), t.to_markdown(turns.len())).await;
        }
    }

    async fn queue_changed(&self, chat: &Chat) {
        if let Ok(queue) = self.ports.queue.queued(chat.id).await {
            self.ports.events.publish(Notice::QueueChanged { workspace: chat.workspace_id, chat: chat.id, queue });
        }
    }

    /// Starts a turn: launches the agent if it is not running, logs the prompt, sends it.
    async fn start_turn(
        self: &Arc<Self>,
        run: &mut Run,
        chat: &Chat,
        text: &str,
        queued: Option<QueuedId>,
    ) -> Result<Sent, CoreError> {
        if let Some(why) = self.turn_limit(chat, true).await? {
            return Err(CoreError::Refused(Problem::new(why)));
        }
        self.check_budgets(chat).await?;
        run.budget_warned.clear();
        run.budget_stopped = false;
        run.caps.clear();
        let handle = match &run.handle {
            Some(h) => h.clone(),
            None => {
                if let Some(why) = self.no_slot(chat.id).await {
                    return self.wait_for_slot(chat, text, queued, why).await;
                }
                self.unqueue_slot(chat.id);
                let handle = self.launch(run, chat).await?;
                self.set_queued_label(chat, None).await;
                handle
            }
        };
        let events = self
            .append(
                chat,
                vec![
                    EventPayload::Prompt { text: text.to_owned(), queued },
                    EventPayload::TurnStarted,
                    status(ChatStatus::Working),
                ],
            )
            .await?;
        if queued.is_some() {
            self.queue_changed(chat).await;
        }
        if let Err(e) = handle.prompt(text).await {
            let message = format!("the agent did not take the message: {e}");
            let failed = TurnOutcome { stop_reason: None, error: Some(message.clone()), usage: Usage::default() };
            self.append(chat, vec![EventPayload::TurnEnded(failed), status(ChatStatus::Failed)]).await?;
            return Err(CoreError::Refused(message.into()));
        }
        Ok(Sent::Started { seq: events.first().map(|e| e.seq).unwrap_or_default() })
    }

    /// Why the chat may not start another turn (its policy's `maxTurns` reached), if so; recorded
    /// in the audit when `record`.
    async fn turn_limit(&self, chat: &Chat, record: bool) -> Result<Option<String>, CoreError> {
        let Some(policies) = self.policies.get() else { return Ok(None) };
        let Some((max, scope)) = policies.for_chat(chat).await?.max_turns() else { return Ok(None) };
        let ran = self.ports.turns.turns(chat.id).await?.len();
        if ran < max as usize {
            return Ok(None);
        }
        let scope = policies.label(chat, scope).await;
        let why = format!("chat {} has run {ran} turn(s): maxTurns={max} ({scope})", chat.id.0);
        if !record {
            return Ok(Some(why));
        }
        policies
            .record(NewAction {
                kind: ActionKind::TurnRefused,
                chat: Some(chat.id),
                workspace: Some(chat.workspace_id),
                tool: None,
                decision: Some(PermissionDecision::Deny),
                decider: Some(Decider::Policy),
                rule: Some(format!("maxTurns={max} ({scope})")),
                detail: why.clone(),
            })
            .await;
        Ok(Some(why))
    }

    /// The budgets in force for `chat`, with what each has spent in its scope's ended turns.
    async fn budget_states(&self, chat: &Chat) -> Result<Vec<(Budget, u64)>, CoreError> {
        let Some(policies) = self.policies.get() else { return Ok(Vec::new()) };
        let policy = policies.for_chat(chat).await?;
        let mut out = Vec::new();
        for &(key, limit, scope) in policy.budgets() {
            let daily = matches!(key, PolicyKey::DailyMaxCostUsd | PolicyKey::DailyMaxTokens);
            let usage = match (scope, daily) {
                (PolicyScope::Global, true) => UsageScope::Since(start_of_today()),
                (_, true) => continue, // set only globally (policies.set refuses it elsewhere)
                (PolicyScope::Global, false) => UsageScope::Since(0),
                (PolicyScope::Project(p), false) => UsageScope::Project(p),
                (PolicyScope::Workspace(w), false) => UsageScope::Workspace(w),
                (PolicyScope::Chat(c), false) => UsageScope::Chat(c),
            };
            let cost = matches!(key, PolicyKey::MaxCostUsd | PolicyKey::DailyMaxCostUsd);
            let budget =
                Budget { key, limit, cost, at: scope, turn_only: false, label: policies.label(chat, scope).await };
            let spent = budget.measure(&self.ports.turns.usage_totals(usage).await?.usage);
            out.push((budget, spent));
        }
        Ok(out)
    }

    /// Refuses a turn while a budget in force is spent, naming it (and records the refusal).
    async fn check_budgets(&self, chat: &Chat) -> Result<(), CoreError> {
        for (b, spent) in self.budget_states(chat).await? {
            if spent >= b.limit {
                let why = format!(
                    "the budget {} of {} is spent ({} used); raise or unset it in that scope's policy to go on",
                    b.rule(),
                    b.label,
                    b.shown(spent)
                );
                self.record_budget(chat, &b, why.clone()).await;
                return Err(CoreError::Refused(Problem::new(why)));
            }
        }
        Ok(())
    }

    async fn record_budget(&self, chat: &Chat, b: &Budget, detail: String) {
        if let Some(policies) = self.policies.get() {
            policies
                .record(NewAction {
                    kind: ActionKind::TurnRefused,
                    chat: Some(chat.id),
                    workspace: Some(chat.workspace_id),
                    tool: None,
                    decision: Some(PermissionDecision::Deny),
                    decider: Some(Decider::Budget),
                    rule: Some(format!("{} ({})", b.rule(), b.label)),
                    detail,
                })
                .await;
        }
    }

    /// Judges the budgets against the turn under way, which has used `used` so far (`ended`: all
    /// of it): at 80 % of one, a warning (once); at 100 %, the turn is interrupted (or, at its
    /// end, the chat says the next turns are refused).
    async fn judge_budgets(&self, run: &mut Run, chat: &Chat, used: Usage, ended: bool) -> Result<(), CoreError> {
        let mut said = Vec::new();
        let mut stop = false;
        let mut states = self.budget_states(chat).await?;
        states.extend(run.caps.iter().map(|(b, before)| (b.clone(), *before)));
        if ended {
            run.caps.clear();
        }
        for (b, before) in states {
            let now = before + b.measure(&used);
            let key = format!("{} {}", b.rule(), b.label);
            if now >= b.limit && before < b.limit {
                if !run.budget_stopped {
                    run.budget_stopped = true;
                    stop = !ended;
                    let what = match (ended, b.turn_only) {
                        (true, false) => "new turns are refused",
                        (false, false) => "the turn is interrupted",
                        (true, true) => "its next runs are skipped",
                        (false, true) => "the turn is interrupted and its next runs are skipped",
                    };
                    let text = format!(
                        "{}{} of {} ({} used): {what} until it is raised",
                        crate::BUDGET_REACHED,
                        b.rule(),
                        b.label,
                        b.shown(now)
                    );
                    self.record_budget(chat, &b, text.clone()).await;
                    said.push(text);
                }
            } else if now * 5 >= b.limit * 4 && before * 5 < b.limit * 4 && run.budget_warned.insert(key) {
                said.push(format!(
                    "{}80 % of {} of {} is used ({})",
                    crate::BUDGET_WARNING,
                    b.rule(),
                    b.label,
                    b.shown(now)
                ));
            }
        }
        if !said.is_empty() {
            let events: Vec<EventPayload> =
                said.iter().map(|message| EventPayload::Error { message: message.clone() }).collect();
            self.append(chat, events).await?;
            for text in said {
                let stopped = text.starts_with(crate::BUDGET_REACHED);
                self.ports.events.publish(Notice::Budget { chat: chat.id, stopped, text });
            }
        }
        if stop && let Some(h) = &run.handle {
            h.interrupt().await.map_err(agent_error)?;
        }
        Ok(())
    }

    /// Judges a permission request by the chat's policy: `Err` with the refusal when a rule
    /// forbids it (then nobody is asked).
    async fn police(
        &self,
        run: &Run,
        chat: &Chat,
        tool: &str,
        input: &str,
        edit: bool,
    ) -> Result<Option<(Policies, ToolCall, Option<Refusal>)>, CoreError> {
        let Some(policies) = self.policies.get() else { return Ok(None) };
        let cwd = run.cwd.as_deref().unwrap_or(std::path::Path::new(""));
        let call = policies.classify(tool, input, edit, cwd);
        let refusal = policies.for_chat(chat).await?.check(&call).err();
        Ok(Some((policies.clone(), call, refusal)))
    }

    /// The runtime that runs `agent` `via` its protocol or a terminal.
    fn runtime(&self, agent: &AgentDefinition, via: ChatVia) -> Result<&Arc<dyn AgentRuntime>, CoreError> {
        let protocol = match via {
            ChatVia::Terminal => AgentProtocol::Terminal,
            ChatVia::Protocol => agent.protocol,
        };
        self.agents.get(&protocol).ok_or_else(|| {
            let how = match via {
                ChatVia::Terminal => "runs in a terminal".to_owned(),
                ChatVia::Protocol => format!("speaks {}", protocol.as_str()),
            };
            CoreError::Refused(
                format!("the {} agent ('{}') {how}, which this band-server does not run", agent.name, agent.id).into(),
            )
        })
    }

    /// Takes a stopped terminal agent's terminal off the list.
    fn release_terminal(&self, terminal: Option<TerminalId>) {
        if let (Some(id), Some(terminals)) = (terminal, self.terminals.get()) {
            terminals.forget(id);
        }
    }

    async fn launch(self: &Arc<Self>, run: &mut Run, chat: &Chat) -> Result<Arc<dyn AgentHandle>, CoreError> {
        let agent = self.ports.registry.get(&chat.agent)?.clone();
        let runtime = self.runtime(&agent, chat.via)?.clone();
        let (project, workspace) = self.workspaces.resolve(&chat.workspace_id.0.to_string()).await?;
        super::workspaces::refuse_archived(&project, &workspace)?;
        let mut env = (self.ports.env)(&agent);
        let ask_every_call = match self.policies.get() {
            Some(p) => {
                let policy = p.for_chat(chat).await?;
                if policy.push_refused().is_some() {
                    crate::policy::refuse_git_push(&mut env);
                }
                policy.judges_calls()
            }
            None => false,
        };
        let title = format!("{} (chat {})", agent.name, chat.id.0);
        let launch = AgentLaunch {
            chat: chat.id,
            agent,
            cwd: workspace.path,
            model: chat.model.clone(),
            mode: chat.mode,
            resume: chat.agent_session_id.clone(),
            env,
            ask_every_call,
        };
        run.generation += 1;
        run.cwd = Some(launch.cwd.clone());
        let receiver = Arc::new(Receiver { inner: Arc::downgrade(self), chat: chat.id, generation: run.generation });
        let handle = runtime.launch(launch, receiver).await.map_err(agent_error)?;
        run.handle = Some(handle.clone());
        self.set_alive(chat.id, true);
        run.session_id = chat.agent_session_id.clone();
        self.release_terminal(run.terminal.take());
        if let (Some(process), Some(terminals)) = (handle.terminal(), self.terminals.get()) {
            run.terminal = Some(terminals.adopt(chat.workspace_id, chat.id, title, process).id);
        }
        Ok(handle)
    }

    async fn interrupt_all(&self, chats: &[Chat], why: &str) -> Result<(), CoreError> {
        if chats.is_empty() {
            return Ok(());
        }
        let outcome = TurnOutcome { stop_reason: None, error: Some(why.to_owned()), usage: Usage::default() };
        let batch = chats
            .iter()
            .map(|c| (c.id, vec![EventPayload::TurnEnded(outcome.clone()), status(ChatStatus::Interrupted)]))
            .collect();
        let events = self.ports.log.append_events(batch).await?;
        for chat in chats {
            let mine: Vec<ChatEvent> = events.iter().filter(|e| e.chat_id == chat.id).cloned().collect();
            self.ports.events.publish(Notice::ChatEvents { workspace: chat.workspace_id, events: mine.into() });
            if let Ok(chat) = self.ports.chats.chat(chat.id).await {
                self.ports.events.publish(Notice::ChatChanged(chat));
            }
        }
        Ok(())
    }

    /// One agent event, under the chat's lock.
    async fn on_event(self: &Arc<Self>, run: &mut Run, chat: &Chat, event: AgentEvent) -> Result<(), CoreError> {
        match event {
            AgentEvent::SessionStarted { session_id } => {
                if run.session_id.as_deref() != Some(session_id.as_str()) {
                    run.session_id = Some(session_id.clone());
                    self.append(chat, vec![EventPayload::AgentSession { session_id }]).await?;
                }
            }
            AgentEvent::Update(update) => {
                if let AgentUpdate::SessionInfo { models, current_model: Some(current), .. } = &update {
                    let name = models.iter().find(|m| m.id == *current).map(|m| m.name.clone());
                    run.models = std::iter::once(current.clone()).chain(name).collect();
                }
                let so_far = match &update {
                    AgentUpdate::Usage(u) => Some(self.priced(run, chat, *u)),
                    _ => None,
                };
                self.append(chat, vec![EventPayload::Update(update)]).await?;
                if let Some(used) = so_far {
                    self.judge_budgets(run, chat, used, false).await?;
                }
            }
            AgentEvent::Notice { message } => {
                self.append(chat, vec![EventPayload::Error { message }]).await?;
            }
            AgentEvent::PermissionRequest { request_id, tool, input, edit } => {
                let policed = self.police(run, chat, &tool, &input, edit).await?;
                if let Some((policies, call, Some(refusal))) = &policed {
                    let rule = policies.explain(chat, refusal).await;
                    let reason = format!("Denied by policy: {rule}");
                    let events = vec![
                        EventPayload::Permission { request_id: request_id.clone(), tool, input },
                        EventPayload::PermissionResolved {
                            request_id: request_id.clone(),
                            decision: PermissionDecision::Deny,
                            by: Decider::Policy,
                        },
                        EventPayload::Error { message: reason.clone() },
                    ];
                    self.append(chat, events).await?;
                    if let Some(h) = &run.handle {
                        h.refuse(&request_id, &reason).await.map_err(agent_error)?;
                    }
                    policies.record_call(chat, call, PermissionDecision::Deny, Decider::Policy, Some(rule)).await;
                    return Ok(());
                }
                let auto = match chat.mode {
                    PermissionMode::AllowAll => true,
                    PermissionMode::AcceptEdits => edit,
                    PermissionMode::Ask => false,
                };
                let asked = EventPayload::Permission { request_id: request_id.clone(), tool, input };
                if auto {
                    let resolved = EventPayload::PermissionResolved {
                        request_id: request_id.clone(),
                        decision: PermissionDecision::Allow,
                        by: Decider::Mode,
                    };
                    self.append(chat, vec![asked, resolved]).await?;
                    if let Some(h) = &run.handle {
                        h.respond(&request_id, PermissionDecision::Allow).await.map_err(agent_error)?;
                    }
                    if let Some((policies, call, _)) = &policed {
                        policies.record_call(chat, call, PermissionDecision::Allow, Decider::Mode, None).await;
                    }
                } else {
                    if let Some((_, call, _)) = policed {
                        run.asked.insert(request_id.clone(), call);
                    }
                    run.pending.push(request_id);
                    self.append(chat, vec![asked, status(ChatStatus::Waiting)]).await?;
                }
            }
            AgentEvent::TurnEnded { stop_reason, usage } => {
                let usage = self.priced(run, chat, usage.unwrap_or_default());
                self.judge_budgets(run, chat, usage, true).await?;
                let outcome = TurnOutcome { stop_reason: Some(stop_reason), error: None, usage };
                self.end_turn(run, chat, outcome, ChatStatus::Completed).await?;
            }
            AgentEvent::TurnFailed { message, usage } => {
                let usage = self.priced(run, chat, usage.unwrap_or_default());
                self.judge_budgets(run, chat, usage, true).await?;
                let outcome = TurnOutcome { stop_reason: None, error: Some(message), usage };
                self.end_turn(run, chat, outcome, ChatStatus::Failed).await?;
            }
        }
        Ok(())
    }

    /// `usage` with a cost: the agent's own, else estimated from the price of the chat's model or
    /// of the model the agent said it runs (none when neither has a price).
    fn priced(&self, run: &Run, chat: &Chat, mut usage: Usage) -> Usage {
        if usage.cost_usd.is_none() && usage.input_tokens + usage.output_tokens > 0 {
            let models = chat.model.iter().map(|m| m.as_str()).chain(run.models.iter().map(String::as_str));
            usage.cost_usd = self.ports.prices.estimate(models, &usage);
        }
        usage
    }

    /// Closes the turn; after a good end, the next queued message starts the next turn.
    async fn end_turn(
        self: &Arc<Self>,
        run: &mut Run,
        chat: &Chat,
        outcome: TurnOutcome,
        next: ChatStatus,
    ) -> Result<(), CoreError> {
        if !chat.status.busy() {
            return Ok(()); // already ended (stopped, or interrupted at shutdown)
        }
        run.pending.clear();
        run.asked.clear();
        self.append(chat, vec![EventPayload::TurnEnded(outcome), status(next)]).await?;
        if next == ChatStatus::Completed {
            self.next_if_free(run, chat.id).await?;
        }
        // Free now (nothing of its own queued): its slot goes to the chat waiting longest.
        if !self.chat(chat.id).await?.status.busy() && self.slot_wanted() {
            run.generation += 1;
            self.set_alive(chat.id, false);
            if let Some(h) = run.handle.take() {
                let _ = h.stop().await;
            }
            self.admit_next().await;
        }
        Ok(())
    }

    /// Starts the first queued message if the chat is free and nobody is editing that message.
    async fn next_if_free(self: &Arc<Self>, run: &mut Run, id: ChatId) -> Result<(), CoreError> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Ok(());
        }
        let chat = self.chat(id).await?;
        if chat.status.busy() || matches!(chat.status, ChatStatus::Failed | ChatStatus::Interrupted) {
            return Ok(());
        }
        if let Some(first) = self.ports.queue.queued(id).await?.into_iter().next()
            && !run.held.contains_key(&first.id)
        {
            // A chat at its maxTurns keeps its queue (the limit may be raised).
            if self.turn_limit(&chat, false).await?.is_some() {
                return Ok(());
            }
            match self.start_turn(run, &chat, &first.text, Some(first.id)).await {
                // A limit (maxTurns, a budget) holds: the message stays queued, and the chat says why.
                Err(CoreError::Refused(why)) => {
                    let message = format!("The queued message waits: {why}");
                    self.append(&chat, vec![EventPayload::Error { message }]).await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    async fn on_exit(self: &Arc<Self>, run: &mut Run, chat: &Chat, exit: AgentExit) -> Result<(), CoreError> {
        run.handle = None;
        self.set_alive(chat.id, false);
        if !self.shutting_down.load(Ordering::SeqCst) {
            self.admit_next().await;
        }
        // Its terminal stays listed (exited), so people can read how it ended, until the chat
        // is stopped or its agent started again.
        run.pending.clear();
        run.asked.clear();
        run.generation += 1;
        if self.shutting_down.load(Ordering::SeqCst) || exit.requested {
            return Ok(());
        }
        let mut message = format!("the agent exited ({})", exit.status);
        if !exit.stderr_tail.trim().is_empty() {
            message.push_str(": ");
            message.push_str(exit.stderr_tail.trim());
        }
        if chat.status.busy() {
            let outcome = TurnOutcome { stop_reason: None, error: Some(message), usage: Usage::default() };
            self.append(chat, vec![EventPayload::TurnEnded(outcome), status(ChatStatus::Failed)]).await?;
        } else {
            self.append(chat, vec![EventPayload::Error { message }]).await?;
        }
        Ok(())
    }
}

/// Delivers one agent process's events to its chat.
struct Receiver {
    inner: Weak<Inner>,
    chat: ChatId,
    generation: u64,
}

impl Receiver {
    /// The chat's run, locked, if this receiver's process is still the chat's current one, and
    /// the chat: read from the store, or for a plain agent update (which needs only the chat's id
    /// and workspace), possibly as cached.
    async fn current(&self, update: bool) -> Option<(Arc<Inner>, futures_util::lock::OwnedMutexGuard<Run>, Chat)> {
        let inner = self.inner.upgrade()?;
        let mut run = inner.run(self.chat).lock_owned().await;
        if run.generation != self.generation {
            return None;
        }
        let chat = match run.cached.clone().filter(|_| update) {
            Some(chat) => chat,
            None => {
                let chat = inner.ports.chats.chat(self.chat).await.ok()?;
                run.cached = Some(chat.clone());
                chat
            }
        };
        Some((inner, run, chat))
    }
}

#[async_trait]
impl AgentEvents for Receiver {
    async fn on_event(&self, event: AgentEvent) {
        let update = matches!(event, AgentEvent::Update(_));
        if let Some((inner, mut run, chat)) = self.current(update).await
            && let Err(e) = inner.on_event(&mut run, &chat, event).await
        {
            inner.ports.events.publish(Notice::Fault { chat: chat.id, message: e.to_string() });
        }
    }

    async fn on_exit(&self, exit: AgentExit) {
        if let Some((inner, mut run, chat)) = self.current(false).await
            && let Err(e) = inner.on_exit(&mut run, &chat, exit).await
        {
            inner.ports.events.publish(Notice::Fault { chat: chat.id, message: e.to_string() });
        }
    }
}

fn status(status: ChatStatus) -> EventPayload {
    EventPayload::Status { status }
}

fn agent_error(e: AgentError) -> CoreError {
    match e {
        AgentError::Internal(s) => CoreError::Internal(s),
        AgentError::BinaryMissing { agent, binary, install } => {
            let what = format!("the {agent} agent's binary '{binary}' was not found on band-server's machine");
            CoreError::Refused(Problem::new(what).fix(Fix::InstallAgent { agent, install }))
        }
        e => CoreError::Refused(e.to_string().into()),
    }
}

fn check_message(text: &str) -> Result<(), CoreError> {
    if text.trim().is_empty() {
        return Err(CoreError::InvalidInput("the message is empty".into()));
    }
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(CoreError::InvalidInput(format!(
            "the message is {} bytes; the limit is {MAX_MESSAGE_BYTES} (attach large content as a file in the workspace)",
            text.len()
        ).into()));
    }
    Ok(())
}

/// A budget of one turn (see [`Chats::cap_turn`]): `maxCostUsd` (millionths of a dollar) or
/// `maxTokens`, what was spent before the turn in the same unit, and how messages name whose it
/// is (`cronjob nightly`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnCap {
    pub key: PolicyKey,
    pub limit: u64,
    pub spent: u64,
    pub label: String,
}

/// A budget in force for a chat, as [`Chats`] measures it.
#[derive(Clone)]
struct Budget {
    key: PolicyKey,
    /// Millionths of a dollar for a cost, else tokens.
    limit: u64,
    cost: bool,
    /// The scope that sets it.
    at: PolicyScope,
    /// A cap of one turn (a cronjob's), not a policy's.
    turn_only: bool,
    /// How messages name its scope (`workspace app/fix`).
    label: String,
}

impl Budget {
    /// The limit as the rule reads (`maxCostUsd=0.5`).
    fn rule(&self) -> String {
        let limit = if self.cost { crate::usd(self.limit) } else { self.limit.to_string() };
        format!("{}={limit}", self.key)
    }

    /// `spent` in the budget's unit, as a person reads it (`$0.0123`, `1234 tokens`).
    fn shown(&self, spent: u64) -> String {
        if self.cost { format!("${}", crate::usd(spent)) } else { format!("{spent} tokens") }
    }

    /// What a usage counts against this budget: its cost in millionths of a dollar (none
    /// known counts nothing), or every token (in, out, cache read and written).
    fn measure(&self, u: &Usage) -> u64 {
        if self.cost {
            u.cost_usd.map_or(0, |c| (c.max(0.0) * 1e6).round() as u64)
        } else {
            u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens
        }
    }
}

/// Midnight UTC today, in milliseconds since the epoch (the day of daily budgets).
fn start_of_today() -> crate::Millis {
    let now = now_millis();
    now - now.rem_euclid(86_400_000)
}

/// A budget in force for a chat, with what its scope has spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetStatus {
    pub key: PolicyKey,
    /// The scope that sets it (where raising it goes).
    pub at: PolicyScope,
    /// As the rule reads (`maxCostUsd=0.5`).
    pub rule: String,
    /// The scope whose turns it counts (`workspace app/fix`).
    pub scope: String,
    /// Millionths of a dollar for a cost, else tokens; `spent` in the same unit.
    pub limit: u64,
    pub spent: u64,
    pub cost: bool,
    /// Spent of limit, as a person reads it (`$0.012 of $0.5`).
    pub shown: String,
}
