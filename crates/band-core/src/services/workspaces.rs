use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::projects::unknown_project;
use crate::error::{CoreError, Fix, GitError, ListOf, Problem, StoreError};
use crate::model::{NewWorkspace, Project, Workspace, WorkspaceDiff, WorkspaceId, WorkspaceRemoval, WorkspaceStatus};
use crate::names::{BranchName, GitRef, ProjectName, WorkspaceSelector};
use crate::ports::{EventSink, GitRepos, Notice, ProjectStore, WorkspaceStore};

/// Workspaces: one git worktree on its own branch per piece of work.
///
/// Invariant: work is never lost silently. Removing a workspace with uncommitted changes or
/// with commits its base does not have is refused unless forced, and even forced, a branch
/// holding unmerged commits is kept.
pub struct Workspaces {
    projects: Arc<dyn ProjectStore>,
    store: Arc<dyn WorkspaceStore>,
    git: Arc<dyn GitRepos>,
    events: Arc<dyn EventSink>,
    worktrees_dir: PathBuf,
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
        Self { projects, store, git, events, worktrees_dir }
    }

    pub fn worktrees_dir(&self) -> &Path {
        &self.worktrees_dir
    }

    /// Creates a worktree on `branch` (new from `base`, default the project's default branch,
    /// or existing) under `<worktrees_dir>/<project>/<branch>`. Idempotent: when the project
    /// already has a workspace on that branch it is returned with `false`.
    ///
    /// # Errors
    /// `InvalidInput` for bad names, `NotFound` for an unknown project or base, `Conflict` when
    /// the branch is checked out elsewhere or the path is taken.
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
        if let Some(existing) = self.store.workspace_by_branch(project.id, &branch).await? {
            return Ok((existing, false));
        }
        let path = self.worktrees_dir.join(project.name.as_str()).join(branch.as_str());
        let created =
            match self.git.add_worktree(&project.path, &path, &branch, &base).await {
                Ok(created) => created,
                Err(e @ (GitError::PathExists(_) | GitError::BranchCheckedOut(_))) => {
                    // A concurrent create of the same workspace may have won the race.
                    return match self.store.workspace_by_branch(project.id, &branch).await? {
                        Some(existing) => Ok((existing, false)),
                        None => Err(e.into()),
                    };
                }
                Err(GitError::RefNotFound(r)) => {
                    return Err(CoreError::NotFound(format!(
                    "base '{r}' does not name a commit in project '{}'; see its branches with `git -C {} branch`",
                    project.name,
                    project.path.display()
                ).into()));
                }
                Err(e) => return Err(e.into()),
            };
        let new = NewWorkspace {
            project_id: project.id,
            branch: branch.clone(),
            base,
            path: path.clone(),
            branch_created: created,
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
                if let StoreError::Duplicate(_) = e
                    && let Some(existing) = self.store.workspace_by_branch(project.id, &branch).await?
                {
                    return Ok((existing, false));
                }
                Err(e.into())
            }
        }
    }

    /// Workspaces of one project (by name) or of all, each with its project's name.
    pub async fn list(&self, project: Option<&str>) -> Result<Vec<(ProjectName, Workspace)>, CoreError> {
        let projects = match project {
            Some(name) => vec![self.project(name).await?],
            None => self.projects.list_projects().await?,
        };
        let mut out = Vec::new();
        for p in projects {
            for ws in self.store.list_workspaces(Some(p.id)).await? {
                out.push((p.name.clone(), ws));
            }
        }
        out.sort_by_key(|(_, w)| w.id);
        Ok(out)
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
    pub async fn remove(&self, selector: &str, force: bool) -> Result<WorkspaceRemoval, CoreError> {
        let (project, workspace) = self.resolve(selector).await?;
        let name = format!("{}/{}", project.name, workspace.branch);
        let missing = match self.git.status(&workspace.path).await {
            Ok(changes) if !changes.is_empty() && !force => {
                let shown: Vec<&str> = changes.iter().take(5).map(|c| c.path.as_str()).collect();
                let more = if changes.len() > 5 { format!(" and {} more", changes.len() - 5) } else { String::new() };
                return Err(CoreError::Refused(
                    Problem::new(format!(
                        "workspace '{name}' has {} uncommitted change(s) ({}{more})",
                        changes.len(),
                        shown.join(", ")
                    ))
                    .fix(Fix::CommitOrForce),
                ));
            }
            Ok(_) => false,
            Err(GitError::WorktreeMissing(_)) => true,
            Err(e) => return Err(e.into()),
        };
        let unmerged = if missing {
            // The directory is gone; judge the branch from the main checkout.
            None
        } else {
            match self.git.divergence(&workspace.path, &workspace.base).await {
                Ok(d) => Some(d.ahead),
                Err(GitError::RefNotFound(_)) => None,
                Err(e) => return Err(e.into()),
            }
        };
        if let Some(ahead) = unmerged.filter(|a| *a > 0)
            && !force
        {
            return Err(CoreError::Refused(
                Problem::new(format!(
                    "branch '{}' of workspace '{name}' has {ahead} commit(s) not in '{}'",
                    workspace.branch, workspace.base
                ))
                .fix(Fix::MergeOrForce),
            ));
        }
        self.git.remove_worktree(&project.path, &workspace.path, force || missing).await?;
        let (branch_deleted, branch_kept_because) = match unmerged {
            Some(0) if workspace.branch_created => {
                self.git.delete_branch(&project.path, &workspace.branch).await?;
                (true, None)
            }
            Some(0) => (false, Some("the branch existed before the workspace".to_owned())),
            Some(n) => (false, Some(format!("it has {n} commit(s) not in '{}'", workspace.base))),
            None => (false, Some("its merge state could not be checked".to_owned())),
        };
        self.store.delete_workspace(workspace.id).await?;
        self.events.publish(Notice::WorkspaceRemoved { project: project.name.clone(), workspace: workspace.clone() });
        Ok(WorkspaceRemoval { workspace, project: project.name, branch_deleted, branch_kept_because })
    }

    async fn project(&self, name: &str) -> Result<Project, CoreError> {
        let name = ProjectName::new(name)?;
        self.projects.project_by_name(&name).await.map_err(|e| match e {
            StoreError::NotFound(_) => unknown_project(&name),
            e => e.into(),
        })
    }
}

fn no_workspace(selector: &str) -> CoreError {
    CoreError::NotFound(Problem::new(format!("no workspace '{selector}'")).fix(Fix::SeeList(ListOf::Workspaces)))
}
