//! `fs.complete`: directories completing a path typed in the dashboard (adding a project), for
//! the main token only. `~` is the server user's home; only directory names are listed (never a
//! file's contents), hidden ones only when the typed name starts with a dot, at most [`LIMIT`];
//! a directory the server user cannot list gives nothing.

use std::path::{Path, PathBuf};

use band_core::CoreError;
use jsonrpsee::RpcModule;

use super::{ApiContext, Reg, add};
use band_api::{self as api};

/// The most entries returned.
pub const LIMIT: usize = 50;

pub(super) fn methods(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::FsComplete, _, _>(m, |_, p| async move {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        tokio::task::spawn_blocking(move || complete(&p.prefix, home.as_deref()))
            .await
            .map_err(|e| CoreError::Internal(Box::new(e)))?
    })
}

/// The directories completing `prefix`, `~` expanded with `home`.
pub fn complete(prefix: &str, home: Option<&Path>) -> Result<api::FsCompletion, CoreError> {
    let typed = prefix.trim();
    let expanded = match (typed.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{}", home.display(), if rest.is_empty() { "/" } else { rest })
        }
        (Some(_), _) => {
            return Err(CoreError::InvalidInput(
                format!("'{typed}': only '~' or '~/...' (this user's home) is expanded").into(),
            ));
        }
        (None, _) => typed.to_owned(),
    };
    if !expanded.starts_with('/') {
        return Err(CoreError::InvalidInput(format!("'{typed}' is not an absolute path: start with / or ~/").into()));
    }
    // "/a/b/" lists /a/b; "/a/b/pr" lists /a/b for names starting with "pr".
    let (dir, start) = match expanded.rfind('/') {
        Some(i) => (&expanded[..=i], &expanded[i + 1..]),
        None => ("/", expanded.as_str()),
    };
    let dir = PathBuf::from(dir);
    let mut found = Vec::new();
    if let Ok(read) = std::fs::read_dir(&dir) {
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with(start) || (name.starts_with('.') && !start.starts_with('.')) {
                continue;
            }
            // Symbolic links to directories count: people keep projects behind them.
            if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    let truncated = found.len() > LIMIT;
    found.truncate(LIMIT);
    let entries = found
        .into_iter()
        .map(|path| {
            let git = path.join(".git").exists();
            let no_commits = git && !has_commits(&path.join(".git"));
            api::FsEntryInfo { path: path.display().to_string(), git, no_commits }
        })
        .collect();
    Ok(api::FsCompletion { dir: dir.display().to_string(), entries, truncated })
}

/// Whether a repository's HEAD names a commit: a detached HEAD, or a branch with a ref (loose or
/// packed). A `.git` file (a linked worktree) counts as having commits.
fn has_commits(git: &Path) -> bool {
    if !git.is_dir() {
        return true;
    }
    let Ok(head) = std::fs::read_to_string(git.join("HEAD")) else { return false };
    let Some(branch) = head.trim().strip_prefix("ref: ") else { return true };
    git.join(branch).is_file()
        || std::fs::read_to_string(git.join("packed-refs"))
            .is_ok_and(|p| p.lines().any(|l| l.split_whitespace().nth(1) == Some(branch)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_directories_completing_a_prefix_with_git_facts() {
        let root = tempfile::tempdir().expect("tmp");
        let r = root.path();
        std::fs::create_dir_all(r.join("proj-a/.git/refs/heads")).expect("mkdir");
        std::fs::write(r.join("proj-a/.git/HEAD"), "ref: refs/heads/main\n").expect("write");
        std::fs::write(r.join("proj-a/.git/refs/heads/main"), "0123\n").expect("write");
        std::fs::create_dir_all(r.join("proj-empty/.git")).expect("mkdir");
        std::fs::write(r.join("proj-empty/.git/HEAD"), "ref: refs/heads/main\n").expect("write");
        std::fs::create_dir_all(r.join(".proj-hidden")).expect("mkdir");
        std::fs::write(r.join("proj-file"), "secret").expect("write");
        std::fs::create_dir_all(r.join("other")).expect("mkdir");

        let got = complete(&format!("{}/proj", r.display()), None).expect("complete");
        let names: Vec<_> = got
            .entries
            .iter()
            .map(|e| (e.path.rsplit('/').next().unwrap_or("").to_owned(), e.git, e.no_commits))
            .collect();
        assert_eq!(names, vec![("proj-a".into(), true, false), ("proj-empty".into(), true, true)]);
        let home = complete("~/", Some(r)).expect("home");
        assert_eq!(home.dir, format!("{}/", r.display()));
        assert_eq!(home.entries.len(), 3, "directories only, no hidden ones: {:?}", home.entries);
        let hidden = complete("~/.pr", Some(r)).expect("hidden");
        assert_eq!(hidden.entries.len(), 1);
        assert!(complete("relative/dir", None).is_err());
        assert!(complete("~someone/x", Some(r)).is_err());
        assert!(complete(&format!("{}/nothing-here/x", r.display()), None).expect("none").entries.is_empty());
    }
}
