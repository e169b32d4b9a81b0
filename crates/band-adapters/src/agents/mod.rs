//! Agent adapters, one module per protocol, behind band-core's agent port; [`process`] is what
//! they share (line reading, the exit report, the agent's stop) on top of band-process, which
//! starts, stops and sweeps the processes.
//!
//! - [`claude`]: Claude Code, one persistent `claude` process per chat in stream-json mode, its
//!   permission prompts through the control protocol (`--permission-prompt-tool stdio`).
//! - [`codex`]: Codex's `codex app-server` JSON-RPC, approvals as server requests.

pub mod claude;
pub mod codex;
pub mod process;

use std::collections::BTreeMap;
use std::sync::Arc;

use band_core::ports::AgentRuntime;
use band_process::Supervisor;

/// The real agent runtimes, with binaries configured in settings (agent name to path), starting
/// their processes through `supervisor`.
pub fn runtimes(binaries: &BTreeMap<String, String>, supervisor: &Supervisor) -> Vec<Arc<dyn AgentRuntime>> {
    vec![
        Arc::new(claude::ClaudeRuntime::new(binaries.get("claude-code").cloned(), supervisor.clone())),
        Arc::new(codex::CodexRuntime::new(binaries.get("codex").cloned(), supervisor.clone())),
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
