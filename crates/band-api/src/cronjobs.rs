//! The wire types of cronjobs (`cronjobs.*` and `cronjobs.subscribe`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AgentId, CronOutcome, CronTargetKind, CronTrigger, IfBusy, IfMissed, Mode, UsageInfo};

/// A cronjob: a prompt sent on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronJobInfo {
    pub key: String,
    pub name: String,
    pub prompt: String,
    /// The cron expression (5 fields, or 6 with seconds first), when it runs on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// The IANA time zone of the cron expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The interval (`30s`, `1h30m`), when it runs on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    pub target: CronTargetInfo,
    /// The agent of the chats it creates (default claude-code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    /// The permission mode of the chats it creates (default ask).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    pub enabled: bool,
    pub if_busy: IfBusy,
    pub if_missed: IfMissed,
    /// The most its runs may spend together: `maxCostUsd=0.5,maxTokens=100000`; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    /// When it runs next (ms since the epoch); absent while disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Where a cronjob's prompt goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronTargetInfo {
    pub kind: CronTargetKind,
    /// The chat (kind `chat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// The workspace's id (kind `workspace`; and `chat`, the chat's workspace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
    /// `project/branch` of the workspace, or the project (kind `new_workspace`), while they exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One run of a cronjob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronRunInfo {
    pub id: i64,
    /// Its job's key.
    pub key: String,
    pub trigger: CronTrigger,
    /// When it was due (a manual run: when it was asked for), ms since the epoch.
    pub scheduled_at: i64,
    /// When band acted on it.
    pub at: i64,
    pub outcome: CronOutcome,
    /// Why it was skipped or failed, what the busy chat did, how many runs were missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    /// The turn it started (see `chats.turns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<i64>,
    pub usage: UsageInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
}

/// A new cronjob. Give one schedule (`cron`, with an optional `timezone`, or `every`) and one
/// target (`chat`, `workspace`, or `project` with `newWorkspace: true`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronjobsCreateParams {
    /// 1 to 64 lowercase letters, digits, `-`, `_`, `.`.
    pub key: String,
    pub name: String,
    /// The message each run sends.
    pub prompt: String,
    /// A cron expression: 5 fields (minute hour day-of-month month day-of-week), or 6 with
    /// seconds first; e.g. `0 9 * * 1-5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// An interval: `30s`, `5m`, `2h`, `1d`, `1h30m` (at least 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    /// The cron expression's IANA time zone (default: the server's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Send into this chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    /// A new chat in this workspace (a selector) for every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// With `newWorkspace: true`: a new workspace of this project for every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default)]
    pub new_workspace: bool,
    /// The agent of the chats it creates (not with `chat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    /// The permission mode of the chats it creates (not with `chat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Create it disabled.
    #[serde(default)]
    pub disabled: bool,
    /// Default: queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_busy: Option<IfBusy>,
    /// Default: skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_missed: Option<IfMissed>,
    /// The most its runs may spend together: `maxCostUsd=0.5,maxTokens=100000` (either or
    /// both; for an update, replacing the old one, `""` removing it). At 80 % a warning; at 100 %
    /// the running turn stops and the next runs are skipped until it is raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
}

/// Changes to a cronjob; what is left out stays as it is. A new schedule or target replaces the
/// old one (give one, as for `cronjobs.create`); a `timezone` alone moves the cron expression
/// to that zone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronjobsUpdateParams {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default)]
    pub new_workspace: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Enable (`true`) or disable (`false`) it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_busy: Option<IfBusy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_missed: Option<IfMissed>,
    /// The most its runs may spend together: `maxCostUsd=0.5,maxTokens=100000` (either or
    /// both; for an update, replacing the old one, `""` removing it). At 80 % a warning; at 100 %
    /// the running turn stops and the next runs are skipped until it is raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronjobKeyParams {
    pub key: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronjobsRunsParams {
    pub key: String,
    /// Runs older than this run id (for the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Default 50, at most 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CronjobsSubscribeParams {
    /// Only this job; all when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// What `cronjobs.subscribe` carries: each tick of the scheduler that changed something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum CronNotice {
    /// A job was created or changed (settings, next or last run time).
    Job { job: CronJobInfo },
    /// A job was deleted.
    Removed { key: String },
    /// A run was recorded or moved on (queued, running, ended, skipped).
    Run { run: CronRunInfo },
}
