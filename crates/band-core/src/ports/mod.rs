//! The ports: small role traits band-core needs from the outside world, each documented as a
//! contract. Adapters implement them (band-store, band-git, band-files, band-adapters); fakes of
//! the stores, git, agents and tunnels live in band-testkit, with contract suites every implementation must
//! pass (the files port is tested on real directories: its contract is about the file system).

mod access;
mod agent;
mod cron;
mod events;
mod files;
mod git;
mod policy;
mod project;
mod pulls;
mod store;
mod terminal;
mod transcripts;
mod tunnel;

pub use access::{Background, Clock, MainTokenStore, Secrets};
pub use agent::{
    AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentPresence, AgentProbe, AgentRuntime,
};
pub use cron::{CronCalendar, CronStore};
pub use events::{EventSink, Notice};
pub use files::{FileWatcher, WatchEvent, WatchSink, Watching, WorkspaceFiles};
pub use git::GitRepos;
pub use policy::{ActionAudit, ActionEntry, ActionFilter, ActionKind, NewAction, PolicyStore, ToolClassifier};
pub use project::{
    FinishedRun, ProjectConfigs, ProjectTrustStore, ScriptHandle, ScriptOutput, ScriptRunStore, ScriptRunner,
    ScriptSpec,
};
pub use pulls::PullRequests;
pub use store::{
    AuditLog, ChatStore, DeviceStore, EventLog, LayoutStore, MessageQueue, ProjectStore, ReviewStore, TurnLog,
    UsageScope, WorkspaceStore,
};
pub use terminal::{OutputFeed, TerminalHost, TerminalProcess, TerminalSpawn};
pub use transcripts::TranscriptSink;
pub use tunnel::{HostAllowList, StartedTunnel, TunnelExits, TunnelProcess, TunnelProvider};
