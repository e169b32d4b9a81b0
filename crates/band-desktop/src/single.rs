//! One band-desktop per home. The first holds `$BAND_HOME/desktop/shell.lock` (an exclusive
//! `flock`, released by the kernel however the process ends) and listens on
//! `$BAND_HOME/desktop/shell.sock` (a Unix socket, mode 0600 in a 0700 directory); a second one
//! started on the same home asks the first to show its window and exits.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::DesktopError;

/// The shell's own files in band's home.
pub fn dir(home: &Path) -> PathBuf {
    home.join("desktop")
}

/// This shell's hold on the home.
#[derive(Debug)]
pub struct Single {
    _lock: File,
    pub socket: PathBuf,
}

/// What taking the home found.
#[derive(Debug)]
pub enum Taken {
    /// This is the first shell on the home.
    First(Single),
    /// Another shell runs there; it was asked to show its window.
    Shown { pid: Option<u32> },
}

/// Takes the home for this shell, or asks the shell holding it to show its window.
///
/// # Errors
/// The directory or lock file cannot be made (an unwritable home), or the other shell does not
/// answer.
pub fn take(home: &Path) -> Result<Taken, DesktopError> {
    let dir = dir(home);
    let cannot = |what: &str, path: &Path, e: std::io::Error| {
        DesktopError::Home(format!(
            "cannot {what} {} ({e}); choose another home with --home or BAND_HOME, or fix its permissions",
            path.display()
        ))
    };
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(|e| cannot("create", &dir, e))?;
    let lock_path = dir.join("shell.lock");
    let socket = dir.join("shell.sock");
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| cannot("open", &lock_path, e))?;
    match flock(&lock, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {
            lock.set_len(0).map_err(|e| cannot("write", &lock_path, e))?;
            lock.write_all(format!("pid {}\n", std::process::id()).as_bytes())
                .map_err(|e| cannot("write", &lock_path, e))?;
            // A socket left by a shell that died is in the way of ours.
            let _ = std::fs::remove_file(&socket);
            Ok(Taken::First(Single { _lock: lock, socket }))
        }
        Err(Errno::WOULDBLOCK) => {
            let mut text = String::new();
            let _ = lock.read_to_string(&mut text);
            let pid = text.strip_prefix("pid ").and_then(|p| p.trim().parse().ok());
            let mut stream = std::os::unix::net::UnixStream::connect(&socket).map_err(|e| {
                DesktopError::Server(format!(
                    "band-desktop is already running on this home{} but does not answer on {} ({e})",
                    pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
                    socket.display()
                ))
            })?;
            let _ = stream.write_all(b"show\n");
            Ok(Taken::Shown { pid })
        }
        Err(e) => Err(cannot("lock", &lock_path, std::io::Error::from(e))),
    }
}
