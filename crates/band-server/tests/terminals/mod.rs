//! Terminals through band-server, with real PTYs, a real shell and real git repositories: over
//! JSON-RPC (methods and the `terminals.subscribe` stream) and over the raw WebSocket for
//! xterm.js; the guard in front of it; caps and refusals; nothing left running after a kill, a
//! workspace removal or a shutdown.

use band_testkit::procs::running;
use std::time::{Duration, Instant};

use band_testkit::fixtures::TestRepo;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{TestServer, websocket, websocket_at, ws_call};

const NOT_FOUND: i64 = -32001;
const CONFLICT: i64 = -32002;
const REFUSED: i64 = -32003;
const INVALID: i64 = -32602;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A server with project `app` and workspace `app/w`.
async fn with_workspace() -> (TestServer, TestRepo) {
    let s = TestServer::start().await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    (s, repo)
}

async fn create(s: &TestServer, params: Value) -> i64 {
    s.ok("terminals.create", params).await["id"].as_i64().expect("id")
}

async fn send(s: &TestServer, terminal: i64, data: &str) {
    s.ok("terminals.send", json!({"terminal": terminal, "data": data})).await;
}

/// Polls `terminals.output` until it contains `needle` (10 s at most).
async fn wait_output(s: &TestServer, terminal: i64, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = s.ok("terminals.output", json!({"terminal": terminal})).await;
        let data = out["data"].as_str().expect("data").to_owned();
        if data.contains(needle) {
            return data;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in terminal {terminal} within 10 s:\n{data}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn alive(pid: i64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| !r.trim_start().starts_with('Z')))
}

/// Leaves a background job and a process in a session of its own in the terminal.
async fn leave_sleepers(s: &TestServer, terminal: i64, tag: &str) -> String {
    send(
        s,
        terminal,
        &format!("(exec -a band-srv-{tag}-a sleep 1000) &\nsetsid bash -c 'exec -a band-srv-{tag}-b sleep 1000' &\n"),
    )
    .await;
    let needle = format!("band-srv-{tag}-");
    for _ in 0..500 {
        if running(&needle).len() >= 2 {
            return needle;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the sleepers did not start: {:?}", running(&needle));
}

#[tokio::test]
async fn a_terminal_runs_in_its_workspace_over_json_rpc() {
    let (s, repo) = with_workspace().await;
    repo.commit_file("src/lib.rs", "\n", "Add the library");
    let t = s.ok("terminals.create", json!({"workspace": "app/w", "cols": 100, "rows": 30, "title": "git"})).await;
    assert_eq!((t["title"].clone(), t["cols"].clone(), t["rows"].clone()), (json!("git"), json!(100), json!(30)));
    assert_eq!((t["status"].clone(), t["workspaceId"].clone()), (json!("running"), json!(1)));
    let id = t["id"].as_i64().expect("id");

    // The workspace branched from main before "Add the library": its log has only the first commit.
    let ws = s.ok("workspaces.get", json!({"workspace": "app/w"})).await;
    send(&s, id, "git log --oneline; echo \"in=$(pwd)\"\n").await;
    let out = wait_output(&s, id, &format!("in={}", ws["path"].as_str().expect("path"))).await;
    assert!(out.contains("Initial commit"), "{out}");
    assert!(!out.contains("Add the library"), "{out}");

    // The shell's environment is band's allow-list: no BAND_* (no token), TERM for xterm.js.
    send(&s, id, "echo \"env=[${BAND_HOME}|${BAND_TOKEN}|$TERM]\"\n").await;
    wait_output(&s, id, "env=[||xterm-256color]").await;

    // Output resumes from an offset; a character cut at the end is never split.
    let first = s.ok("terminals.output", json!({"terminal": id})).await;
    let offset = first["offset"].as_u64().expect("offset");
    assert_eq!(first["start"], 0);
    send(&s, id, "echo \"caf\u{e9}-$((2*21))\"\n").await;
    wait_output(&s, id, "caf\u{e9}-42").await;
    let next = s.ok("terminals.output", json!({"terminal": id, "after": offset})).await;
    assert_eq!(next["start"], offset);
    assert!(next["data"].as_str().expect("data").contains("caf\u{e9}-42"), "{next}");
    assert!(!next["data"].as_str().expect("data").contains("Initial commit"));

    let listed = s.ok("terminals.list", json!({"workspace": "app/w"})).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let resized = s.ok("terminals.resize", json!({"terminal": id, "cols": 120, "rows": 40})).await;
    assert_eq!((resized["cols"].clone(), resized["rows"].clone()), (json!(120), json!(40)));
    send(&s, id, "stty size\n").await;
    wait_output(&s, id, "40 120").await;

    // The shell's own exit is seen, with its status; the output stays readable.
    send(&s, id, "exit 7\n").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let t = loop {
        let t = s.ok("terminals.get", json!({"terminal": id})).await;
        if t["status"] == "exited" || Instant::now() > deadline {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!((t["status"].clone(), t["exitCode"].clone()), (json!("exited"), json!(7)));
    let (code, msg) = s.err("terminals.send", json!({"terminal": id, "data": "x"})).await;
    assert_eq!(code, CONFLICT);
    assert_eq!(
        msg,
        format!(
            "terminal {id} has exited (exit code 7) and keeps its output until it is killed; kill it with terminals.kill {id}"
        )
    );
    wait_output(&s, id, "40 120").await;
    s.ok("terminals.kill", json!({"terminal": id})).await;
    assert_eq!(s.ok("terminals.list", json!({})).await, json!([]));
    s.stop().await;
}

#[tokio::test]
async fn terminals_subscribe_replays_then_follows_and_ends_with_the_exit() {
    let (s, _repo) = with_workspace().await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    send(&s, id, "echo before-$((1+1))\n").await;
    wait_output(&s, id, "before-2").await;
    let mut ws = websocket(s.addr, &[("authorization", format!("Bearer {}", s.token))]).await.expect("ws");
    let reply = ws_call(&mut ws, "terminals.subscribe", json!({"terminal": id})).await;
    assert!(reply.get("result").is_some(), "{reply}");
    let mut seen = String::new();
    let mut next_offset = 0;
    let mut exit = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sent = false;
    while exit.is_none() {
        assert!(Instant::now() < deadline, "no exit within 10 s; seen:\n{seen}");
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame").expect("open");
        let Message::Text(text) = frame.expect("frame") else { continue };
        let v: Value = serde_json::from_str(text.as_str()).expect("json");
        assert_eq!(v["method"], "terminals.data", "{v}");
        let item = &v["params"]["result"];
        match item["type"].as_str() {
            Some("output") => {
                assert_eq!(item["start"], next_offset, "no gap, no duplicate");
                next_offset = item["offset"].as_u64().expect("offset");
                seen.push_str(item["data"].as_str().expect("data"));
            }
            Some("exit") => exit = Some(item["terminal"].clone()),
            other => panic!("unexpected item {other:?}: {v}"),
        }
        if seen.contains("before-2") && !sent {
            sent = true;
            send(&s, id, "echo after-$((2+2)); exit 5\n").await;
        }
    }
    assert!(seen.contains("after-4"), "{seen}");
    let exit = exit.expect("exit");
    assert_eq!((exit["status"].clone(), exit["exitCode"].clone()), (json!("exited"), json!(5)));

    // An unknown terminal is refused at subscription.
    let reply = ws_call(&mut ws, "terminals.subscribe", json!({"terminal": 999})).await;
    assert_eq!(reply["error"]["code"], NOT_FOUND);
    s.stop().await;
}

/// A client of the raw WebSocket that keeps track of output offsets as the framing says.
struct Client {
    ws: Ws,
    /// The offset of the next binary byte, once an offset frame said it.
    offset: Option<u64>,
}

async fn attach(s: &TestServer, id: i64, query: &str) -> Client {
    let path = format!("/terminals/{id}/ws{query}");
    let ws = websocket_at(s.addr, &path, &[("authorization", format!("Bearer {}", s.token))]).await.expect("attached");
    Client { ws, offset: None }
}

impl Client {
    /// Reads frames until the binary output (decoded) contains `needle`; returns the output read
    /// and the text frames.
    async fn read_until(&mut self, needle: &str) -> (String, Vec<Value>) {
        let mut out = Vec::new();
        let mut texts = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&out).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} within 10 s; got {:?}", String::from_utf8_lossy(&out)))
                .expect("open")
                .expect("frame");
            match frame {
                Message::Binary(b) => {
                    let at = self.offset.as_mut().expect("an offset frame comes before output");
                    *at += b.len() as u64;
                    out.extend_from_slice(&b);
                }
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("json control frame");
                    if v["type"] == "offset" {
                        self.offset = Some(v["offset"].as_u64().expect("offset"));
                    }
                    texts.push(v);
                }
                Message::Close(c) => panic!("closed early: {c:?}"),
                _ => {}
            }
        }
        (String::from_utf8_lossy(&out).into_owned(), texts)
    }

    /// The next text frame (output before it is counted).
    async fn next_text(&mut self) -> Value {
        loop {
            let frame =
                tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await.expect("in time").expect("open");
            match frame.expect("frame") {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("json");
                    if v["type"] == "offset" {
                        self.offset = Some(v["offset"].as_u64().expect("offset"));
                    }
                    return v;
                }
                Message::Binary(b) => *self.offset.as_mut().expect("offset first") += b.len() as u64,
                _ => {}
            }
        }
    }

    async fn type_bytes(&mut self, bytes: &[u8]) {
        self.ws.send(Message::binary(bytes.to_vec())).await.expect("send");
    }

    async fn control(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The close frame that ends the connection.
    async fn closed(&mut self) -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await.expect("in time") {
                Some(Ok(Message::Close(c))) => return c.expect("a close frame with a reason"),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn the_raw_websocket_streams_bytes_takes_input_and_resizes() {
    let (s, _repo) = with_workspace().await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    send(&s, id, "echo early-$((3+3))\n").await;
    wait_output(&s, id, "early-6").await;

    let mut ws = attach(&s, id, "").await;
    let ready = ws.next_text().await;
    assert_eq!((ready["type"].clone(), ready["terminal"]["id"].clone()), (json!("ready"), json!(id)));
    // The scrollback first.
    let (_, texts) = ws.read_until("early-6").await;
    assert_eq!(texts, [json!({"type": "offset", "offset": 0})]);

    // Typed bytes, literally, as binary frames.
    ws.type_bytes(b"echo ws-$((6*7))\r").await;
    ws.read_until("ws-42").await;
    // Control messages are JSON text frames.
    ws.control(r#"{"resize":[90,33]}"#).await;
    ws.control(r#"{"input":"stty size\r"}"#).await;
    ws.read_until("33 90").await;
    let offset = ws.offset.expect("offset");
    assert_eq!(s.ok("terminals.get", json!({"terminal": id})).await["cols"], 90);
    for (bad, why) in [
        (r#"{"resize":[0,10]}"#, "cols must be between 1 and 500 (got 0)"),
        (r#"{"resize":[80,100000]}"#, "rows must be between 1 and 200 (got 100000)"),
        (r#"{"resize":"big"}"#, "resize takes [cols, rows] as two whole numbers"),
        ("ls\r", "a text frame must be a JSON control message"),
        (r#"{"cwd":"/"}"#, "unknown control message {\"cwd\":\"/\"}"),
    ] {
        ws.control(bad).await;
        let v = loop {
            let v = ws.next_text().await;
            if v["type"] != "offset" {
                break v;
            }
        };
        assert_eq!(v["type"], "error", "{bad}: {v}");
        assert!(v["message"].as_str().expect("message").starts_with(why), "{bad}: {v}");
    }
    ws.type_bytes(b"echo still-$((5+5))\r").await;
    ws.read_until("still-10").await;

    // Reconnecting: from an offset only what came after it; without one the scrollback again.
    let mut again = attach(&s, id, &format!("?after={offset}")).await;
    assert_eq!(again.next_text().await["type"], "ready");
    let (out, texts) = again.read_until("still-10").await;
    assert_eq!(texts[0], json!({"type": "offset", "offset": offset}));
    assert!(!out.contains("ws-42"), "{out}");
    let mut fresh = attach(&s, id, "").await;
    let (out, _) = fresh.read_until("still-10").await;
    assert!(out.contains("early-6") && out.contains("ws-42"), "{out}");

    // Every client sees live output.
    ws.type_bytes(b"echo both-$((4*4))\r").await;
    again.read_until("both-16").await;
    fresh.read_until("both-16").await;

    // A frame over 64 KiB closes the connection with a reason; the terminal is unharmed.
    ws.type_bytes(&vec![b'a'; 64 * 1024 + 1]).await;
    let close = ws.closed().await;
    assert_eq!(close.code, CloseCode::Size);
    assert_eq!(
        close.reason.as_str(),
        "input of 65537 bytes is over the limit of 65536 bytes at once; send it in pieces (at most 65536 bytes per frame)"
    );
    fresh.type_bytes(b"echo alive-$((1+0))\r").await;
    fresh.read_until("alive-1").await;

    // The shell exits: an exit message, then a normal close.
    fresh.type_bytes(b"exit 4\r").await;
    let exit = loop {
        let v = fresh.next_text().await;
        if v["type"] == "exit" {
            break v;
        }
    };
    assert_eq!(exit["terminal"]["exitCode"], 4);
    let close = fresh.closed().await;
    assert_eq!((close.code, close.reason.as_str()), (CloseCode::Normal, "terminal exited"));
    s.stop().await;
}

#[tokio::test]
async fn the_raw_websocket_is_behind_the_guard_and_checks_before_upgrading() {
    let (s, _repo) = with_workspace().await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    let path = format!("/terminals/{id}/ws");
    let bearer = ("authorization", format!("Bearer {}", s.token));
    let port = s.addr.port();

    let (status, body) = websocket_at(s.addr, &path, &[]).await.expect_err("refused");
    assert_eq!(status, 401);
    assert!(body.contains("missing token"), "{body}");
    assert_eq!(
        websocket_at(s.addr, &path, &[("authorization", "Bearer nope".into())]).await.err().map(|e| e.0),
        Some(401)
    );
    for origin in ["http://evil.example".to_owned(), "null".into(), format!("http://localhost:{}", port + 1)] {
        let (status, body) =
            websocket_at(s.addr, &path, &[bearer.clone(), ("origin", origin.clone())]).await.expect_err("refused");
        assert_eq!(status, 403, "{origin}");
        assert!(body.contains("is not allowed"), "{body}");
    }
    assert_eq!(
        websocket_at(s.addr, &path, &[bearer.clone(), ("host", "evil.example".into())]).await.err().map(|e| e.0),
        Some(403)
    );
    // The server's own origin is fine.
    let ws = websocket_at(s.addr, &path, &[bearer.clone(), ("origin", s.origin())]).await.expect("own origin");
    assert_eq!(Client { ws, offset: None }.next_text().await["type"], "ready");

    let (status, body) = websocket_at(s.addr, "/terminals/99/ws", &[bearer.clone()]).await.expect_err("404");
    assert_eq!((status, body.as_str()), (404, r#"{"error":"no terminal 99; see terminals.list"}"#));
    let (status, _) = websocket_at(s.addr, "/terminals/x/ws", &[bearer.clone()]).await.expect_err("404");
    assert_eq!(status, 404);
    let (status, body) = websocket_at(s.addr, &format!("{path}?after=-1"), &[bearer.clone()]).await.expect_err("400");
    assert_eq!((status, body.contains("after must be a byte offset")), (400, true), "{body}");
    let (status, body) = websocket_at(s.addr, &format!("{path}?cmd=sh"), &[bearer.clone()]).await.expect_err("400");
    assert_eq!((status, body.contains("unknown query parameter 'cmd=sh'")), (400, true), "{body}");
    // A plain GET is told it is a WebSocket.
    let r = s.http("GET", &path, &[("host", s.host()), bearer.clone()], "").await;
    assert_eq!(r.status, 426);
    assert!(r.error().contains("is a WebSocket"), "{}", r.body);
    s.stop().await;
}

#[tokio::test]
async fn bad_requests_get_exact_errors_and_the_client_chooses_no_cwd_command_or_environment() {
    let (s, repo) = with_workspace().await;
    let (code, msg) = s.err("terminals.create", json!({"workspace": "app/nope"})).await;
    assert_eq!((code, msg.as_str()), (NOT_FOUND, "no workspace 'app/nope'; see workspaces.list"));
    let (code, msg) = s.err("terminals.create", json!({"workspace": "/tmp"})).await;
    assert_eq!(code, NOT_FOUND, "{msg}");
    for (params, why) in [
        (json!({"workspace": "app/w", "cols": 100000}), "cols must be between 1 and 500 (got 100000)"),
        (json!({"workspace": "app/w", "cols": 80, "rows": 0}), "rows must be between 1 and 200 (got 0)"),
        (json!({"workspace": "app/w", "rows": -5}), "rows must be between 1 and 200 (got -5)"),
    ] {
        assert_eq!(s.err("terminals.create", params).await, (INVALID, why.to_owned()));
    }
    for field in
        [json!({"cwd": "/"}), json!({"command": "sh"}), json!({"shell": "/bin/sh"}), json!({"env": {"A": "1"}})]
    {
        let mut params = json!({"workspace": "app/w"});
        let (key, value) = field.as_object().and_then(|o| o.iter().next()).expect("one field");
        params[key] = value.clone();
        let (code, msg) = s.err("terminals.create", params).await;
        assert_eq!(code, INVALID);
        assert!(msg.starts_with(&format!("invalid params for terminals.create: unknown field `{key}`")), "{msg}");
    }
    assert_eq!(s.ok("terminals.list", json!({})).await, json!([]), "nothing was started");

    let (code, msg) = s.err("terminals.send", json!({"terminal": 42, "data": "ls\n"})).await;
    assert_eq!((code, msg.as_str()), (NOT_FOUND, "no terminal 42; see terminals.list"));
    let (code, _) = s.err("terminals.kill", json!({"terminal": 42})).await;
    assert_eq!(code, NOT_FOUND);

    let id = create(&s, json!({"workspace": "app/w"})).await;
    let (code, msg) = s.err("terminals.send", json!({"terminal": id, "data": "a".repeat(64 * 1024 + 1)})).await;
    assert_eq!(
        (code, msg.as_str()),
        (INVALID, "input of 65537 bytes is over the limit of 65536 bytes at once; send it in pieces")
    );
    let (code, msg) = s.err("terminals.resize", json!({"terminal": id, "cols": 501, "rows": 10})).await;
    assert_eq!((code, msg.as_str()), (INVALID, "cols must be between 1 and 500 (got 501)"));

    // Eight per workspace.
    for _ in 1..8 {
        create(&s, json!({"workspace": "app/w"})).await;
    }
    let (code, msg) = s.err("terminals.create", json!({"workspace": "app/w"})).await;
    assert_eq!(
        (code, msg.as_str()),
        (REFUSED, "workspace 'app/w' already has 8 terminals, the most it may have; kill one with terminals.kill")
    );
    assert_eq!(s.ok("terminals.list", json!({})).await.as_array().map(Vec::len), Some(8));
    drop(repo);
    s.stop().await;
}

#[tokio::test]
async fn kill_and_workspace_removal_leave_nothing_running() {
    let (s, _repo) = with_workspace().await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    let pid = s.ok("terminals.get", json!({"terminal": id})).await["pid"].as_i64().expect("pid");
    let needle = leave_sleepers(&s, id, &format!("kill{}", std::process::id())).await;
    let killed = s.ok("terminals.kill", json!({"terminal": id})).await;
    assert_eq!((killed["status"].clone(), killed["exitSignal"].clone()), (json!("exited"), json!(1)), "{killed}");
    assert_eq!(running(&needle), Vec::<i32>::new(), "survivors after kill");
    assert!(!alive(pid));
    assert_eq!(s.ok("terminals.list", json!({})).await, json!([]));

    // Removing a workspace ends its terminals; others stay.
    s.ok("workspaces.create", json!({"project": "app", "branch": "other"})).await;
    let keep = create(&s, json!({"workspace": "app/other"})).await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    let needle = leave_sleepers(&s, id, &format!("rm{}", std::process::id())).await;
    s.ok("workspaces.remove", json!({"workspace": "app/w"})).await;
    assert_eq!(running(&needle), Vec::<i32>::new(), "survivors after the workspace went");
    let left: Vec<i64> = s
        .ok("terminals.list", json!({}))
        .await
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    assert_eq!(left, [keep]);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_kills_every_terminal() {
    let (s, _repo) = with_workspace().await;
    let mut pids = Vec::new();
    let mut needles = Vec::new();
    for i in 0..2 {
        let id = create(&s, json!({"workspace": "app/w"})).await;
        pids.push(s.ok("terminals.get", json!({"terminal": id})).await["pid"].as_i64().expect("pid"));
        needles.push(leave_sleepers(&s, id, &format!("down{i}-{}", std::process::id())).await);
    }
    let mut client = attach(&s, 1, "").await;
    s.stop().await;
    for (pid, needle) in pids.iter().zip(&needles) {
        assert!(!alive(*pid), "shell {pid} survived the shutdown");
        assert_eq!(running(needle), Vec::<i32>::new(), "survivors after shutdown");
    }
    // The attached client heard the end.
    let mut got_exit = false;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(5), client.ws.next()).await {
        if let Message::Text(t) = frame {
            got_exit |= serde_json::from_str::<Value>(t.as_str()).is_ok_and(|v| v["type"] == "exit");
        }
    }
    assert!(got_exit);
}

#[tokio::test]
async fn the_shell_and_its_extra_environment_come_from_the_settings_only() {
    let home = tempfile::tempdir().expect("tempdir");
    let settings = home.path().join("settings.json");
    std::fs::write(&settings, r#"{"terminals": {"shell": "sh"}}"#).expect("write");
    let config = band_server::Config::local(home.path());
    let e = band_server::start(config).await.map(|_| ()).expect_err("a relative shell");
    assert_eq!(e.to_string(), "terminals.shell 'sh' in settings.json is not an absolute path to an executable");

    let text = json!({"terminals": {"shell": "/bin/sh", "env": {"GREETING": "hi", "BAND_TOKEN": "leak", "HOME": home.path()}}});
    std::fs::write(&settings, text.to_string()).expect("write");
    let s = TestServer::start_in(home).await;
    let repo = TestRepo::named("app");
    s.ok("projects.add", json!({"path": repo.path()})).await;
    s.ok("workspaces.create", json!({"project": "app", "branch": "w"})).await;
    let id = create(&s, json!({"workspace": "app/w"})).await;
    send(&s, id, "echo \"$0 $GREETING [$BAND_TOKEN] $TERM\" | tr a-z A-Z\n").await;
    wait_output(&s, id, "/BIN/SH HI [] XTERM-256COLOR").await;
    s.stop().await;
}
