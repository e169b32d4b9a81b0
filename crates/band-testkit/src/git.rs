//! [`FakeGit`]: an in-memory [`GitRepos`] for service tests. It models repositories, branches,
//! worktrees, uncommitted changes and divergence as plain maps that a test sets up and inspects.
//! The real adapter's behaviour is pinned by band-git's own tests against real repositories.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use band_core::ports::GitRepos;
use band_core::{BranchName, Divergence, FileChange, GitError, GitRef, RepoInfo, WorktreeInfo};

/// A linked worktree as git knows it.
struct Worktree {
    repo: PathBuf,
    branch: String,
    /// Its directory is gone (the entry stays until pruned).
    missing: bool,
    locked: bool,
}

#[derive(Default)]
struct State {
    repos: BTreeMap<PathBuf, RepoInfo>,
    branches: BTreeMap<PathBuf, BTreeSet<String>>,
    worktrees: BTreeMap<PathBuf, Worktree>,
    changes: BTreeMap<PathBuf, Vec<FileChange>>,
    divergence: BTreeMap<PathBuf, Divergence>,
    /// (repo, branch) -> divergence, kept when its worktree goes.
    branch_divergence: BTreeMap<(PathBuf, String), Divergence>,
    prunes: usize,
    /// Each copy asked for: the worktree and the globs.
    copies: Vec<(PathBuf, Vec<String>)>,
    disk: BTreeMap<PathBuf, u64>,
    upstream: BTreeMap<PathBuf, (String, Divergence)>,
}

#[derive(Default)]
pub struct FakeGit {
    state: Mutex<State>,
}

impl FakeGit {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A repository at `root` whose default (and only) branch is `default_branch`.
    pub fn add_repo(&self, root: &Path, default_branch: &str, linked: bool) {
        let mut s = self.state();
        let default_branch = BranchName::new(default_branch).expect("valid branch");
        s.branches.entry(root.to_owned()).or_default().insert(default_branch.to_string());
        s.repos.insert(root.to_owned(), RepoInfo { root: root.to_owned(), default_branch, is_linked_worktree: linked });
    }

    pub fn add_branch(&self, repo: &Path, branch: &str) {
        self.state().branches.entry(repo.to_owned()).or_default().insert(branch.to_owned());
    }

    pub fn set_changes(&self, worktree: &Path, changes: Vec<FileChange>) {
        self.state().changes.insert(worktree.to_owned(), changes);
    }

    /// The divergence of a worktree, and of its branch.
    pub fn set_divergence(&self, worktree: &Path, d: Divergence) {
        let mut s = self.state();
        s.divergence.insert(worktree.to_owned(), d);
        if let Some(w) = s.worktrees.get(worktree) {
            let key = (w.repo.clone(), w.branch.clone());
            s.branch_divergence.insert(key, d);
        }
    }

    /// Deletes a worktree's directory behind the adapter's back (git keeps its entry until
    /// pruned).
    pub fn lose_worktree_dir(&self, worktree: &Path) {
        if let Some(w) = self.state().worktrees.get_mut(worktree) {
            w.missing = true;
        }
    }

    /// A worktree made without band (by hand, or by a band stopped before it stored it), on
    /// `branch` (created when new).
    pub fn add_foreign_worktree(&self, repo: &Path, worktree: &Path, branch: &str) {
        let mut s = self.state();
        s.branches.entry(repo.to_owned()).or_default().insert(branch.to_owned());
        let w = Worktree { repo: repo.to_owned(), branch: branch.to_owned(), missing: false, locked: false };
        s.worktrees.insert(worktree.to_owned(), w);
    }

    /// Locks a worktree, as `git worktree lock` (or a `git worktree add` in progress) does.
    pub fn lock_worktree(&self, worktree: &Path) {
        if let Some(w) = self.state().worktrees.get_mut(worktree) {
            w.locked = true;
        }
    }

    /// Every registered worktree (missing ones included), by path.
    pub fn worktree_paths(&self) -> Vec<PathBuf> {
        self.state().worktrees.keys().cloned().collect()
    }

    /// The worktree's files take `bytes`.
    pub fn set_disk_usage(&self, worktree: &Path, bytes: u64) {
        self.state().disk.insert(worktree.to_owned(), bytes);
    }

    /// The worktree's branch tracks `upstream`, diverging by `d`.
    pub fn set_upstream(&self, worktree: &Path, upstream: &str, d: Divergence) {
        self.state().upstream.insert(worktree.to_owned(), (upstream.to_owned(), d));
    }

    /// Each copy asked for so far: the worktree and the globs.
    pub fn copies(&self) -> Vec<(PathBuf, Vec<String>)> {
        self.state().copies.clone()
    }

    /// How many times `prune_worktrees` ran.
    pub fn prunes(&self) -> usize {
        self.state().prunes
    }

    pub fn branches_of(&self, repo: &Path) -> Vec<String> {
        self.state().branches.get(repo).map(|b| b.iter().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait]
impl GitRepos for FakeGit {
    async fn inspect(&self, path: &Path) -> Result<RepoInfo, GitError> {
        let s = self.state();
        s.repos
            .values()
            .find(|r| path.starts_with(&r.root))
            .cloned()
            .ok_or_else(|| GitError::NotARepository(path.to_owned()))
    }

    async fn branches(&self, repo: &Path) -> Result<Vec<String>, GitError> {
        Ok(self.branches_of(repo))
    }

    async fn add_worktree(
        &self,
        repo: &Path,
        path: &Path,
        branch: &BranchName,
        base: &GitRef,
    ) -> Result<bool, GitError> {
        let mut s = self.state();
        if s.worktrees.get(path).is_some_and(|w| w.missing && !w.locked) {
            // A stale entry at this very path is pruned first, as band-git does.
            s.worktrees.remove(path);
        }
        if s.worktrees.contains_key(path) {
            return Err(GitError::PathExists(path.to_owned()));
        }
        if s.worktrees.values().any(|w| w.repo == repo && w.branch == branch.as_str()) {
            return Err(GitError::BranchCheckedOut(branch.to_string()));
        }
        let branches = s.branches.entry(repo.to_owned()).or_default();
        let created = !branches.contains(branch.as_str());
        if created && !branches.contains(base.as_str()) {
            return Err(GitError::RefNotFound(base.to_string()));
        }
        branches.insert(branch.to_string());
        let w = Worktree { repo: repo.to_owned(), branch: branch.to_string(), missing: false, locked: false };
        s.worktrees.insert(path.to_owned(), w);
        Ok(created)
    }

    async fn worktrees(&self, repo: &Path) -> Result<Vec<WorktreeInfo>, GitError> {
        let s = self.state();
        if !s.repos.contains_key(repo) {
            return Err(GitError::NotARepository(repo.to_owned()));
        }
        let mut out = vec![WorktreeInfo {
            path: repo.to_owned(),
            branch: s.repos.get(repo).map(|r| r.default_branch.to_string()),
            is_main: true,
            missing: false,
            locked: false,
            cut_off: false,
        }];
        for (path, w) in &s.worktrees {
            if w.repo == repo {
                out.push(WorktreeInfo {
                    path: path.clone(),
                    branch: Some(w.branch.clone()),
                    is_main: false,
                    missing: w.missing,
                    locked: w.locked,
                    cut_off: false,
                });
            }
        }
        Ok(out)
    }

    async fn prune_worktrees(&self, repo: &Path) -> Result<(), GitError> {
        let mut s = self.state();
        s.prunes += 1;
        s.worktrees.retain(|_, w| w.repo != repo || !w.missing || w.locked);
        Ok(())
    }

    async fn branch_divergence(&self, repo: &Path, branch: &BranchName, base: &GitRef) -> Result<Divergence, GitError> {
        let s = self.state();
        let branches = s.branches.get(repo).cloned().unwrap_or_default();
        for name in [branch.as_str(), base.as_str()] {
            if !branches.contains(name) {
                return Err(GitError::RefNotFound(name.to_owned()));
            }
        }
        Ok(s.branch_divergence.get(&(repo.to_owned(), branch.to_string())).copied().unwrap_or_default())
    }

    async fn status(&self, worktree: &Path) -> Result<Vec<FileChange>, GitError> {
        let s = self.state();
        if s.worktrees.get(worktree).is_none_or(|w| w.missing) {
            return Err(GitError::WorktreeMissing(worktree.to_owned()));
        }
        Ok(s.changes.get(worktree).cloned().unwrap_or_default())
    }

    async fn divergence(&self, worktree: &Path, _base: &GitRef) -> Result<Divergence, GitError> {
        let s = self.state();
        if s.worktrees.get(worktree).is_none_or(|w| w.missing) {
            return Err(GitError::WorktreeMissing(worktree.to_owned()));
        }
        Ok(s.divergence.get(worktree).copied().unwrap_or_default())
    }

    async fn diff(&self, worktree: &Path, _base: &GitRef) -> Result<(String, String), GitError> {
        let s = self.state();
        let changes = s.changes.get(worktree).cloned().unwrap_or_default();
        let patch = changes.iter().map(|c| format!("diff --git a/{0} b/{0}\n", c.path)).collect();
        Ok(("0".repeat(40), patch))
    }

    async fn remove_worktree(&self, _repo: &Path, worktree: &Path, force: bool) -> Result<(), GitError> {
        let mut s = self.state();
        if !force && s.changes.get(worktree).is_some_and(|c| !c.is_empty()) {
            return Err(GitError::Refused("contains modified or untracked files".into()));
        }
        s.worktrees.remove(worktree);
        s.changes.remove(worktree);
        Ok(())
    }

    async fn discard_cut_off_worktree(&self, _repo: &Path, worktree: &Path) -> Result<(), GitError> {
        let mut s = self.state();
        s.worktrees.remove(worktree);
        s.changes.remove(worktree);
        Ok(())
    }

    async fn delete_branch(&self, repo: &Path, branch: &BranchName) -> Result<(), GitError> {
        let mut s = self.state();
        if s.worktrees.values().any(|w| w.repo == repo && w.branch == branch.as_str()) {
            return Err(GitError::Refused(format!("cannot delete branch '{branch}' used by a worktree")));
        }
        let removed = s.branches.get_mut(repo).is_some_and(|b| b.remove(branch.as_str()));
        if removed { Ok(()) } else { Err(GitError::RefNotFound(branch.to_string())) }
    }

    /// Merging needs real git: the fake refuses (band-git's tests and the server's cover it).
    async fn merge_back(&self, _req: &band_core::MergeRequest) -> Result<band_core::MergeOutcome, GitError> {
        Err(GitError::Refused("the fake git does not merge".into()))
    }

    async fn push_branch(&self, _worktree: &Path, _branch: &BranchName) -> Result<String, GitError> {
        Err(GitError::Refused("the fake git has no remote".into()))
    }

    async fn fetch_pull(&self, _repo: &Path, number: u64, _branch: &BranchName) -> Result<(), GitError> {
        Err(GitError::Refused(format!("the fake git has no remote to fetch pull request {number} from")))
    }

    async fn disk_usage(&self, worktree: &Path) -> Result<u64, GitError> {
        let s = self.state();
        match s.worktrees.get(worktree) {
            Some(w) if w.missing => Err(GitError::WorktreeMissing(worktree.to_owned())),
            _ => Ok(s.disk.get(worktree).copied().unwrap_or(0)),
        }
    }

    async fn upstream_divergence(&self, worktree: &Path) -> Result<Option<(String, Divergence)>, GitError> {
        Ok(self.state().upstream.get(worktree).cloned())
    }

    /// Records the globs it was asked to copy with; copies nothing (real copies are band-git's).
    async fn copy_into_worktree(
        &self,
        _repo: &Path,
        worktree: &Path,
        globs: &[band_core::CopyGlob],
    ) -> Result<band_core::CopyReport, GitError> {
        let mut s = self.state();
        s.copies.push((worktree.to_owned(), globs.iter().map(|g| g.as_str().to_owned()).collect()));
        Ok(band_core::CopyReport::default())
    }
}
