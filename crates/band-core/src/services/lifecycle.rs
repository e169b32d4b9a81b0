//! Workspaces over time: the facts a person weighs (ahead/behind the base and the remote, dirty
//! files, disk use, last activity), archiving (the worktree goes, the branch and chats stay) and
//! restoring, and what a clean-up would reclaim. Retention archives only what loses nothing.
//!
//! Invariant: nothing here ever loses work. A workspace is archived by retention only when its
//! worktree has no uncommitted change, its branch has no commit that is neither in its base nor
//! pushed to its upstream, no agent works in it, no terminal is open in it (archiving would kill
//! its shell and what runs there), and it is not direct.

use std::sync::Arc;

use super::{Chats, Terminals, Workspaces};
use crate::error::{CoreError, Fix, GitError, Problem};
use crate::model::{Divergence, Millis, Workspace};
use crate::names::ProjectName;
use crate::ports::{ChatStore, Clock, GitRepos, ProjectStore};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What is known of a workspace now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFacts {
    pub project: ProjectName,
    pub workspace: Workspace,
    /// Its worktree is gone without being archived.
    pub missing: bool,
    /// Paths with uncommitted changes (none when archived or missing).
    pub dirty: Vec<String>,
    /// Against its base: `None` when the base names no commit.
    pub base: Option<Divergence>,
    /// Against its upstream (name and divergence), when it has one.
    pub remote: Option<(String, Divergence)>,
    /// Bytes of its own files (shared objects not counted); `None` when it has no worktree.
    pub disk_bytes: Option<u64>,
    /// The latest of its creation and its chats' last changes.
    pub last_activity: Millis,
}

impl WorkspaceFacts {
    /// Commits that would be lost without the branch: neither in the base nor pushed.
    pub fn unsaved_commits(&self) -> u32 {
        let ahead = self.base.map_or(0, |d| d.ahead);
        match &self.remote {
            Some((_, r)) if ahead > 0 => r.ahead,
            _ => ahead,
        }
    }
}

/// A workspace a clean-up would archive, or keeps, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcItem {
    pub facts: WorkspaceFacts,
    /// Why it is archived, or why it is kept.
    pub why: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Archived (with `apply`), or that would be.
    pub archive: Vec<GcItem>,
    /// Kept, with why.
    pub kept: Vec<GcItem>,
    /// Bytes the archived worktrees took (or would free).
    pub reclaim_bytes: u64,
    /// Whether `archive` was done, not only proposed.
    pub applied: bool,
}

/// Facts, archive and restore, clean-up. Cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    workspaces: Arc<Workspaces>,
    projects: Arc<dyn ProjectStore>,
    chat_store: Arc<dyn ChatStore>,
    chats: Chats,
    terminals: Terminals,
    git: Arc<dyn GitRepos>,
    clock: Arc<dyn Clock>,
}

impl Lifecycle {
    pub fn new(
        workspaces: Arc<Workspaces>,
        projects: Arc<dyn ProjectStore>,
        chat_store: Arc<dyn ChatStore>,
        chats: Chats,
        terminals: Terminals,
        git: Arc<dyn GitRepos>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { workspaces, projects, chat_store, chats, terminals, git, clock }
    }

    /// The workspace's facts now.
    pub async fn facts(&self, selector: &str) -> Result<WorkspaceFacts, CoreError> {
        let (project, workspace) = self.workspaces.resolve(selector).await?;
        self.facts_of(project.name, project.path, workspace).await
    }

    async fn facts_of(
        &self,
        project: ProjectName,
        repo: std::path::PathBuf,
        workspace: Workspace,
    ) -> Result<WorkspaceFacts, CoreError> {
        let chats = self.chat_store.list_chats(Some(workspace.id)).await?;
        let last_activity = chats.iter().map(|c| c.updated_at).chain([workspace.created_at]).max().unwrap_or(0);
        let mut facts = WorkspaceFacts {
            project,
            missing: false,
            dirty: Vec::new(),
            base: None,
            remote: None,
            disk_bytes: None,
            last_activity: last_activity.max(workspace.archived_at.unwrap_or(0)),
            workspace,
        };
        let w = &facts.workspace;
        if w.archived_at.is_some() {
            facts.base = match self.git.branch_divergence(&repo, &w.branch, &w.base).await {
                Ok(d) => Some(d),
                Err(GitError::RefNotFound(_)) => None,
                Err(e) => return Err(e.into()),
            };
            return Ok(facts);
        }
        match self.git.status(&w.path).await {
            Ok(changes) => facts.dirty = changes.into_iter().map(|c| c.path).collect(),
            Err(GitError::WorktreeMissing(_) | GitError::NoSuchPath(_) | GitError::NotARepository(_)) => {
                facts.missing = true;
                return Ok(facts);
            }
            Err(e) => return Err(e.into()),
        }
        facts.base = match self.git.divergence(&w.path, &w.base).await {
            Ok(d) => Some(d),
            Err(GitError::RefNotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        facts.remote = self.git.upstream_divergence(&w.path).await?;
        // A direct workspace's files are the checkout's: not the workspace's to reclaim.
        if !w.direct {
            facts.disk_bytes = self.git.disk_usage(&w.path).await.ok();
        }
        Ok(facts)
    }

    /// Archives the workspace (see [`Workspaces::archive`]) once no agent works in it: idle
    /// agents are stopped and terminals killed first, as their directory goes.
    ///
    /// # Errors
    /// `Refused` while one of its chats is working or waiting, or with uncommitted changes.
    pub async fn archive(&self, selector: &str) -> Result<Workspace, CoreError> {
        let (_, workspace) = self.workspaces.resolve(selector).await?;
        let chats = self.chat_store.list_chats(Some(workspace.id)).await?;
        if let Some(busy) = chats.iter().find(|c| c.status.busy()) {
            return Err(CoreError::Refused(
                Problem::new(format!("chat {} is {} in this workspace", busy.id.0, busy.status.as_str()))
                    .fix(Fix::StopChat { chat: busy.id.0 }),
            ));
        }
        if workspace.direct || workspace.archived_at.is_some() {
            return self.workspaces.archive(selector, self.clock.now_ms()).await;
        }
        // Refuse before stopping anything when work would be lost.
        if let Ok(changes) = self.git.status(&workspace.path).await
            && !changes.is_empty()
        {
            return self.workspaces.archive(selector, self.clock.now_ms()).await;
        }
        for chat in &chats {
            self.chats.stop(chat.id).await?;
        }
        self.terminals.kill_workspace(workspace.id).await;
        self.workspaces.archive(selector, self.clock.now_ms()).await
    }

    /// Restores an archived workspace (see [`Workspaces::restore`]).
    pub async fn restore(&self, selector: &str) -> Result<Workspace, CoreError> {
        self.workspaces.restore(selector).await
    }

    /// What a clean-up would archive: every workspace idle for `idle_days` or more that loses
    /// nothing by it (see the module's invariant), with the bytes its worktree takes; the others
    /// with why they are kept. With `apply`, archives them, and a failure keeps that one (with
    /// why) and goes on.
    pub async fn gc(&self, idle_days: u32, apply: bool) -> Result<GcReport, CoreError> {
        let now = self.clock.now_ms();
        let mut report = GcReport { applied: apply, ..GcReport::default() };
        let terminals = self.terminals.list(None).await?;
        for project in self.projects.list_projects().await? {
            for listed in self.workspaces.list(Some(project.name.as_str())).await? {
                let w = listed.workspace;
                if w.archived_at.is_some() {
                    continue;
                }
                let facts = self.facts_of(project.name.clone(), project.path.clone(), w).await?;
                let idle_for = (now - facts.last_activity).max(0) / DAY_MS;
                let keep = |why: String| Some(why);
                let chats = self.chat_store.list_chats(Some(facts.workspace.id)).await?;
                let why_kept = if facts.workspace.direct {
                    keep("direct: the project's checkout is never archived".into())
                } else if facts.missing {
                    keep("its worktree is gone: remove the workspace instead".into())
                } else if !facts.dirty.is_empty() {
                    keep(format!("{} uncommitted change(s)", facts.dirty.len()))
                } else if facts.unsaved_commits() > 0 {
                    keep(format!("{} commit(s) neither in its base nor pushed", facts.unsaved_commits()))
                } else if let Some(busy) = chats.iter().find(|c| c.status.busy()) {
                    keep(format!("chat {} is {}", busy.id.0, busy.status.as_str()))
                } else if let Some(open) =
                    terminals.iter().find(|t| t.workspace_id == facts.workspace.id && t.exit.is_none())
                {
                    keep(format!("terminal {} is open", open.id.0))
                } else if idle_for < i64::from(idle_days) {
                    keep(format!("active {idle_for} day(s) ago (archived after {idle_days})"))
                } else {
                    None
                };
                if let Some(why) = why_kept {
                    report.kept.push(GcItem { facts, why });
                    continue;
                }
                let why = format!("idle {idle_for} day(s), nothing uncommitted or unpushed");
                if apply && let Err(e) = self.archive(&facts.workspace.id.0.to_string()).await {
                    report.kept.push(GcItem { facts, why: format!("archiving failed: {e}") });
                    continue;
                }
                report.reclaim_bytes += facts.disk_bytes.unwrap_or(0);
                report.archive.push(GcItem { facts, why });
            }
        }
        Ok(report)
    }
}
