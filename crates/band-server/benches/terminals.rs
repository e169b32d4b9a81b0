//! Terminal chats benchmark, band-server in-process with band-testkit's scripted TUI as a terminal
//! agent (a real process on a real PTY, through the real terminal runtime): the latency from a
//! keystroke sent on the chat's terminal WebSocket to its echo coming back on it (through band,
//! the PTY and the TUI); band's own memory per idle terminal chat (this process's RSS before and
//! after N chats each took a message and went idle, divided by N).
//!
//! `cargo bench -p band-server --bench terminals` runs it fully; `cargo test --all-targets` runs
//! a small smoke version so it cannot rot.

use std::time::{Duration, Instant};

use band_testkit::fixtures::TestRepo;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn rpc(client: &band_api::client::Client, method: &str, params: Value) -> Value {
    client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn rss_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

async fn wait_status(client: &band_api::client::Client, chat: i64, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while rpc(client, "chats.get", json!({"chat": chat})).await["status"] != wanted {
        assert!(Instant::now() < deadline, "chat {chat} never became {wanted}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads frames until none came for `quiet`.
async fn drain(ws: &mut Ws, quiet: Duration) {
    while let Ok(Some(_)) = tokio::time::timeout(quiet, ws.next()).await {}
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        println!("band terminal chats benchmark ({} run)", if full { "full" } else { "smoke" });
        let home = tempfile::tempdir().expect("tempdir");
        let [working, waiting, idle] = band_testkit::SCRIPTED_TUI_SCREEN;
        let agent = json!({"protocol": "terminal", "binary": band_testkit::scripted_tui(),
            "terminal": {"screen": {"working": [working], "waiting": [waiting], "idle": [idle]}}});
        std::fs::write(home.path().join("settings.json"), json!({"agents": {"scripted": agent}}).to_string())
            .expect("settings");
        let running = band_server::start(band_server::Config::local(home.path())).await.expect("server");
        let settings: Value =
            serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("read")).expect("json");
        let token = settings["tokenSecret"].as_str().expect("token").to_owned();
        let client = band_api::client::Client::new(&running.url(), Some(token.clone())).expect("client");
        let repo = TestRepo::named("bench");
        rpc(&client, "projects.add", json!({"path": repo.path()})).await;
        rpc(&client, "workspaces.create", json!({"project": "bench", "branch": "w"})).await;

        // Memory: N terminal chats, each started by a message and left idle.
        let chats = if full { 20 } else { 2 };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss_kib();
        let mut ids = Vec::new();
        for _ in 0..chats {
            let chat = rpc(&client, "chats.create", json!({"workspace": "bench/w", "agent": "scripted"})).await["id"]
                .as_i64()
                .expect("id");
            rpc(&client, "chats.send", json!({"chat": chat, "message": "hello"})).await;
            ids.push(chat);
        }
        for &chat in &ids {
            wait_status(&client, chat, "completed").await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_kib();
        let per_chat = (after - before) / chats as f64;
        println!(
            "band's memory per idle terminal chat: {:.0} KiB ({chats} chats: RSS {:.1} -> {:.1} MiB)   (aim: < 1 MiB)",
            per_chat,
            before / 1024.0,
            after / 1024.0
        );

        // Keystroke to echo, on the first chat's terminal socket.
        let terminals = rpc(&client, "terminals.list", json!({})).await;
        let terminal = terminals
            .as_array()
            .and_then(|t| t.iter().find(|t| t["chat"] == ids[0]))
            .expect("the chat's terminal")["id"]
            .as_i64()
            .expect("id");
        let port = running.addr.port();
        let mut req = format!("ws://127.0.0.1:{port}/terminals/{terminal}/ws").into_client_request().expect("req");
        req.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await.expect("ws");
        drain(&mut ws, Duration::from_millis(300)).await;
        let keys = if full { 500 } else { 20 };
        let mut lat = Vec::with_capacity(keys);
        for _ in 0..keys {
            let t = Instant::now();
            ws.send(Message::binary(b"q".to_vec())).await.expect("send");
            loop {
                match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                    Ok(Some(Ok(Message::Binary(b)))) if b.contains(&b'q') => break,
                    Ok(Some(Ok(_))) => {}
                    other => panic!("no echo: {other:?}"),
                }
            }
            lat.push(t.elapsed().as_micros() as u64);
        }
        lat.sort_unstable();
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        println!("keystroke -> terminal agent's echo through band ({keys} keys): p50 {p50:.3} ms, p99 {p99:.3} ms");
        if full {
            println!("\n| figure | value | aim |\n|---|---|---|");
            println!("| keystroke on the terminal WebSocket -> the agent's echo back on it ({keys} keys) | p50 {p50:.3} ms, p99 {p99:.3} ms | — |");
            println!("| band's memory per idle terminal chat ({chats} chats) | {per_chat:.0} KiB | < 1 MiB |");
        }
        for &chat in &ids {
            rpc(&client, "chats.stop", json!({"chat": chat})).await;
        }
        running.stop().await.expect("stop");
    });
}
