//! band's driven adapters to processes: the things band-core's services drive.
//!
//! - [`agents`]: the coding agents behind band-core's agent port, in their own process groups.
//! - [`terminals`]: shells on PTYs behind band-core's terminal port: scrollback, fan-out to any
//!   number of clients, and nothing left running after a kill.
//! - [`tunnels`]: cloudflared (quick and named) and bore behind band-core's tunnel port.
//! - [`github`]: pull requests through the user's own GitHub CLI (`gh`).
//! - [`project`]: a project's `.band/config.json`, and its approved setup and teardown scripts
//!   run through band-process.
//!
//! Invariants: depends on band-core and band-process, never on band-store, band-git, band-api or
//! band-server (the driving side — the API and its server — lives elsewhere); nothing here
//! serializes a domain type for a client; no process is started here except through
//! band-process's `Supervisor`, which the composition root hands to each adapter's constructor.

pub mod agents;
pub mod github;
pub mod project;
pub mod terminals;
pub mod tunnels;
