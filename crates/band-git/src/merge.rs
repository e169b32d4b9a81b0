//! Merging a workspace's branch back (see [`band_core::ports::GitRepos::merge_back`]): commit,
//! rebase onto or merge the base, undo everything on a conflict, move the base forward when
//! that is safe, push. Every step is the git CLI under the crate's hardening (no hooks, no
//! editor, no prompt).

use std::ffi::OsString;
use std::path::Path;

use band_core::{GitError, MergeOutcome, MergeRequest, MergeStrategy};

use crate::cli::{Access, Failure, GitCommand};
use crate::{Git, read, write_failure};

impl Git {
    fn merge_cmd(&self, dir: &Path, filters: &[OsString]) -> GitCommand {
        self.git(dir, Access::Write, filters)
            .global("-c")
            .global("core.editor=true")
            .global("-c")
            .global("sequence.editor=true")
            .env("GIT_EDITOR", "true")
    }

    async fn stdout(&self, cmd: GitCommand) -> Result<String, GitError> {
        let out = cmd.run().await.map_err(write_failure)?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    pub(crate) async fn push_branch_impl(&self, wt: &Path, branch: &str) -> Result<String, GitError> {
        let dir = wt.to_owned();
        let filters =
            crate::blocking(move || Ok(read::repository_filter_drivers(&read::open_existing_worktree(&dir)?))).await?;
        self.push(wt, branch, &filters).await.map_err(GitError::Refused)
    }

    /// Fetches pull request `number`'s head from `origin` into a new local `branch`.
    pub(crate) async fn fetch_pull_impl(&self, repo: &Path, number: u64, branch: &str) -> Result<(), GitError> {
        self.stdout(self.merge_cmd(repo, &[]).args([
            "fetch",
            "-q",
            "--end-of-options",
            "origin",
            &format!("+refs/pull/{number}/head:refs/heads/{branch}"),
        ]))
        .await
        .map(|_| ())
        .map_err(|e| GitError::Refused(format!("fetching pull request {number} from origin failed: {e}")))
    }

    pub(crate) async fn merge_back_impl(&self, req: &MergeRequest) -> Result<MergeOutcome, GitError> {
        let dir = req.worktree.clone();
        let filters =
            crate::blocking(move || Ok(read::repository_filter_drivers(&read::open_existing_worktree(&dir)?))).await?;
        let wt = req.worktree.as_path();
        let mut outcome = MergeOutcome::default();
        let before = self.stdout(self.git(wt, Access::Read, &filters).args(["rev-parse", "HEAD"])).await?;

        // 1. Everything uncommitted becomes one commit.
        let dirty = self.stdout(self.merge_cmd(wt, &filters).args(["status", "--porcelain"])).await?;
        if !dirty.is_empty() {
            self.stdout(self.merge_cmd(wt, &filters).args(["add", "-A"])).await?;
            self.stdout(self.merge_cmd(wt, &filters).args(["commit", "-q", "-m", &req.message]))
                .await
                .map_err(|e| GitError::Refused(format!("committing the workspace's changes failed: {e}")))?;
            outcome.committed =
                Some(self.stdout(self.git(wt, Access::Read, &filters).args(["rev-parse", "HEAD"])).await?);
        }

        // 2. Take in the base; a conflict puts everything back.
        let integrate = match req.strategy {
            MergeStrategy::Rebase => {
                self.merge_cmd(wt, &filters).args(["rebase", "--no-autostash", "--end-of-options", req.base.as_str()])
            }
            MergeStrategy::Merge => {
                self.merge_cmd(wt, &filters).args(["merge", "--no-edit", "--end-of-options", req.base.as_str()])
            }
        };
        if let Err(failure) = integrate.run().await {
            let conflicts = self
                .stdout(self.git(wt, Access::Read, &filters).args(["diff", "--name-only", "--diff-filter=U"]))
                .await
                .unwrap_or_default();
            let abort = match req.strategy {
                MergeStrategy::Rebase => ["rebase", "--abort"],
                MergeStrategy::Merge => ["merge", "--abort"],
            };
            let _ = self.merge_cmd(wt, &filters).args(abort).run().await;
            if outcome.committed.is_some() {
                self.stdout(self.merge_cmd(wt, &filters).args(["reset", "-q", "--mixed", &before])).await?;
            }
            outcome.committed = None;
            outcome.conflicts = conflicts.lines().map(str::to_owned).collect();
            if outcome.conflicts.is_empty() {
                let why = match failure {
                    Failure::Git(m) => m,
                    Failure::Spawn(e) => e.to_string(),
                };
                return Err(GitError::Refused(format!("taking in '{}' failed, and was undone: {why}", req.base)));
            }
            return Ok(outcome);
        }
        let head = self.stdout(self.git(wt, Access::Read, &filters).args(["rev-parse", "HEAD"])).await?;
        outcome.head = Some(head.clone());

        // 3. The base forward, when it is a local branch and that is safe.
        outcome.base_moved = Some(self.move_base(req, &head).await);

        // 4. Push.
        if req.push {
            outcome.pushed = Some(self.push(wt, req.branch.as_str(), &filters).await);
        }
        Ok(outcome)
    }

    async fn move_base(&self, req: &MergeRequest, head: &str) -> Result<String, String> {
        let repo = req.repo.as_path();
        let base = req.base.as_str();
        let filters = {
            let dir = req.repo.clone();
            crate::blocking(move || Ok(read::repository_filter_drivers(&read::open_repo(&dir)?)))
                .await
                .unwrap_or_default()
        };
        let full = format!("refs/heads/{base}");
        let Ok(old) =
            self.stdout(self.git(repo, Access::Read, &filters).args(["rev-parse", "--verify", "-q", &full])).await
        else {
            return Err(format!("'{base}' is not a local branch"));
        };
        if old == head {
            return Ok(format!("'{base}' already points at the branch's tip"));
        }
        if self.git(repo, Access::Read, &filters).args(["merge-base", "--is-ancestor", &old, head]).run().await.is_err()
        {
            return Err(format!("'{base}' moved on meanwhile (not a fast-forward)"));
        }
        let listed = self
            .stdout(self.git(repo, Access::Read, &filters).args(["worktree", "list", "--porcelain"]))
            .await
            .map_err(|e| e.to_string())?;
        let mut path = None;
        let mut holder = None;
        for line in listed.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(p.to_owned());
            } else if line == format!("branch {full}") {
                holder = path.clone();
            }
        }
        match holder {
            None => {
                self.stdout(self.merge_cmd(repo, &filters).args(["update-ref", &full, head, &old]))
                    .await
                    .map_err(|e| format!("moving '{base}' failed: {e}"))?;
                Ok(format!("'{base}' moved to {}", &head[..head.len().min(12)]))
            }
            Some(p) if Path::new(&p) == repo => {
                let dirty = self
                    .stdout(self.merge_cmd(repo, &filters).args(["status", "--porcelain", "--untracked-files=no"]))
                    .await
                    .map_err(|e| e.to_string())?;
                if !dirty.is_empty() {
                    return Err(format!(
                        "'{base}' is checked out in the project's checkout, which has uncommitted changes; left as it is"
                    ));
                }
                self.stdout(self.merge_cmd(repo, &filters).args(["merge", "--ff-only", "-q", head]))
                    .await
                    .map_err(|e| format!("fast-forwarding the checkout failed: {e}"))?;
                Ok(format!("'{base}' fast-forwarded in the project's checkout"))
            }
            Some(p) => Err(format!("'{base}' is checked out in another worktree ({p}); left as it is")),
        }
    }

    /// Pushes `branch` (checked out in `wt`) to the remote it tracks, else `origin`, else the
    /// first remote, and sets its upstream; returns the remote's name.
    pub(crate) async fn push(&self, wt: &Path, branch: &str, filters: &[OsString]) -> Result<String, String> {
        let configured = self
            .stdout(self.git(wt, Access::Read, filters).args(["config", "--get", &format!("branch.{branch}.remote")]))
            .await
            .ok()
            .filter(|r| !r.is_empty() && r != ".");
        let remotes =
            self.stdout(self.git(wt, Access::Read, filters).args(["remote"])).await.map_err(|e| e.to_string())?;
        let remote = match configured {
            Some(r) => r,
            None if remotes.lines().any(|r| r == "origin") => "origin".to_owned(),
            None => match remotes.lines().next() {
                Some(r) => r.to_owned(),
                None => {
                    return Err("the repository has no remote to push to; add one (git remote add origin <url>)".into());
                }
            },
        };
        self.stdout(self.merge_cmd(wt, filters).args([
            "push",
            "-q",
            "--set-upstream",
            "--end-of-options",
            &remote,
            &format!("refs/heads/{branch}:refs/heads/{branch}"),
        ]))
        .await
        .map_err(|e| format!("pushing to {remote} failed: {e}"))?;
        Ok(remote)
    }
}
