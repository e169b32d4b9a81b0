//! [`ShellScripts`]: band-core's [`ScriptRunner`] on `/bin/sh -c <script>`, started by
//! band-process's [`Supervisor`] in its own process group with exactly the environment given
//! (plus the scope marker), stdin empty, stdout and stderr one pipe (read in the order written).
//! The script text is one argument: band never splices anything into it. A timeout, a stop or the server's end
//! stops it with [`Stop::TERM`] (TERM to the group and everything carrying its marker, a grace
//! period, KILL); when it exits on its own, what it left is killed at once, so nothing a script
//! starts outlives it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use band_core::ScriptEnd;
use band_core::ScriptError;
use band_core::ports::{ScriptHandle, ScriptOutput, ScriptRunner, ScriptSpec};
use band_process::{Io, Process, Spec, Stop, Supervisor};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch};

/// Runs scripts with a POSIX shell.
#[derive(Debug, Clone)]
pub struct ShellScripts {
    shell: PathBuf,
    supervisor: Supervisor,
}

impl ShellScripts {
    /// Runs scripts with `/bin/sh`.
    pub fn new(supervisor: Supervisor) -> Self {
        Self { shell: PathBuf::from("/bin/sh"), supervisor }
    }
}

struct Running {
    process: Arc<Process>,
    stopped: Arc<AtomicBool>,
    end: watch::Receiver<Option<ScriptEnd>>,
}

#[async_trait]
impl ScriptHandle for Running {
    async fn wait(&self) -> ScriptEnd {
        let mut end = self.end.clone();
        loop {
            if let Some(e) = end.borrow_and_update().clone() {
                return e;
            }
            if end.changed().await.is_err() {
                return end.borrow().clone().unwrap_or(ScriptEnd::Stopped);
            }
        }
    }

    async fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.process.stop(Stop::TERM).await;
    }
}

/// Reads `stream` in chunks, as UTF-8 (a character cut at a chunk's end waits for its rest;
/// invalid bytes become U+FFFD), into `out`.
fn read_text<R: AsyncRead + Unpin + Send + 'static>(stream: Option<R>, out: mpsc::UnboundedSender<String>) {
    let Some(mut stream) = stream else { return };
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut held: Vec<u8> = Vec::new();
        loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            held.extend_from_slice(&buf[..n]);
            let keep = incomplete_tail(&held);
            let whole = held.len() - keep;
            if whole > 0 {
                let text = String::from_utf8_lossy(&held[..whole]).into_owned();
                held.drain(..whole);
                if out.send(text).is_err() {
                    break;
                }
            }
        }
        if !held.is_empty() {
            let _ = out.send(String::from_utf8_lossy(&held).into_owned());
        }
    });
}

/// How many bytes at the end of `bytes` begin a UTF-8 character not yet complete.
fn incomplete_tail(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let b = bytes[bytes.len() - back];
        if b & 0b1100_0000 == 0b1000_0000 {
            continue;
        }
        let len = match b {
            b if b & 0b1110_0000 == 0b1100_0000 => 2,
            b if b & 0b1111_0000 == 0b1110_0000 => 3,
            b if b & 0b1111_1000 == 0b1111_0000 => 4,
            _ => return 0,
        };
        return if len > back { back } else { 0 };
    }
    0
}

#[async_trait]
impl ScriptRunner for ShellScripts {
    async fn start(
        &self,
        spec: ScriptSpec,
        output: Arc<dyn ScriptOutput>,
    ) -> Result<Arc<dyn ScriptHandle>, ScriptError> {
        if !tokio::fs::metadata(&spec.dir).await.is_ok_and(|m| m.is_dir()) {
            return Err(ScriptError::NotStarted(format!("the workspace's directory {} is gone", spec.dir.display())));
        }
        let process_spec = Spec::new(&self.shell)
            .arg("-c")
            .arg(&spec.script)
            .cwd(&spec.dir)
            .envs(&spec.env)
            .stdin(Io::Null)
            .stdout(Io::Merged)
            .stderr(Io::Merged);
        let mut child = self
            .supervisor
            .spawn(process_spec)
            .await
            .map_err(|e| ScriptError::NotStarted(format!("{}: {}", self.shell.display(), e.source)))?;
        let (tx, mut text) = mpsc::unbounded_channel();
        read_text(child.take_output(), tx);
        let process = Arc::new(child.watch());
        let stopped = Arc::new(AtomicBool::new(false));
        let (end_tx, end) = watch::channel(None);
        // Output goes out in the order it was read, and all of it before the end is known.
        let forwarder = tokio::spawn(async move {
            while let Some(t) = text.recv().await {
                output.output(&t);
            }
        });
        {
            let (process, stopped, timeout) = (process.clone(), stopped.clone(), spec.timeout);
            tokio::spawn(async move {
                let timed_out = tokio::select! {
                    _ = process.exited() => false,
                    () = tokio::time::sleep(timeout) => true,
                };
                if timed_out {
                    process.stop(Stop::TERM).await;
                }
                let status = process.exited().await;
                // What it left is killed as it exits, so its pipes close; wait for the last words.
                process.done().await;
                let _ = tokio::time::timeout(Duration::from_secs(5), forwarder).await;
                let end = if timed_out {
                    ScriptEnd::TimedOut
                } else if stopped.load(Ordering::SeqCst) {
                    ScriptEnd::Stopped
                } else {
                    match (status.code, status.signal) {
                        (Some(code), _) => ScriptEnd::Exited(code),
                        (None, Some(sig)) => ScriptEnd::Signaled(sig),
                        _ => ScriptEnd::Exited(-1),
                    }
                };
                let _ = end_tx.send(Some(end));
            });
        }
        Ok(Arc::new(Running { process, stopped, end }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_at_the_end_waits_for_its_rest() {
        let check = "✓".as_bytes();
        assert_eq!(incomplete_tail(b"abc"), 0);
        assert_eq!(incomplete_tail(&check[..1]), 1);
        assert_eq!(incomplete_tail(&check[..2]), 2);
        assert_eq!(incomplete_tail(check), 0);
        assert_eq!(incomplete_tail(&[b'a', 0xff]), 0);
    }
}
