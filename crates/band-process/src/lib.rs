//! band-process: the one way band starts a process. Agents, terminals, tunnels and git all go
//! through a [`Supervisor`], so that every process band starts is marked, grouped, tied to the
//! server's life, stopped and swept the same way (SECURITY.md R2, R5).
//!
//! - **Marked.** Every process gets exactly the environment it is given plus one variable,
//!   [`SCOPE_VAR`] (`BAND_PROCESS_SCOPE`), which everything it starts inherits. Its value is the
//!   supervisor's prefix `<pid>.<nonce>` and a counter: `<pid>.<nonce>.<n>`. The pid finds what
//!   this OS process started ([`kill_everything_started_here`]); the nonce tells apart the
//!   servers that share one OS process (tests run several embedded servers) and a server from
//!   an earlier one that had the same pid ([`kill_prefix`] at the next start).
//! - **Grouped.** A process leads its own process group ([`Supervisor::spawn`]: agents, tunnels,
//!   git) or its own session with a PTY as its controlling terminal
//!   ([`Supervisor::spawn_on_pty`]: terminals).
//! - **Tied to the server's life.** The child asks the kernel for SIGKILL when its parent dies
//!   (`PR_SET_PDEATHSIG`), and checks that its parent is still band, so a `kill -9` of
//!   band-server takes its agents, shells and tunnels with it. The kernel sends that signal when
//!   the *thread* that forked the child exits, not the process: tokio's blocking-pool threads end
//!   after idling, and a runtime's workers end with the runtime. So every spawn is done by one
//!   dedicated thread that lives as long as the process, which enters the caller's runtime to
//!   build the tokio child (`spawner`).
//! - **Stopped.** [`Process::stop`] sends the first signals of a [`Stop`] (TERM for agents and
//!   tunnels; HUP, TERM and CONT for terminals) to the group or session and to every process
//!   carrying the scope marker, waits a grace period for them to go, then sends KILL until none
//!   is left. The marker is what finds the processes that left the group or session
//!   (`setsid sleep 1000 &`), which no group signal reaches.
//! - **Reaped.** [`Child::watch`] starts a waiter that records the exit status and, when the
//!   process exits on its own, kills at once whatever it left behind; spawning leaves no zombie.
//! - **Found.** [`find_binary`]: a configured path, else a PATH lookup, with a structured error
//!   ([`MissingBinary`]) each caller turns into its own "how to install it" message.
//!
//! One `/proc` scanner (`scan`) serves the stop, the sweep after an exit, the forced exit and the
//! sweep of a dead server's processes. Linux only: `/proc`, process groups, `PR_SET_PDEATHSIG`.
//!
//! Why a crate of its own: band-adapters (agents, terminals, tunnels) and band-git both start
//! processes, and adapters never depend on each other; this crate depends on no band crate.

mod binary;
mod child;
mod scan;
mod spawner;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use binary::{MissingBinary, find_binary, is_executable};
pub use child::{Child, Exit, Process, Stop};
pub use rustix::process::Signal;

/// Set in every process band starts (and so inherited by everything that process starts).
pub const SCOPE_VAR: &str = "BAND_PROCESS_SCOPE";
/// How long the first signals of a stop have before KILL.
pub const GRACE: Duration = Duration::from_secs(3);

/// Starts processes for one server instance. Cheap to clone: clones share the prefix and the
/// counter. Made once by the composition root and handed to every adapter that starts processes.
#[derive(Debug, Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `<pid>.<nonce>`.
    prefix: String,
    next: AtomicU64,
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl Supervisor {
    /// A supervisor with a prefix no other supervisor has: this process's id and a nonce made of
    /// the time and a per-process counter (two in one process differ by the counter; one
    /// started later with a reused pid, by the time).
    pub fn new() -> Self {
        static INSTANCES: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let prefix = format!("{}.{nanos:x}-{instance:x}", std::process::id());
        Self { inner: Arc::new(Inner { prefix, next: AtomicU64::new(0) }) }
    }

    /// `<pid>.<nonce>`: every scope this supervisor hands out starts with it and a dot.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    fn next_scope(&self) -> String {
        format!("{}.{}", self.inner.prefix, self.inner.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Starts `spec` as the leader of its own process group.
    ///
    /// # Errors
    /// [`SpawnError`] when the program cannot be started (missing, not executable, no tokio
    /// runtime to run it on).
    pub async fn spawn(&self, spec: Spec) -> Result<Child, SpawnError> {
        let scope = self.next_scope();
        let mut cmd = spec.command(&scope);
        cmd.process_group(0);
        let program = spec.program.clone();
        let merged = if spec.stdout == Io::Merged || spec.stderr == Io::Merged {
            // Both ends of the child's stdout and stderr are one pipe's write end; the command
            // holds the only other copies, and is dropped once the child is forked.
            let merged = (|| {
                let (writer, reader) = tokio::net::unix::pipe::pipe()?;
                let writer = writer.into_blocking_fd()?;
                cmd.stdout(writer.try_clone()?).stderr(writer);
                Ok(reader)
            })()
            .map_err(|source| SpawnError { program: program.clone(), source })?;
            Some(merged)
        } else {
            None
        };
        let (child, runtime) =
            spawner::spawn(spawner::Job::Group(cmd)).await.map_err(|source| SpawnError { program, source })?;
        let mut child = Child::new(child, runtime, scope, child::Tree::Group);
        child.merged = merged;
        Ok(child)
    }

    /// Starts `spec` as the leader of a new session whose controlling terminal is `pts`, with the
    /// PTY as its stdin, stdout and stderr (`spec`'s stdio settings are not used).
    ///
    /// # Errors
    /// As [`Supervisor::spawn`].
    pub async fn spawn_on_pty(&self, spec: Spec, pts: pty_process::Pts) -> Result<Child, SpawnError> {
        let scope = self.next_scope();
        let cmd = spec.pty_command(&scope);
        let program = spec.program.clone();
        let (child, runtime) =
            spawner::spawn(spawner::Job::Pty(cmd, pts)).await.map_err(|source| SpawnError { program, source })?;
        Ok(Child::new(child, runtime, scope, child::Tree::Session))
    }
}

/// What a process's stdin, stdout or stderr is connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Io {
    /// `/dev/null`.
    Null,
    /// A pipe to band ([`Child::take_stdin`]...).
    Piped,
    /// For stdout and stderr together: one pipe that both write to, so band reads them in the
    /// order they were written ([`Child::take_output`]). Set on either, it applies to both.
    Merged,
}

impl Io {
    fn stdio(self) -> std::process::Stdio {
        match self {
            Io::Null => std::process::Stdio::null(),
            Io::Piped | Io::Merged => std::process::Stdio::piped(),
        }
    }
}

/// What to run: a program, its arguments (an argv array, never a shell string), its directory and
/// exactly the environment it gets (nothing is inherited from band-server). Stdio is `/dev/null`
/// unless set.
#[derive(Debug, Clone)]
pub struct Spec {
    program: PathBuf,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    stdin: Io,
    stdout: Io,
    stderr: Io,
}

impl Spec {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            stdin: Io::Null,
            stdout: Io::Null,
            stderr: Io::Null,
        }
    }

    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    #[must_use]
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// The directory it runs in (band-server's own when not set).
    #[must_use]
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// Adds these variables to the environment, which starts empty; a later value of a name wins.
    #[must_use]
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.env.extend(vars.into_iter().map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())));
        self
    }

    #[must_use]
    pub fn stdin(mut self, io: Io) -> Self {
        self.stdin = io;
        self
    }

    #[must_use]
    pub fn stdout(mut self, io: Io) -> Self {
        self.stdout = io;
        self
    }

    #[must_use]
    pub fn stderr(mut self, io: Io) -> Self {
        self.stderr = io;
        self
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The tokio command, without stdio: the environment cleared, then exactly the given one,
    /// then the scope marker last so that a given `BAND_PROCESS_SCOPE` cannot replace it.
    fn base(&self, scope: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v))).env(SCOPE_VAR, scope);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        // Dropping a child that was never watched (a cancelled spawn or `output`) kills it.
        cmd.kill_on_drop(true);
        cmd
    }

    fn command(&self, scope: &str) -> tokio::process::Command {
        let mut cmd = self.base(scope);
        cmd.stdin(self.stdin.stdio()).stdout(self.stdout.stdio()).stderr(self.stderr.stdio());
        cmd
    }

    fn pty_command(&self, scope: &str) -> tokio::process::Command {
        self.base(scope)
    }
}

/// A program that could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {}: {source}", program.display())]
pub struct SpawnError {
    pub program: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl SpawnError {
    /// Was the program not there (as opposed to there but failing to start)?
    pub fn not_found(&self) -> bool {
        self.source.kind() == std::io::ErrorKind::NotFound
    }
}

/// SIGKILLs, at once, every process this OS process started through any supervisor, and all
/// they started: their markers begin with this process's id. For a forced exit (a second signal,
/// a missed shutdown deadline), where there is no time for TERM and a grace period.
/// Synchronous: it may run outside the runtime. Returns how many processes it killed.
pub fn kill_everything_started_here() -> usize {
    kill_marked(&format!("{}.", std::process::id()))
}

/// SIGKILLs every process whose scope marker starts with `prefix` (a [`Supervisor::prefix`],
/// recorded by a server that is gone) and a dot: what a dead server's agents, tools, shells and
/// tunnels left behind. Synchronous. Returns how many processes it killed.
///
/// # Errors
/// [`BadPrefix`] when `prefix` is not `<pid>.<nonce>`: an empty or partial prefix would match
/// the processes of every band-server on the machine, so nothing is killed.
pub fn kill_prefix(prefix: &str) -> Result<usize, BadPrefix> {
    let (pid, nonce) = prefix.split_once('.').ok_or_else(|| BadPrefix(prefix.to_owned()))?;
    let pid_ok = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    let nonce_ok = !nonce.is_empty() && nonce.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    if !pid_ok || !nonce_ok {
        return Err(BadPrefix(prefix.to_owned()));
    }
    Ok(kill_marked(&format!("{prefix}.")))
}

/// A scope prefix that is not `<pid>.<nonce>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a process scope prefix (<pid>.<nonce>)")]
pub struct BadPrefix(pub String);

/// KILL to every process whose scope starts with `start`, until none is left (a few rounds: a
/// process may fork while it is being killed). Returns how many distinct processes it killed.
fn kill_marked(start: &str) -> usize {
    let mut killed = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let found = scan::find(&scan::Find::ScopeStartsWith(start));
        if found.is_empty() {
            break;
        }
        killed.extend(found.into_iter().filter(|pid| child::signal(*pid, Signal::KILL)));
        std::thread::sleep(Duration::from_millis(20));
    }
    killed.len()
}

/// Live processes (not zombies, not this one) whose scope marker is exactly `scope`.
pub fn marked(scope: &str) -> Vec<i32> {
    scan::find(&scan::Find::Scope(scope))
}
