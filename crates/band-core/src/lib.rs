//! band's pure domain: the types, the ports (traits) and the use-case services.
//!
//! Everything else in band is an adapter of this crate or a composition root that wires adapters
//! to it. Invariants, checked by `tests/tidy.rs` at the workspace root:
//! - band-core depends on no other band crate and on no I/O crate: no tokio, diesel, gix,
//!   jsonrpsee, serde. It never touches the file system, the network or a process itself; it asks
//!   its ports.
//! - Domain values are built through validating constructors ([`ProjectName::new`],
//!   [`BranchName::new`], [`GitRef::new`], [`WorkspacePath::new`]), so an invalid request cannot
//!   reach an adapter.
//! - Types here are not serializable by design: wire and storage shapes live at the edges
//!   (band-adapters' `api`, band-store's rows) and convert from these.

mod access;
mod agents;
mod chat;
mod config;
mod cron;
mod env;
mod error;
mod files;
mod model;
mod names;
mod policy;
pub mod ports;
mod prices;
mod pulls;
mod review;
pub mod services;
mod terminal;
mod transcript;
mod tunnel;

pub use access::*;
pub use agents::{
    AgentDefinition, AgentId, AgentOverride, AgentProtocol, AgentRegistry, Install, ScreenPatterns, TerminalHooks,
    TerminalProfile,
};
pub use chat::*;
pub use config::*;
pub use cron::*;
pub use env::{ScriptPlace, agent_env, gh_env, script_env, terminal_env, tunnel_env};
pub use error::{
    AgentError, ConfigError, CoreError, FileError, Fix, GitError, ListOf, Problem, PullError, ScriptError, StoreError,
    TerminalError, TunnelError,
};
pub use files::{DirEntry, EntryKind, FileBytes, Listing, WorkspacePath, human_size, is_git_dir_name};
pub use model::*;
pub use names::{
    BranchName, ChatName, DeviceName, GitRef, LabelKey, Labels, ModelName, NameError, ProjectName, WorkspaceSelector,
    shown,
};
pub use policy::{
    BUDGET_REACHED, BUDGET_WARNING, EffectiveRule, Glob, PUSH_REFUSED_URL, Policy, PolicyAssignment, PolicyKey,
    PolicyRules, PolicyScope, PolicyValue, PolicyValueKind, Refusal, ToolAction, ToolCall, check_tightens,
    dollars_to_micros, mentions_git_push, refuse_git_push, usd,
};
pub use prices::{Price, Prices};
pub use pulls::{CheckOutcome, NewPullRequest, PullCheck, PullRef, PullRequest, PullState};
pub use review::{DiffSide, LineRange, NewReviewComment, ReviewComment, ReviewCommentId, review_message};
pub use terminal::*;
pub use transcript::{Transcript, TranscriptPermission, TranscriptTool, TranscriptTurn};
pub use tunnel::{TunnelState, TunnelUrl};
