//! The wire types of pull requests (`workspaces.pr*`, `projects.prs`), through the GitHub CLI.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{CheckOutcomeName, PullStateName};

/// A pull request as the GitHub CLI reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullInfo {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub state: PullStateName,
    pub draft: bool,
    /// The branch it proposes.
    pub head: String,
    /// The branch it goes into.
    pub base: String,
    pub checks: Vec<CheckInfo>,
}

/// One check (a CI check run or a commit status) on a pull request's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckInfo {
    pub name: String,
    pub outcome: CheckOutcomeName,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacesPrParams {
    /// A workspace id, `project/branch`, a branch unique across projects, or an absolute path
    /// inside the workspace.
    pub workspace: String,
    /// Default: drafted from the workspace's chats (see workspaces.pr.draft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Default: drafted from the workspace's chats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Open it as a draft.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub draft: bool,
}

/// What `workspaces.pr` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullCreatedInfo {
    pub workspace_id: i64,
    pub pull: PullInfo,
    /// The remote the branch was pushed to.
    pub pushed_to: String,
    /// False when the branch already had an open pull request (returned as it is).
    pub created: bool,
}

/// A workspace's pull request, if its branch has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullStatusInfo {
    pub workspace_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<PullInfo>,
}

/// The title and body a new pull request of the workspace would get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullDraftInfo {
    pub title: String,
    pub body: String,
}
