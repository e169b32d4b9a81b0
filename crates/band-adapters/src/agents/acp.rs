//! ACP (the Agent Client Protocol) agents: JSON-RPC 2.0 over the agent's stdio, one object per
//! line. band is the client; Gemini CLI (`gemini --acp`), OpenCode (`opencode acp`), Qwen Code
//! (`qwen --acp`) and every other ACP agent of the registry are the agent. The few protocol types
//! band needs are read here from JSON by hand: the ACP crates move too fast to depend on.
//!
//! Handshake: `initialize {protocolVersion: 1, clientCapabilities}` (no file system, no
//! terminal: band serves neither, so the agent uses its own tools), then `session/new {cwd,
//! mcpServers: []}` or, to continue after a restart when the agent says `loadSession`,
//! `session/load {sessionId, cwd, mcpServers: []}`. The session id is the agent's session id
//! band keeps for resume. The session result's modes and models become a `session_info` update.
//! A load the agent refuses starts a new session instead, and the chat's log says so: Gemini CLI
//! 0.61.0 refuses a load in the same UTC minute as the session's creation (and loses that
//! session's history); a person sees the note, and the next turn works, without the earlier
//! conversation. During a load the agent replays the session as updates, which band's log
//! already holds, so they are not logged again; ACP puts the replay before the load's response,
//! but Gemini CLI 0.61.0 sends most of it after, so `launch` waits for the agent to go quiet
//! (0.4 s without an update, at most 5 s) before the first prompt, and the session's events are
//! delivered with the first line after that.
//!
//! A turn is `session/prompt {sessionId, prompt: [{type: text, text}]}`; its response, at the end
//! of the turn, carries the stop reason (and, depending on the agent, usage). Everything in
//! between is `session/update` notifications, mapped to band's updates: message and thought
//! chunks, tool calls and their updates, plans, usage, available commands, mode changes. A tool
//! call announced without its input (OpenCode and Qwen announce first, then fill `rawInput` in)
//! is held until its input, its permission request or its end is known, so band logs it once,
//! whole.
//!
//! `session/request_permission {toolCall, options}` becomes band's permission request (its id is
//! the JSON-RPC id, as text) and is answered with the agent's own option ids: the first option of
//! kind `allow_once` (else `allow_always`) to allow, `reject_once` (else `reject_always`, else the
//! `cancelled` outcome) to deny. Stop and interrupt send `session/cancel`; per ACP, requests still
//! pending are then answered `cancelled`. Any other request from the agent — `fs/*` and
//! `terminal/*` (band offers neither capability, but OpenCode asks anyway), Qwen Code's
//! non-standard `craft/drainMidTurnQueue` — gets a JSON-RPC error -32601, so the agent never
//! waits.
//!
//! As in the Codex adapter, nothing here waits for the agent while band may hold the chat's lock
//! (prompt, respond, interrupt only write); only `launch` awaits responses, with a deadline, and
//! the parser reports nothing until the handshake's last response has reached `launch` (events
//! that come earlier are held, then delivered after it). A line that is not JSON is kept (the
//! last few) for the error message when the handshake fails.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{
    AgentChoice, AgentCommand, AgentError, AgentProtocol, AgentUpdate, PermissionDecision, StopReason, ToolCallStatus,
    Usage,
};
use band_process::Supervisor;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::process::{self, LineParser, Parsed, Session, Spec};
use super::truncate;

/// How long an agent may take to answer each handshake request by default (node-based agents
/// take seconds to start on a loaded machine).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// The ACP version band speaks.
const PROTOCOL_VERSION: u64 = 1;
/// JSON-RPC "method not found", for requests band does not serve.
const METHOD_NOT_FOUND: i64 = -32601;
/// Lines of non-protocol output kept for error messages.
const NOISE_TAIL: usize = 5;
/// A loaded session's replay is over once the agent is this long without an update...
const REPLAY_QUIET: Duration = Duration::from_millis(400);
/// ...or after this long in all.
const REPLAY_WAIT: Duration = Duration::from_secs(5);

pub struct AcpRuntime {
    supervisor: Supervisor,
    handshake_timeout: Duration,
}

impl AcpRuntime {
    pub fn new(supervisor: Supervisor) -> Self {
        Self { supervisor, handshake_timeout: HANDSHAKE_TIMEOUT }
    }

    /// With another deadline for each handshake response (tests of agents that never answer).
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }
}

#[async_trait]
impl AgentRuntime for AcpRuntime {
    fn protocol(&self) -> AgentProtocol {
        AgentProtocol::Acp
    }

    fn check(
        &self,
        agent: &band_core::AgentDefinition,
        env: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), AgentError> {
        process::find_binary(agent, env).map(|_| ())
    }

    async fn launch(
        &self,
        launch: AgentLaunch,
        events: Arc<dyn AgentEvents>,
    ) -> Result<Arc<dyn AgentHandle>, AgentError> {
        let program = process::find_binary(&launch.agent, &launch.env)?;
        let name = launch.agent.name.clone();
        let shared = Arc::new(Shared { name: name.clone(), state: Mutex::default() });
        let events = Arc::new(ExitWatch { inner: events, shared: shared.clone() });
        let spec = Spec { program: &program, args: launch.agent.args.clone(), cwd: &launch.cwd, env: &launch.env };
        let session = process::start(&self.supervisor, spec, AcpParser::new(shared.clone()), events).await?;
        let handle = AcpHandle { session, shared, timeout: self.handshake_timeout };
        if let Err(e) = handle.handshake(&launch).await {
            handle.session.stop().await;
            return Err(e);
        }
        Ok(Arc::new(handle))
    }
}

/// What the parser (on the reader task) and the handle share: the JSON-RPC bookkeeping.
pub struct Shared {
    /// The agent's name, for messages ("Gemini CLI did not answer initialize...").
    name: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Our requests still waiting for their response, by id.
    waiting: HashMap<u64, Waiter>,
    session_id: Option<String>,
    /// Until the handshake's last response: events are held (see the module doc).
    handshaking: bool,
    /// A `session/load` is under way: its replay is not logged again.
    loading: bool,
    /// When the last `session/update` arrived (while loading).
    last_update: Option<std::time::Instant>,
    /// The id of the `session/prompt` under way.
    prompt: Option<u64>,
    /// Open permission requests: band's request id to the agent's id and its options.
    permissions: HashMap<String, Permission>,
    /// Non-protocol lines the agent printed, newest last.
    noise: VecDeque<String>,
    /// Notes for the chat's log from the handshake, delivered with the session.
    notes: Vec<String>,
    /// Set once the process is gone: why, for the errors of later calls.
    exited: Option<String>,
}

struct Permission {
    id: Value,
    /// `(optionId, kind)` in the agent's order.
    options: Vec<(String, String)>,
}

/// What to do with a response.
enum Waiter {
    /// Hand it to the caller (the handshake).
    Reply(oneshot::Sender<Result<Value, CallError>>),
    /// The handshake's session result: it also ends the handshake (held events go out with it).
    Session(oneshot::Sender<Result<Value, CallError>>),
    /// The end of a turn.
    Prompt,
}

enum CallError {
    Refused(String),
    Exited(String),
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// A request line with a fresh id, whose response goes to `waiter`.
    fn request(&mut self, method: &str, params: Value, waiter: Waiter) -> (u64, String) {
        self.next_id += 1;
        let id = self.next_id;
        self.waiting.insert(id, waiter);
        (id, json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string())
    }

    fn noise(&self) -> String {
        if self.noise.is_empty() {
            return String::new();
        }
        let lines: Vec<&str> = self.noise.iter().map(String::as_str).collect();
        format!("; it printed, instead of ACP: {}", lines.join(" | "))
    }

    /// `cancelled` answers to every open permission request (ACP: after `session/cancel`, the
    /// client answers them so).
    fn cancel_permissions(&mut self) -> Vec<String> {
        self.permissions
            .drain()
            .map(|(_, p)| {
                json!({"jsonrpc": "2.0", "id": p.id, "result": {"outcome": {"outcome": "cancelled"}}}).to_string()
            })
            .collect()
    }
}

/// Passes events through; on exit, first fails every call still waiting for the agent.
struct ExitWatch {
    inner: Arc<dyn AgentEvents>,
    shared: Arc<Shared>,
}

#[async_trait]
impl AgentEvents for ExitWatch {
    async fn on_event(&self, event: AgentEvent) {
        self.inner.on_event(event).await;
    }

    async fn on_exit(&self, exit: AgentExit) {
        let waiting = {
            let mut state = self.shared.lock();
            let mut why = format!("{} exited ({})", self.shared.name, exit.status);
            if !exit.stderr_tail.trim().is_empty() {
                why = format!("{why}: {}", exit.stderr_tail.trim());
            }
            why.push_str(&state.noise());
            state.exited = Some(why.clone());
            std::mem::take(&mut state.waiting)
        };
        let why = self.shared.lock().exited.clone().unwrap_or_default();
        for waiter in waiting.into_values() {
            if let Waiter::Reply(tx) | Waiter::Session(tx) = waiter {
                let _ = tx.send(Err(CallError::Exited(why.clone())));
            }
        }
        self.inner.on_exit(exit).await;
    }
}

struct AcpHandle {
    session: Arc<Session>,
    shared: Arc<Shared>,
    timeout: Duration,
}

impl AcpHandle {
    async fn handshake(&self, launch: &AgentLaunch) -> Result<(), AgentError> {
        self.shared.lock().handshaking = true;
        let capabilities = json!({"fs": {"readTextFile": false, "writeTextFile": false}, "terminal": false});
        let client = json!({"name": "band", "version": env!("CARGO_PKG_VERSION")});
        let init = self
            .call(
                "initialize",
                json!({"protocolVersion": PROTOCOL_VERSION, "clientCapabilities": capabilities, "clientInfo": client}),
                false,
            )
            .await?;
        if !init["protocolVersion"].is_u64() {
            return Err(AgentError::Protocol(format!(
                "{} answered initialize without a protocolVersion: {}",
                self.shared.name,
                cut(&init.to_string())
            )));
        }
        let cwd = launch.cwd.display().to_string();
        let can_load = init["agentCapabilities"]["loadSession"].as_bool().unwrap_or(false);
        if let Some(resume) = launch.resume.as_deref().filter(|_| can_load) {
            {
                // A load's result carries no session id: it is the one asked for.
                let mut state = self.shared.lock();
                state.loading = true;
                state.session_id = Some(resume.to_owned());
            }
            let params = json!({"sessionId": resume, "cwd": cwd, "mcpServers": []});
            let loaded = self.call("session/load", params, true).await;
            if loaded.is_ok() {
                self.quiet_after_load().await;
                let mut state = self.shared.lock();
                state.handshaking = false;
            }
            self.shared.lock().loading = false;
            match loaded {
                Ok(_) => return Ok(()),
                Err(AgentError::Protocol(why)) => {
                    // The agent lost or refused the session: a new one, and the chat's log says so.
                    let note = format!(
                        "{} could not resume its session {resume} ({why}); this chat goes on in a new session, \
                         without the agent's memory of the earlier turns",
                        self.shared.name
                    );
                    tracing::warn!("{note}");
                    {
                        let mut state = self.shared.lock();
                        state.handshaking = true;
                        state.session_id = None;
                        state.notes.push(note);
                    }
                    let result = self.call("session/new", json!({"cwd": cwd, "mcpServers": []}), true).await?;
                    session_id(&result, &self.shared.name)?;
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let result = self.call("session/new", json!({"cwd": cwd, "mcpServers": []}), true).await?;
        session_id(&result, &self.shared.name)?;
        Ok(())
    }

    /// Waits until a loaded session's replay is over: [`REPLAY_QUIET`] without an update, at
    /// most [`REPLAY_WAIT`]. ACP wants the replay before the load's response; Gemini CLI 0.61.0
    /// sends most of it after, and without the wait its last answer would be logged again.
    async fn quiet_after_load(&self) {
        let start = tokio::time::Instant::now();
        loop {
            let last = self.shared.lock().last_update.unwrap_or(start.into_std());
            let quiet_for = last.elapsed();
            if quiet_for >= REPLAY_QUIET || start.elapsed() >= REPLAY_WAIT {
                return;
            }
            tokio::time::sleep(REPLAY_QUIET - quiet_for).await;
        }
    }

    /// Sends a request and waits for its response (only during the handshake: see the module doc).
    async fn call(&self, method: &str, params: Value, session: bool) -> Result<Value, AgentError> {
        let (tx, rx) = oneshot::channel();
        let line = {
            let mut state = self.shared.lock();
            if let Some(why) = &state.exited {
                return Err(AgentError::Exited(why.clone()));
            }
            let waiter = if session { Waiter::Session(tx) } else { Waiter::Reply(tx) };
            state.request(method, params, waiter).1
        };
        self.session.write_line(&line).await?;
        let name = &self.shared.name;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(CallError::Refused(message)))) => {
                Err(AgentError::Protocol(format!("{name} refused {method}: {message}")))
            }
            Ok(Ok(Err(CallError::Exited(why)))) => Err(AgentError::Exited(why)),
            Ok(Err(_)) => Err(AgentError::Exited(format!("{name} went away"))),
            Err(_) => {
                let noise = self.shared.lock().noise();
                Err(AgentError::Protocol(format!(
                    "{name} did not answer {method} within {} s{noise}",
                    self.timeout.as_secs_f64()
                )))
            }
        }
    }

    fn exited(state: &State) -> Result<(), AgentError> {
        match &state.exited {
            Some(why) => Err(AgentError::Exited(why.clone())),
            None => Ok(()),
        }
    }

    /// `session/cancel` and `cancelled` answers to open permission requests.
    fn cancel_lines(&self) -> Vec<String> {
        let mut state = self.shared.lock();
        let Some(session_id) = state.session_id.clone() else { return Vec::new() };
        let mut lines = state.cancel_permissions();
        if state.prompt.is_some() {
            lines.insert(
                0,
                json!({"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": session_id}}).to_string(),
            );
        }
        lines
    }
}

#[async_trait]
impl AgentHandle for AcpHandle {
    async fn prompt(&self, text: &str) -> Result<(), AgentError> {
        let line = {
            let mut state = self.shared.lock();
            Self::exited(&state)?;
            let session_id = state
                .session_id
                .clone()
                .ok_or_else(|| AgentError::Protocol(format!("{} has no session yet", self.shared.name)))?;
            let params = json!({"sessionId": session_id, "prompt": [{"type": "text", "text": text}]});
            let (id, line) = state.request("session/prompt", params, Waiter::Prompt);
            state.prompt = Some(id);
            line
        };
        self.session.write_line(&line).await
    }

    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError> {
        let permission = self
            .shared
            .lock()
            .permissions
            .remove(request_id)
            .ok_or_else(|| AgentError::Protocol(format!("no pending permission request '{request_id}'")))?;
        let kinds: &[&str] = match decision {
            PermissionDecision::Allow => &["allow_once", "allow_always"],
            PermissionDecision::Deny => &["reject_once", "reject_always"],
        };
        let chosen =
            kinds.iter().find_map(|kind| permission.options.iter().find(|(_, k)| k == kind)).map(|(id, _)| id.clone());
        let outcome = match (chosen, decision) {
            (Some(option), _) => json!({"outcome": "selected", "optionId": option}),
            // No reject option: a cancelled outcome is a refusal too.
            (None, PermissionDecision::Deny) => json!({"outcome": "cancelled"}),
            (None, PermissionDecision::Allow) => {
                let offered: Vec<&str> = permission.options.iter().map(|(id, _)| id.as_str()).collect();
                let answer =
                    json!({"jsonrpc": "2.0", "id": permission.id, "result": {"outcome": {"outcome": "cancelled"}}});
                self.session.write_line(&answer.to_string()).await?;
                return Err(AgentError::Protocol(format!(
                    "{} offered no option to allow this (only {}); it was refused",
                    self.shared.name,
                    offered.join(", ")
                )));
            }
        };
        let answer = json!({"jsonrpc": "2.0", "id": permission.id, "result": {"outcome": outcome}});
        self.session.write_line(&answer.to_string()).await
    }

    async fn interrupt(&self) -> Result<(), AgentError> {
        Self::exited(&self.shared.lock())?;
        for line in self.cancel_lines() {
            self.session.write_line(&line).await?;
        }
        Ok(())
    }

    async fn stop(&self) -> Result<(), AgentError> {
        // Say so first (the agent may save its session), then end the process group.
        for line in self.cancel_lines() {
            if self.session.write_line(&line).await.is_err() {
                break;
            }
        }
        self.session.stop().await;
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        Some(self.session.pid())
    }
}

/// A tool call known to the parser: announced to band or held until its input is known.
struct Tool {
    title: String,
    kind: String,
    name: Option<String>,
    announced: bool,
}

/// An ACP agent's stdout lines to band's events.
pub struct AcpParser {
    shared: Arc<Shared>,
    /// Events held until the handshake is over.
    held: Vec<AgentEvent>,
    tools: HashMap<String, Tool>,
    info: Option<AgentUpdate>,
    /// The id given to the message being streamed, for agents that give none (`m1`, `m2`...);
    /// anything else the agent reports ends it.
    message: Option<String>,
    messages: u64,
    /// Usage reported per model call (Qwen Code's `_meta.usage`), added up over the turn.
    turn_usage: Option<Usage>,
    /// The cumulative cost an agent reports in `usage_update` (OpenCode), now and at the turn's
    /// start.
    cost: Option<f64>,
    cost_at_start: f64,
}

impl AcpParser {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            held: Vec::new(),
            tools: HashMap::new(),
            message: None,
            messages: 0,
            info: None,
            turn_usage: None,
            cost: None,
            cost_at_start: 0.0,
        }
    }

    fn response(&mut self, msg: &Value, p: &mut Parsed) {
        let waiter = msg["id"].as_u64().and_then(|id| self.shared.lock().waiting.remove(&id));
        let error = msg.get("error").map(|e| {
            let message = e["message"].as_str().map_or_else(|| e.to_string(), str::to_owned);
            match e.get("data").filter(|d| !d.is_null()) {
                Some(data) => format!("{message} ({})", cut(&data.to_string())),
                None => message,
            }
        });
        let result = &msg["result"];
        match (waiter, error) {
            (Some(Waiter::Reply(tx)), Some(message)) => {
                let _ = tx.send(Err(CallError::Refused(message)));
            }
            (Some(Waiter::Reply(tx)), None) => {
                let _ = tx.send(Ok(result.clone()));
            }
            (Some(Waiter::Session(tx)), Some(message)) => {
                let _ = tx.send(Err(CallError::Refused(message)));
            }
            (Some(Waiter::Session(tx)), None) => {
                // The handshake's session: its id (a loaded one's is the one asked for), notes
                // about it, its modes and models, then what was held. After a load the handshake
                // goes on until the replay is over, and all of it stays held until then: the
                // reader must not wait for the chat (whose lock `launch`'s caller holds) while
                // replayed lines are still coming.
                let (id, notes, loading) = {
                    let mut state = self.shared.lock();
                    if let Some(id) = result["sessionId"].as_str() {
                        state.session_id = Some(id.to_owned());
                    }
                    if !state.loading {
                        state.handshaking = false;
                    }
                    (state.session_id.clone(), std::mem::take(&mut state.notes), state.loading)
                };
                let mut events = Vec::new();
                if let Some(id) = id {
                    events.push(AgentEvent::SessionStarted { session_id: id });
                }
                events.extend(notes.into_iter().map(|message| AgentEvent::Notice { message }));
                if let Some(info) = session_info(result) {
                    self.info = Some(info.clone());
                    events.push(AgentEvent::Update(info));
                }
                events.append(&mut self.held);
                if loading {
                    self.held = events;
                } else {
                    p.events.append(&mut events);
                }
                let _ = tx.send(Ok(result.clone()));
            }
            (Some(Waiter::Prompt), error) => self.end_turn(result, error, p),
            (None, _) => tracing::debug!("a response to no request of band's: {msg}"),
        }
    }

    fn end_turn(&mut self, result: &Value, error: Option<String>, p: &mut Parsed) {
        self.message = None;
        self.flush_tools(p);
        self.shared.lock().prompt = None;
        let mut usage = prompt_usage(result).or(self.turn_usage.take());
        if let Some(total) = self.cost.filter(|c| *c > 0.0) {
            let cost = (total - self.cost_at_start).max(0.0);
            self.cost_at_start = total;
            usage.get_or_insert_with(Usage::default).cost_usd = Some(cost);
        }
        self.turn_usage = None;
        self.tools.clear();
        let event = match error {
            Some(message) => AgentEvent::TurnFailed { message, usage },
            None => {
                let reason = result["stopReason"].as_str().unwrap_or("end_turn");
                let stop_reason = StopReason::parse(reason).unwrap_or_else(|| {
                    tracing::debug!("unknown ACP stop reason '{reason}'");
                    StopReason::EndTurn
                });
                AgentEvent::TurnEnded { stop_reason, usage }
            }
        };
        // A cancelled turn's permission requests are gone with it.
        self.shared.lock().permissions.clear();
        p.events.push(event);
    }

    /// Tool calls still held at the end of a turn are announced as they are.
    fn flush_tools(&mut self, p: &mut Parsed) {
        let mut held: Vec<(&String, &mut Tool)> = self.tools.iter_mut().filter(|(_, t)| !t.announced).collect();
        held.sort_by(|a, b| a.0.cmp(b.0));
        for (id, tool) in held {
            tool.announced = true;
            p.events.push(AgentEvent::Update(AgentUpdate::ToolCall {
                id: id.clone(),
                title: tool.title.clone(),
                kind: tool.kind.clone(),
                input: "{}".to_owned(),
                tool: tool.name.clone().unwrap_or_else(|| tool.kind.clone()),
            }));
        }
    }

    /// Announces tool call `id` (once), with `input`.
    fn announce(&mut self, id: &str, call: &Value, input: &Value, out: &mut Vec<AgentEvent>) {
        let tool = self.tools.entry(id.to_owned()).or_insert_with(|| Tool {
            title: String::new(),
            kind: String::new(),
            name: None,
            announced: false,
        });
        if let Some(title) = call["title"].as_str().filter(|t| !t.is_empty()) {
            tool.title = title.to_owned();
        }
        if let Some(kind) = call["kind"].as_str() {
            tool.kind = kind.to_owned();
        }
        if let Some(name) = call["_meta"]["toolName"].as_str() {
            tool.name = Some(name.to_owned());
        }
        if tool.announced {
            return;
        }
        tool.announced = true;
        out.push(AgentEvent::Update(AgentUpdate::ToolCall {
            id: id.to_owned(),
            title: if tool.title.is_empty() { id.to_owned() } else { tool.title.clone() },
            kind: if tool.kind.is_empty() { "other".to_owned() } else { tool.kind.clone() },
            input: input.to_string(),
            tool: tool
                .name
                .clone()
                .unwrap_or_else(|| if tool.kind.is_empty() { "other".to_owned() } else { tool.kind.clone() }),
        }));
    }

    fn tool_call(&mut self, u: &Value, out: &mut Vec<AgentEvent>) {
        let Some(id) = u["toolCallId"].as_str() else { return };
        let input = &u["rawInput"];
        let status = tool_status(u["status"].as_str());
        let known = has_input(input);
        if known || !matches!(status, Some(ToolCallStatus::Pending) | None) {
            self.announce(id, u, input, out);
            if let Some(s) = status.filter(|s| *s != ToolCallStatus::Pending) {
                out.push(AgentEvent::Update(AgentUpdate::ToolCallUpdate {
                    id: id.to_owned(),
                    status: s,
                    output: tool_output(u),
                }));
            }
        } else {
            // Announced without its input: held until the input is known.
            let tool = Tool {
                title: u["title"].as_str().unwrap_or_default().to_owned(),
                kind: u["kind"].as_str().unwrap_or_default().to_owned(),
                name: u["_meta"]["toolName"].as_str().map(str::to_owned),
                announced: false,
            };
            self.tools.insert(id.to_owned(), tool);
        }
    }

    fn tool_call_update(&mut self, u: &Value, out: &mut Vec<AgentEvent>) {
        let Some(id) = u["toolCallId"].as_str() else { return };
        let status = tool_status(u["status"].as_str());
        let announced = self.tools.get(id).is_some_and(|t| t.announced);
        if !announced {
            let input = &u["rawInput"];
            if !has_input(input) && matches!(status, Some(ToolCallStatus::Pending) | None) {
                return; // still nothing to show
            }
            self.announce(id, u, input, out);
        }
        let output = tool_output(u);
        let Some(status) = status.or(output.as_ref().map(|_| ToolCallStatus::InProgress)) else { return };
        out.push(AgentEvent::Update(AgentUpdate::ToolCallUpdate { id: id.to_owned(), status, output }));
    }

    fn update(&mut self, update: &Value, out: &mut Vec<AgentEvent>) {
        // A message the agent gives no id to ends with anything else it reports.
        if update["sessionUpdate"] != "agent_message_chunk" {
            self.message = None;
        }
        let kind = update["sessionUpdate"].as_str().unwrap_or_default();
        let loading = {
            let mut state = self.shared.lock();
            if state.loading {
                state.last_update = Some(std::time::Instant::now());
            }
            state.loading
        };
        if loading && !matches!(kind, "available_commands_update" | "current_mode_update" | "usage_update") {
            return; // the replay of a loaded session: band's log has it already
        }
        match kind {
            "agent_message_chunk" => {
                if let Some(usage) = meta_usage(&update["_meta"]["usage"]) {
                    let total = self.turn_usage.map_or(usage, |u| u + usage);
                    self.turn_usage = Some(total);
                    out.push(AgentEvent::Update(AgentUpdate::Usage(total)));
                }
                if let Some(text) = content_text(&update["content"]).filter(|t| !t.is_empty()) {
                    let message_id = match update["messageId"].as_str() {
                        Some(id) => id.to_owned(),
                        None => self
                            .message
                            .get_or_insert_with(|| {
                                self.messages += 1;
                                format!("m{}", self.messages)
                            })
                            .clone(),
                    };
                    out.push(AgentEvent::Update(AgentUpdate::MessageChunk { text, message_id: Some(message_id) }));
                }
            }
            "agent_thought_chunk" => {
                if let Some(text) = content_text(&update["content"]).filter(|t| !t.is_empty()) {
                    out.push(AgentEvent::Update(AgentUpdate::ThoughtChunk { text }));
                }
            }
            // Band logs the prompt itself; outside a load an agent echoing it adds nothing.
            "user_message_chunk" => {}
            "tool_call" => self.tool_call(update, out),
            "tool_call_update" => self.tool_call_update(update, out),
            "plan" => {
                let entries = update["entries"].as_array().into_iter().flatten();
                let entries = entries.filter_map(|e| e["content"].as_str().map(str::to_owned)).collect();
                out.push(AgentEvent::Update(AgentUpdate::Plan { entries }));
            }
            // ACP's usage_update is the session's context (`used`/`size`) and its cost so far:
            // band reports the turn's cost so far (with the turn's tokens, when known).
            "usage_update" => {
                if let Some(amount) = update["cost"]["amount"].as_f64() {
                    self.cost = Some(amount);
                    if loading {
                        // A loaded session's cost so far belongs to its earlier turns.
                        self.cost_at_start = amount;
                    } else if amount > 0.0 {
                        let cost = (amount - self.cost_at_start).max(0.0);
                        let usage = Usage { cost_usd: Some(cost), ..self.turn_usage.unwrap_or_default() };
                        out.push(AgentEvent::Update(AgentUpdate::Usage(usage)));
                    }
                }
            }
            "available_commands_update" => {
                let commands = update["availableCommands"].as_array().into_iter().flatten();
                let commands = commands
                    .filter_map(|c| {
                        Some(AgentCommand {
                            name: c["name"].as_str()?.to_owned(),
                            description: c["description"].as_str().unwrap_or_default().to_owned(),
                        })
                    })
                    .collect();
                out.push(AgentEvent::Update(AgentUpdate::Commands { commands }));
            }
            "current_mode_update" => {
                if let (Some(AgentUpdate::SessionInfo { current_mode, .. }), Some(mode)) =
                    (self.info.as_mut(), update["currentModeId"].as_str())
                {
                    *current_mode = Some(mode.to_owned());
                    if let Some(info) = self.info.clone() {
                        out.push(AgentEvent::Update(info));
                    }
                }
            }
            other => tracing::debug!("ACP session update '{other}' is not shown"),
        }
    }

    fn permission_request(&mut self, msg: &Value, p: &mut Parsed) {
        let params = &msg["params"];
        let Some(request_id) = request_key(&msg["id"]) else { return };
        let call = &params["toolCall"];
        let tool_id = call["toolCallId"].as_str().unwrap_or_default().to_owned();
        let options = params["options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((o["optionId"].as_str()?.to_owned(), o["kind"].as_str().unwrap_or_default().to_owned()))
            })
            .collect();
        self.shared.lock().permissions.insert(request_id.clone(), Permission { id: msg["id"].clone(), options });
        let input = if has_input(&call["rawInput"]) {
            call["rawInput"].clone()
        } else {
            let mut shown = json!({"title": call["title"], "kind": call["kind"]});
            for key in ["content", "locations"] {
                if call[key].as_array().is_some_and(|a| !a.is_empty()) {
                    shown[key] = call[key].clone();
                }
            }
            shown
        };
        let mut events = Vec::new();
        if !tool_id.is_empty() {
            // Gemini CLI announces a tool only through its permission request.
            self.announce(&tool_id, call, &input, &mut events);
        }
        let tool = self.tools.get(&tool_id);
        let name = tool
            .and_then(|t| t.name.clone())
            .or_else(|| tool.map(|t| t.title.clone()).filter(|t| !t.is_empty()))
            .or_else(|| call["title"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "tool".to_owned());
        let edit = call["kind"].as_str().or(tool.map(|t| t.kind.as_str())) == Some("edit");
        events.push(AgentEvent::PermissionRequest { request_id, tool: name, input: input.to_string(), edit });
        self.deliver(events, p);
    }

    /// Events go out, or are held during the handshake.
    fn deliver(&mut self, mut events: Vec<AgentEvent>, p: &mut Parsed) {
        if self.shared.lock().handshaking {
            self.held.append(&mut events);
        } else {
            p.events.append(&mut events);
        }
    }

    fn request(&mut self, msg: &Value, p: &mut Parsed) {
        let method = msg["method"].as_str().unwrap_or_default();
        if method == "session/request_permission" {
            return self.permission_request(msg, p);
        }
        let message = if method.starts_with("fs/") || method.starts_with("terminal/") {
            format!("band does not offer {method}: it gave no fs or terminal capability; use your own tools")
        } else {
            format!("band does not handle {method}")
        };
        let error = json!({"code": METHOD_NOT_FOUND, "message": message});
        p.replies.push(json!({"jsonrpc": "2.0", "id": msg["id"], "error": error}).to_string());
    }
}

impl LineParser for AcpParser {
    fn parse(&mut self, line: &str) -> Parsed {
        let mut p = Parsed::default();
        // What a load's handshake held goes out before anything that follows it.
        if !self.held.is_empty() && !self.shared.lock().handshaking {
            p.events.append(&mut self.held);
        }
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            let mut state = self.shared.lock();
            if state.noise.len() == NOISE_TAIL {
                state.noise.pop_front();
            }
            state.noise.push_back(cut(line));
            tracing::debug!("an ACP agent printed a non-JSON line: {line}");
            return p;
        };
        match (msg.get("id").filter(|id| !id.is_null()), msg["method"].as_str()) {
            (Some(_), Some(_)) => self.request(&msg, &mut p),
            (Some(_), None) => self.response(&msg, &mut p),
            (None, Some("session/update")) => {
                let mut events = Vec::new();
                self.update(&msg["params"]["update"], &mut events);
                self.deliver(events, &mut p);
            }
            (None, Some(other)) => tracing::debug!("ACP notification '{other}' is not handled"),
            (None, None) => {}
        }
        p
    }
}

/// The session id of a `session/new` result.
fn session_id(result: &Value, name: &str) -> Result<String, AgentError> {
    result["sessionId"].as_str().map(str::to_owned).ok_or_else(|| {
        AgentError::Protocol(format!("{name}'s session/new result has no sessionId: {}", cut(&result.to_string())))
    })
}

/// Modes and models from a session result (`modes`/`models`, or OpenCode's `configOptions`).
fn session_info(result: &Value) -> Option<AgentUpdate> {
    let choices = |list: &Value, id: &str| -> Vec<AgentChoice> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let id = c[id].as_str()?.to_owned();
                let name = c["name"].as_str().map_or_else(|| id.clone(), str::to_owned);
                Some(AgentChoice { id, name })
            })
            .collect()
    };
    let mut modes = choices(&result["modes"]["availableModes"], "id");
    let mut current_mode = result["modes"]["currentModeId"].as_str().map(str::to_owned);
    let mut models = choices(&result["models"]["availableModels"], "modelId");
    let mut current_model = result["models"]["currentModelId"].as_str().map(str::to_owned);
    for option in result["configOptions"].as_array().into_iter().flatten() {
        let (list, current) = match option["category"].as_str() {
            Some("mode") if modes.is_empty() => (&mut modes, &mut current_mode),
            Some("model") if models.is_empty() => (&mut models, &mut current_model),
            _ => continue,
        };
        *list = choices(&option["options"], "value");
        *current = option["currentValue"].as_str().map(str::to_owned);
    }
    if modes.is_empty() && models.is_empty() {
        return None;
    }
    Some(AgentUpdate::SessionInfo { modes, current_mode, models, current_model })
}

/// Usage from a prompt result: ACP's `usage` (OpenCode), or Gemini CLI's `_meta.quota`.
fn prompt_usage(result: &Value) -> Option<Usage> {
    let u = &result["usage"];
    if u.is_object() {
        let n = |k: &str| u[k].as_u64().unwrap_or(0);
        return Some(Usage {
            input_tokens: n("inputTokens"),
            output_tokens: n("outputTokens"),
            cache_read_tokens: n("cachedReadTokens"),
            cache_write_tokens: n("cachedWriteTokens"),
            cost_usd: None,
        });
    }
    let t = &result["_meta"]["quota"]["token_count"];
    t.is_object().then(|| Usage {
        input_tokens: t["input_tokens"].as_u64().unwrap_or(0),
        output_tokens: t["output_tokens"].as_u64().unwrap_or(0),
        ..Usage::default()
    })
}

/// Qwen Code's usage of one model call, on an empty message chunk's `_meta.usage`.
fn meta_usage(u: &Value) -> Option<Usage> {
    u.is_object().then(|| Usage {
        input_tokens: u["inputTokens"].as_u64().unwrap_or(0),
        output_tokens: u["outputTokens"].as_u64().unwrap_or(0),
        cache_read_tokens: u["cachedReadTokens"].as_u64().unwrap_or(0),
        cache_write_tokens: 0,
        cost_usd: None,
    })
}

fn tool_status(s: Option<&str>) -> Option<ToolCallStatus> {
    match s? {
        "pending" => Some(ToolCallStatus::Pending),
        "in_progress" => Some(ToolCallStatus::InProgress),
        "completed" => Some(ToolCallStatus::Completed),
        "failed" => Some(ToolCallStatus::Failed),
        _ => None,
    }
}

fn has_input(input: &Value) -> bool {
    match input {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        _ => true,
    }
}

/// A tool's output: its content (text, diffs by path, terminals by id), else its `rawOutput`.
fn tool_output(u: &Value) -> Option<String> {
    let parts: Vec<String> = u["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| match c["type"].as_str() {
            Some("content") => content_text(&c["content"]),
            Some("diff") => Some(format!("diff of {}", c["path"].as_str().unwrap_or("a file"))),
            Some("terminal") => Some(format!("terminal {}", c["terminalId"].as_str().unwrap_or_default())),
            _ => None,
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !parts.is_empty() {
        return Some(truncate(&parts.join("\n")));
    }
    match &u["rawOutput"] {
        Value::Null => None,
        Value::String(s) => Some(truncate(s)),
        v => Some(truncate(v["output"].as_str().map_or_else(|| v.to_string(), str::to_owned).as_str())),
    }
}

/// The text of a content block (`{type: text, text}`), or a word for other kinds.
fn content_text(content: &Value) -> Option<String> {
    match content["type"].as_str() {
        Some("text") => content["text"].as_str().map(str::to_owned),
        Some("resource_link") => content["uri"].as_str().map(|u| format!("[{u}]")),
        Some(other) => Some(format!("[{other}]")),
        None => None,
    }
}

/// A JSON-RPC id as band's request id: a string as it is, a number in decimal.
fn request_key(id: &Value) -> Option<String> {
    match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// At most 300 characters of `s`, for messages.
fn cut(s: &str) -> String {
    const KEEP: usize = 300;
    if s.chars().count() <= KEEP {
        return s.to_owned();
    }
    format!("{}…", s.chars().take(KEEP).collect::<String>())
}
