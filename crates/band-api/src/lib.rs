//! band's API, defined once: the JSON-RPC methods and subscriptions of band-server, their params
//! and results as Rust types, who may call each, the error codes, the OpenRPC document built from
//! them, and (feature `client`) a typed client.
//!
//! - [`types`]: the wire types (camelCase on the wire; params refuse unknown fields).
//! - [`methods`]: each method is a type implementing [`Method`], declared with its scope in one
//!   `methods!` list ([`METHODS`], [`SUBSCRIPTIONS`]), so a method cannot exist unclassified.
//! - [`errors`]: the error codes, and the data every error carries: its kind, the facts, and
//!   the fix as data, which each client words for its own user.
//! - [`openrpc()`]: the OpenRPC 1.3 document, from which the dashboard's TypeScript types are
//!   generated (`web/src/api/openrpc.json`, kept current by a test here).
//! - `client` (feature `client`): the HTTP and WebSocket client the CLI and tests use.
//!
//! Invariants: depends on no band crate, so a client links nothing of the server (no SQLite, git,
//! PTYs, agents or JSON-RPC server); domain types never cross the wire — band-server converts
//! them at its edge. Enumerations are Rust enums here, so the schema (and the TypeScript) carries
//! their values instead of `string`.

mod cronjobs;
mod enums;
pub mod errors;
pub mod methods;
mod openrpc;
mod pulls;
mod reviews;
pub mod types;

#[cfg(feature = "client")]
pub mod client;

pub use cronjobs::*;
pub use enums::*;
pub use errors::{ErrorData, ErrorFix, ErrorKind, ListOf, codes};
pub use methods::*;
pub use openrpc::openrpc;
pub use pulls::*;
pub use reviews::*;
pub use types::*;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// One JSON-RPC method: its name, what it does, and its params and result types.
pub trait Method {
    const NAME: &'static str;
    const SUMMARY: &'static str;
    /// Who may call it: `read` (any credential), `control` (a control device or the main token)
    /// or `admin` (the main token only). Chosen in [`methods!`], the one place every method is
    /// classified.
    const SCOPE: Scope;
    type Params: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
    type Result: Serialize + DeserializeOwned + JsonSchema + Send + 'static;
}

/// What a credential may do, on the wire. Ordered: each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Watch: lists, chats, diffs, files, terminal output.
    Read,
    /// Act: send, approve, stop, create and remove, terminals, layouts.
    Control,
    /// Manage access itself: devices, the audit log, the token, the tunnel. The main token only.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Control => "control",
            Self::Admin => "admin",
        }
    }
}

/// Params of methods that take none (an empty object, or no params at all).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}
