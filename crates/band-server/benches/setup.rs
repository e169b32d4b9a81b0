//! Workspace creation benchmark (issue 12): what a project's configuration adds to
//! `workspaces.create`. band-server in-process (the real server, band-core's setup service,
//! band-git's worktree and copy, band-process running the script through `/bin/sh`), one real git
//! repository per case in a temporary directory, each of the same tracked files:
//!
//! - `none`: no `.band/config.json`, no `.worktreeinclude` (the baseline);
//! - `copyFiles: [".env"]`: one small gitignored file;
//! - `.worktreeinclude` naming 1,000 small gitignored files (and the `.env`);
//! - `copyFiles` naming one gitignored 50 MB file;
//! - a setup script `true`, not approved (read, hashed, a notice instead);
//! - a setup script `true`, approved with `projects.trust`: `workspaces.create` returns once it
//!   started; the time to the run's end (`workspaces.scripts`, polled every 2 ms) is reported too.
//!
//! The cases are created in turn (one of each, then again), so that the machine's load and the
//! page cache favour none, with a plain `git worktree add` on the baseline's repository among
//! them for reference. Times are the `workspaces.create` call over HTTP, from the client's side.
//! Workspaces are kept until the end: removing each before the next round made ext4's inode
//! allocation (skipping recently freed inodes) the largest cost of every creation, band's or not.
//!
//! `cargo bench -p band-server --bench setup` runs it fully; `cargo test --all-targets` runs a
//! small smoke version so it cannot rot.

use std::time::{Duration, Instant};

use band_testkit::fixtures::TestRepo;
use serde_json::{Value, json};

async fn rpc(client: &band_api::client::Client, method: &str, params: Value) -> Value {
    client.call_raw(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

struct Sizes {
    tracked: usize,
    ignored: usize,
    big: usize,
    rounds: usize,
}

/// One case: its project, what it should copy, and its measured times.
struct Case {
    name: &'static str,
    label: String,
    repo: TestRepo,
    copied: usize,
    script: bool,
    create: Vec<Duration>,
    to_end: Vec<Duration>,
}

/// A repository of `tracked` small committed files in 20 directories and a `.gitignore` for
/// what the cases copy.
fn base_repo(name: &str, tracked: usize) -> TestRepo {
    let repo = TestRepo::named(name);
    for i in 0..tracked {
        let path = repo.path().join(format!("src/m{}/f{i}.rs", i % 20));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("pub fn f{i}() -> usize {{ {i} }}\n").repeat(10)).expect("write");
    }
    std::fs::write(repo.path().join(".gitignore"), ".env\ncache/\nbig.bin\n").expect(".gitignore");
    std::fs::write(repo.path().join(".env"), "API_KEY=local\nDATABASE_URL=postgres://localhost/app\n").expect(".env");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "Many files"]);
    repo
}

fn commit(repo: &TestRepo, rel: &str, text: &str) {
    repo.commit_file(rel, text, &format!("Add {rel}"));
}

fn make_cases(sizes: &Sizes) -> Vec<Case> {
    let case = |name: &'static str, label: String, repo: TestRepo, copied: usize, script: bool| Case {
        name,
        label,
        repo,
        copied,
        script,
        create: Vec::new(),
        to_end: Vec::new(),
    };
    let mut cases = Vec::new();

    let repo = base_repo("none", sizes.tracked);
    cases.push(case("none", "(a) no .band/config.json".into(), repo, 0, false));

    let repo = base_repo("env", sizes.tracked);
    commit(&repo, ".band/config.json", r#"{"copyFiles": [".env"]}"#);
    cases.push(case("env", "(b) copyFiles `.env` (1 file)".into(), repo, 1, false));

    let repo = base_repo("many", sizes.tracked);
    for i in 0..sizes.ignored {
        let path = repo.path().join(format!("cache/d{}/c{i}.json", i % 10));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("{{\"entry\": {i}, \"value\": \"{}\"}}\n", "x".repeat(64))).expect("write");
    }
    commit(&repo, ".worktreeinclude", ".env\ncache/\n");
    let label = format!("(b) `.worktreeinclude`: `.env` + {} small gitignored files", sizes.ignored);
    cases.push(case("many", label, repo, sizes.ignored + 1, false));

    let repo = base_repo("big", sizes.tracked);
    let chunk: Vec<u8> = (0..1 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let mut data = Vec::with_capacity(sizes.big << 20);
    for _ in 0..sizes.big {
        data.extend_from_slice(&chunk);
    }
    std::fs::write(repo.path().join("big.bin"), data).expect("big.bin");
    commit(&repo, ".band/config.json", r#"{"copyFiles": ["big.bin"]}"#);
    cases.push(case("big", format!("(b) copyFiles one {} MB file", sizes.big), repo, 1, false));

    let repo = base_repo("unapproved", sizes.tracked);
    commit(&repo, ".band/config.json", r#"{"setup": "true"}"#);
    cases.push(case("unapproved", "setup `true`, not approved (a notice)".into(), repo, 0, false));

    let repo = base_repo("setup", sizes.tracked);
    commit(&repo, ".band/config.json", r#"{"setup": "true"}"#);
    cases.push(case("setup", "(c) setup `true`, approved".into(), repo, 0, true));
    cases
}

/// Polls the workspace's runs until `run` ended; returns when it did.
async fn run_ended(client: &band_api::client::Client, workspace: &str, run: i64) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let runs = rpc(client, "workspaces.scripts", json!({"workspace": workspace})).await;
        if let Some(r) = runs.as_array().and_then(|a| a.iter().find(|r| r["id"] == run))
            && r["status"] != "running"
        {
            assert_eq!(r["status"], "succeeded", "{r}");
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "the setup of {workspace} never ended");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Creates one workspace of `case` on `branch`; returns the call's time and, for an approved
/// script, the time to its run's end.
async fn create(client: &band_api::client::Client, case: &Case, branch: &str) -> (Duration, Option<Duration>) {
    let t = Instant::now();
    let created = rpc(client, "workspaces.create", json!({"project": case.name, "branch": branch})).await;
    let took = t.elapsed();
    assert_eq!(created["created"], true, "{created}");
    let setup = &created["setup"];
    let copied = setup["copied"].as_array().map_or(0, Vec::len);
    assert_eq!(copied, case.copied, "{}: {setup}", case.name);
    assert_eq!(setup["copySkipped"].as_array().map_or(0, Vec::len), 0, "{}: {setup}", case.name);
    let workspace = format!("{}/{branch}", case.name);
    let to_end = if case.script {
        assert_eq!(setup["state"], "started", "{setup}");
        let run = setup["run"]["id"].as_i64().expect("run id");
        Some(run_ended(client, &workspace, run).await - t)
    } else {
        let expected = if case.name == "unapproved" { "not_trusted" } else { "none" };
        assert_eq!(setup["state"], expected, "{}: {setup}", case.name);
        None
    };
    (took, to_end)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full {
        Sizes { tracked: 1000, ignored: 1000, big: 50, rounds: 30 }
    } else {
        Sizes { tracked: 20, ignored: 20, big: 1, rounds: 2 }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async move {
        println!(
            "band workspace creation benchmark: setup scripts and copyFiles ({} run)",
            if full { "full" } else { "smoke" }
        );
        let t = Instant::now();
        let mut cases = make_cases(&sizes);
        println!(
            "{} repositories of {} tracked files made in {:.1} s",
            cases.len(),
            sizes.tracked,
            t.elapsed().as_secs_f64()
        );
        let home = tempfile::tempdir().expect("tempdir");
        let running = band_server::start(band_server::Config::local(home.path())).await.expect("server");
        let settings: Value =
            serde_json::from_slice(&std::fs::read(home.path().join("settings.json")).expect("read")).expect("json");
        let token = settings["tokenSecret"].as_str().expect("token").to_owned();
        let client = band_api::client::Client::new(&running.url(), Some(token)).expect("client");
        for case in &cases {
            rpc(&client, "projects.add", json!({"path": case.repo.path(), "name": case.name})).await;
            if case.script {
                let view = rpc(&client, "projects.config", json!({"name": case.name})).await;
                let hash = view["scriptsHash"].as_str().expect("scriptsHash").to_owned();
                rpc(&client, "projects.trust", json!({"project": case.name, "hash": hash})).await;
            }
        }
        // One unmeasured round first: the page cache, SQLite, the first script.
        for case in &cases {
            create(&client, case, "warm").await;
        }
        let plain_dir = tempfile::tempdir().expect("tempdir");
        let mut plain = Vec::new();
        for round in 0..sizes.rounds {
            for case in &mut cases {
                let (took, to_end) = create(&client, case, &format!("w{round}")).await;
                case.create.push(took);
                case.to_end.extend(to_end);
            }
            let t = Instant::now();
            let target = plain_dir.path().join(format!("g{round}"));
            let status = std::process::Command::new("git")
                .arg("-C")
                .arg(cases[0].repo.path())
                .args(["worktree", "add", "-q", "-b", &format!("g{round}")])
                .arg(&target)
                .arg("main")
                .status()
                .expect("git");
            plain.push(t.elapsed());
            assert!(status.success());
        }
        running.stop().await.expect("stop");

        for case in &mut cases {
            case.create.sort_unstable();
            case.to_end.sort_unstable();
        }
        let base = percentile(&cases[0].create, 0.5);
        let n = sizes.rounds;
        let mut rows = Vec::new();
        for case in &cases {
            let (p50, p95) = (percentile(&case.create, 0.5), percentile(&case.create, 0.95));
            let extra = if case.name == "none" { "—".to_owned() } else { format!("{:+.1} ms", p50 - base) };
            rows.push((format!("{}: `workspaces.create`", case.label), p50, p95, extra));
            if !case.to_end.is_empty() {
                let (e50, e95) = (percentile(&case.to_end, 0.5), percentile(&case.to_end, 0.95));
                let label = format!("{}: `workspaces.create` called to the run's end", case.label);
                rows.push((label, e50, e95, format!("{:+.1} ms", e50 - base)));
            }
        }
        plain.sort_unstable();
        let (g50, g95) = (percentile(&plain, 0.5), percentile(&plain, 0.95));
        rows.push((
            "for reference: plain `git worktree add -b` on (a)'s repository".into(),
            g50,
            g95,
            format!("{:+.1} ms", g50 - base),
        ));
        for (label, p50, p95, extra) in &rows {
            println!("{label}: median {p50:.1} ms, p95 {p95:.1} ms, extra vs (a) {extra}");
        }
        if full {
            println!(
                "\n| case ({n} creations each, {} tracked files) | median | p95 | extra vs (a), median |",
                sizes.tracked
            );
            println!("|---|---|---|---|");
            for (label, p50, p95, extra) in &rows {
                println!("| {label} | {p50:.1} ms | {p95:.1} ms | {extra} |");
            }
        }
    });
}
