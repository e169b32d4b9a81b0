//! band's adapters to wires and processes.
//!
//! - [`api`]: the JSON-RPC API, defined once: every method's name, params and result as Rust
//!   types. The server, the CLI, the OpenRPC document (`rpc.discover`) and the dashboard's
//!   TypeScript types all derive from these definitions.
//! - [`rpc`]: the transport glue: the jsonrpsee module that serves [`api`] from band-core's
//!   services (mapping every domain error to a JSON-RPC error in one place), and a typed client.
//! - [`agents`]: the coding agents behind band-core's agent port, in their own process groups.
//! - [`terminals`]: shells on PTYs behind band-core's terminal port: scrollback, fan-out to any
//!   number of clients, and nothing left running after a kill.
//! - [`tunnels`]: cloudflared (quick and named) and bore behind band-core's tunnel port.
//!
//! Invariants: depends on band-core and band-process and never on band-store, band-git or
//! band-server; domain types are converted to wire types here and never serialized directly;
//! no process is started here except through band-process's `Supervisor`, which the composition
//! root hands to each adapter's constructor.

pub mod agents;
pub mod api;
pub mod rpc;
pub mod terminals;
pub mod tunnels;
