//! Agent adapters, one module per protocol, behind band-core's agent port; [`process`] is what
//! they share (line reading, the exit report, the agent's stop) on top of band-process, which
//! starts, stops and sweeps the processes.
//!
//! - [`claude`]: Claude Code, one persistent `claude` process per chat in stream-json mode, its
//!   permission prompts through the control protocol (`--permission-prompt-tool stdio`).
//! - [`codex`]: Codex's `codex app-server` JSON-RPC, approvals as server requests.
//! - [`acp`]: every ACP agent (Gemini CLI, OpenCode, Qwen Code...), JSON-RPC 2.0 over stdio,
//!   permission requests answered with the agent's own option ids.
//! - [`terminal`]: any agent's interactive CLI in a PTY (`--via terminal`, terminal agents),
//!   status from its hooks (`band notify`) or its screen.
//! - [`probe`]: finds each agent's binary and asks its version, for `agents.list`.

pub mod acp;
pub mod claude;
pub mod codex;
pub mod policy;
pub mod probe;
pub mod process;
pub mod terminal;

use std::sync::Arc;

use band_core::ports::AgentRuntime;
use band_process::Supervisor;

/// The real agent runtimes of the structured protocols (the terminal runtime needs band-server's
/// hook setup: [`terminal::TerminalRuntime`]),
/// starting their processes through `supervisor`. Which binary each agent runs is its
/// registry definition's.
pub fn runtimes(supervisor: &Supervisor) -> Vec<Arc<dyn AgentRuntime>> {
    vec![
        Arc::new(claude::ClaudeRuntime::new(supervisor.clone())),
        Arc::new(codex::CodexRuntime::new(supervisor.clone())),
        Arc::new(acp::AcpRuntime::new(supervisor.clone())),
    ]
}

/// What a tool does, in ACP's words (`read`, `edit`, `execute`...), from its name.
pub fn tool_kind(tool: &str) -> &'static str {
    match tool {
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" | "apply_patch" | "fileChange" => "edit",
        "Bash" | "exec_command" | "commandExecution" | "BashOutput" | "KillShell" => "execute",
        "Read" | "NotebookRead" | "view_image" => "read",
        "Glob" | "Grep" | "LS" | "tool_search" => "search",
        "WebFetch" | "WebSearch" | "web_search" => "fetch",
        "Task" | "Agent" => "think",
        _ => "other",
    }
}

/// Tool output kept per update; the rest is cut with a note.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// `s` cut to [`MAX_OUTPUT`] bytes (on a character boundary), saying how much was left out.
pub fn truncate(s: &str) -> String {
    if s.len() <= MAX_OUTPUT {
        return s.to_owned();
    }
    let mut end = MAX_OUTPUT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[... {} more bytes not shown]", &s[..end], s.len() - end)
}
