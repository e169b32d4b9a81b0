//! bore (<https://github.com/ekzhang/bore>): a TCP tunnel through a server anyone can run
//! (`bore server`). `bore local PORT --to SERVER` logs `listening at HOST:PORT`; the public URL is
//! `http://HOST:PORT`. The secret, if any, goes through the environment (`BORE_SECRET`), never
//! argv, which other users can read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use band_core::ports::{StartedTunnel, TunnelExits, TunnelProvider};
use band_core::{TunnelError, TunnelUrl};
use band_process::Supervisor;

use super::{Launch, START_TIMEOUT, find_binary, tunnel_env};

const INSTALL: &str = "install it with `cargo install bore-cli` (https://github.com/ekzhang/bore)";

pub struct Bore {
    pub binary: Option<PathBuf>,
    /// The bore server's host (its control port is bore's fixed 7835).
    pub server: Option<String>,
    pub secret: Option<String>,
    pub start_timeout: Duration,
    supervisor: Supervisor,
}

impl Bore {
    pub fn new(
        binary: Option<PathBuf>,
        server: Option<String>,
        secret: Option<String>,
        supervisor: Supervisor,
    ) -> Self {
        Self { binary, server, secret, start_timeout: START_TIMEOUT, supervisor }
    }
}

/// The public address in bore's `listening at HOST:PORT` line.
pub fn parse_listening(line: &str) -> Option<TunnelUrl> {
    let (_, rest) = line.split_once("listening at ")?;
    let addr = rest.split_whitespace().next()?;
    TunnelUrl::parse(&format!("http://{addr}")).ok().filter(|u| !u.default_port() || addr.ends_with(":80"))
}

#[async_trait]
impl TunnelProvider for Bore {
    fn name(&self) -> &'static str {
        "bore"
    }

    async fn start(&self, target: SocketAddr, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError> {
        let server = self.server.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            TunnelError::NotConfigured(
                "a bore tunnel needs tunnel.bore.server in settings.json: the host of a bore server (`bore server`)"
                    .into(),
            )
        })?;
        if server.starts_with('-') || server.contains(char::is_whitespace) {
            return Err(TunnelError::NotConfigured(format!(
                "tunnel.bore.server '{server}' in settings.json is not a host name"
            )));
        }
        let mut env = tunnel_env();
        if let Some(secret) = &self.secret {
            env.insert("BORE_SECRET".into(), secret.clone());
        }
        let program = find_binary("bore", self.binary.as_deref(), "tunnel.bore.binary", INSTALL, &env)?;
        let launch = Launch {
            what: "bore",
            program,
            args: vec![
                "local".into(),
                target.port().to_string(),
                "--local-host".into(),
                target.ip().to_string(),
                "--to".into(),
                server.to_owned(),
            ],
            env,
            parse: Box::new(parse_listening),
            timeout: self.start_timeout,
        };
        super::start(&self.supervisor, launch, exits).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_address_is_read_from_the_log() {
        let url = parse_listening("2026-11-22T17:28:29.844874Z  INFO bore_cli::client: listening at 127.0.0.1:41069")
            .expect("url");
        assert_eq!(url.origin(), "http://127.0.0.1:41069");
        assert_eq!(parse_listening("INFO bore_cli::client: connected to server remote_port=41069"), None);
        assert_eq!(parse_listening("listening at nowhere:x"), None);
    }
}
