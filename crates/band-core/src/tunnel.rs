//! Tunnels: a public URL that reaches this server from elsewhere, and the state of the one
//! tunnel band may run at a time.

use crate::model::Millis;

/// A tunnel's public URL, parsed once: `http` or `https`, a host name (lowercased), a port.
/// Only a scheme, host and optional port are accepted: no user info, path, query or fragment, so
/// the host the guard allows is exactly the one the URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelUrl {
    scheme: &'static str,
    host: String,
    port: u16,
}

impl TunnelUrl {
    /// Parses `scheme://host[:port][/]`.
    ///
    /// # Errors
    /// A message naming what is wrong with `url`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("'{url}' is not a tunnel URL: {why}");
        let lower = url.trim().to_ascii_lowercase();
        let (scheme, rest) = lower.split_once("://").ok_or_else(|| bad("expected http://host or https://host"))?;
        let (scheme, default_port) = match scheme {
            "http" => ("http", 80),
            "https" => ("https", 443),
            _ => return Err(bad("the scheme must be http or https")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("the port is not a number from 1 to 65535"))?),
            None => (rest, default_port),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(bad("the host must be a DNS name or an IPv4 address, with nothing after it but a port"));
        }
        if port == 0 {
            return Err(bad("the port is not a number from 1 to 65535"));
        }
        Ok(Self { scheme, host: host.to_owned(), port })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the port is the scheme's default (then Host headers may leave it out).
    pub fn default_port(&self) -> bool {
        self.port == if self.scheme == "https" { 443 } else { 80 }
    }

    /// The origin a browser sends for pages under this URL (`https://name`, `http://host:port`).
    pub fn origin(&self) -> String {
        if self.default_port() {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

impl std::fmt::Display for TunnelUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin())
    }
}

/// Where the one tunnel is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TunnelState {
    #[default]
    Stopped,
    /// Its process runs; the public URL is not known yet.
    Starting {
        provider: String,
    },
    Running {
        provider: String,
        url: TunnelUrl,
        since: Millis,
    },
    /// It could not start, or its process exited on its own; `error` says why (with the last lines
    /// the process wrote).
    Failed {
        provider: String,
        error: String,
    },
}

impl TunnelState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Starting { .. } => "starting",
            Self::Running { .. } => "running",
            Self::Failed { .. } => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_strictly() {
        let u = TunnelUrl::parse("https://Random-Words.trycloudflare.com").expect("quick tunnel");
        assert_eq!(
            (u.scheme(), u.host(), u.port(), u.default_port()),
            ("https", "random-words.trycloudflare.com", 443, true)
        );
        assert_eq!(u.origin(), "https://random-words.trycloudflare.com");
        let b = TunnelUrl::parse("http://127.0.0.1:40001/").expect("bore");
        assert_eq!((b.host(), b.port(), b.origin()), ("127.0.0.1", 40001, "http://127.0.0.1:40001".to_owned()));
        for bad in [
            "",
            "ftp://a.b",
            "https://",
            "https://a.b/path",
            "https://u@a.b",
            "https://a.b:0",
            "https://a.b:x",
            "https://a..b",
            "https://-a.b",
            "https://[::1]:80",
            "https://a.b?x",
            "a.b",
        ] {
            assert!(TunnelUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
        let e = TunnelUrl::parse("gopher://x").expect_err("scheme");
        assert!(e.contains("'gopher://x'") && e.contains("http or https"), "{e}");
    }
}
