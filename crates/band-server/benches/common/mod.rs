//! What the benchmarks that run the release band-server as a process share: where the binaries
//! are, the token of a home, a process's resident memory, durations as text.

#![allow(dead_code)] // each benchmark uses its own share of these

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The binaries next to this benchmark's own directory (`target/<profile>/`), which must exist.
pub fn binaries(names: &[&str]) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_owned();
    for bin in names {
        assert!(
            dir.join(bin).is_file(),
            "{} is missing: build the binaries first (`cargo build --release --bins`, or ./scripts/bench.sh)",
            dir.join(bin).display()
        );
    }
    dir
}

/// The main token of the band home `home`.
pub fn token(home: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("settings.json")).expect("settings")).expect("json");
    v["tokenSecret"].as_str().expect("token").to_owned()
}

/// The resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
