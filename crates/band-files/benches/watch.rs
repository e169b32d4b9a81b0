//! The file watcher on a large repository: how long setting up the watches takes, what it
//! costs in memory (this process's RSS, and the kernel watches it holds), and how long an edit
//! takes to be noticed (debounce included).
//!
//! The tree: 100,000 files in full (1,000 in the smoke run), 100 per directory, plus a
//! `node_modules` of as many files again, which must cost nothing (it is never watched).
//! `cargo bench -p band-files --bench watch` runs it fully; under `cargo test --all-targets` it
//! runs once, small, so it cannot rot.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use band_core::ports::{FileWatcher, WatchEvent};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn generate(root: &Path, files: usize) -> usize {
    let mut dirs = 0;
    for d in 0..files.div_ceil(100) {
        let dir = root.join(format!("src/m{:03}/d{d}", d % 100));
        std::fs::create_dir_all(&dir).expect("mkdir");
        dirs += 1;
        for f in 0..100.min(files - d * 100) {
            std::fs::write(dir.join(format!("f{f}.rs")), "fn x() {}\n").expect("write");
        }
    }
    for d in 0..files.div_ceil(100) {
        let dir = root.join(format!("node_modules/p{d}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..100.min(files - d * 100) {
            std::fs::write(dir.join(format!("i{f}.js")), "x\n").expect("write");
        }
    }
    dirs
}

/// Waits for a Changed event naming `rel`; how long it took.
fn noticed(rx: &Receiver<WatchEvent>, rel: &str, since: Instant, wait: Duration) -> Option<Duration> {
    while let Ok(e) = rx.recv_timeout(wait) {
        if let WatchEvent::Changed(paths) = e
            && paths.iter().any(|p| p.as_str() == rel)
        {
            return Some(since.elapsed());
        }
    }
    None
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let files = if full { 100_000 } else { 1_000 };
    let root = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let dirs = generate(root.path(), files);
    println!(
        "band watcher benchmark ({} run): {files} files in {dirs} directories (+ a node_modules as big), made in {:.1} s",
        if full { "full" } else { "smoke" },
        t.elapsed().as_secs_f64()
    );

    let before = rss_kib();
    let (tx, rx) = channel();
    let watcher = band_files::NotifyWatcher::default();
    let t = Instant::now();
    let watching = watcher.watch(root.path(), Arc::new(move |e| drop(tx.send(e)))).expect("watch");
    // Ready when an edit in the last directory the walk reaches is seen.
    let last: PathBuf = root.path().join(format!("src/m{:03}/d{}", (dirs - 1) % 100, dirs - 1));
    let rel = last.strip_prefix(root.path()).expect("inside").join("probe.txt");
    let rel = rel.to_str().expect("utf-8").to_owned();
    let ready = loop {
        std::fs::write(root.path().join(&rel), "probe\n").expect("write");
        if noticed(&rx, &rel, Instant::now(), Duration::from_millis(400)).is_some() {
            break t.elapsed();
        }
    };
    let after = rss_kib();
    println!(
        "watches set up (every directory but node_modules, {} of them) in {:.0} ms (to within the 400 ms probe)",
        dirs + dirs.min(100) + 2,
        ready.as_secs_f64() * 1000.0
    );
    println!(
        "RSS {} KiB before, {} KiB after ({} KiB more); kernel: one inotify watch per directory",
        before,
        after,
        after.saturating_sub(before)
    );

    let mut times = Vec::new();
    for i in 0..if full { 20 } else { 3 } {
        let rel = format!("src/m{:03}/d{}/f0.rs", i % 100, i);
        let t = Instant::now();
        std::fs::write(root.path().join(&rel), format!("fn y{i}() {{}}\n")).expect("write");
        times.push(noticed(&rx, &rel, t, Duration::from_secs(10)).expect("an edit is noticed"));
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "time to notice an edit (write to event, {} ms debounce included): median {:.0} ms, max {:.0} ms",
        watcher.quiet.as_millis(),
        median.as_secs_f64() * 1000.0,
        times.last().expect("some").as_secs_f64() * 1000.0
    );
    drop(watching);
}
