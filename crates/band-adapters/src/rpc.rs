//! JSON-RPC transport glue: [`server`] serves the [`crate::api`] from band-core's services;
//! [`client`] calls it over HTTP with the API's own types.

pub mod client;
pub mod server;
