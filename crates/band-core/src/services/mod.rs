//! Use cases. Each service holds the ports it needs and nothing else.

pub mod access;
mod agents;
pub mod chats;
mod cronjobs;
mod fair;
mod files;
mod layouts;
pub mod lifecycle;
pub mod policies;
mod projects;
mod pulls;
mod reviews;
pub mod setup;
mod teardown;
pub mod terminals;
mod tunnels;
mod watches;
mod workspaces;

pub use access::{Access, AccessPorts, Caller, Credential, Pairing};
pub use agents::{AgentStatus, Agents};
pub use chats::{BudgetStatus, ChatPorts, Chats, CreateChat, EnvSource, Sent, TurnCap};
pub use cronjobs::{CronPatch, CronPorts, CronSpec, Cronjobs, ScheduleSpec, TargetSpec};
pub use files::Files;
pub use layouts::Layouts;
pub use lifecycle::{GcItem, GcReport, Lifecycle, WorkspaceFacts};
pub use policies::{ACTIONS_KEEP, EffectivePolicy, Policies, PolicyPorts};
pub use projects::Projects;
pub use pulls::{CreatedPull, Pulls};
pub use reviews::{CommentSpec, Reviews, SentReview};
pub use setup::{ChatDefaults, ProjectSetup, ScriptEnvSource, SetupPorts, TeardownOutcome};
pub use teardown::{ProjectRemoval, WorkspaceTeardown};
pub use terminals::{CreateTerminal, TerminalEnvSource, TerminalSubscription, Terminals};
pub use tunnels::Tunnels;
pub use watches::{WatchLease, Watches};
pub use workspaces::Workspaces;
