//! Terminals on real PTYs with a real bash (SECURITY.md 12, R2): commands run in the given
//! directory with exactly the given environment, resizes reach the programs, output fans out
//! with offsets and a capped scrollback, an exit is seen with its status, and a kill leaves
//! nothing running — not even what left the shell's session.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use band_testkit::procs::running;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use band_adapters::terminals::{PtyHost, SCROLLBACK};
use band_core::ports::{TerminalHost, TerminalProcess, TerminalSpawn};
use band_core::{TerminalError, TerminalExit, TerminalSize};
use band_process::Supervisor;

/// HOME is the test's own directory, so the user's shell start-up files stay out of the tests
/// (a start-up file that hangs or prints would make them fail for reasons not band's).
fn env(home: &Path) -> BTreeMap<String, String> {
    [
        ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".to_owned(), home.display().to_string()),
        ("TERM".to_owned(), "xterm-256color".to_owned()),
    ]
    .into_iter()
    .collect()
}

async fn shell_in(dir: &Path, cols: i64, rows: i64) -> Arc<dyn TerminalProcess> {
    let host = PtyHost::new(PathBuf::from("/bin/bash"), Supervisor::new());
    let spawn = TerminalSpawn { cwd: dir.to_owned(), size: TerminalSize::new(cols, rows).unwrap(), env: env(dir) };
    host.spawn(spawn).await.unwrap()
}

fn text(t: &dyn TerminalProcess) -> String {
    String::from_utf8_lossy(&t.output(0).data).into_owned()
}

/// Waits until the output contains `needle` (10 s at most).
async fn wait_for(t: &dyn TerminalProcess, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = text(t);
        if out.contains(needle) {
            return out;
        }
        assert!(Instant::now() < deadline, "no {needle:?} in the output within 10 s:\n{out}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_exit(t: &dyn TerminalProcess) -> TerminalExit {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(e) = t.exit() {
            return e;
        }
        assert!(Instant::now() < deadline, "the shell did not exit within 10 s:\n{}", text(t));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_running(needle: &str, n: usize) {
    for _ in 0..500 {
        if running(needle).len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} processes matching {needle}, found {:?}", running(needle));
}

/// Starts, in the terminal, one sleeper as a background job and one in a session of its own.
async fn leave_sleepers(t: &dyn TerminalProcess, tag: &str) -> String {
    let cmd =
        format!("(exec -a band-term-{tag}-a sleep 1000) &\nsetsid bash -c 'exec -a band-term-{tag}-b sleep 1000' &\n");
    t.write(cmd.as_bytes()).await.unwrap();
    let needle = format!("band-term-{tag}-");
    wait_running(&needle, 2).await;
    needle
}

#[tokio::test]
async fn a_command_runs_in_the_given_directory_with_exactly_the_given_environment() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    let t = shell_in(&dir_path, 80, 24).await;
    assert!(t.pid().is_some());
    t.write(b"echo hello-$((1+1))\n").await.unwrap();
    wait_for(&*t, "hello-2").await;
    t.write(b"echo \"cwd=$(pwd)\"; echo \"[${CARGO_MANIFEST_DIR}|$TERM|${BAND_PROCESS_SCOPE:+scoped}]\"\n")
        .await
        .unwrap();
    wait_for(&*t, &format!("cwd={}", dir_path.display())).await;
    // Cargo's variables are in this test's environment, not in the shell's.
    wait_for(&*t, "[|xterm-256color|scoped]").await;
    t.kill().await;
}

#[tokio::test]
async fn a_resize_reaches_the_programs_in_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = shell_in(dir.path(), 80, 24).await;
    t.write(b"stty size\n").await.unwrap();
    wait_for(&*t, "24 80").await;
    t.resize(TerminalSize::new(120, 40).unwrap()).unwrap();
    t.write(b"stty size\n").await.unwrap();
    wait_for(&*t, "40 120").await;
    t.kill().await;
    assert!(matches!(t.resize(TerminalSize::new(10, 10).unwrap()), Err(TerminalError::Exited)));
    assert!(matches!(t.write(b"x").await, Err(TerminalError::Exited)));
}

#[tokio::test]
async fn kill_leaves_nothing_running_not_even_what_left_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let t = shell_in(dir.path(), 80, 24).await;
    let tag = format!("kill{}", std::process::id());
    let needle = leave_sleepers(&*t, &tag).await;
    // A foreground program too.
    t.write(format!("exec -a band-term-{tag}-c sleep 1000\n").as_bytes()).await.unwrap();
    wait_running(&needle, 3).await;

    let started = Instant::now();
    t.kill().await;
    assert_eq!(running(&needle), Vec::<i32>::new(), "survivors after kill");
    let exit = t.exit().expect("the exit is known once kill returns");
    assert!(exit.signal.is_some(), "{exit:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "a hang-up ends a shell without waiting out the grace period");
    // The output stream has ended: a feed gives the scrollback, then None.
    let mut feed = t.subscribe(0);
    while feed.next().await.is_some() {}
    t.kill().await; // idempotent
}

#[tokio::test]
async fn a_shell_that_ignores_hangups_is_killed_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let t = shell_in(dir.path(), 80, 24).await;
    t.write(b"trap '' HUP TERM; echo trapped-$((3*3))\n").await.unwrap();
    wait_for(&*t, "trapped-9").await;
    let pid = t.pid().unwrap();
    t.kill().await;
    assert_eq!(t.exit().and_then(|e| e.signal), Some(9), "KILL after the grace period");
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the shell was reaped");
}

#[tokio::test]
async fn the_shells_own_exit_is_seen_with_its_status_and_takes_its_children_along() {
    let dir = tempfile::tempdir().unwrap();
    let t = shell_in(dir.path(), 80, 24).await;
    let mut feed = t.subscribe(0);
    let tag = format!("exit{}", std::process::id());
    let needle = leave_sleepers(&*t, &tag).await;
    t.write(b"exit 3\n").await.unwrap();
    assert_eq!(wait_exit(&*t).await, TerminalExit { code: Some(3), signal: None });
    // The feed ends once everything was delivered, each byte once.
    let mut got = Vec::new();
    while let Some(out) = feed.next().await {
        assert_eq!(out.start, got.len() as u64, "no gap, no duplicate");
        got.extend(out.data);
    }
    assert_eq!(got, t.output(0).data);
    assert!(String::from_utf8_lossy(&got).contains("exit 3"));
    for _ in 0..100 {
        if running(&needle).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(running(&needle), Vec::<i32>::new(), "orphans outlived their shell");
    assert!(matches!(t.write(b"echo\n").await, Err(TerminalError::Exited)));
}

#[tokio::test]
async fn the_scrollback_is_capped_and_subscribers_see_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let t = shell_in(dir.path(), 80, 24).await;
    // A subscriber from the start, reading as output comes. It never sees a byte twice nor goes
    // back; it may skip ahead only when it fell behind by more than the scrollback holds (on a
    // loaded machine it can), and then it resumes at the ring's oldest byte.
    let mut early = t.subscribe(0);
    let reader = tokio::spawn(async move {
        let mut got: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut next = 0u64;
        while let Some(out) = early.next().await {
            assert!(out.start >= next, "no duplicate, never back: {} after {next}", out.start);
            next = out.start + out.data.len() as u64;
            got.push((out.start, out.data));
        }
        (got, next)
    });
    t.write(b"head -c 400000 /dev/zero | tr '\\0' a; echo; echo done-$((2+3))\n").await.unwrap();
    wait_for(&*t, "done-5").await;
    let kept = t.output(0);
    assert_eq!(kept.data.len(), SCROLLBACK, "only the newest {SCROLLBACK} bytes are kept");
    assert!(kept.end() > 400_000 && kept.start > 0, "{}..{}", kept.start, kept.end());
    let mut late = t.subscribe(0);
    t.kill().await;
    let (got, end) = reader.await.unwrap();
    assert_eq!(end, t.output_end(), "the early subscriber read to the end");
    // Where it read what the scrollback still holds, the bytes are the same.
    let same_as_kept = |start: u64, data: &[u8]| {
        for (i, b) in data.iter().enumerate() {
            let at = start + i as u64;
            if at >= kept.start && at < kept.end() {
                assert_eq!(*b, kept.data[usize::try_from(at - kept.start).unwrap()], "byte {at}");
            }
        }
    };
    for (start, data) in &got {
        same_as_kept(*start, data);
    }
    let read: usize = got.iter().map(|(_, d)| d.len()).sum();
    assert!(read >= SCROLLBACK, "it read at least what the scrollback holds ({read} bytes)");
    // A late subscriber starts where the scrollback starts, with the same bytes.
    let first = late.next().await.unwrap();
    assert!(first.start >= kept.start, "{} < {}", first.start, kept.start);
    same_as_kept(first.start, &first.data);
}

#[tokio::test]
async fn a_missing_directory_is_refused() {
    let host = PtyHost::new(PathBuf::from("/bin/bash"), Supervisor::new());
    let spawn = TerminalSpawn {
        cwd: PathBuf::from("/nonexistent/band"),
        size: TerminalSize::DEFAULT,
        env: env(Path::new("/nonexistent")),
    };
    assert!(
        matches!(host.spawn(spawn).await.map(|_| ()), Err(TerminalError::Missing(p)) if p == Path::new("/nonexistent/band"))
    );
}
