//! The tunnel service's state machine against a fake provider: start gives a URL and allows its
//! host, a second start is a conflict, stop and a crash refuse the host again, failures are
//! states with their reason, and every change is announced.

use std::net::SocketAddr;
use std::sync::Arc;

use band_core::ports::{EventSink, HostAllowList, Notice, TunnelProvider};
use band_core::services::Tunnels;
use band_core::*;
use band_testkit::events::RecordingSink;
use band_testkit::tunnel::{FakeStart, FakeTunnels, RecordingHosts};

struct World {
    tunnels: Tunnels,
    quick: Arc<FakeTunnels>,
    bore: Arc<FakeTunnels>,
    hosts: Arc<RecordingHosts>,
    sink: Arc<RecordingSink>,
}

fn world(quick: Vec<FakeStart>, bore: Vec<FakeStart>, default: Option<&str>) -> World {
    let (quick, bore) = (FakeTunnels::new("cloudflared", quick), FakeTunnels::new("bore", bore));
    let hosts = Arc::new(RecordingHosts::default());
    let sink = Arc::new(RecordingSink::default());
    let providers: Vec<Arc<dyn TunnelProvider>> = vec![quick.clone(), bore.clone()];
    let (h, s): (Arc<dyn HostAllowList>, Arc<dyn EventSink>) = (hosts.clone(), sink.clone());
    let tunnels = Tunnels::new(providers, default.map(str::to_owned), h, s);
    World { tunnels, quick, bore, hosts, sink }
}

fn target() -> SocketAddr {
    "127.0.0.1:3456".parse().expect("addr")
}

fn states(sink: &RecordingSink) -> Vec<&'static str> {
    sink.take()
        .into_iter()
        .filter_map(|n| match n {
            Notice::TunnelChanged(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn start_allows_the_exact_host_and_stop_refuses_it_again() {
    let w = world(vec![FakeStart::Url("https://a-b.trycloudflare.com")], vec![], Some("cloudflared"));
    assert_eq!(w.tunnels.status(), TunnelState::Stopped);
    let running = w.tunnels.start(None, target()).await.expect("started");
    let TunnelState::Running { provider, url, since } = &running else { panic!("{running:?}") };
    assert_eq!(
        (provider.as_str(), url.origin(), *since),
        ("cloudflared", "https://a-b.trycloudflare.com".into(), 1_000)
    );
    assert_eq!(*w.quick.targets.lock().expect("lock"), vec![target()]);
    assert_eq!(w.hosts.allowed(), vec!["https://a-b.trycloudflare.com".to_owned()]);
    assert_eq!(w.tunnels.status(), running);
    assert_eq!(states(&w.sink), vec!["starting", "running"]);

    assert_eq!(w.tunnels.stop().await, TunnelState::Stopped);
    assert!(w.hosts.allowed().is_empty());
    assert_eq!(w.quick.stops(), 1);
    assert_eq!(states(&w.sink), vec!["stopped"]);
    // Stopping again changes nothing and announces nothing.
    assert_eq!(w.tunnels.stop().await, TunnelState::Stopped);
    assert_eq!((w.quick.stops(), states(&w.sink).len()), (1, 0));
}

#[tokio::test]
async fn a_second_start_while_running_is_a_conflict() {
    let w = world(vec![FakeStart::Url("https://one.trycloudflare.com")], vec![FakeStart::Url("http://h:9000")], None);
    w.tunnels.start(Some("cloudflared"), target()).await.expect("started");
    let e = w.tunnels.start(Some("bore"), target()).await.expect_err("conflict");
    assert!(
        matches!(&e, CoreError::Conflict(m) if m.what.contains("already running at https://one.trycloudflare.com")),
        "{e}"
    );
    assert!(w.bore.targets.lock().expect("lock").is_empty(), "the second provider was never started");
    assert_eq!(w.hosts.allowed(), vec!["https://one.trycloudflare.com".to_owned()]);
}

#[tokio::test]
async fn providers_are_chosen_by_name_with_clear_errors() {
    let w = world(vec![], vec![FakeStart::Url("http://127.0.0.1:41000")], None);
    let e = w.tunnels.start(None, target()).await.expect_err("none chosen");
    assert!(
        matches!(&e, CoreError::InvalidInput(m) if m.what.contains("set tunnel.provider") && m.what.contains("cloudflared, bore")),
        "{e}"
    );
    let e = w.tunnels.start(Some("ngrok"), target()).await.expect_err("unknown");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m.what.contains("unknown tunnel provider 'ngrok'")), "{e}");
    assert_eq!(w.tunnels.status(), TunnelState::Stopped, "refused requests change nothing");
    let s = w.tunnels.start(Some("bore"), target()).await.expect("bore");
    assert!(matches!(s, TunnelState::Running { provider, .. } if provider == "bore"));
}

#[tokio::test]
async fn a_failed_start_is_a_state_with_its_reason_and_allows_nothing() {
    let w = world(
        vec![
            FakeStart::Fail(TunnelError::BinaryMissing("cloudflared is not installed".into())),
            FakeStart::Fail(TunnelError::Failed("cloudflared printed no public URL within 30 s".into())),
            FakeStart::Url("https://late.trycloudflare.com"),
        ],
        vec![],
        Some("cloudflared"),
    );
    let e = w.tunnels.start(None, target()).await.expect_err("missing");
    assert!(matches!(&e, CoreError::InvalidInput(m) if m == "cloudflared is not installed"), "{e}");
    let e = w.tunnels.start(None, target()).await.expect_err("no url");
    assert!(matches!(&e, CoreError::Refused(m) if m.what.contains("no public URL")), "{e}");
    let TunnelState::Failed { provider, error } = w.tunnels.status() else { panic!("not failed") };
    assert_eq!((provider.as_str(), error.contains("no public URL")), ("cloudflared", true));
    assert!(w.hosts.allowed().is_empty());
    assert_eq!(states(&w.sink), vec!["starting", "failed", "starting", "failed"]);
    // A failed tunnel may be started again.
    w.tunnels.start(None, target()).await.expect("third time");
}

#[tokio::test]
async fn a_crash_fails_the_tunnel_and_refuses_its_host() {
    let w = world(vec![FakeStart::Url("https://gone.trycloudflare.com")], vec![], Some("cloudflared"));
    w.tunnels.start(None, target()).await.expect("started");
    states(&w.sink);
    w.quick.crash("exit code 1; its last output:\nERR connection lost").await;
    let TunnelState::Failed { error, .. } = w.tunnels.status() else { panic!("not failed") };
    assert!(error.contains("the tunnel exited: exit code 1") && error.contains("connection lost"), "{error}");
    assert!(w.hosts.allowed().is_empty());
    assert_eq!(states(&w.sink), vec!["failed"]);
    // A late exit of an old tunnel changes nothing once it was stopped.
    w.tunnels.stop().await;
    w.quick.crash("late").await;
    assert_eq!(w.tunnels.status(), TunnelState::Stopped);
}

#[tokio::test]
async fn an_exit_before_start_returns_fails_the_start_and_allows_nothing() {
    let w = world(
        vec![FakeStart::UrlThenExit("https://brief.trycloudflare.com", "exit code 1")],
        vec![],
        Some("cloudflared"),
    );
    let e = w.tunnels.start(None, target()).await.expect_err("exited");
    assert!(matches!(&e, CoreError::Refused(m) if m.what.contains("exited as soon as it started: exit code 1")), "{e}");
    assert!(w.hosts.allowed().is_empty(), "a dead tunnel's host is never allowed");
    assert_eq!(w.quick.stops(), 1, "what is left of it is stopped");
    assert_eq!(w.tunnels.status().as_str(), "failed");
    assert_eq!(states(&w.sink), vec!["starting", "failed"]);
}
