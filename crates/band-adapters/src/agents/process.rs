//! Agent processes: started through band-process's [`Supervisor`] (their own process group,
//! exactly the environment given plus the scope marker, tied to band-server's life), read line
//! by line, and stopped so that nothing survives (SECURITY.md R2).
//!
//! Stopping is band-process's [`Stop::TERM`]: TERM to the group and to every process carrying
//! the agent's scope marker (which finds what left the group, `setsid sleep 1000 &`), a grace
//! period, then KILL until none is left. When an agent exits on its own, band-process's waiter
//! kills what it left at once, so its orphans never outlive it.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use band_core::ports::{AgentEvent, AgentEvents, AgentExit};
use band_core::{AgentDefinition, AgentError};
use band_process::{Io, Process, Stop, Supervisor};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::ChildStdin;

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

/// Finds an agent's binary: its definition's absolute path, else its name on the agent's PATH.
///
/// # Errors
/// [`AgentError::BinaryMissing`] with the definition's install hint.
pub fn find_binary(agent: &AgentDefinition, env: &BTreeMap<String, String>) -> Result<PathBuf, AgentError> {
    let configured = agent.binary.contains('/').then(|| Path::new(&agent.binary));
    band_process::find_binary(&agent.binary, configured, env.get("PATH").map(OsStr::new)).map_err(|_| {
        AgentError::BinaryMissing {
            agent: agent.id.clone(),
            binary: agent.binary.clone(),
            install: agent.install.clone(),
        }
    })
}

/// One running agent process.
pub struct Session {
    process: Process,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    stopped: AtomicBool,
}

impl Session {
    pub fn pid(&self) -> u32 {
        self.process.pid()
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

    /// TERM, a grace period, then KILL until nothing of the agent is left. Does not wait for the
    /// event receiver, only for the process.
    pub async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.process.stop(Stop::TERM).await;
        self.stdin.lock().await.take();
    }
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
pub async fn start(
    supervisor: &Supervisor,
    spec: Spec<'_>,
    parser: impl LineParser,
    events: Arc<dyn AgentEvents>,
) -> Result<Arc<Session>, AgentError> {
    let run = band_process::Spec::new(spec.program)
        .args(&spec.args)
        .cwd(spec.cwd)
        .envs(spec.env)
        .stdin(Io::Piped)
        .stdout(Io::Piped)
        .stderr(Io::Piped);
    let mut child = supervisor.spawn(run).await.map_err(|e| AgentError::Internal(Box::new(e)))?;
    let (stdin, stdout, stderr) = (child.take_stdin(), child.take_stdout(), child.take_stderr());
    // From here on the process is watched: its exit is seen on its own, since children that
    // inherited stdout may keep the pipe open after the agent died, so EOF cannot be what tells
    // us. Once it exited, its leftovers are killed, which also closes the pipe for the reader.
    let session = Arc::new(Session {
        process: child.watch(),
        stdin: tokio::sync::Mutex::new(stdin),
        stopped: AtomicBool::new(false),
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
        // The exit is reported once the agent is gone and nothing it started is left.
        let process = &reader_session.process;
        process.done().await;
        let status = process.exit().map_or_else(|| "unknown status".to_owned(), |e| e.to_string());
        reader_session.stdin.lock().await.take();
        let stderr_tail = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect::<Vec<_>>().join("\n");
        let requested = reader_session.stopped.load(Ordering::SeqCst);
        events.on_exit(AgentExit { requested, status, stderr_tail }).await;
    });
    Ok(session)
}
