//! Chat streaming benchmark, fake agents in-process (no model, no agent CLI): latency from an
//! agent's output to a WebSocket subscriber with 1, 10 and 50 chats streaming; replay of the
//! newest 100 events of a chat holding 100,000; the server's RSS with 50 chats streaming. Then
//! ACP: 20 chats, each a real process (band-testkit's fake ACP agent, through the real ACP
//! adapter) streaming; latency from the line the agent writes (stamped with the wall clock) to
//! the WebSocket subscriber.
//!
//! `cargo bench -p band-server --bench chats` runs it fully; `cargo test --all-targets` runs a
//! small smoke version so it cannot rot.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use band_core::ports::AgentEvent;
use band_core::{AgentProtocol, AgentUpdate};
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

static EPOCH: OnceLock<Instant> = OnceLock::new();

fn now_us() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

struct Bench {
    url: String,
    token: String,
    port: u16,
    fake: Arc<FakeRuntime>,
    _repo: TestRepo,
    _home: tempfile::TempDir,
    running: band_server::Running,
}

async fn rpc(b: &Bench, method: &str, params: Value) -> Value {
    let client = band_api::client::Client::new(&b.url, Some(b.token.clone())).expect("client");
    client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

async fn start() -> Bench {
    let home = tempfile::tempdir().expect("tempdir");
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    // The ACP chats run band-testkit's fake ACP agent as an agent of their own.
    let agent = json!({"protocol": "acp", "binary": band_testkit::fake_acp_agent()});
    std::fs::write(home.path().join("settings.json"), json!({"agents": {"fake-acp": agent}}).to_string())
        .expect("settings");
    let acp = Arc::new(band_adapters::agents::acp::AcpRuntime::new(band_process::Supervisor::new()));
    let config = band_server::Config::local(home.path());
    let running = band_server::start_with(config, vec![fake.clone(), acp]).await.expect("server");
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("read")).expect("json");
    let repo = TestRepo::named("bench");
    let b = Bench {
        url: running.url(),
        port: running.addr.port(),
        token: settings["tokenSecret"].as_str().expect("token").to_owned(),
        fake,
        _repo: repo,
        _home: home,
        running,
    };
    rpc(&b, "projects.add", json!({"path": b._repo.path()})).await;
    rpc(&b, "workspaces.create", json!({"project": "bench", "branch": "w"})).await;
    b
}

/// Opens a chat, starts a turn (so its fake agent exists) and subscribes to it.
async fn chat_with_subscriber(b: &Bench) -> (i64, tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) {
    let chat = rpc(b, "chats.create", json!({"workspace": "bench/w"})).await["id"].as_i64().expect("id");
    rpc(b, "chats.send", json!({"chat": chat, "message": "stream"})).await;
    let mut req = format!("ws://127.0.0.1:{}/rpc", b.port).into_client_request().expect("req");
    req.headers_mut().insert("authorization", format!("Bearer {}", b.token).parse().expect("header"));
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", b.port)).await.expect("connect");
    let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await.expect("ws");
    let sub = json!({"jsonrpc": "2.0", "id": 1, "method": "chats.subscribe", "params": {"chat": chat, "after": 3}});
    ws.send(Message::text(sub.to_string())).await.expect("subscribe");
    (chat, ws)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// `chats` chats, each agent emitting `per_chat` chunks every `gap`; returns latencies in µs.
async fn stream(b: &Bench, chats: usize, per_chat: usize, gap: Duration) -> Vec<u64> {
    let first_session = b.fake.sessions().len();
    let mut subscribers = Vec::new();
    for _ in 0..chats {
        subscribers.push(chat_with_subscriber(b).await);
    }
    let sessions: Vec<_> = b.fake.sessions()[first_session..].to_vec();
    assert_eq!(sessions.len(), chats);
    let readers: Vec<_> = subscribers
        .into_iter()
        .map(|(_, mut ws)| {
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per_chat);
                while lat.len() < per_chat {
                    // The server pings its sockets: control frames are not events.
                    let t = match ws.next().await {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(_)) => continue,
                        _ => break,
                    };
                    let v: Value = serde_json::from_str(t.as_str()).expect("json");
                    if let Some(text) = v["params"]["result"]["text"].as_str()
                        && let Ok(sent) = text.parse::<u64>()
                    {
                        lat.push(now_us().saturating_sub(sent));
                    }
                }
                lat
            })
        })
        .collect();
    let n = sessions.len() as u32;
    let writers: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, agent)| {
            tokio::spawn(async move {
                // Agents are not synchronized: spread their outputs over the interval.
                tokio::time::sleep(gap * i as u32 / n).await;
                let mut tick = tokio::time::interval(gap);
                for _ in 0..per_chat {
                    tick.tick().await;
                    agent
                        .emit(AgentEvent::Update(AgentUpdate::MessageChunk {
                            text: now_us().to_string(),
                            message_id: None,
                        }))
                        .await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let mut all = Vec::new();
    for r in readers {
        all.extend(r.await.expect("reader"));
    }
    all
}

/// Wall-clock microseconds (what the fake ACP agent stamps its chunks with).
fn wall_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// `chats` ACP chats, each agent process streaming `per_chat` chunks `gap_ms` apart; returns the
/// latencies, in µs, from the agent's write to the subscriber's read.
async fn stream_acp(b: &Bench, chats: usize, per_chat: usize, gap_ms: u64) -> Vec<u64> {
    let mut readers = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..chats {
        let chat = rpc(b, "chats.create", json!({"workspace": "bench/w", "agent": "fake-acp"})).await["id"]
            .as_i64()
            .expect("id");
        // Started and idle first, so that the measured turn's first event is not the launch.
        rpc(b, "chats.send", json!({"chat": chat, "message": "warm up"})).await;
        ids.push(chat);
    }
    for &chat in &ids {
        let deadline = Instant::now() + Duration::from_secs(30);
        while rpc(b, "chats.get", json!({"chat": chat})).await["status"] != "completed" {
            assert!(Instant::now() < deadline, "chat {chat} never finished warming up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let last = rpc(b, "chats.get", json!({"chat": chat})).await["lastSeq"].as_u64().expect("seq");
        let mut req = format!("ws://127.0.0.1:{}/rpc", b.port).into_client_request().expect("req");
        req.headers_mut().insert("authorization", format!("Bearer {}", b.token).parse().expect("header"));
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", b.port)).await.expect("connect");
        let (mut ws, _) = tokio_tungstenite::client_async(req, stream).await.expect("ws");
        let sub =
            json!({"jsonrpc": "2.0", "id": 1, "method": "chats.subscribe", "params": {"chat": chat, "after": last}});
        ws.send(Message::text(sub.to_string())).await.expect("subscribe");
        readers.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_chat);
            while lat.len() < per_chat {
                let t = match ws.next().await {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(_)) => continue,
                    _ => break,
                };
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if let Some(sent) = v["params"]["result"]["text"]
                    .as_str()
                    .and_then(|text| text.strip_prefix("t="))
                    .and_then(|t| t.trim().parse::<u64>().ok())
                {
                    lat.push(wall_us().saturating_sub(sent));
                }
            }
            lat
        }));
    }
    for &chat in &ids {
        rpc(b, "chats.send", json!({"chat": chat, "message": format!("stream {per_chat} {gap_ms}")})).await;
    }
    let mut all = Vec::new();
    for r in readers {
        all.extend(r.await.expect("reader"));
    }
    for &chat in &ids {
        rpc(b, "chats.stop", json!({"chat": chat})).await;
    }
    all
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        EPOCH.get_or_init(Instant::now);
        let b = start().await;
        println!("band chat streaming benchmark ({} run)", if full { "full" } else { "smoke" });
        let per_chat = if full { 200 } else { 5 };
        let gap = Duration::from_millis(if full { 10 } else { 1 });
        let mut rows = Vec::new();
        for chats in [1usize, 10, 50] {
            let chats = if full { chats } else { chats.min(3) };
            let mut lat = stream(&b, chats, per_chat, gap).await;
            assert_eq!(lat.len(), chats * per_chat, "every event arrived");
            lat.sort_unstable();
            let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
            println!("{chats:>3} chats streaming ({} events): p50 {p50:.3} ms, p99 {p99:.3} ms   (aim: p99 < 5 ms at 50)", lat.len());
            rows.push(format!("| latency, agent output to WebSocket subscriber, {chats} chat(s) streaming | p50 {p50:.3} ms, p99 {p99:.3} ms | p99 < 5 ms at 50 |"));
            if chats >= 50 || (!full && chats == 3) {
                let rss = rss_mib();
                println!("RSS with {chats} chats streaming (server and its clients, one process): {rss:.1} MiB   (aim: < 100 MB)");
                rows.push(format!("| RSS with {chats} chats streaming (server + bench clients, one process) | {rss:.1} MiB | < 100 MB |"));
            }
        }

        // ACP: real agent processes through the real adapter.
        let (chats, per_chat) = if full { (20, 200) } else { (2, 5) };
        let mut lat = stream_acp(&b, chats, per_chat, if full { 10 } else { 1 }).await;
        assert_eq!(lat.len(), chats * per_chat, "every ACP event arrived");
        lat.sort_unstable();
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        println!("{chats:>3} ACP chats streaming ({} events): p50 {p50:.3} ms, p99 {p99:.3} ms   (aim: p99 < 5 ms at 20)", lat.len());
        rows.push(format!("| latency, ACP agent's line to WebSocket subscriber, {chats} ACP chats streaming (a process each) | p50 {p50:.3} ms, p99 {p99:.3} ms | p99 < 5 ms at 20 |"));

        // Replay: the newest 100 events of a chat holding many.
        let total = if full { 100_000 } else { 500 };
        let chat = rpc(&b, "chats.create", json!({"workspace": "bench/w"})).await["id"].as_i64().expect("id");
        rpc(&b, "chats.send", json!({"chat": chat, "message": "fill"})).await;
        let agent = b.fake.last();
        let t = Instant::now();
        for i in 0..total {
            agent.emit(AgentEvent::Update(AgentUpdate::MessageChunk { text: format!("event {i}"), message_id: None })).await;
        }
        let fill = t.elapsed();
        println!("appended {total} events one by one in {fill:?} ({:.1} µs each)", fill.as_micros() as f64 / total as f64);
        let client = band_api::client::Client::new(&b.url, Some(b.token.clone())).expect("client");
        let mut times = Vec::new();
        for _ in 0..if full { 200 } else { 5 } {
            let t = Instant::now();
            let page = client.call_raw("chats.events", json!({"chat": chat, "limit": 100})).await.expect("events");
            times.push(t.elapsed().as_micros() as u64);
            assert_eq!(page.as_array().map(Vec::len), Some(100));
        }
        times.sort_unstable();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!("newest 100 of {total} events over JSON-RPC/HTTP: p50 {p50:.3} ms, p99 {p99:.3} ms   (aim: < 5 ms)");
        rows.push(format!("| newest 100 events of a chat holding {total}, `chats.events` over HTTP | p50 {p50:.3} ms, p99 {p99:.3} ms | < 5 ms |"));
        rows.push(format!("| appending {total} agent events one at a time (store + publish) | {:.1} µs per event | — |", fill.as_micros() as f64 / total as f64));
        if full {
            println!("\n| figure | value | aim |\n|---|---|---|");
            for r in rows {
                println!("{r}");
            }
        }
        b.running.stop().await.expect("stop");
    });
}
