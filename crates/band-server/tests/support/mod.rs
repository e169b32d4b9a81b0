//! Helpers for driving a real band-server: in-process start, raw HTTP with full control of
//! headers, JSON-RPC calls, WebSocket connections.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use band_server::{Config, Running};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

pub struct TestServer {
    pub home: tempfile::TempDir,
    pub running: Option<Running>,
    pub token: String,
    pub addr: SocketAddr,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_in(tempfile::tempdir().expect("tempdir")).await
    }

    /// A server on an existing home (for restarts).
    pub async fn start_in(home: tempfile::TempDir) -> Self {
        Self::start_with(home, None).await
    }

    /// A server whose agents are `agents` (fakes), or the real ones.
    pub async fn start_with(
        home: tempfile::TempDir,
        agents: Option<Vec<std::sync::Arc<dyn band_core::ports::AgentRuntime>>>,
    ) -> Self {
        Self::start_full(home, agents, None).await
    }

    /// A server serving the dashboard files in `web_dir`.
    pub async fn start_full(
        home: tempfile::TempDir,
        agents: Option<Vec<std::sync::Arc<dyn band_core::ports::AgentRuntime>>>,
        web_dir: Option<PathBuf>,
    ) -> Self {
        isolate_terminals(home.path());
        let config = Config { web_dir, ..Config::local(home.path()) };
        let running = match agents {
            Some(agents) => band_server::start_with(config, agents).await,
            None => band_server::start(config).await,
        }
        .expect("server starts");
        let settings: Value =
            serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("settings")).expect("json");
        let token = settings["tokenSecret"].as_str().expect("token").to_owned();
        let addr = running.addr;
        Self { home, running: Some(running), token, addr }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    pub fn worktrees(&self) -> PathBuf {
        std::fs::canonicalize(self.home.path().join("worktrees")).expect("worktrees dir")
    }

    /// A JSON-RPC call with the token; returns the whole reply object.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let res = self
            .http(
                "POST",
                "/rpc",
                &[
                    ("host", self.host()),
                    ("authorization", format!("Bearer {}", self.token)),
                    ("content-type", "application/json".into()),
                ],
                &body,
            )
            .await;
        assert_eq!(res.status, 200, "{method}: {}", res.body);
        serde_json::from_str(&res.body).expect("json reply")
    }

    /// The result of a call that must succeed.
    pub async fn ok(&self, method: &str, params: Value) -> Value {
        let reply = self.rpc(method, params).await;
        assert!(reply.get("error").is_none(), "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// The error (code, message) of a call that must fail.
    pub async fn err(&self, method: &str, params: Value) -> (i64, String) {
        let (code, message, _) = self.err_data(method, params).await;
        (code, message)
    }

    /// As [`Self::err`], with the error's data (its kind, the facts, the fix as data).
    pub async fn err_data(&self, method: &str, params: Value) -> (i64, String, Value) {
        let reply = self.rpc(method, params).await;
        let e = reply.get("error").unwrap_or_else(|| panic!("{method} should fail: {reply}"));
        (e["code"].as_i64().expect("code"), e["message"].as_str().expect("message").to_owned(), e["data"].clone())
    }

    /// Any HTTP request, headers exactly as given (nothing added, not even Host).
    pub async fn http(&self, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> Reply {
        raw_http(self.addr, method, path, headers, body).await
    }

    /// A GET (or HEAD) with the token and the right Host.
    pub async fn get(&self, method: &str, path: &str) -> Reply {
        let headers = [("host", self.host()), ("authorization", format!("Bearer {}", self.token))];
        self.http(method, path, &headers, "").await
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.expect("clean stop");
        }
    }
}

/// Terminals of a test server get a HOME of their own, so the user's shell start-up files stay
/// out of the tests (one that hangs or prints would fail them for reasons not band's). Written
/// on a fresh home only.
pub fn isolate_terminals(home: &Path) {
    let settings = home.join("settings.json");
    if !settings.exists() {
        let shell_home = home.join("shell-home");
        std::fs::create_dir_all(&shell_home).expect("shell home");
        let text = json!({"terminals": {"env": {"HOME": shell_home}}}).to_string();
        std::fs::write(settings, text).expect("settings");
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    /// The body as text (lossy); `bytes` has it exactly.
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

pub async fn raw_http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let req = req.body(Full::new(Bytes::from(body.to_owned()))).expect("request");
    let res = sender.send_request(req).await.expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned(), bytes: body.to_vec() }
}

/// Opens a WebSocket to `/rpc` with exactly these extra headers; Err(status) when refused.
pub async fn websocket(
    addr: SocketAddr,
    headers: &[(&str, String)],
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, u16> {
    websocket_at(addr, "/rpc", headers).await.map_err(|(status, _)| status)
}

/// Opens a WebSocket to `path` with exactly these extra headers; Err((status, body)) when the
/// upgrade is refused.
pub async fn websocket_at(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, (u16, String)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://127.0.0.1:{}{path}", addr.port()).into_client_request().expect("request");
    for (name, value) in headers {
        req.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
    }
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            Err((res.status().as_u16(), body))
        }
        Err(e) => panic!("websocket failed unexpectedly: {e}"),
    }
}

/// Sends one JSON-RPC request over a WebSocket and returns the reply.
pub async fn ws_call(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    method: &str,
    params: Value,
) -> Value {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let req = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string();
    ws.send(Message::text(req)).await.expect("send");
    loop {
        match ws.next().await.expect("a reply").expect("frame") {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

pub fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Subscribes with the token over a new WebSocket; the subscription must be accepted.
pub async fn subscribe(s: &TestServer, method: &str, params: Value) -> Ws {
    use futures_util::SinkExt;
    let mut ws = websocket(s.addr, &[("authorization", format!("Bearer {}", s.token))]).await.expect("ws");
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    ws.send(tokio_tungstenite::tungstenite::Message::text(req.to_string())).await.expect("send");
    let reply = next_json(&mut ws).await;
    assert!(reply.get("result").is_some(), "subscription refused: {reply}");
    ws
}

/// The next JSON message (pings skipped), within 10 s.
pub async fn next_json(ws: &mut Ws) -> Value {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await.expect("a frame in time");
        match frame.expect("open").expect("frame") {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("json"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A POST whose body is exactly `body` (bytes, not necessarily UTF-8).
pub async fn raw_http_bytes(addr: SocketAddr, path: &str, headers: &[(&str, String)], body: &[u8]) -> Reply {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(conn);
    let mut req = hyper::Request::builder().method("POST").uri(path);
    for (name, value) in headers {
        req = req.header(*name, value.as_str());
    }
    let req = req.body(Full::new(Bytes::from(body.to_vec()))).expect("request");
    let res = sender.send_request(req).await.expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned(), bytes: body.to_vec() }
}

/// A POST of `size` bytes sent chunked (no Content-Length), written by hand; the reply as far as
/// the server sends one (it may stop reading early).
pub async fn chunked_post(addr: SocketAddr, path: &str, headers: &[(&str, String)], size: usize) -> Reply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!("POST {path} HTTP/1.1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes()).await.expect("head");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    // The server may answer and close before all is sent: stop writing then.
    while sent < size {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if tcp.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), tcp.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    // A body sent with content-length or chunked: take the JSON object in it.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if b >= a => body[a..=b].to_owned(),
        _ => body,
    };
    Reply { status, headers: hyper::HeaderMap::new(), bytes: body.clone().into_bytes(), body }
}

/// A JSON-RPC call with `token` over a fresh connection; `None` when no reply came (the server
/// is gone or went away mid-request).
pub async fn try_rpc(addr: SocketAddr, token: &str, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method("POST")
        .uri("/rpc")
        .header("host", format!("127.0.0.1:{}", addr.port()))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let res = sender.send_request(req).await.ok()?;
    let bytes = res.into_body().collect().await.ok()?.to_bytes();
    serde_json::from_slice(&bytes).ok()
}
