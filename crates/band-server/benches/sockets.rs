//! Sockets benchmark: band-server (the release binary, a process of its own) with 1,000
//! WebSockets open and subscribed: a cheap call's latency over HTTP while they are open,
//! the time for one notice to reach all of them, and the server's RSS before and with them.
//!
//! `cargo bench -p band-server --bench sockets` runs it fully against the release binaries
//! (`./scripts/bench.sh` builds them first). Under `cargo test --all-targets` it runs once with
//! 20 sockets, as a smoke test, so that it cannot rot. Loopback only; bounded in count and time.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

mod common;

use common::{binaries, ms, rss_kib, token};

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sockets = if full { 1000 } else { 20 };
    let calls = if full { 2000 } else { 20 };
    let bin = binaries(&["band-server"]).join("band-server");
    println!(
        "band sockets benchmark ({} run, {sockets} sockets, {})",
        if full { "full" } else { "smoke" },
        bin.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let home = tempfile::tempdir().expect("tempdir");
    let (mut server, port) = start(&bin, home.path());
    let token = token(home.path());
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        let idle = rss_kib(server.id()).unwrap_or(0);
        rows.push(("server RSS, no socket".to_owned(), mib(idle), "-".to_owned()));
        let p_idle = cheap_call_p99(port, &token, calls).await;
        rows.push(("cheap call (settings.get) p99, no socket".to_owned(), ms(p_idle), "< 5 ms".to_owned()));

        let mut open = Vec::with_capacity(sockets);
        let t = Instant::now();
        for _ in 0..sockets {
            open.push(subscribe(port, &token).await);
        }
        rows.push((format!("open and subscribe {sockets} sockets"), ms(t.elapsed()), "-".to_owned()));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let with = rss_kib(server.id()).unwrap_or(0);
        rows.push((format!("server RSS, {sockets} sockets"), mib(with), "-".to_owned()));
        rows.push((
            "server RSS per socket".to_owned(),
            format!("{:.1} KiB", (with.saturating_sub(idle)) as f64 / sockets as f64),
            "-".to_owned(),
        ));
        let p_busy = cheap_call_p99(port, &token, calls).await;
        rows.push((format!("cheap call p99, {sockets} sockets open"), ms(p_busy), "< 5 ms".to_owned()));

        // Fan-out: one global layout change; the time until the last socket has its notice.
        let mut fanouts = Vec::new();
        for round in 0..if full { 5 } else { 1 } {
            let t = Instant::now();
            call(port, &token, "layout.set", json!({"layout": {"round": round}})).await;
            futures_util::future::join_all(open.iter_mut().map(|ws| wait_layout(ws, round))).await;
            fanouts.push(t.elapsed());
        }
        fanouts.sort();
        rows.push((
            format!("one notice to all {sockets} sockets (median of {})", fanouts.len()),
            ms(fanouts[fanouts.len() / 2]),
            "< 50 ms".to_owned(),
        ));
        drop(open);
        rows
    });
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
    if full {
        println!("\n| figure | value | aim |\n|---|---|---|");
    }
    for (name, value, aim) in rows {
        if full {
            println!("| {name} | {value} | {aim} |");
        } else {
            println!("{name:<48} {value:>12}   (aim: {aim})");
        }
    }
}

/// The p99 of `n` cheap calls, each its own HTTP request on a kept-alive connection.
async fn cheap_call_p99(port: u16, token: &str, n: usize) -> Duration {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call(port, token, "settings.get", json!({})).await;
        times.push(t.elapsed());
    }
    times.sort();
    times[(times.len() * 99 / 100).min(times.len() - 1)]
}

async fn call(port: u16, token: &str, method: &str, params: serde_json::Value) -> serde_json::Value {
    let client =
        band_api::client::Client::new(&format!("http://127.0.0.1:{port}"), Some(token.to_owned())).expect("client");
    client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

async fn subscribe(port: u16, token: &str) -> Ws {
    let mut req = format!("ws://127.0.0.1:{port}/rpc").into_client_request().expect("request");
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.expect("upgrade");
    let sub = json!({"jsonrpc": "2.0", "id": 1, "method": "workspaces.subscribe", "params": {}});
    ws.send(Message::text(sub.to_string())).await.expect("send");
    loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
            assert!(v.get("result").is_some(), "subscription refused: {v}");
            return ws;
        }
    }
}

async fn wait_layout(ws: &mut Ws, round: u32) {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
                if v["params"]["result"]["layout"]["round"] == round {
                    return;
                }
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("a socket did not hear the notice: {other:?}"),
        }
    }
}

#[allow(clippy::zombie_processes)] // the caller stops and waits for it
fn start(bin: &Path, home: &Path) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new(bin)
        .args(["--port", "0"])
        .env("BAND_HOME", home)
        .env("BAND_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn band-server");
    let mut first = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    out.read_line(&mut first).expect("first line");
    // Read the rest too, so the server never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let port = first.rsplit(':').next().and_then(|p| p.trim().parse().ok()).expect("the listening port");
    (child, port)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
