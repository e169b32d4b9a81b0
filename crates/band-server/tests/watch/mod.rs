//! The file watcher through the real server: a file written outside band reaches a subscriber
//! of `workspaces.watch` as one debounced notification, `.git` internals and `node_modules`
//! never do, a directory made later is followed, and an unknown or archived workspace is
//! refused; a workspace past the watch limit says it is degraded, to every client following it.

use band_testkit::fixtures::TestRepo;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, Ws, next_json, subscribe, websocket};

/// The next files notification's paths.
async fn next_paths(ws: &mut Ws) -> Vec<String> {
    let v = next_json(ws).await;
    assert_eq!(v["method"], "workspaces.files", "{v}");
    let item = &v["params"]["result"];
    assert!(item.get("degraded").is_none(), "{v}");
    item["paths"].as_array().expect("paths").iter().map(|p| p.as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn a_file_written_outside_band_is_announced_to_a_watcher() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let made = s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let wt = std::path::PathBuf::from(made["path"].as_str().expect("path"));
    std::fs::create_dir_all(wt.join("node_modules/pkg")).expect("mkdir");
    std::fs::create_dir_all(wt.join("src")).expect("mkdir");

    let mut ws = subscribe(&s, "workspaces.watch", json!({"workspace": "app/w"})).await;
    // Let the watch be set up (it walks the tree on its own thread).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Ignored: git internals and node_modules. Then a burst of writes: one notification.
    std::fs::write(wt.join("node_modules/pkg/index.js"), "x").expect("write");
    for i in 0..5 {
        std::fs::write(wt.join("src/lib.rs"), format!("// {i}\n")).expect("write");
    }
    std::fs::write(wt.join("README.md"), "# changed outside band\n").expect("write");
    let paths = next_paths(&mut ws).await;
    assert!(paths.contains(&"src/lib.rs".to_owned()) && paths.contains(&"README.md".to_owned()), "{paths:?}");
    assert!(paths.iter().all(|p| !p.starts_with("node_modules") && !p.starts_with(".git")), "{paths:?}");

    // A directory made later is followed.
    std::fs::create_dir(wt.join("docs")).expect("mkdir");
    let _ = next_paths(&mut ws).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    std::fs::write(wt.join("docs/guide.md"), "hi\n").expect("write");
    let mut seen = next_paths(&mut ws).await;
    if !seen.contains(&"docs/guide.md".to_owned()) {
        seen = next_paths(&mut ws).await;
    }
    assert!(seen.contains(&"docs/guide.md".to_owned()), "{seen:?}");

    // Refused clearly: an unknown workspace.
    let mut bad = websocket(s.addr, &[("authorization", format!("Bearer {}", s.token))]).await.expect("ws");
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "workspaces.watch", "params": {"workspace": "app/nope"}});
    bad.send(Message::text(req.to_string())).await.expect("send");
    let reply: Value = next_json(&mut bad).await;
    assert_eq!(
        reply["error"]["message"].as_str().map(|m| m.contains("no workspace 'app/nope'")),
        Some(true),
        "{reply}"
    );
    s.stop().await;
}

/// The next files notification, whole.
async fn next_files(ws: &mut Ws) -> Value {
    let v = next_json(ws).await;
    assert_eq!(v["method"], "workspaces.files", "{v}");
    v["params"]["result"].clone()
}

/// A workspace with more directories than a watch may hold (8192) says so, once, to each client
/// following it (live refresh is partial), and changes in what is watched still arrive.
#[tokio::test]
async fn a_workspace_past_the_watch_limit_reports_itself_degraded() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    let made = s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let wt = std::path::PathBuf::from(made["path"].as_str().expect("path"));
    for i in 0..8200 {
        std::fs::create_dir_all(wt.join(format!("many/d{i}"))).expect("mkdir");
    }

    let mut ws = subscribe(&s, "workspaces.watch", json!({"workspace": "app/w"})).await;
    let first = next_files(&mut ws).await;
    assert_eq!(
        (first["degraded"].as_str(), first["paths"].clone()),
        (Some("live refresh covers the first 8192 directories only; press Refresh for changes elsewhere"), json!([])),
        "{first}"
    );
    // What is watched (the top of the tree, walked first) still refreshes, without saying it again.
    std::fs::write(wt.join("README.md"), "# changed outside band\n").expect("write");
    let next = next_files(&mut ws).await;
    assert_eq!((next["paths"].clone(), next.get("degraded")), (json!(["README.md"]), None), "{next}");

    // A second client following the same workspace learns it too.
    let mut second = subscribe(&s, "workspaces.watch", json!({"workspace": "app/w"})).await;
    let told = next_files(&mut second).await;
    assert_eq!(told["degraded"], first["degraded"], "{told}");
    s.stop().await;
}
