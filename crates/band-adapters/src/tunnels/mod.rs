//! Tunnels behind band-core's tunnel port: `cloudflared` quick tunnels (a random
//! `*.trycloudflare.com` URL), `cloudflared` named tunnels (a configured hostname, a stable URL)
//! and `bore` (a self-hostable TCP tunnel, `http://<server>:<port>`).
//!
//! Each runs as a child process in a process group of its own, with an allow-listed environment
//! ([`band_core::tunnel_env`]: what a process needs plus `TUNNEL_*`/`BORE_*`, never `BAND_*`)
//! plus the scope marker of [`crate::agents::process`]; its stdout
//! and stderr are read line by line (colour codes removed) until the provider's parser finds the
//! public URL, or the process exits, or [`START_TIMEOUT`] passes — then it is stopped and the
//! error carries its last lines. Stop is the agents' stop: TERM to the group, a grace period,
//! KILL to the group, then a sweep of everything carrying the marker. A process that exits on
//! its own is reported through [`TunnelExits`] with its status and last lines.

mod bore;
mod cloudflared;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use band_core::TunnelError;
use band_core::TunnelUrl;
use band_core::ports::{StartedTunnel, TunnelExits, TunnelProcess};
use rustix::process::Signal;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};

pub use bore::Bore;
pub use cloudflared::{CloudflaredNamed, CloudflaredQuick};

use crate::agents::process::{GRACE, SCOPE_VAR, new_scope, signal_group, sweep};

/// How long a tunnel may take to print its URL.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Output lines kept for error messages.
const TAIL: usize = 20;

/// The environment of a tunnel process: the allow-list applied to the server's.
pub fn tunnel_env() -> BTreeMap<String, String> {
    band_core::tunnel_env(std::env::vars())
}

/// The program to run: the configured path (which must be executable), else `name` on PATH.
///
/// # Errors
/// [`TunnelError::BinaryMissing`] with `install` (how to get it) and the setting to use.
pub(crate) fn find_binary(
    name: &str,
    configured: Option<&Path>,
    setting: &str,
    install: &str,
    env: &BTreeMap<String, String>,
) -> Result<PathBuf, TunnelError> {
    if let Some(path) = configured {
        return if crate::agents::process::is_executable(path) {
            Ok(path.to_owned())
        } else {
            Err(TunnelError::BinaryMissing(format!(
                "{setting} '{}' in settings.json is not an executable file; fix the path, or remove it to use {name} from PATH",
                path.display()
            )))
        };
    }
    let path = env.get("PATH").cloned().unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| crate::agents::process::is_executable(p)).ok_or_else(
        || {
            TunnelError::BinaryMissing(format!(
                "{name} is not installed (not found on PATH): {install}, or set {setting} in settings.json"
            ))
        },
    )
}

/// Removes ANSI escape sequences (bore logs in colour even into a pipe).
pub(crate) fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Finds the public URL in one line of output.
pub(crate) type UrlParser = Box<dyn FnMut(&str) -> Option<TunnelUrl> + Send>;

/// What to run for one tunnel.
pub(crate) struct Launch {
    /// For messages: `cloudflared`, `bore`.
    pub what: &'static str,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub parse: UrlParser,
    pub timeout: Duration,
}

/// A running tunnel process.
struct Running {
    pid: u32,
    scope: String,
    stopped: AtomicBool,
    exited: watch::Receiver<Option<String>>,
}

#[async_trait]
impl TunnelProcess for Running {
    async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        signal_group(self.pid, Signal::TERM);
        let mut exited = self.exited.clone();
        let _ = tokio::time::timeout(GRACE, exited.wait_for(Option::is_some)).await;
        signal_group(self.pid, Signal::KILL);
        sweep(&self.scope).await;
        let _ = tokio::time::timeout(GRACE, exited.wait_for(Option::is_some)).await;
    }
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let t = tail.lock().unwrap_or_else(|p| p.into_inner());
    if t.is_empty() { "(it printed nothing)".into() } else { t.iter().cloned().collect::<Vec<_>>().join("\n") }
}

fn read_lines<R: AsyncRead + Unpin + Send + 'static>(
    stream: Option<R>,
    tail: Arc<Mutex<VecDeque<String>>>,
    lines: mpsc::UnboundedSender<String>,
) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            let line = strip_ansi(&line);
            {
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                if t.len() == TAIL {
                    t.pop_front();
                }
                t.push_back(line.clone());
            }
            let _ = lines.send(line);
        }
    });
}

/// Starts `launch` and waits for its URL.
pub(crate) async fn start(mut launch: Launch, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError> {
    let scope = new_scope();
    let mut child = Command::new(&launch.program)
        .args(&launch.args)
        .env_clear()
        .envs(&launch.env)
        .env(SCOPE_VAR, &scope)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TunnelError::Failed(format!("cannot start {}: {e}", launch.program.display())))?;
    let pid = child.id().unwrap_or_default();
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL)));
    let (tx, mut lines) = mpsc::unbounded_channel();
    read_lines(child.stdout.take(), tail.clone(), tx.clone());
    read_lines(child.stderr.take(), tail.clone(), tx);
    let (exited_tx, exited) = watch::channel(None);
    let process = Arc::new(Running { pid, scope: scope.clone(), stopped: AtomicBool::new(false), exited });
    // Set once the URL was handed out: from then on an exit is the service's to hear.
    let armed = Arc::new(AtomicBool::new(false));
    {
        let (process, armed, tail, what) = (process.clone(), armed.clone(), tail.clone(), launch.what);
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(s) => crate::agents::process::describe(s),
                Err(e) => format!("unknown status: {e}"),
            };
            let _ = exited_tx.send(Some(status.clone()));
            signal_group(pid, Signal::KILL);
            sweep(&scope).await;
            if armed.load(Ordering::SeqCst) && !process.stopped.load(Ordering::SeqCst) {
                // The readers may still hold the last lines: give them a moment.
                tokio::time::sleep(Duration::from_millis(50)).await;
                exits.on_exit(format!("{what} ended ({status}); its last output:\n{}", tail_text(&tail))).await;
            }
        });
    }
    let mut exited = process.exited.clone();
    let deadline = tokio::time::sleep(launch.timeout);
    tokio::pin!(deadline);
    let mut open = true;
    let failure = loop {
        tokio::select! {
            line = lines.recv(), if open => {
                let Some(line) = line else {
                    // Both pipes closed: the process is ending; its status tells the rest.
                    open = false;
                    continue;
                };
                if let Some(url) = (launch.parse)(&line) {
                    armed.store(true, Ordering::SeqCst);
                    if let Some(status) = process.exited.borrow().clone() {
                        break format!("{} ended as it started ({status})", launch.what);
                    }
                    let started_at = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                        .unwrap_or(0);
                    return Ok(StartedTunnel { url, started_at, process: Box::new(ArcProcess(process)) });
                }
            }
            status = async { exited.wait_for(Option::is_some).await.map(|s| s.clone().unwrap_or_default()) } => {
                let status = status.unwrap_or_default();
                // Lines still in the pipe may hold the reason.
                tokio::time::sleep(Duration::from_millis(50)).await;
                break format!("{} exited before it printed a public URL ({status})", launch.what);
            }
            () = &mut deadline => {
                break format!(
                    "{} printed no public URL within {} s",
                    launch.what,
                    launch.timeout.as_secs_f32()
                );
            }
        }
    };
    process.stop().await;
    Err(TunnelError::Failed(format!("{failure}; its last output:\n{}", tail_text(&tail))))
}

/// The handle the service keeps (the waiter task keeps its own reference).
struct ArcProcess(Arc<Running>);

#[async_trait]
impl TunnelProcess for ArcProcess {
    async fn stop(&self) {
        self.0.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_removed() {
        let line = "\u{1b}[2m2026-11-22T17:28:29Z\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m listening at 127.0.0.1:41069";
        assert_eq!(strip_ansi(line), "2026-11-22T17:28:29Z  INFO listening at 127.0.0.1:41069");
    }

    #[test]
    fn a_missing_binary_says_how_to_install_it() {
        let env = BTreeMap::from([("PATH".to_owned(), "/nonexistent".to_owned())]);
        let e = find_binary("cloudflared", None, "tunnel.cloudflared.binary", "install it from X", &env)
            .expect_err("missing");
        assert_eq!(
            e.to_string(),
            "cloudflared is not installed (not found on PATH): install it from X, or set tunnel.cloudflared.binary in settings.json"
        );
        let e = find_binary("bore", Some(Path::new("/nonexistent/bore")), "tunnel.bore.binary", "x", &env)
            .expect_err("bad path");
        assert!(
            e.to_string().contains("tunnel.bore.binary '/nonexistent/bore' in settings.json is not an executable"),
            "{e}"
        );
    }
}
