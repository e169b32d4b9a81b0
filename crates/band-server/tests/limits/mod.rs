//! Crowds and hostile requests (the reliability issue "nothing lost under races, crashes and
//! crowds", items 3 and 7): sockets have limits of their own, apart from calls, per device and
//! per browser, with room kept for the main token; idle connections that say nothing are closed;
//! what jsonrpsee would answer badly (ids it cannot echo, bodies over the limit, bytes that are
//! not UTF-8, batches without end) is answered with JSON that says what was wrong.

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, Ws, next_json, raw_http, websocket, websocket_at};

fn rpc_headers(s: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("host", s.host()),
        ("authorization", format!("Bearer {}", s.token)),
        ("content-type", "application/json".into()),
    ]
}

async fn pair_device(s: &TestServer, name: &str, scope: &str) -> String {
    let code =
        s.ok("devices.pair", json!({"name": name, "scope": scope})).await["code"].as_str().expect("code").to_owned();
    let body = json!({"code": code}).to_string();
    let r = s.http("POST", "/pair", &[("host", s.host()), ("content-type", "application/json".into())], &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["token"].as_str().expect("token").to_owned()
}

async fn subscribed(s: &TestServer, token: &str) -> Result<Ws, u16> {
    let mut ws = websocket(s.addr, &[("authorization", format!("Bearer {token}"))]).await?;
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "workspaces.subscribe", "params": {}});
    ws.send(Message::text(req.to_string())).await.expect("send");
    let reply = next_json(&mut ws).await;
    assert!(reply.get("result").is_some(), "subscription refused: {reply}");
    Ok(ws)
}

/// A thousand subscribed sockets do not lock out calls, and each hears a notice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_open_sockets_leave_calls_working_and_all_hear_a_notice() {
    const SOCKETS: usize = 1000;
    let s = TestServer::start().await;
    let mut sockets = Vec::with_capacity(SOCKETS);
    for i in 0..SOCKETS {
        match subscribed(&s, &s.token).await {
            Ok(ws) => sockets.push(ws),
            Err(status) => panic!("socket {i} refused with {status}"),
        }
    }
    // Plain calls, the CLI's client included, still answer, as JSON.
    let client = band_api::client::Client::new(&format!("http://{}", s.host()), Some(s.token.clone())).expect("client");
    for _ in 0..20 {
        client.call::<band_api::ProjectsList>(&band_api::NoParams {}).await.expect("a call with 1000 sockets open");
        assert_eq!(s.ok("settings.get", json!({})).await["tokenSet"], true);
    }
    // A global layout change reaches every socket.
    s.ok("layout.set", json!({"layout": {"hello": 1}})).await;
    let heard = futures_util::future::join_all(sockets.iter_mut().map(|ws| async move {
        loop {
            let v = next_json(ws).await;
            if v["params"]["result"]["type"] == "layout" {
                return v["params"]["result"]["layout"]["hello"].clone();
            }
        }
    }))
    .await;
    assert!(heard.iter().all(|h| *h == json!(1)), "every socket heard the layout");
    drop(sockets);
    s.stop().await;
}

/// One device cannot hold more than its share of sockets; it is told so in JSON, and the main
/// token can still connect.
#[tokio::test]
async fn a_device_over_its_socket_cap_is_refused_with_json_and_the_owner_still_gets_in() {
    let s = TestServer::start().await;
    let token = pair_device(&s, "tablet", "read").await;
    let mut held = Vec::new();
    for _ in 0..band_server::access::PER_DEVICE {
        held.push(subscribed(&s, &token).await.expect("within the device's cap"));
    }
    let refused =
        websocket_at(s.addr, "/rpc", &[("authorization", format!("Bearer {token}"))]).await.expect_err("one too many");
    assert_eq!(refused.0, 429);
    let body: Value = serde_json::from_str(&refused.1).expect("a JSON body");
    assert_eq!(
        body["error"],
        format!(
            "this device has {} sockets open, the most one device may; close some of its tabs",
            band_server::access::PER_DEVICE
        )
    );
    assert!(subscribed(&s, &s.token).await.is_ok(), "the main token still gets in");
    // Closing one makes room again.
    held.pop();
    let mut again = None;
    for _ in 0..50 {
        if let Ok(ws) = subscribed(&s, &token).await {
            again = Some(ws);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(again.is_some(), "a closed socket gives its place back");
    s.stop().await;
}

/// A connection that sends no request (or dribbles half a header) is closed after the header
/// timeout; it never needed a credential to be opened.
#[tokio::test]
async fn connections_that_say_nothing_are_closed() {
    let home = tempfile::tempdir().expect("tempdir");
    crate::support::isolate_terminals(home.path());
    let config =
        band_server::Config { header_timeout: Duration::from_millis(500), ..band_server::Config::local(home.path()) };
    let running = band_server::start(config).await.expect("start");
    let closed = |mut tcp: tokio::net::TcpStream| async move {
        let mut buf = [0u8; 256];
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap_or(false)
    };
    let silent = tokio::net::TcpStream::connect(running.addr).await.expect("connect");
    let mut dribbler = tokio::net::TcpStream::connect(running.addr).await.expect("connect");
    dribbler.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.expect("write");
    let (a, b) = tokio::join!(closed(silent), closed(dribbler));
    assert!(a, "a connection that sends nothing is closed");
    assert!(b, "a connection that never ends its headers is closed");
    // A real request on a fresh connection is answered as usual.
    let r =
        raw_http(running.addr, "GET", "/health", &[("host", format!("127.0.0.1:{}", running.addr.port()))], "").await;
    assert_eq!(r.status, 200);
    running.stop().await.expect("stop");
}

/// What jsonrpsee would answer badly is answered clearly, as JSON.
#[tokio::test]
async fn malformed_calls_get_json_that_says_what_was_wrong() {
    let s = TestServer::start().await;
    let headers = rpc_headers(&s);
    for id in ["{}", "[1]", "1.5"] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"projects.list","params":{{}}}}"#);
        let r = s.http("POST", "/rpc", &headers, &body).await;
        assert_eq!(r.status, 400, "id {id}: {}", r.body);
        let v = r.json();
        assert_eq!(v["error"]["code"], -32600, "{v}");
        assert_eq!(v["error"]["message"], "invalid request: an id must be a string, a whole number or null");
    }
    // Bytes that are not UTF-8.
    let r =
        crate::support::raw_http_bytes(s.addr, "/rpc", &headers, b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}")
            .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"]["message"], "the request is not UTF-8 text (invalid byte at offset 34); send JSON");
    // A batch without end is refused before any of its calls runs.
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"workspaces.status","params":{"workspace":"x"}}"#;
    let batch = format!("[{}]", vec![call; 1000].join(","));
    let r = s.http("POST", "/rpc", &headers, &batch).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["message"], "a batch of 1000 calls; band-server takes at most 50 in one request");
    // A body over the limit, sent chunked (no Content-Length to refuse it by), is a 413 in JSON.
    let r = crate::support::chunked_post(s.addr, "/rpc", &headers, 50 * 1024 * 1024).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.json()["error"], "the request is larger than 4 MiB, the most band-server reads");
    // A huge value is not echoed back whole.
    let name = "x".repeat(1024 * 1024);
    let (code, message) = s.err("projects.add", json!({"path": "/tmp", "name": name})).await;
    assert_eq!(code, -32602);
    assert!(message.len() < 400, "{} bytes: {}", message.len(), &message[..200]);
    assert!(message.starts_with("invalid project name 'xxxx") && message.contains("(1048576 bytes)"), "{message}");
    s.stop().await;
}

/// Panics seen in this test binary whose message holds `needle` (a hook that records, then
/// does what the default hook does).
fn panics_with(needle: &'static str) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = std::sync::Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains(needle) {
            count.fetch_add(1, Ordering::SeqCst);
        }
        default(info);
    }));
    seen
}

/// Shutdown with kept-alive connections open closes each of them once: the connection task used
/// to wait for the shutdown signal again after it fired, and panicked ("`async fn` resumed after
/// completion") about every other time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_kept_alive_connections_cleanly() {
    use http_body_util::{BodyExt, Empty};
    let resumed = panics_with("resumed after completion");
    let s = TestServer::start().await;
    let mut senders = Vec::new();
    for _ in 0..20 {
        let tcp = tokio::net::TcpStream::connect(s.addr).await.expect("connect");
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp)).await.expect("handshake");
        let ended = tokio::spawn(conn);
        let req = hyper::Request::get("/health")
            .header("host", s.host())
            .body(Empty::<hyper::body::Bytes>::new())
            .expect("request");
        let res = sender.send_request(req).await.expect("response");
        assert_eq!(res.status(), 200);
        res.into_body().collect().await.expect("body");
        senders.push((sender, ended));
    }
    s.stop().await;
    for (_sender, ended) in senders {
        let closed = tokio::time::timeout(Duration::from_secs(5), ended).await;
        assert!(closed.is_ok(), "a kept-alive connection was closed at shutdown");
    }
    assert_eq!(resumed.load(std::sync::atomic::Ordering::SeqCst), 0, "a connection task panicked at shutdown");
}
