//! Spine benchmark: server start to healthy, idle memory, a CLI round trip, and workspace
//! creation against plain `git worktree add` on the same repository.
//!
//! `cargo bench -p band-server --bench spine` runs it fully (cargo passes `--bench`) against the
//! release binaries, which must be built first: `./scripts/bench.sh` does both. Under
//! `cargo test --all-targets` it runs once, quickly, as a smoke test so it cannot rot.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use band_api as api;
use band_api::client::Client;
use common::{binaries, ms, rss_kib, token};

struct Figures {
    full: bool,
    rows: Vec<(String, String, String)>,
}

impl Figures {
    fn add(&mut self, name: &str, value: String, aim: &str) {
        println!("{name:<44} {value:>14}   (aim: {aim})");
        self.rows.push((name.to_owned(), value, aim.to_owned()));
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let mut figures = Figures { full, rows: Vec::new() };
    let bin_dir = binaries(&["band-server", "band"]);
    println!("band spine benchmark ({} run, binaries in {})", if full { "full" } else { "smoke" }, bin_dir.display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");

    // 1. Start to healthy, fresh home each time (first start creates settings and database).
    let n = if full { 20 } else { 1 };
    let mut starts = Vec::new();
    for _ in 0..n {
        let home = tempfile::tempdir().expect("tempdir");
        let (mut child, port, took) = start_server(&bin_dir, home.path());
        starts.push(took);
        stop(&mut child);
        let _ = port;
    }
    figures.add("server start to healthy (median, fresh home)", ms(median(&mut starts)), "< 100 ms");

    // A server that stays up for the rest.
    let home = tempfile::tempdir().expect("tempdir");
    let (mut server, port, _) = start_server(&bin_dir, home.path());
    let token = token(home.path());
    let url = format!("http://127.0.0.1:{port}");
    let client = Client::new(&url, Some(token.clone())).expect("client");

    // 2. Idle RSS after some traffic.
    runtime.block_on(async {
        for _ in 0..20 {
            client.call::<api::ProjectsList>(&api::NoParams {}).await.expect("projects.list");
        }
    });
    std::thread::sleep(Duration::from_millis(if full { 1000 } else { 100 }));
    let rss = rss_kib(server.id()).expect("VmRSS");
    figures.add("idle RSS after 20 requests", format!("{:.1} MiB", rss as f64 / 1024.0), "< 20 MiB");

    // 3. CLI round trip: process start, one JSON-RPC call, output.
    let n = if full { 50 } else { 2 };
    let mut trips = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let out = Command::new(bin_dir.join("band"))
            .args(["projects", "list"])
            .env("BAND_HOME", home.path())
            .env("BAND_SERVER_URL", &url)
            .output()
            .expect("band");
        trips.push(t.elapsed());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    figures.add("CLI round trip `band projects list` (median)", ms(median(&mut trips)), "< 20 ms");

    // 4. Workspace creation vs plain git on the same repository.
    let files = if full { 2000 } else { 20 };
    let repo = make_repo(files);
    let n = if full { 15 } else { 1 };
    let (band_times, git_times) = runtime.block_on(async {
        client
            .call::<api::ProjectsAdd>(&api::ProjectsAddParams {
                path: repo.path().display().to_string(),
                name: Some("bench".into()),
            })
            .await
            .expect("projects.add");
        let plain_dir = tempfile::tempdir().expect("tempdir");
        let mut band_times = Vec::new();
        let mut git_times = Vec::new();
        for i in 0..n {
            // Alternate, so that cache warmth favours neither.
            let t = Instant::now();
            let params = api::WorkspacesCreateParams {
                project: "bench".into(),
                branch: Some(format!("band-{i}")),
                ..Default::default()
            };
            client.call::<api::WorkspacesCreate>(&params).await.expect("workspaces.create");
            band_times.push(t.elapsed());

            let t = Instant::now();
            let target = plain_dir.path().join(format!("git-{i}"));
            let status = Command::new("git")
                .args(["-C", &repo.path().display().to_string(), "worktree", "add", "-q", "-b", &format!("git-{i}")])
                .arg(&target)
                .arg("main")
                .status()
                .expect("git");
            git_times.push(t.elapsed());
            assert!(status.success());
        }
        (band_times, git_times)
    });
    let (mut band_times, mut git_times) = (band_times, git_times);
    let b = median(&mut band_times);
    let g = median(&mut git_times);
    figures.add(&format!("workspace create, {files} files (median)"), ms(b), "-");
    figures.add(&format!("plain git worktree add, {files} files (median)"), ms(g), "-");
    figures.add("ratio band / plain git", format!("{:.2}x", b.as_secs_f64() / g.as_secs_f64()), "<= 1.2x");

    stop(&mut server);
    if figures.full {
        println!("\n| figure | value | aim |\n|---|---|---|");
        for (n, v, a) in &figures.rows {
            println!("| {n} | {v} | {a} |");
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Starts band-server and polls `/health` until it answers; returns the time that took.
/// The caller stops (and so waits for) the child.
#[allow(clippy::zombie_processes)]
fn start_server(bin_dir: &Path, home: &Path) -> (Child, u16, Duration) {
    let port = free_port();
    let t = Instant::now();
    let mut child = Command::new(bin_dir.join("band-server"))
        .args(["--port", &port.to_string()])
        .env("BAND_HOME", home)
        .env("BAND_LOG", "error")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn band-server");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if healthy(port) {
            return (child, port, t.elapsed());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("band-server did not become healthy within 20 s");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn healthy(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let req = format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

/// A repository with `files` files in nested directories and one commit.
fn make_repo(files: usize) -> band_testkit::fixtures::TestRepo {
    let repo = band_testkit::fixtures::TestRepo::named("bench");
    for i in 0..files {
        let path = repo.path().join(format!("src/m{}/f{i}.rs", i % 50));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("pub fn f{i}() -> usize {{ {i} }}\n").repeat(20)).expect("write");
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "Many files"]);
    repo
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
