//! Chat streams over WebWs with fake agents: replay then live, no gap and no duplicate,
//! across reconnects and when a client falls behind; workspace notices; stopping on shutdown.

use std::sync::Arc;

use band_core::ports::AgentEvent;
use band_core::{AgentProtocol, AgentUpdate, StopReason};
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, Ws, next_json, subscribe, websocket};

async fn with_fake() -> (TestServer, Arc<FakeRuntime>, TestRepo, i64) {
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(tempfile::tempdir().expect("tempdir"), Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    (s, fake, repo, chat)
}

/// The next `n` event notifications' sequence numbers.
async fn seqs(ws: &mut Ws, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    while out.len() < n {
        let v = next_json(ws).await;
        assert_eq!(v["method"], "chats.event", "{v}");
        out.push(v["params"]["result"]["seq"].as_u64().expect("seq"));
    }
    out
}

fn chunk(i: usize) -> AgentEvent {
    AgentEvent::Update(AgentUpdate::MessageChunk { text: format!("c{i} "), message_id: None })
}

#[tokio::test]
async fn a_subscription_replays_then_follows_without_gap_or_duplicate_across_reconnects() {
    let (s, fake, _repo, chat) = with_fake().await;
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let agent = fake.last();
    for i in 0..20 {
        agent.emit(chunk(i)).await;
    }
    // prompt, turn_started, status + 20 chunks = 23 events so far.
    let mut ws = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": 0})).await;
    assert_eq!(seqs(&mut ws, 23).await, (1..=23).collect::<Vec<u64>>());

    // Live, while the agent keeps talking, the client drops and comes back from its last seq.
    let emitter = {
        let agent = agent.clone();
        tokio::spawn(async move {
            for i in 20..220 {
                agent.emit(chunk(i)).await;
                if i % 25 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut seen = seqs(&mut ws, 40).await;
    drop(ws);
    let last = *seen.last().expect("some");
    let mut ws = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": last})).await;
    emitter.await.expect("emitter");
    let rest = 223 - last as usize;
    seen.extend(seqs(&mut ws, rest).await);
    let mut all: Vec<u64> = (1..=23).collect();
    all.extend(seen);
    assert_eq!(all, (1..=223).collect::<Vec<u64>>(), "every event once, in order");

    // The turn ends: the stream carries it too.
    agent.emit(AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: None }).await;
    let tail = seqs(&mut ws, 2).await;
    assert_eq!(tail, [224, 225]);
    s.stop().await;
}

#[tokio::test]
async fn a_client_that_falls_far_behind_still_gets_every_event_once() {
    let (s, fake, _repo, chat) = with_fake().await;
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let mut ws = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": 0})).await;
    // Far more events than the live buffer holds, while the client reads nothing.
    let agent = fake.last();
    for i in 0..5000 {
        agent.emit(chunk(i)).await;
    }
    let got = seqs(&mut ws, 5003).await;
    assert_eq!(got, (1..=5003).collect::<Vec<u64>>());
    s.stop().await;
}

#[tokio::test]
async fn workspace_subscribers_see_chat_status_and_queue_changes() {
    let (s, fake, _repo, chat) = with_fake().await;
    let mut ws = subscribe(&s, "workspaces.subscribe", json!({"workspace": "app/w"})).await;
    s.ok("chats.send", json!({"chat": chat, "message": "first"})).await;
    let sent = s.ok("chats.send", json!({"chat": chat, "message": "second"})).await;
    assert_eq!(sent["outcome"], "queued");
    fake.last().emit(AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: None }).await;

    let mut notices = Vec::new();
    while notices.len() < 5 {
        let v = next_json(&mut ws).await;
        let item = &v["params"]["result"];
        notices.push(match item["type"].as_str() {
            Some("chat") => format!("chat:{}", item["chat"]["status"].as_str().unwrap_or("?")),
            Some("queue") => format!("queue:{}", item["queue"].as_array().map(Vec::len).unwrap_or(99)),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(notices, ["chat:working", "queue:1", "chat:completed", "chat:working", "queue:0"]);
    assert_eq!(fake.last().prompts(), ["first", "second"]);
    s.stop().await;
}

#[tokio::test]
async fn subscribing_to_a_missing_chat_is_refused_clearly() {
    let (s, _fake, _repo, _chat) = with_fake().await;
    let mut ws = websocket(s.addr, &[("authorization", format!("Bearer {}", s.token))]).await.expect("ws");
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "chats.subscribe", "params": {"chat": 999}});
    ws.send(Message::text(req.to_string())).await.expect("send");
    let reply = next_json(&mut ws).await;
    assert_eq!(reply["error"]["code"], -32001, "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap_or_default().starts_with("no chat 999"));
    s.stop().await;
}

#[tokio::test]
async fn shutdown_marks_running_chats_interrupted_and_stops_their_agents() {
    let (s, fake, _repo, chat) = with_fake().await;
    s.ok("chats.send", json!({"chat": chat, "message": "long"})).await;
    let home = s.home.path().to_owned();
    let TestServer { running, home: dir, .. } = s;
    running.expect("running").stop().await.expect("stop");
    assert!(fake.last().stopped(), "the agent was stopped");
    let s = TestServer::start_with(dir, Some(vec![FakeRuntime::new(AgentProtocol::ClaudeStreamJson)])).await;
    let c = s.ok("chats.get", json!({"chat": chat})).await;
    assert_eq!(c["status"], "interrupted");
    let turns = s.ok("chats.turns", json!({"chat": chat})).await;
    assert_eq!(turns[0]["error"], "band-server was shut down during the turn");
    assert!(home.exists());
    s.stop().await;
}

/// SECURITY.md R4: a client that leaves notifications unread for [`SLOW_CLIENT`] is hung up on
/// (not left with a subscription that silently stopped); another client on the same chat keeps
/// up meanwhile; the slow one reconnects after the last sequence number it got and ends with
/// every event once.
///
/// [`SLOW_CLIENT`]: band_server::rpc::SLOW_CLIENT
#[tokio::test]
async fn a_client_that_stops_reading_is_hung_up_on_and_resumes_without_gap_or_duplicate() {
    use futures_util::StreamExt;
    const N: usize = 4000;
    let (s, fake, _repo, chat) = with_fake().await;
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let total = N + 3;
    let mut slow = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": 0})).await;
    let mut fast = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": 0})).await;
    let fast_reader = tokio::spawn(async move { seqs(&mut fast, total).await });

    // 8 KiB a chunk, 32 MiB in all: far more than the socket buffers and the connection's queue
    // hold, so the server's sends to the client that reads nothing block.
    let agent = fake.last();
    let text = "x".repeat(8 * 1024);
    for i in 0..N {
        agent
            .emit(AgentEvent::Update(AgentUpdate::MessageChunk { text: format!("{i} {text}"), message_id: None }))
            .await;
    }
    let fast_got = tokio::time::timeout(band_server::rpc::SLOW_CLIENT, fast_reader)
        .await
        .expect("the reading client is not held back by the one that does not read")
        .expect("reader");
    assert_eq!(fast_got, (1..=total as u64).collect::<Vec<_>>());

    // Past the limit: the slow client's connection is closed. It reads what reached it, then
    // the end of the stream.
    tokio::time::sleep(band_server::rpc::SLOW_CLIENT + std::time::Duration::from_secs(2)).await;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), slow.next()).await.expect("a frame or the end") {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
                seen.push(v["params"]["result"]["seq"].as_u64().expect("seq"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            Some(Ok(other)) => panic!("unexpected {other:?}"),
        }
    }
    assert!(seen.len() < total, "the slow client was hung up on before it had everything ({})", seen.len());
    let last = seen.last().copied().unwrap_or(0);
    let mut again = subscribe(&s, "chats.subscribe", json!({"chat": chat, "after": last})).await;
    seen.extend(seqs(&mut again, total - last as usize).await);
    assert_eq!(seen, (1..=total as u64).collect::<Vec<_>>(), "every event once, in order");
    s.stop().await;
}
