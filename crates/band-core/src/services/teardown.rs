//! Removing a workspace as a whole: never while an agent works in it; its teardown script runs
//! first (when approved), and its chats and terminals go with its worktree. One use case, so
//! that every edge (API, CLI, dashboard) gets the same rule.

use std::sync::Arc;

use super::setup::TeardownOutcome;
use super::{Chats, ProjectSetup, Projects, Terminals, Workspaces};
use crate::error::{CoreError, Fix, Problem};
use crate::model::{Project, WorkspaceRemoval};

#[derive(Clone)]
pub struct WorkspaceTeardown {
    workspaces: Arc<Workspaces>,
    chats: Chats,
    terminals: Terminals,
    setup: ProjectSetup,
}

impl WorkspaceTeardown {
    pub fn new(workspaces: Arc<Workspaces>, chats: Chats, terminals: Terminals, setup: ProjectSetup) -> Self {
        Self { workspaces, chats, terminals, setup }
    }

    /// Removes the workspace (see [`Workspaces::remove`] for what protects its work), then its
    /// chats with their logs, then its terminals. Once the removal would not be refused, a
    /// running setup is stopped and the teardown script runs (when approved); its failure does
    /// not stop the removal, and what became of it is returned.
    ///
    /// # Errors
    /// `Refused` while one of its chats is working or waiting: stop it first. Nothing is removed
    /// then, and nothing is removed when the worktree's removal is refused.
    pub async fn remove(&self, selector: &str, force: bool) -> Result<(WorkspaceRemoval, TeardownOutcome), CoreError> {
        let (project, workspace) = self.workspaces.resolve(selector).await?;
        let chats = self.chats.list(Some(&workspace.id.0.to_string())).await?;
        if let Some(busy) = chats.iter().find(|c| c.status.busy()) {
            return Err(CoreError::Refused(
                Problem::new(format!("chat {} is {} in this workspace", busy.id.0, busy.status.as_str()))
                    .fix(Fix::StopChat { chat: busy.id.0 }),
            ));
        }
        // A direct workspace is the checkout: its scripts are for worktrees band made.
        let present =
            !workspace.direct && workspace.archived_at.is_none() && !self.workspaces.missing(&workspace).await?;
        // A teardown runs only once the removal will go ahead; the check costs a status, so it
        // is made only when there is a teardown to run.
        if present && self.setup.would_tear_down(&project).await? {
            self.workspaces.check_removal(selector, force).await?;
        }
        let teardown = self.setup.teardown(&project, &workspace, present).await?;
        // Idle agents still have processes: end them first. A chat whose agent is stopped stays
        // as it was, should the worktree's removal be refused below.
        for chat in &chats {
            self.chats.stop(chat.id).await?;
        }
        // The store deletes the workspace's chats with it; the service forgets them after.
        let removal = self.workspaces.remove(selector, force).await?;
        for chat in &chats {
            self.chats.forget(chat);
        }
        // Its shells would be left in a directory that no longer exists.
        self.terminals.kill_workspace(workspace.id).await;
        Ok((removal, teardown))
    }
}

/// What removing a project with everything in it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRemoval {
    /// The project, when it was removed (every workspace went).
    pub project: Option<Project>,
    pub removed: Vec<(WorkspaceRemoval, TeardownOutcome)>,
    /// One line for each thing that failed; what could be done was done.
    pub warnings: Vec<String>,
}

impl WorkspaceTeardown {
    /// Removes a project with everything in it: each workspace's chats are stopped (a working
    /// agent too) and its terminals killed, then it is removed as by [`Self::remove`] (refused
    /// with uncommitted or unmerged work unless `force`; a branch with unmerged commits is kept
    /// even then). A failure is a warning and the next one goes on; the project is forgotten
    /// only when none is left. Its repository is never touched.
    ///
    /// # Errors
    /// `NotFound` for an unknown project; store failures.
    pub async fn remove_project(
        &self,
        projects: &Projects,
        name: &str,
        force: bool,
    ) -> Result<ProjectRemoval, CoreError> {
        let listed = self.workspaces.list(Some(name)).await?;
        let mut out = ProjectRemoval { project: None, removed: Vec::new(), warnings: Vec::new() };
        for l in listed {
            let selector = l.workspace.id.0.to_string();
            let label = format!("{}/{}", l.project, l.workspace.branch);
            match self.chats.list(Some(&selector)).await {
                Ok(chats) => {
                    for chat in chats.iter().filter(|c| c.status.busy()) {
                        if let Err(e) = self.chats.stop(chat.id).await {
                            out.warnings
                                .push(format!("workspace '{label}': chat {} could not be stopped: {e}", chat.id.0));
                        }
                    }
                }
                Err(e) => out.warnings.push(format!("workspace '{label}': its chats could not be listed: {e}")),
            }
            match self.remove(&selector, force).await {
                Ok(r) => out.removed.push(r),
                Err(e) => out.warnings.push(format!("workspace '{label}' was kept: {e}")),
            }
        }
        if out.warnings.is_empty() {
            out.project = Some(projects.remove(name).await?);
        } else {
            out.warnings.push(format!("project '{name}' was kept, as some of its workspaces were"));
        }
        Ok(out)
    }
}
