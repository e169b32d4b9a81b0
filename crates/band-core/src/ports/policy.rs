//! Policies' ports: where the rules of each scope are kept, how an adapter's tool call becomes a
//! [`ToolCall`] band can judge, and the audit of agent actions.

use std::path::Path;

use async_trait::async_trait;

use crate::chat::{Decider, PermissionDecision};
use crate::error::StoreError;
use crate::model::{ChatId, Millis, WorkspaceId};
use crate::policy::{PolicyRules, PolicyScope, ToolCall};

/// The rules set at each scope.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// What `scope` sets (empty when nothing).
    async fn policy(&self, scope: PolicyScope) -> Result<PolicyRules, StoreError>;

    /// Replaces what `scope` sets (empty rules remove the scope's row).
    async fn put_policy(&self, scope: PolicyScope, rules: PolicyRules) -> Result<(), StoreError>;
}

/// Turns an agent's permission request into a [`ToolCall`]: its action (command line, create or
/// edit of a file) and the paths it touches, relative to `workspace` (absolute when outside it).
/// Create vs edit is whether the path exists in the workspace now.
pub trait ToolClassifier: Send + Sync {
    /// `tool` and `input` (JSON text) as the adapter reported them; `edit` is the adapter's own
    /// "only changes files" flag.
    fn classify(&self, tool: &str, input: &str, edit: bool, workspace: &Path) -> ToolCall;
}

/// What an audit entry of agent actions is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// A tool call and its decision.
    ToolCall,
    /// A cronjob run.
    CronRun,
    /// A policy was changed.
    PolicyChange,
    /// A chat was refused a turn (`maxTurns`).
    TurnRefused,
}

impl ActionKind {
    pub const ALL: [Self; 4] = [Self::ToolCall, Self::CronRun, Self::PolicyChange, Self::TurnRefused];

    pub fn name(self) -> &'static str {
        match self {
            Self::ToolCall => "tool_call",
            Self::CronRun => "cron_run",
            Self::PolicyChange => "policy_change",
            Self::TurnRefused => "turn_refused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// An agent action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub kind: ActionKind,
    pub chat: Option<ChatId>,
    pub workspace: Option<WorkspaceId>,
    /// The tool's name (tool calls).
    pub tool: Option<String>,
    pub decision: Option<PermissionDecision>,
    pub decider: Option<Decider>,
    /// The rule that decided, with its scope (`canRunCommands=false (global)`).
    pub rule: Option<String>,
    /// What it was about: a command line, paths, a policy assignment, a job's key.
    pub detail: String,
}

/// A recorded agent action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionEntry {
    pub id: i64,
    pub at: Millis,
    pub action: NewAction,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub kind: Option<ActionKind>,
    pub chat: Option<ChatId>,
    pub workspace: Option<WorkspaceId>,
    pub decider: Option<Decider>,
    /// At or after.
    pub since: Option<Millis>,
    /// Entries with a smaller id (paging, newest first).
    pub before: Option<i64>,
    pub limit: usize,
}

/// The audit of agent actions, bounded.
#[async_trait]
pub trait ActionAudit: Send + Sync {
    /// Appends (id increasing, `at` now) and prunes the oldest beyond `keep`, in one transaction.
    async fn append_action(&self, action: NewAction, keep: usize) -> Result<ActionEntry, StoreError>;

    /// Entries matching `filter`, newest first, at most `filter.limit`.
    async fn actions(&self, filter: ActionFilter) -> Result<Vec<ActionEntry>, StoreError>;
}
