//! Idle agents' memory (issue 13): N chats of the real Claude Code CLI on the mock model, each
//! after one finished turn, hold their agent processes; past `agentIdleTimeoutSeconds` band stops
//! them. Prints band-server's RSS and the summed RSS of every process under it (the agents),
//! before and after the timeout.
//!
//! `cargo bench -p band-server --bench idle_agents` runs it fully (20 chats, release binaries,
//! which must be built first: `cargo build --release -p band-server`); under
//! `cargo test --all-targets` it runs once as a smoke test (2 chats) so it cannot rot. Needs the
//! agent CLIs (`BAND_AGENTS_BIN`, as the tests do).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use band_mockmodel::{MockModel, MockTurn, Scenario};
use common::{binaries, rss_kib, token};
use serde_json::{Value, json};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let chats = if full { 20 } else { 2 };
    let idle_seconds = if full { 20 } else { 3 };
    let bin_dir = binaries(&["band-server"]);
    println!("band idle agents benchmark ({} run: {chats} chats)", if full { "full" } else { "smoke" });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let mock = MockModel::start(Scenario::new((0..chats).map(|_| MockTurn::text("noted")).collect::<Vec<_>>())).await;
        let home = tempfile::tempdir().expect("tempdir");
        band_mockmodel::offline::configure_band_home(home.path(), &mock);
        let path = home.path().join("settings.json");
        let mut settings: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        settings["agentIdleTimeoutSeconds"] = json!(idle_seconds);
        std::fs::write(&path, settings.to_string()).expect("write");
        let repo = home.path().join("app");
        std::fs::create_dir_all(&repo).expect("mkdir");
        for args in [&["init", "-q", "-b", "main"][..], &["commit", "-q", "--allow-empty", "-m", "init"]] {
            let ok = Command::new("git")
                .args(args)
                .current_dir(&repo)
                .env("GIT_AUTHOR_NAME", "b")
                .env("GIT_AUTHOR_EMAIL", "b@example.com")
                .env("GIT_COMMITTER_NAME", "b")
                .env("GIT_COMMITTER_EMAIL", "b@example.com")
                .status()
                .expect("git");
            assert!(ok.success());
        }
        let (mut server, port) = start_server(&bin_dir, home.path());
        let client =
            band_api::client::Client::new(&format!("http://127.0.0.1:{port}"), Some(token(home.path()))).expect("client");
        let call = |method: &'static str, params: Value| {
            let client = &client;
            async move { client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}")) }
        };
        let baseline = rss_kib(server.id()).unwrap_or(0);
        call("projects.add", json!({"path": repo})).await;
        let mut ids = Vec::new();
        for i in 0..chats {
            let created = call(
                "workspaces.create",
                json!({"project": "app", "branch": format!("idle-{i}"), "prompt": "Remember this.", "mode": "allow-all"}),
            )
            .await;
            ids.push(created["chat"]["id"].as_i64().expect("a chat"));
        }
        let deadline = Instant::now() + Duration::from_secs(60 + 10 * chats);
        loop {
            let list = call("chats.list", json!({})).await;
            let done = list.as_array().map_or(0, |l| l.iter().filter(|c| c["status"] == "completed").count());
            if done == ids.len() {
                break;
            }
            assert!(Instant::now() < deadline, "the chats did not finish their turns: {list}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let (agents_before, count_before) = descendants_rss(server.id());
        let server_before = rss_kib(server.id()).unwrap_or(0);
        // Past the timeout (swept at a tenth of it): no agent left.
        let deadline = Instant::now() + Duration::from_secs(idle_seconds * 3 + 30);
        let (mut agents_after, mut count_after) = descendants_rss(server.id());
        while count_after > 0 {
            assert!(Instant::now() < deadline, "{count_after} agent processes are still there");
            tokio::time::sleep(Duration::from_millis(500)).await;
            (agents_after, count_after) = descendants_rss(server.id());
        }
        let server_after = rss_kib(server.id()).unwrap_or(0);
        let mib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
        println!("band-server RSS, idle before any chat           {:>12}", mib(baseline));
        println!("band-server RSS, {chats} chats idle, agents alive    {:>12}", mib(server_before));
        println!("agents' RSS ({count_before} processes under band-server)   {:>12}", mib(agents_before));
        println!("band-server RSS after the idle timeout          {:>12}", mib(server_after));
        println!("agents' RSS after the idle timeout ({count_after} left)   {:>12}", mib(agents_after));
        println!(
            "total before / after                            {:>12} / {}",
            mib(server_before + agents_before),
            mib(server_after + agents_after)
        );
        assert!(count_before >= chats as usize, "each chat's agent ran: {count_before} processes");
        let _ = server.kill();
        let _ = server.wait();
        mock.stop().await;
    });
}

/// The summed RSS (KiB) and the number of every process under `pid` (its descendants).
fn descendants_rss(pid: u32) -> (u64, usize) {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else { continue };
        // The fields after the command (in parentheses, which may hold spaces): state, ppid.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else { continue };
        if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            parents.push((p, ppid));
        }
    }
    let mut under = vec![pid];
    let mut i = 0;
    while i < under.len() {
        let parent = under[i];
        under.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    let kids = &under[1..];
    (kids.iter().filter_map(|p| rss_kib(*p)).sum(), kids.len())
}

fn start_server(bin_dir: &Path, home: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let child = Command::new(bin_dir.join("band-server"))
        .args(["--port", &port.to_string()])
        .env("BAND_HOME", home)
        .env("BAND_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn band-server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "band-server did not listen within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, port)
}
