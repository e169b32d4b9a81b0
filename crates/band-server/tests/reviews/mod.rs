//! Review comments through the real server (fake agents): kept per workspace across a restart
//! until resolved, refused clearly when malformed, sent as ONE message to the chat active last
//! (or the one named), queued behind a busy turn, never sent twice, announced to subscribers.

use band_core::AgentProtocol;
use band_core::ports::AgentEvent;
use band_testkit::agent::FakeRuntime;
use band_testkit::fixtures::TestRepo;
use serde_json::json;

use crate::support::{TestServer, next_json, subscribe};
use crate::{INVALID, NOT_FOUND};

#[tokio::test]
async fn comments_are_kept_until_resolved_and_sent_once_as_one_message() {
    let fake = FakeRuntime::new(AgentProtocol::ClaudeStreamJson);
    let home = tempfile::tempdir().expect("tempdir");
    let s = TestServer::start_with(home, Some(vec![fake.clone()])).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "x"})).await;
    let w = s.ok("workspaces.get", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");

    let mut notices = subscribe(&s, "workspaces.subscribe", json!({"workspace": "app/w"})).await;
    let a = s
        .ok(
            "workspaces.comments.add",
            json!({"workspace": "app/w", "path": "src/lib.rs", "startLine": 3, "endLine": 4,
                   "quote": "fn add(a: i32) -> i32 {\n    a + 1", "body": "handle overflow"}),
        )
        .await;
    assert_eq!(
        (
            a["path"].as_str(),
            a["side"].as_str(),
            a["startLine"].as_u64(),
            a["endLine"].as_u64(),
            a["resolved"].as_bool()
        ),
        (Some("src/lib.rs"), Some("new"), Some(3), Some(4), Some(false))
    );
    let v = next_json(&mut notices).await;
    assert_eq!(v["params"]["result"], json!({"type": "comments", "workspaceId": w}), "{v}");
    let b = s
        .ok(
            "workspaces.comments.add",
            json!({"workspace": "app/w", "path": "README.md", "side": "old", "startLine": 1, "body": "keep this line"}),
        )
        .await;

    // Bad input: named, nothing stored.
    for (params, what) in [
        (json!({"workspace": "app/w", "path": "a", "startLine": 0, "body": "x"}), "lines 0-0 are not a range"),
        (
            json!({"workspace": "app/w", "path": "a", "startLine": 5, "endLine": 2, "body": "x"}),
            "lines 5-2 are not a range",
        ),
        (json!({"workspace": "app/w", "path": "../etc/passwd", "startLine": 1, "body": "x"}), "file '../etc/passwd'"),
        (json!({"workspace": "app/w", "path": "a", "startLine": 1, "body": "  "}), "the comment is empty"),
        (
            json!({"workspace": "app/w", "path": "a", "startLine": 1, "side": "left", "body": "x"}),
            "unknown variant `left`",
        ),
    ] {
        let (code, msg) = s.err("workspaces.comments.add", params.clone()).await;
        assert_eq!((code, msg.contains(what)), (INVALID, true), "{params}: {msg}");
    }
    let (code, _) = s
        .err("workspaces.comments.add", json!({"workspace": "app/nope", "path": "a", "startLine": 1, "body": "x"}))
        .await;
    assert_eq!(code, NOT_FOUND);
    let (code, msg) = s.err("workspaces.comments.send", json!({"workspace": "app/w"})).await;
    assert_eq!((code, msg.contains("no chat to send the comments to")), (INVALID, true), "{msg}");
    assert_eq!(s.ok("workspaces.comments", json!({"workspace": "app/w"})).await.as_array().map(Vec::len), Some(2));
    assert_eq!(s.ok("workspaces.comments", json!({"workspace": "app/x"})).await, json!([]), "per workspace");

    // Two chats: the one active last gets them; a busy chat queues them.
    let older = s.ok("chats.create", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    let other = s.ok("chats.create", json!({"workspace": "app/x"})).await["id"].as_i64().expect("id");
    let (code, msg) = s.err("workspaces.comments.send", json!({"workspace": "app/w", "chat": other})).await;
    assert_eq!((code, msg.contains("is in another workspace")), (INVALID, true), "{msg}");
    s.ok("chats.send", json!({"chat": chat, "message": "start"})).await;
    let sent = s.ok("workspaces.comments.send", json!({"workspace": "app/w"})).await;
    assert_eq!((sent["chatId"].as_i64(), sent["sent"]["outcome"].as_str()), (Some(chat), Some("queued")), "{sent}");
    assert_ne!(Some(older), sent["chatId"].as_i64());
    let message = sent["message"].as_str().expect("message").to_owned();
    for part in [
        "src/lib.rs lines 3-4",
        "fn add(a: i32) -> i32 {\n    a + 1",
        "Comment: handle overflow",
        "README.md line 1 (removed lines",
        "Comment: keep this line",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    assert_eq!(sent["sent"]["queued"]["text"].as_str(), Some(message.as_str()), "one message carries them all");

    // The turn ends: the queued review is the agent's next prompt.
    fake.last().emit(AgentEvent::TurnEnded { stop_reason: band_core::StopReason::EndTurn, usage: None }).await;
    let mut prompts = Vec::new();
    for _ in 0..100 {
        prompts = fake.sessions().iter().flat_map(|s| s.prompts()).collect();
        if prompts.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(prompts, vec!["start".to_owned(), message.clone()]);

    // Sent comments are not sent again; resolved ones leave the list; a reopened one goes again.
    let (code, msg) = s.err("workspaces.comments.send", json!({"workspace": "app/w"})).await;
    assert_eq!((code, msg.contains("no unsent review comments")), (INVALID, true), "{msg}");
    let listed = s.ok("workspaces.comments", json!({"workspace": "app/w"})).await;
    assert!(listed.as_array().expect("list").iter().all(|c| c["sentChatId"].as_i64() == Some(chat)), "{listed}");
    s.ok("workspaces.comments.resolve", json!({"comment": a["id"]})).await;
    assert_eq!(s.ok("workspaces.comments", json!({"workspace": "app/w"})).await.as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.ok("workspaces.comments", json!({"workspace": "app/w", "all": true})).await.as_array().map(Vec::len),
        Some(2)
    );
    s.ok("workspaces.comments.resolve", json!({"comment": b["id"], "resolved": false})).await;
    let again = s.ok("workspaces.comments.send", json!({"workspace": "app/w", "chat": older})).await;
    assert_eq!((again["chatId"].as_i64(), again["comments"].as_array().map(Vec::len)), (Some(older), Some(1)));
    let (code, _) = s.err("workspaces.comments.resolve", json!({"comment": 999_999})).await;
    assert_eq!(code, NOT_FOUND);

    // Kept across a restart.
    let home = {
        let mut s = s;
        let running = s.running.take().expect("running");
        running.stop().await.expect("clean stop");
        s.home
    };
    let s = TestServer::start_in(home).await;
    let all = s.ok("workspaces.comments", json!({"workspace": "app/w", "all": true})).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    assert_eq!(all[0]["resolved"], true);
    s.stop().await;
}
