//! [`NotifyWatcher`]: band-core's [`FileWatcher`] on inotify (the `notify` crate), so edits made
//! outside band refresh the dashboard's Changes and Files panes.
//!
//! - **Bounded.** One inotify watch per directory (inotify is not recursive), added by walking
//!   the tree breadth-first, so the shallow directories people edit come first; never into
//!   `.git`, `node_modules`, `target`, `.venv` or `__pycache__` (nobody edits those by hand, and
//!   a big repository's weight is there). At most `max_dirs` per workspace: past it, or when the
//!   kernel refuses more (`fs.inotify.max_user_watches`), the watch keeps what it has and says
//!   so once ([`WatchEvent::Degraded`]); clients refresh by hand for the rest.
//! - **Debounced.** Events are gathered until `quiet` passes without one (at most `max_wait`
//!   after the first), then reported once, each path once.
//! - **Followed.** A directory created later is watched too (within the bound).
//! - **Stopped.** Dropping the [`Watching`] drops the inotify instance (every watch with it);
//!   its thread sees the channel close and ends.

use std::collections::{BTreeSet, VecDeque};
use std::path::Path;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use band_core::ports::{FileWatcher, WatchEvent, WatchSink, Watching};
use band_core::{FileError, WorkspacePath, is_git_dir_name};
use notify::{EventKind, RecursiveMode, Watcher};

/// Directory names never watched.
pub const SKIPPED_DIRS: &[&str] = &["node_modules", "target", ".venv", "__pycache__"];

fn skipped(name: &str) -> bool {
    is_git_dir_name(name) || SKIPPED_DIRS.contains(&name)
}

#[derive(Debug, Clone)]
pub struct NotifyWatcher {
    pub max_dirs: usize,
    pub quiet: Duration,
    pub max_wait: Duration,
}

impl Default for NotifyWatcher {
    fn default() -> Self {
        Self { max_dirs: 8192, quiet: Duration::from_millis(150), max_wait: Duration::from_secs(1) }
    }
}

type Shared = Arc<Mutex<notify::RecommendedWatcher>>;

/// Watches `dirs` until the bound; the directories left unwatched and why, if any.
struct Bound {
    watched: usize,
    max: usize,
    degraded: Option<String>,
}

impl Bound {
    /// Adds a watch on `dir`; false once the bound or the kernel's limit is reached.
    fn add(&mut self, watcher: &Shared, dir: &Path) -> bool {
        if self.degraded.is_some() {
            return false;
        }
        if self.watched >= self.max {
            self.degraded = Some(format!(
                "live refresh covers the first {} directories only; press Refresh for changes elsewhere",
                self.max
            ));
            return false;
        }
        let mut w = watcher.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match w.watch(dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                self.watched += 1;
                true
            }
            Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                self.degraded = Some(format!(
                    "the system's inotify watch limit (fs.inotify.max_user_watches) is reached after {} directories; live refresh is partial, press Refresh for changes elsewhere (or raise the limit)",
                    self.watched
                ));
                false
            }
            // A directory gone meanwhile, or unreadable: nothing to watch there.
            Err(_) => true,
        }
    }
}

/// Breadth-first from `start`, skipping the directories no one edits.
fn walk(watcher: &Shared, start: &Path, bound: &mut Bound) {
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(dir) = queue.pop_front() {
        if !bound.add(watcher, &dir) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !e.file_name().to_str().is_some_and(skipped) {
                queue.push_back(e.path());
            }
        }
    }
}

/// `path` relative to `root`, when it is a path a client may see.
fn relative(root: &Path, path: &Path) -> Option<WorkspacePath> {
    let rel = path.strip_prefix(root).ok()?;
    let text = rel.to_str()?;
    if text.is_empty() || rel.components().any(|c| c.as_os_str().to_str().is_none_or(skipped)) {
        return None;
    }
    WorkspacePath::new(text).ok()
}

impl FileWatcher for NotifyWatcher {
    fn watch(&self, root: &Path, sink: WatchSink) -> Result<Watching, FileError> {
        let root = std::fs::canonicalize(root)
            .ok()
            .filter(|r| r.is_dir())
            .ok_or_else(|| FileError::RootMissing(root.to_owned()))?;
        let (tx, rx) = channel();
        let watcher = notify::recommended_watcher(tx).map_err(|e| FileError::Internal(Box::new(e)))?;
        let shared: Shared = Arc::new(Mutex::new(watcher));
        let weak: Weak<Mutex<notify::RecommendedWatcher>> = Arc::downgrade(&shared);
        let cfg = self.clone();
        std::thread::Builder::new()
            .name("band-watch".into())
            .spawn(move || run(&root, &weak, &rx, &sink, &cfg))
            .map_err(|e| FileError::Internal(Box::new(e)))?;
        Ok(Box::new(shared))
    }
}

fn run(
    root: &Path,
    weak: &Weak<Mutex<notify::RecommendedWatcher>>,
    rx: &std::sync::mpsc::Receiver<notify::Result<notify::Event>>,
    sink: &WatchSink,
    cfg: &NotifyWatcher,
) {
    let mut bound = Bound { watched: 0, max: cfg.max_dirs, degraded: None };
    match weak.upgrade() {
        Some(w) => walk(&w, root, &mut bound),
        None => return,
    }
    let mut said = false;
    let mut say = |bound: &Bound| {
        if let (false, Some(why)) = (said, &bound.degraded) {
            said = true;
            sink(WatchEvent::Degraded(why.clone()));
        }
    };
    say(&bound);
    loop {
        // Wait for the first event of a burst; the channel closes when the watch is dropped.
        let Ok(first) = rx.recv() else { return };
        let started = Instant::now();
        let mut paths = BTreeSet::new();
        let mut take = |ev: notify::Result<notify::Event>, bound: &mut Bound| {
            let Ok(ev) = ev else { return };
            if matches!(ev.kind, EventKind::Access(_)) {
                return;
            }
            for p in ev.paths {
                let Some(rel) = relative(root, &p) else { continue };
                if matches!(ev.kind, EventKind::Create(_))
                    && p.is_dir()
                    && let Some(w) = weak.upgrade()
                {
                    walk(&w, &p, bound);
                }
                paths.insert(rel);
            }
        };
        take(first, &mut bound);
        loop {
            let left = cfg.max_wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(cfg.quiet.min(left)) {
                Ok(ev) => take(ev, &mut bound),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        say(&bound);
        if !paths.is_empty() {
            sink(WatchEvent::Changed(paths.into_iter().collect()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_leave_out_git_internals_and_skipped_directories() {
        let root = Path::new("/w");
        assert_eq!(relative(root, Path::new("/w/src/a.rs")).map(|p| p.to_string()), Some("src/a.rs".into()));
        for p in ["/w/.git/index", "/w/node_modules/x/y.js", "/w/target/debug/b", "/w", "/elsewhere/a"] {
            assert_eq!(relative(root, Path::new(p)), None, "{p}");
        }
    }
}
