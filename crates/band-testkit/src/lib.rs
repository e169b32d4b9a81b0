//! Test support shared by every crate's tests: in-memory fakes of band-core's ports, the
//! contract suites each port's implementations must pass, and fixtures (real git repositories in
//! temporary directories).
//!
//! Invariant: fakes obey the same contracts as the real adapters; the contract suites run
//! against both, so a fake that drifts fails CI. Nothing here is used by a production binary.

pub mod agent;
pub mod contract;
pub mod events;
pub mod fixtures;
pub mod gh;
pub mod git;
pub mod memory;
mod memory_cron;
pub mod names;
pub mod procs;
pub mod scripts;
pub mod terminal;
pub mod tunnel;

/// A small scripted TUI without hooks (a node script): a terminal agent whose state shows only
/// on its screen (see the script's header for its screen and its messages). Run it as a
/// terminal agent's binary with [`SCRIPTED_TUI_SCREEN`]'s patterns.
pub fn scripted_tui() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/scripted-tui.mjs")
}

/// The scripted TUI's screen patterns: working, waiting, idle.
pub const SCRIPTED_TUI_SCREEN: [&str; 3] = ["[working]", "Allow writing", "ready>"];

/// A fake ACP agent (a node script; node is there wherever the agent CLIs are): see the script's
/// header for what it does. Run it as an agent's binary.
pub fn fake_acp_agent() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fake-acp-agent.mjs")
}
