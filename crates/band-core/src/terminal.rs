//! Terminals: interactive shells on a PTY in a workspace. The records; the
//! [`crate::services::Terminals`] service decides, the [`crate::ports::TerminalHost`] runs them.
//!
//! Terminals are not stored: they live and die with band-server's process.

use crate::model::{ChatId, Millis, WorkspaceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TerminalId(pub i64);

/// Columns and rows of a terminal, within the caps ([`TerminalSize::new`] checks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminalSize {
    cols: u16,
    rows: u16,
}

impl TerminalSize {
    pub const MAX_COLS: u16 = 500;
    pub const MAX_ROWS: u16 = 200;
    /// What a terminal gets when the client names no size.
    pub const DEFAULT: TerminalSize = TerminalSize { cols: 80, rows: 24 };
    /// A terminal agent's terminal when it starts (its watchers resize it).
    pub const AGENT: TerminalSize = TerminalSize { cols: 120, rows: 36 };

    /// # Errors
    /// [`crate::CoreError::InvalidInput`] unless `1 <= cols <= 500` and `1 <= rows <= 200`.
    pub fn new(cols: i64, rows: i64) -> Result<Self, crate::CoreError> {
        let check = |what: &str, v: i64, max: u16| {
            u16::try_from(v).ok().filter(|v| (1..=max).contains(v)).ok_or_else(|| {
                crate::CoreError::InvalidInput(format!("{what} must be between 1 and {max} (got {v})").into())
            })
        };
        Ok(Self { cols: check("cols", cols, Self::MAX_COLS)?, rows: check("rows", rows, Self::MAX_ROWS)? })
    }

    pub fn cols(self) -> u16 {
        self.cols
    }

    pub fn rows(self) -> u16 {
        self.rows
    }
}

/// How a terminal's shell ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TerminalExit {
    /// The exit code, when it exited.
    pub code: Option<i32>,
    /// The signal, when it was killed by one.
    pub signal: Option<i32>,
}

impl std::fmt::Display for TerminalExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}"),
            (None, Some(sig)) => write!(f, "killed by signal {sig}"),
            (None, None) => f.write_str("unknown status"),
        }
    }
}

/// A terminal as clients see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminal {
    pub id: TerminalId,
    pub workspace_id: WorkspaceId,
    /// The chat whose terminal agent runs in it; `None` for a shell.
    pub chat: Option<ChatId>,
    pub title: String,
    pub size: TerminalSize,
    pub created_at: Millis,
    /// The shell's process id (also its process group and session id).
    pub pid: Option<u32>,
    /// `None` while the shell runs.
    pub exit: Option<TerminalExit>,
    /// How many bytes of output the terminal has produced so far (the offset the next byte
    /// will have).
    pub output_end: u64,
}

/// A piece of a terminal's output: `data` starts at byte offset `start` of everything the
/// terminal ever printed. Offsets only grow; a `start` beyond what was asked for means the bytes
/// between were dropped from the scrollback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalOutput {
    pub start: u64,
    pub data: Vec<u8>,
}

impl TerminalOutput {
    /// The offset just past `data`.
    pub fn end(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}
