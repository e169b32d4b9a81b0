//! Tunnels behind band-core's tunnel port: `cloudflared` quick tunnels (a random
//! `*.trycloudflare.com` URL), `cloudflared` named tunnels (a configured hostname, a stable URL)
//! and `bore` (a self-hostable TCP tunnel, `http://<server>:<port>`).
//!
//! Each runs as a child process started by band-process's [`Supervisor`]: in a process group of
//! its own, tied to band-server's life, with an allow-listed environment
//! ([`band_core::tunnel_env`]: what a process needs plus `TUNNEL_*`/`BORE_*`, never `BAND_*`)
//! plus the scope marker; its stdout and stderr are read line by line (colour codes removed)
//! until the provider's parser finds the public URL, or the process exits, or [`START_TIMEOUT`]
//! passes — then it is stopped and the error carries its last lines. Stop is band-process's
//! [`Stop::TERM`], as for agents: TERM to the group and everything carrying the marker, a grace
//! period, then KILL until none is left. A process that exits on its own is reported through
//! [`TunnelExits`] with its status and last lines, once what it left is killed.

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
use band_process::{Io, MissingBinary, Process, Spec, Stop, Supervisor};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

pub use bore::Bore;
pub use cloudflared::{CloudflaredNamed, CloudflaredQuick};

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
    band_process::find_binary(name, configured, env.get("PATH").map(std::ffi::OsStr::new)).map_err(|e| match e {
        MissingBinary::NotExecutable(path) => TunnelError::BinaryMissing(format!(
            "{setting} '{}' in settings.json is not an executable file; fix the path, or remove it to use {name} from PATH",
            path.display()
        )),
        MissingBinary::NotOnPath(_) => TunnelError::BinaryMissing(format!(
            "{name} is not installed (not found on PATH): {install}, or set {setting} in settings.json"
        )),
    })
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
    process: Process,
    stopped: AtomicBool,
}

#[async_trait]
impl TunnelProcess for Running {
    async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.process.stop(Stop::TERM).await;
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

/// Starts `launch` through `supervisor` and waits for its URL.
pub(crate) async fn start(
    supervisor: &Supervisor,
    mut launch: Launch,
    exits: Arc<dyn TunnelExits>,
) -> Result<StartedTunnel, TunnelError> {
    let spec = Spec::new(&launch.program).args(&launch.args).envs(&launch.env).stdout(Io::Piped).stderr(Io::Piped);
    let mut child = supervisor.spawn(spec).await.map_err(|e| TunnelError::Failed(e.to_string()))?;
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL)));
    let (tx, mut lines) = mpsc::unbounded_channel();
    read_lines(child.take_stdout(), tail.clone(), tx.clone());
    read_lines(child.take_stderr(), tail.clone(), tx);
    let process = Arc::new(Running { process: child.watch(), stopped: AtomicBool::new(false) });
    // Set once the URL was handed out: from then on an exit is the service's to hear.
    let armed = Arc::new(AtomicBool::new(false));
    {
        let (process, armed, tail, what) = (process.clone(), armed.clone(), tail.clone(), launch.what);
        tokio::spawn(async move {
            let status = process.process.exited().await;
            // Reported once what it left behind is gone.
            process.process.done().await;
            if armed.load(Ordering::SeqCst) && !process.stopped.load(Ordering::SeqCst) {
                // The readers may still hold the last lines: give them a moment.
                tokio::time::sleep(Duration::from_millis(50)).await;
                exits.on_exit(format!("{what} ended ({status}); its last output:\n{}", tail_text(&tail))).await;
            }
        });
    }
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
                    if let Some(status) = process.process.exit() {
                        break format!("{} ended as it started ({status})", launch.what);
                    }
                    let started_at = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                        .unwrap_or(0);
                    return Ok(StartedTunnel { url, started_at, process: Box::new(ArcProcess(process)) });
                }
            }
            status = process.process.exited() => {
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
