//! The gate every request passes before routing (SECURITY.md 2-4, 7-10, 20):
//! 1. the Host header must name this server (loopback names on the listening port, or an
//!    explicitly allowed host such as a running tunnel's) — DNS rebinding stops here;
//! 2. an Origin header, when present, must be exactly this server's own origin, on plain HTTP
//!    and WebSocket upgrades alike (`null` and other localhost ports included);
//! 3. every route needs the token unless it is listed in [`PUBLIC`];
//! 4. bodies of state-changing requests must be JSON (no form, text/plain or multipart).
//!
//! Refusals are JSON `{"error": "..."}` saying what was wrong; they never echo the token.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// Routes reachable without the token: method and exact path.
pub const PUBLIC: &[(&str, &str)] = &[("GET", "/health"), ("HEAD", "/health")];

/// Host names that reach this server besides the loopback names.
#[derive(Default)]
pub struct ExtraHosts(RwLock<BTreeSet<String>>);

impl ExtraHosts {
    /// Allows `host` (`name` or `name:port`, lowercased) until [`ExtraHosts::remove`].
    pub fn insert(&self, host: &str) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).insert(host.to_ascii_lowercase());
    }
    pub fn remove(&self, host: &str) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).remove(&host.to_ascii_lowercase());
    }
    fn contains(&self, host: &str) -> bool {
        self.0.read().unwrap_or_else(|p| p.into_inner()).contains(host)
    }
}

pub struct Guard {
    token: String,
    port: u16,
    pub extra_hosts: ExtraHosts,
}

/// How a request proved itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Bearer` (CLI, API clients): no browser can send it across origins.
    Bearer,
    /// The session cookie (the dashboard): held to the stricter browser rules.
    Cookie,
}

impl Guard {
    pub fn new(token: String, port: u16) -> Self {
        Self { token, port, extra_hosts: ExtraHosts::default() }
    }

    /// Is `authority` (a Host header value, or an origin's host[:port]) this server?
    fn is_own_authority(&self, authority: &str, default_port: u16) -> bool {
        let Some((host, port)) = split_authority(authority, default_port) else { return false };
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        (loopback && port == self.port)
            || self.extra_hosts.contains(&host)
            || self.extra_hosts.contains(&format!("{host}:{port}"))
    }

    fn token_matches(&self, candidate: &str) -> bool {
        // Constant time in the candidate's content; lengths are not secret (always 64).
        !self.token.is_empty() && bool::from(self.token.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

/// Splits `host[:port]` (IPv6 in brackets), lowercased; `None` if malformed.
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    let a = authority.trim().to_ascii_lowercase();
    if a.is_empty() || a.contains(['/', '@', ' ', '\\', '?', '#']) {
        return None;
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = format!("[{inside}]");
        match after {
            "" => (host, default_port),
            p => (host, p.strip_prefix(':')?.parse().ok()?),
        }
    } else {
        match a.split_once(':') {
            None => (a.clone(), default_port),
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port))
}

/// Parses an Origin into (scheme, authority) with the default port made explicit; `None` for
/// `null` and anything malformed.
fn parse_origin(origin: &str) -> Option<(String, String, u16)> {
    let o = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = o.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (host, port) = split_authority(rest, default_port)?;
    Some((scheme.to_owned(), host, port))
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() }).to_string();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// A browser asking for a page gets a page, anything else JSON.
fn wants_html(req: &Request<Body>) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

fn unauthorized(req: &Request<Body>, message: String) -> Response {
    if !wants_html(req) {
        return refuse(StatusCode::UNAUTHORIZED, message);
    }
    let page = format!(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>band</title>\
         <body style=\"font:16px system-ui;max-width:36em;margin:3em auto;padding:0 1em\"><h1>band</h1>\
         <p>This dashboard needs its token. Open the link <code>band-server</code> printed when it started \
         (it ends in <code>?token=...</code>), or scan the QR code from a device that is already signed in.</p>\
         <p style=\"color:#666\">{}</p>",
        escape_html(&message)
    );
    let mut res = (StatusCode::UNAUTHORIZED, page).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `GET /page?token=...`, a top-level navigation: a session cookie and a 303 to the same page
/// without the token. Anything else carrying `?token=` is refused: the token never travels in the
/// URL of an API call or a WebSocket.
fn token_exchange(guard: &Guard, req: &Request<Body>) -> Option<Response> {
    let query = req.uri().query()?;
    let token = query.split('&').find_map(|p| p.strip_prefix("token="))?;
    let headers = req.headers();
    let navigation = *req.method() == Method::GET
        && !is_websocket_upgrade(headers)
        && !req.uri().path().starts_with("/rpc")
        && headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok()).is_none_or(|m| m == "navigate")
        && headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()).is_none_or(|d| d == "document");
    if !navigation {
        return Some(refuse(
            StatusCode::BAD_REQUEST,
            "the token is accepted in the URL only when opening a page; API clients send `Authorization: Bearer <token>`",
        ));
    }
    if !guard.token_matches(token) {
        return Some(unauthorized(req, "invalid token in the link".into()));
    }
    let Some(session) = crate::session::new_session(&guard.token) else {
        return Some(refuse(StatusCode::INTERNAL_SERVER_ERROR, "no random source for a session"));
    };
    let secure = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
        || req.uri().scheme_str() == Some("https");
    let location = crate::session::without_token(req.uri().path(), Some(query));
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    if let (Ok(loc), Ok(cookie)) = (
        HeaderValue::from_str(&location),
        HeaderValue::from_str(&crate::session::set_cookie(guard.port, &session, secure)),
    ) {
        h.insert(header::LOCATION, loc);
        h.insert(header::SET_COOKIE, cookie);
    }
    Some(res)
}

fn single(headers: &HeaderMap, name: header::HeaderName) -> Result<Option<&str>, String> {
    let mut values = headers.get_all(&name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("more than one {name} header"));
    }
    first.map(|v| v.to_str().map_err(|_| format!("the {name} header is not readable text"))).transpose()
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The middleware. Runs before routing, on every request.
pub async fn check(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let mut res = match admit(&guard, &req) {
        Ok(()) => next.run(req).await,
        Err(refusal) => refusal,
    };
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // A route with a stricter policy of its own (pages, raw workspace files) keeps it; it must
    // include `frame-ancestors 'self'` itself.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'self'"));
    }
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[allow(clippy::result_large_err)] // one refusal per request; boxing buys nothing
fn admit(guard: &Guard, req: &Request<Body>) -> Result<(), Response> {
    let headers = req.headers();
    let forbidden = |m: String| refuse(StatusCode::FORBIDDEN, m);

    // 1. Host.
    let host = single(headers, header::HOST).map_err(forbidden)?;
    let Some(host) = host.or_else(|| req.uri().authority().map(|a| a.as_str())) else {
        return Err(forbidden("missing Host header".into()));
    };
    if !guard.is_own_authority(host, 80) {
        return Err(forbidden(format!(
            "host '{}' is not allowed; band answers at localhost:{} (DNS rebinding protection)",
            host.escape_debug(),
            guard.port
        )));
    }

    // 2. Origin: exactly our own, when present.
    let upgrade = is_websocket_upgrade(headers);
    let origin = single(headers, header::ORIGIN).map_err(forbidden)?;
    if let Some(origin) = origin {
        let own = parse_origin(origin).is_some_and(|(scheme, host, port)| {
            let authority = format!("{host}:{port}");
            match scheme.as_str() {
                "http" => guard.is_own_authority(&authority, 80) && !guard.extra_hosts.contains(&host),
                _ => guard.extra_hosts.contains(&host) || guard.extra_hosts.contains(&authority),
            }
        });
        if !own {
            return Err(forbidden(format!(
                "origin '{}' is not allowed; only pages served by this band-server may call it",
                origin.escape_debug()
            )));
        }
    }

    // 3. Auth, unless public.
    let public = PUBLIC.iter().any(|(m, p)| req.method().as_str() == *m && req.uri().path() == *p);
    if public {
        return Ok(());
    }
    if let Some(response) = token_exchange(guard, req) {
        return Err(response);
    }
    let unauthorized = |m: String| unauthorized(req, m);
    let auth = match single(headers, header::AUTHORIZATION).map_err(unauthorized)? {
        Some(value) => {
            let Some(token) = value.strip_prefix("Bearer ").map(str::trim) else {
                return Err(unauthorized("malformed Authorization header: expected `Bearer <token>`".into()));
            };
            if !guard.token_matches(token) {
                return Err(unauthorized("invalid token".into()));
            }
            Auth::Bearer
        }
        None => match crate::session::cookies(headers, &crate::session::cookie_name(guard.port)).as_slice() {
            [] => {
                return Err(unauthorized(
                    "missing token: send `Authorization: Bearer <token>`; the token is tokenSecret in $BAND_HOME/settings.json"
                        .into(),
                ));
            }
            [one] if crate::session::valid(&guard.token, one) => Auth::Cookie,
            [_] => {
                return Err(unauthorized(
                    "this browser's session has ended (the token changed); open the link band-server printed".into(),
                ));
            }
            _ => return Err(unauthorized("more than one session cookie".into())),
        },
    };

    // Browsers send cookies on their own, so a cookie proves less than a header: a cookie-borne
    // WebSocket or state-changing request must also say where it comes from (and the Origin was
    // checked above to be exactly ours).
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if auth == Auth::Cookie && origin.is_none() && (upgrade || changes_state) {
        return Err(forbidden("a browser request that upgrades or changes state must carry its Origin".into()));
    }

    // 4. State-changing requests carry JSON.
    if changes_state && !upgrade {
        let json = single(headers, header::CONTENT_TYPE)
            .ok()
            .flatten()
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send a JSON body with `Content-Type: application/json`",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_parsed_strictly() {
        assert_eq!(split_authority("LOCALHOST:3456", 80), Some(("localhost".into(), 3456)));
        assert_eq!(split_authority("[::1]:3456", 80), Some(("[::1]".into(), 3456)));
        assert_eq!(split_authority("[::1]", 80), Some(("[::1]".into(), 80)));
        for bad in ["", ":80", "a:b", "[::1", "[::1]x", "a/b", "u@localhost:1", "a b", "localhost:99999"] {
            assert_eq!(split_authority(bad, 80), None, "{bad:?}");
        }
    }

    #[test]
    fn origins_normalise_default_ports_and_refuse_null() {
        assert_eq!(parse_origin("HTTP://LocalHost:80"), Some(("http".into(), "localhost".into(), 80)));
        assert_eq!(parse_origin("https://x.example"), Some(("https".into(), "x.example".into(), 443)));
        for bad in ["null", "", "file://", "ws://localhost:1", "http//localhost", "http://"] {
            assert_eq!(parse_origin(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn own_authority_is_exact() {
        let g = Guard::new("t".repeat(64), 3456);
        assert!(g.is_own_authority("localhost:3456", 80));
        assert!(g.is_own_authority("127.0.0.1:3456", 80));
        assert!(g.is_own_authority("[::1]:3456", 80));
        assert!(!g.is_own_authority("localhost:3457", 80));
        assert!(!g.is_own_authority("localhost", 80));
        assert!(!g.is_own_authority("localhost.evil.com:3456", 80));
        assert!(!g.is_own_authority("127.0.0.2:3456", 80));
        g.extra_hosts.insert("abc.trycloudflare.com");
        assert!(g.is_own_authority("abc.trycloudflare.com", 443));
        assert!(!g.is_own_authority("xabc.trycloudflare.com", 443));
        g.extra_hosts.remove("abc.trycloudflare.com");
        assert!(!g.is_own_authority("abc.trycloudflare.com", 443));
    }

    #[test]
    fn tokens_compare_exactly() {
        let g = Guard::new("a".repeat(64), 1);
        assert!(g.token_matches(&"a".repeat(64)));
        assert!(!g.token_matches(&"a".repeat(63)));
        assert!(!g.token_matches(""));
        assert!(!Guard::new(String::new(), 1).token_matches(""));
    }
}
