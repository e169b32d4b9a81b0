use std::sync::Arc;

use super::workspaces::refuse_archived;
use super::{Chats, Workspaces};
use crate::chat::EventPayload;
use crate::error::CoreError;
use crate::model::{Project, Workspace};
use crate::names::BranchName;
use crate::ports::{GitRepos, PullRequests};
use crate::pulls::{NewPullRequest, PullRef, PullRequest};

/// Pull requests of workspaces' branches, through the user's own GitHub CLI: create one
/// (pushing the branch first; title and body drafted from the workspace's chats unless given),
/// its state and checks, a project's open ones, and the branch of one to open a workspace on.
pub struct Pulls {
    workspaces: Arc<Workspaces>,
    git: Arc<dyn GitRepos>,
    gh: Arc<dyn PullRequests>,
    chats: Chats,
}

/// What [`Pulls::create`] did.
#[derive(Debug)]
pub struct CreatedPull {
    pub workspace: Workspace,
    pub pull: PullRequest,
    /// The remote the branch was pushed to.
    pub pushed_to: String,
    /// False when the branch already had an open pull request (returned as it is).
    pub created: bool,
}

impl Pulls {
    /// Largest title, and body, in bytes.
    pub const MAX_TITLE_BYTES: usize = 256;
    pub const MAX_BODY_BYTES: usize = 64 * 1024;

    pub fn new(workspaces: Arc<Workspaces>, git: Arc<dyn GitRepos>, gh: Arc<dyn PullRequests>, chats: Chats) -> Self {
        Self { workspaces, git, gh, chats }
    }

    /// Opens a pull request for the workspace's branch into its base, after pushing the branch.
    /// A branch that already has an open one gets it back, unchanged.
    ///
    /// # Errors
    /// `InvalidInput` for an empty or too long title or body; `Refused` for an archived
    /// workspace, a workspace on its base branch, a push that fails, and a missing or signed-out
    /// GitHub CLI (with the fix).
    pub async fn create(
        &self,
        workspace: &str,
        title: Option<String>,
        body: Option<String>,
        draft: bool,
    ) -> Result<CreatedPull, CoreError> {
        let (project, ws) = self.workspaces.resolve(workspace).await?;
        refuse_archived(&project, &ws)?;
        let base = base_branch(&ws);
        if ws.branch.as_str() == base {
            return Err(CoreError::Refused(
                format!(
                    "workspace '{}/{}' is on its base branch '{base}': a pull request needs a branch of its own",
                    project.name, ws.branch
                )
                .into(),
            ));
        }
        if let Some(t) = &title
            && (t.trim().is_empty() || t.len() > Self::MAX_TITLE_BYTES)
        {
            return Err(CoreError::InvalidInput(
                format!("a pull request's title is 1 to {} bytes, not {}", Self::MAX_TITLE_BYTES, t.trim().len())
                    .into(),
            ));
        }
        if body.as_ref().is_some_and(|b| b.len() > Self::MAX_BODY_BYTES) {
            return Err(CoreError::InvalidInput(
                format!("a pull request's body is at most {} bytes", Self::MAX_BODY_BYTES).into(),
            ));
        }
        // gh first: a missing or signed-out CLI is said before anything is pushed.
        let existing = self.gh.view(&ws.path, ws.branch.as_str()).await?;
        let pushed_to = self.git.push_branch(&ws.path, &ws.branch).await?;
        if let Some(pull) = existing.filter(|p| p.state == crate::pulls::PullState::Open) {
            return Ok(CreatedPull { workspace: ws, pull, pushed_to, created: false });
        }
        let (drafted_title, drafted_body) = self.draft(&ws).await?;
        let new = NewPullRequest {
            head: ws.branch.to_string(),
            base: base.to_owned(),
            title: title.map_or(drafted_title, |t| t.trim().to_owned()),
            body: body.unwrap_or(drafted_body),
            draft,
        };
        let url = self.gh.create(&ws.path, &new).await?;
        let pull = self.gh.view(&ws.path, ws.branch.as_str()).await?.unwrap_or(PullRequest {
            number: url.rsplit('/').next().and_then(|n| n.parse().ok()).unwrap_or(0),
            url,
            title: new.title,
            state: crate::pulls::PullState::Open,
            draft,
            head: new.head,
            base: new.base,
            checks: Vec::new(),
        });
        Ok(CreatedPull { workspace: ws, pull, pushed_to, created: true })
    }

    /// The title and body a new pull request of the workspace gets unless given: the title is
    /// its first chat's (named by its first prompt), else the branch; the body lists the prompts
    /// of its chats.
    pub async fn draft(&self, ws: &Workspace) -> Result<(String, String), CoreError> {
        let chats = self.chats.list(Some(&ws.id.0.to_string())).await?;
        let title = chats
            .iter()
            .find(|c| c.name.as_str() != c.agent.as_str())
            .map_or_else(|| ws.branch.as_str().replace(['-', '_', '/'], " "), |c| c.name.to_string());
        let mut body = format!("Work on `{}`, done with band.\n", ws.branch);
        for chat in &chats {
            let prompts: Vec<String> = self
                .chats
                .events_after(chat.id, 0, 500)
                .await?
                .into_iter()
                .filter_map(|e| match e.payload {
                    EventPayload::Prompt { text, .. } => Some(text),
                    _ => None,
                })
                .take(5)
                .collect();
            if prompts.is_empty() {
                continue;
            }
            body.push_str(&format!("\n### {} ({})\n", chat.name, chat.agent));
            for p in prompts {
                let one: String = p.lines().next().unwrap_or("").chars().take(200).collect();
                body.push_str(&format!("- {one}\n"));
            }
        }
        Ok((title, body))
    }

    /// The workspace's pull request (of its branch) with its checks; `None` when it has none.
    ///
    /// # Errors
    /// `Refused` for a missing or signed-out GitHub CLI; `NotFound` for an unknown workspace.
    pub async fn status(&self, workspace: &str) -> Result<(Workspace, Option<PullRequest>), CoreError> {
        let (project, ws) = self.workspaces.resolve(workspace).await?;
        let dir = if ws.archived_at.is_some() { project.path.clone() } else { ws.path.clone() };
        let pull = self.gh.view(&dir, ws.branch.as_str()).await?;
        Ok((ws, pull))
    }

    /// The project's open pull requests, newest first.
    pub async fn list(&self, project: &str) -> Result<(Project, Vec<PullRequest>), CoreError> {
        let project = self.workspaces.project(project).await?;
        let pulls = self.gh.list(&project.path).await?;
        Ok((project, pulls))
    }

    /// The branch of pull request `pull` (a number, or a URL of this project's repository) and
    /// its base, fetched into the project's repository when it has no such branch yet: what a
    /// workspace for the pull request is created on.
    ///
    /// # Errors
    /// `InvalidInput` for something that is no pull request, or a URL of another repository;
    /// `NotFound` for an unknown project or pull request; `Refused` when fetching fails or the
    /// GitHub CLI is missing or signed out.
    pub async fn branch_of(&self, project: &str, pull: &str) -> Result<(BranchName, String), CoreError> {
        let which = PullRef::parse(pull)?;
        let project = self.workspaces.project(project).await?;
        if let PullRef::Url { repository, .. } = &which {
            let ours = self.gh.repository(&project.path).await?;
            if !ours.eq_ignore_ascii_case(repository) {
                return Err(CoreError::InvalidInput(
                    format!("{pull} is a pull request of {repository}, but project '{}' is {ours}: give a pull request of {ours}", project.name)
                        .into(),
                ));
            }
        }
        let number = which.number();
        let pr = self.gh.view(&project.path, &number.to_string()).await?.ok_or_else(|| {
            CoreError::NotFound(format!("no pull request #{number} in project '{}'", project.name).into())
        })?;
        let branch = BranchName::new(&pr.head).map_err(|e| {
            CoreError::InvalidInput(format!("pull request #{number}'s branch '{}': {e}", pr.head).into())
        })?;
        let have = self.git.branches(&project.path).await?;
        if !have.iter().any(|b| b == branch.as_str()) {
            self.git.fetch_pull(&project.path, number, &branch).await?;
        }
        Ok((branch, pr.base))
    }
}

/// The base as a branch name on the remote (`origin/main` → `main`).
fn base_branch(ws: &Workspace) -> &str {
    let base = ws.base.as_str();
    base.strip_prefix("origin/").or_else(|| base.strip_prefix("refs/heads/")).unwrap_or(base)
}
