//! Devices through the real server: pairing by URL and by `POST /pair`, scopes, revocation and
//! rotation ending live sockets, and the audit log (which never holds a secret).

use std::time::Duration;

use band_testkit::fixtures::TestRepo;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::support::{TestServer, Ws, websocket, websocket_at, ws_call};

const FORBIDDEN: i64 = -32004;

fn nav(s: &TestServer) -> Vec<(&'static str, String)> {
    vec![("host", s.host()), ("sec-fetch-mode", "navigate".into()), ("sec-fetch-dest", "document".into())]
}

/// Opens the pairing URL like a browser; returns the cookie pair.
async fn open_pairing_url(s: &TestServer, url: &str) -> String {
    let path = url.split_once(&s.addr.port().to_string()).expect("our port").1;
    let r = s.http("GET", path, &nav(s), "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.headers["location"], "/", "the code is dropped from the URL");
    let cookie = r.headers["set-cookie"].to_str().expect("cookie").to_owned();
    cookie.split(';').next().expect("pair").to_owned()
}

async fn pair(s: &TestServer, name: &str, scope: &str) -> Value {
    s.ok("devices.pair", json!({"name": name, "scope": scope})).await
}

/// Redeems a code like a CLI on another machine: the device's token.
async fn redeem(s: &TestServer, code: &str) -> (u16, Value) {
    let body = json!({"code": code}).to_string();
    let r = s.http("POST", "/pair", &[("host", s.host()), ("content-type", "application/json".into())], &body).await;
    (r.status, r.json())
}

async fn call_as(s: &TestServer, token: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let headers =
        [("host", s.host()), ("authorization", format!("Bearer {token}")), ("content-type", "application/json".into())];
    let r = s.http("POST", "/rpc", &headers, &body).await;
    assert_eq!(r.status, 200, "{method}: {}", r.body);
    r.json()
}

async fn closes_soon(ws: &mut Ws) {
    let deadline = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    });
    deadline.await.expect("the socket closes within 2 s");
}

#[tokio::test]
async fn a_pairing_url_signs_a_browser_in_once_and_its_code_is_single_use() {
    let s = TestServer::start().await;
    let p = pair(&s, "phone", "read").await;
    let (url, code) = (p["url"].as_str().expect("url"), p["code"].as_str().expect("code"));
    assert_eq!(code.len(), 32, "128 bits, hex");
    assert_eq!(url, format!("http://127.0.0.1:{}/?pair={code}", s.addr.port()));
    let qr = p["qr"].as_array().expect("qr rows");
    assert!(qr.len() >= 21 && qr.iter().all(|r| r.as_str().map(str::len) == Some(qr.len())), "a square QR matrix");

    let cookie = open_pairing_url(&s, url).await;
    // The dashboard's socket works with the device's cookie and our Origin.
    let mut ws = websocket(s.addr, &[("cookie", cookie.clone()), ("origin", s.origin())]).await.expect("ws");
    let reply = ws_call(&mut ws, "projects.list", json!({})).await;
    assert_eq!(reply["result"], json!([]), "{reply}");

    // Single use: the same URL again is refused, and so is a made-up code.
    let path = format!("/?pair={code}");
    let again = s.http("GET", &path, &nav(&s), "").await;
    assert_eq!(again.status, 401);
    assert!(again.body.contains("already used"), "{}", again.body);
    let (status, body) = redeem(&s, code).await;
    assert_eq!(status, 401, "{body}");
    let devices = s.ok("devices.list", json!({})).await;
    assert_eq!(devices.as_array().map(Vec::len), Some(1));
    assert_eq!((devices[0]["name"].clone(), devices[0]["scope"].clone()), (json!("phone"), json!("read")));
    s.stop().await;
}

#[tokio::test]
async fn a_read_device_watches_but_cannot_act_and_a_control_device_cannot_administer() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let chat = s.ok("chats.create", json!({"workspace": "app/w"})).await;
    let terminal = s.ok("terminals.create", json!({"workspace": "app/w"})).await;

    let p = pair(&s, "tablet", "read").await;
    let (status, redeemed) = redeem(&s, p["code"].as_str().expect("code")).await;
    assert_eq!(status, 200, "{redeemed}");
    let read = redeemed["token"].as_str().expect("token").to_owned();
    assert_eq!(read.len(), 64);

    assert!(call_as(&s, &read, "chats.list", json!({})).await.get("result").is_some());
    // Who it is, so a dashboard can hide what it may not do.
    let me = call_as(&s, &read, "auth.whoami", json!({})).await;
    assert_eq!(me["result"]["scope"], "read", "{me}");
    assert_eq!(me["result"]["deviceName"], "tablet", "{me}");
    assert_eq!(me["result"]["deviceId"], redeemed["device"]["id"], "{me}");
    let main = s.ok("auth.whoami", json!({})).await;
    assert_eq!(main, json!({"scope": "admin"}));
    let mut ws = websocket(s.addr, &[("authorization", format!("Bearer {read}"))]).await.expect("ws");
    let sub = ws_call(&mut ws, "workspaces.subscribe", json!({})).await;
    assert!(sub.get("result").is_some(), "a read device may subscribe: {sub}");
    for (method, params) in [
        ("chats.send", json!({"chat": chat["id"], "message": "hi"})),
        ("terminals.create", json!({"workspace": "app/w"})),
        ("devices.pair", json!({"name": "x"})),
    ] {
        let reply = call_as(&s, &read, method, params).await;
        assert_eq!(reply["error"]["code"], FORBIDDEN, "{method}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("this device ('tablet') has read access;"), "{message}");
        assert!(message.contains(method), "{message}");
    }
    let path = format!("/terminals/{}/ws", terminal["id"]);
    let refused = websocket_at(s.addr, &path, &[("authorization", format!("Bearer {read}"))]).await;
    let Err((status, body)) = refused else { panic!("a read device cannot open a terminal socket") };
    assert_eq!(status, 403);
    assert!(body.contains("has read access") && body.contains("needs control access"), "{body}");

    let p = pair(&s, "laptop", "control").await;
    let control = redeem(&s, p["code"].as_str().expect("code")).await.1["token"].as_str().expect("token").to_owned();
    let sent = call_as(&s, &control, "terminals.send", json!({"terminal": terminal["id"], "data": "true\n"})).await;
    assert!(sent.get("result").is_some(), "{sent}");
    for method in ["devices.pair", "token.rotate", "devices.list", "audit.list"] {
        let reply = call_as(&s, &control, method, json!({"name": "x"})).await;
        assert_eq!(reply["error"]["code"], FORBIDDEN, "{method}: {reply}");
        assert!(reply["error"]["message"].as_str().unwrap_or_default().contains("only the main token"), "{reply}");
    }
    s.stop().await;
}

#[tokio::test]
async fn revoking_a_device_closes_its_sockets_and_refuses_its_next_request() {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let terminal = s.ok("terminals.create", json!({"workspace": "app/w"})).await;

    let p = pair(&s, "phone", "control").await;
    let cookie = open_pairing_url(&s, p["url"].as_str().expect("url")).await;
    let mut by_cookie = websocket(s.addr, &[("cookie", cookie.clone()), ("origin", s.origin())]).await.expect("ws");
    let p = pair(&s, "cli", "control").await;
    let token = redeem(&s, p["code"].as_str().expect("code")).await.1["token"].as_str().expect("token").to_owned();
    let bearer = ("authorization", format!("Bearer {token}"));
    let mut by_token = websocket(s.addr, &[bearer.clone()]).await.expect("ws");
    let path = format!("/terminals/{}/ws", terminal["id"]);
    let mut term = websocket_at(s.addr, &path, &[bearer.clone()]).await.expect("terminal ws");
    // Another device's socket is not touched.
    let p = pair(&s, "other", "read").await;
    let other = redeem(&s, p["code"].as_str().expect("code")).await.1["token"].as_str().expect("token").to_owned();
    let mut untouched = websocket(s.addr, &[("authorization", format!("Bearer {other}"))]).await.expect("ws");

    s.ok("devices.revoke", json!({"device": "phone"})).await;
    let cli_id = s.ok("devices.list", json!({})).await[1]["id"].clone();
    let revoked = s.ok("devices.revoke", json!({"device": cli_id.to_string()})).await;
    assert!(revoked["revokedAt"].is_i64(), "{revoked}");
    closes_soon(&mut by_cookie).await;
    closes_soon(&mut by_token).await;
    closes_soon(&mut term).await;
    assert_eq!(ws_call(&mut untouched, "projects.list", json!({})).await["result"].as_array().map(Vec::len), Some(1));

    let r = s
        .http("POST", "/rpc", &[("host", s.host()), bearer.clone(), ("content-type", "application/json".into())], "{}")
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = s.http("GET", "/", &[("host", s.host()), ("cookie", cookie)], "").await;
    assert_eq!(r.status, 401, "the revoked device's cookie is refused");
    assert_eq!(websocket(s.addr, &[bearer]).await.err(), Some(401));
    s.stop().await;
}

#[tokio::test]
async fn rotating_the_token_ends_sessions_and_old_token_sockets_but_not_device_tokens() {
    let mut s = TestServer::start().await;
    let r = s.http("GET", &format!("/?token={}", s.token), &nav(&s), "").await;
    let main_cookie = r.headers["set-cookie"].to_str().expect("cookie").split(';').next().expect("pair").to_owned();
    let p = pair(&s, "phone", "read").await;
    let device_cookie = open_pairing_url(&s, p["url"].as_str().expect("url")).await;
    let p = pair(&s, "cli", "read").await;
    let device_token = redeem(&s, p["code"].as_str().expect("code")).await.1["token"].as_str().expect("t").to_owned();
    let mut old_socket = websocket(s.addr, &[("authorization", format!("Bearer {}", s.token))]).await.expect("ws");
    let mut cookie_socket =
        websocket(s.addr, &[("cookie", main_cookie.clone()), ("origin", s.origin())]).await.expect("ws");
    let mut device_socket =
        websocket(s.addr, &[("authorization", format!("Bearer {device_token}"))]).await.expect("ws");

    let rotated = s.ok("token.rotate", json!({})).await;
    assert!(rotated["socketsClosed"].as_u64().is_some_and(|n| n >= 2), "{rotated}");
    closes_soon(&mut old_socket).await;
    closes_soon(&mut cookie_socket).await;
    let old = std::mem::take(&mut s.token);
    let settings: Value =
        serde_json::from_slice(&std::fs::read(s.home.path().join("settings.json")).expect("settings")).expect("json");
    s.token = settings["tokenSecret"].as_str().expect("token").to_owned();
    assert_ne!(s.token, old);
    assert_eq!(s.token.len(), 64);
    assert!(!rotated.to_string().contains(&s.token), "the new token is never sent");

    for cookie in [main_cookie, device_cookie] {
        let r = s.http("GET", "/", &[("host", s.host()), ("cookie", cookie)], "").await;
        assert_eq!(r.status, 401, "every browser session ended");
    }
    let r = s.http("POST", "/rpc", &[("host", s.host()), ("authorization", format!("Bearer {old}"))], "{}").await;
    assert_eq!(r.status, 401, "the old token is refused");
    assert!(s.ok("projects.list", json!({})).await.is_array(), "the new one works at once");
    assert!(
        call_as(&s, &device_token, "projects.list", json!({})).await.get("result").is_some(),
        "device tokens survive"
    );
    assert!(ws_call(&mut device_socket, "projects.list", json!({})).await.get("result").is_some());
    s.stop().await;
}

#[tokio::test]
async fn the_audit_log_records_each_event_without_secrets_and_tokens_are_stored_hashed() {
    let s = TestServer::start().await;
    let p = pair(&s, "phone", "read").await;
    let code = p["code"].as_str().expect("code").to_owned();
    let (_, redeemed) = redeem(&s, &code).await;
    let token = redeemed["token"].as_str().expect("token").to_owned();
    let (status, _) = redeem(&s, &code).await;
    assert_eq!(status, 401);
    let r = s.http("POST", "/rpc", &[("host", s.host()), ("authorization", "Bearer nope".into())], "{}").await;
    assert_eq!(r.status, 401);
    let reply = call_as(&s, &token, "chats.send", json!({"chat": 1, "message": "x"})).await;
    assert_eq!(reply["error"]["code"], FORBIDDEN);
    s.ok("devices.revoke", json!({"device": "phone"})).await;
    s.ok("token.rotate", json!({})).await;
    let settings: Value =
        serde_json::from_slice(&std::fs::read(s.home.path().join("settings.json")).expect("settings")).expect("json");
    let new_token = settings["tokenSecret"].as_str().expect("token").to_owned();

    // Refusals are written in the background: wait for them.
    let mut kinds = Vec::new();
    let mut log = Value::Null;
    for _ in 0..50 {
        log = call_as(&s, &new_token, "audit.list", json!({})).await["result"].clone();
        kinds = log
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect();
        if kinds.iter().filter(|k| *k == "refused").count() >= 2 && kinds.contains(&"redeem_failed".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for kind in ["pairing_started", "paired", "redeem_failed", "refused", "revoked", "token_rotated"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing: {log}");
    }
    assert_eq!(kinds[0], "token_rotated", "newest first: {kinds:?}");
    let text = log.to_string();
    for secret in [&code, &token, &s.token, &new_token] {
        assert!(!text.contains(secret.as_str()), "a secret in the audit log: {text}");
    }
    let revoked = log.as_array().expect("entries").iter().find(|e| e["kind"] == "revoked").expect("revoked");
    assert_eq!(revoked["deviceName"], "phone");
    let paged = call_as(&s, &new_token, "audit.list", json!({"before": log[0]["id"], "limit": 1})).await;
    assert_eq!(paged["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(paged["result"][0]["id"], log[1]["id"]);

    // The device's token is in no file of the database, only its hash is.
    let hash: String = {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    let mut found_hash = false;
    for entry in std::fs::read_dir(s.home.path()).expect("home") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name.starts_with("band.db") {
            let bytes = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            assert!(!bytes.contains(&token), "the raw token is in {name}");
            assert!(!bytes.contains(&code), "the pairing code is in {name}");
            found_hash |= bytes.contains(&hash);
        }
    }
    assert!(found_hash, "the hash is what is stored");
    s.stop().await;
}

/// Issue 13, defect 4: a revoked device's open tab kept knocking (every 8–10 s), each knock an
/// anonymous "refused 401" row (~700 an hour). The refusals now name the device, and repeats fold
/// into one row (the next one after an hour says how many came meanwhile).
#[tokio::test]
async fn a_revoked_device_that_keeps_knocking_is_named_once_not_logged_each_time() {
    let s = TestServer::start().await;
    let p = pair(&s, "phone", "control").await;
    let cookie = open_pairing_url(&s, p["url"].as_str().expect("url")).await;
    let p = pair(&s, "cli", "control").await;
    let token = redeem(&s, p["code"].as_str().expect("code")).await.1["token"].as_str().expect("token").to_owned();
    s.ok("devices.revoke", json!({"device": "phone"})).await;
    s.ok("devices.revoke", json!({"device": "cli"})).await;
    for _ in 0..20 {
        let r = s.http("GET", "/rpc", &[("host", s.host()), ("cookie", cookie.clone())], "").await;
        assert_eq!(r.status, 401);
        let r = s.http("POST", "/rpc", &[("host", s.host()), ("authorization", format!("Bearer {token}"))], "{}").await;
        assert_eq!(r.status, 401);
    }
    // Refusals are written in the background: wait for them (and for any stragglers).
    let refusals = async || {
        let log = s.ok("audit.list", json!({})).await;
        log.as_array().expect("entries").iter().filter(|e| e["kind"] == "refused").count()
    };
    for _ in 0..50 {
        if refusals().await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = s.ok("audit.list", json!({})).await;
    let refused: Vec<Value> =
        log.as_array().expect("entries").iter().filter(|e| e["kind"] == "refused").cloned().collect();
    let mut named: Vec<String> =
        refused.iter().map(|e| format!("{} {}", e["deviceName"].as_str().unwrap_or("?"), e["detail"])).collect();
    named.sort();
    assert_eq!(
        named,
        [
            r#"cli "POST /rpc: 401 Unauthorized: a revoked device""#,
            r#"phone "GET /rpc: 401 Unauthorized: a revoked device""#
        ],
        "one row per device, naming it: {refused:?}"
    );
    s.stop().await;
}
