//! The security suite (SECURITY.md 2-13, 15-16, 22): one walkable table of hostile requests against a real
//! server, with a real git repository and a real SQLite file.
//!
//! Every [`Case`] is sent over a raw HTTP/1.1 writer on a `TcpStream` (so duplicated, empty and
//! malformed headers and request targets reach the server exactly as written) and states its
//! exact refusal: the HTTP status and the error message (or its key phrase), and for JSON-RPC the
//! error code. The runner checks every case, then lists *every* failing one, counts them by
//! category, prints the total and asserts a lower bound so cases cannot silently vanish. No reply
//! body may carry the main token or a device's token.
//!
//! The table crosses `band_server::ROUTES` with credential, Host and Origin variants (on plain
//! HTTP and on WebSocket upgrades, refused before upgrading), then covers cookie-borne state
//! changes, device scopes, sign-in redirects, path traversal, hostile branch names, a repository
//! rigged to run code when git touches it, terminal abuse and the terminal agents' hook route.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use band_server::ROUTES;
use band_server::guard::PUBLIC;
use band_testkit::fixtures::{RiggedRepo, TestRepo};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{TestServer, websocket_at};

const NOT_FOUND: i64 = -32001;
const REFUSED: i64 = -32003;
const FORBIDDEN: i64 = -32004;
const INVALID: i64 = -32602;

/// The fewest cases the suite may have; raise it when adding cases.
const MIN_CASES: usize = 900;

/// What a wrong, used or expired pairing code gets.
const BAD_CODE: &str = "this pairing code is wrong, was already used or has expired (codes last 10 minutes); ask for a new one (devices.pair)";

/// A request exactly as it goes on the wire.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    fn new(method: &str, target: &str) -> Self {
        Self { method: method.into(), target: target.into(), headers: Vec::new(), body: String::new() }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    fn headers(mut self, headers: &[(&str, String)]) -> Self {
        for (n, v) in headers {
            self.headers.push(((*n).into(), v.clone()));
        }
        self
    }

    fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// The headers of a WebSocket handshake.
    fn upgrade(self) -> Self {
        self.header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
    }

    fn describe(&self) -> String {
        let headers: Vec<String> = self.headers.iter().map(|(n, v)| format!("{n}: {v:?}")).collect();
        format!("{} {} [{}]", self.method, self.target, headers.join(", "))
    }
}

/// What a case must get back.
#[derive(Clone, Debug)]
enum Expect {
    /// This status and an error message containing this text (`""`: the body is empty, as for
    /// HEAD).
    Http(u16, String),
    /// HTTP 200 carrying a JSON-RPC error with this code and a message containing this text.
    Rpc(i64, String),
    /// A 303 to exactly this same-origin location, with a session cookie.
    Redirect(String),
}

#[derive(Clone, Debug)]
struct Case {
    category: &'static str,
    name: String,
    req: Req,
    expect: Expect,
}

fn case(category: &'static str, name: impl Into<String>, req: Req, expect: Expect) -> Case {
    Case { category, name: name.into(), req, expect }
}

fn http(status: u16, message: impl Into<String>) -> Expect {
    Expect::Http(status, message.into())
}

fn rpc_err(code: i64, message: impl Into<String>) -> Expect {
    Expect::Rpc(code, message.into())
}

/// A reply as read off the wire.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The `error` of a JSON body, else the body.
    fn message(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_else(|| self.body.clone())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `req` as HTTP/1.1 and reads one reply (status line, headers, then a body by
/// Content-Length, chunked, or to the end of the stream; none after 101 or for HEAD).
async fn send(addr: SocketAddr, req: &Req) -> Result<Raw, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
        let mut text = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
        for (n, v) in &req.headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        if !req.body.is_empty() || req.method == "POST" {
            text.push_str(&format!("content-length: {}\r\n", req.body.len()));
        }
        text.push_str("\r\n");
        text.push_str(&req.body);
        // A server that refuses early (an oversized body) may answer and close before reading all
        // of it: its reply still counts.
        let _ = stream.write_all(text.as_bytes()).await;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i;
            }
            let n = stream.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err(format!("connection closed before a reply: {:?}", String::from_utf8_lossy(&buf)));
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = buf[head_end + 4..].to_vec();
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        if status == 101 || req.method == "HEAD" || status == 304 {
            body.clear();
        } else if let Some(len) = get("content-length").and_then(|l| l.parse::<usize>().ok()) {
            while body.len() < len {
                let n = stream.read(&mut chunk).await.map_err(|e| format!("read body: {e}"))?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        } else if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            while find(&body, b"0\r\n\r\n").is_none() {
                let n = stream.read(&mut chunk).await.map_err(|e| format!("read chunks: {e}"))?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body = dechunk(&body);
        } else {
            stream.read_to_end(&mut body).await.map_err(|e| format!("read to end: {e}"))?;
        }
        Ok(Raw { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
    };
    tokio::time::timeout(Duration::from_secs(10), exchange).await.map_err(|_| "no reply within 10 s".to_owned())?
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = find(data, b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..i]).trim(), 16).unwrap_or(0);
        if size == 0 || data.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&data[i + 2..i + 2 + size]);
        data = &data[(i + 4 + size).min(data.len())..];
    }
    out
}

/// Runs cases and records the outcome of every check, failing or not.
struct Suite {
    addr: SocketAddr,
    /// Tokens no reply may carry.
    secrets: Vec<String>,
    counts: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

impl Suite {
    fn record(&mut self, category: &'static str, name: &str, outcome: Result<(), String>) {
        *self.counts.entry(category).or_default() += 1;
        if let Err(why) = outcome {
            self.failures.push(format!("[{category}] {name}: {why}"));
        }
    }

    /// `text` with every secret replaced (failure reports show requests, which carry tokens).
    fn redact(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_owned(), |t, s| t.replace(s.as_str(), "<token>"))
    }

    /// Fails if `text` carries a secret.
    fn clean(&self, text: &str) -> Result<(), String> {
        match self.secrets.iter().find(|s| text.contains(s.as_str())) {
            Some(_) => Err("the reply carries a token".into()),
            None => Ok(()),
        }
    }

    async fn run(&mut self, cases: Vec<Case>) {
        for c in cases {
            let outcome = match send(self.addr, &c.req).await {
                Ok(raw) => self.judge(&raw, &c.expect),
                Err(e) => Err(e),
            };
            let outcome = outcome.map_err(|why| format!("{why}\n      request: {}", self.redact(&c.req.describe())));
            self.record(c.category, &c.name, outcome);
        }
    }

    fn judge(&self, raw: &Raw, expect: &Expect) -> Result<(), String> {
        self.clean(&raw.body)?;
        self.clean(raw.header("location").unwrap_or_default())?;
        let got = || format!("got {} {:?}", raw.status, raw.body);
        match expect {
            Expect::Http(status, message) => {
                if raw.status != *status {
                    return Err(format!("expected {status}, {}", got()));
                }
                if message.is_empty() {
                    if !raw.body.is_empty() {
                        return Err(format!("expected an empty body, {}", got()));
                    }
                } else if !raw.message().contains(message.as_str()) {
                    return Err(format!("expected a message with {message:?}, {}", got()));
                }
                if raw.header("access-control-allow-origin").is_some() {
                    return Err("a CORS header".into());
                }
                Ok(())
            }
            Expect::Rpc(code, message) => {
                let v: Value = serde_json::from_str(&raw.body).map_err(|_| format!("not JSON, {}", got()))?;
                let (c, m) = (v["error"]["code"].as_i64(), v["error"]["message"].as_str().unwrap_or_default());
                if raw.status != 200 || c != Some(*code) || !m.contains(message.as_str()) {
                    return Err(format!("expected JSON-RPC error {code} with {message:?}, {}", got()));
                }
                Ok(())
            }
            Expect::Redirect(location) => {
                let cookie = raw.header("set-cookie").unwrap_or_default();
                if raw.status != 303 || raw.header("location") != Some(location.as_str()) || cookie.is_empty() {
                    return Err(format!(
                        "expected a 303 to {location:?} with a cookie, {} location {:?}",
                        got(),
                        raw.header("location")
                    ));
                }
                Ok(())
            }
        }
    }

    fn finish(self) {
        let total: usize = self.counts.values().sum();
        for (category, n) in &self.counts {
            println!("security suite: {category}: {n} cases");
        }
        println!("security suite: {total} cases");
        assert!(
            self.failures.is_empty(),
            "{} of {total} security cases failed:\n  {}",
            self.failures.len(),
            self.failures.join("\n  ")
        );
        assert!(total >= MIN_CASES, "only {total} security cases ran; expected at least {MIN_CASES}");
    }
}

/// Everything the cases need to know about the running server.
struct World {
    port: u16,
    token: String,
    /// A session cookie (`name=value`) from the main token's sign-in link.
    cookie: String,
    /// A read device's token and session cookie; a control device's token.
    read_token: String,
    read_cookie: String,
    control_token: String,
    workspace: i64,
    terminal: i64,
}

impl World {
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
    fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }
    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
    /// A request with our Host and the main token.
    fn authed(&self, method: &str, target: &str) -> Req {
        Req::new(method, target).header("host", self.host()).header("authorization", self.bearer())
    }
    fn rpc(&self, token: &str, method: &str, params: Value) -> Req {
        Req::new("POST", "/rpc")
            .header("host", self.host())
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
    }
    fn navigate(&self, target: &str) -> Req {
        Req::new("GET", target)
            .header("host", self.host())
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-dest", "document")
    }
}

fn is_public(method: &str, path: &str) -> bool {
    PUBLIC.iter().any(|(m, p)| *m == method && *p == path)
}

/// A route's example path with the real workspace and terminal ids.
fn route_path(w: &World, path: &str) -> String {
    path.replace("/workspaces/1/", &format!("/workspaces/{}/", w.workspace))
        .replace("/terminals/1/", &format!("/terminals/{}/", w.terminal))
}

/// The refusal for `message` on `method` (HEAD replies have no body).
fn refusal(method: &str, status: u16, message: &str) -> Expect {
    http(status, if method == "HEAD" { "" } else { message })
}

/// Missing, wrong, duplicated and malformed credentials on every route that needs one.
fn credential_cases(w: &World, revoked: &str) -> Vec<Case> {
    const C: &str = "routes x credentials";
    let missing = "missing token: send `Authorization: Bearer <token>`";
    let invalid = "invalid token (or a revoked device's)";
    let malformed = "malformed Authorization header: expected `Bearer <token>`";
    let t = &w.token;
    let wrong = "0123456789abcdef".repeat(4);
    let basic = format!("Basic {}", base64_encode(&format!("band:{t}")));
    let variants: Vec<(&str, Vec<(&str, String)>, u16, String)> = vec![
        ("no credential", vec![], 401, missing.into()),
        ("wrong token", vec![("authorization", format!("Bearer {wrong}"))], 401, invalid.into()),
        ("token one char short", vec![("authorization", format!("Bearer {}", &t[..63]))], 401, invalid.into()),
        ("token one char long", vec![("authorization", format!("Bearer {t}0"))], 401, invalid.into()),
        ("token with a suffix", vec![("authorization", format!("Bearer {t} x"))], 401, invalid.into()),
        ("uppercased token", vec![("authorization", format!("Bearer {}", t.to_uppercase()))], 401, invalid.into()),
        ("revoked device's token", vec![("authorization", format!("Bearer {revoked}"))], 401, invalid.into()),
        ("`Bearer` and nothing", vec![("authorization", "Bearer".into())], 401, malformed.into()),
        ("`Bearer ` and spaces", vec![("authorization", "Bearer    ".into())], 401, malformed.into()),
        ("Basic with the token", vec![("authorization", basic)], 401, malformed.into()),
        ("`Bearer:` with a colon", vec![("authorization", format!("Bearer:{t}"))], 401, malformed.into()),
        ("lowercase bearer, wrong token", vec![("authorization", format!("bearer {wrong}"))], 401, invalid.into()),
        ("the bare token", vec![("authorization", t.clone())], 401, malformed.into()),
        ("empty Authorization", vec![("authorization", String::new())], 401, malformed.into()),
        (
            "two Authorization headers, both right",
            vec![("authorization", w.bearer()), ("authorization", w.bearer())],
            401,
            "more than one authorization header".into(),
        ),
        (
            "two Authorization headers, wrong then right",
            vec![("authorization", format!("Bearer {wrong}")), ("authorization", w.bearer())],
            401,
            "more than one authorization header".into(),
        ),
        (
            "forged session cookie",
            vec![("cookie", format!("band_session_{}=v1.{}.{}", w.port, "0".repeat(32), "0".repeat(64)))],
            401,
            "this browser's session has ended".into(),
        ),
        (
            "the token as the cookie",
            vec![("cookie", format!("band_session_{}={t}", w.port))],
            401,
            "this browser's session has ended".into(),
        ),
        (
            "another port's cookie",
            vec![("cookie", w.cookie.replacen(&format!("band_session_{}", w.port), "band_session_1", 1))],
            401,
            missing.into(),
        ),
        (
            "two session cookies",
            vec![("cookie", format!("{0}; {0}", w.cookie))],
            401,
            "more than one session cookie".into(),
        ),
        (
            "forwarded headers claiming loopback",
            vec![
                ("x-forwarded-for", "127.0.0.1".into()),
                ("forwarded", "for=127.0.0.1;proto=https".into()),
                ("x-real-ip", "127.0.0.1".into()),
            ],
            401,
            missing.into(),
        ),
    ];
    let mut cases = Vec::new();
    for (method, path) in ROUTES.iter().filter(|(m, p)| !is_public(m, p)) {
        let path = route_path(w, path);
        for (name, headers, status, message) in &variants {
            let req = Req::new(method, &path).header("host", w.host()).headers(headers).body(body_for(method));
            let req = if method == &"POST" { req.header("content-type", "application/json") } else { req };
            cases.push(case(C, format!("{method} {path}: {name}"), req, refusal(method, *status, message)));
        }
        // The token in the URL of anything but a page navigation.
        let target = format!("{path}?token={t}");
        let in_url = "the token is accepted in the URL only when opening a page";
        let req = Req::new(method, &target).header("host", w.host()).body(body_for(method));
        let req = if *method == "GET" { req.header("sec-fetch-mode", "cors") } else { req };
        let req = if method == &"POST" { req.header("content-type", "application/json") } else { req };
        cases.push(case(C, format!("{method} {path}: token in the query string"), req, refusal(method, 400, in_url)));
    }
    cases
}

fn body_for(method: &str) -> String {
    if method == "POST" { r#"{"jsonrpc":"2.0","id":1,"method":"projects.list"}"#.into() } else { String::new() }
}

fn base64_encode(text: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Hosts that are not this server, and malformed ones.
fn hostile_hosts(w: &World) -> Vec<(String, Option<String>, String)> {
    let p = w.port;
    let other = if p == 1 { 2 } else { p - 1 };
    let not_allowed =
        |h: &str| format!("host '{}' is not allowed; band answers at localhost:{p} (DNS rebinding protection)", h);
    let mut hosts: Vec<(String, Option<String>, String)> = [
        "evil.example".to_owned(),
        format!("localhost.evil.example:{p}"),
        format!("evil.example:{p}"),
        format!("127.0.0.1:{other}"),
        format!("localhost:{other}"),
        "localhost".to_owned(),
        format!("127.0.0.2:{p}"),
        format!("0.0.0.0:{p}"),
        format!("user@localhost:{p}"),
        String::new(),
        "a b".to_owned(),
        "[::1".to_owned(),
        format!("localhost:{p}:1"),
        "localhost:99999".to_owned(),
        format!("localhost:{p}/x"),
    ]
    .into_iter()
    .map(|h| (format!("Host {h:?}"), Some(h.clone()), not_allowed(&h)))
    .collect();
    hosts.push(("no Host".into(), None, "missing Host header".into()));
    hosts
}

/// Host on every route (public ones included: the Host check comes first).
fn host_cases(w: &World) -> Vec<Case> {
    let mut cases = Vec::new();
    for (method, path) in ROUTES {
        let path = route_path(w, path);
        for (name, host, message) in hostile_hosts(w) {
            let mut req = Req::new(method, &path).header("authorization", w.bearer()).body(body_for(method));
            if let Some(h) = host {
                req = req.header("host", h);
            }
            let req = if *method == "POST" { req.header("content-type", "application/json") } else { req };
            cases.push(case("routes x hosts", format!("{method} {path}: {name}"), req, refusal(method, 403, &message)));
        }
        let req = Req::new(method, &path)
            .header("host", w.host())
            .header("host", w.host())
            .header("authorization", w.bearer())
            .body(body_for(method));
        let req = if *method == "POST" { req.header("content-type", "application/json") } else { req };
        let expect = refusal(method, 403, "more than one host header");
        cases.push(case("routes x hosts", format!("{method} {path}: two Host headers"), req, expect));
    }
    cases
}

fn hostile_origins(w: &World) -> Vec<String> {
    let p = w.port;
    let other = if p == 1 { 2 } else { p - 1 };
    vec![
        "http://evil.example".into(),
        "null".into(),
        format!("http://localhost:{other}"),
        format!("http://127.0.0.1:{other}"),
        format!("https://localhost:{p}"),
        format!("ws://localhost:{p}"),
        format!("http://localhost:{p}.evil.example"),
        format!("http://evil.example/http://localhost:{p}"),
        format!("http://localhost:{p}@evil.example"),
        format!("http://localhost:{p}/"),
        "http://".into(),
        "::::".into(),
        String::new(),
        "http://localhost".into(),
    ]
}

fn origin_refusal(origin: &str) -> String {
    format!("origin '{}' is not allowed; only pages served by this band-server may call it", origin.escape_debug())
}

/// Origin on every route, with a valid token (a header credential does not excuse a bad Origin).
fn origin_cases(w: &World) -> Vec<Case> {
    let mut cases = Vec::new();
    for (method, path) in ROUTES {
        let path = route_path(w, path);
        for origin in hostile_origins(w) {
            let req = w.authed(method, &path).header("origin", origin.clone()).body(body_for(method));
            let req = if *method == "POST" { req.header("content-type", "application/json") } else { req };
            let expect = refusal(method, 403, &origin_refusal(&origin));
            cases.push(case("routes x origins", format!("{method} {path}: Origin {origin:?}"), req, expect));
        }
        let req =
            w.authed(method, &path).header("origin", w.origin()).header("origin", w.origin()).body(body_for(method));
        let req = if *method == "POST" { req.header("content-type", "application/json") } else { req };
        let expect = refusal(method, 403, "more than one origin header");
        cases.push(case("routes x origins", format!("{method} {path}: two Origin headers"), req, expect));
    }
    cases
}

/// WebSocket upgrades to `/rpc` and a live terminal: every refusal is an HTTP status, never 101.
fn websocket_cases(w: &World) -> Vec<Case> {
    const C: &str = "websocket upgrades";
    let mut cases = Vec::new();
    for path in ["/rpc".to_owned(), format!("/terminals/{}/ws", w.terminal)] {
        for (name, host, message) in hostile_hosts(w) {
            let mut req = Req::new("GET", &path).header("authorization", w.bearer()).upgrade();
            if let Some(h) = host {
                req = req.header("host", h);
            }
            cases.push(case(C, format!("{path}: {name}"), req, http(403, message)));
        }
        for origin in hostile_origins(w) {
            let req = w.authed("GET", &path).header("origin", origin.clone()).upgrade();
            cases.push(case(C, format!("{path}: Origin {origin:?}"), req, http(403, origin_refusal(&origin))));
            let req = Req::new("GET", &path)
                .header("host", w.host())
                .header("cookie", w.cookie.clone())
                .header("origin", origin.clone())
                .upgrade();
            let name = format!("{path}: cookie with Origin {origin:?}");
            cases.push(case(C, name, req, http(403, origin_refusal(&origin))));
        }
        let base = || Req::new("GET", &path).header("host", w.host());
        let list: Vec<(&str, Req, Expect)> = vec![
            ("no credential", base().upgrade(), http(401, "missing token")),
            (
                "wrong token",
                base().header("authorization", format!("Bearer {}", "f".repeat(64))).upgrade(),
                http(401, "invalid token (or a revoked device's)"),
            ),
            (
                "the token in the URL",
                Req::new("GET", &format!("{path}?token={}", w.token)).header("host", w.host()).upgrade(),
                http(400, "the token is accepted in the URL only when opening a page"),
            ),
            (
                "the token in the URL with our Origin",
                Req::new("GET", &format!("{path}?token={}", w.token))
                    .header("host", w.host())
                    .header("origin", w.origin())
                    .upgrade(),
                http(400, "the token is accepted in the URL only when opening a page"),
            ),
            (
                "cookie without Origin",
                base().header("cookie", w.cookie.clone()).upgrade(),
                http(403, "a browser request that upgrades or changes state must carry its Origin"),
            ),
            (
                "two Authorization headers",
                base().header("authorization", w.bearer()).header("authorization", w.bearer()).upgrade(),
                http(401, "more than one authorization header"),
            ),
        ];
        for (name, req, expect) in list {
            cases.push(case(C, format!("{path}: {name}"), req, expect));
        }
    }
    // The terminal socket types into a shell: a read device may not open it, by token or cookie.
    let path = format!("/terminals/{}/ws", w.terminal);
    let needs = |who: &str| {
        format!(
            "this device ('{who}') has read access; GET {path} needs control access; pair it again with control \
             access (devices.pair)"
        )
    };
    let req =
        Req::new("GET", &path).header("host", w.host()).header("authorization", format!("Bearer {}", w.read_token));
    cases.push(case(C, "terminal socket: read device's token", req.upgrade(), http(403, needs("reader"))));
    // Spellings of the terminal socket's path that might slip past its classification: none
    // reaches a terminal.
    for variant in [
        format!("/terminals/{}/ws/", w.terminal),
        format!("//terminals/{}/ws", w.terminal),
        format!("/terminals/{}//ws", w.terminal),
        format!("/terminals/{}/%77s", w.terminal),
        format!("/terminals/{}/WS", w.terminal),
        format!("/terminals/{}/./ws", w.terminal),
        format!("/terminals/x/../{}/ws", w.terminal),
    ] {
        let req = Req::new("GET", &variant)
            .header("host", w.host())
            .header("authorization", format!("Bearer {}", w.read_token))
            .upgrade();
        // Classified as the terminal socket (ends in `/ws`): refused for its scope; otherwise
        // not the terminal route at all: the dashboard's page, never an upgrade.
        let expect = if variant.starts_with("/terminals/") && variant.ends_with("/ws") {
            http(403, format!("this device ('reader') has read access; GET {variant} needs control access"))
        } else {
            http(200, "band-server is running, but its dashboard is not built")
        };
        cases.push(case(C, format!("read device's token at {variant}"), req, expect));
    }
    let req = Req::new("GET", &path)
        .header("host", w.host())
        .header("cookie", w.read_cookie.clone())
        .header("origin", w.origin());
    cases.push(case(C, "terminal socket: read device's cookie", req.upgrade(), http(403, needs("browser"))));
    cases
}

/// Cookie-borne state changes: exact Origin and a JSON body, or nothing.
fn cookie_cases(w: &World) -> Vec<Case> {
    const C: &str = "cookie state changes";
    let json_only = "send a JSON body with `Content-Type: application/json`";
    let post = |ct: Option<&str>, origin: Option<String>| {
        let mut r = Req::new("POST", "/rpc").header("host", w.host()).header("cookie", w.cookie.clone());
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.body(r#"{"jsonrpc":"2.0","id":1,"method":"layout.set","params":{"layout":{}}}"#)
    };
    let own = || Some(w.origin());
    let mut list: Vec<(String, Req, Expect)> = Vec::new();
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "text/plain;charset=UTF-8",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "application/json-patch+json",
        "text/json",
    ] {
        list.push((format!("{ct} with our Origin"), post(Some(ct), own()), http(415, json_only)));
    }
    list.push(("no content type".into(), post(None, own()), http(415, json_only)));
    let two = post(Some("application/json"), own()).header("content-type", "text/plain");
    list.push(("two content types".into(), two, http(415, json_only)));
    let must = "a browser request that upgrades or changes state must carry its Origin";
    list.push(("JSON without Origin".into(), post(Some("application/json"), None), http(403, must)));
    list.push(("form without Origin".into(), post(Some("text/plain"), None), http(403, must)));
    for origin in ["null".to_owned(), "http://evil.example".to_owned()] {
        let name = format!("JSON with Origin {origin}");
        list.push((name, post(Some("application/json"), Some(origin.clone())), http(403, origin_refusal(&origin))));
    }
    let bearer_text = w.authed("POST", "/rpc").header("content-type", "text/plain").body(body_for("POST"));
    list.push(("the token with a text/plain body".into(), bearer_text, http(415, json_only)));
    let huge =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"projects.list","params":{{"x":"{}"}}}}"#, "a".repeat(5 << 20));
    let huge = w.authed("POST", "/rpc").header("content-type", "application/json").body(huge);
    list.push((
        "a 5 MiB JSON-RPC body".into(),
        huge,
        http(413, "the request is larger than 4 MiB, the most band-server reads"),
    ));
    let bearer_none = w.authed("POST", "/rpc").body(body_for("POST"));
    list.push(("the token with no content type".into(), bearer_none, http(415, json_only)));
    let mixed = post(Some("application/json"), own()).header("authorization", format!("Bearer {}", "e".repeat(64)));
    list.push(("cookie plus a wrong token".into(), mixed, http(401, "invalid token (or a revoked device's)")));
    // `/pair` is public, so it checks its body's type itself (a page could post a form to it).
    let code = json!({"code": "0".repeat(32)}).to_string();
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let pair = Req::new("POST", "/pair").header("host", w.host()).header("content-type", ct).body(code.clone());
        list.push((format!("POST /pair with a JSON body sent as {ct}"), pair, http(415, json_only)));
    }
    let pair = Req::new("POST", "/pair").header("host", w.host()).body(code.clone());
    list.push(("POST /pair without a content type".into(), pair, http(415, json_only)));
    let pair = Req::new("POST", "/pair").header("host", w.host()).header("content-type", "application/json").body("x");
    list.push((
        "POST /pair with a body that is not JSON".into(),
        pair,
        http(400, "send {\"code\": \"<pairing code>\"}"),
    ));
    let pair = Req::new("POST", "/pair")
        .header("host", w.host())
        .header("content-type", "application/json")
        .body(json!({"code": "0".repeat(32)}).to_string());
    list.push(("POST /pair with a made-up code".into(), pair, http(401, BAD_CODE)));
    list.into_iter().map(|(n, r, e)| case(C, n, r, e)).collect()
}

/// Device scopes: read devices watch, control devices act, only the main token administers.
fn scope_cases(w: &World) -> Vec<Case> {
    const C: &str = "device scopes";
    let t = w.terminal;
    let control_methods: Vec<(&str, Value)> = vec![
        ("chats.send", json!({"chat": 1, "message": "hi"})),
        ("chats.respond", json!({"chat": 1, "response": "yes"})),
        ("chats.stop", json!({"chat": 1})),
        ("terminals.create", json!({"workspace": "app/w"})),
        ("terminals.send", json!({"terminal": t, "data": "id\n"})),
        ("layout.set", json!({"layout": {}})),
    ];
    let admin_methods: Vec<(&str, Value)> = vec![
        ("devices.pair", json!({"name": "x"})),
        ("devices.list", json!({})),
        ("devices.revoke", json!({"device": "reader"})),
        ("audit.list", json!({})),
        ("token.rotate", json!({})),
        ("tunnel.start", json!({})),
        ("tunnel.stop", json!({})),
        ("fs.complete", json!({"prefix": "/"})),
        ("settings.set", json!({"key": "defaults.mode", "value": "allow-all"})),
    ];
    let denied = |who: &str, scope: &str, method: &str, needs: &str| {
        let fix = if needs == "admin" {
            "only the main token (on the machine running band-server) may do that".to_owned()
        } else {
            format!("pair it again with {needs} access (devices.pair)")
        };
        rpc_err(FORBIDDEN, format!("this device ('{who}') has {scope} access; {method} needs {needs} access; {fix}"))
    };
    let mut cases = Vec::new();
    // A batch is checked call by call: the read call answers, the control one is refused.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "projects.list"},
        {"jsonrpc": "2.0", "id": 2, "method": "layout.set", "params": {"layout": {}}},
    ]);
    let req = w.rpc(&w.read_token, "x", json!({})).body(batch.to_string());
    let expect = http(200, "this device ('reader') has read access; layout.set needs control access");
    cases.push(case(C, "read token: a batch smuggling layout.set", req, expect));
    for (method, params) in &control_methods {
        let req = w.rpc(&w.read_token, method, params.clone());
        cases.push(case(C, format!("read token: {method}"), req, denied("reader", "read", method, "control")));
        let req = Req::new("POST", "/rpc")
            .header("host", w.host())
            .header("cookie", w.read_cookie.clone())
            .header("origin", w.origin())
            .header("content-type", "application/json")
            .body(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string());
        cases.push(case(C, format!("read cookie: {method}"), req, denied("browser", "read", method, "control")));
    }
    for (method, params) in &admin_methods {
        let req = w.rpc(&w.read_token, method, params.clone());
        cases.push(case(C, format!("read token: {method}"), req, denied("reader", "read", method, "admin")));
        let req = w.rpc(&w.control_token, method, params.clone());
        cases.push(case(C, format!("control token: {method}"), req, denied("operator", "control", method, "admin")));
    }
    cases
}

/// Sign-in links: a cookie and a 303 to a same-origin relative path, never another site.
fn redirect_cases(w: &World) -> Vec<Case> {
    const C: &str = "sign-in redirects";
    let t = &w.token;
    let mut cases = Vec::new();
    for (target, location) in [
        ("/", "/"),
        ("//evil.example", "/evil.example"),
        ("//evil.example/x", "/evil.example/x"),
        ("///evil.example", "/evil.example"),
        ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
        ("/%2f/evil.example", "/%2f/evil.example"),
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("/%5C%5Cevil.example", "/%5C%5Cevil.example"),
        ("/https://evil.example", "/https://evil.example"),
        ("/https%3A%2F%2Fevil.example", "/https%3A%2F%2Fevil.example"),
        ("/@evil.example", "/@evil.example"),
    ] {
        let req = w.navigate(&format!("{target}?token={t}"));
        cases.push(case(C, format!("token link at {target}"), req, Expect::Redirect(location.into())));
    }
    let req = w.navigate(&format!("/?next=//evil.example&token={t}"));
    cases.push(case(C, "token link with next=//evil.example", req, Expect::Redirect("/?next=//evil.example".into())));
    let req = w.navigate(&format!("http://evil.example/?token={t}"));
    let refused = "host 'evil.example' is not allowed".to_owned();
    cases.push(case(C, "absolute-form target naming another host", req, Expect::Http(403, refused)));
    // Browsers read `/\\x` as `//x`, another host: leading backslashes go too.
    for target in ["/\\evil.example", "/\\\\evil.example", "/\\/evil.example"] {
        let req = w.navigate(&format!("{target}?token={t}"));
        cases.push(case(C, format!("token link at {target}"), req, Expect::Redirect("/evil.example".into())));
    }
    let in_url = "the token is accepted in the URL only when opening a page";
    let list: Vec<(&str, Req, Expect)> = vec![
        ("wrong token in the link", w.navigate("/?token=nope"), http(401, "invalid token in the link")),
        ("empty token in the link", w.navigate("/?token="), http(401, "invalid token in the link")),
        (
            "token link for another Host",
            Req::new("GET", &format!("/?token={t}")).header("host", "evil.example"),
            http(403, "host 'evil.example' is not allowed"),
        ),
        (
            "token link from another Origin",
            w.navigate(&format!("/?token={t}")).header("origin", "http://evil.example"),
            http(403, origin_refusal("http://evil.example")),
        ),
        (
            "token link in an iframe",
            Req::new("GET", &format!("/?token={t}"))
                .header("host", w.host())
                .header("sec-fetch-mode", "navigate")
                .header("sec-fetch-dest", "iframe"),
            http(400, in_url),
        ),
        (
            "token link as a subresource",
            Req::new("GET", &format!("/?token={t}")).header("host", w.host()).header("sec-fetch-mode", "no-cors"),
            http(400, in_url),
        ),
        (
            "token link POSTed",
            Req::new("POST", &format!("/?token={t}"))
                .header("host", w.host())
                .header("content-type", "application/json")
                .body("{}"),
            http(400, in_url),
        ),
        ("bad pairing code", w.navigate("/?pair=nope"), http(401, BAD_CODE)),
        ("made-up pairing code", w.navigate(&format!("/?pair={}", "0".repeat(32))), http(401, BAD_CODE)),
        (
            "pairing code from a fetch",
            Req::new("GET", "/?pair=nope").header("host", w.host()).header("sec-fetch-mode", "cors"),
            http(400, "a pairing code is accepted in the URL only when opening a page"),
        ),
    ];
    for (name, req, expect) in list {
        cases.push(case(C, name, req, expect));
    }
    cases
}

/// Files outside the workspace, git's internals, band's own files, FIFOs and huge files, through
/// `GET /workspaces/{id}/raw/{path}` and `files.read` / `files.list`.
fn traversal_cases(w: &World, outside: &Path) -> Vec<Case> {
    const C: &str = "path traversal";
    let id = w.workspace;
    let dots = "'..' is not allowed; paths stay inside the workspace";
    let absolute = "it is absolute; give a path relative to the workspace root";
    let git = "'.git' is not served: git's internals stay private";
    let out = "resolves outside the workspace; band serves files inside it only";
    let band = "resolves to one of band's own files, which band never serves";
    let raw: Vec<(&str, u16, String)> = vec![
        ("..%2f..%2fetc%2fpasswd", 400, format!("invalid path '../../etc/passwd': {dots}")),
        (
            "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            400,
            format!("invalid path '../../../../../../etc/passwd': {dots}"),
        ),
        ("%2e%2e/%2e%2e/etc/passwd", 400, format!("invalid path '../../etc/passwd': {dots}")),
        ("%2e%2e%2f%2e%2e%2fsettings.json", 400, format!("invalid path '../../settings.json': {dots}")),
        ("src/%2e%2e/%2e%2e/x", 400, format!("invalid path 'src/../../x': {dots}")),
        (
            "..%5c..%5cetc%5cpasswd",
            400,
            "invalid path '..\\\\..\\\\etc\\\\passwd': '\\' is not allowed; separate directories with '/'".into(),
        ),
        ("%252e%252e%252fetc%252fpasswd", 404, "'%2e%2e%2fetc%2fpasswd' does not exist in this workspace".into()),
        ("/etc/passwd", 400, format!("invalid path '/etc/passwd': {absolute}")),
        ("%2Fetc%2Fpasswd", 400, format!("invalid path '/etc/passwd': {absolute}")),
        ("%2F%2Fetc%2Fpasswd", 400, format!("invalid path '//etc/passwd': {absolute}")),
        (".git/config", 400, format!("invalid path '.git/config': {git}")),
        (".git/HEAD", 400, format!("invalid path '.git/HEAD': {git}")),
        (".GIT%2fconfig", 400, format!("invalid path '.GIT/config': {git}")),
        ("a/.git/config", 400, format!("invalid path 'a/.git/config': {git}")),
        ("a%00b", 400, "invalid path 'a\\0b': it contains a NUL byte".into()),
        ("passwd-link", 403, format!("'passwd-link' {out}")),
        ("outside-dir/secret.txt", 403, format!("'outside-dir/secret.txt' {out}")),
        ("gitdir-link/config", 403, format!("'gitdir-link/config' {out}")),
        ("gitfile", 403, "'gitfile' resolves into git's internals (.git), which band never serves".into()),
        ("settings-link", 403, format!("'settings-link' {band}")),
        ("db-link", 403, format!("'db-link' {band}")),
        ("fifo", 403, "'fifo' is a named pipe (FIFO), not a regular file; band serves regular files only".into()),
        ("huge.bin", 403, "'huge.bin' is 17.0 MiB (17825792 bytes); band reads files up to 16.0 MiB".into()),
        ("loop", 403, "'loop' is a symlink loop".into()),
    ];
    let mut cases = Vec::new();
    for (path, status, message) in raw {
        for method in ["GET", "HEAD"] {
            let req = w.authed(method, &format!("/workspaces/{id}/raw/{path}"));
            cases.push(case(C, format!("{method} raw {path}"), req, refusal(method, status, &message)));
        }
    }
    for (target, status, message) in [
        ("/workspaces/..%2f1/raw/README.md".to_owned(), 400, "'../1' is not a workspace id".to_owned()),
        ("/workspaces/999/raw/README.md".into(), 404, "no workspace '999'; see workspaces.list".into()),
        ("/workspaces/1e3/raw/README.md".into(), 400, "'1e3' is not a workspace id".into()),
    ] {
        cases.push(case(C, format!("raw {target}"), w.authed("GET", &target), http(status, message)));
    }
    let invalid = |p: &str, why: &str| rpc_err(INVALID, format!("invalid path '{p}': {why}"));
    let refused = |p: &str, why: &str| rpc_err(REFUSED, format!("'{p}' {why}"));
    let outside_file = outside.join("secret.txt");
    let rpc: Vec<(&str, String, Expect)> = vec![
        ("files.read", "../../etc/passwd".into(), invalid("../../etc/passwd", dots)),
        ("files.read", "src/../../x".into(), invalid("src/../../x", dots)),
        ("files.read", "/etc/passwd".into(), invalid("/etc/passwd", absolute)),
        ("files.read", outside_file.display().to_string(), invalid(&outside_file.display().to_string(), absolute)),
        ("files.read", ".git/config".into(), invalid(".git/config", git)),
        ("files.read", ".git/HEAD".into(), invalid(".git/HEAD", git)),
        ("files.read", "passwd-link".into(), refused("passwd-link", out)),
        ("files.read", "outside-dir/secret.txt".into(), refused("outside-dir/secret.txt", out)),
        ("files.read", "settings-link".into(), refused("settings-link", band)),
        ("files.read", "db-link".into(), refused("db-link", band)),
        ("files.read", "gitdir-link/config".into(), refused("gitdir-link/config", out)),
        (
            "files.read",
            "fifo".into(),
            refused("fifo", "is a named pipe (FIFO), not a regular file; band serves regular files only"),
        ),
        (
            "files.read",
            "big.log".into(),
            refused("big.log", "is 3.0 MiB (3145728 bytes); band reads files up to 2.0 MiB"),
        ),
        ("files.read", "a\0b".into(), invalid("a\\0b", "it contains a NUL byte")),
        ("files.list", "..".into(), invalid("..", dots)),
        ("files.list", "../..".into(), invalid("../..", dots)),
        ("files.list", "/etc".into(), invalid("/etc", absolute)),
        ("files.list", ".git".into(), invalid(".git", git)),
        ("files.list", ".git/hooks".into(), invalid(".git/hooks", git)),
        ("files.list", "outside-dir".into(), refused("outside-dir", out)),
        ("files.list", "gitdir-link".into(), refused("gitdir-link", out)),
        (
            "files.read",
            "gitfile".into(),
            refused("gitfile", "resolves into git's internals (.git), which band never serves"),
        ),
    ];
    for (method, path, expect) in rpc {
        let req = w.rpc(&w.token, method, json!({"workspace": "app/w", "path": path}));
        cases.push(case(C, format!("{method} {path:?}"), req, expect));
    }
    cases
}

/// Branch names and bases git would misread, or that escape a path, through `workspaces.create`.
fn branch_cases(w: &World) -> Vec<Case> {
    const C: &str = "hostile branch names";
    let chars = "is not allowed; use letters, digits, '.', '_', '-', '/', '+' and '@'";
    let long = "b".repeat(300);
    let branches: Vec<(String, String)> = vec![
        ("--upload-pack=x".into(), "it may not start with '-'".into()),
        ("-b".into(), "it may not start with '-'".into()),
        ("-".into(), "it may not start with '-'".into()),
        ("a..b".into(), "'..' is not allowed".into()),
        ("../../etc".into(), "'..' is not allowed".into()),
        ("$(id)".into(), format!("'$' {chars}")),
        ("`id`".into(), format!("'`' {chars}")),
        ("a;id".into(), format!("';' {chars}")),
        ("a|id".into(), format!("'|' {chars}")),
        ("a b".into(), format!("' ' {chars}")),
        ("a~1".into(), format!("'~' {chars}")),
        ("a^".into(), format!("'^' {chars}")),
        ("a:b".into(), format!("':' {chars}")),
        ("a\\b".into(), format!("'\\\\' {chars}")),
        ("a*".into(), format!("'*' {chars}")),
        ("a?".into(), format!("'?' {chars}")),
        ("a[b".into(), format!("'[' {chars}")),
        (".hidden".into(), "no part between '/' may start with '.'".into()),
        ("a/.b".into(), "no part between '/' may start with '.'".into()),
        ("a.lock".into(), "no part between '/' may end with '.lock'".into()),
        ("a.lock/b".into(), "no part between '/' may end with '.lock'".into()),
        ("a.".into(), "it may not end with '.'".into()),
        ("@{x}".into(), "'{' ".to_owned() + chars),
        ("@".into(), "'@' alone and '@{' are reserved by git".into()),
        ("HEAD".into(), "'HEAD' is reserved by git".into()),
        ("/a".into(), "it may not start or end with '/' or contain '//'".into()),
        ("a/".into(), "it may not start or end with '/' or contain '//'".into()),
        ("a//b".into(), "it may not start or end with '/' or contain '//'".into()),
        (String::new(), "it is empty".into()),
        (long, "it is longer than 200 bytes".into()),
        ("a\0b".into(), format!("'\\0' {chars}")),
        ("a\nb".into(), format!("'\\n' {chars}")),
        ("a\u{1b}[31m".into(), format!("'\\u{{1b}}' {chars}")),
    ];
    let mut cases = Vec::new();
    for (branch, why) in branches {
        let req = w.rpc(&w.token, "workspaces.create", json!({"project": "app", "branch": branch}));
        // A value longer than 64 characters is cut in the message, saying how long it was.
        let shown = if branch.chars().count() > 64 {
            format!("{}… ({} bytes)", branch.chars().take(64).collect::<String>(), branch.len())
        } else {
            branch.escape_debug().to_string()
        };
        let expect = rpc_err(INVALID, format!("invalid branch name '{shown}': {why}"));
        cases.push(case(C, format!("branch {branch:?}"), req, expect));
    }
    for (base, code, why) in [
        ("--upload-pack=x", INVALID, "it may not start with '-'".to_owned()),
        ("-b", INVALID, "it may not start with '-'".into()),
        ("$(id)", INVALID, format!("'$' {chars}")),
        ("a b", INVALID, format!("' ' {chars}")),
        ("main@{0}", INVALID, "'{' ".to_owned() + chars),
        ("main;id", INVALID, format!("';' {chars}")),
    ] {
        let req = w.rpc(&w.token, "workspaces.create", json!({"project": "app", "branch": "ok", "base": base}));
        cases.push(case(C, format!("base {base:?}"), req, rpc_err(code, why)));
    }
    let req = w.rpc(&w.token, "workspaces.create", json!({"project": "app", "branch": "ok", "base": "nope"}));
    cases.push(case(C, "base that names nothing", req, rpc_err(NOT_FOUND, "base 'nope' does not name a commit")));
    for (project, why) in [
        ("../app", "it may not start with '.' or '-'"),
        ("-app", "it may not start with '.' or '-'"),
        ("app;id", "';' is not allowed; use letters, digits, '.', '_' and '-'"),
        ("a/b", "'/' is not allowed; use letters, digits, '.', '_' and '-'"),
    ] {
        let req = w.rpc(&w.token, "workspaces.create", json!({"project": project, "branch": "ok"}));
        let expect = rpc_err(INVALID, format!("invalid project name '{project}': {why}"));
        cases.push(case(C, format!("project {project:?}"), req, expect));
    }
    cases
}

/// Terminal abuse over JSON-RPC and the terminal socket's URL.
/// `POST /notify`, the terminal agents' hook route: public, so the chat's notify secret is its
/// only credential (SECURITY.md 22). No token of band's stands in for a secret, no secret is
/// guessed from an empty, short or foreign one, and a body that is not a hook notification is
/// refused for what it is before any chat is looked at.
fn notify_cases(w: &World) -> Vec<Case> {
    const C: &str = "notify hooks";
    let post = |body: String| {
        Req::new("POST", "/notify").header("host", w.host()).header("content-type", "application/json").body(body)
    };
    let shape = "send {\"chat\": <id>, \"secret\": \"<BAND_NOTIFY_SECRET>\", \"hook\": {...}}";
    let no_agent = |chat: i64| http(401, format!("chat {chat} has no terminal agent running with this notify secret"));
    let hook = json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "git push"}});
    let mut cases = vec![
        case(
            C,
            "text/plain",
            Req::new("POST", "/notify").header("host", w.host()).header("content-type", "text/plain").body("{}"),
            http(415, "send a JSON body with `Content-Type: application/json`"),
        ),
        case(
            C,
            "two content types",
            post("{}".into()).header("content-type", "text/plain"),
            http(415, "send a JSON body with `Content-Type: application/json`"),
        ),
        case(
            C,
            "a form body",
            Req::new("POST", "/notify")
                .header("host", w.host())
                .header("content-type", "application/x-www-form-urlencoded")
                .body("chat=1&secret=x"),
            http(415, "send a JSON body with `Content-Type: application/json`"),
        ),
        case(C, "not JSON", post("{chat: 1".into()), http(400, shape)),
        case(C, "a JSON array", post("[1, \"x\", {}]".into()), http(400, shape)),
        case(C, "no secret", post(json!({"chat": 1, "hook": hook}).to_string()), http(400, shape)),
        case(C, "no chat", post(json!({"secret": "x", "hook": hook}).to_string()), http(400, shape)),
        case(C, "no hook", post(json!({"chat": 1, "secret": "x"}).to_string()), http(400, shape)),
        case(
            C,
            "a chat id as text",
            post(json!({"chat": "1", "secret": "x", "hook": hook}).to_string()),
            http(400, shape),
        ),
        case(
            C,
            "a chat id past i64",
            post(format!(r#"{{"chat": 99999999999999999999, "secret": "x", "hook": {hook}}}"#)),
            http(400, shape),
        ),
        case(
            C,
            "an unknown field",
            post(json!({"chat": 1, "secret": "x", "hook": hook, "token": w.token}).to_string()),
            http(400, shape),
        ),
        case(
            C,
            "more than 1 MiB",
            post(json!({"chat": 1, "secret": "x", "hook": {"pad": "x".repeat(1024 * 1024)}}).to_string()),
            http(413, "a hook notification is at most 1024 KiB"),
        ),
    ];
    // No credential of band's is a notify secret, on the workspace's chat or any other.
    for (name, secret) in [
        ("an empty secret", String::new()),
        ("the main token as the secret", w.token.clone()),
        ("a read device's token as the secret", w.read_token.clone()),
        ("a control device's token as the secret", w.control_token.clone()),
        ("a guessed secret", "00".repeat(32)),
        ("a secret of 10 KiB", "a".repeat(10 * 1024)),
    ] {
        for chat in [1, 0, -1, i64::MAX] {
            cases.push(case(
                C,
                format!("{name}, chat {chat}"),
                post(json!({"chat": chat, "secret": secret, "hook": hook}).to_string()),
                no_agent(chat),
            ));
        }
    }
    // A bearer token beside a wrong secret adds nothing.
    cases.push(case(
        C,
        "the main token in Authorization, a wrong secret",
        post(json!({"chat": 1, "secret": "x", "hook": hook}).to_string()).header("authorization", w.bearer()),
        no_agent(1),
    ));
    cases.push(case(
        C,
        "the main token's session cookie, a wrong secret",
        post(json!({"chat": 1, "secret": "x", "hook": hook}).to_string()).header("cookie", w.cookie.clone()),
        no_agent(1),
    ));
    cases
}

fn terminal_cases(w: &World) -> Vec<Case> {
    const C: &str = "terminal abuse";
    let t = w.terminal;
    let create = |params: Value| w.rpc(&w.token, "terminals.create", params);
    let mut cases = vec![
        case(
            C,
            "create in an unknown workspace",
            create(json!({"workspace": "app/nope"})),
            rpc_err(NOT_FOUND, "no workspace 'app/nope'; see workspaces.list"),
        ),
        case(
            C,
            "create in /",
            create(json!({"workspace": "/"})),
            rpc_err(NOT_FOUND, "/ is not inside a band workspace; name one; see workspaces.list"),
        ),
        case(C, "create in 999", create(json!({"workspace": "999"})), rpc_err(NOT_FOUND, "no workspace '999'")),
    ];
    for field in [
        json!({"cwd": "/"}),
        json!({"command": "sh -c id"}),
        json!({"shell": "/bin/sh"}),
        json!({"env": {"LD_PRELOAD": "/tmp/x.so"}}),
        json!({"args": ["-c", "id"]}),
    ] {
        let key = field.as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default();
        let mut params = json!({"workspace": "app/w"});
        params[&key] = field[&key].clone();
        let expect = rpc_err(INVALID, format!("invalid params for terminals.create: unknown field `{key}`"));
        cases.push(case(C, format!("create with {key}"), create(params), expect));
    }
    for (axis, value, max) in [
        ("cols", 0, 500),
        ("cols", 501, 500),
        ("cols", 100_000, 500),
        ("cols", -1, 500),
        ("rows", 0, 200),
        ("rows", 201, 200),
        ("rows", 100_000, 200),
        ("rows", -80, 200),
    ] {
        let mut params = json!({"workspace": "app/w"});
        params[axis] = json!(value);
        let expect = rpc_err(INVALID, format!("{axis} must be between 1 and {max} (got {value})"));
        cases.push(case(C, format!("create with {axis} {value}"), create(params), expect));
        let mut params = json!({"terminal": t, "cols": 80, "rows": 24});
        params[axis] = json!(value);
        let req = w.rpc(&w.token, "terminals.resize", params);
        let expect = rpc_err(INVALID, format!("{axis} must be between 1 and {max} (got {value})"));
        cases.push(case(C, format!("resize with {axis} {value}"), req, expect));
    }
    let req = w.rpc(&w.token, "terminals.send", json!({"terminal": t, "data": "a".repeat(64 * 1024 + 1)}));
    let expect = rpc_err(INVALID, "input of 65537 bytes is over the limit of 65536 bytes at once; send it in pieces");
    cases.push(case(C, "send 64 KiB + 1", req, expect));
    let req = w.rpc(&w.token, "terminals.send", json!({"terminal": 4242, "data": "id\n"}));
    cases.push(case(C, "send to an unknown terminal", req, rpc_err(NOT_FOUND, "no terminal 4242; see terminals.list")));
    let req = w.rpc(&w.token, "terminals.kill", json!({"terminal": 4242}));
    cases.push(case(C, "kill an unknown terminal", req, rpc_err(NOT_FOUND, "no terminal 4242")));
    // The socket's URL, checked before upgrading.
    for (target, status, message) in [
        (
            format!("/terminals/{t}/ws?after=abc"),
            400,
            "after must be a byte offset (a whole number), not 'abc'".to_owned(),
        ),
        (format!("/terminals/{t}/ws?after=-1"), 400, "after must be a byte offset (a whole number), not '-1'".into()),
        (format!("/terminals/{t}/ws?cmd=sh"), 400, "unknown query parameter 'cmd=sh'".into()),
        (format!("/terminals/{t}/ws?cwd=%2F"), 400, "unknown query parameter 'cwd=%2F'".into()),
        ("/terminals/abc/ws".into(), 404, "no terminal 'abc'; see terminals.list".into()),
        ("/terminals/4242/ws".into(), 404, "no terminal 4242; see terminals.list".into()),
        ("/terminals/-1/ws".into(), 404, "no terminal -1".into()),
        ("/terminals/99999999999999999999/ws".into(), 404, "no terminal '99999999999999999999'".into()),
    ] {
        let req = w.authed("GET", &target).upgrade();
        cases.push(case(C, format!("socket {target}"), req, http(status, message)));
    }
    let req = w.authed("GET", &format!("/terminals/{t}/ws"));
    cases.push(case(C, "socket without an upgrade", req, http(426, "is a WebSocket: connect with an upgrade request")));
    cases
}

/// A repository whose config and hooks run code when git touches it: band's git commands must
/// run none of it.
async fn rigged_repository(suite: &mut Suite, s: &TestServer) {
    const C: &str = "repository-controlled execution";
    let repo = RiggedRepo::named("trap");
    // The trap is armed: git run the ordinary way, without band's overrides, springs it.
    std::fs::write(repo.path().join("file.txt"), "two\n").expect("modify");
    repo.git(&["status", "--porcelain"]);
    repo.git(&["diff"]);
    let sprung = repo.markers();
    let armed = ["fsmonitor", "external-diff"].iter().all(|m| sprung.contains(&(*m).to_owned()));
    suite.record(C, "plain git springs the trap", if armed { Ok(()) } else { Err(format!("markers {sprung:?}")) });
    repo.git(&["checkout", "--", "file.txt"]);
    repo.clear_markers();

    let call = |method: &'static str, params: Value| async move {
        let reply = s.rpc(method, params).await;
        match reply.get("error") {
            None => Ok(reply["result"].clone()),
            Some(e) => Err(format!("{method} failed: {e}")),
        }
    };
    let outcome = call("projects.add", json!({"path": repo.path()})).await.map(|_| ());
    suite.record(C, "projects.add", outcome);
    let created = call("workspaces.create", json!({"project": "trap", "branch": "t"})).await;
    let root = created.as_ref().ok().and_then(|w| w["path"].as_str().map(PathBuf::from));
    suite.record(C, "workspaces.create", created.map(|_| ()));
    if let Some(root) = &root {
        std::fs::write(root.join("file.txt"), "changed in the workspace\n").expect("modify");
        std::fs::write(root.join("new.txt"), "untracked\n").expect("untracked");
    }
    let status = call("workspaces.status", json!({"workspace": "trap/t"})).await;
    let dirty = status.as_ref().map(|v| v["dirty"] == json!(true));
    suite.record(
        C,
        "workspaces.status sees the change",
        if dirty == Ok(true) { Ok(()) } else { Err(format!("{status:?}")) },
    );
    let diff = call("workspaces.diff", json!({"workspace": "trap/t"})).await;
    let patched = diff.as_ref().map(|v| v["patch"].as_str().unwrap_or_default().contains("+changed in the workspace"));
    suite.record(
        C,
        "workspaces.diff is git's own",
        if patched == Ok(true) { Ok(()) } else { Err(format!("{diff:?}")) },
    );
    let listed = call("files.list", json!({"workspace": "trap/t"})).await.map(|_| ());
    suite.record(C, "files.list", listed);
    let read = call("files.read", json!({"workspace": "trap/t", "path": "file.txt"})).await.map(|_| ());
    suite.record(C, "files.read", read);
    let removed = call("workspaces.remove", json!({"workspace": "trap/t", "force": true})).await.map(|_| ());
    suite.record(C, "workspaces.remove --force", removed);
    let gone = call("projects.remove", json!({"name": "trap"})).await.map(|_| ());
    suite.record(C, "projects.remove", gone);
    let left = repo.markers();
    let clean = if left.is_empty() { Ok(()) } else { Err(format!("band's git ran repository code: {left:?}")) };
    suite.record(C, "no marker appeared", clean);
}

/// Abuse on a live terminal socket: every bad control message gets an exact error and the
/// connection stays; oversized frames close it with 1009 and the reason.
async fn terminal_socket(suite: &mut Suite, w: &World, addr: SocketAddr) {
    const C: &str = "terminal abuse";
    let path = format!("/terminals/{}/ws", w.terminal);
    let bearer = [("authorization", w.bearer())];
    let Ok(mut ws) = websocket_at(addr, &path, &bearer).await else {
        suite.record(C, "open the terminal socket", Err("refused".into()));
        return;
    };
    let unknown = "unknown control message ";
    let whole = "resize takes [cols, rows] as two whole numbers";
    for (frame, why) in [
        ("not json".to_owned(), "a text frame must be a JSON control message".to_owned()),
        ("ls\r".into(), "a text frame must be a JSON control message".into()),
        (r#"{"resize":[0,0]}"#.into(), "cols must be between 1 and 500 (got 0)".into()),
        (r#"{"resize":[100000,24]}"#.into(), "cols must be between 1 and 500 (got 100000)".into()),
        (r#"{"resize":[-1,24]}"#.into(), "cols must be between 1 and 500 (got -1)".into()),
        (r#"{"resize":[80,201]}"#.into(), "rows must be between 1 and 200 (got 201)".into()),
        (r#"{"resize":[80,-5]}"#.into(), "rows must be between 1 and 200 (got -5)".into()),
        (
            r#"{"resize":[80,9223372036854775807]}"#.into(),
            "rows must be between 1 and 200 (got 9223372036854775807)".into(),
        ),
        (r#"{"resize":[1e10,24]}"#.into(), whole.into()),
        (r#"{"resize":[80.5,24]}"#.into(), whole.into()),
        (r#"{"resize":[80]}"#.into(), whole.into()),
        (r#"{"resize":[80,24,1]}"#.into(), whole.into()),
        (r#"{"resize":"80x24"}"#.into(), whole.into()),
        (r#"{"resize":["80","24"]}"#.into(), whole.into()),
        (r#"{"cwd":"/"}"#.into(), format!("{unknown}{{\"cwd\":\"/\"}}")),
        (r#"{"exec":"sh"}"#.into(), format!("{unknown}{{\"exec\":\"sh\"}}")),
        (r#"{"resize":[80,24],"input":"x"}"#.into(), unknown.into()),
        (r#"{"input":42}"#.into(), unknown.into()),
        (r#"[1,2]"#.into(), unknown.into()),
        ("null".into(), unknown.into()),
    ] {
        let outcome = async {
            ws.send(Message::text(frame.clone())).await.map_err(|e| format!("send: {e}"))?;
            loop {
                let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
                match next.map_err(|_| "no reply in 10 s".to_owned())? {
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(t.as_str()).map_err(|_| format!("not JSON: {t}"))?;
                        if v["type"] != "error" {
                            continue;
                        }
                        let m = v["message"].as_str().unwrap_or_default();
                        return if m.starts_with(why.as_str()) && suite.clean(m).is_ok() {
                            Ok(())
                        } else {
                            Err(format!("expected an error starting {why:?}, got {v}"))
                        };
                    }
                    Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => continue,
                    other => return Err(format!("the socket ended: {other:?}")),
                }
            }
        }
        .await;
        suite.record(C, &format!("socket control {frame:?}"), outcome);
    }
    let over = "input of 65537 bytes is over the limit of 65536 bytes at once; send it in pieces \
                (at most 65536 bytes per frame)";
    for (name, frame) in [
        ("binary frame of 64 KiB + 1", Message::binary(vec![b'a'; 64 * 1024 + 1])),
        ("text frame of 64 KiB + 1", Message::text("a".repeat(64 * 1024 + 1))),
    ] {
        let outcome = async {
            let mut ws = websocket_at(addr, &path, &bearer).await.map_err(|e| format!("refused: {e:?}"))?;
            ws.send(frame).await.map_err(|e| format!("send: {e}"))?;
            loop {
                let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
                match next.map_err(|_| "not closed in 10 s".to_owned())? {
                    Some(Ok(Message::Close(Some(f)))) => {
                        return if f.code == CloseCode::Size && f.reason.as_str() == over {
                            Ok(())
                        } else {
                            Err(format!("closed with {:?} {:?}", f.code, f.reason.as_str()))
                        };
                    }
                    Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return Err("closed without 1009".into()),
                    Some(Ok(_)) => continue,
                }
            }
        }
        .await;
        suite.record(C, &format!("socket {name}"), outcome);
    }
    // Beyond 1 MiB the WebSocket layer drops the connection without reading the frame.
    let outcome = async {
        let mut ws = websocket_at(addr, &path, &bearer).await.map_err(|e| format!("refused: {e:?}"))?;
        let _ = ws.send(Message::binary(vec![b'a'; 2 * 1024 * 1024])).await;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
            match next.map_err(|_| "not closed in 10 s".to_owned())? {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => continue,
            }
        }
    }
    .await;
    suite.record(C, "socket frame of 2 MiB is dropped", outcome);
}

#[tokio::test]
async fn security_suite_refuses_every_hostile_request_exactly() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    repo.commit_file("src/main.rs", "fn main() {}\n", "Add main");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let ws = s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let root = PathBuf::from(ws["path"].as_str().expect("path"));
    let terminal = s.ok("terminals.create", json!({"workspace": "app/w"})).await;

    // What the traversal cases reach for.
    let home = s.home.path().canonicalize().expect("home");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
    symlink("/etc/passwd", root.join("passwd-link")).expect("symlink");
    symlink(outside.path(), root.join("outside-dir")).expect("symlink");
    symlink(repo.path().join(".git"), root.join("gitdir-link")).expect("symlink");
    symlink(home.join("settings.json"), root.join("settings-link")).expect("symlink");
    symlink(home.join("band.db"), root.join("db-link")).expect("symlink");
    symlink("loop", root.join("loop")).expect("symlink");
    symlink(".git", root.join("gitfile")).expect("symlink");
    assert!(std::process::Command::new("mkfifo").arg(root.join("fifo")).status().expect("mkfifo").success());
    std::fs::write(root.join("big.log"), vec![b'x'; 3 * 1024 * 1024]).expect("big");
    std::fs::write(root.join("huge.bin"), vec![b'x'; 17 * 1024 * 1024]).expect("huge");

    // Devices: a reader (token and cookie), an operator (token), and a revoked one.
    let mut tokens = Vec::new();
    let mut read_cookie = String::new();
    for (name, scope) in [("reader", "read"), ("operator", "control"), ("gone", "read")] {
        let code = s.ok("devices.pair", json!({"name": name, "scope": scope})).await["code"]
            .as_str()
            .expect("code")
            .to_owned();
        let body = json!({"code": code}).to_string();
        let r =
            s.http("POST", "/pair", &[("host", s.host()), ("content-type", "application/json".into())], &body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        tokens.push(r.json()["token"].as_str().expect("token").to_owned());
    }
    s.ok("devices.revoke", json!({"device": "gone"})).await;
    // A read device's browser: a pairing URL opened like a page.
    let code = s.ok("devices.pair", json!({"name": "browser", "scope": "read"})).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let nav = [("host", s.host()), ("sec-fetch-mode", "navigate".into()), ("sec-fetch-dest", "document".into())];
    let r = s.http("GET", &format!("/?pair={code}"), &nav, "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    read_cookie.push_str(r.headers["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair"));
    let r = s.http("GET", &format!("/?token={}", s.token), &nav, "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r.headers["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned();

    let w = World {
        port: s.addr.port(),
        token: s.token.clone(),
        cookie,
        read_token: tokens[0].clone(),
        read_cookie,
        control_token: tokens[1].clone(),
        workspace: ws["id"].as_i64().expect("id"),
        terminal: terminal["id"].as_i64().expect("id"),
    };
    let mut suite = Suite { addr: s.addr, secrets: tokens.clone(), counts: BTreeMap::new(), failures: Vec::new() };
    suite.secrets.push(s.token.clone());

    suite.run(credential_cases(&w, &tokens[2])).await;
    suite.run(host_cases(&w)).await;
    suite.run(origin_cases(&w)).await;
    suite.run(websocket_cases(&w)).await;
    suite.run(cookie_cases(&w)).await;
    suite.run(scope_cases(&w)).await;
    suite.run(redirect_cases(&w)).await;
    suite.run(traversal_cases(&w, outside.path())).await;
    suite.run(branch_cases(&w)).await;
    suite.run(terminal_cases(&w)).await;
    suite.run(notify_cases(&w)).await;
    terminal_socket(&mut suite, &w, s.addr).await;
    rigged_repository(&mut suite, &s).await;

    // Nothing the hostile requests tried left a trace: no branch, no extra workspace or terminal.
    let branches = repo.git(&["branch", "--list", "--format=%(refname:short)"]);
    suite.record("aftermath", "only main and w exist", if branches == "main\nw" { Ok(()) } else { Err(branches) });
    let terms = s.ok("terminals.list", json!({})).await.as_array().map_or(0, Vec::len);
    suite.record("aftermath", "one terminal", if terms == 1 { Ok(()) } else { Err(format!("{terms} terminals")) });
    let settings = std::fs::read_to_string(home.join("settings.json")).expect("settings");
    let untouched = if settings.contains("allow-all") { Err(settings.clone()) } else { Ok(()) };
    suite.record("aftermath", "settings.json unchanged by a device's settings.set", untouched);
    suite.finish();
    drop(repo);
    s.stop().await;
}
