use std::path::Path;

use async_trait::async_trait;

use crate::error::PullError;
use crate::pulls::{NewPullRequest, PullRequest};

/// Pull requests on the repository's host, as the user's own GitHub CLI sees them (its
/// sign-in, its host). Every call runs in `dir`, a checkout of the repository, and MUST NOT
/// prompt: a missing or signed-out CLI is [`PullError::NotInstalled`] or
/// [`PullError::SignedOut`], never a wait.
#[async_trait]
pub trait PullRequests: Send + Sync {
    /// `owner/name` of the repository `dir` belongs to on its host.
    async fn repository(&self, dir: &Path) -> Result<String, PullError>;

    /// Opens a pull request (the head branch must be pushed) and returns its URL.
    async fn create(&self, dir: &Path, new: &NewPullRequest) -> Result<String, PullError>;

    /// The pull request of a branch, or of a number, with its checks; `Ok(None)` when the
    /// branch has none.
    ///
    /// # Errors
    /// [`PullError::NoPullRequest`] for a number that is no pull request.
    async fn view(&self, dir: &Path, branch_or_number: &str) -> Result<Option<PullRequest>, PullError>;

    /// The repository's open pull requests, newest first.
    async fn list(&self, dir: &Path) -> Result<Vec<PullRequest>, PullError>;
}
