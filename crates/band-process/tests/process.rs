//! Process hygiene with real processes (SECURITY.md R2, R5): nothing a process started survives
//! its stop or its own exit, not even what left its group or ignores TERM; the environment is
//! exactly the given one plus the marker; spawning leaves no zombie; a process dies with the
//! process that started it; a dead server's processes are swept and a live one's are not.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use band_process::{Exit, Io, MissingBinary, Spec, Stop, Supervisor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// Processes (not zombies) whose command line contains `needle`.
fn running(needle: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmd).replace('\0', " ").contains(needle)
        })
        .collect()
}

async fn wait_running(needle: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(needle).len() < n {
        assert!(Instant::now() < deadline, "expected {n} processes matching {needle}, found {:?}", running(needle));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_gone(needle: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while !running(needle).is_empty() {
        assert!(Instant::now() < deadline, "still running after {within:?}: {:?}", running(needle));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Kills, whatever happens in the test, what is left of `needle`, so no failed run leaves
/// sleepers for later ones.
struct Reap(String);
impl Drop for Reap {
    fn drop(&mut self) {
        for pid in running(&self.0) {
            let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}

fn path_env() -> BTreeMap<String, String> {
    [("PATH".to_owned(), std::env::var("PATH").unwrap_or_default())].into_iter().collect()
}

/// A unique tag per test and run, for the sleepers' command lines.
fn tag(name: &str) -> String {
    format!("band-proc-{name}-{}", std::process::id())
}

/// A shell script that leaves four sleepers: one in its group, one in a new session (`setsid`),
/// one in its group that ignores TERM and one in a new session that ignores TERM; then it says
/// `ready` and, unless `then` says otherwise, becomes a fifth sleeper.
fn leaver(tag: &str, then: &str) -> String {
    format!(
        "(exec -a {tag}-a sleep 1000) &\n\
         setsid bash -c 'exec -a {tag}-b sleep 1000' &\n\
         (trap '' TERM; exec -a {tag}-c sleep 1000) &\n\
         setsid bash -c \"trap '' TERM; exec -a {tag}-d sleep 1000\" &\n\
         echo ready\n\
         {then}\n"
    )
}

fn bash(script: &str) -> Spec {
    Spec::new("/bin/bash").args(["-c", script]).envs(path_env())
}

#[tokio::test]
async fn stop_leaves_nothing_not_what_left_the_group_nor_what_ignores_term() {
    let tag = tag("stop");
    let _reap = Reap(tag.clone());
    let sup = Supervisor::new();
    let mut child =
        sup.spawn(bash(&leaver(&tag, &format!("exec -a {tag}-e sleep 1000"))).stdout(Io::Piped)).await.unwrap();
    let mut out = tokio::io::BufReader::new(child.take_stdout().unwrap()).lines();
    let process = child.watch();
    assert_eq!(out.next_line().await.unwrap().as_deref(), Some("ready"));
    wait_running(&tag, 5).await;
    assert_eq!(band_process::marked(process.scope()).len(), 5, "every sleeper carries the marker");

    let started = Instant::now();
    process.stop(Stop::TERM).await;
    assert_eq!(running(&tag), Vec::<i32>::new(), "survivors after stop");
    assert_eq!(process.exit(), Some(Exit { code: None, signal: Some(15) }));
    assert!(process.is_done());
    // The ones that ignore TERM cost the grace period, no more.
    assert!(started.elapsed() < band_process::GRACE + Duration::from_secs(2), "{:?}", started.elapsed());
    // A second stop of a finished process does nothing, at once.
    let again = Instant::now();
    process.stop(Stop::TERM).await;
    assert!(again.elapsed() < Duration::from_millis(100));
}

#[tokio::test]
async fn a_process_that_exits_on_its_own_takes_everything_it_started_with_it() {
    let tag = tag("exit");
    let _reap = Reap(tag.clone());
    let sup = Supervisor::new();
    let mut child = sup.spawn(bash(&leaver(&tag, "sleep 0.3; exit 3")).stdout(Io::Piped)).await.unwrap();
    let mut out = tokio::io::BufReader::new(child.take_stdout().unwrap()).lines();
    let process = child.watch();
    assert_eq!(out.next_line().await.unwrap().as_deref(), Some("ready"));
    assert_eq!(process.exited().await, Exit { code: Some(3), signal: None });
    assert_eq!(process.exited().await.to_string(), "exit code 3");
    tokio::time::timeout(Duration::from_secs(5), process.done()).await.expect("cleaned up in time");
    assert_eq!(running(&tag), Vec::<i32>::new(), "orphans outlived their process");
}

#[tokio::test]
async fn a_terminal_stop_ends_its_session_and_what_left_it() {
    let tag = tag("pty");
    let _reap = Reap(tag.clone());
    let sup = Supervisor::new();
    let (pty, pts) = pty_process::open().unwrap();
    // An interactive shell on the PTY, as terminals run it: it ignores TERM, but not HUP.
    let home = tempfile::tempdir().unwrap();
    let spec = Spec::new("/bin/bash")
        .args(["--norc", "-i"])
        .cwd(home.path())
        .envs(path_env())
        .envs([("HOME", home.path().as_os_str()), ("TERM", OsStr::new("dumb"))]);
    let child = sup.spawn_on_pty(spec, pts).await.unwrap();
    let leader = child.pid();
    let process = child.watch();
    let (mut reader, mut writer) = pty.into_split();
    tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut sink).await;
    });
    writer.write_all(leaver(&tag, "").as_bytes()).await.unwrap();
    wait_running(&tag, 4).await;
    let stat = std::fs::read_to_string(format!("/proc/{leader}/stat")).unwrap();
    let session: i32 = stat.rsplit_once(')').unwrap().1.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert_eq!(session, leader as i32, "the shell leads its own session");

    process.stop(Stop::HANGUP).await;
    assert_eq!(running(&tag), Vec::<i32>::new(), "survivors after stop");
    assert!(process.exit().is_some());
}

#[tokio::test]
async fn the_environment_is_exactly_the_given_one_plus_the_marker() {
    let sup = Supervisor::new();
    let mut env = path_env();
    env.insert("ONLY_THIS".into(), "1".into());
    // A marker in the given environment cannot replace the supervisor's.
    env.insert("BAND_PROCESS_SCOPE".into(), "1.forged.1".into());
    let dir = tempfile::tempdir().unwrap();
    let child = sup.spawn(Spec::new("/usr/bin/env").envs(&env).cwd(dir.path()).stdout(Io::Piped)).await.unwrap();
    let scope = child.scope().to_owned();
    assert!(scope.starts_with(&format!("{}.", sup.prefix())), "{scope} is not under {}", sup.prefix());
    assert!(sup.prefix().starts_with(&format!("{}.", std::process::id())), "{}", sup.prefix());
    let out = child.output().await.unwrap();
    assert!(out.status.success());
    let mut vars: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    vars.sort();
    assert_eq!(
        vars,
        [
            format!("BAND_PROCESS_SCOPE={scope}"),
            "ONLY_THIS=1".to_owned(),
            format!("PATH={}", std::env::var("PATH").unwrap_or_default())
        ]
    );
    // Each spawn gets a scope of its own; another supervisor another prefix.
    let next = sup.spawn(Spec::new("/bin/true")).await.unwrap();
    assert_ne!(next.scope(), scope);
    assert_ne!(Supervisor::new().prefix(), sup.prefix());
    next.watch().exited().await;
}

#[tokio::test]
async fn a_thousand_spawn_exit_cycles_leave_no_zombie() {
    let sup = Supervisor::new();
    for i in 0..1000 {
        let child = sup.spawn(Spec::new("/bin/true")).await.unwrap();
        if i % 2 == 0 {
            let process = child.watch();
            assert_eq!(process.exited().await, Exit { code: Some(0), signal: None });
            process.done().await;
        } else {
            assert!(child.output().await.unwrap().status.success());
        }
    }
    let me = std::process::id().to_string();
    let zombies: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_owned))
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter(|stat| {
            let Some((_, rest)) = stat.rsplit_once(')') else { return false };
            let mut f = rest.split_whitespace();
            f.next() == Some("Z") && f.next() == Some(me.as_str())
        })
        .collect();
    assert!(zombies.is_empty(), "zombie children: {zombies:?}");
}

#[tokio::test]
async fn a_missing_binary_is_a_structured_error() {
    let sup = Supervisor::new();
    let e = sup.spawn(Spec::new("/nonexistent/band-agent")).await.unwrap_err();
    assert!(e.not_found(), "{e}");
    assert!(e.to_string().starts_with("cannot start /nonexistent/band-agent: "), "{e}");
    let path = std::env::var_os("PATH");
    assert_eq!(
        band_process::find_binary("band-no-such-program", None, path.as_deref()),
        Err(MissingBinary::NotOnPath("band-no-such-program".into()))
    );
    assert_eq!(
        band_process::find_binary("sh", Some(Path::new("/nope/sh")), path.as_deref()),
        Err(MissingBinary::NotExecutable("/nope/sh".into()))
    );
    assert_eq!(MissingBinary::NotExecutable("/nope/sh".into()).to_string(), "'/nope/sh' is not an executable file");
    assert!(band_process::find_binary("sh", None, path.as_deref()).unwrap().ends_with("sh"));
}

#[tokio::test]
async fn a_dead_servers_processes_are_swept_and_a_live_ones_are_left_alone() {
    let tag = tag("sweep");
    let _reap = Reap(tag.clone());
    let (dead, live) = (Supervisor::new(), Supervisor::new());
    let escapee = |who: &str| {
        bash(&format!("setsid bash -c 'exec -a {tag}-{who}-b sleep 1000' & exec -a {tag}-{who}-a sleep 1000"))
    };
    let dead_one = dead.spawn(escapee("dead")).await.unwrap().watch();
    let live_one = live.spawn(escapee("live")).await.unwrap().watch();
    wait_running(&format!("{tag}-dead-"), 2).await;
    wait_running(&format!("{tag}-live-"), 2).await;

    assert_eq!(band_process::kill_prefix(dead.prefix()), Ok(2));
    wait_gone(&format!("{tag}-dead-"), Duration::from_secs(2)).await;
    assert!(dead_one.exited().await.signal == Some(9));
    assert_eq!(running(&format!("{tag}-live-")).len(), 2, "a live server's processes are left alone");

    // Anything but `<pid>.<nonce>` would match other servers' processes: refused, nothing killed.
    for bad in ["", "123", "123.", ".abc", "12x.abc", "123.abc.1", "123.ab cd", "123.*"] {
        assert!(band_process::kill_prefix(bad).is_err(), "{bad:?} was accepted");
    }
    assert_eq!(running(&format!("{tag}-live-")).len(), 2);
    live_one.stop(Stop::TERM).await;
    assert_eq!(running(&tag), Vec::<i32>::new());
}

// -------------------------------------------------------------------------------------------
// Tests that need a process of their own: this test binary, run again in a child mode.

const CHILD_MODE: &str = "BAND_PROCESS_TEST_CHILD";

/// A child run of this test binary, killed when the test ends however it ends.
struct ChildRun(std::process::Child);

impl Drop for ChildRun {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs this test binary again as a child running `test` in `mode`, its stdout piped.
fn child_run(test: &str, mode: &str, tag: &str) -> ChildRun {
    ChildRun(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_MODE, format!("{mode}:{tag}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    )
}

/// The child's stdout, line by line, read on a thread of its own so that a silent child fails
/// the test instead of hanging it.
fn lines_of(child: &mut ChildRun) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// What follows `marker` in the next line of the child's output that holds it (libtest may print
/// its own words before it on the same line).
fn after(lines: &std::sync::mpsc::Receiver<String>, marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some((_, rest)) = line.split_once(marker) {
                    return rest.trim().to_owned();
                }
            }
            Err(e) => panic!("the child never printed {marker:?}: {e}"),
        }
    }
}

/// The child's side: `mode:tag` from the environment, if this run is a child.
fn child_mode() -> Option<(String, String)> {
    let v = std::env::var(CHILD_MODE).ok()?;
    let (mode, tag) = v.split_once(':')?;
    Some((mode.to_owned(), tag.to_owned()))
}

/// PR_SET_PDEATHSIG: a `kill -9` of the process that started them kills its children at once.
/// One child is started from a worker thread, one from a blocking-pool thread that then exits
/// (after 100 ms idle): the kernel would kill the second with that thread, were it the thread
/// that forked it, so both staying alive until the kill shows the spawner thread does the forks.
#[test]
fn children_die_with_the_process_that_started_them_and_not_with_a_thread() {
    if let Some((mode, tag)) = child_mode() {
        assert_eq!(mode, "pdeathsig");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_keep_alive(Duration::from_millis(100))
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let sup = Supervisor::new();
            let sleeper = |who: &str| bash(&format!("exec -a {tag}-{who} sleep 1000"));
            let a = sup.spawn(sleeper("worker")).await.unwrap().watch();
            let (handle, sup2, spec) = (tokio::runtime::Handle::current(), sup.clone(), sleeper("blocking"));
            let b =
                tokio::task::spawn_blocking(move || handle.block_on(sup2.spawn(spec)).unwrap().watch()).await.unwrap();
            println!("started: {} {}", a.pid(), b.pid());
            // Long enough for the blocking thread to have exited.
            tokio::time::sleep(Duration::from_millis(1000)).await;
            println!("ready.");
            tokio::time::sleep(Duration::from_secs(1000)).await;
        });
        return;
    }
    let tag = tag("pdeath");
    let _reap = Reap(tag.clone());
    let mut child =
        child_run("children_die_with_the_process_that_started_them_and_not_with_a_thread", "pdeathsig", &tag);
    let lines = lines_of(&mut child);
    let started = after(&lines, "started: ");
    after(&lines, "ready.");
    let pids: Vec<i32> = started.split(' ').map(|p| p.parse().unwrap()).collect();
    let alive = running(&tag);
    for pid in &pids {
        assert!(alive.contains(pid), "{pid} died before its parent did (alive: {alive:?})");
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while !running(&tag).is_empty() {
        assert!(Instant::now() < deadline, "outlived their parent's kill -9: {:?}", running(&tag));
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The forced exit: `kill_everything_started_here` KILLs what every supervisor of this process
/// started, escapees included, and nothing of another process's.
#[test]
fn kill_everything_started_here_ends_every_supervisors_processes() {
    if let Some((mode, tag)) = child_mode() {
        assert_eq!(mode, "forced");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let (one, two) = (Supervisor::new(), Supervisor::new());
            let _a = one.spawn(bash(&format!("exec -a {tag}-c-one sleep 1000"))).await.unwrap().watch();
            let _b = two
                .spawn(bash(&format!(
                    "setsid bash -c 'exec -a {tag}-c-two-b sleep 1000' & exec -a {tag}-c-two sleep 1000"
                )))
                .await
                .unwrap()
                .watch();
            wait_running(&format!("{tag}-c-"), 3).await;
            println!("killed: {}", band_process::kill_everything_started_here());
        });
        return;
    }
    let tag = tag("forced");
    let _reap = Reap(tag.clone());
    // A process of this (other) process, marked the same way: not the child's to kill.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mine = runtime.block_on(Supervisor::new().spawn(bash(&format!("exec -a {tag}-mine sleep 1000")))).unwrap();
    let mut child = child_run("kill_everything_started_here_ends_every_supervisors_processes", "forced", &tag);
    let lines = lines_of(&mut child);
    let killed: usize = after(&lines, "killed: ").parse().unwrap();
    assert!(child.0.wait().unwrap().success());
    assert_eq!(killed, 3, "two sleepers and an escapee");
    assert_eq!(running(&tag), running(&format!("{tag}-mine")), "only this process's own sleeper is left");
    assert_eq!(running(&format!("{tag}-mine")).len(), 1);
    drop(mine);
}

#[tokio::test]
async fn merged_output_is_read_in_the_order_written_and_ends_with_the_process() {
    use tokio::io::AsyncReadExt;
    let sup = Supervisor::new();
    // Alternating writes to stdout and stderr, each flushed by the shell as it goes.
    let script = "for i in $(seq 1 200); do echo out-$i; echo err-$i >&2; done";
    let mut child = sup.spawn(bash(script).stdout(Io::Merged).stderr(Io::Merged)).await.unwrap();
    assert!(child.take_stdout().is_none() && child.take_stderr().is_none(), "one stream, not two");
    let mut output = child.take_output().expect("the merged stream");
    let mut text = String::new();
    // EOF comes when the process is done: band holds no copy of the write end.
    tokio::time::timeout(Duration::from_secs(20), output.read_to_string(&mut text)).await.unwrap().unwrap();
    let want: String = (1..=200).map(|i| format!("out-{i}\nerr-{i}\n")).collect();
    assert_eq!(text, want);
    let process = child.watch();
    assert_eq!(process.exited().await.code, Some(0));
}
