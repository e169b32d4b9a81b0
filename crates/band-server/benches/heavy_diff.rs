//! Cheap calls under heavy git work: the latency of `health` and `projects.list` over HTTP while
//! `workspaces.diff` of a large generated repository runs, against the same calls on an idle
//! server.
//!
//! The repository (110,000 small files in full, 1,000 in the smoke run) is committed once; a
//! workspace is made on it and every file of the workspace is touched (same content, new mtime),
//! so each diff re-reads every file: band reads without refreshing the index, as git's
//! `--no-optional-locks` demands. Phases: idle, then 1, 2 and 4 clients asking for diffs back to
//! back (4 is more than band lets run at once) while another client makes the cheap calls one
//! after another. A warm-up diff runs first, so no phase pays for a cold page cache.
//!
//! band-server runs in this process on its own multi-threaded runtime (as many workers as
//! cores, as the binary has); the clients run on other threads. `cargo bench -p band-server
//! --bench heavy_diff` runs it fully; under `cargo test --all-targets` it runs once, small, so it
//! cannot rot.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use band_api::client::Client;
use serde_json::{Value, json};

struct Settings {
    files: usize,
    /// How long each phase measures.
    phase: Duration,
    /// Each phase's number of clients asking for diffs back to back (0: idle).
    differs: Vec<usize>,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let files = std::env::var("BAND_BENCH_FILES").ok().and_then(|f| f.parse().ok());
    let s = if full {
        Settings { files: files.unwrap_or(110_000), phase: Duration::from_secs(15), differs: vec![0, 1, 2, 4] }
    } else {
        Settings { files: files.unwrap_or(1_000), phase: Duration::from_millis(300), differs: vec![0, 2] }
    };
    println!("band heavy-diff benchmark ({} run): {} files", if full { "full" } else { "smoke" }, s.files);

    let t = Instant::now();
    let repo = band_testkit::fixtures::TestRepo::named("big");
    generate(repo.path(), s.files);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "Many files"]);
    println!("generated and committed the repository in {:.1} s", t.elapsed().as_secs_f64());

    let home = tempfile::tempdir().expect("tempdir");
    let server = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("server runtime");
    let running = server.block_on(band_server::start(band_server::Config::local(home.path()))).expect("server");
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("settings")).expect("json");
    let token = settings["tokenSecret"].as_str().expect("token").to_owned();
    let url = running.url();
    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("clients");
    let client = Client::new(&url, Some(token.clone())).expect("client");

    let t = Instant::now();
    let path = clients.block_on(async {
        client.call_raw("projects.add", json!({"path": repo.path()})).await.expect("projects.add");
        let ws = client
            .call_raw("workspaces.create", json!({"project": "big", "branch": "heavy"}))
            .await
            .expect("workspaces.create");
        ws["path"].as_str().expect("path").to_owned()
    });
    touch_all(Path::new(&path).join("src").as_path());
    println!("made the workspace and touched every file in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    clients.block_on(client.call_raw("workspaces.diff", json!({"workspace": "big/heavy"}))).expect("warm-up diff");
    println!("warm-up diff in {:.1} s", t.elapsed().as_secs_f64());

    let mut rows = Vec::new();
    for differs in s.differs.iter().copied() {
        let (health, list, mut times) = phase(&clients, &client, &url, &token, differs, s.phase);
        let name = if differs == 0 { "idle".to_owned() } else { format!("{differs} diff clients") };
        rows.push(report(&name, &health, &list));
        if differs > 0 {
            times.sort();
            let median = times.get(times.len() / 2).copied().unwrap_or_default().as_secs_f64() * 1000.0;
            println!(
                "{:<18} workspaces.diff of {} touched files: {} done, median {median:.0} ms",
                "",
                s.files,
                times.len()
            );
            rows.push(format!(
                "| `workspaces.diff`, {} touched files, {differs} clients back to back | median {median:.0} ms ({} diffs in {} s) | — |",
                s.files,
                times.len(),
                s.phase.as_secs()
            ));
        }
    }

    server.block_on(running.stop()).expect("stop");
    if full {
        println!("\n| figure | value | aim |\n|---|---|---|");
        for r in rows {
            println!("{r}");
        }
    }
}

/// One phase: `differs` clients ask for diffs back to back (each on its own thread) while the
/// cheap calls are measured; the cheap calls' latencies and the diffs' durations.
fn phase(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    url: &str,
    token: &str,
    differs: usize,
    length: Duration,
) -> (Vec<u64>, Vec<u64>, Vec<Duration>) {
    let stop = Arc::new(AtomicBool::new(false));
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..differs)
        .map(|_| {
            let (url, token, stop, times) = (url.to_owned(), token.to_owned(), stop.clone(), times.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async {
                    let client = Client::new(&url, Some(token)).expect("client");
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        let d = client.call_raw("workspaces.diff", json!({"workspace": "big/heavy"})).await;
                        d.expect("workspaces.diff");
                        times.lock().expect("lock").push(t.elapsed());
                    }
                });
            })
        })
        .collect();
    let (health, list) = measure(rt, client, length);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("diff client");
    }
    let times = times.lock().expect("lock").clone();
    (health, list, times)
}

/// `files` small files in nested directories under `src/`.
fn generate(root: &Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("src/d{}/e{}", i % 100, (i / 100) % 10));
        if i < 1000 {
            std::fs::create_dir_all(&dir).expect("mkdir");
        }
        std::fs::write(dir.join(format!("f{i}.txt")), format!("file {i}\n")).expect("write");
    }
}

/// Gives every file under `dir` a new modification time, content unchanged.
fn touch_all(dir: &Path) {
    let later = SystemTime::now() + Duration::from_secs(5);
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            if entry.file_type().expect("type").is_dir() {
                stack.push(path);
            } else {
                std::fs::File::options().write(true).open(&path).expect("open").set_modified(later).expect("touch");
            }
        }
    }
}

/// `health` and `projects.list` alternately, one at a time, for `phase`: their latencies (µs).
fn measure(rt: &tokio::runtime::Runtime, client: &Client, phase: Duration) -> (Vec<u64>, Vec<u64>) {
    rt.block_on(async {
        let (mut health, mut list) = (Vec::new(), Vec::new());
        let end = Instant::now() + phase;
        while Instant::now() < end {
            let t = Instant::now();
            client.health().await.expect("health");
            health.push(t.elapsed().as_micros() as u64);
            let t = Instant::now();
            client.call_raw("projects.list", json!({})).await.expect("projects.list");
            list.push(t.elapsed().as_micros() as u64);
        }
        health.sort_unstable();
        list.sort_unstable();
        (health, list)
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default() as f64 / 1000.0
}

fn report(phase: &str, health: &[u64], list: &[u64]) -> String {
    let line = |name: &str, v: &[u64]| {
        format!(
            "{name} p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls)",
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0),
            v.len()
        )
    };
    println!("{phase:<18} {}", line("health", health));
    println!("{:<18} {}", "", line("projects.list", list));
    format!(
        "| cheap calls, {phase}: `health` / `projects.list` over HTTP | p50 {:.2} / {:.2} ms, p99 {:.2} / {:.2} ms | p99 < 10 ms |",
        percentile(health, 0.5),
        percentile(list, 0.5),
        percentile(health, 0.99),
        percentile(list, 0.99)
    )
}
