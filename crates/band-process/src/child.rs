//! A started process: its pipes, its waiter, its stop.

use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::runtime::Handle;
use tokio::sync::watch;

use crate::GRACE;
use crate::scan::{self, Find};

/// What the leader leads, and so which of its descendants a signal to "the process" reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tree {
    /// Its own process group: agents, tunnels, git.
    Group,
    /// Its own session: a shell on a PTY, whose jobs each get a process group of their own.
    Session,
}

/// How a stop goes: `first` signals to every process of the scope, up to `grace` for them to
/// end, then KILL until none is left.
#[derive(Debug, Clone, Copy)]
pub struct Stop {
    pub first: &'static [Signal],
    pub grace: Duration,
}

impl Stop {
    /// Agents and tunnels: TERM, then [`GRACE`].
    pub const TERM: Stop = Stop { first: &[Signal::TERM], grace: GRACE };
    /// Terminals: HUP (a closing terminal: an interactive bash ignores TERM but exits on HUP and
    /// hangs up its jobs), TERM, and CONT for stopped jobs, then [`GRACE`].
    pub const HANGUP: Stop = Stop { first: &[Signal::HUP, Signal::TERM, Signal::CONT], grace: GRACE };
    /// KILL at once.
    pub const KILL: Stop = Stop { first: &[], grace: Duration::ZERO };
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl From<std::process::ExitStatus> for Exit {
    fn from(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt;
        Self { code: status.code(), signal: status.signal() }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}"),
            (None, Some(sig)) => write!(f, "killed by signal {sig}"),
            _ => f.write_str("unknown status"),
        }
    }
}

/// A process just started: take its pipes, then [`Child::watch`] it (or run it to completion
/// with [`Child::output`]). Dropped without either, it is killed.
#[derive(Debug)]
pub struct Child {
    pid: u32,
    scope: String,
    tree: Tree,
    inner: tokio::process::Child,
    /// The runtime it was started on, which runs its waiter.
    runtime: Handle,
    /// Its stdout and stderr as one stream ([`crate::Io::Merged`]).
    pub(crate) merged: Option<tokio::net::unix::pipe::Receiver>,
}

impl Child {
    pub(crate) fn new(inner: tokio::process::Child, runtime: Handle, scope: String, tree: Tree) -> Self {
        Self { pid: inner.id().unwrap_or_default(), scope, tree, inner, runtime, merged: None }
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The value of its `BAND_PROCESS_SCOPE`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.inner.stdin.take()
    }

    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.inner.stdout.take()
    }

    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.inner.stderr.take()
    }

    /// Its stdout and stderr as they were written, interleaved (started with [`crate::Io::Merged`]).
    pub fn take_output(&mut self) -> Option<tokio::net::unix::pipe::Receiver> {
        self.merged.take()
    }

    /// Waits for it to exit, collecting its piped stdout and stderr, then KILLs what it left in
    /// its process group. For short commands (git) that run no code of anyone else's, so no
    /// sweep by marker: that would scan `/proc` after every command. The marker still finds
    /// anything left at a forced exit or at the next start.
    ///
    /// # Errors
    /// Reading its output or waiting for it failed.
    pub async fn output(self) -> std::io::Result<std::process::Output> {
        let (pid, tree) = (self.pid, self.tree);
        let out = self.inner.wait_with_output().await;
        if tree == Tree::Group {
            signal_group(pid, Signal::KILL);
        }
        out
    }

    /// Starts its waiter, which reaps it, records how it ended and then kills, at once,
    /// everything of its scope that is left, so that nothing it started outlives it. The waiter
    /// runs on the runtime the process was started on.
    pub fn watch(self) -> Process {
        let Child { pid, scope, tree, mut inner, runtime, merged: _ } = self;
        let (exit_tx, exit) = watch::channel(None);
        let (done_tx, done) = watch::channel(false);
        let shared = Arc::new(Shared { pid, scope, tree, exit, done, stopping: tokio::sync::Mutex::new(()) });
        let waiter = shared.clone();
        runtime.spawn(async move {
            let status = match inner.wait().await {
                Ok(status) => Exit::from(status),
                Err(e) => {
                    tracing::warn!(pid, error = %e, "waiting for a child failed");
                    Exit { code: None, signal: None }
                }
            };
            let _ = exit_tx.send(Some(status));
            end(waiter.pid, waiter.tree, &waiter.scope, Stop::KILL).await;
            let _ = done_tx.send(true);
        });
        Process { shared }
    }
}

/// A watched process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Process {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pid: u32,
    scope: String,
    tree: Tree,
    exit: watch::Receiver<Option<Exit>>,
    /// True once it exited and everything of its scope is gone.
    done: watch::Receiver<bool>,
    /// One stop at a time.
    stopping: tokio::sync::Mutex<()>,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.shared.pid
    }

    /// The value of its `BAND_PROCESS_SCOPE`.
    pub fn scope(&self) -> &str {
        &self.shared.scope
    }

    /// How it ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        *self.shared.exit.borrow()
    }

    /// Waits until it has exited.
    pub async fn exited(&self) -> Exit {
        let mut exit = self.shared.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(e) => e.unwrap_or(Exit { code: None, signal: None }),
            // The waiter is gone without a word: its runtime shut down.
            Err(_) => Exit { code: None, signal: None },
        }
    }

    /// Has it exited, and is everything it started gone?
    pub fn is_done(&self) -> bool {
        *self.shared.done.borrow()
    }

    /// Waits until it has exited and everything it started is gone.
    pub async fn done(&self) {
        let mut done = self.shared.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }

    /// Stops it and everything it started, as `how` says, then waits (at most [`GRACE`]) for the
    /// waiter to see it go. Stopping a process that is done does nothing.
    pub async fn stop(&self, how: Stop) {
        let _one_at_a_time = self.shared.stopping.lock().await;
        if !self.is_done() {
            end(self.shared.pid, self.shared.tree, &self.shared.scope, how).await;
        }
        let _ = tokio::time::timeout(GRACE, self.done()).await;
    }
}

/// Ends every process of a scope: the leader's group or session and everything carrying the
/// marker. The first signals go to all of them, then there is up to `grace` for them to end;
/// then KILL, until none is left.
async fn end(leader: u32, tree: Tree, scope: &str, how: Stop) {
    let Ok(leader) = i32::try_from(leader) else { return };
    if leader <= 0 {
        return;
    }
    if !how.first.is_empty() {
        let found = members(leader, tree, scope).await;
        for sig in how.first {
            signal_all(leader, tree, &found, *sig);
        }
        let deadline = tokio::time::Instant::now() + how.grace;
        while tokio::time::Instant::now() < deadline {
            if members(leader, tree, scope).await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    for _ in 0..100 {
        let found = members(leader, tree, scope).await;
        if found.is_empty() {
            return;
        }
        signal_all(leader, tree, &found, Signal::KILL);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tracing::warn!(leader, scope, "processes survived KILL");
}

/// The scope's live members, scanned off the async worker threads.
async fn members(leader: i32, tree: Tree, scope: &str) -> Vec<i32> {
    let scope = scope.to_owned();
    let scan = move || scan::find(&Find::Members { leader, tree, scope: &scope });
    match Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(scan).await.unwrap_or_default(),
        Err(_) => scan(),
    }
}

/// `sig` to the whole group (which reaches members forked since the scan) and to each of
/// `found`.
fn signal_all(leader: i32, tree: Tree, found: &[i32], sig: Signal) {
    if tree == Tree::Group {
        signal_group(leader as u32, sig);
    }
    for pid in found {
        signal(*pid, sig);
    }
}

fn signal_group(leader: u32, sig: Signal) {
    if let Some(pid) = i32::try_from(leader).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(pid, sig);
    }
}

/// `sig` to `pid`; whether it was delivered.
pub(crate) fn signal(pid: i32, sig: Signal) -> bool {
    Pid::from_raw(pid).is_some_and(|pid| kill_process(pid, sig).is_ok())
}
