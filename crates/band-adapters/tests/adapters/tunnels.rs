//! The cloudflared adapters against stand-in executables: shell scripts that print what
//! cloudflared prints (the real service cannot be reached from here) and then behave as the
//! test needs — keep running, crash, never print a URL, ignore SIGTERM. Real processes, real
//! process groups: every test checks that nothing of the tunnel is left running.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use band_adapters::tunnels::{CloudflaredNamed, CloudflaredQuick};
use band_core::TunnelError;
use band_core::ports::{TunnelExits, TunnelProvider};
use band_process::Supervisor;
use band_testkit::procs::running;

/// cloudflared's own start-up lines for a quick tunnel, box and all.
const QUICK_LOG: &str = r#"
echo "2026-11-22T10:00:00Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out." >&2
echo "2026-11-22T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com..." >&2
echo "2026-11-22T10:00:01Z INF +--------------------------------------------------------------------------------------------+" >&2
echo "2026-11-22T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |" >&2
echo "2026-11-22T10:00:01Z INF |  https://random-words-here.trycloudflare.com                                               |" >&2
echo "2026-11-22T10:00:01Z INF +--------------------------------------------------------------------------------------------+" >&2
echo "2026-11-22T10:00:01Z INF Version 2025.11.1" >&2
"#;

/// A stand-in `cloudflared` in a fresh directory: records its argv, then runs `body`. Its
/// background `sleep` carries a number unique to the test, so survivors can be found.
struct StandIn {
    dir: tempfile::TempDir,
    marker: String,
}

impl StandIn {
    fn new(body: &str, seconds: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("sleep {seconds}");
        let script =
            format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n{marker} &\n{body}\n", dir.path().join("args").display());
        let path = dir.path().join("cloudflared");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self { dir, marker }
    }

    fn binary(&self) -> PathBuf {
        self.dir.path().join("cloudflared")
    }

    fn args(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("args")).unwrap().lines().map(str::to_owned).collect()
    }

    /// Processes of this stand-in still running: the script itself or its sleep.
    fn survivors(&self) -> Vec<i32> {
        let mut all = running(&self.binary().display().to_string());
        all.extend(running(&self.marker));
        all
    }

    async fn assert_gone(&self) {
        for _ in 0..100 {
            if self.survivors().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("left running: {:?}", self.survivors());
    }
}

#[derive(Default)]
struct Exits(Mutex<Vec<String>>);

#[async_trait]
impl TunnelExits for Exits {
    async fn on_exit(&self, reason: String) {
        self.0.lock().unwrap().push(reason);
    }
}

impl Exits {
    async fn wait(&self) -> String {
        for _ in 0..500 {
            if let Some(r) = self.0.lock().unwrap().first().cloned() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no exit reported");
    }
}

fn target() -> SocketAddr {
    "127.0.0.1:3456".parse().unwrap()
}

fn quick(stand_in: &StandIn) -> CloudflaredQuick {
    CloudflaredQuick::new(Some(stand_in.binary()), Supervisor::new())
}

#[tokio::test]
async fn a_quick_tunnel_gives_its_url_and_stops_leaving_nothing() {
    let s = StandIn::new(&format!("{QUICK_LOG}\nexec sleep 3600"), 36001);
    let exits = Arc::new(Exits::default());
    let started = quick(&s).start(target(), exits.clone()).await.unwrap();
    assert_eq!(started.url.origin(), "https://random-words-here.trycloudflare.com");
    assert_eq!(s.args(), ["tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:3456"]);
    assert!(!s.survivors().is_empty(), "the tunnel runs until stopped");
    started.process.stop().await;
    s.assert_gone().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(exits.0.lock().unwrap().is_empty(), "a requested stop is not an exit");
}

#[tokio::test]
async fn a_crash_after_the_url_is_reported_with_its_last_words() {
    let body = format!(
        "{QUICK_LOG}\nsleep 0.3\necho '2026-11-22T10:00:05Z ERR Connection terminated error=\"lost\"' >&2\nexit 3"
    );
    let s = StandIn::new(&body, 36002);
    let exits = Arc::new(Exits::default());
    let started = quick(&s).start(target(), exits.clone()).await.unwrap();
    assert_eq!(started.url.host(), "random-words-here.trycloudflare.com");
    let reason = exits.wait().await;
    assert!(reason.contains("cloudflared ended (exit code 3)"), "{reason}");
    assert!(reason.contains("ERR Connection terminated"), "{reason}");
    s.assert_gone().await;
}

#[tokio::test]
async fn an_exit_before_the_url_fails_the_start_with_the_output() {
    let body = "echo '2026-11-22T10:00:00Z ERR failed to request quick Tunnel: Post \"https://api.trycloudflare.com/tunnel\": dial tcp: lookup api.trycloudflare.com: no such host' >&2\nexit 1";
    let s = StandIn::new(body, 36003);
    let e = quick(&s).start(target(), Arc::new(Exits::default())).await.err().unwrap();
    assert!(matches!(e, TunnelError::Failed(_)), "{e}");
    let m = e.to_string();
    assert!(m.contains("cloudflared exited before it printed a public URL (exit code 1)"), "{m}");
    assert!(m.contains("no such host"), "{m}");
    s.assert_gone().await;
}

#[tokio::test]
async fn no_url_in_time_is_a_clear_error_and_leaves_nothing() {
    let body =
        "echo '2026-11-22T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...' >&2\nexec sleep 3600";
    let s = StandIn::new(body, 36004);
    let mut provider = quick(&s);
    provider.start_timeout = Duration::from_millis(800);
    let e = provider.start(target(), Arc::new(Exits::default())).await.err().unwrap();
    let m = e.to_string();
    assert!(m.contains("cloudflared printed no public URL within 0.8 s"), "{m}");
    assert!(m.contains("Requesting new quick Tunnel"), "{m}");
    s.assert_gone().await;
}

#[tokio::test]
async fn a_tunnel_that_ignores_sigterm_is_killed() {
    let body = format!("trap '' TERM\n{QUICK_LOG}\nwhile true; do sleep 0.1; done");
    let s = StandIn::new(&body, 36005);
    let started = quick(&s).start(target(), Arc::new(Exits::default())).await.unwrap();
    let t = Instant::now();
    started.process.stop().await;
    assert!(t.elapsed() >= Duration::from_secs(2), "TERM was ignored, so the grace period passed");
    s.assert_gone().await;
}

#[tokio::test]
async fn a_missing_cloudflared_says_how_to_install_it() {
    let e = CloudflaredQuick::new(Some(PathBuf::from("/nonexistent/cloudflared")), Supervisor::new())
        .start(target(), Arc::new(Exits::default()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, TunnelError::BinaryMissing(_)));
    assert!(e.to_string().contains("tunnel.cloudflared.binary '/nonexistent/cloudflared'"), "{e}");
}

#[tokio::test]
async fn a_named_tunnel_serves_its_hostname_once_a_connection_is_registered() {
    let body = "echo '2026-11-22T10:00:00Z INF Starting tunnel tunnelID=abc' >&2\nsleep 0.2\n\
                echo '2026-11-22T10:00:01Z INF Registered tunnel connection connIndex=0 connection=x event=0 ip=198.41.200.13 location=fra08 protocol=quic' >&2\nexec sleep 3600";
    let s = StandIn::new(body, 36006);
    let creds = Path::new("/home/me/.cloudflared/abc.json");
    let provider = CloudflaredNamed::new(
        Some(s.binary()),
        Some("band".into()),
        Some("band.example.com".into()),
        Some(creds.to_owned()),
        Supervisor::new(),
    );
    assert_eq!(provider.name(), "cloudflared-named");
    let started = provider.start(target(), Arc::new(Exits::default())).await.unwrap();
    assert_eq!(started.url.origin(), "https://band.example.com");
    assert_eq!(
        s.args(),
        [
            "tunnel",
            "--no-autoupdate",
            "run",
            "--url",
            "http://127.0.0.1:3456",
            "--credentials-file",
            "/home/me/.cloudflared/abc.json",
            "band"
        ]
    );
    started.process.stop().await;
    s.assert_gone().await;
}
