//! Agent processes: spawned in their own process group with exactly the environment given,
//! read line by line, and stopped so that nothing survives (SECURITY.md R2).
//!
//! Stopping is TERM to the group, a grace period, KILL to the group, then a sweep: every process
//! carrying this run's scope marker in its environment ([`SCOPE_VAR`]) is killed too. The sweep
//! catches what left the group (`setsid sleep 1000 &`), which a group kill cannot reach. The same
//! clean-up runs when an agent exits on its own, so its orphans never outlive it.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use band_core::AgentError;
use band_core::ports::{AgentEvent, AgentEvents, AgentExit};
use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, Command};
use tokio::sync::watch;

/// Set in every agent's environment (and so inherited by everything it starts) to find its
/// descendants at stop time.
pub const SCOPE_VAR: &str = "BAND_PROCESS_SCOPE";
/// Between TERM and KILL.
pub const GRACE: Duration = Duration::from_secs(3);
/// stderr lines kept for the error message when an agent dies.
const STDERR_TAIL: usize = 20;

/// Turns an agent's stdout lines into events, and the replies the protocol requires.
pub trait LineParser: Send + 'static {
    fn parse(&mut self, line: &str) -> Parsed;
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub events: Vec<AgentEvent>,
    /// Lines to write back to the agent's stdin, in order, before the events are delivered.
    pub replies: Vec<String>,
}

/// Finds an agent's binary: the configured path, else `name` on the agent's PATH.
///
/// # Errors
/// [`AgentError::BinaryMissing`] naming the npm package to install.
pub fn find_binary(
    agent: &'static str,
    name: &str,
    package: &'static str,
    configured: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<PathBuf, AgentError> {
    let missing = |binary: String| AgentError::BinaryMissing { agent, binary, package };
    if let Some(path) = configured {
        let p = PathBuf::from(path);
        return if is_executable(&p) { Ok(p) } else { Err(missing(path.to_owned())) };
    }
    let path = env.get("PATH").cloned().unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| missing(name.to_owned()))
}

pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// One running agent process.
pub struct Session {
    pid: u32,
    scope: String,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    stopped: AtomicBool,
    exited: watch::Receiver<bool>,
}

impl Session {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Writes one line (a newline is added) to the agent's stdin.
    pub async fn write_line(&self, line: &str) -> Result<(), AgentError> {
        let mut stdin = self.stdin.lock().await;
        let Some(w) = stdin.as_mut() else {
            return Err(AgentError::Exited("its input is closed".into()));
        };
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let r = async {
            w.write_all(&bytes).await?;
            w.flush().await
        }
        .await;
        r.map_err(|e| AgentError::Exited(format!("writing to the agent failed: {e}")))
    }

    /// TERM to the group, [`GRACE`], KILL to the group, then the sweep. Does not wait for the
    /// event receiver, only for the process.
    pub async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        signal_group(self.pid, Signal::TERM);
        let mut exited = self.exited.clone();
        let _ = tokio::time::timeout(GRACE, exited.wait_for(|e| *e)).await;
        signal_group(self.pid, Signal::KILL);
        sweep(&self.scope).await;
        let _ = tokio::time::timeout(GRACE, exited.wait_for(|e| *e)).await;
        self.stdin.lock().await.take();
    }
}

pub(crate) fn signal_group(pid: u32, sig: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process_group(pid, sig);
    }
}

/// Kills every process whose environment carries `SCOPE_VAR=scope`, until none is left.
pub async fn sweep(scope: &str) {
    let marker = format!("{SCOPE_VAR}={scope}");
    for _ in 0..20 {
        let marker = marker.clone();
        let found = tokio::task::spawn_blocking(move || scoped_pids(&marker)).await.unwrap_or_default();
        if found.is_empty() {
            return;
        }
        for pid in found {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = kill_process(pid, Signal::KILL);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Processes (not zombies) whose environment holds `marker`, other than this one.
pub fn scoped_pids(marker: &str) -> Vec<i32> {
    pids_whose_env(|kv| kv == marker.as_bytes())
}

/// Live processes (not zombies, not this one) with an environment entry for which `matches`.
fn pids_whose_env(matches: impl Fn(&[u8]) -> bool) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, rest)| !rest.trim_start().starts_with('Z')))
                .unwrap_or(false);
            alive && std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|b| *b == 0).any(&matches))
        })
        .collect()
}

/// SIGKILLs, at once, every process this server started and all they started: agents,
/// terminals and tunnels alike carry a scope marker beginning with this process's id
/// ([`new_scope`]). For a forced exit (a second signal, a missed shutdown deadline), where there
/// is no time for TERM and a grace period. Synchronous: it may run outside the runtime. Returns
/// how many processes it killed.
pub fn kill_everything_started_here() -> usize {
    let prefix = format!("{SCOPE_VAR}={}-", std::process::id());
    let mut killed = 0;
    for _ in 0..5 {
        let found = pids_whose_env(|kv| kv.starts_with(prefix.as_bytes()));
        if found.is_empty() {
            break;
        }
        for pid in found {
            if let Some(pid) = Pid::from_raw(pid)
                && kill_process(pid, Signal::KILL).is_ok()
            {
                killed += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
}

pub(crate) fn new_scope() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}-{nanos:x}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// What to run.
pub struct Spec<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub cwd: &'a Path,
    pub env: &'a BTreeMap<String, String>,
}

/// Starts the process and its reader; events go to `events` through `parser`.
///
/// # Errors
/// [`AgentError::Internal`] when the process cannot be started.
pub fn start(
    spec: Spec<'_>,
    parser: impl LineParser,
    events: Arc<dyn AgentEvents>,
) -> Result<Arc<Session>, AgentError> {
    let scope = new_scope();
    let mut child = Command::new(spec.program)
        .args(&spec.args)
        .current_dir(spec.cwd)
        .env_clear()
        .envs(spec.env)
        .env(SCOPE_VAR, &scope)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| AgentError::Internal(format!("cannot start {}: {e}", spec.program.display()).into()))?;
    let pid = child.id().unwrap_or_default();
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (exited_tx, exited_rx) = watch::channel(false);
    let session = Arc::new(Session {
        pid,
        scope: scope.clone(),
        stdin: tokio::sync::Mutex::new(stdin),
        stopped: AtomicBool::new(false),
        exited: exited_rx,
    });

    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
    if let Some(stderr) = stderr {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == STDERR_TAIL {
                    t.pop_front();
                }
                t.push_back(line);
            }
        });
    }

    // The exit is watched on its own: children that inherited stdout may keep the pipe open
    // after the agent died, so EOF cannot be what tells us. Once it exited, its leftovers are
    // killed, which also closes the pipe for the reader.
    let waiter_scope = scope.clone();
    let (status_tx, status_rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let status = match child.wait().await {
            Ok(s) => describe(s),
            Err(e) => format!("unknown status: {e}"),
        };
        let _ = exited_tx.send(true);
        signal_group(pid, Signal::KILL);
        sweep(&waiter_scope).await;
        let _ = status_tx.send(status);
    });

    let reader_session = session.clone();
    let mut parser = parser;
    tokio::spawn(async move {
        if let Some(stdout) = stdout {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if line.trim().is_empty() {
                    continue;
                }
                let parsed = parser.parse(&line);
                for reply in parsed.replies {
                    let _ = reader_session.write_line(&reply).await;
                }
                for event in parsed.events {
                    events.on_event(event).await;
                }
            }
        }
        let status = status_rx.await.unwrap_or_else(|_| "unknown status".into());
        reader_session.stdin.lock().await.take();
        let stderr_tail = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect::<Vec<_>>().join("\n");
        let requested = reader_session.stopped.load(Ordering::SeqCst);
        events.on_exit(AgentExit { requested, status, stderr_tail }).await;
    });
    Ok(session)
}

pub(crate) fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "unknown status".into(),
    }
}
