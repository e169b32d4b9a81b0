//! Codex through `codex app-server`: JSON-RPC over stdio, one message per line, without the
//! `"jsonrpc"` member.
//!
//! Handshake: `initialize {clientInfo}`, the `initialized` notification, then `thread/start
//! {cwd, approvalPolicy, sandbox, model?}` or, to resume, `thread/resume {threadId, cwd,
//! approvalPolicy, sandbox, excludeTurns: true}`. The thread id is the agent's session id. The
//! policy is always `untrusted` with sandbox `danger-full-access`: codex asks before every command
//! and patch, and band decides (a person, or the chat's mode), so every decision is logged.
//!
//! A turn is `turn/start {threadId, input}`; its id comes back in the response (and in
//! `turn/started`) and is what `turn/interrupt` needs. Approvals are server requests
//! (`item/commandExecution/requestApproval`, `item/fileChange/requestApproval`) answered
//! `{"decision": "accept"|"decline"}` under the request's id; a declined item completes with
//! status `declined` and the turn goes on. Any other server request gets a JSON-RPC error, so
//! codex never waits for an answer that will not come.
//!
//! Facts the parser relies on (checked against the transcripts in `tests/fixtures/codex`):
//! text streams as `item/agentMessage/delta` and is repeated whole in `item/completed` (sent
//! again only when nothing streamed); the patch of a file change is on its `item/started`, not on
//! the approval request; `item/commandExecution/outputDelta` is unreliable, `item/completed`
//! carries the whole `aggregatedOutput` and `exitCode`; `thread/tokenUsage/updated` reports the
//! thread's running `total` (and `last`: one model request, not the turn), so a turn's usage is
//! the growth of `total` since the turn began. A resumed thread reports its restored total before
//! any turn: that only moves the baseline. A failed turn is an `error` notification (the
//! provider's message, itself often JSON), then `turn/completed {status: failed}`.
//!
//! Nothing here waits for codex while band may be holding up the reader: band calls `prompt` and
//! `interrupt` under the lock its event receiver takes, so they only write, and the parser deals
//! with their responses (a refused `turn/start` becomes `TurnFailed`). Codex answers
//! `turn/interrupt` with "no active turn" until it has sent `turn/started` (verified: even after
//! the `turn/start` response that carries the turn's id), so an earlier interrupt is held and
//! sent then. Only `launch` awaits responses, and the parser reports nothing before the thread's
//! (`SessionStarted`, delivered after the response has reached `launch`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{AgentError, AgentProtocol, AgentUpdate, PermissionDecision, StopReason, ToolCallStatus, Usage};
use band_process::Supervisor;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::process::{self, LineParser, Parsed, Session, Spec};
use super::{tool_kind, truncate};

/// How long codex may take to answer each handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// JSON-RPC "method not found", for server requests band does not serve.
const METHOD_NOT_FOUND: i64 = -32601;

pub struct CodexRuntime {
    supervisor: Supervisor,
}

impl CodexRuntime {
    pub fn new(supervisor: Supervisor) -> Self {
        Self { supervisor }
    }
}

#[async_trait]
impl AgentRuntime for CodexRuntime {
    fn protocol(&self) -> AgentProtocol {
        AgentProtocol::CodexAppServer
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
        let shared = Arc::new(Shared::default());
        let events = Arc::new(ExitWatch { inner: events, shared: shared.clone() });
        let mut args = launch.agent.args.clone();
        args.push("app-server".to_owned());
        let spec = Spec { program: &program, args, cwd: &launch.cwd, env: &launch.env };
        let session = process::start(&self.supervisor, spec, CodexParser::new(shared.clone()), events).await?;
        let handle = CodexHandle { session, shared };
        if let Err(e) = handle.handshake(&launch).await {
            handle.session.stop().await;
            return Err(e);
        }
        Ok(Arc::new(handle))
    }
}

/// What the parser (on the reader task) and the handle share: the JSON-RPC bookkeeping.
#[derive(Default)]
pub struct Shared {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// Our requests still waiting for their response, by id.
    waiting: HashMap<u64, Waiter>,
    thread_id: Option<String>,
    turn: Turn,
    /// Open approval requests: band's request id (codex's id as text) to codex's id.
    approvals: HashMap<String, Value>,
    /// Set once the process is gone: why, for the errors of later calls.
    exited: Option<String>,
}

#[derive(Default, PartialEq)]
enum Turn {
    #[default]
    Idle,
    /// `turn/start` is sent, `turn/started` not seen yet; `interrupt`: one is wanted then.
    Starting {
        interrupt: bool,
    },
    Running(String),
}

/// What to do with a response.
enum Waiter {
    /// Hand it to the caller (the handshake).
    Reply(oneshot::Sender<Result<Value, CallError>>),
    /// A refusal fails the turn.
    TurnStart,
    /// Nothing to do but log a refusal.
    Interrupt,
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
    fn request(&mut self, method: &str, params: Value, waiter: Waiter) -> String {
        self.next_id += 1;
        let id = self.next_id;
        self.waiting.insert(id, waiter);
        json!({"id": id, "method": method, "params": params}).to_string()
    }

    fn interrupt_request(&mut self, turn_id: &str) -> Option<String> {
        let thread_id = self.thread_id.clone()?;
        Some(self.request("turn/interrupt", json!({"threadId": thread_id, "turnId": turn_id}), Waiter::Interrupt))
    }
}

/// Passes events through; on exit, first fails every call still waiting for codex.
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
        let mut why = format!("codex app-server exited ({})", exit.status);
        if !exit.stderr_tail.trim().is_empty() {
            why = format!("{why}: {}", exit.stderr_tail.trim());
        }
        let waiting = {
            let mut state = self.shared.lock();
            state.exited = Some(why.clone());
            std::mem::take(&mut state.waiting)
        };
        for waiter in waiting.into_values() {
            if let Waiter::Reply(tx) = waiter {
                let _ = tx.send(Err(CallError::Exited(why.clone())));
            }
        }
        self.inner.on_exit(exit).await;
    }
}

struct CodexHandle {
    session: Arc<Session>,
    shared: Arc<Shared>,
}

impl CodexHandle {
    async fn handshake(&self, launch: &AgentLaunch) -> Result<(), AgentError> {
        let client = json!({"name": "band", "version": env!("CARGO_PKG_VERSION")});
        self.call("initialize", json!({"clientInfo": client})).await?;
        self.session.write_line(&json!({"method": "initialized"}).to_string()).await?;
        let mut params = json!({
            "cwd": launch.cwd,
            "approvalPolicy": "untrusted",
            "sandbox": "danger-full-access",
        });
        if let Some(model) = &launch.model {
            params["model"] = json!(model.as_str());
        }
        let method = match &launch.resume {
            Some(thread_id) => {
                params["threadId"] = json!(thread_id);
                params["excludeTurns"] = json!(true);
                "thread/resume"
            }
            None => "thread/start",
        };
        let result = self.call(method, params).await?;
        let thread_id = result["thread"]["id"]
            .as_str()
            .ok_or_else(|| AgentError::Protocol(format!("codex's {method} result has no thread id: {result}")))?;
        self.shared.lock().thread_id = Some(thread_id.to_owned());
        Ok(())
    }

    /// Sends a request and waits for its response (only during the handshake: see the module doc).
    async fn call(&self, method: &str, params: Value) -> Result<Value, AgentError> {
        let (tx, rx) = oneshot::channel();
        let line = {
            let mut state = self.shared.lock();
            if let Some(why) = &state.exited {
                return Err(AgentError::Exited(why.clone()));
            }
            state.request(method, params, Waiter::Reply(tx))
        };
        self.session.write_line(&line).await?;
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(CallError::Refused(message)))) => {
                Err(AgentError::Protocol(format!("codex refused {method}: {message}")))
            }
            Ok(Ok(Err(CallError::Exited(why)))) => Err(AgentError::Exited(why)),
            Ok(Err(_)) => Err(AgentError::Exited("codex app-server went away".into())),
            Err(_) => Err(AgentError::Protocol(format!(
                "codex app-server did not answer {method} within {} s",
                HANDSHAKE_TIMEOUT.as_secs()
            ))),
        }
    }

    fn exited(state: &State) -> Result<(), AgentError> {
        match &state.exited {
            Some(why) => Err(AgentError::Exited(why.clone())),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl AgentHandle for CodexHandle {
    async fn prompt(&self, text: &str) -> Result<(), AgentError> {
        let line = {
            let mut state = self.shared.lock();
            Self::exited(&state)?;
            let thread_id =
                state.thread_id.clone().ok_or_else(|| AgentError::Protocol("codex has no thread yet".into()))?;
            state.turn = Turn::Starting { interrupt: false };
            let input = json!([{"type": "text", "text": text}]);
            state.request("turn/start", json!({"threadId": thread_id, "input": input}), Waiter::TurnStart)
        };
        self.session.write_line(&line).await
    }

    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError> {
        let id = self
            .shared
            .lock()
            .approvals
            .remove(request_id)
            .ok_or_else(|| AgentError::Protocol(format!("no pending approval request '{request_id}'")))?;
        let decision = match decision {
            PermissionDecision::Allow => "accept",
            PermissionDecision::Deny => "decline",
        };
        self.session.write_line(&json!({"id": id, "result": {"decision": decision}}).to_string()).await
    }

    async fn interrupt(&self) -> Result<(), AgentError> {
        let line = {
            let mut state = self.shared.lock();
            Self::exited(&state)?;
            match &state.turn {
                Turn::Idle => None,
                Turn::Starting { .. } => {
                    state.turn = Turn::Starting { interrupt: true };
                    None
                }
                Turn::Running(turn_id) => {
                    let turn_id = turn_id.clone();
                    state.interrupt_request(&turn_id)
                }
            }
        };
        match line {
            Some(line) => self.session.write_line(&line).await,
            None => Ok(()),
        }
    }

    async fn stop(&self) -> Result<(), AgentError> {
        self.session.stop().await;
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        Some(self.session.pid())
    }
}

/// Token counts as codex reports them (`TokenUsageBreakdown`).
#[derive(Debug, Clone, Copy, Default)]
struct Tokens {
    input: u64,
    cached_input: u64,
    cache_write: u64,
    output: u64,
}

impl Tokens {
    fn from_json(v: &Value) -> Self {
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        Self {
            input: n("inputTokens"),
            cached_input: n("cachedInputTokens"),
            cache_write: n("cacheWriteInputTokens"),
            output: n("outputTokens"),
        }
    }

    /// What was used since `base`. Codex's input count includes the cached part.
    fn since(self, base: Tokens) -> Usage {
        Usage {
            input_tokens: self.input.saturating_sub(base.input),
            output_tokens: self.output.saturating_sub(base.output),
            cache_read_tokens: self.cached_input.saturating_sub(base.cached_input),
            cache_write_tokens: self.cache_write.saturating_sub(base.cache_write),
            cost_usd: None,
        }
    }
}

/// Codex's stdout lines to band's events.
pub struct CodexParser {
    shared: Arc<Shared>,
    /// The thread last reported as the session.
    session: Option<String>,
    /// The turn under way, per what codex said (the shared state follows it).
    turn: Option<String>,
    /// The thread's token total as last reported, and at the start of the current turn.
    total: Tokens,
    turn_base: Tokens,
    turn_usage: Option<Usage>,
    /// The provider's message from the turn's last final `error` notification.
    turn_error: Option<String>,
    /// Items whose text streamed as deltas (not to be sent again whole).
    streamed: HashSet<String>,
    /// The changes of each file-change item, for its approval request.
    changes: HashMap<String, Value>,
}

impl CodexParser {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            session: None,
            turn: None,
            total: Tokens::default(),
            turn_base: Tokens::default(),
            turn_usage: None,
            turn_error: None,
            streamed: HashSet::new(),
            changes: HashMap::new(),
        }
    }

    fn response(&mut self, msg: &Value, p: &mut Parsed) {
        let waiter = msg["id"].as_u64().and_then(|id| self.shared.lock().waiting.remove(&id));
        let error = msg.get("error").map(|e| e["message"].as_str().map_or_else(|| e.to_string(), str::to_owned));
        match (waiter, error) {
            (Some(Waiter::Reply(tx)), Some(message)) => {
                let _ = tx.send(Err(CallError::Refused(message)));
            }
            (Some(Waiter::Reply(tx)), None) => {
                let _ = tx.send(Ok(msg["result"].clone()));
            }
            (Some(Waiter::TurnStart), Some(message)) => {
                self.shared.lock().turn = Turn::Idle;
                let message = format!("codex refused the prompt: {message}");
                p.events.push(AgentEvent::TurnFailed { message, usage: None });
            }
            (Some(Waiter::Interrupt), Some(message)) => tracing::warn!("codex refused turn/interrupt: {message}"),
            _ => {}
        }
        // Results are recognised by their shape, so that transcripts parse without the requests.
        let result = &msg["result"];
        if let Some(thread_id) = result["thread"]["id"].as_str() {
            self.thread(thread_id, p);
            // The model the thread runs, for a cost estimate (codex reports no cost).
            if let Some(model) = result["model"].as_str() {
                p.events.push(AgentEvent::Update(AgentUpdate::SessionInfo {
                    modes: Vec::new(),
                    current_mode: None,
                    models: Vec::new(),
                    current_model: Some(model.to_owned()),
                }));
            }
        }
        if let Some(turn_id) = result["turn"]["id"].as_str() {
            self.begin_turn(turn_id);
        }
    }

    fn thread(&mut self, thread_id: &str, p: &mut Parsed) {
        if self.session.as_deref() != Some(thread_id) {
            self.session = Some(thread_id.to_owned());
            p.events.push(AgentEvent::SessionStarted { session_id: thread_id.to_owned() });
        }
    }

    fn begin_turn(&mut self, turn_id: &str) {
        if self.turn.as_deref() == Some(turn_id) {
            return;
        }
        self.turn = Some(turn_id.to_owned());
        self.turn_base = self.total;
        self.turn_usage = None;
        self.turn_error = None;
    }

    /// `turn/started`: from now on (not from the `turn/start` response) codex accepts
    /// `turn/interrupt` for the turn; one asked for earlier is sent now.
    fn turn_started(&mut self, turn_id: &str, p: &mut Parsed) {
        self.begin_turn(turn_id);
        let mut state = self.shared.lock();
        let interrupt = state.turn == Turn::Starting { interrupt: true };
        state.turn = Turn::Running(turn_id.to_owned());
        if interrupt && let Some(line) = state.interrupt_request(turn_id) {
            p.replies.push(line);
        }
    }

    fn end_turn(&mut self, turn: &Value, p: &mut Parsed) {
        let usage = self.turn_usage.take();
        let event = match turn["status"].as_str() {
            Some("interrupted") => AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, usage },
            Some("failed") => {
                let message = self
                    .turn_error
                    .take()
                    .or_else(|| turn.get("error").filter(|e| !e.is_null()).map(error_message))
                    .unwrap_or_else(|| "codex reported the turn failed".to_owned());
                AgentEvent::TurnFailed { message, usage }
            }
            _ => AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage },
        };
        p.events.push(event);
        self.turn = None;
        self.turn_error = None;
        self.streamed.clear();
        self.changes.clear();
        let mut state = self.shared.lock();
        state.turn = Turn::Idle;
        state.approvals.clear();
    }

    fn token_usage(&mut self, params: &Value, p: &mut Parsed) {
        self.total = Tokens::from_json(&params["tokenUsage"]["total"]);
        let for_this_turn = match (&self.turn, params["turnId"].as_str()) {
            (Some(current), Some(reported)) => current == reported,
            (Some(_), None) => true,
            (None, _) => false, // a resumed thread's restored total: only the baseline moves
        };
        if for_this_turn {
            let usage = self.total.since(self.turn_base);
            self.turn_usage = Some(usage);
            p.events.push(AgentEvent::Update(AgentUpdate::Usage(usage)));
        }
    }

    fn item_started(&mut self, item: &Value, p: &mut Parsed) {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        // `name` is what usage counts calls by: Codex's own tool names, MCP tools as Claude Code
        // spells them (`mcp__server__tool`).
        let call = |title: String, tool: &str, input: Value, name: String| {
            AgentEvent::Update(AgentUpdate::ToolCall {
                id: id.clone(),
                title,
                kind: tool_kind(tool).to_owned(),
                input: input.to_string(),
                tool: name,
            })
        };
        let event = match item["type"].as_str() {
            Some("commandExecution") => {
                call(command_title(item), "exec_command", command_input(item), "shell".to_owned())
            }
            Some("fileChange") => {
                self.changes.insert(id.clone(), item["changes"].clone());
                let changes = json!({"changes": item["changes"]});
                call(change_title(&item["changes"]), "apply_patch", changes, "apply_patch".to_owned())
            }
            Some("mcpToolCall") => {
                let tool = item["tool"].as_str().unwrap_or("tool");
                let server = item["server"].as_str().unwrap_or("mcp");
                call(format!("{server}/{tool}"), tool, item["arguments"].clone(), format!("mcp__{server}__{tool}"))
            }
            Some("webSearch") => call(
                item["query"].as_str().unwrap_or("web search").to_owned(),
                "web_search",
                json!({"query": item["query"]}),
                "web_search".to_owned(),
            ),
            _ => return,
        };
        p.events.push(event);
    }

    fn item_completed(&mut self, item: &Value, p: &mut Parsed) {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        let update = match item["type"].as_str() {
            Some("agentMessage") => {
                let text = item["text"].as_str().unwrap_or_default();
                if self.streamed.contains(&id) || text.is_empty() {
                    return;
                }
                AgentUpdate::MessageChunk { text: text.to_owned(), message_id: Some(id) }
            }
            Some("reasoning") => {
                let parts = item["summary"].as_array().filter(|s| !s.is_empty()).or_else(|| item["content"].as_array());
                let text = parts.into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join("\n");
                if self.streamed.contains(&id) || text.is_empty() {
                    return;
                }
                AgentUpdate::ThoughtChunk { text }
            }
            Some("commandExecution") => {
                let failed = item["status"] != "completed" || item["exitCode"].as_i64().is_some_and(|c| c != 0);
                let output = match item["aggregatedOutput"].as_str() {
                    Some(out) => Some(truncate(out)),
                    None if item["status"] == "declined" => Some("declined".to_owned()),
                    None => None,
                };
                AgentUpdate::ToolCallUpdate { id, status: tool_status(failed), output }
            }
            Some("fileChange") => {
                self.changes.remove(&id);
                let output = (item["status"] == "declined").then(|| "declined".to_owned());
                AgentUpdate::ToolCallUpdate { id, status: tool_status(item["status"] != "completed"), output }
            }
            Some("mcpToolCall") => {
                let output = match item["error"]["message"].as_str() {
                    Some(message) => Some(message.to_owned()),
                    None => item["result"].get("content").map(|c| truncate(&content_text(c))),
                };
                AgentUpdate::ToolCallUpdate { id, status: tool_status(item["status"] != "completed"), output }
            }
            Some("webSearch") => AgentUpdate::ToolCallUpdate { id, status: ToolCallStatus::Completed, output: None },
            _ => return,
        };
        p.events.push(AgentEvent::Update(update));
    }

    fn delta(&mut self, params: &Value, thought: bool, p: &mut Parsed) {
        let Some(text) = params["delta"].as_str().filter(|t| !t.is_empty()) else { return };
        if let Some(id) = params["itemId"].as_str() {
            self.streamed.insert(id.to_owned());
        }
        let text = text.to_owned();
        let update = if thought {
            AgentUpdate::ThoughtChunk { text }
        } else {
            AgentUpdate::MessageChunk { text, message_id: params["itemId"].as_str().map(str::to_owned) }
        };
        p.events.push(AgentEvent::Update(update));
    }

    fn notification(&mut self, method: &str, params: &Value, p: &mut Parsed) {
        match method {
            "thread/started" => {
                if let Some(thread_id) = params["thread"]["id"].as_str() {
                    self.thread(thread_id, p);
                }
            }
            "turn/started" => {
                if let Some(turn_id) = params["turn"]["id"].as_str() {
                    self.turn_started(turn_id, p);
                }
            }
            "turn/completed" => self.end_turn(&params["turn"], p),
            "item/started" => self.item_started(&params["item"], p),
            "item/completed" => self.item_completed(&params["item"], p),
            "item/agentMessage/delta" => self.delta(params, false, p),
            "item/reasoning/summaryTextDelta" | "item/reasoning/textDelta" => self.delta(params, true, p),
            "thread/tokenUsage/updated" => self.token_usage(params, p),
            "turn/plan/updated" => {
                let entries = params["plan"].as_array().into_iter().flatten();
                let entries = entries.filter_map(|s| s["step"].as_str().map(str::to_owned)).collect();
                p.events.push(AgentEvent::Update(AgentUpdate::Plan { entries }));
            }
            "error" => {
                let message = error_message(&params["error"]);
                if params["willRetry"].as_bool().unwrap_or(false) {
                    tracing::debug!("codex will retry after: {message}");
                } else {
                    self.turn_error = Some(message);
                }
            }
            "serverRequest/resolved" => {
                if let Some(key) = request_key(&params["requestId"]) {
                    self.shared.lock().approvals.remove(&key);
                }
            }
            "configWarning" | "warning" | "deprecationNotice" => {
                tracing::debug!("codex says {method}: {params}");
            }
            _ => {}
        }
    }

    fn server_request(&mut self, msg: &Value, p: &mut Parsed) {
        let method = msg["method"].as_str().unwrap_or_default();
        let params = &msg["params"];
        let (tool, input) = match method {
            "item/commandExecution/requestApproval" => ("exec_command", with_reason(command_input(params), params)),
            "item/fileChange/requestApproval" => {
                let changes = params["itemId"].as_str().and_then(|id| self.changes.get(id)).cloned();
                let mut input = with_reason(json!({"changes": changes.unwrap_or(Value::Null)}), params);
                if let Some(root) = params["grantRoot"].as_str() {
                    input["grantRoot"] = json!(root);
                }
                ("apply_patch", input)
            }
            _ => {
                // A request band does not serve (user input, MCP elicitation...): answer it, so
                // that codex does not wait forever.
                let error = json!({"code": METHOD_NOT_FOUND, "message": format!("band does not handle {method}")});
                p.replies.push(json!({"id": msg["id"], "error": error}).to_string());
                return;
            }
        };
        let Some(request_id) = request_key(&msg["id"]) else { return };
        self.shared.lock().approvals.insert(request_id.clone(), msg["id"].clone());
        let edit = tool == "apply_patch";
        p.events.push(AgentEvent::PermissionRequest {
            request_id,
            tool: tool.to_owned(),
            input: input.to_string(),
            edit,
        });
    }
}

impl LineParser for CodexParser {
    fn parse(&mut self, line: &str) -> Parsed {
        let mut p = Parsed::default();
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            // Not protocol (a stray log line): nothing to report.
            tracing::debug!("codex printed a non-JSON line: {line}");
            return p;
        };
        match (msg.get("id"), msg["method"].as_str()) {
            (Some(_), Some(_)) => self.server_request(&msg, &mut p),
            (Some(_), None) => self.response(&msg, &mut p),
            (None, Some(method)) => self.notification(method, &msg["params"], &mut p),
            (None, None) => {}
        }
        p
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

fn command_input(v: &Value) -> Value {
    json!({"command": v["command"], "cwd": v["cwd"]})
}

fn with_reason(mut input: Value, params: &Value) -> Value {
    if let Some(reason) = params["reason"].as_str() {
        input["reason"] = json!(reason);
    }
    input
}

/// The command as the model wrote it when codex parsed it as one (`commandActions`), else the
/// full command line (`/bin/bash -lc "..."`).
fn command_title(item: &Value) -> String {
    let actions = item["commandActions"].as_array().map(Vec::as_slice).unwrap_or_default();
    match actions {
        [one] if one["command"].is_string() => one["command"].as_str().unwrap_or_default().to_owned(),
        _ => item["command"].as_str().unwrap_or("command").to_owned(),
    }
}

fn change_title(changes: &Value) -> String {
    let paths: Vec<&str> = changes.as_array().into_iter().flatten().filter_map(|c| c["path"].as_str()).collect();
    if paths.is_empty() { "apply_patch".to_owned() } else { paths.join(", ") }
}

fn tool_status(failed: bool) -> ToolCallStatus {
    if failed { ToolCallStatus::Failed } else { ToolCallStatus::Completed }
}

/// A turn error's message; when that is the provider's JSON error body, the message inside it.
fn error_message(error: &Value) -> String {
    let message = error["message"].as_str().map_or_else(|| error.to_string(), str::to_owned);
    serde_json::from_str::<Value>(&message)
        .ok()
        .and_then(|body| body["error"]["message"].as_str().or_else(|| body["message"].as_str()).map(str::to_owned))
        .unwrap_or(message)
}

/// MCP content blocks as text.
fn content_text(content: &Value) -> String {
    match content {
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| b["text"].as_str().map_or_else(|| b.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_asked_for_before_turn_started_is_sent_with_it() {
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            state.thread_id = Some("th".into());
            state.turn = Turn::Starting { interrupt: true };
        }
        let mut parser = CodexParser::new(shared.clone());
        let response = parser.parse(r#"{"id":3,"result":{"turn":{"id":"t1","status":"inProgress"}}}"#);
        assert!(response.replies.is_empty(), "codex refuses interrupts before turn/started");
        let started = parser.parse(r#"{"method":"turn/started","params":{"turn":{"id":"t1"}}}"#);
        let [reply] = started.replies.as_slice() else { panic!("{:?}", started.replies) };
        let reply: Value = serde_json::from_str(reply).expect("json");
        assert_eq!(reply["method"], "turn/interrupt");
        assert_eq!(reply["params"], json!({"threadId": "th", "turnId": "t1"}));
        assert!(shared.lock().turn == Turn::Running("t1".into()));
        assert!(matches!(shared.lock().waiting.get(&1), Some(Waiter::Interrupt)));
    }

    #[test]
    fn a_refused_prompt_fails_the_turn() {
        let shared = Arc::new(Shared::default());
        let line = shared.lock().request("turn/start", json!({}), Waiter::TurnStart);
        let id = serde_json::from_str::<Value>(&line).expect("json")["id"].clone();
        let mut parser = CodexParser::new(shared.clone());
        let p = parser.parse(&json!({"id": id, "error": {"code": -32600, "message": "busy"}}).to_string());
        assert_eq!(
            p.events,
            [AgentEvent::TurnFailed { message: "codex refused the prompt: busy".into(), usage: None }]
        );
        assert!(shared.lock().turn == Turn::Idle);
    }
}
