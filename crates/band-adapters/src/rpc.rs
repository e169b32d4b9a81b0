//! JSON-RPC transport glue: [`server`] serves the [`crate::api`] from band-core's services, with
//! live subscriptions fed by [`notices`]; [`client`] calls it over HTTP with the API's own types;
//! [`convert`] is the one place domain records become wire types.

pub mod client;
pub mod convert;
pub mod notices;
pub mod server;
