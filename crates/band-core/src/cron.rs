//! Cronjobs: a prompt sent on a schedule (a cron expression in a time zone, or an interval) into
//! a chat, a new chat of a workspace, or a new workspace of a project; and the history of their
//! runs. The scheduler is [`crate::services::Cronjobs`].

use crate::agents::AgentId;
use crate::chat::{QueuedId, TurnId, Usage};
use crate::model::{ChatId, Millis, PermissionMode, ProjectId, WorkspaceId};
use crate::names::NameError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CronJobId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CronRunId(pub i64);

/// A cronjob's key: what people and scripts name it by. 1 to 64 lowercase letters, digits, `-`,
/// `_` or `.`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CronKey(String);

impl CronKey {
    /// # Errors
    /// An empty or over-long key, or a character outside the set.
    pub fn new(value: &str) -> Result<Self, NameError> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(NameError {
                what: "cronjob key",
                value: crate::names::shown(value),
                reason: "use 1 to 64 lowercase letters, digits, '-', '_' or '.', starting with a letter or digit"
                    .into(),
            });
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CronKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

/// When a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// A cron expression (5 fields, or 6 with seconds first), evaluated in an IANA time zone.
    Cron { expr: String, zone: String },
    /// Every so many milliseconds, counted from when the job was created, enabled or last ran.
    Every { ms: u64 },
}

/// The shortest interval: one second.
pub const MIN_INTERVAL_MS: u64 = 1000;

/// Parses an interval: a number with a unit (`s`, `m`, `h`, `d`), or several (`1h30m`).
///
/// # Errors
/// What was wrong and how to write one.
pub fn parse_interval(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "'{}' is not an interval; write a number with a unit, s, m, h or d (30s, 5m, 2h, 1d, or combined: 1h30m)",
            crate::names::shown(text.trim())
        )
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    if total < MIN_INTERVAL_MS {
        return Err(format!("the interval '{}' is shorter than one second; use 1s or more", t));
    }
    if total > 366 * 86_400_000 {
        return Err(format!("the interval '{t}' is longer than a year; use a cron expression for rare runs"));
    }
    Ok(total)
}

/// An interval written the way [`parse_interval`] reads it (`90000` ms is `1m30s`).
pub fn format_interval(ms: u64) -> String {
    let mut left = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [('d', 86_400), ('h', 3600), ('m', 60), ('s', 1)] {
        if left >= size {
            out.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// Where a job's prompt goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronTarget {
    /// An existing chat: each run is a message to it.
    Chat(ChatId),
    /// A new chat in this workspace for every run.
    Workspace(WorkspaceId),
    /// A new workspace of this project (branch `cron/<key>/<run>`) with a new chat, every run.
    NewWorkspace(ProjectId),
}

/// What a run does when its chat is busy with a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfBusy {
    /// The prompt waits in the chat's queue.
    Queue,
    /// The run is skipped (recorded as such).
    Skip,
}

impl IfBusy {
    pub const ALL: [IfBusy; 2] = [Self::Queue, Self::Skip];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Skip => "skip",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What happens to runs that fell due while band-server was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfMissed {
    /// They are recorded as missed, and the job waits for its next time.
    Skip,
    /// One run (however many were missed) at start.
    RunOnce,
}

impl IfMissed {
    pub const ALL: [IfMissed; 2] = [Self::Skip, Self::RunOnce];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::RunOnce => "run-once",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CronJob {
    pub id: CronJobId,
    pub key: CronKey,
    pub name: String,
    pub prompt: String,
    pub schedule: Schedule,
    pub target: CronTarget,
    /// The agent of the chats the job creates (default: the default agent).
    pub agent: Option<AgentId>,
    /// The permission mode of the chats the job creates (default: ask).
    pub mode: Option<PermissionMode>,
    pub enabled: bool,
    pub if_busy: IfBusy,
    pub if_missed: IfMissed,
    /// The most its runs may spend, all together.
    pub budget: CronBudget,
    /// When it runs next; `None` while disabled (or a cron expression that never matches again).
    pub next_run_at: Option<Millis>,
    pub last_run_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A job as it is stored: the store assigns the id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCronJob {
    pub key: CronKey,
    pub name: String,
    pub prompt: String,
    pub schedule: Schedule,
    pub target: CronTarget,
    pub agent: Option<AgentId>,
    pub mode: Option<PermissionMode>,
    pub enabled: bool,
    pub if_busy: IfBusy,
    pub if_missed: IfMissed,
    pub budget: CronBudget,
    pub next_run_at: Option<Millis>,
    pub created_at: Millis,
}

/// The most a cronjob's runs may spend, all of them together (those pruned from its history, past
/// the newest [`CRON_RUNS_KEEP`], too): at 80 % a warning, at 100 % the running turn is
/// interrupted and the job's next runs are skipped until it is raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CronBudget {
    /// Millionths of a dollar.
    pub max_cost_micros: Option<u64>,
    pub max_tokens: Option<u64>,
}

impl CronBudget {
    /// As stored and shown: `maxCostUsd=0.5,maxTokens=100000` (empty: none).
    pub fn to_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.max_cost_micros {
            parts.push(format!("maxCostUsd={}", crate::usd(c)));
        }
        if let Some(t) = self.max_tokens {
            parts.push(format!("maxTokens={t}"));
        }
        parts.join(",")
    }

    /// Reads [`CronBudget::to_text`] back.
    ///
    /// # Errors
    /// What is not understood.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut b = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("'{part}' is not KEY=VALUE"))?;
            match key {
                "maxCostUsd" => b.max_cost_micros = Some(crate::dollars_to_micros(value)?),
                "maxTokens" => {
                    b.max_tokens = Some(value.parse().map_err(|_| format!("maxTokens '{value}' is not a number"))?);
                }
                _ => return Err(format!("unknown budget key '{key}'")),
            }
        }
        Ok(b)
    }
}

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunTrigger {
    /// Its time came.
    Schedule,
    /// Someone asked for it now.
    Manual,
    /// Runs fell due while band-server was down (the job's `if_missed` decides what this run is).
    Missed,
}

impl RunTrigger {
    pub const ALL: [RunTrigger; 3] = [Self::Schedule, Self::Manual, Self::Missed];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
            Self::Missed => "missed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a run is, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    /// Its prompt waits in the busy chat's queue.
    Queued,
    /// Its turn is under way.
    Running,
    Completed,
    /// The turn failed, or the prompt could not be sent (the detail says why).
    Failed,
    /// The turn was stopped or interrupted.
    Interrupted,
    /// Not sent: the chat was busy and the job skips, or runs were missed and the job skips them.
    Skipped,
    /// Its queued prompt was removed from the queue by a person before it started.
    Cancelled,
}

impl RunOutcome {
    pub const ALL: [RunOutcome; 7] =
        [Self::Queued, Self::Running, Self::Completed, Self::Failed, Self::Interrupted, Self::Skipped, Self::Cancelled];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Skipped => "skipped",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
    /// Still waiting for its turn to start or end.
    pub fn open(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct CronRun {
    pub id: CronRunId,
    pub job_id: CronJobId,
    pub trigger: RunTrigger,
    /// When it was due (for a manual run: when it was asked for).
    pub scheduled_at: Millis,
    /// When band acted on it.
    pub at: Millis,
    pub outcome: RunOutcome,
    /// Why it was skipped or failed, what became of missed runs, what the busy chat did.
    pub detail: Option<String>,
    pub workspace_id: Option<WorkspaceId>,
    pub chat_id: Option<ChatId>,
    /// The sequence number of its prompt in the chat's log (once sent), or of the chat's last
    /// event when it was queued.
    pub seq: Option<u64>,
    pub queued_id: Option<QueuedId>,
    pub turn_id: Option<TurnId>,
    pub usage: Usage,
    pub duration_ms: Option<i64>,
    pub ended_at: Option<Millis>,
}

impl CronRun {
    /// A run not stored yet (id 0).
    pub fn new(job: CronJobId, trigger: RunTrigger, scheduled_at: Millis, at: Millis) -> Self {
        Self {
            id: CronRunId(0),
            job_id: job,
            trigger,
            scheduled_at,
            at,
            outcome: RunOutcome::Running,
            detail: None,
            workspace_id: None,
            chat_id: None,
            seq: None,
            queued_id: None,
            turn_id: None,
            usage: Usage::default(),
            duration_ms: None,
            ended_at: None,
        }
    }
}

/// How many runs are kept per job (the oldest go first).
pub const CRON_RUNS_KEEP: usize = 1000;

#[cfg(test)]
mod tests {

    #[test]
    fn budgets_read_back_as_written_and_nonsense_says_why() {
        let b = CronBudget { max_cost_micros: Some(2_500_000), max_tokens: Some(1000) };
        assert_eq!(b.to_text(), "maxCostUsd=2.5,maxTokens=1000");
        assert_eq!(CronBudget::parse(&b.to_text()), Ok(b));
        assert_eq!(CronBudget::parse(""), Ok(CronBudget::default()));
        assert_eq!(CronBudget::parse("maxTokens=5"), Ok(CronBudget { max_tokens: Some(5), ..CronBudget::default() }));
        for (bad, says) in [
            ("maxCostUsd=free", "'free' is not an amount of dollars"),
            ("maxCostUsd=0", "'0' is not an amount of dollars above 0"),
            ("maxTokens=-1", "maxTokens '-1' is not a number"),
            ("dailyMaxTokens=5", "unknown budget key 'dailyMaxTokens'"),
            ("maxTokens", "'maxTokens' is not KEY=VALUE"),
        ] {
            let e = CronBudget::parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
    use super::*;

    #[test]
    fn intervals_read_units_and_refuse_nonsense() {
        assert_eq!(parse_interval("30s"), Ok(30_000));
        assert_eq!(parse_interval(" 1h30m "), Ok(5_400_000));
        assert_eq!(parse_interval("2d"), Ok(172_800_000));
        for bad in ["", "5", "5x", "m", "1.5h", "-3s", "1h 30m"] {
            let e = parse_interval(bad).expect_err(bad);
            assert!(e.contains("30s, 5m, 2h, 1d"), "{bad}: {e}");
        }
        assert!(parse_interval("0s").expect_err("zero").contains("shorter than one second"));
        assert!(parse_interval("400d").expect_err("long").contains("longer than a year"));
        assert_eq!(format_interval(5_400_000), "1h30m");
        assert_eq!(format_interval(2_000), "2s");
    }

    #[test]
    fn keys_are_lowercase_words() {
        assert!(CronKey::new("nightly-tests_2.a").is_ok());
        for bad in ["", "Nightly", "-x", "a b", "a/b", &"x".repeat(65)] {
            let e = CronKey::new(bad).expect_err(bad);
            assert!(e.to_string().contains("lowercase letters"), "{e}");
        }
    }
}
