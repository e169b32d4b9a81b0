//! Remembered layouts through the real server: per workspace and global, refused clearly when
//! malformed, announced to `workspaces.subscribe`, kept across a restart, gone with their
//! workspace.

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::support::{TestServer, Ws, next_json, subscribe};
use crate::{INVALID, NOT_FOUND};

/// A server with project `app` and workspaces `app/w` and `app/x`.
async fn server() -> (TestServer, TestRepo) {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    for branch in ["w", "x"] {
        s.ok("workspaces.create", json!({"project": "app", "branch": branch})).await;
    }
    (s, repo)
}

/// The next notice, which must be a layout notice: (workspaceId, layout).
async fn next_layout(ws: &mut Ws) -> (Option<i64>, Value) {
    let v = next_json(ws).await;
    let item = &v["params"]["result"];
    assert_eq!(item["type"], "layout", "{v}");
    assert!(item["updatedAt"].as_i64().is_some(), "{v}");
    (item["workspaceId"].as_i64(), item["layout"].clone())
}

#[tokio::test]
async fn layouts_are_kept_per_workspace_and_globally() {
    let (s, _repo) = server().await;
    let w = s.ok("workspaces.get", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");

    assert_eq!(s.ok("layout.get", json!({})).await, json!({"layout": null, "updatedAt": null}));
    assert_eq!(
        s.ok("layout.get", json!({"workspace": "app/w"})).await,
        json!({"workspaceId": w, "layout": null, "updatedAt": null})
    );

    let global = json!({"panes": ["chat", "files"], "sizes": [30, 70], "nested": {"ünï": "✓"}});
    let set = s.ok("layout.set", json!({"layout": global})).await;
    assert_eq!(set["layout"], global);
    assert!(set.get("workspaceId").is_none());
    let first = set["updatedAt"].as_i64().expect("updatedAt");
    assert_eq!(s.ok("layout.get", json!({})).await, set, "get returns what set returned");

    let mine = json!({"activeChat": 3, "open": ["changes"]});
    let set_w = s.ok("layout.set", json!({"workspace": "app/w", "layout": mine})).await;
    assert_eq!((set_w["workspaceId"].as_i64(), set_w["layout"].clone()), (Some(w), mine.clone()));
    // Any selector names the same workspace.
    assert_eq!(s.ok("layout.get", json!({"workspace": w.to_string()})).await, set_w);
    assert_eq!(s.ok("layout.get", json!({"workspace": "app/x"})).await["layout"], Value::Null, "each its own");
    assert_eq!(s.ok("layout.get", json!({})).await["layout"], global, "the global one is untouched");

    let again = s.ok("layout.set", json!({"layout": {"panes": []}})).await;
    assert!(again["updatedAt"].as_i64().expect("updatedAt") > first, "updatedAt moves forward");
    assert_eq!(s.ok("layout.get", json!({})).await["layout"], json!({"panes": []}), "replaced, not merged");
    s.stop().await;
}

#[tokio::test]
async fn malformed_layouts_are_refused_clearly_and_change_nothing() {
    let (s, _repo) = server().await;
    let kept = s.ok("layout.set", json!({"workspace": "app/w", "layout": {"keep": true}})).await;

    for (layout, what) in [
        (json!([1, 2]), "an array"),
        (json!("panes"), "a string"),
        (json!(3), "a number"),
        (json!(true), "a boolean"),
        (Value::Null, "null"),
    ] {
        let (code, msg) = s.err("layout.set", json!({"workspace": "app/w", "layout": layout})).await;
        assert_eq!(
            (code, msg),
            (INVALID, format!("layout must be a JSON object (such as {{\"panes\": [\"chat\"]}}), not {what}"))
        );
    }
    // The cap is on the stored (compact) JSON: {"p":"xxx..."} is 8 bytes plus the string.
    let at_limit = json!({"p": "x".repeat(64 * 1024 - 8)});
    let over = json!({"p": "x".repeat(64 * 1024 - 7)});
    let (code, msg) = s.err("layout.set", json!({"workspace": "app/w", "layout": over})).await;
    assert_eq!(
        (code, msg.as_str()),
        (INVALID, "the layout is 65537 bytes; band keeps layouts up to 65536 bytes (64.0 KiB)")
    );
    let (code, msg) = s.err("layout.set", json!({"layout": {}, "workspace": "ghost"})).await;
    assert_eq!((code, msg.as_str()), (NOT_FOUND, "no workspace 'ghost'; see workspaces.list"));
    let (code, msg) = s.err("layout.set", json!({"workspace": "app/w"})).await;
    assert_eq!((code, msg.contains("missing field `layout`")), (INVALID, true), "{msg}");
    let (code, msg) = s.err("layout.get", json!({"workspace": "app/w", "scope": "x"})).await;
    assert_eq!((code, msg.contains("unknown field `scope`")), (INVALID, true), "{msg}");

    assert_eq!(s.ok("layout.get", json!({"workspace": "app/w"})).await, kept, "nothing was changed");
    assert_eq!(s.ok("layout.get", json!({})).await["layout"], Value::Null);
    s.ok("layout.set", json!({"workspace": "app/w", "layout": at_limit})).await;
    s.stop().await;
}

#[tokio::test]
async fn other_devices_hear_of_layout_changes() {
    let (s, _repo) = server().await;
    let w = s.ok("workspaces.get", json!({"workspace": "app/w"})).await["id"].as_i64().expect("id");
    let x = s.ok("workspaces.get", json!({"workspace": "app/x"})).await["id"].as_i64().expect("id");
    let mut all = subscribe(&s, "workspaces.subscribe", json!({})).await;
    let mut only_w = subscribe(&s, "workspaces.subscribe", json!({"workspace": "app/w"})).await;
    let mut only_x = subscribe(&s, "workspaces.subscribe", json!({"workspace": "app/x"})).await;

    s.ok("layout.set", json!({"layout": {"g": 1}})).await;
    for ws in [&mut all, &mut only_w, &mut only_x] {
        assert_eq!(next_layout(ws).await, (None, json!({"g": 1})), "the global layout reaches every subscriber");
    }
    s.ok("layout.set", json!({"workspace": "app/w", "layout": {"w": 1}})).await;
    s.ok("layout.set", json!({"workspace": "app/x", "layout": {"x": 1}})).await;
    assert_eq!(next_layout(&mut all).await, (Some(w), json!({"w": 1})));
    assert_eq!(next_layout(&mut all).await, (Some(x), json!({"x": 1})));
    assert_eq!(next_layout(&mut only_w).await, (Some(w), json!({"w": 1})));
    assert_eq!(next_layout(&mut only_x).await, (Some(x), json!({"x": 1})), "app/w's layout was not sent to app/x");
    s.stop().await;
}

#[tokio::test]
async fn layouts_survive_a_restart_and_go_with_their_workspace() {
    let repo = TestRepo::named("app");
    let s = TestServer::start().await;
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let global = s.ok("layout.set", json!({"layout": {"g": [1, 2]}})).await;
    let mine = s.ok("layout.set", json!({"workspace": "app/w", "layout": {"active": 1}})).await;

    let TestServer { home, running, .. } = s;
    running.expect("running").stop().await.expect("stop");
    let s = TestServer::start_in(home).await;
    assert_eq!(s.ok("layout.get", json!({})).await, global);
    assert_eq!(s.ok("layout.get", json!({"workspace": "app/w"})).await, mine);

    s.ok("workspaces.remove", json!({"workspace": "app/w"})).await;
    let (code, _) = s.err("layout.get", json!({"workspace": "app/w"})).await;
    assert_eq!(code, NOT_FOUND, "the workspace is gone");
    let again = s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    assert_ne!(again["id"], mine["workspaceId"]);
    assert_eq!(
        s.ok("layout.get", json!({"workspace": "app/w"})).await["layout"],
        Value::Null,
        "its layout went with it"
    );
    assert_eq!(s.ok("layout.get", json!({})).await, global, "the global layout stays");
    s.stop().await;
}
