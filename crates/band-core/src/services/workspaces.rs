use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fair::FairLocks;
use super::projects::unknown_project;
use crate::error::{CoreError, Fix, GitError, ListOf, Problem, StoreError};
use crate::model::{
    ListedWorkspace, NewWorkspace, Project, ProjectId, Reconciled, Workspace, WorkspaceDiff, WorkspaceId,
    WorkspaceRemoval, WorkspaceStatus, WorktreeInfo,
};
use crate::names::{BranchName, GitRef, ProjectName, WorkspaceSelector};
use crate::ports::{EventSink, GitRepos, Notice, ProjectStore, WorkspaceStore};

/// Workspaces: one git worktree on its own branch per piece of work.
///
/// Invariant: work is never lost silently. Removing a workspace with uncommitted changes or
/// with commits its base does not have is refused unless forced, and even forced, a branch
/// holding unmerged commits is kept.
///
/// Invariant: a project's worktrees change one request at a time. Each project has a fair lock
/// (first come, first served) held across the whole change: create's lookup, `git worktree add`
/// and the insert (or the clean-up after a failure); remove's re-read, `git worktree remove`, the
/// branch's deletion and the record's; and reconciliation. git's worktree commands are not safe
/// to run side by side on one repository, and a check-then-act across git and the database is
/// only sound when nothing of band's can change either in between.
pub struct Workspaces {
    projects: Arc<dyn ProjectStore>,
    store: Arc<dyn WorkspaceStore>,
    git: Arc<dyn GitRepos>,
    events: Arc<dyn EventSink>,
    worktrees_dir: PathBuf,
    turns: FairLocks<ProjectId>,
}

/// Where a workspace's worktree stands in git.
enum Worktree {
    /// Registered, and its directory is there.
    Present,
    /// Registered, but its directory is gone.
    Stale,
    /// git has no worktree at that path (a directory there is not one).
    Unregistered,
    /// The project's repository itself is gone.
    RepositoryGone,
}

impl Workspaces {
    /// `worktrees_dir` (absolute, canonical) holds `<project>/<branch>` worktrees.
    pub fn new(
        projects: Arc<dyn ProjectStore>,
        store: Arc<dyn WorkspaceStore>,
        git: Arc<dyn GitRepos>,
        events: Arc<dyn EventSink>,
        worktrees_dir: PathBuf,
    ) -> Self {
        Self { projects, store, git, events, worktrees_dir, turns: FairLocks::default() }
    }

    pub fn worktrees_dir(&self) -> &Path {
        &self.worktrees_dir
    }

    /// Where band lays out a project's worktree of `branch`.
    fn path_of(&self, project: &Project, branch: &BranchName) -> PathBuf {
        self.worktrees_dir.join(project.name.as_str()).join(branch.as_str())
    }

    /// Creates a worktree on `branch` (new from `base`, default the project's default branch,
    /// or existing) under `<worktrees_dir>/<project>/<branch>`. Idempotent: when the project
    /// already has a workspace on that branch it is returned with `false`; so is a worktree band
    /// laid out there but does not list (left by a stop between git and the database), which is
    /// adopted.
    ///
    /// # Errors
    /// `InvalidInput` for bad names, `NotFound` for an unknown project or base, `Conflict` when
    /// the branch is checked out elsewhere, the path is taken, or another git process was
    /// changing the repository's worktrees at the same time.
    pub async fn create(
        &self,
        project: &str,
        branch: &str,
        base: Option<&str>,
    ) -> Result<(Workspace, bool), CoreError> {
        let project = self.project(project).await?;
        let branch = BranchName::new(branch)?;
        let base = match base {
            Some(b) => GitRef::new(b)?,
            None => project.default_branch.clone().into(),
        };
        let _turn = self.turns.lock(project.id).await;
        if let Some(existing) = self.store.workspace_by_branch(project.id, &branch).await? {
            return Ok((existing, false));
        }
        let path = self.path_of(&project, &branch);
        let created = match self.git.add_worktree(&project.path, &path, &branch, &base).await {
            Ok(created) => created,
            Err(e @ (GitError::PathExists(_) | GitError::BranchCheckedOut(_))) => {
                // A worktree band laid out for this branch but does not list (a stop between git
                // and the database left it): adopted. Anything else stands in the way.
                let listed = self.git.worktrees(&project.path).await.unwrap_or_default();
                return match listed.iter().find(|w| adoptable(w, &path, &branch)) {
                    Some(_) => Ok((self.adopt(&project, &branch, base, path).await?, false)),
                    None => Err(e.into()),
                };
            }
            Err(GitError::Concurrent) => return Err(concurrent(&project, "created")),
            Err(GitError::RefNotFound(r)) => {
                return Err(CoreError::NotFound(
                    format!(
                        "base '{r}' does not name a commit in project '{}'; see its branches with `git -C {} branch`",
                        project.name,
                        project.path.display()
                    )
                    .into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let new = NewWorkspace {
            project_id: project.id,
            branch: branch.clone(),
            base,
            path: path.clone(),
            branch_created: created,
            direct: false,
        };
        match self.store.insert_workspace(new).await {
            Ok(ws) => {
                self.events.publish(Notice::WorkspaceCreated { project: project.name, workspace: ws.clone() });
                Ok((ws, true))
            }
            Err(e) => {
                // Leave nothing behind that the database does not know about.
                let _ = self.git.remove_worktree(&project.path, &path, true).await;
                if created {
                    let _ = self.git.delete_branch(&project.path, &branch).await;
                }
                Err(e.into())
            }
        }
    }

    /// A direct workspace: the project's own checkout, on whatever branch it has checked out,
    /// measured against the project's default branch. band makes no worktree and no branch for
    /// it, and removing it only forgets it. Idempotent: a project has at most one, returned with
    /// `false` when it exists.
    ///
    /// # Errors
    /// `NotFound` for an unknown project or a checkout that is gone; `InvalidInput` when the
    /// checkout's HEAD is detached; `Conflict` when another workspace of the project is on the
    /// checkout's branch.
    pub async fn create_direct(&self, project: &str) -> Result<(Workspace, bool), CoreError> {
        let project = self.project(project).await?;
        let _turn = self.turns.lock(project.id).await;
        let records = self.store.list_workspaces(Some(project.id)).await?;
        if let Some(existing) = records.iter().find(|w| w.direct) {
            return Ok((existing.clone(), false));
        }
        let listed = match self.git.worktrees(&project.path).await {
            Ok(l) => l,
            Err(GitError::NotARepository(_) | GitError::NoSuchPath(_)) => {
                return Err(CoreError::NotFound(
                    format!("the checkout of project '{}' at {} is gone", project.name, project.path.display()).into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let Some(head) = listed.iter().find(|w| w.is_main).and_then(|w| w.branch.as_deref()) else {
            return Err(CoreError::InvalidInput(
                format!(
                    "the checkout of project '{}' at {} has no branch checked out (a detached HEAD); check one out there first",
                    project.name,
                    project.path.display()
                )
                .into(),
            ));
        };
        let branch = BranchName::new(head)?;
        if let Some(other) = records.iter().find(|w| w.branch == branch) {
            return Err(CoreError::Conflict(
                format!(
                    "workspace '{}/{branch}' (at {}) is already on branch '{branch}', which the checkout has checked out now",
                    project.name,
                    other.path.display()
                )
                .into(),
            ));
        }
        let new = NewWorkspace {
            project_id: project.id,
            branch,
            base: project.default_branch.clone().into(),
            path: project.path.clone(),
            branch_created: false,
            direct: true,
        };
        let ws = self.store.insert_workspace(new).await?;
        self.events.publish(Notice::WorkspaceCreated { project: project.name.clone(), workspace: ws.clone() });
        Ok((ws, true))
    }

    /// Records a worktree band laid out but does not list. Who made its branch is not known, so
    /// the branch counts as existing before the workspace: removing it never deletes the branch.
    async fn adopt(
        &self,
        project: &Project,
        branch: &BranchName,
        base: GitRef,
        path: PathBuf,
    ) -> Result<Workspace, CoreError> {
        let new = NewWorkspace {
            project_id: project.id,
            branch: branch.clone(),
            base,
            path,
            branch_created: false,
            direct: false,
        };
        let ws = self.store.insert_workspace(new).await?;
        self.events.publish(Notice::WorkspaceCreated { project: project.name.clone(), workspace: ws.clone() });
        Ok(ws)
    }

    /// Brings git and band into agreement for every project, after a stop that may have come
    /// between a git change and the database's (a crash, `kill -9`, power loss). Per project,
    /// under its lock: drops git's entries of worktrees whose directories are gone; adopts each
    /// worktree band laid out (`<worktrees_dir>/<project>/<branch>`, on that branch, not locked)
    /// that it does not list; reports the workspaces whose worktree is gone (they are listed as
    /// missing and can be removed) and any other worktree in the project's part of band's
    /// directory. Nothing is ever deleted — no directory, no branch, no record — but a worktree
    /// whose `git worktree add` was killed midway, which nobody was ever given (its branch stays).
    ///
    /// A project that cannot be reconciled (its repository is gone...) is reported with the
    /// error; the others are still done.
    pub async fn reconcile(&self) -> Result<Vec<(ProjectName, Result<Reconciled, CoreError>)>, CoreError> {
        let mut out = Vec::new();
        for project in self.projects.list_projects().await? {
            let outcome = self.reconcile_project(&project).await;
            out.push((project.name, outcome));
        }
        Ok(out)
    }

    async fn reconcile_project(&self, project: &Project) -> Result<Reconciled, CoreError> {
        let _turn = self.turns.lock(project.id).await;
        let mut done = Reconciled::default();
        let mut listed = self.git.worktrees(&project.path).await?;
        if listed.iter().any(|w| !w.is_main && w.missing && !w.locked) {
            self.git.prune_worktrees(&project.path).await?;
            done.pruned = true;
            listed = self.git.worktrees(&project.path).await?;
        }
        let records = self.store.list_workspaces(Some(project.id)).await?;
        let ours = self.worktrees_dir.join(project.name.as_str());
        for w in listed.iter().filter(|w| !w.is_main && w.path.starts_with(&ours)) {
            if records.iter().any(|r| r.path == w.path) {
                continue;
            }
            // An add killed midway (band's last run died while git made it): nobody was ever
            // given this worktree, and git cannot finish it. It goes; its branch stays.
            if w.cut_off {
                match self.git.discard_cut_off_worktree(&project.path, &w.path).await {
                    Ok(()) => done.discarded.push(w.path.clone()),
                    Err(e) => {
                        done.unknown.push((w.path.clone(), format!("its add was cut off, and removing it failed: {e}")))
                    }
                }
                continue;
            }
            let branch = w.branch.as_deref().and_then(|b| BranchName::new(b).ok());
            let why = match &branch {
                None if w.branch.is_none() => Some("its HEAD is detached".to_owned()),
                None => Some("its branch is not a name band accepts".to_owned()),
                Some(b) if self.path_of(project, b) != w.path => {
                    Some(format!("it is on branch '{b}' but not at band's path for it"))
                }
                Some(_) if w.missing => Some("its directory is gone, and it is locked".to_owned()),
                Some(_) if w.locked => Some("it is locked (a git command may still be making it)".to_owned()),
                Some(b) if records.iter().any(|r| &r.branch == b) => {
                    Some(format!("band already has a workspace on branch '{b}'"))
                }
                Some(_) => None,
            };
            match (why, branch) {
                (None, Some(b)) => {
                    let base = project.default_branch.clone().into();
                    done.adopted.push(self.adopt(project, &b, base, w.path.clone()).await?);
                }
                (why, _) => done.unknown.push((w.path.clone(), why.unwrap_or_default())),
            }
        }
        done.missing = records.into_iter().filter(|r| r.archived_at.is_none() && !present(&listed, &r.path)).collect();
        Ok(done)
    }

    /// Workspaces of one project (by name) or of all, each with its project's name and whether
    /// its worktree is gone.
    pub async fn list(&self, project: Option<&str>) -> Result<Vec<ListedWorkspace>, CoreError> {
        let projects = match project {
            Some(name) => vec![self.project(name).await?],
            None => self.projects.list_projects().await?,
        };
        let mut out = Vec::new();
        for p in projects {
            let workspaces = self.store.list_workspaces(Some(p.id)).await?;
            if workspaces.is_empty() {
                continue;
            }
            let listed = self.worktrees_of(&p).await;
            for ws in workspaces {
                let missing = ws.archived_at.is_none() && listed.as_ref().is_some_and(|l| !present(l, &ws.path));
                out.push(ListedWorkspace { project: p.name.clone(), workspace: ws, missing });
            }
        }
        out.sort_by_key(|l| l.workspace.id);
        Ok(out)
    }

    /// Whether the workspace's worktree is gone (see [`ListedWorkspace::missing`]).
    pub async fn missing(&self, workspace: &Workspace) -> Result<bool, CoreError> {
        if workspace.archived_at.is_some() {
            return Ok(false);
        }
        let project = self.projects.project_by_id(workspace.project_id).await?;
        Ok(self.worktrees_of(&project).await.is_some_and(|l| !present(&l, &workspace.path)))
    }

    /// The project's worktrees as git lists them; none when its repository is gone, `None` when
    /// git cannot tell (then nothing is called missing).
    async fn worktrees_of(&self, project: &Project) -> Option<Vec<WorktreeInfo>> {
        match self.git.worktrees(&project.path).await {
            Ok(list) => Some(list),
            Err(GitError::NotARepository(_) | GitError::NoSuchPath(_)) => Some(Vec::new()),
            Err(_) => None,
        }
    }

    /// Finds a workspace by id, `project/branch`, unique branch or a path inside it.
    ///
    /// # Errors
    /// `NotFound` when nothing matches, `InvalidInput` when a bare branch is ambiguous.
    pub async fn resolve(&self, selector: &str) -> Result<(Project, Workspace), CoreError> {
        let not_found = || no_workspace(selector);
        let ws = match WorkspaceSelector::parse(selector)? {
            WorkspaceSelector::Id(id) => match self.store.workspace_by_id(WorkspaceId(id)).await {
                Ok(ws) => ws,
                Err(StoreError::NotFound(_)) => return Err(not_found()),
                Err(e) => return Err(e.into()),
            },
            WorkspaceSelector::ProjectBranch(project, branch) => {
                match self.projects.project_by_name(&project).await {
                    Ok(p) => self.store.workspace_by_branch(p.id, &branch).await?.ok_or_else(not_found)?,
                    // `feat/x` may be a branch whose first part is no project.
                    Err(StoreError::NotFound(_)) => match BranchName::new(selector.trim()) {
                        Ok(b) => self.by_branch(&b, selector).await?,
                        Err(_) => return Err(unknown_project(&project)),
                    },
                    Err(e) => return Err(e.into()),
                }
            }
            WorkspaceSelector::Branch(branch) => self.by_branch(&branch, selector).await?,
            WorkspaceSelector::Path(path) => self
                .store
                .list_workspaces(None)
                .await?
                .into_iter()
                .filter(|w| path.starts_with(&w.path))
                .max_by_key(|w| w.path.components().count())
                .ok_or_else(|| {
                    CoreError::NotFound(
                        Problem::new(format!("{} is not inside a band workspace; name one", path.display()))
                            .fix(Fix::SeeList(ListOf::Workspaces)),
                    )
                })?,
        };
        let project = self.projects.project_by_id(ws.project_id).await?;
        Ok((project, ws))
    }

    async fn by_branch(&self, branch: &BranchName, selector: &str) -> Result<Workspace, CoreError> {
        let mut matches: Vec<Workspace> =
            self.store.list_workspaces(None).await?.into_iter().filter(|w| &w.branch == branch).collect();
        match matches.len() {
            0 => Err(no_workspace(selector)),
            1 => Ok(matches.remove(0)),
            n => Err(CoreError::InvalidInput(
                format!("{n} workspaces are on branch '{branch}'; name one as <project>/{branch}").into(),
            )),
        }
    }

    /// Uncommitted changes and commits ahead of / behind the base.
    pub async fn status(&self, selector: &str) -> Result<WorkspaceStatus, CoreError> {
        let (project, workspace) = self.resolve(selector).await?;
        let changes = self.git.status(&workspace.path).await?;
        let divergence = self.git.divergence(&workspace.path, &workspace.base).await?;
        Ok(WorkspaceStatus { workspace, project: project.name, changes, divergence })
    }

    /// Everything the workspace changed since it left its base, as one unified diff.
    pub async fn diff(&self, selector: &str) -> Result<WorkspaceDiff, CoreError> {
        let (project, workspace) = self.resolve(selector).await?;
        let (from, patch) = self.git.diff(&workspace.path, &workspace.base).await?;
        Ok(WorkspaceDiff { workspace, project: project.name, from, patch })
    }

    /// Removes the worktree and forgets the workspace.
    ///
    /// Without `force`, refuses while the worktree has uncommitted changes or its branch has
    /// commits the base lacks. With `force`, uncommitted changes are discarded, but a branch with
    /// unmerged commits is kept. A branch band created and the base contains is deleted.
    ///
    /// A workspace whose worktree is gone (missing) is forgotten: git's stale entry is dropped,
    /// a directory at its path that is not a worktree is left alone, and its branch is judged
    /// from the repository (deleted when band created it and the base contains it).
    pub async fn remove(&self, selector: &str, force: bool) -> Result<WorkspaceRemoval, CoreError> {
        let (project, found) = self.resolve(selector).await?;
        let _turn = self.turns.lock(project.id).await;
        // Read again under the lock: a removal that went first has forgotten it.
        let workspace = match self.store.workspace_by_id(found.id).await {
            Ok(ws) => ws,
            Err(StoreError::NotFound(_)) => return Err(no_workspace(selector)),
            Err(e) => return Err(e.into()),
        };
        if workspace.direct {
            // The project's own checkout: forgotten, never touched.
            self.store.delete_workspace(workspace.id).await?;
            self.events
                .publish(Notice::WorkspaceRemoved { project: project.name.clone(), workspace: workspace.clone() });
            let why = format!(
                "a direct workspace is the project's checkout ({}), which band never touches",
                project.path.display()
            );
            return Ok(WorkspaceRemoval {
                workspace,
                project: project.name,
                branch_deleted: false,
                branch_kept_because: Some(why),
            });
        }
        let name = format!("{}/{}", project.name, workspace.branch);
        let mut worktree = match self.git.worktrees(&project.path).await {
            Ok(list) => match list.iter().find(|w| !w.is_main && w.path == workspace.path) {
                Some(w) if !w.missing => Worktree::Present,
                Some(_) => Worktree::Stale,
                None => Worktree::Unregistered,
            },
            Err(GitError::NotARepository(_) | GitError::NoSuchPath(_)) => Worktree::RepositoryGone,
            Err(e) => return Err(e.into()),
        };
        if let Worktree::Present = worktree
            && let Err(e) = self.refuse_losing_changes(&name, &workspace, force).await
        {
            match e {
                // Gone since git listed it.
                Refusal::Missing => worktree = Worktree::Stale,
                Refusal::Error(e) => return Err(e),
            }
        }
        let (branch_deleted, branch_kept_because) = match worktree {
            Worktree::Present => {
                let unmerged = match self.git.divergence(&workspace.path, &workspace.base).await {
                    Ok(d) => Some(d.ahead),
                    Err(GitError::RefNotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                if let Some(ahead) = unmerged.filter(|a| *a > 0)
                    && !force
                {
                    return Err(unmerged_error(&name, &workspace, ahead));
                }
                self.git.remove_worktree(&project.path, &workspace.path, force).await.map_err(|e| match e {
                    GitError::Concurrent => concurrent(&project, "removed"),
                    e => e.into(),
                })?;
                self.settle_branch(&project, &workspace, unmerged).await?
            }
            Worktree::Stale | Worktree::Unregistered => {
                if let Worktree::Stale = worktree {
                    // Its directory is gone; its entry would keep the branch checked out.
                    self.git.prune_worktrees(&project.path).await.map_err(|e| match e {
                        GitError::Concurrent => concurrent(&project, "removed"),
                        e => e.into(),
                    })?;
                }
                if !self.git.branches(&project.path).await?.iter().any(|b| b == workspace.branch.as_str()) {
                    (false, Some("the branch no longer exists".to_owned()))
                } else {
                    let unmerged =
                        match self.git.branch_divergence(&project.path, &workspace.branch, &workspace.base).await {
                            Ok(d) => Some(d.ahead),
                            Err(GitError::RefNotFound(_)) => None,
                            Err(e) => return Err(e.into()),
                        };
                    self.settle_branch(&project, &workspace, unmerged).await?
                }
            }
            Worktree::RepositoryGone => {
                (false, Some(format!("the project's repository {} is gone", project.path.display())))
            }
        };
        self.store.delete_workspace(workspace.id).await?;
        self.events.publish(Notice::WorkspaceRemoved { project: project.name.clone(), workspace: workspace.clone() });
        Ok(WorkspaceRemoval { workspace, project: project.name, branch_deleted, branch_kept_because })
    }

    /// Archives the workspace: its worktree is removed, its branch, record and chats are kept
    /// (`archived_at` set) until [`Workspaces::restore`]. Nothing is lost: refused while the
    /// worktree has uncommitted changes. Idempotent.
    ///
    /// # Errors
    /// `InvalidInput` for a direct workspace (the checkout is never removed); `Refused` with
    /// uncommitted changes; `Conflict` when another git process changed the worktrees meanwhile.
    pub async fn archive(&self, selector: &str, now: crate::model::Millis) -> Result<Workspace, CoreError> {
        let (project, found) = self.resolve(selector).await?;
        let _turn = self.turns.lock(project.id).await;
        let workspace = self.reread(selector, found.id).await?;
        let name = format!("{}/{}", project.name, workspace.branch);
        if workspace.direct {
            return Err(CoreError::InvalidInput(
                format!("workspace '{name}' is direct (the project's own checkout), which band never removes; nothing to archive")
                    .into(),
            ));
        }
        if workspace.archived_at.is_some() {
            return Ok(workspace);
        }
        let listed = self.git.worktrees(&project.path).await?;
        if present(&listed, &workspace.path) {
            match self.refuse_losing_changes(&name, &workspace, false).await {
                Ok(()) | Err(Refusal::Missing) => {}
                Err(Refusal::Error(CoreError::Refused(p))) => {
                    return Err(CoreError::Refused(Problem::new(format!(
                        "{}; archiving removes the worktree, so commit them first (the branch is kept)",
                        p.what
                    ))));
                }
                Err(Refusal::Error(e)) => return Err(e),
            }
            self.git.remove_worktree(&project.path, &workspace.path, false).await.map_err(|e| match e {
                GitError::Concurrent => concurrent(&project, "archived"),
                e => e.into(),
            })?;
        } else if listed.iter().any(|w| w.path == workspace.path) {
            self.git.prune_worktrees(&project.path).await?;
        }
        let archived = self.store.set_archived(workspace.id, Some(now)).await?;
        self.events.publish(Notice::WorkspaceChanged { project: project.name.clone(), workspace: archived.clone() });
        Ok(archived)
    }

    /// Restores an archived workspace: its worktree made again on its branch, at its path.
    /// Idempotent.
    ///
    /// # Errors
    /// `NotFound` when its branch is gone; `Conflict` when the branch is checked out elsewhere or
    /// the path is taken.
    pub async fn restore(&self, selector: &str) -> Result<Workspace, CoreError> {
        let (project, found) = self.resolve(selector).await?;
        let _turn = self.turns.lock(project.id).await;
        let workspace = self.reread(selector, found.id).await?;
        if workspace.archived_at.is_none() {
            return Ok(workspace);
        }
        if !self.git.branches(&project.path).await?.iter().any(|b| b == workspace.branch.as_str()) {
            return Err(CoreError::NotFound(
                format!(
                    "branch '{}' of archived workspace '{}/{}' no longer exists, so there is nothing to restore; remove the workspace",
                    workspace.branch, project.name, workspace.branch
                )
                .into(),
            ));
        }
        self.git.add_worktree(&project.path, &workspace.path, &workspace.branch, &workspace.base).await.map_err(
            |e| match e {
                GitError::Concurrent => concurrent(&project, "restored"),
                e => e.into(),
            },
        )?;
        let restored = self.store.set_archived(workspace.id, None).await?;
        self.events.publish(Notice::WorkspaceChanged { project: project.name.clone(), workspace: restored.clone() });
        Ok(restored)
    }

    /// Merges the workspace's branch back (see [`GitRepos::merge_back`]): everything committed
    /// with `message`, the base taken in by `strategy` (a conflict lists the files and puts
    /// everything back), the base branch moved forward when safe, the branch pushed when `push`.
    ///
    /// # Errors
    /// `InvalidInput` for a direct, archived or missing workspace or an empty message; `Refused`
    /// with git's reason when a step fails (what was done before it stays).
    pub async fn merge(
        &self,
        selector: &str,
        message: &str,
        strategy: crate::model::MergeStrategy,
        push: bool,
    ) -> Result<(Project, Workspace, crate::model::MergeOutcome), CoreError> {
        let (project, found) = self.resolve(selector).await?;
        let _turn = self.turns.lock(project.id).await;
        let workspace = self.reread(selector, found.id).await?;
        let name = format!("{}/{}", project.name, workspace.branch);
        let refuse = |why: &str| Err(CoreError::InvalidInput(format!("workspace '{name}' {why}").into()));
        if workspace.direct {
            return refuse("is direct (the project's checkout itself): there is no branch of band's to merge back");
        }
        if workspace.archived_at.is_some() {
            return refuse("is archived; restore it first");
        }
        if message.trim().is_empty() || message.len() > 10_000 {
            return refuse("needs a commit message of 1 to 10,000 bytes");
        }
        let listed = self.git.worktrees(&project.path).await?;
        if !present(&listed, &workspace.path) {
            return refuse("has no worktree (it is missing)");
        }
        let req = crate::model::MergeRequest {
            repo: project.path.clone(),
            worktree: workspace.path.clone(),
            branch: workspace.branch.clone(),
            base: workspace.base.clone(),
            message: message.to_owned(),
            strategy,
            push,
        };
        let outcome = self.git.merge_back(&req).await?;
        Ok((project, workspace, outcome))
    }

    /// The workspace's record read again (under the project's lock).
    async fn reread(&self, selector: &str, id: WorkspaceId) -> Result<Workspace, CoreError> {
        match self.store.workspace_by_id(id).await {
            Ok(ws) => Ok(ws),
            Err(StoreError::NotFound(_)) => Err(no_workspace(selector)),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether removing the workspace now would be refused, without removing anything: what
    /// [`Workspaces::remove`] checks first (uncommitted changes, then commits the base lacks,
    /// unless `force`). A teardown script runs only once this passes.
    pub async fn check_removal(&self, selector: &str, force: bool) -> Result<(), CoreError> {
        let (project, workspace) = self.resolve(selector).await?;
        let name = format!("{}/{}", project.name, workspace.branch);
        if workspace.direct || !self.worktrees_of(&project).await.is_some_and(|l| present(&l, &workspace.path)) {
            return Ok(());
        }
        match self.refuse_losing_changes(&name, &workspace, force).await {
            Ok(()) | Err(Refusal::Missing) => {}
            Err(Refusal::Error(e)) => return Err(e),
        }
        if force {
            return Ok(());
        }
        match self.git.divergence(&workspace.path, &workspace.base).await {
            Ok(d) if d.ahead > 0 => Err(unmerged_error(&name, &workspace, d.ahead)),
            Ok(_) | Err(GitError::RefNotFound(_) | GitError::WorktreeMissing(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses when the worktree has uncommitted changes, unless `force`.
    async fn refuse_losing_changes(&self, name: &str, workspace: &Workspace, force: bool) -> Result<(), Refusal> {
        match self.git.status(&workspace.path).await {
            Ok(changes) if !changes.is_empty() && !force => {
                let shown: Vec<&str> = changes.iter().take(5).map(|c| c.path.as_str()).collect();
                let more = if changes.len() > 5 { format!(" and {} more", changes.len() - 5) } else { String::new() };
                Err(Refusal::Error(CoreError::Refused(
                    Problem::new(format!(
                        "workspace '{name}' has {} uncommitted change(s) ({}{more})",
                        changes.len(),
                        shown.join(", ")
                    ))
                    .fix(Fix::CommitOrForce),
                )))
            }
            Ok(_) => Ok(()),
            Err(GitError::WorktreeMissing(_)) => Err(Refusal::Missing),
            Err(e) => Err(Refusal::Error(e.into())),
        }
    }

    /// Deletes the workspace's branch when band created it and the base has all its commits
    /// (`unmerged` is how many it has that the base lacks, `None` when unknown); else says why
    /// it is kept.
    async fn settle_branch(
        &self,
        project: &Project,
        workspace: &Workspace,
        unmerged: Option<u32>,
    ) -> Result<(bool, Option<String>), CoreError> {
        Ok(match unmerged {
            Some(0) if workspace.branch_created => {
                self.git.delete_branch(&project.path, &workspace.branch).await?;
                (true, None)
            }
            Some(0) => (false, Some("the branch existed before the workspace".to_owned())),
            Some(n) => (false, Some(format!("it has {n} commit(s) not in '{}'", workspace.base))),
            None => (false, Some("its merge state could not be checked".to_owned())),
        })
    }

    pub(crate) async fn project(&self, name: &str) -> Result<Project, CoreError> {
        let name = ProjectName::new(name)?;
        self.projects.project_by_name(&name).await.map_err(|e| match e {
            StoreError::NotFound(_) => unknown_project(&name),
            e => e.into(),
        })
    }
}

/// Refuses work in an archived workspace: it has no worktree until it is restored.
pub(crate) fn refuse_archived(project: &Project, workspace: &Workspace) -> Result<(), CoreError> {
    if workspace.archived_at.is_none() {
        return Ok(());
    }
    Err(CoreError::Refused(
        Problem::new(format!(
            "workspace '{}/{}' is archived: its worktree was removed (its branch and chats are kept)",
            project.name, workspace.branch
        ))
        .fix(Fix::RestoreWorkspace { workspace: workspace.id.0 }),
    ))
}

/// Why a check of a worktree's changes did not pass.
enum Refusal {
    /// The worktree is gone.
    Missing,
    Error(CoreError),
}

fn unmerged_error(name: &str, workspace: &Workspace, ahead: u32) -> CoreError {
    CoreError::Refused(
        Problem::new(format!(
            "branch '{}' of workspace '{name}' has {ahead} commit(s) not in '{}'",
            workspace.branch, workspace.base
        ))
        .fix(Fix::MergeOrForce),
    )
}

fn no_workspace(selector: &str) -> CoreError {
    CoreError::NotFound(Problem::new(format!("no workspace '{selector}'")).fix(Fix::SeeList(ListOf::Workspaces)))
}

/// Whether git lists a worktree at `path` whose directory is there.
/// Whether git lists a worktree at `path` whose directory is there (the main one counts: a
/// direct workspace is the checkout).
fn present(listed: &[WorktreeInfo], path: &Path) -> bool {
    listed.iter().any(|w| !w.missing && w.path == path)
}

/// Whether `w` is a worktree band laid out for `branch` at `path` and may adopt: on that branch,
/// its directory there, not locked (a git command may still be making it).
fn adoptable(w: &WorktreeInfo, path: &Path, branch: &BranchName) -> bool {
    !w.is_main && !w.missing && !w.locked && w.path == path && w.branch.as_deref() == Some(branch.as_str())
}

/// git's own race, in band's words: another git process was changing the project's worktrees.
fn concurrent(project: &Project, what: &str) -> CoreError {
    CoreError::Conflict(Problem::new(format!(
        "another git process was changing the worktrees of project '{}' at the same time, so nothing was {what}; \
         trying again is safe",
        project.name
    )))
}
