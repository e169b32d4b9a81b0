use std::path::Path;

use async_trait::async_trait;

use crate::error::GitError;
use crate::model::{Divergence, FileChange, RepoInfo, WorktreeInfo};
use crate::names::{BranchName, GitRef};

/// What band needs from git.
///
/// Implementations MUST NOT let the repository run code: no hooks, no fsmonitor, no external
/// diff or textconv drivers, no credential prompts (SECURITY.md 15-16). Paths passed in are
/// absolute; `repo` is a project's main working tree, `worktree` one of its worktrees.
#[async_trait]
pub trait GitRepos: Send + Sync {
    /// Finds the repository containing `path`.
    ///
    /// # Errors
    /// [`GitError::NoSuchPath`] when nothing is at `path`; [`GitError::NotARepository`] when it
    /// is in no repository;
    /// [`GitError::BareRepository`] for a repository without a working tree.
    async fn inspect(&self, path: &Path) -> Result<RepoInfo, GitError>;

    /// Local branch names, sorted.
    async fn branches(&self, repo: &Path) -> Result<Vec<String>, GitError>;

    /// Creates a worktree at `path` (absolute) on `branch`. When the branch does not exist it is
    /// created from `base` (without upstream tracking) and the result is `true`; when it exists
    /// it is checked out as it is, `base` is not consulted, and the result is `false`. `path`'s
    /// parent directories are created.
    ///
    /// # Errors
    /// [`GitError::RefNotFound`] when the branch must be created and `base` names no commit;
    /// [`GitError::BranchCheckedOut`]
    /// when the branch is checked out elsewhere; [`GitError::PathExists`] when `path` exists (an
    /// empty directory that is no worktree is not in the way: an add cut short leaves one);
    /// [`GitError::Concurrent`] when another git process changed the repository's worktrees or
    /// branches meanwhile (git's own races are never reported as anything else, nor as git's raw
    /// text).
    /// On error nothing this call made is left behind (no branch, no directory) and nothing it
    /// did not make is touched: when another process won a race for the same path or branch, its
    /// worktree and branch stay as they are.
    async fn add_worktree(
        &self,
        repo: &Path,
        path: &Path,
        branch: &BranchName,
        base: &GitRef,
    ) -> Result<bool, GitError>;

    /// All worktrees of the repository, the main one first, each with whether its directory is
    /// gone ([`WorktreeInfo::missing`]) and whether it is locked. Paths are canonical when the
    /// directory exists.
    async fn worktrees(&self, repo: &Path) -> Result<Vec<WorktreeInfo>, GitError>;

    /// Drops the administrative entries of worktrees whose directories are gone (what
    /// `git worktree prune` does), so their branches are free again. Locked entries are kept; no
    /// directory and no branch is touched.
    async fn prune_worktrees(&self, repo: &Path) -> Result<(), GitError>;

    /// Uncommitted changes (staged, unstaged and untracked, ignored files excluded), sorted by
    /// path. Takes no lock on the index.
    ///
    /// # Errors
    /// [`GitError::WorktreeMissing`] when `worktree` no longer exists.
    async fn status(&self, worktree: &Path) -> Result<Vec<FileChange>, GitError>;

    /// Commits on the worktree's HEAD and not on `base`, and the reverse.
    ///
    /// # Errors
    /// [`GitError::RefNotFound`] when `base` names no commit.
    async fn divergence(&self, worktree: &Path, base: &GitRef) -> Result<Divergence, GitError>;

    /// Commits on `branch` and not on `base`, and the reverse, judged in the repository itself:
    /// no worktree of the branch is needed (its directory may be gone).
    ///
    /// # Errors
    /// [`GitError::RefNotFound`] naming `branch` or `base`, whichever names no commit.
    async fn branch_divergence(&self, repo: &Path, branch: &BranchName, base: &GitRef) -> Result<Divergence, GitError>;

    /// The unified diff of the worktree's files (committed, staged, unstaged and untracked)
    /// against the merge base of HEAD and `base`, with `diff --git` headers; returns the merge
    /// base's commit id and the patch.
    async fn diff(&self, worktree: &Path, base: &GitRef) -> Result<(String, String), GitError>;

    /// Removes a worktree and its administrative files. Without `force` a worktree with
    /// uncommitted changes is refused ([`GitError::Refused`]).
    async fn remove_worktree(&self, repo: &Path, worktree: &Path, force: bool) -> Result<(), GitError>;

    /// Removes a worktree whose `git worktree add` was killed midway ([`WorktreeInfo::cut_off`]):
    /// its lock, its half-written files and its administrative entry. Its branch is kept.
    async fn discard_cut_off_worktree(&self, repo: &Path, worktree: &Path) -> Result<(), GitError>;

    /// Deletes a local branch, merged or not: the caller has decided.
    async fn delete_branch(&self, repo: &Path, branch: &BranchName) -> Result<(), GitError>;

    /// Merges a workspace's branch back: commits every change in the worktree (with the
    /// message), takes in the base (rebase or merge); on a conflict lists the files, aborts and
    /// puts everything back as it was (the commit undone into uncommitted changes again).
    /// Otherwise moves the base branch forward to the tip when that is safe (a fast-forward, and
    /// where the base is checked out, a checkout without tracked changes) and pushes the branch
    /// when asked. Hooks never run (see the crate's rules).
    async fn merge_back(&self, req: &crate::model::MergeRequest) -> Result<crate::model::MergeOutcome, GitError>;

    /// Pushes `branch`, checked out in `worktree`, to the remote it tracks (else `origin`, else
    /// the first remote) and makes that its upstream; returns the remote's name. Hooks never run.
    ///
    /// # Errors
    /// [`GitError::Refused`] with git's words when there is no remote or the push fails.
    async fn push_branch(&self, worktree: &Path, branch: &BranchName) -> Result<String, GitError>;

    /// Fetches pull request `number`'s head (`refs/pull/<number>/head` on `origin`) into the
    /// local `branch` (created, or moved to it).
    ///
    /// # Errors
    /// [`GitError::Refused`] with git's words when the fetch fails.
    async fn fetch_pull(&self, repo: &Path, number: u64, branch: &BranchName) -> Result<(), GitError>;

    /// Bytes of the worktree's own files: its `.git` is left out (objects belong to the
    /// repository and are shared by every worktree, so they are not counted twice), symlinks are
    /// not followed, and a file hard-linked more than once counts once.
    async fn disk_usage(&self, worktree: &Path) -> Result<u64, GitError>;

    /// The branch checked out in `worktree` against its upstream (the configured tracking
    /// branch, else `origin/<branch>` when it exists): the upstream's name and how far the branch
    /// is ahead of and behind it. `None` without an upstream (or on a detached HEAD).
    async fn upstream_divergence(&self, worktree: &Path) -> Result<Option<(String, Divergence)>, GitError>;

    /// Copies files git does not track from the checkout `repo` into the new `worktree`: those
    /// matching one of `globs` (`*` within a directory, `**` across them) and the gitignored ones
    /// matching a pattern of `repo`'s `.worktreeinclude` (gitignore syntax), if it has one.
    /// Only regular files are copied, never over a file the worktree has, never through a
    /// symlinked directory of the worktree, never from or into `.git`.
    async fn copy_into_worktree(
        &self,
        repo: &Path,
        worktree: &Path,
        globs: &[crate::config::CopyGlob],
    ) -> Result<crate::config::CopyReport, GitError>;
}
