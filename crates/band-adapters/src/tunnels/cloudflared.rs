//! cloudflared: quick tunnels (`cloudflared tunnel --url ...`, a random `*.trycloudflare.com`
//! URL printed in a box on stderr) and named tunnels (`cloudflared tunnel run NAME`, served at the
//! hostname the user routed to it in Cloudflare's DNS; ready once a connection is registered).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use band_core::ports::{StartedTunnel, TunnelExits, TunnelProvider};
use band_core::{TunnelError, TunnelUrl};
use band_process::Supervisor;

use super::{Launch, START_TIMEOUT, find_binary, tunnel_env};

const INSTALL: &str =
    "install it from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/";

/// A quick tunnel: no account, a new random URL each time.
pub struct CloudflaredQuick {
    /// The program; `cloudflared` on PATH when absent.
    pub binary: Option<PathBuf>,
    pub start_timeout: Duration,
    supervisor: Supervisor,
}

impl CloudflaredQuick {
    pub fn new(binary: Option<PathBuf>, supervisor: Supervisor) -> Self {
        Self { binary, start_timeout: START_TIMEOUT, supervisor }
    }
}

/// The quick tunnel's URL in one line of cloudflared's log: the line of the box that holds
/// `https://<name>.trycloudflare.com` (never `api.trycloudflare.com`, which its errors mention).
pub fn parse_quick_url(line: &str) -> Option<TunnelUrl> {
    if !line.contains('|') {
        return None;
    }
    line.split(|c: char| c.is_whitespace() || c == '|').find_map(|word| {
        let name = word.strip_prefix("https://")?.strip_suffix(".trycloudflare.com")?;
        let plain = !name.is_empty() && name != "api" && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if plain { TunnelUrl::parse(word).ok() } else { None }
    })
}

#[async_trait]
impl TunnelProvider for CloudflaredQuick {
    fn name(&self) -> &'static str {
        "cloudflared"
    }

    async fn start(&self, target: SocketAddr, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError> {
        let env = tunnel_env();
        let program = find_binary("cloudflared", self.binary.as_deref(), "tunnel.cloudflared.binary", INSTALL, &env)?;
        let launch = Launch {
            what: "cloudflared",
            program,
            args: vec!["tunnel".into(), "--no-autoupdate".into(), "--url".into(), format!("http://{target}")],
            env,
            parse: Box::new(parse_quick_url),
            timeout: self.start_timeout,
        };
        super::start(&self.supervisor, launch, exits).await
    }
}

/// A named tunnel: created beforehand with `cloudflared tunnel create NAME`, its hostname routed
/// to it with `cloudflared tunnel route dns NAME HOSTNAME`.
pub struct CloudflaredNamed {
    pub binary: Option<PathBuf>,
    /// The tunnel's name (or id).
    pub tunnel: Option<String>,
    /// The public hostname routed to the tunnel.
    pub hostname: Option<String>,
    /// The tunnel's credentials file; cloudflared looks in `~/.cloudflared` when absent.
    pub credentials_file: Option<PathBuf>,
    pub start_timeout: Duration,
    supervisor: Supervisor,
}

impl CloudflaredNamed {
    pub fn new(
        binary: Option<PathBuf>,
        tunnel: Option<String>,
        hostname: Option<String>,
        credentials_file: Option<PathBuf>,
        supervisor: Supervisor,
    ) -> Self {
        Self { binary, tunnel, hostname, credentials_file, start_timeout: START_TIMEOUT, supervisor }
    }

    /// The settings, checked: the tunnel's name and its URL.
    fn checked(&self) -> Result<(String, TunnelUrl), TunnelError> {
        let missing = |field: &str| {
            TunnelError::NotConfigured(format!(
                "a named cloudflared tunnel needs tunnel.cloudflared.{field} in settings.json \
                 (create one with `cloudflared tunnel create NAME` and route a hostname to it with \
                 `cloudflared tunnel route dns NAME HOSTNAME`)"
            ))
        };
        let name =
            self.tunnel.as_deref().map(str::trim).filter(|n| !n.is_empty()).ok_or_else(|| missing("tunnelName"))?;
        if name.starts_with('-') || name.contains(char::is_whitespace) {
            return Err(TunnelError::NotConfigured(format!(
                "tunnel.cloudflared.tunnelName '{name}' in settings.json is not a tunnel name (no spaces, no leading '-')"
            )));
        }
        let hostname =
            self.hostname.as_deref().map(str::trim).filter(|h| !h.is_empty()).ok_or_else(|| missing("hostname"))?;
        let url = TunnelUrl::parse(&format!("https://{hostname}"))
            .ok()
            .filter(|u| u.default_port())
            .ok_or_else(|| {
                TunnelError::NotConfigured(format!(
                    "tunnel.cloudflared.hostname '{hostname}' in settings.json is not a host name (e.g. band.example.com)"
                ))
            })?;
        Ok((name.to_owned(), url))
    }
}

/// cloudflared's line once the tunnel serves: `Registered tunnel connection connIndex=0 ...`.
pub fn is_registered(line: &str) -> bool {
    line.contains("Registered tunnel connection")
}

#[async_trait]
impl TunnelProvider for CloudflaredNamed {
    fn name(&self) -> &'static str {
        "cloudflared-named"
    }

    async fn start(&self, target: SocketAddr, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError> {
        let (name, url) = self.checked()?;
        let env = tunnel_env();
        let program = find_binary("cloudflared", self.binary.as_deref(), "tunnel.cloudflared.binary", INSTALL, &env)?;
        let mut args: Vec<String> =
            vec!["tunnel".into(), "--no-autoupdate".into(), "run".into(), "--url".into(), format!("http://{target}")];
        if let Some(file) = &self.credentials_file {
            args.push("--credentials-file".into());
            args.push(file.display().to_string());
        }
        args.push(name);
        let launch = Launch {
            what: "cloudflared",
            program,
            args,
            env,
            parse: Box::new(move |line| is_registered(line).then(|| url.clone())),
            timeout: self.start_timeout,
        };
        super::start(&self.supervisor, launch, exits).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_url_is_read_from_the_box() {
        let lines = [
            "2026-11-22T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...",
            "2026-11-22T10:00:01Z INF +--------------------------------------------------------------------------------------------+",
            "2026-11-22T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |",
            "2026-11-22T10:00:01Z INF |  https://random-words-here.trycloudflare.com                                               |",
        ];
        let found: Vec<_> = lines.iter().filter_map(|l| parse_quick_url(l)).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].origin(), "https://random-words-here.trycloudflare.com");
        for not in [
            "2026-11-22T10:00:01Z ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\"",
            "|  https://api.trycloudflare.com  |",
            "|  https://evil.com/.trycloudflare.com  |",
            "|  https://a.b.trycloudflare.com.evil.com  |",
            "https://plain-words.trycloudflare.com",
        ] {
            assert_eq!(parse_quick_url(not), None, "{not}");
        }
    }

    #[test]
    fn a_named_tunnel_needs_its_name_and_hostname() {
        let named = |t: Option<&str>, h: Option<&str>| {
            CloudflaredNamed::new(None, t.map(str::to_owned), h.map(str::to_owned), None, Supervisor::new()).checked()
        };
        let e = named(None, Some("band.example.com")).expect_err("no name");
        assert!(e.to_string().contains("needs tunnel.cloudflared.tunnelName"), "{e}");
        let e = named(Some("band"), None).expect_err("no hostname");
        assert!(e.to_string().contains("needs tunnel.cloudflared.hostname"), "{e}");
        let e = named(Some("band"), Some("https://x/y")).expect_err("not a host");
        assert!(e.to_string().contains("is not a host name"), "{e}");
        let e = named(Some("--url"), Some("a.b")).expect_err("flag");
        assert!(e.to_string().contains("is not a tunnel name"), "{e}");
        let (name, url) = named(Some("band"), Some("Band.Example.com")).expect("ok");
        assert_eq!((name.as_str(), url.origin()), ("band", "https://band.example.com".to_owned()));
        assert!(is_registered("2026-11-22T10:00:02Z INF Registered tunnel connection connIndex=0 connection=abc"));
    }
}
