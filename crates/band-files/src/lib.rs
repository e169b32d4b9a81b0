//! band's workspace files adapter: [`LocalFiles`] implements band-core's
//! [`WorkspaceFiles`] port — directory listings and whole-file reads of a workspace for clients
//! (the dashboard's Files pane and downloads), contained to the workspace (SECURITY.md 13).
//!
//! # Why a crate of its own
//!
//! Containment needs no git: the `.git` rule is a rule about path components, checked on the
//! resolved path, and a linked worktree's `.git` file is refused like a repository's `.git`
//! directory. band-git's one invariant is that a repository never runs code through band;
//! this crate's is that nothing outside a workspace (or inside its git internals, or band's own
//! files) is ever read for a client. Keeping them apart keeps each crate's invariant one
//! sentence, and keeps the security-critical code small enough to read in one sitting, with its
//! own tests. It depends on band-core only, and is wired in by band-server.
//!
//! # How a path is checked, on every call
//!
//! 1. The workspace root is canonicalized (it may have been moved or replaced since it was
//!    stored). The requested path is a [`WorkspacePath`]: relative, no `..`, no `.git`.
//! 2. It is joined onto the canonical root and canonicalized: the kernel resolves every symlink
//!    on the way (a loop is refused).
//! 3. The resolved path is checked again, component by component (`Path::strip_prefix`, never a
//!    string prefix): it must not be one of band's own files (below); it must lie inside the
//!    canonical root; no component below the root may be named `.git` in any letter case.
//! 4. Its metadata must show a regular file (or a directory, to list) no larger than the limit.
//! 5. It is opened by its resolved path with `O_NOFOLLOW | O_NONBLOCK`, and `fstat` of the open
//!    descriptor must show the very inode that was checked (device and inode number), still a
//!    regular file (or directory): a path swapped between the checks and the open — for a
//!    symlink, a named pipe or another file — is refused, never served, and a pipe never blocks.
//! 6. The opened inode must not be one of band's own files (a hard link to band's settings
//!    would pass every path check). At most `limit + 1` bytes are read, so a file that grows
//!    while it is read is refused too.
//!
//! Listings read the directory through the descriptor opened and checked the same way, and
//! leave out `.git` entries, band's own files and names that are not UTF-8 or not a valid
//! [`WorkspacePath`] component; symlinks are listed as symlinks, not followed.
//!
//! # band's own files
//!
//! The entries band writes at the root of its home: `settings.json` (which holds the token),
//! `band.db` and `band.lock` (band-server's lock, with its pid and process scope), with their
//! temporary and journal siblings (`settings.json.tmp`, `band.db-wal`...).
//! The worktrees directory usually lies inside the home, so the rest of the home is not
//! refused wholesale; a file band adds to its home root must be added to [`BAND_FILES`].
//!
//! Everything here blocks and runs in `spawn_blocking`.

mod watch;

pub use watch::{NotifyWatcher, SKIPPED_DIRS};

use std::ffi::CStr;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use band_core::ports::WorkspaceFiles;
use band_core::{DirEntry, EntryKind, FileBytes, FileError, Listing, WorkspacePath, is_git_dir_name};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// Names of band's own entries at its home's root; an entry is band's when its name is one of
/// these, or one of these followed by `.` or `-` (temporary files, SQLite's `-wal` and `-shm`).
pub const BAND_FILES: &[&str] = &["settings.json", "band.db", "band.lock"];

/// The files adapter. Cheap to clone; holds only band's home directory.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    home: PathBuf,
}

impl LocalFiles {
    /// `home` is band's home directory (`$BAND_HOME`); it is canonicalized here.
    ///
    /// # Errors
    /// When `home` cannot be resolved (it does not exist).
    pub fn new(home: &Path) -> io::Result<Self> {
        Ok(Self { home: std::fs::canonicalize(home)? })
    }

    /// Is the resolved path `p` one of band's own files, or inside one?
    fn is_band_own(&self, p: &Path) -> bool {
        let Ok(rest) = p.strip_prefix(&self.home) else { return false };
        match rest.components().next() {
            Some(Component::Normal(name)) => name.to_str().is_some_and(is_band_name),
            _ => false,
        }
    }

    /// Device and inode of band's own files as they are now (for hard links).
    fn band_inodes(&self) -> Vec<(u64, u64)> {
        let Ok(entries) = std::fs::read_dir(&self.home) else { return Vec::new() };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_str().is_some_and(is_band_name))
            .filter_map(|e| std::fs::symlink_metadata(e.path()).ok())
            .filter(Metadata::is_file)
            .map(|m| (m.dev(), m.ino()))
            .collect()
    }

    /// Steps 1-3: the canonical root and the resolved, re-checked path.
    fn resolve(&self, root: &Path, path: &WorkspacePath) -> Result<(PathBuf, PathBuf), FileError> {
        let root = std::fs::canonicalize(root).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => FileError::RootMissing(root.to_owned()),
            _ => internal(e),
        })?;
        let mut target = root.clone();
        target.extend(path.components());
        let resolved = std::fs::canonicalize(&target).map_err(|e| io_error(e, path))?;
        let shown = || path.to_string();
        if self.is_band_own(&resolved) {
            return Err(FileError::BandFile(shown()));
        }
        let Ok(inside) = resolved.strip_prefix(&root) else {
            return Err(FileError::Outside(shown()));
        };
        let git = inside.components().any(|c| match c {
            Component::Normal(name) => name.to_str().is_some_and(is_git_dir_name),
            // Canonical paths have no `.` or `..`; anything else would be a bug: refuse it.
            _ => true,
        });
        if git {
            return Err(FileError::GitInternals(shown()));
        }
        Ok((root, resolved))
    }

    fn read_blocking(&self, root: &Path, path: &WorkspacePath, limit: u64) -> Result<FileBytes, FileError> {
        let (_, resolved) = self.resolve(root, path)?;
        let checked = std::fs::metadata(&resolved).map_err(|e| io_error(e, path))?;
        if checked.is_dir() {
            return Err(FileError::IsADirectory(path.to_string()));
        }
        if !checked.is_file() {
            return Err(FileError::NotRegular { path: path.to_string(), kind: special_kind(&checked) });
        }
        if checked.len() > limit {
            return Err(FileError::TooLarge { path: path.to_string(), size: checked.len(), limit });
        }
        let (file, opened) = open_checked(&resolved, &checked, path)?;
        if self.band_inodes().contains(&(opened.dev(), opened.ino())) {
            return Err(FileError::BandFile(path.to_string()));
        }
        let capacity = usize::try_from(opened.len().min(limit)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_error(e, path))?;
        let read = bytes.len() as u64;
        if read > limit {
            return Err(FileError::TooLarge { path: path.to_string(), size: read.max(opened.len()), limit });
        }
        Ok(FileBytes { path: path.clone(), bytes })
    }

    fn list_blocking(
        &self,
        root: &Path,
        dir: &WorkspacePath,
        offset: usize,
        max_entries: usize,
    ) -> Result<Listing, FileError> {
        let (_, resolved) = self.resolve(root, dir)?;
        let checked = std::fs::metadata(&resolved).map_err(|e| io_error(e, dir))?;
        if !checked.is_dir() {
            return Err(FileError::NotADirectory(dir.to_string()));
        }
        let (handle, _) = open_checked(&resolved, &checked, dir)?;
        let mut entries = Vec::new();
        for entry in rustix::fs::Dir::read_from(&handle).map_err(|e| io_error(e.into(), dir))? {
            let entry = entry.map_err(|e| io_error(e.into(), dir))?;
            let Ok(name) = entry.file_name().to_str() else { continue };
            if matches!(name, "." | "..") || is_git_dir_name(name) || self.is_band_own(&resolved.join(name)) {
                continue;
            }
            let Ok(path) = dir.join(name) else { continue };
            let kind = match entry.file_type() {
                FileType::Unknown => stat_entry(&handle, entry.file_name())
                    .map_or(EntryKind::Other, |s| kind_of(FileType::from_raw_mode(s.st_mode))),
                t => kind_of(t),
            };
            entries.push(DirEntry { name: name.to_owned(), path, kind, size: None });
        }
        entries.sort_by(|a, b| {
            let key = |e: &DirEntry| (e.kind != EntryKind::Dir, e.name.to_lowercase());
            key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
        });
        let total = entries.len();
        let offset = offset.min(total);
        entries.drain(..offset);
        let truncated = entries.len() > max_entries;
        entries.truncate(max_entries);
        for e in entries.iter_mut().filter(|e| e.kind == EntryKind::File) {
            // The name came from the directory as a C string; it has no NUL.
            e.size = std::ffi::CString::new(e.name.as_str())
                .ok()
                .and_then(|name| stat_entry(&handle, name.as_c_str()).ok())
                .and_then(|s| u64::try_from(s.st_size).ok());
        }
        Ok(Listing { entries, offset, total, truncated })
    }
}

#[async_trait]
impl WorkspaceFiles for LocalFiles {
    async fn list(
        &self,
        root: &Path,
        dir: &WorkspacePath,
        offset: usize,
        max_entries: usize,
    ) -> Result<Listing, FileError> {
        let (this, root, dir) = (self.clone(), root.to_owned(), dir.clone());
        blocking(move || this.list_blocking(&root, &dir, offset, max_entries)).await
    }

    async fn read(&self, root: &Path, file: &WorkspacePath, limit: u64) -> Result<FileBytes, FileError> {
        let (this, root, file) = (self.clone(), root.to_owned(), file.clone());
        blocking(move || this.read_blocking(&root, &file, limit)).await
    }
}

async fn blocking<T, F>(f: F) -> Result<T, FileError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, FileError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn is_band_name(name: &str) -> bool {
    BAND_FILES.iter().any(|own| {
        name.strip_prefix(own).is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('-'))
    })
}

/// Opens the regular file or directory at `path` — the resolved path whose metadata `checked`
/// passed the checks — read-only, without following a final symlink and without blocking on a
/// pipe, and makes sure it opened that very file: same device and inode, same type.
fn open_checked(path: &Path, checked: &Metadata, shown: &WorkspacePath) -> Result<(File, Metadata), FileError> {
    let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if checked.is_dir() {
        flags |= OFlags::DIRECTORY;
    }
    let changed = || FileError::Changed(shown.to_string());
    let file = match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        // A symlink now, or gone, or no longer a directory: it changed after it was checked.
        Err(rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR | rustix::io::Errno::NOENT) => return Err(changed()),
        Err(e) => return Err(io_error(e.into(), shown)),
    };
    let opened = file.metadata().map_err(internal)?;
    let same_type = (opened.is_file() && checked.is_file()) || (opened.is_dir() && checked.is_dir());
    if !same_type || (opened.dev(), opened.ino()) != (checked.dev(), checked.ino()) {
        return Err(changed());
    }
    Ok((file, opened))
}

fn stat_entry(dir: &File, name: &CStr) -> rustix::io::Result<rustix::fs::Stat> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
}

fn kind_of(t: FileType) -> EntryKind {
    match t {
        FileType::Directory => EntryKind::Dir,
        FileType::RegularFile => EntryKind::File,
        FileType::Symlink => EntryKind::Symlink,
        _ => EntryKind::Other,
    }
}

/// What a file that is neither a regular file nor a directory is, with its article.
fn special_kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

fn io_error(e: io::Error, path: &WorkspacePath) -> FileError {
    let errno = e.raw_os_error();
    if errno == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        return FileError::SymlinkLoop(path.to_string());
    }
    if errno == Some(rustix::io::Errno::NAMETOOLONG.raw_os_error()) {
        return FileError::NotFound(path.to_string());
    }
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => FileError::NotFound(path.to_string()),
        io::ErrorKind::PermissionDenied => FileError::PermissionDenied(path.to_string()),
        _ => internal(e),
    }
}

fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> FileError {
    FileError::Internal(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(p: &Path) -> Metadata {
        std::fs::metadata(p).expect("metadata")
    }

    #[test]
    fn a_file_swapped_after_the_checks_is_refused_not_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (checked, other) = (dir.path().join("checked"), dir.path().join("other"));
        std::fs::write(&checked, "checked").expect("write");
        std::fs::write(&other, "other").expect("write");
        let shown = WorkspacePath::new("f").expect("path");
        let changed = "'f' changed while it was being read; try again";
        let before = metadata(&checked);
        assert!(open_checked(&checked, &before, &shown).is_ok(), "unchanged: opened");

        // Replaced by another file (rename over it).
        std::fs::rename(&other, &checked).expect("swap");
        let e = open_checked(&checked, &before, &shown).expect_err("another inode");
        assert_eq!(e.to_string(), changed);

        // Replaced by a symlink: the final component is not followed.
        std::fs::remove_file(&checked).expect("rm");
        std::os::unix::fs::symlink("/etc/hostname", &checked).expect("symlink");
        let e = open_checked(&checked, &before, &shown).expect_err("a symlink");
        assert_eq!(e.to_string(), changed);

        // Replaced by a named pipe: opening it does not wait for a writer, and it is refused.
        std::fs::remove_file(&checked).expect("rm");
        assert!(std::process::Command::new("mkfifo").arg(&checked).status().expect("mkfifo").success());
        let e = open_checked(&checked, &before, &shown).expect_err("a pipe");
        assert_eq!(e.to_string(), changed);

        // Replaced by a directory, and a directory replaced by a file.
        std::fs::remove_file(&checked).expect("rm");
        std::fs::create_dir(&checked).expect("mkdir");
        assert_eq!(open_checked(&checked, &before, &shown).expect_err("a dir").to_string(), changed);
        let dir_before = metadata(&checked);
        std::fs::remove_dir(&checked).expect("rmdir");
        std::fs::write(&checked, "x").expect("write");
        assert_eq!(open_checked(&checked, &dir_before, &shown).expect_err("a file").to_string(), changed);
    }

    #[test]
    fn band_names_are_its_files_and_their_siblings_only() {
        for own in [
            "settings.json",
            "settings.json.tmp",
            "band.db",
            "band.db-wal",
            "band.db-shm",
            "band.db-journal",
            "band.lock",
        ] {
            assert!(is_band_name(own), "{own}");
        }
        for other in
            ["settings.jsonx", "band.dbx", "band", "worktrees", "my-settings.json", "Settings.json.bak2x", "band.locks"]
        {
            assert!(!is_band_name(other), "{other}");
        }
    }

    #[test]
    fn band_own_files_are_judged_below_the_home_root_only() {
        let home = tempfile::tempdir().expect("tempdir");
        let files = LocalFiles::new(home.path()).expect("files");
        let h = &files.home;
        assert!(files.is_band_own(&h.join("settings.json")));
        assert!(files.is_band_own(&h.join("band.db-wal")));
        assert!(!files.is_band_own(&h.join("worktrees/app/main/settings.json")), "a project's own settings.json");
        assert!(!files.is_band_own(&h.join("worktrees/app/main/band.db")));
        assert!(!files.is_band_own(h), "the home itself may be listed (band's files are left out)");
        assert!(!files.is_band_own(Path::new("/etc/settings.json")));
        // Component-wise: a sibling directory whose name starts like the home is not the home.
        let sibling = PathBuf::from(format!("{}x/settings.json", h.display()));
        assert!(!files.is_band_own(&sibling));
    }
}
