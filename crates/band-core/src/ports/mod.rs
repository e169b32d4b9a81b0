//! The ports: small role traits band-core needs from the outside world, each documented as a
//! contract. Adapters implement them (band-store, band-git, band-adapters); fakes of every port
//! live in band-testkit, with contract suites every implementation must pass.

mod agent;
mod events;
mod git;
mod store;
mod terminal;

pub use agent::{AgentEvent, AgentEvents, AgentExit, AgentHandle, AgentLaunch, AgentRuntime};
pub use events::{EventSink, Notice};
pub use git::GitRepos;
pub use store::{ChatStore, EventLog, MessageQueue, ProjectStore, TurnLog, UsageScope, WorkspaceStore};
pub use terminal::{OutputFeed, TerminalHost, TerminalProcess, TerminalSpawn};
