//! The agent port: a running coding agent, seen through ACP-shaped updates. Adapters (Claude
//! Code's stream-json, Codex's app-server, ACP agents) translate their protocol into these.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;

use crate::error::AgentError;
use crate::model::{AgentKind, PermissionMode};

/// How to start an agent for one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLaunch {
    pub kind: AgentKind,
    /// The workspace directory the agent works in.
    pub cwd: PathBuf,
    pub model: Option<String>,
    pub mode: PermissionMode,
    /// The agent's own session id from an earlier run, to resume.
    pub resume: Option<String>,
    /// The complete environment of the agent process (already allow-listed by the caller).
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolCallStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    MaxTurnRequests,
    Refusal,
    Cancelled,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_usd: Option<f64>,
}

/// What an agent reports, shaped after ACP `session/update` plus the permission request.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The agent's own session id, once known (for resume).
    SessionStarted {
        session_id: String,
    },
    MessageChunk {
        text: String,
    },
    ThoughtChunk {
        text: String,
    },
    ToolCall {
        id: String,
        title: String,
        kind: String,
        input: String,
    },
    ToolCallUpdate {
        id: String,
        status: ToolCallStatus,
        output: Option<String>,
    },
    Plan {
        entries: Vec<String>,
    },
    Usage(Usage),
    /// The agent asks before running a tool; answered with [`AgentSession::respond`].
    PermissionRequest {
        request_id: String,
        tool: String,
        input: String,
    },
    TurnEnded {
        stop_reason: StopReason,
        usage: Option<Usage>,
    },
    /// The turn failed; the process may still be alive.
    TurnFailed {
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionDecision {
    Allow,
    Deny,
}

/// Starts agents of one kind.
#[async_trait]
pub trait AgentRuntime: Send + Sync {
    fn kind(&self) -> AgentKind;

    /// Starts the agent process in its own process group.
    ///
    /// # Errors
    /// [`AgentError::BinaryMissing`] naming the package to install when the binary is absent.
    async fn launch(&self, launch: AgentLaunch) -> Result<Box<dyn AgentSession>, AgentError>;
}

/// One live agent process serving one chat.
#[async_trait]
pub trait AgentSession: Send {
    /// Starts a turn with the user's text; updates arrive through [`AgentSession::next_event`].
    async fn prompt(&mut self, text: &str) -> Result<(), AgentError>;

    /// The next update; `None` once the process has exited and every update was delivered.
    async fn next_event(&mut self) -> Option<AgentEvent>;

    /// # Errors
    /// [`AgentError::Protocol`] when no such request is pending.
    async fn respond(&mut self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError>;

    /// Asks the agent to end the current turn early.
    async fn interrupt(&mut self) -> Result<(), AgentError>;

    /// Ends the process group: TERM, a grace period, KILL. Nothing it started survives.
    async fn stop(self: Box<Self>) -> Result<(), AgentError>;
}
