//! One band-server per home, and nothing left running of the one before it.
//!
//! `$BAND_HOME/band.lock` is held with an exclusive `flock` for the server's whole life (the
//! kernel releases it when the process ends, however it ends, and no child inherits it: the file
//! is opened close-on-exec). A second server on the same home fails to start, naming the first
//! one's pid (and port, once it listens), after waiting a moment for a lock that is being let
//! go (a child forked just then shares it until its `exec`).
//!
//! The file also records this server's process scope prefix (band-process's
//! `Supervisor::prefix`, `<pid>.<nonce>`). A server killed with `kill -9` cannot stop what it
//! started: its agents die with it (band-process arms the parent-death signal), but what they
//! started — a tool's `sleep 300`, a dev server — does not. So the next server on the home,
//! once it holds the lock (and so knows the last one is gone), KILLs every process whose scope
//! marker starts with the recorded prefix, before anything else happens: before chats left
//! working are marked interrupted, and before its own first process. A live server of another
//! home has another prefix and is never touched.
//!
//! The format is one `key value` per line (`pid`, `scope`, then `port`). A rewrite (the port, once
//! known) writes the same first lines again, so a crash in the middle of it cannot lose the scope.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use band_process::Supervisor;
use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::StartError;

/// The lock file's name in band's home.
pub const LOCK_FILE: &str = "band.lock";

/// What a server records about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub pid: Option<u32>,
    /// Its scope prefix, `<pid>.<nonce>`.
    pub scope: Option<String>,
    pub port: Option<u16>,
}

impl Record {
    fn parse(text: &str) -> Self {
        let mut record = Record::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(' ') else { continue };
            match key {
                "pid" => record.pid = value.trim().parse().ok(),
                "scope" => record.scope = Some(value.trim().to_owned()).filter(|s| !s.is_empty()),
                "port" => record.port = value.trim().parse().ok(),
                _ => {}
            }
        }
        record
    }

    fn render(&self) -> String {
        let mut text = String::new();
        if let Some(pid) = self.pid {
            text.push_str(&format!("pid {pid}\n"));
        }
        if let Some(scope) = &self.scope {
            text.push_str(&format!("scope {scope}\n"));
        }
        if let Some(port) = self.port {
            text.push_str(&format!("port {port}\n"));
        }
        text
    }
}

/// This server's hold on its home. Dropping it releases the lock.
#[derive(Debug)]
pub struct Instance {
    path: PathBuf,
    file: Mutex<File>,
    record: Mutex<Record>,
}

impl Instance {
    /// Takes the home's lock, KILLs what the last server on it left running, and records this
    /// server (`supervisor`'s prefix and this process's pid).
    ///
    /// # Errors
    /// Another live band-server holds the lock (the message names it and what to do), or the lock
    /// file cannot be opened or written.
    pub fn acquire(home: &Path, supervisor: &Supervisor) -> Result<Self, StartError> {
        let path = home.join(LOCK_FILE);
        let cannot = |what: &str, e: &dyn std::fmt::Display| {
            StartError::Config(format!("cannot {what} {}: {e}", path.display()))
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| cannot("open", &e))?;
        match lock_patiently(&file) {
            Ok(()) => {}
            Err(Errno::WOULDBLOCK) => {
                let other = read(&mut file);
                let who = match (other.pid, other.port) {
                    (Some(pid), Some(port)) => format!(" (pid {pid}, port {port})"),
                    (Some(pid), None) => format!(" (pid {pid})"),
                    _ => String::new(),
                };
                return Err(StartError::Config(format!(
                    "band-server is already running on this home{who}; stop it or use another --home (home: {})",
                    home.display()
                )));
            }
            Err(e) => {
                return Err(StartError::Config(format!(
                    "cannot lock {}: {e}; band-server needs its home on a filesystem that supports flock \
                     (choose another --home)",
                    path.display()
                )));
            }
        }
        let previous = read(&mut file);
        if let Some(scope) = previous.scope.as_deref().filter(|s| *s != supervisor.prefix()) {
            match band_process::kill_prefix(scope) {
                Ok(0) => {}
                Ok(killed) => tracing::warn!(
                    killed,
                    pid = previous.pid,
                    "killed what the last band-server on this home left running (it did not shut down)"
                ),
                Err(e) => tracing::warn!(error = %e, "{} names no process scope; nothing swept", path.display()),
            }
        }
        let record = Record { pid: Some(std::process::id()), scope: Some(supervisor.prefix().to_owned()), port: None };
        let instance = Self { path: path.clone(), file: Mutex::new(file), record: Mutex::new(record) };
        instance.write().map_err(|e| cannot("write", &e))?;
        Ok(instance)
    }

    /// Records the port this server listens on, for the message a second server gives.
    pub fn record_port(&self, port: u16) {
        self.record.lock().unwrap_or_else(|p| p.into_inner()).port = Some(port);
        if let Err(e) = self.write() {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot record the port");
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let text = self.record.lock().unwrap_or_else(|p| p.into_inner()).render();
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.seek(SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())?;
        file.set_len(text.len() as u64)?;
        Ok(())
    }
}

/// How long a start waits for a lock that another holder may be about to let go.
const LOCK_PATIENCE: Duration = Duration::from_secs(1);

/// Takes the lock, waiting up to [`LOCK_PATIENCE`] while it is held. A lock can outlive its
/// server for a moment: a `fork` (band's own, or another thread's in the same process) shares the
/// lock's open file until the child's `exec` closes it, and a stopped server's process may still
/// be exiting. A live server holds it for longer, and is refused after the wait.
fn lock_patiently(file: &File) -> Result<(), Errno> {
    let deadline = Instant::now() + LOCK_PATIENCE;
    loop {
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Err(Errno::WOULDBLOCK) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            other => return other,
        }
    }
}

/// The record in the lock file; an unreadable file is an empty record.
fn read(file: &mut File) -> Record {
    let mut text = String::new();
    let read = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text));
    match read {
        Ok(_) => Record::parse(&text),
        Err(_) => Record::default(),
    }
}

/// The record of the server on `home`, if a lock file is there (tests, diagnostics).
pub fn recorded(home: &Path) -> Option<Record> {
    let text = std::fs::read_to_string(home.join(LOCK_FILE)).ok()?;
    Some(Record::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use band_process::{Spec, Stop};

    fn sleeper(tag: &str) -> Spec {
        Spec::new("/bin/bash").args(["-c", &format!("exec -a {tag} sleep 1000")])
    }

    fn running(needle: &str) -> bool {
        std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .any(|pid| {
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                let zombie = stat.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
                !zombie && String::from_utf8_lossy(&cmd).contains(needle)
            })
    }

    #[test]
    fn the_record_survives_a_round_trip_and_garbage_is_no_record() {
        let r = Record { pid: Some(42), scope: Some("42.abc-0".into()), port: Some(3456) };
        assert_eq!(Record::parse(&r.render()), r);
        assert_eq!(Record::parse("garbage\n\0\0"), Record::default());
        // A rewrite cut short after the first lines still has the scope.
        assert_eq!(Record::parse("pid 42\nscope 42.abc-0\npo").scope.as_deref(), Some("42.abc-0"));
    }

    #[tokio::test]
    async fn a_second_server_on_a_home_is_refused_naming_the_first() {
        let home = tempfile::tempdir().expect("tempdir");
        let first = Instance::acquire(home.path(), &Supervisor::new()).expect("first");
        first.record_port(4242);
        let e = Instance::acquire(home.path(), &Supervisor::new()).expect_err("second");
        assert_eq!(
            e.to_string(),
            format!(
                "band-server is already running on this home (pid {}, port 4242); stop it or use another --home (home: {})",
                std::process::id(),
                home.path().display()
            )
        );
        drop(first);
        let again = Instance::acquire(home.path(), &Supervisor::new()).expect("free again once the first is gone");
        drop(again);
    }

    /// Seen in CI under load: a server stopped and a new one started at once on the same home
    /// was refused, the lock still shared by a child forked a moment before (it lets go at its
    /// `exec`). Here the lock is held by another open file of it, let go 200 ms later.
    #[test]
    fn a_lock_let_go_a_moment_later_is_waited_for() {
        let home = tempfile::tempdir().expect("tempdir");
        let holder = File::create(home.path().join(LOCK_FILE)).expect("open");
        flock(&holder, FlockOperation::NonBlockingLockExclusive).expect("held");
        let let_go = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(holder);
        });
        let started = Instant::now();
        let instance = Instance::acquire(home.path(), &Supervisor::new()).expect("taken once let go");
        assert!(started.elapsed() >= Duration::from_millis(150), "it was not held at all");
        let_go.join().expect("thread");
        drop(instance);
    }

    #[tokio::test]
    async fn a_dead_servers_processes_are_swept_and_a_live_ones_are_not() {
        let home = tempfile::tempdir().expect("tempdir");
        let tag = format!("band-instance-{}", std::process::id());
        // A server that died without stopping its processes: its record is in the lock file, and
        // nothing holds the lock.
        let dead = Supervisor::new();
        let orphan = dead.spawn(sleeper(&format!("{tag}-dead"))).await.expect("spawn").watch();
        drop(Instance::acquire(home.path(), &dead).expect("dead server"));
        assert_eq!(recorded(home.path()).and_then(|r| r.scope), Some(dead.prefix().to_owned()));
        // A live server of another home.
        let other_home = tempfile::tempdir().expect("tempdir");
        let live = Supervisor::new();
        let _live_instance = Instance::acquire(other_home.path(), &live).expect("live server");
        let alive = live.spawn(sleeper(&format!("{tag}-live"))).await.expect("spawn").watch();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(running(&format!("{tag}-dead")) && running(&format!("{tag}-live"))) {
            assert!(Instant::now() < deadline, "the sleepers did not start");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let next = Supervisor::new();
        let _instance = Instance::acquire(home.path(), &next).expect("the next server");
        let deadline = Instant::now() + Duration::from_secs(2);
        while running(&format!("{tag}-dead")) {
            assert!(Instant::now() < deadline, "the dead server's process outlived the next start");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(orphan.exited().await.signal, Some(9));
        assert!(running(&format!("{tag}-live")), "another home's server was touched");
        assert_eq!(recorded(home.path()).and_then(|r| r.scope), Some(next.prefix().to_owned()));
        alive.stop(Stop::KILL).await;
    }
}
