//! Webhooks against local receivers on 127.0.0.1: a chat waiting, a turn completed, a turn failed
//! and a failed cronjob run each reach the receiver as JSON with the secret header, in order,
//! although it fails the first attempts; a receiver that never answers holds up nothing.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use band_core::ports::AgentEvent;
use band_core::{AgentProtocol, StopReason, Usage};
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::TestServer;

/// One request as the receiver read it.
#[derive(Debug, Clone)]
struct Received {
    head: String,
    body: Value,
    answered: u16,
}

/// A receiver on 127.0.0.1 answering 500 to the first `fail` requests, then 200 (or never, with
/// `hang`). Keeps every request.
async fn receiver(fail: usize, hang: bool) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook?topic=band", listener.local_addr().expect("addr"));
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    // One request: the head, then Content-Length bytes.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 4096];
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let mut chunk = [0u8; 4096];
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or(Value::Null);
                    buf.drain(..head_end + len);
                    if hang {
                        seen.lock().expect("lock").push(Received { head, body, answered: 0 });
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    let answered = {
                        let mut all = seen.lock().expect("lock");
                        let answered = if all.len() < fail { 500 } else { 200 };
                        all.push(Received { head, body, answered });
                        answered
                    };
                    let reply = format!("HTTP/1.1 {answered} X\r\ncontent-length: 0\r\n\r\n");
                    if sock.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, got)
}

fn delivered(got: &Mutex<Vec<Received>>) -> Vec<Received> {
    got.lock().expect("lock").iter().filter(|r| r.answered == 200).cloned().collect()
}

async fn wait_status(s: &TestServer, chat: i64, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.ok("chats.get", json!({"chat": chat})).await["status"] != status {
        assert!(Instant::now() < deadline, "chat {chat} never became {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_get_each_event_in_order_through_failures_and_a_dead_receiver_blocks_nothing() {
    let (flaky, flaky_got) = receiver(2, false).await;
    let (dead, dead_got) = receiver(0, true).await;
    let home = tempfile::tempdir().expect("tempdir");
    crate::support::isolate_terminals(home.path());
    let path = home.path().join("settings.json");
    let mut settings: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    settings["webhooks"] = json!([
        {"url": flaky, "secret": "s3cret"},
        {"url": dead, "events": ["chat.waiting", "turn.completed"]},
    ]);
    std::fs::write(&path, settings.to_string()).expect("write");
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(home, Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w", "name": "helper"})).await["id"].as_i64().expect("id");

    // A permission request: the chat waits. Allowed, the turn completes; the next one fails.
    let started = Instant::now();
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let agent = fake.last();
    agent
        .emit(AgentEvent::PermissionRequest {
            request_id: "r1".into(),
            tool: "Bash".into(),
            input: "{}".into(),
            edit: false,
        })
        .await;
    wait_status(&s, chat, "waiting").await;
    s.ok("chats.respond", json!({"chat": chat, "decision": "allow"})).await;
    agent.emit(AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: Some(Usage::default()) }).await;
    wait_status(&s, chat, "completed").await;
    s.ok("chats.send", json!({"chat": chat, "message": "again"})).await;
    agent.emit(AgentEvent::TurnFailed { message: "the model refused".into(), usage: None }).await;
    wait_status(&s, chat, "failed").await;
    // The dead receiver (it never answers) held up none of it.
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // A cronjob whose chat is gone fails its run.
    s.ok("cronjobs.create", json!({"key": "orphan", "name": "Orphan", "prompt": "hi", "every": "1h", "chat": chat}))
        .await;
    s.ok("chats.remove", json!({"chat": chat})).await;
    let run = s.ok("cronjobs.trigger", json!({"key": "orphan"})).await;
    assert_eq!(run["outcome"], "failed");

    let deadline = Instant::now() + Duration::from_secs(30);
    while delivered(&flaky_got).len() < 4 {
        assert!(Instant::now() < deadline, "delivered: {:#?}", flaky_got.lock().expect("lock"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = flaky_got.lock().expect("lock").clone();
    assert_eq!(all.iter().map(|r| r.answered).collect::<Vec<_>>()[..3], [500, 500, 200], "retried after failures");
    let done = delivered(&flaky_got);
    let events: Vec<&str> = done.iter().map(|r| r.body["event"].as_str().unwrap_or("")).collect();
    assert_eq!(events, ["chat.waiting", "turn.completed", "turn.failed", "cronjob.failed"]);
    for r in &all {
        assert!(r.head.starts_with("post /hook?topic=band http/1.1"), "{}", r.head);
        assert!(
            r.head.contains("\r\nx-band-secret: s3cret\r\n") && r.head.contains("content-type: application/json"),
            "{}",
            r.head
        );
    }
    let first = &delivered(&flaky_got)[0].body;
    assert_eq!(first["chat"]["id"], chat);
    assert_eq!(first["text"], format!("band: chat {chat} 'helper' in app/w is waiting for you"));
    assert_eq!(first["content"], first["text"], "Discord's field too");
    let failed = &delivered(&flaky_got)[3].body;
    assert_eq!(failed["run"]["key"], "orphan");
    assert!(
        failed["text"].as_str().is_some_and(
            |t| t.starts_with("band: cronjob 'orphan' run ") && t.ends_with(&format!("failed: no chat {chat}"))
        ),
        "{failed}"
    );
    // The dead receiver got its first event (and no secret, none being set), then nothing more.
    let dead = dead_got.lock().expect("lock").clone();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body["event"], "chat.waiting");
    assert!(!dead[0].head.contains("x-band-secret"));
    s.stop().await;
}

/// A budget's 80 % warning and its stop reach webhooks that ask for them (and only those).
#[tokio::test(flavor = "multi_thread")]
async fn a_budgets_warning_and_stop_are_sent_to_webhooks() {
    let (all, all_got) = receiver(0, false).await;
    let (waits, waits_got) = receiver(0, false).await;
    let home = tempfile::tempdir().expect("tempdir");
    crate::support::isolate_terminals(home.path());
    let path = home.path().join("settings.json");
    let mut settings: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    settings["webhooks"] = json!([
        {"url": all, "events": ["budget.warning", "budget.stopped"]},
        {"url": waits, "events": ["chat.waiting"]},
    ]);
    std::fs::write(&path, settings.to_string()).expect("write");
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let s = TestServer::start_with(home, Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    s.ok("policy.set", json!({"chat": chat, "set": ["maxTokens=100"]})).await;
    s.ok("chats.send", json!({"chat": chat, "message": "go"})).await;
    let agent = fake.last();
    let used =
        |n: u64| AgentEvent::Update(band_core::AgentUpdate::Usage(Usage { input_tokens: n, ..Usage::default() }));
    agent.emit(used(50)).await;
    agent.emit(used(85)).await;
    agent.emit(used(90)).await;
    agent.emit(used(120)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while delivered(&all_got).len() < 2 {
        if Instant::now() > deadline {
            let events = s.ok("chats.events", json!({"chat": chat, "after": 0})).await;
            panic!("delivered: {:#?}; the chat: {events:#}", all_got.lock().expect("lock"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = delivered(&all_got);
    let events: Vec<&str> = got.iter().map(|r| r.body["event"].as_str().unwrap_or("")).collect();
    assert_eq!(events, ["budget.warning", "budget.stopped"], "the warning once, then the stop");
    assert_eq!(got[0].body["chat"]["id"], chat);
    let warning = got[0].body["text"].as_str().unwrap_or_default();
    assert!(warning.contains(&format!("80 % of maxTokens=100 of chat {chat} is used (85 tokens)")), "{warning}");
    let stop = got[1].body["text"].as_str().unwrap_or_default();
    assert!(stop.contains("maxTokens=100") && stop.contains("the turn is interrupted"), "{stop}");
    assert!(waits_got.lock().expect("lock").is_empty(), "a webhook gets only the events it asked for");
    s.stop().await;
}

#[tokio::test]
async fn a_bad_webhook_setting_keeps_the_server_from_starting_with_the_setting_named() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(home.path().join("settings.json"), json!({"webhooks": [{"url": "ntfy.sh/band"}]}).to_string())
        .expect("write");
    let e = band_server::start(band_server::Config::local(home.path())).await.err().expect("refused");
    assert!(
        e.to_string().contains("webhooks[0].url 'ntfy.sh/band' in settings.json is not an http or https URL"),
        "{e}"
    );
}
