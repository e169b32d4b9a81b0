//! Chats, their event log, turns and queue: the records. The [`crate::services::Chats`] service
//! decides; the stores keep.

use crate::agents::AgentId;
use crate::model::{ChatId, ChatStatus, ChatVia, Millis, PermissionMode, WorkspaceId};
use crate::names::{ChatName, LabelKey, Labels, ModelName};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TurnId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueuedId(pub i64);

/// A conversation with one agent in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: ChatId,
    pub workspace_id: WorkspaceId,
    pub agent: AgentId,
    pub model: Option<ModelName>,
    pub mode: PermissionMode,
    pub name: ChatName,
    pub labels: Labels,
    /// Its agent's protocol, or its interactive CLI in a terminal.
    pub via: ChatVia,
    /// Projection of the last `Status` event.
    pub status: ChatStatus,
    /// The agent's own session id (projection of the last `AgentSession` event), for resume.
    pub agent_session_id: Option<String>,
    /// Sequence number of the last event in the chat's log (0: none yet).
    pub last_seq: u64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChat {
    pub workspace_id: WorkspaceId,
    pub agent: AgentId,
    pub model: Option<ModelName>,
    pub mode: PermissionMode,
    pub name: ChatName,
    pub labels: Labels,
    pub via: ChatVia,
}

/// Changes to a chat's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatPatch {
    pub name: Option<ChatName>,
    /// `Some(None)`: back to the agent's default.
    pub model: Option<Option<ModelName>>,
    pub mode: Option<PermissionMode>,
    pub set_labels: Labels,
    pub remove_labels: Vec<LabelKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolCallStatus {
    Pending,
    InProgress,
    Completed,
    Failed,
}

impl ToolCallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// Why a turn ended (ACP's stop reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    MaxTurnRequests,
    Refusal,
    Cancelled,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EndTurn => "end_turn",
            Self::MaxTokens => "max_tokens",
            Self::MaxTurnRequests => "max_turn_requests",
            Self::Refusal => "refusal",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::EndTurn, Self::MaxTokens, Self::MaxTurnRequests, Self::Refusal, Self::Cancelled]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Token counts and cost. Adding usages adds every field (cost: `None` + x = x).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub cost_usd: Option<f64>,
}

impl std::ops::Add for Usage {
    type Output = Usage;
    fn add(self, o: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens + o.input_tokens,
            output_tokens: self.output_tokens + o.output_tokens,
            cache_read_tokens: self.cache_read_tokens + o.cache_read_tokens,
            cache_write_tokens: self.cache_write_tokens + o.cache_write_tokens,
            cost_usd: match (self.cost_usd, o.cost_usd) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            },
        }
    }
}

/// A choice an agent offers in a session: one of its modes or models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentChoice {
    pub id: String,
    pub name: String,
}

/// A command an agent offers (ACP's available commands, typed as `/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCommand {
    pub name: String,
    pub description: String,
}

/// What an agent reports, shaped after ACP's `session/update` variants.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentUpdate {
    /// A piece of one of the agent's messages; chunks with the same `message_id` are one message
    /// (adjacent messages with different ids are not run together). `None` where an old log or
    /// an agent gives none.
    MessageChunk {
        text: String,
        message_id: Option<String>,
    },
    ThoughtChunk {
        text: String,
    },
    /// `input` is the tool's input as JSON text.
    ToolCall {
        id: String,
        title: String,
        kind: String,
        input: String,
        /// The tool's name as the agent calls it (`Bash`, `mcp__github__create_issue`, Codex's
        /// `shell`; an ACP agent's kind when it names none): what usage counts calls by. Empty
        /// in events stored before it was kept.
        tool: String,
    },
    ToolCallUpdate {
        id: String,
        status: ToolCallStatus,
        output: Option<String>,
    },
    Plan {
        entries: Vec<String>,
    },
    Usage(Usage),
    /// The agent's own modes and models, and which are current (from its session, and each
    /// change of them).
    SessionInfo {
        modes: Vec<AgentChoice>,
        current_mode: Option<String>,
        models: Vec<AgentChoice>,
        current_model: Option<String>,
    },
    /// The commands the agent offers now.
    Commands {
        commands: Vec<AgentCommand>,
    },
    /// One of the agent's own hooks fired (a terminal agent's, through `band notify`): its event
    /// name (`UserPromptSubmit`, `PreToolUse`, `Stop`...) and what it said, in short.
    Hook {
        event: String,
        detail: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionDecision {
    Allow,
    Deny,
}

impl PermissionDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
        }
    }
}

/// Who answered a permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// A person, through the API, CLI or dashboard.
    User,
    /// The chat's permission mode, without asking.
    Mode,
    /// A policy rule, before anyone was asked (the rule is in the chat's next `Error` event and in
    /// the audit).
    Policy,
    /// A budget of the chat's (recorded in the audit when a turn is refused or interrupted).
    Budget,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnOutcome {
    /// `None` when the turn failed.
    pub stop_reason: Option<StopReason>,
    pub error: Option<String>,
    pub usage: Usage,
}

/// One entry of a chat's log.
#[derive(Debug, Clone, PartialEq)]
pub enum EventPayload {
    /// A user message starts (or, if `queued`, is taken from the queue to start) a turn.
    Prompt {
        text: String,
        queued: Option<QueuedId>,
    },
    TurnStarted,
    TurnEnded(TurnOutcome),
    Update(AgentUpdate),
    /// The agent asks before running a tool; `input` is JSON text.
    Permission {
        request_id: String,
        tool: String,
        input: String,
    },
    PermissionResolved {
        request_id: String,
        decision: PermissionDecision,
        by: Decider,
    },
    Status {
        status: ChatStatus,
    },
    /// The agent's own session id became known (for resume).
    AgentSession {
        session_id: String,
    },
    Error {
        message: String,
    },
}

impl EventPayload {
    /// The event's kind as stored and sent: `prompt`, `turn_started`, `agent_message_chunk`...
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Prompt { .. } => "prompt",
            Self::TurnStarted => "turn_started",
            Self::TurnEnded(_) => "turn_ended",
            Self::Update(AgentUpdate::MessageChunk { .. }) => "agent_message_chunk",
            Self::Update(AgentUpdate::ThoughtChunk { .. }) => "agent_thought_chunk",
            Self::Update(AgentUpdate::ToolCall { .. }) => "tool_call",
            Self::Update(AgentUpdate::ToolCallUpdate { .. }) => "tool_call_update",
            Self::Update(AgentUpdate::Plan { .. }) => "plan",
            Self::Update(AgentUpdate::Usage(_)) => "usage_update",
            Self::Update(AgentUpdate::SessionInfo { .. }) => "session_info",
            Self::Update(AgentUpdate::Commands { .. }) => "available_commands_update",
            Self::Update(AgentUpdate::Hook { .. }) => "hook",
            Self::Permission { .. } => "permission",
            Self::PermissionResolved { .. } => "permission_resolved",
            Self::Status { .. } => "status",
            Self::AgentSession { .. } => "agent_session",
            Self::Error { .. } => "error",
        }
    }
}

/// A stored event: its chat, its place in the chat's log, when it was appended.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatEvent {
    pub chat_id: ChatId,
    pub seq: u64,
    pub at: Millis,
    pub payload: EventPayload,
}

/// A turn, as projected from its `TurnStarted` / `TurnEnded` events.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub id: TurnId,
    pub chat_id: ChatId,
    pub prompt: String,
    pub started_seq: u64,
    pub started_at: Millis,
    pub ended_seq: Option<u64>,
    pub ended_at: Option<Millis>,
    pub outcome: Option<TurnOutcome>,
    /// The model it ran on: the one the agent reported (its session's current model), else the
    /// chat's; `None` for the agent's default.
    pub model: Option<String>,
}

impl Turn {
    pub fn duration_ms(&self) -> Option<i64> {
        self.ended_at.map(|e| e - self.started_at)
    }
}

/// Usage added up over turns.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageTotals {
    pub turns: u64,
    pub usage: Usage,
    pub duration_ms: i64,
}

/// What a usage report groups turns by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageBy {
    Chat,
    Workspace,
    Project,
    Agent,
    Model,
    /// The UTC day a turn ended.
    Day,
    /// The cronjob whose run started it (turns no cronjob started are left out).
    Cronjob,
}

impl UsageBy {
    pub const ALL: [Self; 7] =
        [Self::Chat, Self::Workspace, Self::Project, Self::Agent, Self::Model, Self::Day, Self::Cronjob];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Workspace => "workspace",
            Self::Project => "project",
            Self::Agent => "agent",
            Self::Model => "model",
            Self::Day => "day",
            Self::Cronjob => "cronjob",
        }
    }
}

/// Which ended turns a usage report counts: those that ended on the UTC days `from_day` to
/// `to_day` (days since 1970-01-01, both included; `None`: no bound), of one project, workspace
/// or chat when named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageFilter {
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    pub project: Option<crate::model::ProjectId>,
    pub workspace: Option<WorkspaceId>,
    pub chat: Option<ChatId>,
}

/// The system clock in milliseconds since the epoch.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The UTC day (since 1970-01-01) a time falls on.
pub fn utc_day(at: Millis) -> i64 {
    at.div_euclid(86_400_000)
}

/// A day (since 1970-01-01) as `YYYY-MM-DD`, proleptic Gregorian (as SQLite's `date()`).
pub fn day_date(day: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day (since 1970-01-01) of a `YYYY-MM-DD` date; `None` for anything else, a day that
/// does not exist (`2026-02-30`) included.
pub fn date_day(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (y, m, d) = (num(&text[..4])?, num(&text[5..7])?, num(&text[8..])?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    // Hinnant's days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let day = era * 146_097 + doe - 719_468;
    // Out-of-range days (the 30th of February) come back as another date.
    (day_date(day) == text).then_some(day)
}

/// One group of a usage report: its key (an id, a name or a day, `YYYY-MM-DD`), how people
/// read it, and what its turns used. `usage.cost_usd` is `None` when no turn of it reported a
/// cost.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageGroup {
    pub key: String,
    pub label: String,
    pub totals: UsageTotals,
}

/// Tool calls counted by the tool's name as its agent calls it (`mcp__server__tool` for MCP).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ToolUse {
    pub tool: String,
    pub calls: u64,
}

impl ToolUse {
    /// The MCP server of an MCP tool (`mcp__github__create_issue` -> `github`).
    pub fn mcp_server(&self) -> Option<&str> {
        let rest = self.tool.strip_prefix("mcp__")?;
        rest.split_once("__").map(|(server, _)| server).filter(|s| !s.is_empty())
    }
}

/// Usage grouped one way, its total, and the tool calls of the same turns (most called first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageReport {
    pub groups: Vec<UsageGroup>,
    pub total: UsageTotals,
    pub tools: Vec<ToolUse>,
}

/// One ended turn's usage with where it ran and the tools it called.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnUsage {
    pub turn: Turn,
    pub workspace_id: WorkspaceId,
    pub agent: String,
    pub tools: Vec<ToolUse>,
}

#[cfg(test)]
mod day_tests {
    use super::{date_day, day_date, utc_day};

    #[test]
    fn days_and_dates_go_both_ways() {
        assert_eq!(day_date(0), "1970-01-01");
        assert_eq!(day_date(-1), "1969-12-31");
        assert_eq!(date_day("2026-12-03"), Some(20_790));
        assert_eq!(day_date(20_790), "2026-12-03");
        assert_eq!(date_day("2024-02-29").map(day_date).as_deref(), Some("2024-02-29"));
        for day in [-700_000, -1, 0, 59, 60, 11_016, 20_790, 2_932_896] {
            assert_eq!(date_day(&day_date(day)), Some(day), "{day}");
        }
        assert_eq!(utc_day(86_400_000 - 1), 0);
        assert_eq!(utc_day(-1), -1);
    }

    #[test]
    fn dates_that_do_not_exist_are_refused() {
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "",
            "2026-01-0x",
            "+026-01-01",
        ] {
            assert_eq!(date_day(bad), None, "{bad}");
        }
    }
}

/// A message waiting for its chat to be free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: QueuedId,
    pub chat_id: ChatId,
    /// 0-based place in the queue.
    pub position: u32,
    pub text: String,
    pub created_at: Millis,
}

/// The longest title drawn from a prompt, in characters.
pub const TITLE_CHARS: usize = 48;

/// A chat's title drawn from its first prompt: the first line with text, whitespace collapsed,
/// cut at a word boundary (with an ellipsis) when longer than [`TITLE_CHARS`]. `None` when the
/// prompt has no usable text.
pub fn title_from_prompt(prompt: &str) -> Option<ChatName> {
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty())?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut title = String::new();
    for w in &words {
        let next = if title.is_empty() { w.chars().count() } else { title.chars().count() + 1 + w.chars().count() };
        if next > TITLE_CHARS {
            if title.is_empty() {
                title = w.chars().take(TITLE_CHARS).collect();
            }
            title.push('…');
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(w);
    }
    let title: String = title.chars().filter(|c| !c.is_control()).collect();
    ChatName::new(&title).ok()
}
