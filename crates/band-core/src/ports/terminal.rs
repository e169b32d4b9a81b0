//! The terminal port: shells on a PTY. The adapter owns the process, the PTY, the scrollback and
//! the fan-out of output; band-core decides where a shell runs, with which environment, and how
//! many there may be.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::TerminalError;
use crate::model::Millis;
use crate::terminal::{TerminalExit, TerminalOutput, TerminalSize};

/// Where and how to start a shell. There is deliberately no program or argument here: the host
/// runs the one shell it was configured with, so no client can choose what runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSpawn {
    /// The workspace's directory.
    pub cwd: PathBuf,
    pub size: TerminalSize,
    /// The complete environment of the shell, already allow-listed (see
    /// [`crate::terminal_env`]).
    pub env: BTreeMap<String, String>,
}

/// Starts shells.
#[async_trait]
pub trait TerminalHost: Send + Sync {
    /// Starts the configured shell on a new PTY of `spawn.size`, in `spawn.cwd`, with exactly
    /// `spawn.env` (plus whatever the adapter needs to find the shell's descendants), in a
    /// session and process group of its own.
    ///
    /// # Errors
    /// [`TerminalError::Missing`] when `cwd` is not a directory; [`TerminalError::Internal`] when
    /// no PTY or process could be had.
    async fn spawn(&self, spawn: TerminalSpawn) -> Result<Arc<dyn TerminalProcess>, TerminalError>;
}

/// One live (or exited) shell on its PTY.
///
/// Output is one growing byte stream; every byte has an offset. Implementations keep the most
/// recent part (the scrollback, bounded) and fan out new bytes to any number of subscribers; a
/// subscriber that falls behind is refilled from the scrollback and never slows the shell or
/// other subscribers.
#[async_trait]
pub trait TerminalProcess: Send + Sync {
    fn pid(&self) -> Option<u32>;

    /// When the shell was started.
    fn started_at(&self) -> Millis;

    /// Writes `data` to the PTY exactly as given (no interpretation, no added newline).
    ///
    /// # Errors
    /// [`TerminalError::Exited`] once the shell is gone; [`TerminalError::Stalled`] when the PTY
    /// does not take the bytes in time (the program in it is not reading).
    async fn write(&self, data: &[u8]) -> Result<(), TerminalError>;

    /// Sets the PTY's size (the foreground program gets SIGWINCH).
    ///
    /// # Errors
    /// [`TerminalError::Exited`] once the shell is gone.
    fn resize(&self, size: TerminalSize) -> Result<(), TerminalError>;

    /// The offset just past the last byte of output so far.
    fn output_end(&self) -> u64;

    /// What the scrollback holds after offset `after` (all of it for 0).
    fn output(&self, after: u64) -> TerminalOutput;

    /// The scrollback after `after`, then live output, each byte once and in order. The feed
    /// ends (`None`) after the last byte once the shell has exited.
    fn subscribe(&self, after: u64) -> Box<dyn OutputFeed>;

    /// How the shell ended; `None` while it runs.
    fn exit(&self) -> Option<TerminalExit>;

    /// Ends the shell and everything it started: hang-up and TERM, a grace period, KILL, until
    /// nothing is left (including what left the shell's session). Idempotent; returns once the
    /// shell's exit is known (or the adapter gave up waiting).
    async fn kill(&self);
}

/// A subscriber's view of a terminal's output.
#[async_trait]
pub trait OutputFeed: Send {
    /// The next piece of output; `None` when the shell has exited and everything was delivered.
    /// Cancel-safe: dropping the future loses nothing.
    async fn next(&mut self) -> Option<TerminalOutput>;
}
