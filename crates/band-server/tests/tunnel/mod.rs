//! The tunnel through the real server. bore end to end on loopback: a real `bore server`, the
//! real `bore` client started by band, `/health` and authenticated RPC through the tunnel's port
//! with its Host, no trust from the peer address or forwarded headers, the host refused again
//! after a stop and after a crash, and no bore left after shutdown. cloudflared (which cannot
//! reach its service from here) through a stand-in script: its https host and origin are
//! admitted while it runs and refused after. LAN names from `allowedHosts`.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use band_testkit::procs::running;
use serde_json::{Value, json};

use crate::support::{Reply, TestServer, next_json, raw_http, subscribe};

/// bore's fixed control port.
const BORE_CONTROL: u16 = 7835;

/// The pinned bore (`scripts/tools.sh` installs it and `scripts/test.sh` exports its path).
fn bore_binary() -> PathBuf {
    let path = std::env::var_os("BAND_TEST_BORE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/band/tools/bin/bore")
    });
    assert!(
        path.is_file(),
        "bore is needed for the tunnel tests and was not found at {}: run ./scripts/tools.sh (or ./scripts/test.sh), \
         or set BAND_TEST_BORE to a bore-cli 0.6.0 binary",
        path.display()
    );
    path
}

/// A `bore server` on 127.0.0.1, killed when dropped.
struct BoreServer(tokio::process::Child);

impl BoreServer {
    async fn start(bore: &PathBuf) -> Self {
        let child = tokio::process::Command::new(bore)
            .args(["server", "--bind-addr", "127.0.0.1", "--bind-tunnels", "127.0.0.1"])
            .args(["--min-port", "47100", "--max-port", "47900"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("bore server starts");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", BORE_CONTROL)).await.is_ok() {
                return Self(child);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("bore server is not listening on 127.0.0.1:{BORE_CONTROL} (is another bore server running?)");
    }

    async fn kill(mut self) {
        self.0.kill().await.expect("kill bore server");
    }
}

/// A server whose settings.json has `extra` merged in (before its first start).
async fn server_with(extra: Value) -> TestServer {
    let home = tempfile::tempdir().expect("tempdir");
    let mut settings = json!({"terminals": {"env": {"HOME": home.path().join("shell-home")}}});
    if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
    TestServer::start_in(home).await
}

/// An RPC call to `addr` with this Host (and any extra headers).
async fn rpc_at(addr: std::net::SocketAddr, host: &str, token: Option<&str>, extra: &[(&str, String)]) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "settings.get", "params": {}}).to_string();
    let mut headers = vec![("host", host.to_owned()), ("content-type", "application/json".to_owned())];
    if let Some(t) = token {
        headers.push(("authorization", format!("Bearer {t}")));
    }
    headers.extend(extra.iter().cloned());
    raw_http(addr, "POST", "/rpc", &headers, &body).await
}

async fn wait_state(s: &TestServer, want: &str) -> Value {
    for _ in 0..300 {
        let t = s.ok("tunnel.status", json!({})).await;
        if t["state"] == want {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the tunnel never became {want}: {}", s.ok("tunnel.status", json!({})).await);
}

/// States pushed on a `tunnel.subscribe` subscription, until one is `state`.
async fn notice_until(ws: &mut crate::support::Ws, state: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let n = next_json(ws).await;
        assert_eq!(n["method"], "tunnel.state", "{n}");
        let s = n["params"]["result"]["state"].as_str().unwrap_or_default().to_owned();
        seen.push(s.clone());
        if s == state {
            return seen;
        }
    }
}

#[tokio::test]
async fn bore_end_to_end_on_loopback() {
    let bore = bore_binary();
    let mut bore_server = BoreServer::start(&bore).await;
    let s = server_with(json!({"tunnel": {"provider": "bore", "bore": {"binary": bore, "server": "127.0.0.1"}}})).await;
    let mut ws = subscribe(&s, "tunnel.subscribe", json!({})).await;
    assert_eq!(notice_until(&mut ws, "stopped").await, ["stopped"], "the current state comes first");
    assert_eq!(s.ok("tunnel.status", json!({})).await, json!({"state": "stopped"}));

    let t = s.ok("tunnel.start", json!({})).await;
    assert_eq!((t["state"].as_str(), t["provider"].as_str()), (Some("running"), Some("bore")));
    let url = t["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let public: std::net::SocketAddr = url.trim_start_matches("http://").parse().expect("addr");
    let host = public.to_string();
    assert_eq!(notice_until(&mut ws, "running").await, ["starting", "running"], "state is pushed to clients");

    // Through the tunnel: the public health check, and an authenticated call with the tunnel's Host.
    let health = raw_http(public, "GET", "/health", &[("host", host.clone())], "").await;
    assert_eq!((health.status, health.json()["status"].as_str()), (200, Some("ok")), "{}", health.body);
    let call = rpc_at(public, &host, Some(&s.token), &[]).await;
    assert_eq!(call.status, 200, "{}", call.body);
    assert_eq!(call.json()["result"]["tokenSet"], true);
    // The tunnel's own origin is admitted; the same host with another scheme is not.
    let origin = rpc_at(public, &host, Some(&s.token), &[("origin", url.clone())]).await;
    assert_eq!(origin.status, 200, "{}", origin.body);
    let other = rpc_at(public, &host, Some(&s.token), &[("origin", format!("https://{host}"))]).await;
    assert_eq!(other.status, 403, "{}", other.body);
    // No loopback trust through the tunnel (its requests do come from 127.0.0.1), and forwarded
    // headers establish nothing.
    let forwarded = [
        ("x-forwarded-for", "127.0.0.1".to_owned()),
        ("x-forwarded-host", s.host()),
        ("forwarded", "for=127.0.0.1;host=localhost".to_owned()),
    ];
    let anonymous = rpc_at(public, &host, None, &forwarded).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    // Another host through the tunnel is still refused.
    assert_eq!(rpc_at(public, "evil.example:80", Some(&s.token), &[]).await.status, 403);

    // One tunnel at a time.
    let (code, message) = s.err("tunnel.start", json!({"provider": "bore"})).await;
    assert_eq!(code, -32002);
    assert!(message.contains(&format!("already running at {url}")), "{message}");

    // Stop: the host is refused again (asked directly, as the tunnel is gone), nothing is left.
    assert_eq!(s.ok("tunnel.stop", json!({})).await, json!({"state": "stopped"}));
    assert_eq!(notice_until(&mut ws, "stopped").await, ["stopped"]);
    let refused = rpc_at(s.addr, &host, Some(&s.token), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("is not allowed"), "{}", refused.body);
    let client = format!("local {} ", s.addr.port());
    assert!(running(&client).is_empty(), "bore client left running");

    // A crash: the bore server goes away, the client exits, the tunnel fails and its host is refused.
    let t = s.ok("tunnel.start", json!({})).await;
    let host = t["url"].as_str().expect("url").trim_start_matches("http://").to_owned();
    assert_eq!(rpc_at(s.addr, &host, Some(&s.token), &[]).await.status, 200);
    bore_server.kill().await;
    let failed = wait_state(&s, "failed").await;
    let error = failed["error"].as_str().expect("error");
    assert!(error.contains("the tunnel exited: bore ended"), "{error}");
    assert_eq!(rpc_at(s.addr, &host, Some(&s.token), &[]).await.status, 403);
    assert!(running(&client).is_empty(), "bore client left running");

    // Shutdown stops a running tunnel (SECURITY.md R5).
    bore_server = BoreServer::start(&bore).await;
    s.ok("tunnel.start", json!({})).await;
    assert!(!running(&client).is_empty(), "bore client runs");
    let mut s = s;
    s.running.take().expect("running").stop().await.expect("clean shutdown");
    assert!(running(&client).is_empty(), "bore client left running after shutdown");
    bore_server.kill().await;
}

const QUICK_LOG: &str = r#"#!/bin/sh
echo "2026-11-22T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com..." >&2
echo "2026-11-22T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |" >&2
echo "2026-11-22T10:00:01Z INF |  https://stand-in-words.trycloudflare.com                                                 |" >&2
exec sleep 3600
"#;

#[tokio::test]
async fn a_cloudflared_tunnel_admits_its_https_host_and_origin_only_while_it_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = dir.path().join("cloudflared");
    std::fs::write(&binary, QUICK_LOG).expect("write");
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let s = server_with(json!({"tunnel": {"cloudflared": {"binary": binary}}})).await;
    let host = "stand-in-words.trycloudflare.com";
    let origin = [("origin", format!("https://{host}"))];
    assert_eq!(rpc_at(s.addr, host, Some(&s.token), &origin).await.status, 403);

    // No provider in settings: a cloudflared quick tunnel, which needs no account and no
    // configuration.
    let t = s.ok("tunnel.start", json!({})).await;
    assert_eq!((t["state"].as_str(), t["provider"].as_str()), (Some("running"), Some("cloudflared")));
    assert_eq!(t["url"], format!("https://{host}"));
    assert_eq!(rpc_at(s.addr, host, Some(&s.token), &origin).await.status, 200);
    assert_eq!(rpc_at(s.addr, &format!("{host}:443"), Some(&s.token), &origin).await.status, 200);
    let http_origin = [("origin", format!("http://{host}"))];
    assert_eq!(rpc_at(s.addr, host, Some(&s.token), &http_origin).await.status, 403);
    assert_eq!(rpc_at(s.addr, &format!("x{host}"), Some(&s.token), &[]).await.status, 403);

    s.ok("tunnel.stop", json!({})).await;
    assert_eq!(rpc_at(s.addr, host, Some(&s.token), &origin).await.status, 403);
    assert!(running(&binary.display().to_string()).is_empty(), "the stand-in was stopped");

    // A named tunnel without its settings says which are missing; an absent program says how to
    // install it.
    let (code, message) = s.err("tunnel.start", json!({"provider": "cloudflared-named"})).await;
    assert_eq!(code, -32602);
    assert!(message.contains("needs tunnel.cloudflared.tunnelName"), "{message}");
    std::fs::remove_file(&binary).expect("rm");
    let (code, message) = s.err("tunnel.start", json!({"provider": "cloudflared"})).await;
    assert_eq!(code, -32602);
    assert!(message.contains("is not an executable file"), "{message}");
    assert_eq!(s.ok("tunnel.status", json!({})).await["state"], "failed");
}

#[tokio::test]
async fn allowed_hosts_are_admitted_on_the_listening_port_only() {
    let s = server_with(json!({"allowedHosts": ["MyBox.lan"]})).await;
    let port = s.addr.port();
    assert_eq!(rpc_at(s.addr, &format!("mybox.lan:{port}"), Some(&s.token), &[]).await.status, 200);
    let origin = [("origin", format!("http://mybox.lan:{port}"))];
    assert_eq!(rpc_at(s.addr, &format!("mybox.lan:{port}"), Some(&s.token), &origin).await.status, 200);
    assert_eq!(rpc_at(s.addr, "mybox.lan", Some(&s.token), &[]).await.status, 403);
    assert_eq!(rpc_at(s.addr, &format!("other.lan:{port}"), Some(&s.token), &[]).await.status, 403);
    let https = [("origin", format!("https://mybox.lan:{port}"))];
    assert_eq!(rpc_at(s.addr, &format!("mybox.lan:{port}"), Some(&s.token), &https).await.status, 403);
}

#[test]
fn bad_start_up_settings_keep_the_server_from_starting() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for (settings, want) in [
        (json!({"tunnel": {"provider": "ngrok"}}), "tunnel.provider 'ngrok' in settings.json is not a tunnel provider"),
        (
            json!({"allowedHosts": ["http://x.lan"]}),
            "'http://x.lan' in allowedHosts in settings.json is not a host name",
        ),
        (json!({"allowedHosts": ["x.lan:80"]}), "'x.lan:80' in allowedHosts"),
        // Not the tunnel's, but start-up settings all the same: agents and transcripts.
        (
            json!({"transcripts": {"dir": "transcripts"}}),
            "transcripts.dir 'transcripts' in settings.json must be an absolute path or start with ~/",
        ),
        (
            json!({"agents": {"my-agent": {"binary": "my-agent"}}}),
            "agents.my-agent is not a built-in agent, so it needs a protocol",
        ),
    ] {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(home.path().join("settings.json"), settings.to_string()).expect("settings");
        let config = band_server::Config::local(home.path());
        let e = runtime.block_on(band_server::Band::open(config)).err().expect("refused");
        assert!(e.to_string().contains(want), "{e}");
    }
}
