//! band's git adapter: [`Git`] implements band-core's [`GitRepos`] port against real
//! repositories on disk.
//!
//! # gix for reads, the git CLI for changes
//!
//! Reads go through [gix] (in-process, in `spawn_blocking`): finding the repository that contains
//! a path (`inspect`: canonical root, bare and linked-worktree detection, default branch), local
//! branches, the worktree list, resolving revisions, ahead/behind counts (rev walks with hidden
//! tips) and merge bases. gix opens repositories *isolated*: only the repository's own
//! configuration, nothing from the environment, no git binary run to locate an installation config.
//!
//! The `git` binary does the rest:
//! - `worktree add` / `worktree remove` / `worktree prune` / `branch -D` / `update-ref -d`: gix
//!   0.90 has no API to create or remove linked worktrees, and these must stay byte-compatible
//!   with what git itself writes in `.git/worktrees`.
//! - `status` and `diff`: git is the reference for ignore rules (`core.excludesFile`,
//!   `info/exclude`), index extensions (split index, sparse, untracked cache), submodules and the
//!   unified diff format `git apply` accepts; gix's status would also run the same filter drivers
//!   through a second, separately hardened path. One audited path is simpler.
//!
//! # Hardening invariants (SECURITY.md 15-16: the repository never runs code)
//!
//! Every git invocation goes through `cli::GitCommand`, which guarantees:
//! - an argv array, never a shell string, started by band-process's `Supervisor` (given to
//!   [`Git::new`] by the composition root): in its own process group, with exactly the
//!   environment below plus band's scope marker, SIGKILLed if band-server dies; stdin is null,
//!   the child is killed when its future is dropped, and what it left in its group when it
//!   exits;
//! - `git --no-pager [--no-optional-locks] -c core.fsmonitor=false -c core.hooksPath=/dev/null
//!   -c protocol.ext.allow=never -c diff.external= ...`: no fsmonitor daemon or hook script, no
//!   `ext::` transport, no external diff program;
//! - filter drivers defined by the repository's own configuration (`[filter "x"]` in
//!   `.git/config` and what it includes) are neutralized: their `clean`, `smudge` and `process`
//!   are emptied and `required` is false (via `GIT_CONFIG_COUNT`, which git passes on to the git
//!   processes it starts). Drivers from the user's global configuration (git-lfs) still work;
//! - the environment: every inherited `GIT_*` variable (`GIT_DIR`, `GIT_WORK_TREE`,
//!   `GIT_INDEX_FILE`, `GIT_EXTERNAL_DIFF`, `GIT_EXEC_PATH`, `GIT_CONFIG_PARAMETERS`...) is removed;
//!   `GIT_TERMINAL_PROMPT=0`, `GIT_CONFIG_NOSYSTEM=1`, `GIT_ADVICE=0`, `LC_ALL=C` (messages are
//!   parsed), `GIT_OPTIONAL_LOCKS=0` for reads, and `GIT_CEILING_DIRECTORIES` set to the parent
//!   of the directory git runs in, so a worktree that lost its `.git` fails instead of being taken
//!   for an enclosing repository;
//! - refs and paths come after `--end-of-options` or `--`; diffs use `--no-ext-diff
//!   --no-textconv --no-color` and fixed `a/` `b/` prefixes; status and diff ignore dirty
//!   submodule work trees (`--ignore-submodules=dirty`) so git never runs inside a submodule;
//! - failures map to [`GitError`] variants; [`GitError::Refused`] carries git's trimmed stderr and
//!   nothing else.
//!
//! `diff` shows untracked files through a *copy* of the index in a private temporary directory
//! (`GIT_INDEX_FILE`) where they are added intent-to-add; the real index is never written.
//! Untracked nested repositories are listed by `status` but left out of the patch.
//!
//! # Worktree changes under races and crashes
//!
//! band-core serializes worktree changes per repository, but other git processes (a person's own,
//! another band) may still race band. So `add_worktree` checks what it can before git runs (the
//! path is free, the branch is not checked out, the base resolves; git's stale entry of a vanished
//! worktree at that very path is pruned), then *claims* the path by creating its directory (git
//! fills an empty one): of two adds racing for one path, the loser never runs git. A failed run is
//! undone only as far as this call made it: its empty directory, the parents it created, and the
//! branch git created first — deleted compare-and-delete (`update-ref -d <ref> <base>`), and never
//! when git says another process made that branch. git's own race messages ("failed to read
//! .git/worktrees/x/commondir", a `.lock` that exists, a branch or reference that appeared or
//! vanished meanwhile) become [`GitError::Concurrent`], never git's raw text or a wrong cause.
//! `worktree add --quiet` writes nothing on success, so git is never taken down by SIGPIPE. A band
//! killed meanwhile takes git with it (band-process's parent-death signal): a worktree git
//! finished is adopted at the next start, and one it did not (still locked with git's own reason
//! `initializing`) is discarded there by [`GitRepos::discard_cut_off_worktree`], its branch kept.
//! A new branch starts `--no-track` at the resolved base commit.
//!
//! # Heavy commands
//!
//! Commands that read or write every file of a worktree (status, diff, worktree add and remove)
//! run at most [`HEAVY_GIT`] at a time, and reads run with `core.preloadIndex=false`: git's
//! index-preload threads took every core from the server while large diffs ran (a cheap call's
//! p99 rose to 13–65 ms, single calls to 0.5 s). The price is a lone diff's wall time (one core
//! instead of all, same CPU time); docs/BENCHMARKS.md has the figures.

mod cli;
mod copy;
mod merge;
mod read;
mod status;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use band_core::GitError;
use band_core::ports::GitRepos;
use band_core::{BranchName, GitRef};
use band_core::{Divergence, FileChange, RepoInfo, WorktreeInfo};
use band_process::Supervisor;

use cli::{Access, Failure, GitCommand, internal};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How many heavy git commands (status, diff, worktree add and remove: they read or write every
/// file of a worktree) run at once; the rest wait their turn.
///
/// Two: a status and a diff (or two clients' diffs) proceed side by side, while each git, with
/// index preloading off, keeps to one core, so on a two-core machine the server's own threads
/// still get the CPU time they need to answer cheap calls promptly. More would only make every
/// heavy command slower (they contend for the same disk and cores) and starve the server.
pub const HEAVY_GIT: usize = 2;

/// The git adapter. Every call opens the repository afresh, so it always sees the current state
/// on disk; the only state is the bound on heavy commands ([`HEAVY_GIT`]), shared by clones.
#[derive(Debug, Clone)]
pub struct Git {
    program: PathBuf,
    supervisor: Supervisor,
    heavy: Arc<Semaphore>,
}

impl Git {
    /// Uses `git` from `PATH` (git 2.31 or later: `--end-of-options`, `GIT_CONFIG_COUNT`),
    /// started through `supervisor`.
    pub fn new(supervisor: Supervisor) -> Self {
        Self::with_program(PathBuf::from("git"), supervisor)
    }

    /// Uses the git binary at `program`, started through `supervisor`.
    pub fn with_program(program: PathBuf, supervisor: Supervisor) -> Self {
        Self { program, supervisor, heavy: Arc::new(Semaphore::new(HEAVY_GIT)) }
    }

    fn git(&self, dir: &Path, access: Access, filters: &[OsString]) -> GitCommand {
        GitCommand::new(&self.supervisor, &self.program, dir, access).neutralize_filters(filters)
    }

    /// A read of a worktree's files (status, diff and their helpers): as [`Git::git`], and without
    /// git's index-preload threads (`core.preloadIndex=false`), which would take every core of
    /// the machine from the server (measured in docs/BENCHMARKS.md).
    fn read_files(&self, dir: &Path, filters: &[OsString]) -> GitCommand {
        self.git(dir, Access::Read, filters).global("-c").global("core.preloadIndex=false")
    }

    /// Waits for a turn to run a heavy command; the turn ends when the permit is dropped.
    async fn heavy_turn(&self) -> Result<OwnedSemaphorePermit, GitError> {
        self.heavy.clone().acquire_owned().await.map_err(|e| GitError::Internal(Box::new(e)))
    }
}

/// Runs blocking gix work off the async worker threads.
async fn blocking<T, F>(f: F) -> Result<T, GitError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, GitError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| GitError::Internal(Box::new(e)))?
}

fn require_absolute(path: &Path) -> Result<(), GitError> {
    if path.is_absolute() { Ok(()) } else { Err(internal(format!("path '{}' is not absolute", path.display()))) }
}

/// What `add_worktree` learned before touching anything.
struct AddPlan {
    /// The worktree's top-level directory (git runs there).
    root: PathBuf,
    filters: Vec<OsString>,
    /// `None` when the branch exists; the resolved base commit when it is to be created.
    create_from: Option<gix::ObjectId>,
}

/// Directories `add_worktree` created for the worktree's parents, deepest last.
fn create_parents(path: &Path) -> Result<Vec<PathBuf>, GitError> {
    let mut missing = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir {
        if std::fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_owned());
        dir = d.parent();
    }
    missing.reverse();
    for d in &missing {
        if let Err(e) = std::fs::create_dir(d)
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            remove_empty_dirs(&missing);
            return Err(GitError::Internal(Box::new(e)));
        }
    }
    Ok(missing)
}

/// Whether `dir` is a directory with nothing in it.
async fn is_empty_dir(dir: &Path) -> bool {
    match tokio::fs::read_dir(dir).await {
        Ok(mut entries) => matches!(entries.next_entry().await, Ok(None)),
        Err(_) => false,
    }
}

/// Removes the directories `create_parents` made, deepest first, as long as they are empty.
fn remove_empty_dirs(created: &[PathBuf]) {
    for d in created.iter().rev() {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
    }
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, GitError> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        for _ in 0..16 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("band-git-{}-{nanos}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => return Ok(Self(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(GitError::Internal(Box::new(e))),
            }
        }
        Err(internal("could not create a temporary directory"))
    }
}

impl TempDir {
    async fn remove(self) {
        let _ = tokio::fs::remove_dir_all(&self.0).await;
    }
}

/// A fallback for early returns; `remove` is the normal way out.
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Git {
    /// The untracked files of a worktree (ignored ones excluded), as git's raw paths, files inside
    /// untracked directories listed one by one; nested repositories (`dir/`) are left out.
    async fn untracked(&self, root: &Path, filters: &[OsString]) -> Result<Vec<Vec<u8>>, GitError> {
        let out = self
            .read_files(root, filters)
            .args(["ls-files", "-z", "--others", "--exclude-standard", "--"])
            .run()
            .await
            .map_err(Failure::refused)?;
        Ok(out.split(|b| *b == 0).filter(|p| !p.is_empty() && !p.ends_with(b"/")).map(<[u8]>::to_vec).collect())
    }

    /// Adds `paths` intent-to-add to the index at `index` (a private copy).
    async fn intent_to_add(
        &self,
        root: &Path,
        filters: &[OsString],
        tmp: &TempDir,
        index: &Path,
        paths: &[Vec<u8>],
    ) -> Result<(), Failure> {
        let list = tmp.0.join("pathspecs");
        let mut bytes = Vec::new();
        for p in paths {
            bytes.extend_from_slice(p);
            bytes.push(0);
        }
        tokio::fs::write(&list, bytes).await.map_err(|e| Failure::Spawn(GitError::Internal(Box::new(e))))?;
        let mut from_file = OsString::from("--pathspec-from-file=");
        from_file.push(&list);
        self.read_files(root, filters)
            .global("--literal-pathspecs")
            .global("-c")
            .global("core.splitIndex=false")
            .env("GIT_INDEX_FILE", index)
            .args(["add", "--intent-to-add", "--pathspec-file-nul"])
            .arg(from_file)
            .run()
            .await
            .map(|_| ())
    }

    /// Undoes a failed `add_worktree` run of git, as far as this call made it: git itself removes
    /// what it wrote into the worktree's directory when it fails, so what is left is that
    /// directory (claimed by this call, so its own), the parents this call created, and the
    /// branch git created first — unless the failure says another process made that branch (it
    /// won a race for it), when the branch is the winner's.
    async fn undo_add(
        &self,
        plan: &AddPlan,
        path: &Path,
        branch: &BranchName,
        created: &[PathBuf],
        branch_foreign: bool,
    ) {
        let _ = tokio::fs::remove_dir(path).await;
        let created = created.to_vec();
        let _ = tokio::task::spawn_blocking(move || remove_empty_dirs(&created)).await;
        let Some(base) = plan.create_from.filter(|_| !branch_foreign) else { return };
        let (root, b) = (plan.root.clone(), branch.clone());
        let checked_out = blocking(move || {
            Ok(read::worktrees(&read::open_repo(&root)?)?.iter().any(|w| w.branch.as_deref() == Some(b.as_str())))
        })
        .await
        .unwrap_or(false);
        if !checked_out {
            // Only while it still points where git created it: compare-and-delete, which also
            // works while another git process holds the worktrees half-written.
            let _ = self
                .git(&plan.root, Access::Write, &plan.filters)
                .args(["update-ref", "-d", "--end-of-options"])
                .arg(format!("refs/heads/{}", branch.as_str()))
                .arg(base.to_string())
                .run()
                .await;
        }
    }
}

/// Whether git's message says another git process was changing the repository while it ran:
/// a worktree's administrative files read half-written, a lock file already taken.
fn is_race(message: &str) -> bool {
    (message.contains("failed to read") && message.contains("worktrees/"))
        || (message.contains(".lock'") && message.contains("File exists"))
}

/// A failed write command: git's races become [`GitError::Concurrent`] (git's words go to the
/// log), anything else [`GitError::Refused`].
fn write_failure(failure: Failure) -> GitError {
    match failure {
        Failure::Git(m) if is_race(&m) => {
            tracing::info!(message = %m, "git met another git process changing the repository");
            GitError::Concurrent
        }
        f => f.refused(),
    }
}

/// What a failed `git worktree add` means, and whether another process holds the branch it
/// wanted (then the branch is not this call's to undo).
fn map_add_failure(message: String, path: &Path, branch: &BranchName) -> (GitError, bool) {
    if message.contains("already checked out") || message.contains("already used by worktree") {
        (GitError::BranchCheckedOut(branch.as_str().to_owned()), true)
    } else if message.contains(&format!("'{}' already exists", path.display())) {
        (GitError::PathExists(path.to_owned()), true)
    } else if message.contains(&format!("a branch named '{}' already exists", branch.as_str()))
        || message.contains(&format!("cannot lock ref 'refs/heads/{}': reference already exists", branch.as_str()))
        || message.contains("already registered worktree")
    {
        // Not there when band looked a moment before: another process made it meanwhile.
        tracing::info!(%message, "git met another git process changing the repository");
        (GitError::Concurrent, true)
    } else if message.contains("invalid reference") || is_race(&message) {
        // The base was resolved to a commit before git ran, so an invalid reference is the
        // branch, deleted meanwhile, never the base.
        tracing::info!(%message, "git met another git process changing the repository");
        (GitError::Concurrent, false)
    } else {
        (GitError::Refused(message), false)
    }
}

#[async_trait]
impl GitRepos for Git {
    async fn inspect(&self, path: &Path) -> Result<RepoInfo, GitError> {
        let path = path.to_owned();
        blocking(move || read::inspect(&path)).await
    }

    async fn branches(&self, repo: &Path) -> Result<Vec<String>, GitError> {
        let repo = repo.to_owned();
        blocking(move || read::branches(&read::open_repo(&repo)?)).await
    }

    async fn add_worktree(
        &self,
        repo: &Path,
        path: &Path,
        branch: &BranchName,
        base: &GitRef,
    ) -> Result<bool, GitError> {
        require_absolute(path)?;
        let leftover = match tokio::fs::symlink_metadata(path).await {
            Err(_) => false,
            // An empty directory is what an add cut short leaves (its claim, below): not in the
            // way, unless git has a worktree there.
            Ok(meta) if meta.is_dir() && is_empty_dir(path).await => true,
            Ok(_) => return Err(GitError::PathExists(path.to_owned())),
        };
        let plan = {
            let (repo, path, branch, base) = (repo.to_owned(), path.to_owned(), branch.clone(), base.clone());
            blocking(move || {
                let r = read::open_repo(&repo)?;
                let root = r.workdir().map(Path::to_owned).unwrap_or(repo);
                let filters = read::repository_filter_drivers(&r);
                let listed = read::worktrees(&r)?;
                if leftover && listed.iter().any(|w| !w.is_main && w.path == path) {
                    return Err(GitError::PathExists(path));
                }
                let stale = listed.iter().any(|w| !w.is_main && w.path == path && w.missing && !w.locked);
                let create_from = if read::branch_exists(&r, &branch)? {
                    let elsewhere = |w: &WorktreeInfo| !(stale && w.path == path);
                    if listed.iter().any(|w| w.branch.as_deref() == Some(branch.as_str()) && elsewhere(w)) {
                        return Err(GitError::BranchCheckedOut(branch.as_str().to_owned()));
                    }
                    None
                } else {
                    Some(read::resolve_commit(&r, &base)?)
                };
                Ok((AddPlan { root, filters, create_from }, stale))
            })
            .await?
        };
        let (plan, stale) = plan;
        if stale {
            // git still has an entry for a worktree whose directory at this path is gone.
            self.git(&plan.root, Access::Write, &plan.filters)
                .args(["worktree", "prune"])
                .run()
                .await
                .map_err(write_failure)?;
        }
        if leftover {
            let _ = tokio::fs::remove_dir(path).await;
        }
        let created_parents = {
            let path = path.to_owned();
            blocking(move || create_parents(&path)).await?
        };
        // The directory is claimed before git runs (git fills an empty one): of two adds racing
        // for one path, one claims it and the other never runs git, so no git process ever
        // writes into, or cleans up, a worktree another one is making.
        if let Err(e) = tokio::fs::create_dir(path).await {
            let created = created_parents.clone();
            let _ = tokio::task::spawn_blocking(move || remove_empty_dirs(&created)).await;
            return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                GitError::PathExists(path.to_owned())
            } else {
                GitError::Internal(Box::new(e))
            });
        }
        // `--quiet`: git writes nothing on success, so a band that dies meanwhile (its pipes
        // closed) does not kill it half-way with SIGPIPE; it finishes, and the next start adopts
        // the worktree.
        let cmd = self.git(&plan.root, Access::Write, &plan.filters).args(["worktree", "add", "--quiet"]);
        let cmd = match plan.create_from {
            // `--no-track`: a workspace branch does not follow its base's upstream.
            Some(base) => {
                cmd.args(["--no-track", "-b", branch.as_str(), "--end-of-options"]).arg(path).arg(base.to_string())
            }
            None => cmd.arg("--end-of-options").arg(path).arg(branch.as_str()),
        };
        let turn = self.heavy_turn().await?;
        let ran = cmd.run().await;
        drop(turn);
        match ran {
            Ok(_) => Ok(plan.create_from.is_some()),
            Err(Failure::Spawn(e)) => {
                self.undo_add(&plan, path, branch, &created_parents, false).await;
                Err(e)
            }
            Err(Failure::Git(m)) => {
                let (error, branch_foreign) = map_add_failure(m, path, branch);
                self.undo_add(&plan, path, branch, &created_parents, branch_foreign).await;
                Err(error)
            }
        }
    }

    async fn copy_into_worktree(
        &self,
        repo: &Path,
        worktree: &Path,
        globs: &[band_core::CopyGlob],
    ) -> Result<band_core::CopyReport, GitError> {
        require_absolute(worktree)?;
        let (dir, globs_owned) = (repo.to_owned(), globs.to_vec());
        let (root, filters, selection) = blocking(move || {
            let r = read::open_repo(&dir)?;
            let root = r.workdir().map(Path::to_owned).unwrap_or(dir);
            let include = copy::include_patterns(&root);
            let selection = copy::Selection::new(&root, &globs_owned, &include)?;
            Ok((root, read::repository_filter_drivers(&r), selection))
        })
        .await?;
        if selection.is_empty() {
            return Ok(band_core::CopyReport::default());
        }
        let list = |ignored: bool| {
            let mut cmd = self.read_files(&root, &filters).args(["ls-files", "-z", "--others"]);
            if ignored {
                cmd = cmd.args(["--ignored", "--exclude-standard"]);
            }
            cmd.arg("--")
        };
        let split = |out: Vec<u8>| -> Vec<String> {
            out.split(|b| *b == 0)
                .filter(|p| !p.is_empty() && !p.ends_with(b"/"))
                .filter_map(|p| std::str::from_utf8(p).ok().map(str::to_owned))
                .collect()
        };
        let turn = self.heavy_turn().await?;
        let untracked = split(list(false).run().await.map_err(Failure::refused)?);
        let ignored: std::collections::HashSet<String> = if selection.wants_ignored() {
            split(list(true).run().await.map_err(Failure::refused)?).into_iter().collect()
        } else {
            Default::default()
        };
        drop(turn);
        let to = worktree.to_owned();
        blocking(move || {
            let wanted: Vec<String> = untracked
                .into_iter()
                .filter(|p| selection.by_glob(p) || (ignored.contains(p) && selection.by_include(p)))
                .collect();
            Ok(copy::copy_all(&root, &to, &wanted))
        })
        .await
    }

    async fn worktrees(&self, repo: &Path) -> Result<Vec<WorktreeInfo>, GitError> {
        let repo = repo.to_owned();
        blocking(move || read::worktrees(&read::open_repo(&repo)?)).await
    }

    async fn prune_worktrees(&self, repo: &Path) -> Result<(), GitError> {
        let dir = repo.to_owned();
        let (root, filters) = blocking(move || {
            let r = read::open_repo(&dir)?;
            Ok((r.workdir().map(Path::to_owned).unwrap_or(dir), read::repository_filter_drivers(&r)))
        })
        .await?;
        self.git(&root, Access::Write, &filters)
            .args(["worktree", "prune"])
            .run()
            .await
            .map(|_| ())
            .map_err(write_failure)
    }

    async fn merge_back(&self, req: &band_core::MergeRequest) -> Result<band_core::MergeOutcome, GitError> {
        require_absolute(&req.worktree)?;
        self.merge_back_impl(req).await
    }

    async fn push_branch(&self, worktree: &Path, branch: &BranchName) -> Result<String, GitError> {
        require_absolute(worktree)?;
        self.push_branch_impl(worktree, branch.as_str()).await
    }

    async fn fetch_pull(&self, repo: &Path, number: u64, branch: &BranchName) -> Result<(), GitError> {
        require_absolute(repo)?;
        self.fetch_pull_impl(repo, number, branch.as_str()).await
    }

    async fn disk_usage(&self, worktree: &Path) -> Result<u64, GitError> {
        require_absolute(worktree)?;
        let dir = worktree.to_owned();
        blocking(move || {
            if !dir.is_dir() {
                return Err(GitError::WorktreeMissing(dir));
            }
            read::disk_usage(&dir)
        })
        .await
    }

    async fn upstream_divergence(&self, worktree: &Path) -> Result<Option<(String, Divergence)>, GitError> {
        let dir = worktree.to_owned();
        blocking(move || read::upstream_divergence(&read::open_existing_worktree(&dir)?)).await
    }

    async fn branch_divergence(&self, repo: &Path, branch: &BranchName, base: &GitRef) -> Result<Divergence, GitError> {
        let (dir, branch, base) = (repo.to_owned(), branch.clone(), base.clone());
        blocking(move || read::branch_divergence(&read::open_repo(&dir)?, &branch, &base)).await
    }

    async fn status(&self, worktree: &Path) -> Result<Vec<FileChange>, GitError> {
        let dir = worktree.to_owned();
        let (root, filters) = blocking(move || {
            let r = read::open_existing_worktree(&dir)?;
            Ok((r.workdir().map(Path::to_owned).unwrap_or(dir), read::repository_filter_drivers(&r)))
        })
        .await?;
        let _turn = self.heavy_turn().await?;
        let out = self
            .read_files(&root, &filters)
            .args([
                "status",
                "--porcelain=v2",
                "-z",
                "--untracked-files=all",
                "--ignore-submodules=dirty",
                "--no-ahead-behind",
                "--",
            ])
            .run()
            .await
            .map_err(Failure::refused)?;
        let entries = status::parse(&out).map_err(internal)?;
        Ok(entries.iter().map(status::Entry::to_change).collect())
    }

    async fn divergence(&self, worktree: &Path, base: &GitRef) -> Result<Divergence, GitError> {
        let (dir, base) = (worktree.to_owned(), base.clone());
        blocking(move || read::divergence(&read::open_existing_worktree(&dir)?, &base)).await
    }

    async fn diff(&self, worktree: &Path, base: &GitRef) -> Result<(String, String), GitError> {
        let (dir, b) = (worktree.to_owned(), base.clone());
        let (root, filters, index, from) = blocking(move || {
            let r = read::open_existing_worktree(&dir)?;
            let from = read::merge_base(&r, &b)?;
            let root = r.workdir().map(Path::to_owned).unwrap_or(dir);
            Ok((root, read::repository_filter_drivers(&r), r.index_path(), from))
        })
        .await?;

        let _turn = self.heavy_turn().await?;
        // Untracked files join the diff as intent-to-add entries of a private copy of the index.
        let mut tmp_index = None;
        let mut untracked = self.untracked(&root, &filters).await?;
        if !untracked.is_empty() {
            let tmp = blocking(TempDir::new).await?;
            let copy = tmp.0.join("index");
            let mut attempt = 0;
            loop {
                match tokio::fs::copy(&index, &copy).await {
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(GitError::Internal(Box::new(e))),
                }
                match self.intent_to_add(&root, &filters, &tmp, &copy, &untracked).await {
                    Ok(()) => break,
                    // A file vanished between listing and adding (an agent is at work): list again.
                    Err(Failure::Git(_)) if attempt < 2 => {
                        attempt += 1;
                        let _ = tokio::fs::remove_file(&copy).await;
                        untracked = self.untracked(&root, &filters).await?;
                    }
                    Err(f) => return Err(f.refused()),
                }
            }
            tmp_index = Some((tmp, copy));
        }

        let mut cmd = self.read_files(&root, &filters).args([
            "diff",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
            "--no-relative",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--ignore-submodules=dirty",
        ]);
        if let Some((_, copy)) = &tmp_index {
            cmd = cmd.env("GIT_INDEX_FILE", copy);
        }
        let out = cmd.arg(from.to_string()).arg("--").run().await.map_err(Failure::refused)?;
        if let Some((tmp, _)) = tmp_index {
            tmp.remove().await;
        }
        Ok((from.to_string(), String::from_utf8_lossy(&out).into_owned()))
    }

    async fn remove_worktree(&self, repo: &Path, worktree: &Path, force: bool) -> Result<(), GitError> {
        require_absolute(worktree)?;
        let dir = repo.to_owned();
        let (root, filters) = blocking(move || {
            let r = read::open_repo(&dir)?;
            Ok((r.workdir().map(Path::to_owned).unwrap_or(dir), read::repository_filter_drivers(&r)))
        })
        .await?;
        let mut cmd = self.git(&root, Access::Write, &filters).args(["worktree", "remove"]);
        if force {
            cmd = cmd.arg("--force");
        }
        let turn = self.heavy_turn().await?;
        let ran = cmd.arg("--").arg(worktree).run().await;
        drop(turn);
        match ran {
            Ok(_) => Ok(()),
            Err(Failure::Git(m)) if is_race(&m) => Err(write_failure(Failure::Git(m))),
            Err(Failure::Git(m)) if tokio::fs::symlink_metadata(worktree).await.is_err() => {
                // The directory is already gone and git no longer knows it by path: drop any stale
                // administrative entry and call it done.
                tracing::debug!(worktree = %worktree.display(), message = %m, "pruning a vanished worktree");
                self.git(&root, Access::Write, &filters)
                    .args(["worktree", "prune"])
                    .run()
                    .await
                    .map(|_| ())
                    .map_err(write_failure)
            }
            Err(f) => Err(f.refused()),
        }
    }

    async fn discard_cut_off_worktree(&self, repo: &Path, worktree: &Path) -> Result<(), GitError> {
        require_absolute(worktree)?;
        let dir = repo.to_owned();
        let (root, filters, common) = blocking(move || {
            let r = read::open_repo(&dir)?;
            let common = r.common_dir().to_owned();
            Ok((r.workdir().map(Path::to_owned).unwrap_or(dir), read::repository_filter_drivers(&r), common))
        })
        .await?;
        // `--force` twice: a locked worktree is removed too (its lock is the add's own).
        let cmd = self.git(&root, Access::Write, &filters).args(["worktree", "remove", "--force", "--force", "--"]);
        let turn = self.heavy_turn().await?;
        let ran = cmd.arg(worktree).run().await;
        drop(turn);
        if ran.is_ok() {
            return Ok(());
        }
        // git refuses one cut off before it wrote the worktree's `.git` file ("is not a .git
        // file"): undo the add by hand. Its entry's lock goes, then its directory, and prune drops
        // the entry.
        let path = worktree.to_owned();
        blocking(move || {
            let wanted =
                [path.join(".git"), std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone()).join(".git")];
            for entry in std::fs::read_dir(common.join("worktrees")).into_iter().flatten().flatten() {
                let gitdir = std::fs::read_to_string(entry.path().join("gitdir")).unwrap_or_default();
                if wanted.iter().any(|w| Path::new(gitdir.trim()) == w.as_path()) {
                    let _ = std::fs::remove_file(entry.path().join("locked"));
                }
            }
            std::fs::remove_dir_all(&path)
                .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
                .map_err(|e| GitError::Internal(Box::new(e)))
        })
        .await?;
        self.git(&root, Access::Write, &filters)
            .args(["worktree", "prune"])
            .run()
            .await
            .map(|_| ())
            .map_err(write_failure)
    }

    async fn delete_branch(&self, repo: &Path, branch: &BranchName) -> Result<(), GitError> {
        let dir = repo.to_owned();
        let (root, filters) = blocking(move || {
            let r = read::open_repo(&dir)?;
            Ok((r.workdir().map(Path::to_owned).unwrap_or(dir), read::repository_filter_drivers(&r)))
        })
        .await?;
        match self
            .git(&root, Access::Write, &filters)
            .args(["branch", "-D", "--end-of-options", branch.as_str()])
            .run()
            .await
        {
            Ok(_) => Ok(()),
            Err(Failure::Git(m)) if m.contains("not found") => Err(GitError::RefNotFound(branch.as_str().to_owned())),
            Err(f) => Err(write_failure(f)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defect: a branch deleted by another process between band's checks and git's run made
    /// git say "invalid reference: <branch>", which band reported as "base 'main' does not name a
    /// commit" — a wrong cause (the base was resolved to a commit before git ran).
    #[test]
    fn a_reference_that_vanished_meanwhile_is_a_race_not_a_missing_base() {
        let (path, branch) = (Path::new("/wt/app/feat"), BranchName::new("feat").expect("branch"));
        let (e, foreign) = map_add_failure("fatal: invalid reference: feat".into(), path, &branch);
        assert!(matches!(e, GitError::Concurrent) && !foreign, "{e:?}");
        let (e, foreign) = map_add_failure("fatal: a branch named 'feat' already exists".into(), path, &branch);
        assert!(matches!(e, GitError::Concurrent) && foreign, "another process made the branch: {e:?}");
        let (e, _) =
            map_add_failure("fatal: cannot lock ref 'refs/heads/feat': reference already exists".into(), path, &branch);
        assert!(matches!(e, GitError::Concurrent), "{e:?}");
        let (e, _) = map_add_failure("fatal: failed to read .git/worktrees/x/commondir: Success".into(), path, &branch);
        assert!(matches!(e, GitError::Concurrent), "{e:?}");
        assert!(!e.to_string().contains("fatal") && e.to_string().contains("at the same time"), "{e}");
        // Not a race: git's own refusal, as it said it.
        let (e, _) = map_add_failure("fatal: 'feat' is not a valid branch name".into(), path, &branch);
        assert!(matches!(&e, GitError::Refused(m) if m.contains("not a valid branch name")), "{e:?}");
    }
}
