//! The gate every request passes before routing (SECURITY.md 2-5, 7-11, 20):
//! 1. the Host header (and an absolute-form target's authority) must name this server (loopback
//!    names on the listening port, or an explicitly allowed host such as a running tunnel's) —
//!    DNS rebinding stops here;
//! 2. an Origin header, when present, must be exactly this server's own origin (or an allowed
//!    one: the tunnel's, the LAN address's), on plain HTTP and WebSocket upgrades alike (`null`
//!    and other localhost ports refused);
//! 3. every route needs a credential unless it is listed in [`PUBLIC`]: the main token, a
//!    device's token, or a session cookie (see [`crate::access`]); and the credential's scope
//!    must cover the route ([`route_scope`]; JSON-RPC methods are checked one by one against
//!    their classification in band-adapters' `api`);
//! 4. bodies of state-changing requests must be JSON (no form, text/plain or multipart).
//!
//! `?token=` and `?pair=` on a top-level page request become a session cookie and a 303 to the
//! same page without them. Refusals (401, 403) are audited, rate-limited.
//!
//! Trust comes from the credential alone (SECURITY.md 11): never from the peer's address — a
//! tunnel's requests arrive from 127.0.0.1 — and never from forwarded headers
//! (`X-Forwarded-For`, `X-Forwarded-Host`, `Forwarded`...), which this module does not read for
//! identity (the peer address is only written to the audit log).
//!
//! Refusals are JSON `{"error": "..."}` saying what was wrong; they never echo the token.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use band_core::{AuditKind, Scope};

use crate::access::{Auth as Credentials, SocketOwner};
use crate::session::Subject;
use band_core::services::{Caller, Credential};

/// Routes reachable without a credential: method and exact path. `POST /pair` takes a pairing
/// code, which is itself the credential.
pub const PUBLIC: &[(&str, &str)] = &[("GET", "/health"), ("HEAD", "/health"), ("POST", "/pair"), ("POST", "/notify")];

/// The scope a route needs, the one place routes are classified: a terminal's WebSocket types
/// into a shell, so it needs `control`; everything else (`/rpc`, whose methods are checked one
/// by one, raw files, pages) needs `read`.
pub fn route_scope(method: &Method, path: &str) -> Scope {
    let terminal_ws = path.strip_prefix("/terminals/").is_some_and(|rest| rest.ends_with("/ws"));
    if terminal_ws || !matches!(*method, Method::GET | Method::HEAD | Method::POST) {
        return Scope::Control;
    }
    Scope::Read
}

/// Names that reach this server besides the loopback names on its port: a running tunnel's
/// exact host (and origin), and in LAN mode the bound address and `allowedHosts`. Each is kept as
/// exact strings and compared exactly, never by prefix or suffix (SECURITY.md 2, 9).
#[derive(Default)]
pub struct Allowed {
    /// `host:port`, plus the bare `host` when the port is its scheme's default (a Host header
    /// may leave it out then).
    hosts: RwLock<BTreeSet<String>>,
    /// `scheme://host:port`, the port always explicit.
    origins: RwLock<BTreeSet<String>>,
}

impl Allowed {
    /// Admits `scheme://host:port` (the host lowercased, IPv6 in brackets) until
    /// [`Allowed::revoke`].
    pub fn allow(&self, scheme: &str, host: &str, port: u16) {
        let (hosts, origin) = Self::entries(scheme, host, port);
        let mut h = self.hosts.write().unwrap_or_else(|p| p.into_inner());
        h.extend(hosts);
        self.origins.write().unwrap_or_else(|p| p.into_inner()).insert(origin);
    }

    pub fn revoke(&self, scheme: &str, host: &str, port: u16) {
        let (hosts, origin) = Self::entries(scheme, host, port);
        let mut h = self.hosts.write().unwrap_or_else(|p| p.into_inner());
        for host in hosts {
            h.remove(&host);
        }
        self.origins.write().unwrap_or_else(|p| p.into_inner()).remove(&origin);
    }

    fn entries(scheme: &str, host: &str, port: u16) -> (Vec<String>, String) {
        let (scheme, host) = (scheme.to_ascii_lowercase(), host.to_ascii_lowercase());
        let default = matches!((scheme.as_str(), port), ("http", 80) | ("https", 443));
        let mut hosts = vec![format!("{host}:{port}")];
        if default {
            hosts.push(host.clone());
        }
        (hosts, format!("{scheme}://{host}:{port}"))
    }

    /// A Host header's (host, port if it named one).
    fn has_host(&self, host: &str, port: Option<u16>) -> bool {
        let key = match port {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        self.hosts.read().unwrap_or_else(|p| p.into_inner()).contains(&key)
    }

    fn has_origin(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.origins.read().unwrap_or_else(|p| p.into_inner()).contains(&format!("{scheme}://{host}:{port}"))
    }
}

impl band_core::ports::HostAllowList for Allowed {
    fn allow(&self, url: &band_core::TunnelUrl) {
        Allowed::allow(self, url.scheme(), url.host(), url.port());
    }
    fn revoke(&self, url: &band_core::TunnelUrl) {
        Allowed::revoke(self, url.scheme(), url.host(), url.port());
    }
}

pub struct Guard {
    pub auth: Arc<Credentials>,
    port: u16,
    pub allowed: Arc<Allowed>,
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
    pub fn new(auth: Arc<Credentials>, port: u16) -> Self {
        Self::with_allowed(auth, port, Arc::default())
    }

    /// A guard that also admits what `allowed` holds (shared with the tunnel service).
    pub fn with_allowed(auth: Arc<Credentials>, port: u16, allowed: Arc<Allowed>) -> Self {
        auth.set_port(port);
        Self { auth, port, allowed }
    }

    /// Is this Host header value this server?
    fn is_own_host(&self, authority: &str) -> bool {
        let Some((host, port)) = split_authority(authority) else { return false };
        let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        (loopback && port.unwrap_or(80) == self.port) || self.allowed.has_host(&host, port)
    }

    /// Is this (parsed) Origin this server's own: a loopback page on its port, or an allowed one?
    fn is_own_origin(&self, scheme: &str, host: &str, port: u16) -> bool {
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        (scheme == "http" && loopback && port == self.port) || self.allowed.has_origin(scheme, host, port)
    }
}

/// Splits `host[:port]` (IPv6 in brackets), lowercased, with the port if one is given; `None` if
/// malformed.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let a = authority.trim().to_ascii_lowercase();
    if a.is_empty() || a.contains(['/', '@', ' ', '\\', '?', '#']) {
        return None;
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = format!("[{inside}]");
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?.parse().ok()?)),
        }
    } else {
        match a.split_once(':') {
            None => (a.clone(), None),
            Some((h, p)) => (h.to_owned(), Some(p.parse().ok()?)),
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
    let (host, port) = split_authority(rest)?;
    Some((scheme.to_owned(), host, port.unwrap_or(default_port)))
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
    if !is_navigation(req) {
        return Some(refuse(
            StatusCode::BAD_REQUEST,
            "the token is accepted in the URL only when opening a page; API clients send `Authorization: Bearer <token>`",
        ));
    }
    let Some((caller, credential)) = guard.auth.bearer(token, remote(req)) else {
        guard.auth.refusal(AuditKind::Refused, Some(anonymous(req)), "invalid token in a sign-in link".into());
        return Some(unauthorized(req, "invalid token in the link".into()));
    };
    let subject = credential.device.map_or(Subject::Main, |d| Subject::Device(d.0));
    let access = guard.auth.access.clone();
    tokio::spawn(async move {
        access.audit(AuditKind::SignedIn, Some(&caller), "signed in with a token link".into()).await
    });
    Some(signed_in(guard, req, subject, "token"))
}

/// A top-level navigation to a page (not an API call, a WebSocket or a subresource).
fn is_navigation(req: &Request<Body>) -> bool {
    let headers = req.headers();
    *req.method() == Method::GET
        && !is_websocket_upgrade(headers)
        && !req.uri().path().starts_with("/rpc")
        && headers.get("sec-fetch-mode").and_then(|v| v.to_str().ok()).is_none_or(|m| m == "navigate")
        && headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()).is_none_or(|d| d == "document")
}

/// `GET /page?pair=<code>`: redeems the code, signs the browser in as the new device, and
/// redirects to the page without the code.
async fn pair_exchange(guard: &Guard, req: Request<Body>, code: &str) -> Response {
    if !is_navigation(&req) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a pairing code is accepted in the URL only when opening a page; API clients POST it to /pair",
        );
    }
    let from = remote(&req);
    match guard.auth.access.redeem(code, from).await {
        Ok((device, _token)) => signed_in(guard, &req, Subject::Device(device.id.0), "pair"),
        Err(e) => unauthorized(&req, e.problem().map_or_else(|| e.to_string(), crate::rpc::problem_message)),
    }
}

/// A session cookie for `subject` and a 303 to the same page without the `param` that signed in.
fn signed_in(guard: &Guard, req: &Request<Body>, subject: Subject, param: &str) -> Response {
    let headers = req.headers();
    let Some(session) = guard.auth.new_session(subject) else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "no random source for a session");
    };
    let secure = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
        || req.uri().scheme_str() == Some("https");
    let location = crate::session::without_param(req.uri().path(), req.uri().query(), param);
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    if let (Ok(loc), Ok(cookie)) = (
        HeaderValue::from_str(&location),
        HeaderValue::from_str(&crate::session::set_cookie(guard.port, &session, secure)),
    ) {
        h.insert(header::LOCATION, loc);
        h.insert(header::SET_COOKIE, cookie);
    }
    res
}

/// The peer's address as this server saw it (never a forwarded header).
fn remote(req: &Request<Body>) -> Option<String> {
    req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.to_string())
}

/// The revoked device whose cookie or token a refused request carried, if any.
fn revoked_caller(guard: &Guard, req: &Request<Body>) -> Option<Caller> {
    let headers = req.headers();
    let bearer = single(headers, header::AUTHORIZATION)
        .ok()
        .flatten()
        .and_then(|v| v.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")))
        .map(|(_, token)| token.trim().to_owned());
    let cookies = crate::session::cookies(headers, &crate::session::cookie_name(guard.port));
    let cookie = match cookies.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    };
    guard.auth.revoked(cookie.as_deref(), bearer.as_deref(), remote(req))
}

fn anonymous(req: &Request<Body>) -> Caller {
    Caller { scope: Scope::Read, device: None, remote: remote(req) }
}

/// What the guard decided to let through.
enum Admitted {
    Public,
    /// A page request carrying a pairing code.
    Pair(String),
    Caller(Caller, Credential, SocketOwner),
}

fn single(headers: &HeaderMap, name: header::HeaderName) -> Result<Option<&str>, String> {
    let mut values = headers.get_all(&name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("more than one {name} header"));
    }
    first.map(|v| v.to_str().map_err(|_| format!("the {name} header is not readable text"))).transpose()
}

/// The refusal of a state-changing body that is not JSON.
pub const JSON_ONLY: &str = "send a JSON body with `Content-Type: application/json`";

/// Does the request carry exactly one `Content-Type`, `application/json` (parameters allowed)?
/// Form, text/plain and multipart bodies — what a page can send without a preflight — are not.
pub fn is_json(headers: &HeaderMap) -> bool {
    single(headers, header::CONTENT_TYPE)
        .ok()
        .flatten()
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The middleware. Runs before routing, on every request.
pub async fn check(State(guard): State<Arc<Guard>>, mut req: Request, next: Next) -> Response {
    let mut res = match admit(&guard, &req) {
        Ok(Admitted::Public) => next.run(req).await,
        Ok(Admitted::Pair(code)) => pair_exchange(&guard, req, &code).await,
        Ok(Admitted::Caller(caller, credential, owner)) => {
            let needs = route_scope(req.method(), req.uri().path());
            match caller.allows(&format!("{} {}", req.method(), req.uri().path()), needs) {
                Ok(()) => {
                    req.extensions_mut().insert(caller);
                    req.extensions_mut().insert(credential);
                    req.extensions_mut().insert(owner);
                    next.run(req).await
                }
                Err(problem) => {
                    let detail = format!("{} {}: needs {} access", req.method(), req.uri().path(), needs.as_str());
                    guard.auth.refusal(AuditKind::Refused, Some(caller), detail);
                    refuse(StatusCode::FORBIDDEN, crate::rpc::problem_message(&problem))
                }
            }
        }
        Err(refusal) => {
            if matches!(refusal.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                let mut detail = format!("{} {}: {}", req.method(), req.uri().path(), refusal.status());
                // A revoked device that keeps trying is named (and its repeats fold).
                let caller = match revoked_caller(&guard, &req) {
                    Some(caller) => {
                        detail.push_str(": a revoked device");
                        caller
                    }
                    None => anonymous(&req),
                };
                guard.auth.refusal(AuditKind::Refused, Some(caller), detail);
            }
            refusal
        }
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
fn admit(guard: &Guard, req: &Request<Body>) -> Result<Admitted, Response> {
    let headers = req.headers();
    let forbidden = |m: String| refuse(StatusCode::FORBIDDEN, m);

    // 1. Host.
    let host = single(headers, header::HOST).map_err(forbidden)?;
    let Some(host) = host.or_else(|| req.uri().authority().map(|a| a.as_str())) else {
        return Err(forbidden("missing Host header".into()));
    };
    // An absolute-form target (`GET http://name/ HTTP/1.1`) names the host that counts (RFC
    // 9112 §3.2.2): it must be this server too.
    let target = req.uri().authority().map(|a| a.as_str());
    for host in std::iter::once(host).chain(target) {
        if !guard.is_own_host(host) {
            return Err(forbidden(format!(
                "host '{}' is not allowed; band answers at localhost:{} (DNS rebinding protection)",
                host.escape_debug(),
                guard.port
            )));
        }
    }

    // 2. Origin: exactly our own, when present.
    let upgrade = is_websocket_upgrade(headers);
    let origin = single(headers, header::ORIGIN).map_err(forbidden)?;
    if let Some(origin) = origin {
        let own = parse_origin(origin).is_some_and(|(scheme, host, port)| guard.is_own_origin(&scheme, &host, port));
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
        return Ok(Admitted::Public);
    }
    if let Some(response) = token_exchange(guard, req) {
        return Err(response);
    }
    if let Some(code) = req.uri().query().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("pair="))) {
        return Ok(Admitted::Pair(code.to_owned()));
    }
    let unauthorized = |m: String| unauthorized(req, m);
    let who: Option<(Caller, Credential)>;
    let mut session: Option<String> = None;
    let auth = match single(headers, header::AUTHORIZATION).map_err(unauthorized)? {
        Some(value) => {
            // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
            let token = value.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"));
            let Some(token) = token.map(|(_, token)| token.trim()) else {
                return Err(unauthorized("malformed Authorization header: expected `Bearer <token>`".into()));
            };
            let Some(found) = guard.auth.bearer(token, remote(req)) else {
                return Err(unauthorized("invalid token (or a revoked device's)".into()));
            };
            who = Some(found);
            Auth::Bearer
        }
        None => match crate::session::cookies(headers, &crate::session::cookie_name(guard.port)).as_slice() {
            [] => {
                return Err(unauthorized(
                    "missing token: send `Authorization: Bearer <token>`; the token is tokenSecret in $BAND_HOME/settings.json"
                        .into(),
                ));
            }
            [one] => {
                let Some(found) = guard.auth.cookie(one, remote(req)) else {
                    return Err(unauthorized(
                        "this browser's session has ended (the token changed or the device was revoked); \
                         open the link band-server printed, or pair again"
                            .into(),
                    ));
                };
                who = Some(found);
                session = Some(crate::secrets::sha256_hex(one));
                Auth::Cookie
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
    if changes_state && !upgrade && !is_json(headers) {
        return Err(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, JSON_ONLY));
    }
    let Some((caller, credential)) = who else {
        return Err(unauthorized("no credential".into()));
    };
    let owner = SocketOwner { device: credential.device.map(|d| d.0), session };
    Ok(Admitted::Caller(caller, credential, owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_parsed_strictly() {
        assert_eq!(split_authority("LOCALHOST:3456"), Some(("localhost".into(), Some(3456))));
        assert_eq!(split_authority("[::1]:3456"), Some(("[::1]".into(), Some(3456))));
        assert_eq!(split_authority("[::1]"), Some(("[::1]".into(), None)));
        for bad in ["", ":80", "a:b", "[::1", "[::1]x", "a/b", "u@localhost:1", "a b", "localhost:99999"] {
            assert_eq!(split_authority(bad), None, "{bad:?}");
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

    fn guard(token: &str, port: u16) -> Guard {
        Guard::new(Arc::new(crate::access::Auth::in_memory(token)), port)
    }

    #[test]
    fn own_hosts_are_exact() {
        let g = guard(&"t".repeat(64), 3456);
        assert!(g.is_own_host("localhost:3456"));
        assert!(g.is_own_host("127.0.0.1:3456"));
        assert!(g.is_own_host("[::1]:3456"));
        assert!(!g.is_own_host("localhost:3457"));
        assert!(!g.is_own_host("localhost"));
        assert!(!g.is_own_host("localhost.evil.com:3456"));
        assert!(!g.is_own_host("127.0.0.2:3456"));
        // An https tunnel on the default port: with or without ":443", nothing else.
        g.allowed.allow("https", "ABC.trycloudflare.com", 443);
        assert!(g.is_own_host("abc.trycloudflare.com"));
        assert!(g.is_own_host("abc.trycloudflare.com:443"));
        assert!(!g.is_own_host("abc.trycloudflare.com:80"));
        assert!(!g.is_own_host("xabc.trycloudflare.com"));
        assert!(!g.is_own_host("abc.trycloudflare.com.evil.com"));
        assert!(g.is_own_origin("https", "abc.trycloudflare.com", 443));
        assert!(!g.is_own_origin("http", "abc.trycloudflare.com", 80), "the scheme is part of the origin");
        assert!(!g.is_own_origin("http", "abc.trycloudflare.com", 443));
        g.allowed.revoke("https", "abc.trycloudflare.com", 443);
        assert!(!g.is_own_host("abc.trycloudflare.com"));
        assert!(!g.is_own_origin("https", "abc.trycloudflare.com", 443));
        // An http tunnel on another port (bore): that port only.
        g.allowed.allow("http", "127.0.0.1", 41001);
        assert!(g.is_own_host("127.0.0.1:41001"));
        assert!(!g.is_own_host("127.0.0.1"));
        assert!(!g.is_own_host("localhost:41001"));
        assert!(g.is_own_origin("http", "127.0.0.1", 41001));
        assert!(!g.is_own_origin("https", "127.0.0.1", 41001));
        // Loopback origins are http on the listening port only.
        assert!(g.is_own_origin("http", "localhost", 3456));
        assert!(!g.is_own_origin("https", "localhost", 3456));
        assert!(!g.is_own_origin("http", "localhost", 3457));
    }

    #[test]
    fn tokens_compare_exactly() {
        let g = guard(&"a".repeat(64), 1);
        let main = g.auth.bearer(&"a".repeat(64), None).map(|(c, _)| c.scope);
        assert_eq!(main, Some(Scope::Admin));
        assert!(g.auth.bearer(&"a".repeat(63), None).is_none());
        assert!(g.auth.bearer("", None).is_none());
        assert!(guard("", 1).auth.bearer("", None).is_none());
    }

    #[test]
    fn routes_are_classified() {
        assert_eq!(route_scope(&Method::GET, "/terminals/3/ws"), Scope::Control);
        assert_eq!(route_scope(&Method::POST, "/rpc"), Scope::Read, "methods are checked one by one");
        assert_eq!(route_scope(&Method::GET, "/workspaces/1/raw/a.txt"), Scope::Read);
        assert_eq!(route_scope(&Method::GET, "/"), Scope::Read);
        assert_eq!(route_scope(&Method::DELETE, "/x"), Scope::Control, "anything new that changes state");
    }
}
