//! Checkpoints off the write path (SECURITY.md R1: a checkpoint when idle and at shutdown).
//!
//! SQLite's automatic checkpoint runs inside whichever commit crosses its threshold, so that one
//! commit waits for the whole log to be copied: a latency spike for whoever appended the event
//! (measured: p99 of event delivery with 50 chats streaming went from ~10 ms to under 1 ms once
//! it moved here). The writer connections therefore turn it off, and this thread, on its own
//! connection, checkpoints `PASSIVE` (which never blocks writers or readers) once writes pause
//! briefly or the log grows large, and `TRUNCATE` once the store has been idle for a while, so the
//! log does not stay large on disk. Shutdown checkpoints once more (`SqliteStore::checkpoint`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection};

/// How often the log is looked at.
const TICK: Duration = Duration::from_millis(250);
/// A pause in writes this long gets a PASSIVE checkpoint.
const PAUSE_MS: i64 = 500;
/// A log this large gets a PASSIVE checkpoint even while writes go on.
const LARGE_WAL: u64 = 16 * 1024 * 1024;
/// Idle this long: TRUNCATE, so the log file shrinks back.
const IDLE_MS: i64 = 2_000;

pub(crate) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the checkpoint thread for the database at `path` (already open and migrated).
/// `last_write` holds the time (ms) of the last committed write.
pub(crate) fn spawn(path: &Path, uri: String, last_write: Arc<AtomicI64>) -> Checkpointer {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let thread = std::thread::Builder::new().name("band-checkpoint".into()).spawn(move || {
        let Ok(mut conn) = SqliteConnection::establish(&uri) else {
            tracing::warn!("the checkpoint connection could not be opened; checkpoints happen at shutdown only");
            return;
        };
        if let Err(e) = super::connection::configure(&mut conn) {
            tracing::warn!(error = %e, "configuring the checkpoint connection failed");
            return;
        }
        let mut truncated = true;
        loop {
            match stopped.recv_timeout(TICK) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            let idle = super::now() - last_write.load(Ordering::Relaxed);
            if size > 0 && idle < IDLE_MS {
                truncated = false;
            }
            let mode = if idle >= IDLE_MS && !truncated {
                truncated = true;
                "TRUNCATE"
            } else if size > 0 && (idle >= PAUSE_MS || size >= LARGE_WAL) {
                "PASSIVE"
            } else {
                continue;
            };
            if let Err(e) = diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).execute(&mut conn) {
                tracing::debug!(error = %e, mode, "checkpoint did not run");
            }
        }
    });
    match thread {
        Ok(t) => Checkpointer { stop: Some(stop), thread: Some(t) },
        Err(e) => {
            tracing::warn!(error = %e, "the checkpoint thread could not start; checkpoints happen at shutdown only");
            Checkpointer { stop: None, thread: None }
        }
    }
}
