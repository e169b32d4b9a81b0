//! Copying files git does not track from a project's checkout into a new worktree: copyFiles
//! globs, and the gitignored files `.worktreeinclude` names (`.env`...). Which files are
//! untracked or ignored is git's answer (`ls-files`), through the hardened command; matching and
//! copying happen here, with every path checked: regular files only (never a symlink), never over
//! a file the worktree has, never through a directory of the worktree that is a symlink, never
//! into or out of `.git`.

use std::io::Read;
use std::path::{Component, Path};

use band_core::{CopyGlob, CopyReport, GitError};

/// The most files one copy brings (more are listed as skipped).
pub(crate) const MAX_FILES: usize = 10_000;
/// The most bytes one copy brings.
pub(crate) const MAX_BYTES: u64 = 1 << 30;
/// The largest `.worktreeinclude` read.
const MAX_INCLUDE_BYTES: u64 = 64 * 1024;

/// The patterns of `<root>/.worktreeinclude` (a regular file, not a symlink), if it has one.
pub(crate) fn include_patterns(root: &Path) -> Vec<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = root.join(".worktreeinclude");
    let Ok(file) = std::fs::OpenOptions::new().read(true).custom_flags(nofollow()).open(&path) else {
        return Vec::new();
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    let mut text = String::new();
    if file.take(MAX_INCLUDE_BYTES).read_to_string(&mut text).is_err() {
        return Vec::new();
    }
    text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

/// `O_NOFOLLOW | O_NONBLOCK`: a symlink is refused, and a FIFO never blocks.
fn nofollow() -> i32 {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    i32::try_from(flags.bits()).unwrap_or(0)
}

/// Matchers for the globs and the include patterns.
pub(crate) struct Selection {
    globs: Option<globset::GlobSet>,
    include: Option<ignore::gitignore::Gitignore>,
}

impl Selection {
    /// # Errors
    /// A glob globset cannot compile (band-core already refused any that escape).
    pub(crate) fn new(root: &Path, globs: &[CopyGlob], include: &[String]) -> Result<Self, GitError> {
        let globs = if globs.is_empty() {
            None
        } else {
            let mut set = globset::GlobSetBuilder::new();
            for g in globs {
                let glob = globset::GlobBuilder::new(g.as_str())
                    .literal_separator(true)
                    .build()
                    .map_err(|e| GitError::Refused(format!("copyFiles glob '{g}' is not a valid glob: {e}")))?;
                set.add(glob);
            }
            Some(set.build().map_err(|e| GitError::Internal(Box::new(e)))?)
        };
        let include = if include.is_empty() {
            None
        } else {
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            for line in include {
                // A line gitignore cannot read is skipped, as git itself skips it.
                let _ = builder.add_line(None, line);
            }
            Some(builder.build().map_err(|e| GitError::Internal(Box::new(e)))?)
        };
        Ok(Self { globs, include })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.globs.is_none() && self.include.is_none()
    }

    pub(crate) fn wants_ignored(&self) -> bool {
        self.include.is_some()
    }

    pub(crate) fn by_glob(&self, rel: &str) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(rel))
    }

    pub(crate) fn by_include(&self, rel: &str) -> bool {
        self.include.as_ref().is_some_and(|i| i.matched_path_or_any_parents(rel, false).is_ignore())
    }
}

/// Whether `rel` (from git) is a plain relative path with no `.git` component.
fn plain(rel: &str) -> bool {
    let path = Path::new(rel);
    !rel.is_empty()
        && path.components().all(|c| match c {
            Component::Normal(n) => !n.to_string_lossy().eq_ignore_ascii_case(".git"),
            _ => false,
        })
}

/// Copies each of `paths` (relative, as git listed them) from `from` into `to`, within the
/// limits; blocks.
pub(crate) fn copy_all(from: &Path, to: &Path, paths: &[String]) -> CopyReport {
    let mut report = CopyReport::default();
    for rel in paths {
        if report.copied.len() >= MAX_FILES || report.bytes >= MAX_BYTES {
            report.skipped.push((rel.clone(), format!("over the limit of {MAX_FILES} files or 1 GiB per workspace")));
            continue;
        }
        if !plain(rel) {
            report.skipped.push((rel.clone(), "not a plain path inside the repository".into()));
            continue;
        }
        match copy_one(from, to, rel) {
            Ok(bytes) => {
                report.bytes += bytes;
                report.copied.push(rel.clone());
            }
            Err(why) => report.skipped.push((rel.clone(), why)),
        }
    }
    report
}

fn copy_one(from: &Path, to: &Path, rel: &str) -> Result<u64, String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let src = from.join(rel);
    let meta = std::fs::symlink_metadata(&src).map_err(|e| format!("cannot be read: {e}"))?;
    if meta.file_type().is_symlink() {
        return Err("a symlink; only regular files are copied".into());
    }
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    // Every directory on the way must be a real directory of the worktree (a tracked symlink
    // would lead the copy out of it).
    let mut dir = to.to_owned();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "'{}' is a symlink in the worktree",
                    dir.strip_prefix(to).unwrap_or(&dir).display()
                ));
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(format!("'{}' is a file in the worktree", dir.strip_prefix(to).unwrap_or(&dir).display()));
            }
            Err(_) => std::fs::create_dir(&dir).map_err(|e| format!("cannot create its directory: {e}"))?,
        }
    }
    let dst = to.join(rel);
    if std::fs::symlink_metadata(&dst).is_ok() {
        return Err("the worktree already has it".into());
    }
    let mut input = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nofollow())
        .open(&src)
        .map_err(|e| format!("cannot be read: {e}"))?;
    let mode = meta.permissions().mode() & 0o777;
    let mut output = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(nofollow())
        .open(&dst)
        .map_err(|e| format!("cannot be written: {e}"))?;
    let bytes = std::io::copy(&mut input, &mut output).map_err(|e| format!("copying failed: {e}"))?;
    let _ = std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode));
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_keep_to_their_directory_and_include_patterns_read_as_gitignore() {
        let globs = [CopyGlob::new(".env").expect("g"), CopyGlob::new("config/*.json").expect("g")];
        let s = Selection::new(Path::new("/r"), &globs, &[".env.*".into(), "secrets/".into(), "!secrets/keep".into()])
            .expect("selection");
        assert!(s.by_glob(".env") && s.by_glob("config/a.json"));
        assert!(!s.by_glob("config/deep/a.json") && !s.by_glob("sub/.env"), "'*' stays in its directory");
        assert!(s.by_include(".env.local") && s.by_include("sub/.env.test"), "no slash: any depth");
        assert!(s.by_include("secrets/key.pem") && !s.by_include("secrets/keep"));
        assert!(!s.by_include("src/main.rs"));
        assert!(plain("a/b") && !plain("../a") && !plain("/a") && !plain("x/.GIT/config"));
    }
}
