//! Terminal chats end to end: the real Claude Code TUI in a PTY (on the mock model, offline),
//! typed into by band, its status and permissions from its hooks through the real `band notify`
//! (the `band` binary beside this test's directory); and the test kit's scripted TUI, which has
//! no hooks, its status from its screen.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use band_mockmodel::{MockModel, MockTurn, Scenario};
use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

use crate::agents::{Band, kinds, new_home, scope_of};

/// The `band` CLI beside this test binary's directory (`cargo test --workspace` builds it).
pub(crate) fn band_cli() -> PathBuf {
    let exe = std::env::current_exe().expect("this test binary");
    let bin = exe.parent().and_then(Path::parent).expect("target/<profile>").join("band");
    assert!(bin.exists(), "{} is missing: build it first (`cargo build -p band-cli`)", bin.display());
    bin
}

/// The statuses the chat went through, in order, without repeats.
fn statuses(events: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in events.iter().filter(|e| e["type"] == "status").filter_map(|e| e["status"].as_str()) {
        if out.last().map(String::as_str) != Some(s) {
            out.push(s.to_owned());
        }
    }
    out
}

fn hooks(events: &[Value]) -> Vec<&str> {
    events.iter().filter(|e| e["type"] == "hook").filter_map(|e| e["event"].as_str()).collect()
}

async fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what} after {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The value of `var` in process `pid`'s environment.
fn environ(pid: u32, var: &str) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0)
        .find_map(|kv| std::str::from_utf8(kv).ok()?.strip_prefix(&format!("{var}=")).map(str::to_owned))
}

/// POST /notify as `band notify` would, with a raw body.
async fn notify(url: &str, body: &Value) -> (u16, Value) {
    let client = band_api::client::Client::new(url, None).expect("client");
    let request: band_api::NotifyRequest = serde_json::from_value(body.clone()).expect("a notify request");
    match client.notify(&request).await {
        Ok(n) => (200, serde_json::to_value(n).expect("json")),
        Err(band_api::client::ClientError::Http { status, message }) => (status, json!({"error": message})),
        Err(e) => panic!("notify: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_code_in_a_terminal_is_typed_into_decides_through_its_hook_and_stops_leaving_nothing() {
    assert!(band_cli().exists());
    let repo = TestRepo::named("app");
    let (home, wt) = new_home();
    let mock = MockModel::start(Scenario::new([
        MockTurn::tool("Write", json!({"file_path": wt.join("allowed.txt"), "content": "allowed\n"})),
        MockTurn::text("I wrote allowed.txt."),
        MockTurn::tool("Write", json!({"file_path": wt.join("denied.txt"), "content": "denied\n"})),
        MockTurn::text("You said no to denied.txt."),
    ]))
    .await;
    band_mockmodel::offline::configure_band_home(home.path(), &mock);
    let worktrees = std::fs::canonicalize(home.path()).expect("home").join("worktrees");
    band_mockmodel::offline::prepare_claude_tui(home.path(), &worktrees);
    let home_path = home.path().to_owned();
    let band = Band::start(home).await;
    band.call("projects.add", json!({"path": repo.path()})).await;
    let created = band
        .call(
            "workspaces.create",
            json!({"project": "app", "branch": "feat", "prompt": "Please write allowed.txt.",
                   "agent": "claude-code", "mode": "ask", "via": "terminal"}),
        )
        .await;
    let chat = created["chat"]["id"].as_i64().expect("a chat");
    assert_eq!(created["chat"]["via"], "terminal");

    // Its terminal is listed with the workspace's, for people to watch.
    let terminals = band.call("terminals.list", json!({"workspace": "app/feat"})).await;
    let terminal = terminals.as_array().and_then(|t| t.iter().find(|t| t["chat"] == chat)).expect("its terminal");
    let pid = u32::try_from(terminal["pid"].as_i64().expect("pid")).expect("pid");
    let scope = scope_of(pid);

    // The permission comes from the PreToolUse hook, and is answered from the API.
    band.wait_status(chat, &["waiting"], Duration::from_secs(90)).await;
    let events = band.events(chat).await;
    let ask = events.iter().rev().find(|e| e["type"] == "permission").expect("a permission");
    assert_eq!(ask["tool"], "Write");
    assert!(!wt.join("allowed.txt").exists(), "nothing is written before band decides");
    band.call("chats.respond", json!({"chat": chat, "decision": "allow"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(90)).await;
    assert_eq!(std::fs::read_to_string(wt.join("allowed.txt")).expect("written"), "allowed\n");

    let events = band.events(chat).await;
    assert_eq!(statuses(&events), ["working", "waiting", "working", "completed"], "{events:#?}");
    let h = hooks(&events);
    for expected in ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "Stop"] {
        assert!(h.contains(&expected), "hook {expected} missing from {h:?}");
    }
    let k = kinds(&events);
    for expected in ["prompt", "agent_session", "tool_call", "permission_resolved", "tool_call_update", "turn_ended"] {
        assert!(k.contains(&expected), "{expected} missing from {k:?}");
    }
    let text: String =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert!(text.contains("I wrote allowed.txt."), "the turn's text is captured: {text:?}");
    // Usage, from the session's transcript the Stop hook names.
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    let usage = &turns[0]["usage"];
    assert!(
        usage["inputTokens"].as_u64().unwrap_or(0) > 0 && usage["outputTokens"].as_u64().unwrap_or(0) > 0,
        "{turns}"
    );
    assert_eq!(turns[0]["stopReason"], "end_turn");
    let exported = band.call("chats.export", json!({"chat": chat, "format": "md"})).await;
    assert!(exported["content"].as_str().is_some_and(|c| c.contains("I wrote allowed.txt.")), "{exported}");

    // A second message, several lines (a bracketed paste), denied from the API.
    band.call("chats.send", json!({"chat": chat, "message": "Now write denied.txt,\nplease."})).await;
    band.wait_status(chat, &["waiting"], Duration::from_secs(90)).await;
    band.call("chats.respond", json!({"chat": chat, "decision": "deny"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(90)).await;
    assert!(!wt.join("denied.txt").exists(), "a denied Write writes nothing");
    let events = band.events(chat).await;
    let prompts: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "hook" && e["event"] == "UserPromptSubmit")
        .filter_map(|e| e["detail"].as_str())
        .collect();
    assert_eq!(prompts.last(), Some(&"Now write denied.txt,\nplease."), "both lines arrived as one message");

    // The notify secret: only that chat's, only for its running agent; a malformed document
    // says what is wrong.
    let url = band.running.as_ref().expect("running").url();
    let secret = environ(pid, "BAND_NOTIFY_SECRET").expect("the agent has its notify secret");
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home_path.join("settings.json")).expect("settings")).expect("json");
    assert_ne!(Some(secret.as_str()), settings["tokenSecret"].as_str(), "never the main token");
    let (status, body) =
        notify(&url, &json!({"chat": chat, "secret": "forged", "hook": {"hook_event_name": "Stop"}})).await;
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().is_some_and(|e| e.contains("no terminal agent running with this notify secret")));
    let (status, _) =
        notify(&url, &json!({"chat": chat + 1, "secret": secret, "hook": {"hook_event_name": "Stop"}})).await;
    assert_eq!(status, 401, "another chat's secret is refused");
    let (status, body) = notify(&url, &json!({"chat": chat, "secret": secret, "hook": {"what": 1}})).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().is_some_and(|e| e.contains("hook_event_name")), "{body}");
    // Refusals are audited in the background.
    let deadline = Instant::now() + Duration::from_secs(10);
    let audit = loop {
        let audit = band.call("audit.list", json!({})).await;
        let refused = audit
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["detail"].as_str().is_some_and(|d| d.contains("wrong notify secret")))
            .count();
        if refused == 2 {
            break audit;
        }
        assert!(Instant::now() < deadline, "both refusals are audited: {audit:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let audit_text = audit.to_string();
    assert!(!audit_text.contains(&secret), "the secret is never in the audit");

    // `band notify` itself: a malformed document is refused before it is sent.
    let out = std::process::Command::new(band_cli())
        .arg("notify")
        .env("BAND_CHAT_ID", chat.to_string())
        .env("BAND_NOTIFY_SECRET", &secret)
        .env("BAND_SERVER_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(b"not json")?;
            c.wait_with_output()
        })
        .expect("band notify");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stdin is not a hook's JSON document"), "{stderr}");

    // Stop leaves no process, and takes the terminal off the list.
    band.call("chats.stop", json!({"chat": chat})).await;
    wait_for("processes of the agent's scope are gone", Duration::from_secs(15), || {
        band_process::marked(&scope).is_empty()
    })
    .await;
    let terminals = band.call("terminals.list", json!({})).await;
    assert!(terminals.as_array().is_some_and(|t| t.iter().all(|t| t["chat"] != chat)), "{terminals}");
    band.stop().await;
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tui_without_hooks_gets_its_status_from_its_screen_and_its_dialog_answered_by_keys() {
    let repo = TestRepo::named("app");
    let (home, wt) = new_home();
    let [working, waiting, idle] = band_testkit::SCRIPTED_TUI_SCREEN;
    let settings = json!({"agents": {"scripted": {
        "protocol": "terminal",
        "binary": band_testkit::scripted_tui(),
        "terminal": {"screen": {"working": [working], "waiting": [waiting], "idle": [idle]},
                     "allowKeys": "y", "denyKeys": "n"},
    }}});
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    let band = Band::start(home).await;
    band.call("projects.add", json!({"path": repo.path()})).await;
    band.call("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    // A terminal agent runs in a terminal without being asked.
    let chat = band.call("chats.create", json!({"workspace": "app/feat", "agent": "scripted"})).await;
    assert_eq!(chat["via"], "terminal");
    let chat = chat["id"].as_i64().expect("id");

    band.call("chats.send", json!({"chat": chat, "message": "hello there"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    let events = band.events(chat).await;
    let text: String =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, "echo: hello there", "the differential capture, without the echo and the status line");

    // A dialog on screen is a permission request; allow types the profile's key.
    band.call("chats.send", json!({"chat": chat, "message": "write yes.txt"})).await;
    band.wait_status(chat, &["waiting"], Duration::from_secs(30)).await;
    band.call("chats.respond", json!({"chat": chat, "decision": "allow"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    assert_eq!(std::fs::read_to_string(wt.join("yes.txt")).expect("written"), "hi\n");
    band.call("chats.send", json!({"chat": chat, "message": "write no.txt"})).await;
    band.wait_status(chat, &["waiting"], Duration::from_secs(30)).await;
    band.call("chats.respond", json!({"chat": chat, "decision": "deny"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    assert!(!wt.join("no.txt").exists());
    let events = band.events(chat).await;
    assert_eq!(
        statuses(&events),
        [
            "working",
            "completed",
            "working",
            "waiting",
            "working",
            "completed",
            "working",
            "waiting",
            "working",
            "completed"
        ]
    );
    let text: Vec<&str> =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text, ["echo: hello there", "wrote yes.txt", "skipped no.txt"]);

    // Several lines are one message (a bracketed paste).
    band.call("chats.send", json!({"chat": chat, "message": "one\ntwo"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    let events = band.events(chat).await;
    let last = events.iter().rev().find(|e| e["type"] == "agent_message_chunk").expect("a message");
    assert_eq!(last["text"], "echo: one\necho: two\n(2 lines)");

    // Interrupt types Esc; stop leaves nothing.
    band.call("chats.send", json!({"chat": chat, "message": "slow"})).await;
    band.wait_status(chat, &["working"], Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    band.call("chats.interrupt", json!({"chat": chat})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    let turns = band.call("chats.turns", json!({"chat": chat})).await;
    assert_eq!(turns.as_array().and_then(|t| t.last()).map(|t| t["stopReason"].clone()), Some(json!("cancelled")));
    let terminals = band.call("terminals.list", json!({})).await;
    let pid = terminals.as_array().and_then(|t| t.iter().find(|t| t["chat"] == chat)).expect("its terminal")["pid"]
        .as_i64()
        .expect("pid");
    let scope = scope_of(u32::try_from(pid).expect("pid"));
    band.call("chats.stop", json!({"chat": chat})).await;
    wait_for("the TUI is gone", Duration::from_secs(15), || band_process::marked(&scope).is_empty()).await;
    band.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inside_tmux_a_terminal_agent_can_be_attached_to_and_outlives_a_band_restart() {
    let tmux = Path::new("/usr/bin/tmux");
    assert!(tmux.exists(), "tmux is needed (./scripts/test.sh installs it)");
    let repo = TestRepo::named("app");
    let (home, _wt) = new_home();
    let [working, waiting, idle] = band_testkit::SCRIPTED_TUI_SCREEN;
    let settings = json!({
        "agents": {"scripted": {
            "protocol": "terminal",
            "binary": band_testkit::scripted_tui(),
            "terminal": {"screen": {"working": [working], "waiting": [waiting], "idle": [idle]}},
        }},
        "terminals": {"tmux": true},
    });
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    let socket = std::fs::canonicalize(home.path()).expect("home").join("tmux/chat-1.sock");
    // Outliving band is the point, so a failing run must not leave tmux behind.
    struct EndTmux(PathBuf);
    impl Drop for EndTmux {
        fn drop(&mut self) {
            let _ = std::process::Command::new("/usr/bin/tmux")
                .args(["-S", &self.0.display().to_string(), "kill-server"])
                .output();
            for pid in band_process::marked(&format!("band-tmux.{}", self.0.display())) {
                let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).output();
            }
        }
    }
    let _end_tmux = EndTmux(socket.clone());
    let band = Band::start(home).await;
    band.call("projects.add", json!({"path": repo.path()})).await;
    band.call("workspaces.create", json!({"project": "app", "branch": "feat"})).await;
    let chat = band.call("chats.create", json!({"workspace": "app/feat", "agent": "scripted"})).await;
    let chat = chat["id"].as_i64().expect("id");
    assert_eq!(chat, 1);
    band.call("chats.send", json!({"chat": chat, "message": "before the restart"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    let scope = format!("band-tmux.{}", socket.display());
    assert!(!band_process::marked(&scope).is_empty(), "the agent runs in tmux");

    // A person attaches from their own terminal: tmux shows the agent's screen.
    let shown = std::process::Command::new(tmux)
        .args(["-S", &socket.display().to_string(), "capture-pane", "-p", "-t", "chat-1"])
        .output()
        .expect("tmux capture-pane");
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("echo: before the restart"), "{shown}");

    // band-server stops; the agent lives on in tmux, and the next band attaches to it again.
    let home = band.stop().await;
    assert!(!band_process::marked(&scope).is_empty(), "the agent outlived band-server");
    let band = Band::start(home).await;
    band.call("chats.send", json!({"chat": chat, "message": "after the restart"})).await;
    band.wait_status(chat, &["completed"], Duration::from_secs(30)).await;
    let events = band.events(chat).await;
    let text: Vec<&str> =
        events.iter().filter(|e| e["type"] == "agent_message_chunk").filter_map(|e| e["text"].as_str()).collect();
    assert_eq!(text.last(), Some(&"echo: after the restart"), "{text:?}");

    // A stop ends tmux and the agent.
    band.call("chats.stop", json!({"chat": chat})).await;
    wait_for("the agent in tmux is gone", Duration::from_secs(15), || band_process::marked(&scope).is_empty()).await;
    assert!(!socket.exists(), "tmux's socket is gone");
    band.stop().await;
}
