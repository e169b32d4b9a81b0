//! Reads through gix: discovery, refs, worktrees, revisions, rev walks. Everything here blocks and
//! is called from `spawn_blocking` only.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use band_core::GitError;
use band_core::{BranchName, GitRef};
use band_core::{Divergence, RepoInfo, WorktreeInfo};
use gix::bstr::{BStr, ByteSlice};

fn gix_err(e: gix::Error) -> GitError {
    GitError::Internal(Box::new(e))
}

/// How gix opens repositories: only the repository's own configuration (and what it includes),
/// nothing from the environment, no git binary run to locate an installation config. Reads of
/// refs, objects and worktrees need nothing else.
fn open_options() -> gix::open::Options {
    let mut permissions = gix::open::Permissions::isolated();
    permissions.config.includes = true;
    gix::open::Options::isolated().permissions(permissions)
}

/// Finds the repository containing `path` (upwards), as `git rev-parse` would.
pub(crate) fn discover(path: &Path) -> Result<gix::Repository, GitError> {
    let not_a_repo = || GitError::NotARepository(path.to_owned());
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => GitError::NoSuchPath(path.to_owned()),
        _ => not_a_repo(),
    })?;
    let start = if meta.is_dir() { path } else { path.parent().ok_or_else(not_a_repo)? };
    gix::discover_opts(start, Default::default(), open_options()).map_err(|_| not_a_repo())
}

/// Opens the repository whose work tree is exactly `dir` (no search upwards: a worktree that lost
/// its `.git` must not be mistaken for an enclosing repository).
pub(crate) fn open_worktree(dir: &Path, missing: impl FnOnce() -> GitError) -> Result<gix::Repository, GitError> {
    if std::fs::symlink_metadata(dir).is_err() {
        return Err(missing());
    }
    let repo = gix::open_opts(dir, open_options()).map_err(|_| GitError::NotARepository(dir.to_owned()))?;
    if repo.workdir().is_none() {
        return Err(GitError::BareRepository(dir.to_owned()));
    }
    Ok(repo)
}

/// Opens a repository given its main (or any) working tree; `NotARepository` when absent.
pub(crate) fn open_repo(dir: &Path) -> Result<gix::Repository, GitError> {
    open_worktree(dir, || GitError::NotARepository(dir.to_owned()))
}

/// Opens a worktree; `WorktreeMissing` when its directory is gone.
pub(crate) fn open_existing_worktree(dir: &Path) -> Result<gix::Repository, GitError> {
    open_worktree(dir, || GitError::WorktreeMissing(dir.to_owned()))
}

pub(crate) fn inspect(path: &Path) -> Result<RepoInfo, GitError> {
    let repo = discover(path)?;
    let Some(workdir) = repo.workdir() else {
        let git_dir = std::fs::canonicalize(repo.git_dir()).unwrap_or_else(|_| repo.git_dir().to_owned());
        return Err(GitError::BareRepository(git_dir));
    };
    let root = std::fs::canonicalize(workdir).map_err(|e| GitError::Internal(Box::new(e)))?;
    let is_linked_worktree = repo.kind() == gix::repository::Kind::LinkedWorkTree;
    Ok(RepoInfo { root, default_branch: default_branch(&repo)?, is_linked_worktree })
}

/// The default branch: what `origin/HEAD` points to, else the branch the main worktree's HEAD
/// names (even unborn), else `main` or `master` when they exist, else `main`.
pub(crate) fn default_branch(repo: &gix::Repository) -> Result<BranchName, GitError> {
    let main = repo.main_repo().map_err(gix_err)?;
    let valid = |name: &BStr| name.to_str().ok().and_then(|s| BranchName::new(s).ok());

    if let Ok(Some(origin_head)) = main.try_find_reference("refs/remotes/origin/HEAD")
        && let gix::refs::TargetRef::Symbolic(target) = origin_head.target()
        && let Some(name) = target.as_bstr().strip_prefix(b"refs/remotes/origin/").and_then(|n| valid(n.as_bstr()))
    {
        return Ok(name);
    }
    if let Ok(Some(head)) = main.head_name()
        && let Some(name) = head.as_bstr().strip_prefix(b"refs/heads/").and_then(|n| valid(n.as_bstr()))
    {
        return Ok(name);
    }
    for candidate in ["main", "master"] {
        if let Ok(Some(_)) = main.try_find_reference(format!("refs/heads/{candidate}").as_str()) {
            return BranchName::new(candidate).map_err(|e| GitError::Internal(Box::new(e)));
        }
    }
    BranchName::new("main").map_err(|e| GitError::Internal(Box::new(e)))
}

pub(crate) fn branches(repo: &gix::Repository) -> Result<Vec<String>, GitError> {
    let platform = repo.references().map_err(gix_err)?;
    let mut names = Vec::new();
    for reference in platform.local_branches().map_err(gix_err)? {
        let reference = reference.map_err(|e| GitError::Internal(e.into()))?;
        if let Some(name) = reference.name().as_bstr().strip_prefix(b"refs/heads/") {
            names.push(name.to_str_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

pub(crate) fn branch_exists(repo: &gix::Repository, branch: &BranchName) -> Result<bool, GitError> {
    let name = format!("refs/heads/{}", branch.as_str());
    repo.try_find_reference(name.as_str()).map(|r| r.is_some()).map_err(gix_err)
}

/// All worktrees, the main one first. Paths are canonical when the directory exists. An entry
/// whose administrative files cannot be read (another git process is writing them, or they are
/// damaged) is left out: it is nobody's worktree yet.
pub(crate) fn worktrees(repo: &gix::Repository) -> Result<Vec<WorktreeInfo>, GitError> {
    let canonical = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
    let branch_of = |r: &gix::Repository| -> Option<String> {
        let head = r.head().ok()?;
        head.referent_name()
            .filter(|_| !head.is_detached())
            .and_then(|n| n.as_bstr().strip_prefix(b"refs/heads/").map(|b| b.to_str_lossy().into_owned()))
    };
    let main = repo.main_repo().map_err(gix_err)?;
    let mut out = Vec::new();
    if let Some(dir) = main.workdir() {
        let info = WorktreeInfo {
            path: canonical(dir.to_owned()),
            branch: branch_of(&main),
            is_main: true,
            missing: false,
            locked: false,
            cut_off: false,
        };
        out.push(info);
    }
    let mut linked = Vec::new();
    for proxy in main.worktrees().map_err(gix_err)? {
        let Ok(base) = proxy.base() else { continue };
        // What git's prune looks at: the worktree's `.git` file, which its entry points to.
        let missing = std::fs::symlink_metadata(base.join(".git")).is_err();
        let locked = proxy.is_locked();
        // git writes `initializing` (untranslated: band runs git in the C locale) as an add's
        // first step and removes it as its last.
        let cut_off = locked && proxy.lock_reason().is_some_and(|r| r.trim_ascii() == b"initializing");
        let branch = proxy.into_repo_with_possibly_inaccessible_worktree().ok().and_then(|wt| branch_of(&wt));
        linked.push(WorktreeInfo { path: canonical(base), branch, is_main: false, missing, locked, cut_off });
    }
    linked.sort_by(|a, b| a.path.cmp(&b.path));
    out.extend(linked);
    Ok(out)
}

/// The commit `spec` names (peeling tags); `RefNotFound` when it names none.
pub(crate) fn resolve_commit(repo: &gix::Repository, spec: &GitRef) -> Result<gix::ObjectId, GitError> {
    let not_found = || GitError::RefNotFound(spec.as_str().to_owned());
    let id = repo.rev_parse_single(spec.as_str()).map_err(|_| not_found())?;
    let commit = id.object().map_err(|_| not_found())?.peel_to_commit().map_err(|_| not_found())?;
    Ok(commit.id)
}

/// HEAD's commit, `None` when HEAD is unborn.
pub(crate) fn head_commit(repo: &gix::Repository) -> Result<Option<gix::ObjectId>, GitError> {
    Ok(repo.head().map_err(gix_err)?.id().map(|id| id.detach()))
}

fn count_exclusive(repo: &gix::Repository, tip: gix::ObjectId, hidden: gix::ObjectId) -> Result<u32, GitError> {
    let mut n: u32 = 0;
    for info in repo.rev_walk([tip]).with_hidden([hidden]).all().map_err(gix_err)? {
        info.map_err(gix_err)?;
        n = n.saturating_add(1);
    }
    Ok(n)
}

fn count_all(repo: &gix::Repository, tip: gix::ObjectId) -> Result<u32, GitError> {
    let mut n: u32 = 0;
    for info in repo.rev_walk([tip]).all().map_err(gix_err)? {
        info.map_err(gix_err)?;
        n = n.saturating_add(1);
    }
    Ok(n)
}

pub(crate) fn divergence(repo: &gix::Repository, base: &GitRef) -> Result<Divergence, GitError> {
    let base = resolve_commit(repo, base)?;
    match head_commit(repo)? {
        Some(head) => {
            Ok(Divergence { ahead: count_exclusive(repo, head, base)?, behind: count_exclusive(repo, base, head)? })
        }
        None => Ok(Divergence { ahead: 0, behind: count_all(repo, base)? }),
    }
}

/// Commits on `branch` and not on `base`, and the reverse.
pub(crate) fn branch_divergence(
    repo: &gix::Repository,
    branch: &BranchName,
    base: &GitRef,
) -> Result<Divergence, GitError> {
    let tip = GitRef::new(&format!("refs/heads/{}", branch.as_str()))
        .map_err(|e| GitError::Internal(Box::new(e)))
        .and_then(|r| resolve_commit(repo, &r))
        .map_err(|_| GitError::RefNotFound(branch.as_str().to_owned()))?;
    let base = resolve_commit(repo, base)?;
    Ok(Divergence { ahead: count_exclusive(repo, tip, base)?, behind: count_exclusive(repo, base, tip)? })
}

/// The best common ancestor of HEAD and `base`.
pub(crate) fn merge_base(repo: &gix::Repository, base: &GitRef) -> Result<gix::ObjectId, GitError> {
    let base_id = resolve_commit(repo, base)?;
    let head = head_commit(repo)?.ok_or_else(|| GitError::Refused("HEAD has no commit yet".to_owned()))?;
    match repo.merge_base(head, base_id).map_err(gix_err)? {
        Some(id) => Ok(id.detach()),
        None => Err(GitError::Refused(format!("HEAD and '{}' have no common ancestor", base.as_str()))),
    }
}

/// Filter drivers (`[filter "<name>"]`) defined by the repository's own configuration files, which
/// git would otherwise run on checkout, status and diff. A legacy `[filter.Name]` header is also
/// neutralized lower-cased, as git reads it.
pub(crate) fn repository_filter_drivers(repo: &gix::Repository) -> Vec<OsString> {
    let snapshot = repo.config_snapshot();
    let mut names: Vec<OsString> = Vec::new();
    let Some(sections) = snapshot.plumbing().sections_by_name("filter") else {
        return names;
    };
    for section in sections {
        if section.meta().source.kind() != gix::config::source::Kind::Repository {
            continue;
        }
        let Some(name) = section.header().subsection_name() else { continue };
        let mut variants = vec![name.to_owned()];
        if section.header().is_legacy() {
            variants.push(name.to_ascii_lowercase().into());
        }
        for v in variants {
            let os = <OsString as std::os::unix::ffi::OsStringExt>::from_vec(v.into());
            if !names.contains(&os) {
                names.push(os);
            }
        }
    }
    names
}

/// The checked-out branch's upstream and the divergence from it (see
/// [`band_core::ports::GitRepos::upstream_divergence`]).
pub(crate) fn upstream_divergence(repo: &gix::Repository) -> Result<Option<(String, Divergence)>, GitError> {
    let Some(head_name) = repo.head_name().map_err(gix_err)? else { return Ok(None) };
    let Some(branch) = head_name.as_bstr().strip_prefix(b"refs/heads/").map(|b| b.to_vec()) else {
        return Ok(None);
    };
    let branch = String::from_utf8_lossy(&branch).into_owned();
    let config = repo.config_snapshot();
    let remote = config.string(format!("branch.{branch}.remote").as_str()).map(|r| r.to_string());
    let merge = config.string(format!("branch.{branch}.merge").as_str()).map(|m| m.to_string());
    let upstream = match (remote, merge) {
        (Some(r), Some(m)) if r != "." => match m.strip_prefix("refs/heads/") {
            Some(short) => format!("{r}/{short}"),
            None => return Ok(None),
        },
        _ => format!("origin/{branch}"),
    };
    let Ok(name) = GitRef::new(&format!("refs/remotes/{upstream}")) else { return Ok(None) };
    let Ok(theirs) = resolve_commit(repo, &name) else { return Ok(None) };
    let Some(ours) = head_commit(repo)? else { return Ok(None) };
    let d = Divergence { ahead: count_exclusive(repo, ours, theirs)?, behind: count_exclusive(repo, theirs, ours)? };
    Ok(Some((upstream, d)))
}

/// Bytes of the files under `root`, its top-level `.git` left out, symlinks not followed, hard
/// links counted once.
pub(crate) fn disk_usage(root: &std::path::Path) -> Result<u64, GitError> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total: u64 = 0;
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if dir == root && entry.file_name() == ".git" {
                continue;
            }
            let Ok(meta) = entry.path().symlink_metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() && (meta.nlink() <= 1 || seen.insert((meta.dev(), meta.ino()))) {
                total = total.saturating_add(meta.len());
            }
        }
    }
    Ok(total)
}
