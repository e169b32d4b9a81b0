//! Claude Code: one persistent `claude` process per chat, stream-json in and out.
//!
//! `claude --output-format stream-json --verbose --input-format stream-json
//! --include-partial-messages --permission-prompt-tool stdio [--model M] [--resume ID]`:
//! each stdin line `{"type":"user",...}` is one turn; permission prompts arrive as
//! `control_request {subtype: can_use_tool}` and are answered with `control_response`
//! (`allow` must echo the input as `updatedInput`); `interrupt` is a control request too.
//!
//! Facts the parser relies on (checked against recorded transcripts in
//! `tests/fixtures/claude`): text streams as `stream_event` deltas and is then repeated whole in
//! an `assistant` line (sent only once here: a message whose text was streamed is not sent
//! again, one that was not — a synthetic API error — is); `result.usage` is the turn's, but
//! `total_cost_usd` adds up over the process, so a turn's cost is the difference; an API error
//! ends as `subtype: success` with `is_error: true`; an interrupt as `error_during_execution`
//! with `terminal_reason: aborted_streaming` (while the model streams) or `aborted_tools` (while
//! a tool runs: verified with 2.1.197 and a running `sleep`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use band_core::ports::{AgentEvent, AgentEvents, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{
    AgentError, AgentProtocol, AgentUpdate, PermissionDecision, PermissionMode, StopReason, ToolCallStatus, Usage,
};
use band_process::Supervisor;
use serde_json::{Value, json};

use super::process::{self, LineParser, Parsed, Session, Spec};

/// Settings for a chat in ask mode: an `ask` rule for every tool that reads, runs, fetches or
/// changes something, so Claude Code sends each such call to band (`can_use_tool`) instead of
/// running what its read-only allow-list lets through. Planning tools (TodoWrite, Task,
/// ExitPlanMode) are not calls on the machine and are left alone.
const ASK_EVERY_CALL: &str = r#"{"permissions":{"ask":["Bash","BashOutput","KillShell","Read","Glob","Grep","LS","Edit","MultiEdit","Write","NotebookEdit","NotebookRead","WebFetch","WebSearch"]}}"#;
use super::{tool_kind, truncate};

pub struct ClaudeRuntime {
    supervisor: Supervisor,
}

impl ClaudeRuntime {
    pub fn new(supervisor: Supervisor) -> Self {
        Self { supervisor }
    }
}

#[async_trait]
impl AgentRuntime for ClaudeRuntime {
    fn protocol(&self) -> AgentProtocol {
        AgentProtocol::ClaudeStreamJson
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
        let mut args: Vec<String> = launch.agent.args.clone();
        args.extend(
            [
                "--output-format",
                "stream-json",
                "--verbose",
                "--input-format",
                "stream-json",
                "--include-partial-messages",
                "--permission-prompt-tool",
                "stdio",
            ]
            .map(str::to_owned),
        );
        // Ask mode means band decides every call: Claude Code's own allow-list (read-only
        // commands such as `echo`, and reads) would otherwise run without asking anyone. So does
        // a policy, whatever the mode: band judges each call, then the mode answers.
        if launch.mode == PermissionMode::Ask || launch.ask_every_call {
            args.extend(["--settings".to_owned(), ASK_EVERY_CALL.to_owned()]);
        }
        if let Some(model) = &launch.model {
            args.extend(["--model".to_owned(), model.to_string()]);
        }
        if let Some(resume) = &launch.resume {
            args.push(format!("--resume={resume}"));
        }
        let shared = Arc::new(Mutex::new(Shared::default()));
        let parser = ClaudeParser::new(shared.clone());
        let spec = Spec { program: &program, args, cwd: &launch.cwd, env: &launch.env };
        let session = process::start(&self.supervisor, spec, parser, events).await?;
        let handle = Arc::new(ClaudeHandle { session, shared });
        handle.control("init", json!({"subtype": "initialize"})).await?;
        Ok(handle)
    }
}

/// What the parser learns that the handle needs: the input of each pending permission request.
#[derive(Default)]
pub struct Shared {
    pending: HashMap<String, Value>,
}

struct ClaudeHandle {
    session: Arc<Session>,
    shared: Arc<Mutex<Shared>>,
}

impl ClaudeHandle {
    /// Answers a `can_use_tool` request; a deny carries `message` to the model.
    async fn answer(&self, request_id: &str, decision: PermissionDecision, message: &str) -> Result<(), AgentError> {
        let input = self
            .shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pending
            .remove(request_id)
            .ok_or_else(|| AgentError::Protocol(format!("no pending permission request '{request_id}'")))?;
        let response = match decision {
            PermissionDecision::Allow => json!({"behavior": "allow", "updatedInput": input}),
            PermissionDecision::Deny => json!({"behavior": "deny", "message": message}),
        };
        let line = json!({
            "type": "control_response",
            "response": {"subtype": "success", "request_id": request_id, "response": response},
        });
        self.session.write_line(&line.to_string()).await
    }

    async fn control(&self, request_id: &str, request: Value) -> Result<(), AgentError> {
        let line = json!({"type": "control_request", "request_id": request_id, "request": request});
        self.session.write_line(&line.to_string()).await
    }
}

#[async_trait]
impl AgentHandle for ClaudeHandle {
    async fn prompt(&self, text: &str) -> Result<(), AgentError> {
        let line = json!({"type": "user", "message": {"role": "user", "content": text}});
        self.session.write_line(&line.to_string()).await
    }

    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError> {
        self.answer(request_id, decision, "The user denied this in band.").await
    }

    async fn refuse(&self, request_id: &str, reason: &str) -> Result<(), AgentError> {
        self.answer(request_id, PermissionDecision::Deny, reason).await
    }

    async fn interrupt(&self) -> Result<(), AgentError> {
        self.control("interrupt", json!({"subtype": "interrupt"})).await
    }

    async fn stop(&self) -> Result<(), AgentError> {
        self.session.stop().await;
        Ok(())
    }

    fn pid(&self) -> Option<u32> {
        Some(self.session.pid())
    }
}

/// Claude's stdout lines to band's events.
pub struct ClaudeParser {
    shared: Arc<Mutex<Shared>>,
    /// The message being streamed, and the messages whose text was streamed.
    streaming: Option<String>,
    streamed: HashSet<String>,
    /// `total_cost_usd` at the end of the previous turn of this process.
    cost_so_far: f64,
    /// The turn's model responses so far, by message id, with their usage: what the turn has
    /// used before it ends (for budgets), sent as an update after each response.
    responses: Vec<(String, Usage)>,
}

impl ClaudeParser {
    pub fn new(shared: Arc<Mutex<Shared>>) -> Self {
        Self { shared, streaming: None, streamed: HashSet::new(), cost_so_far: 0.0, responses: Vec::new() }
    }

    fn stream_event(&mut self, event: &Value, out: &mut Vec<AgentEvent>) {
        match event["type"].as_str() {
            Some("message_start") => self.streaming = event["message"]["id"].as_str().map(str::to_owned),
            Some("content_block_delta") => {
                let delta = &event["delta"];
                let update = match delta["type"].as_str() {
                    Some("text_delta") => delta["text"]
                        .as_str()
                        .map(|t| AgentUpdate::MessageChunk { text: t.to_owned(), message_id: self.streaming.clone() }),
                    Some("thinking_delta") => {
                        delta["thinking"].as_str().map(|t| AgentUpdate::ThoughtChunk { text: t.to_owned() })
                    }
                    _ => None,
                };
                if let Some(update) = update {
                    if let Some(id) = &self.streaming {
                        self.streamed.insert(id.clone());
                    }
                    out.push(AgentEvent::Update(update));
                }
            }
            _ => {}
        }
    }

    fn assistant(&mut self, message: &Value, out: &mut Vec<AgentEvent>) {
        let streamed = message["id"].as_str().is_some_and(|id| self.streamed.contains(id));
        // Each model response's usage (repeated on every line of the same message): the turn's
        // usage so far, without a cost (band prices it).
        if let (Some(id), Some(u)) = (message["id"].as_str(), message["usage"].as_object()) {
            let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
            let usage = Usage {
                input_tokens: n("input_tokens"),
                output_tokens: n("output_tokens"),
                cache_read_tokens: n("cache_read_input_tokens"),
                cache_write_tokens: n("cache_creation_input_tokens"),
                cost_usd: None,
            };
            let changed = match self.responses.iter_mut().find(|(m, _)| m == id) {
                Some((_, seen)) if *seen == usage => false,
                Some((_, seen)) => {
                    *seen = usage;
                    true
                }
                None => {
                    self.responses.push((id.to_owned(), usage));
                    true
                }
            };
            let total = self.responses.iter().fold(Usage::default(), |a, (_, u)| a + *u);
            if changed && total.input_tokens + total.output_tokens > 0 {
                out.push(AgentEvent::Update(AgentUpdate::Usage(total)));
            }
        }
        for block in message["content"].as_array().into_iter().flatten() {
            match block["type"].as_str() {
                Some("text") if !streamed => {
                    if let Some(t) = block["text"].as_str().filter(|t| !t.is_empty()) {
                        out.push(AgentEvent::Update(AgentUpdate::MessageChunk {
                            text: t.to_owned(),
                            message_id: message["id"].as_str().map(str::to_owned),
                        }));
                    }
                }
                Some("thinking") if !streamed => {
                    if let Some(t) = block["thinking"].as_str().filter(|t| !t.is_empty()) {
                        out.push(AgentEvent::Update(AgentUpdate::ThoughtChunk { text: t.to_owned() }));
                    }
                }
                Some("tool_use") => {
                    let name = block["name"].as_str().unwrap_or("tool");
                    out.push(AgentEvent::Update(AgentUpdate::ToolCall {
                        id: block["id"].as_str().unwrap_or_default().to_owned(),
                        title: tool_title(name, &block["input"]),
                        kind: tool_kind(name).to_owned(),
                        input: block["input"].to_string(),
                        tool: name.to_owned(),
                    }));
                }
                _ => {}
            }
        }
    }

    fn tool_results(message: &Value, out: &mut Vec<AgentEvent>) {
        for block in message["content"].as_array().into_iter().flatten() {
            if block["type"] != "tool_result" {
                continue;
            }
            let failed = block["is_error"].as_bool().unwrap_or(false);
            out.push(AgentEvent::Update(AgentUpdate::ToolCallUpdate {
                id: block["tool_use_id"].as_str().unwrap_or_default().to_owned(),
                status: if failed { ToolCallStatus::Failed } else { ToolCallStatus::Completed },
                output: Some(truncate(&content_text(&block["content"]))),
            }));
        }
    }

    fn result(&mut self, r: &Value, out: &mut Vec<AgentEvent>) {
        let u = &r["usage"];
        let total = r["total_cost_usd"].as_f64();
        let cost = total.map(|t| (t - self.cost_so_far).max(0.0));
        if let Some(t) = total {
            self.cost_so_far = self.cost_so_far.max(t);
        }
        let usage = Usage {
            input_tokens: u["input_tokens"].as_u64().unwrap_or(0),
            output_tokens: u["output_tokens"].as_u64().unwrap_or(0),
            cache_read_tokens: u["cache_read_input_tokens"].as_u64().unwrap_or(0),
            cache_write_tokens: u["cache_creation_input_tokens"].as_u64().unwrap_or(0),
            cost_usd: cost,
        };
        self.streaming = None;
        self.streamed.clear();
        self.responses.clear();
        self.shared.lock().unwrap_or_else(|p| p.into_inner()).pending.clear();
        let is_error = r["is_error"].as_bool().unwrap_or(false);
        if r["terminal_reason"].as_str().is_some_and(|t| t.starts_with("aborted")) {
            out.push(AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, usage: Some(usage) });
        } else if is_error || r["subtype"] != "success" {
            let message = r["result"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| {
                    r["errors"].as_array().map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
                })
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| format!("the turn failed ({})", r["subtype"].as_str().unwrap_or("error")));
            out.push(AgentEvent::TurnFailed { message, usage: Some(usage) });
        } else {
            let stop_reason = match r["stop_reason"].as_str() {
                Some("max_tokens") => StopReason::MaxTokens,
                Some("refusal") => StopReason::Refusal,
                _ if r["subtype"] == "error_max_turns" => StopReason::MaxTurnRequests,
                _ => StopReason::EndTurn,
            };
            out.push(AgentEvent::TurnEnded { stop_reason, usage: Some(usage) });
        }
    }
}

impl LineParser for ClaudeParser {
    fn parse(&mut self, line: &str) -> Parsed {
        let mut out = Vec::new();
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            // Not protocol (a stray log line): nothing to report.
            return Parsed::default();
        };
        match v["type"].as_str() {
            Some("system") if v["subtype"] == "init" => {
                if let Some(id) = v["session_id"].as_str() {
                    out.push(AgentEvent::SessionStarted { session_id: id.to_owned() });
                }
                // The model it runs: band prices a turn's usage with it before the turn ends.
                if let Some(model) = v["model"].as_str().filter(|m| !m.is_empty()) {
                    out.push(AgentEvent::Update(AgentUpdate::SessionInfo {
                        modes: Vec::new(),
                        current_mode: None,
                        models: Vec::new(),
                        current_model: Some(model.to_owned()),
                    }));
                }
            }
            Some("stream_event") => self.stream_event(&v["event"], &mut out),
            Some("assistant") => self.assistant(&v["message"], &mut out),
            Some("user") => Self::tool_results(&v["message"], &mut out),
            Some("result") => self.result(&v, &mut out),
            Some("control_request") if v["request"]["subtype"] == "can_use_tool" => {
                let request_id = v["request_id"].as_str().unwrap_or_default().to_owned();
                let tool = v["request"]["tool_name"].as_str().unwrap_or("tool").to_owned();
                let input = v["request"]["input"].clone();
                self.shared.lock().unwrap_or_else(|p| p.into_inner()).pending.insert(request_id.clone(), input.clone());
                let edit = tool_kind(&tool) == "edit";
                out.push(AgentEvent::PermissionRequest { request_id, tool, input: input.to_string(), edit });
            }
            Some("control_request") => {
                // A request band does not serve (hooks, MCP): answer so the agent never waits.
                let reply = json!({
                    "type": "control_response",
                    "response": {
                        "subtype": "error",
                        "request_id": v["request_id"],
                        "error": format!("band does not handle {}", v["request"]["subtype"]),
                    },
                });
                return Parsed { events: out, replies: vec![reply.to_string()] };
            }
            _ => {}
        }
        Parsed { events: out, replies: Vec::new() }
    }
}

/// A short title: the tool and what it acts on.
fn tool_title(name: &str, input: &Value) -> String {
    let subject = ["command", "file_path", "path", "pattern", "url", "description"]
        .iter()
        .find_map(|k| input[*k].as_str())
        .unwrap_or_default();
    let subject: String = subject.chars().take(120).collect();
    if subject.is_empty() { name.to_owned() } else { format!("{name}: {subject}") }
}

/// A tool result's content: a string, or text blocks.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_while_a_tool_runs_is_a_cancelled_turn_not_a_failure() {
        let mut parser = ClaudeParser::new(Arc::default());
        for reason in ["aborted_tools", "aborted_streaming"] {
            let line = json!({
                "type": "result", "subtype": "error_during_execution", "is_error": true, "stop_reason": "tool_use",
                "terminal_reason": reason, "total_cost_usd": 0.1, "usage": {"input_tokens": 5, "output_tokens": 1},
                "errors": ["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=tool_use"],
            });
            let events = parser.parse(&line.to_string()).events;
            assert!(
                matches!(events.as_slice(), [AgentEvent::TurnEnded { stop_reason: StopReason::Cancelled, .. }]),
                "{reason}: {events:?}"
            );
        }
    }
}
