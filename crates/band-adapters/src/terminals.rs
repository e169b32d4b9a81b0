//! Terminals on a PTY (pty-process) behind band-core's terminal port (SECURITY.md 12, 17, R2).
//!
//! - **What runs.** One shell, chosen by the composition root ([`default_shell`]: `$SHELL` when it
//!   is an absolute path to an executable, else `/bin/bash`, else `/bin/sh`), started as an
//!   interactive, non-login shell (a shell on a TTY is interactive by itself; a login shell would
//!   re-run profile scripts on every tab, as Linux terminal emulators do not either). No
//!   arguments, the workspace's directory, exactly the environment given plus the scope marker
//!   (band-process's `BAND_PROCESS_SCOPE`).
//! - **Its own session.** band-process starts the shell ([`Supervisor::spawn_on_pty`]) as the
//!   leader of a new session (and so of its own process group) with the PTY as controlling
//!   terminal, tied to band-server's life. A job-control shell puts each job in a process group
//!   of its own, so "the terminal's processes" are the session's members, plus whatever left the
//!   session (`setsid`), found by the scope marker as for agents.
//! - **Kill.** band-process's [`Stop::HANGUP`]: SIGHUP (a closing terminal: an interactive bash
//!   ignores TERM but exits on HUP and hangs up its jobs), TERM and CONT (for stopped jobs) to
//!   every member, a grace period, then KILL to every member until none is left. When the shell
//!   exits on its own, band-process's waiter kills whatever it left behind at once: nothing a
//!   terminal started outlives it.
//! - **Output.** One growing byte stream with offsets. The last [`SCROLLBACK`] bytes are kept in a
//!   ring; new bytes are appended to the ring and broadcast under one lock, so a subscriber that
//!   joins the broadcast and then reads the ring misses nothing and skips what it already has.
//!   A subscriber that lags is refilled from the ring (bytes older than the ring are reported as
//!   a jump in offsets); the reader never waits for anyone.
//! - **Exit.** The waiter reaps the shell and records its status; the reader reads until the
//!   PTY reports EIO (no process holds the terminal any more), and ends the output stream only
//!   once the exit status is known, so a subscriber whose feed ends can read it.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use band_core::ports::{OutputFeed, TerminalHost, TerminalProcess, TerminalSpawn};
use band_core::{Millis, TerminalError, TerminalExit, TerminalOutput, TerminalSize};
pub use band_process::Spec;
use band_process::{Process, Stop, Supervisor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

/// Output kept per terminal for clients that attach later or fall behind.
pub const SCROLLBACK: usize = 256 * 1024;
/// How long a write may wait for the PTY to take it.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from the PTY at once.
const READ_CHUNK: usize = 16 * 1024;
/// Live chunks a subscriber may be behind before it is refilled from the scrollback.
const LIVE_CHUNKS: usize = 256;

/// The shell to run: `shell_var` (band-server's `$SHELL`) when it is an absolute path to an
/// executable, else `/bin/bash`, else `/bin/sh`.
pub fn default_shell(shell_var: Option<&OsStr>) -> PathBuf {
    shell_var
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && is_executable(p))
        .or_else(|| ["/bin/bash", "/bin/sh"].into_iter().map(PathBuf::from).find(|p| is_executable(p)))
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// Is `path` an executable regular file?
pub fn is_executable(path: &Path) -> bool {
    band_process::is_executable(path)
}

/// Starts `shell` on PTYs, through `supervisor`.
pub struct PtyHost {
    shell: PathBuf,
    supervisor: Supervisor,
}

impl PtyHost {
    pub fn new(shell: PathBuf, supervisor: Supervisor) -> Self {
        Self { shell, supervisor }
    }

    pub fn shell(&self) -> &Path {
        &self.shell
    }
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> TerminalError {
    TerminalError::Internal(Box::new(e))
}

fn winsize(size: TerminalSize) -> rustix::termios::Winsize {
    rustix::termios::Winsize { ws_row: size.rows(), ws_col: size.cols(), ws_xpixel: 0, ws_ypixel: 0 }
}

#[async_trait]
impl TerminalHost for PtyHost {
    async fn spawn(&self, spawn: TerminalSpawn) -> Result<Arc<dyn TerminalProcess>, TerminalError> {
        if !spawn.cwd.is_dir() {
            return Err(TerminalError::Missing(spawn.cwd));
        }
        let spec = Spec::new(&self.shell).cwd(&spawn.cwd).envs(&spawn.env);
        Ok(spawn_on_pty(&self.supervisor, spec, spawn.size).await?)
    }
}

/// Starts `spec` (its program, arguments, directory and environment) as the leader of its own
/// session on a new PTY of `size`, through `supervisor`: a shell for [`PtyHost`], a terminal
/// agent's CLI for the terminal agent runtime. Output, input, size and kill as for a shell.
///
/// # Errors
/// [`TerminalError::Internal`] when no PTY or process could be had.
pub async fn spawn_on_pty(
    supervisor: &Supervisor,
    spec: Spec,
    size: TerminalSize,
) -> Result<Arc<PtyProcess>, TerminalError> {
    let (pty, pts) = pty_process::open().map_err(internal)?;
    // A second handle on the PTY for resizing while a write holds the writer.
    let ctl: OwnedFd = std::os::fd::AsFd::as_fd(&pty).try_clone_to_owned().map_err(internal)?;
    rustix::termios::tcsetwinsize(&ctl, winsize(size)).map_err(internal)?;
    // The waiter (band-process's) reaps the process, records how it ended, and kills what it
    // left behind.
    let process = supervisor.spawn_on_pty(spec, pts).await.map_err(internal)?.watch();
    let (mut reader, writer) = pty.into_split();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            ring: VecDeque::with_capacity(READ_CHUNK),
            end: 0,
            live: Some(broadcast::channel(LIVE_CHUNKS).0),
        }),
    });
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default();

    // The reader: PTY output into the ring and out to subscribers, until EIO.
    let reader_shared = shared.clone();
    let reader_process = process.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut draining = false;
        loop {
            let read = if draining {
                // Everything is dead; take what is still buffered, then stop even if an
                // escaped process keeps the PTY open.
                match tokio::time::timeout(Duration::from_millis(200), reader.read(&mut buf)).await {
                    Ok(r) => r,
                    Err(_) => break,
                }
            } else {
                tokio::select! {
                    r = reader.read(&mut buf) => r,
                    () = reader_process.done() => { draining = true; continue; }
                }
            };
            match read {
                Ok(0) => break,
                Ok(n) => reader_shared.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // EIO: no process has the terminal open any more.
                Err(_) => break,
            }
        }
        reader_process.exited().await;
        reader_shared.close();
    });

    Ok(Arc::new(PtyProcess { process, started_at, writer: tokio::sync::Mutex::new(writer), ctl, shared }))
}

fn exit_of(exit: band_process::Exit) -> TerminalExit {
    TerminalExit { code: exit.code, signal: exit.signal }
}

/// One process (a shell, an agent's CLI) on its PTY.
pub struct PtyProcess {
    process: Process,
    started_at: Millis,
    writer: tokio::sync::Mutex<pty_process::OwnedWritePty>,
    ctl: OwnedFd,
    shared: Arc<Shared>,
}

#[async_trait]
impl TerminalProcess for PtyProcess {
    fn pid(&self) -> Option<u32> {
        Some(self.process.pid()).filter(|p| *p != 0)
    }

    fn started_at(&self) -> Millis {
        self.started_at
    }

    async fn write(&self, data: &[u8]) -> Result<(), TerminalError> {
        if self.process.exit().is_some() {
            return Err(TerminalError::Exited);
        }
        let mut writer = self.writer.lock().await;
        let write = async {
            writer.write_all(data).await?;
            writer.flush().await
        };
        match tokio::time::timeout(WRITE_TIMEOUT, write).await {
            Ok(Ok(())) => Ok(()),
            // EIO and friends: the other side is gone.
            Ok(Err(_)) => Err(TerminalError::Exited),
            Err(_) => Err(TerminalError::Stalled(WRITE_TIMEOUT.as_secs())),
        }
    }

    fn resize(&self, size: TerminalSize) -> Result<(), TerminalError> {
        if self.process.exit().is_some() {
            return Err(TerminalError::Exited);
        }
        rustix::termios::tcsetwinsize(&self.ctl, winsize(size)).map_err(internal)
    }

    fn output_end(&self) -> u64 {
        self.shared.lock().end
    }

    fn output(&self, after: u64) -> TerminalOutput {
        self.shared.lock().since(after)
    }

    fn subscribe(&self, after: u64) -> Box<dyn OutputFeed> {
        let st = self.shared.lock();
        let rx = st.live.as_ref().map(broadcast::Sender::subscribe);
        // An offset past the end (a stale one) reads from the end.
        let next = after.min(st.end);
        drop(st);
        Box::new(Feed { shared: self.shared.clone(), rx, next, refill: true })
    }

    fn exit(&self) -> Option<TerminalExit> {
        self.process.exit().map(exit_of)
    }

    async fn kill(&self) {
        self.process.stop(Stop::HANGUP).await;
    }
}

/// The output stream's shared part: the scrollback ring and the live broadcast.
struct Shared {
    state: Mutex<State>,
}

struct State {
    ring: VecDeque<u8>,
    /// Offset just past the last byte ever read.
    end: u64,
    /// `None` once the output has ended.
    live: Option<broadcast::Sender<Chunk>>,
}

#[derive(Clone)]
struct Chunk {
    start: u64,
    data: Arc<[u8]>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, bytes: &[u8]) {
        let mut st = self.lock();
        let start = st.end;
        st.ring.extend(bytes);
        let over = st.ring.len().saturating_sub(SCROLLBACK);
        st.ring.drain(..over);
        st.end += bytes.len() as u64;
        if let Some(live) = &st.live {
            // No subscriber is fine.
            let _ = live.send(Chunk { start, data: bytes.into() });
        }
    }

    fn close(&self) {
        self.lock().live = None;
    }
}

impl State {
    fn since(&self, after: u64) -> TerminalOutput {
        let ring_start = self.end - self.ring.len() as u64;
        let from = after.clamp(ring_start, self.end);
        let skip = usize::try_from(from - ring_start).unwrap_or(usize::MAX);
        TerminalOutput { start: from, data: self.ring.range(skip..).copied().collect() }
    }
}

/// One subscriber: the ring first (and again after a lag), then the broadcast.
struct Feed {
    shared: Arc<Shared>,
    rx: Option<broadcast::Receiver<Chunk>>,
    /// The offset of the next byte this subscriber wants.
    next: u64,
    /// Read the ring before waiting on the broadcast.
    refill: bool,
}

#[async_trait]
impl OutputFeed for Feed {
    async fn next(&mut self) -> Option<TerminalOutput> {
        loop {
            if self.refill {
                self.refill = false;
                let out = self.shared.lock().since(self.next);
                if !out.data.is_empty() {
                    self.next = out.end();
                    return Some(out);
                }
            }
            let rx = self.rx.as_mut()?;
            match rx.recv().await {
                Ok(chunk) => {
                    let end = chunk.start + chunk.data.len() as u64;
                    if end <= self.next {
                        continue;
                    }
                    if chunk.start > self.next {
                        // A hole: refill from the ring, which holds everything it still can.
                        self.refill = true;
                        continue;
                    }
                    let skip = usize::try_from(self.next - chunk.start).unwrap_or(usize::MAX);
                    let out = TerminalOutput { start: self.next, data: chunk.data[skip..].to_vec() };
                    self.next = end;
                    return Some(out);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.refill = true,
                Err(broadcast::error::RecvError::Closed) => {
                    self.rx = None;
                    self.refill = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared { state: Mutex::new(State { ring: VecDeque::new(), end: 0, live: Some(broadcast::channel(4).0) }) }
    }

    #[test]
    fn the_ring_keeps_the_newest_bytes_with_their_offsets() {
        let s = shared();
        s.push(b"hello ");
        s.push(b"world");
        assert_eq!(s.lock().since(0), TerminalOutput { start: 0, data: b"hello world".to_vec() });
        assert_eq!(s.lock().since(6), TerminalOutput { start: 6, data: b"world".to_vec() });
        assert_eq!(s.lock().since(99), TerminalOutput { start: 11, data: vec![] });
        let big = vec![b'x'; SCROLLBACK];
        s.push(&big);
        let all = s.lock().since(0);
        assert_eq!((all.start, all.data.len(), all.end()), (11, SCROLLBACK, 11 + SCROLLBACK as u64));
    }

    #[tokio::test]
    async fn a_feed_gets_each_byte_once_across_the_ring_the_broadcast_and_a_lag() {
        let s = Arc::new(shared());
        s.push(b"ab");
        let rx = s.lock().live.as_ref().map(broadcast::Sender::subscribe);
        let mut feed = Feed { shared: s.clone(), rx, next: 1, refill: true };
        s.push(b"cd");
        // The ring has b, c, d; the broadcast repeats c, d, which are skipped.
        assert_eq!(feed.next().await, Some(TerminalOutput { start: 1, data: b"bcd".to_vec() }));
        for _ in 0..10 {
            s.push(b"e");
        }
        // The receiver lagged (capacity 4): refilled from the ring, no gap, no duplicate.
        let mut got = Vec::new();
        while got.len() < 10 {
            let out = feed.next().await.expect("more");
            assert_eq!(out.start, 4 + got.len() as u64);
            got.extend(out.data);
        }
        assert_eq!(got, vec![b'e'; 10]);
        s.push(b"f");
        s.close();
        assert_eq!(feed.next().await, Some(TerminalOutput { start: 14, data: b"f".to_vec() }));
        assert_eq!(feed.next().await, None);
    }

    #[test]
    fn the_shell_is_an_absolute_executable_or_a_fallback() {
        assert_eq!(default_shell(Some(OsStr::new("/bin/sh"))), PathBuf::from("/bin/sh"));
        for bad in ["sh", "/nonexistent/zsh", "", "/etc/passwd"] {
            let shell = default_shell(Some(OsStr::new(bad)));
            assert!(shell == Path::new("/bin/bash") || shell == Path::new("/bin/sh"), "{bad}: {shell:?}");
        }
    }
}
