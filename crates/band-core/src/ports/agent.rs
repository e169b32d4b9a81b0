//! The agent port: a running coding agent, seen through ACP-shaped updates. Adapters (Claude
//! Code's stream-json, Codex's app-server, ACP agents) translate their protocol into these.
//!
//! The port is push-based: the adapter owns the process and its reader, and calls
//! [`AgentEvents`] for what the agent says, in order; band calls [`AgentHandle`] to talk back.
//! So band-core needs no runtime of its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::agents::{AgentDefinition, AgentProtocol};
use crate::chat::{AgentUpdate, PermissionDecision, StopReason, Usage};
use crate::error::AgentError;
use crate::model::{ChatId, PermissionMode};
use crate::names::ModelName;
use crate::ports::TerminalProcess;

/// How to start an agent for one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLaunch {
    /// The chat it runs for (a terminal agent's hooks name it).
    pub chat: ChatId,
    /// Which agent, as the registry defines it: its binary, arguments and how to install it.
    pub agent: AgentDefinition,
    /// The workspace directory the agent works in.
    pub cwd: PathBuf,
    pub model: Option<ModelName>,
    pub mode: PermissionMode,
    /// The agent's own session id from an earlier run, to resume.
    pub resume: Option<String>,
    /// The complete environment of the agent process, already allow-listed (see
    /// [`crate::agent_env`]); the agent's binary is looked up on its `PATH`.
    pub env: BTreeMap<String, String>,
    /// A policy judges tool calls: the agent must ask band for every call it can route through
    /// band, whatever `mode` says (its own allow-lists would otherwise skip band).
    pub ask_every_call: bool,
}

/// What an agent says.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The agent's own session id, once known (for resume).
    SessionStarted {
        session_id: String,
    },
    Update(AgentUpdate),
    /// The agent asks before running a tool; answered with [`AgentHandle::respond`]. `input` is
    /// JSON text; `edit` is true for tools that only change files (Write, Edit...).
    PermissionRequest {
        request_id: String,
        tool: String,
        input: String,
        edit: bool,
    },
    /// The turn is over; `usage` is the turn's total when the agent reports one.
    TurnEnded {
        stop_reason: StopReason,
        usage: Option<Usage>,
    },
    /// The turn failed, but the process lives on.
    TurnFailed {
        message: String,
        usage: Option<Usage>,
    },
    /// Something a person should know that is not the agent's output (a session that could not
    /// be resumed...); logged as an error event, the turn goes on.
    Notice {
        message: String,
    },
}

/// How an agent process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentExit {
    /// True when the process ended through [`AgentHandle::stop`].
    pub requested: bool,
    /// Exit code, or the signal, in words (`"exit code 1"`, `"killed by signal 9"`).
    pub status: String,
    /// The last lines the agent wrote to stderr, for the error message.
    pub stderr_tail: String,
}

/// Receives one agent session's events.
///
/// Adapters MUST call these in order and never concurrently for one session, and MUST await each
/// call before reading more from the agent (so a slow receiver slows only its own agent).
/// [`AgentEvents::on_exit`] comes last, exactly once, after every event.
#[async_trait]
pub trait AgentEvents: Send + Sync {
    async fn on_event(&self, event: AgentEvent);
    async fn on_exit(&self, exit: AgentExit);
}

/// Starts the agents of one protocol (every agent of the registry with that protocol).
#[async_trait]
pub trait AgentRuntime: Send + Sync {
    fn protocol(&self) -> AgentProtocol;

    /// Whether `agent` could be started with `env` (its binary is there), without starting it:
    /// checked before anything is made for a chat that would run it.
    ///
    /// # Errors
    /// [`AgentError::BinaryMissing`] as [`AgentRuntime::launch`].
    fn check(&self, agent: &AgentDefinition, env: &BTreeMap<String, String>) -> Result<(), AgentError> {
        let _ = (agent, env);
        Ok(())
    }

    /// Starts the agent process, in its own process group, ready for a first prompt.
    ///
    /// # Errors
    /// [`AgentError::BinaryMissing`] (with the definition's install hint) when the binary is
    /// absent; [`AgentError::Exited`] when it dies during its handshake;
    /// [`AgentError::Protocol`] when it does not answer its handshake in time or answers
    /// something else.
    async fn launch(
        &self,
        launch: AgentLaunch,
        events: Arc<dyn AgentEvents>,
    ) -> Result<Arc<dyn AgentHandle>, AgentError>;
}

/// Talks to one live agent process.
#[async_trait]
pub trait AgentHandle: Send + Sync {
    /// Starts a turn with the user's text.
    async fn prompt(&self, text: &str) -> Result<(), AgentError>;

    /// # Errors
    /// [`AgentError::Protocol`] when no such request is pending.
    async fn respond(&self, request_id: &str, decision: PermissionDecision) -> Result<(), AgentError>;

    /// Denies a pending permission request, telling the agent why (a policy's rule), where its
    /// protocol carries a reason; by default a plain deny.
    async fn refuse(&self, request_id: &str, reason: &str) -> Result<(), AgentError> {
        let _ = reason;
        self.respond(request_id, PermissionDecision::Deny).await
    }

    /// Asks the agent to end the current turn early; the process lives on.
    async fn interrupt(&self) -> Result<(), AgentError>;

    /// Ends the process group: TERM, a grace period, KILL. Nothing it started survives, and
    /// `on_exit` follows with `requested: true`. MUST NOT wait for the event receiver.
    async fn stop(&self) -> Result<(), AgentError>;

    /// band-server is shutting down: ends the process as [`AgentHandle::stop`] does, unless the
    /// agent is meant to outlive band (a terminal agent inside tmux), in which case only band's
    /// side of it goes.
    async fn detach(&self) -> Result<(), AgentError> {
        self.stop().await
    }

    /// The process id (also its process group id).
    fn pid(&self) -> Option<u32>;

    /// The terminal it runs in, for a terminal agent: people watch it and type into it.
    fn terminal(&self) -> Option<Arc<dyn TerminalProcess>> {
        None
    }
}

/// What is known of an agent's program on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentPresence {
    /// Not on the agent's PATH (or not at its configured path).
    Missing,
    Installed {
        path: PathBuf,
        /// What its version probe printed (its first line), when it answered in time.
        version: Option<String>,
        /// Why there is no version: the probe failed or timed out.
        problem: Option<String>,
    },
}

/// Finds agents' programs and asks their versions.
#[async_trait]
pub trait AgentProbe: Send + Sync {
    /// Looks for `agent`'s binary on `env`'s PATH (or at its absolute path) and runs it with its
    /// `version_args`, through the process supervisor, for at most a few seconds. MAY cache the
    /// answer for as long as the binary's path, size and modification time stay the same. Never
    /// fails: what went wrong is in the presence's `problem`.
    async fn probe(&self, agent: &AgentDefinition, env: &BTreeMap<String, String>) -> AgentPresence;
}
