//! The API's enumerations. Each is a Rust enum, so the OpenRPC schema lists its values (and the
//! dashboard's TypeScript gets a union, not `string`), and each parses from its wire spelling
//! with an error that lists the choices ([`std::str::FromStr`]), which the CLI uses for its flags.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a wire enumeration: the variants with their exact wire spelling, `as_str`, `ALL`,
/// `Display` and `FromStr`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // `pad`, so that widths and alignment (`{:<12}`) apply as for a string.
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            /// # Errors
            /// The value, and the choices.
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} '{s}'; use one of: {}", $what, all.join(", "))
                })
            }
        }
    };
}

wire_enum! {
    /// Where a pull request stands.
    PullStateName, "pull request state" {
        Open = "open",
        Closed = "closed",
        Merged = "merged",
    }
}

wire_enum! {
    /// How a pull request's check came out.
    CheckOutcomeName, "check outcome" {
        Pending = "pending",
        Passed = "passed",
        Failed = "failed",
        Skipped = "skipped",
    }
}

wire_enum! {
    /// Which side of a diff a review comment's lines count on.
    DiffSide, "diff side" {
        /// The base's lines (removed ones).
        Old = "old",
        /// The workspace's lines (added or unchanged ones).
        New = "new",
    }
}

wire_enum! {
    /// How band talks to an agent.
    AgentProtocol, "agent protocol" {
        /// Claude Code's stream-json with its control protocol.
        ClaudeStreamJson = "claude-stream-json",
        /// Codex's `app-server` JSON-RPC.
        CodexAppServer = "codex-app-server",
        /// The Agent Client Protocol (JSON-RPC 2.0 over stdio).
        Acp = "acp",
        /// An interactive CLI in a terminal (a PTY band types into).
        Terminal = "terminal",
    }
}

wire_enum! {
    /// How band runs a chat's agent.
    Via, "way to run the agent" {
        /// Through the agent's structured protocol (the default).
        Protocol = "protocol",
        /// Its interactive CLI in a terminal: typed into, watched, status from its hooks
        /// (`band notify`) or its screen. Terminal agents always run so.
        Terminal = "terminal",
    }
}

impl Via {
    /// The default: the agent's protocol.
    pub fn protocol() -> Self {
        Self::Protocol
    }
}

wire_enum! {
    /// A transcript's format.
    ExportFormat, "format" {
        /// Markdown, for people.
        Md = "md",
        /// JSON (a `TranscriptInfo`), for programs.
        Json = "json",
    }
}

wire_enum! {
    /// Who answers a chat's permission requests.
    Mode, "mode" {
        /// A person, always.
        Ask = "ask",
        /// File edits are allowed; anything else waits for a person.
        AcceptEdits = "accept-edits",
        /// Everything is allowed.
        AllowAll = "allow-all",
    }
}

wire_enum! {
    /// The life of a chat.
    ChatStatus, "chat status" {
        Idle = "idle",
        Working = "working",
        /// Waiting on a person: a permission or a question.
        Waiting = "waiting",
        Completed = "completed",
        Failed = "failed",
        /// band stopped mid-turn; the next message resumes the agent's session.
        Interrupted = "interrupted",
    }
}

wire_enum! {
    /// How a file differs from the worktree's HEAD.
    ChangeKind, "change kind" {
        Added = "added",
        Modified = "modified",
        Deleted = "deleted",
        Renamed = "renamed",
        TypeChanged = "type-changed",
        Untracked = "untracked",
        Conflicted = "conflicted",
    }
}

wire_enum! {
    /// What a directory entry is.
    EntryKind, "entry kind" {
        Dir = "dir",
        File = "file",
        /// Not followed in a listing; read or list it to follow it.
        Symlink = "symlink",
        /// A pipe, socket or device: never read.
        Other = "other",
    }
}

wire_enum! {
    /// What `chats.send` did with a message.
    SendOutcome, "send outcome" {
        /// A turn began.
        Started = "started",
        /// The chat was busy; the message waits in its queue.
        Queued = "queued",
    }
}

wire_enum! {
    /// An answer to a permission request.
    Decision, "decision" {
        Allow = "allow",
        Deny = "deny",
    }
}

wire_enum! {
    /// Who answered a permission request.
    DecidedBy, "decider" {
        /// A person (the dashboard, the CLI, the API).
        User = "user",
        /// The chat's mode.
        Mode = "mode",
        /// A policy rule, before anyone was asked.
        Policy = "policy",
        /// A budget.
        Budget = "budget",
    }
}

wire_enum! {
    /// What an entry of the audit of agent actions is about.
    ActionKind, "action kind" {
        /// A tool call and its decision.
        ToolCall = "tool_call",
        /// A cronjob run.
        CronRun = "cron_run",
        /// A policy change.
        PolicyChange = "policy_change",
        /// A turn refused by maxTurns.
        TurnRefused = "turn_refused",
    }
}

wire_enum! {
    /// What a usage report groups ended turns by.
    UsageBy, "usage grouping" {
        Chat = "chat",
        Workspace = "workspace",
        Project = "project",
        Agent = "agent",
        Model = "model",
        /// The UTC day a turn ended.
        Day = "day",
        /// The cronjob whose run started it.
        Cronjob = "cronjob",
    }
}

wire_enum! {
    /// Where a tool call stands.
    ToolCallStatus, "tool call status" {
        Pending = "pending",
        InProgress = "in_progress",
        Completed = "completed",
        Failed = "failed",
    }
}

wire_enum! {
    /// Why a turn ended (ACP's stop reasons).
    StopReason, "stop reason" {
        EndTurn = "end_turn",
        MaxTokens = "max_tokens",
        MaxTurnRequests = "max_turn_requests",
        Refusal = "refusal",
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// Whether a terminal's shell still runs.
    TerminalStatus, "terminal status" {
        Running = "running",
        /// Its output stays readable until it is killed.
        Exited = "exited",
    }
}

wire_enum! {
    /// The tunnel's state.
    TunnelStateName, "tunnel state" {
        Stopped = "stopped",
        Starting = "starting",
        Running = "running",
        Failed = "failed",
    }
}

wire_enum! {
    /// A tunnel provider.
    TunnelProvider, "tunnel provider" {
        /// A cloudflared quick tunnel: no account, a new `*.trycloudflare.com` URL each time.
        Cloudflared = "cloudflared",
        /// A named cloudflared tunnel on a hostname of yours.
        CloudflaredNamed = "cloudflared-named",
        /// bore, to a `bore server` you run.
        Bore = "bore",
    }
}

wire_enum! {
    /// What a paired device may do (admin belongs to the main token alone).
    DeviceScope, "scope" {
        /// Watch only.
        Read = "read",
        /// Also act: send, approve, stop, terminals.
        Control = "control",
    }
}

wire_enum! {
    /// What an audit entry records.
    AuditKind, "audit kind" {
        PairingStarted = "pairing_started",
        Paired = "paired",
        RedeemFailed = "redeem_failed",
        SignedIn = "signed_in",
        Refused = "refused",
        Revoked = "revoked",
        TokenRotated = "token_rotated",
    }
}

wire_enum! {
    /// Where a project's configuration in force comes from.
    ConfigSourceName, "configuration source" {
        /// Neither a file nor an override: the project has no configuration.
        None = "none",
        /// `.band/config.json` in the project's checkout.
        Repository = "repository",
        /// band's own override, set with projects.config.set.
        Override = "override",
    }
}

wire_enum! {
    /// How a workspace's branch takes in its base when merged back.
    MergeStrategyName, "merge strategy" {
        /// Replay the branch's commits on the base.
        Rebase = "rebase",
        /// Merge the base into the branch.
        Merge = "merge",
    }
}

wire_enum! {
    /// Which of a project's scripts.
    ScriptKind, "script kind" {
        /// Run in each new worktree.
        Setup = "setup",
        /// Run in a worktree before it is removed.
        Teardown = "teardown",
    }
}

wire_enum! {
    /// Where a script run stands.
    ScriptStatus, "script status" {
        Running = "running",
        Succeeded = "succeeded",
        /// A non-zero exit, a signal, or it could not start.
        Failed = "failed",
        /// It ran past its timeout and was stopped.
        TimedOut = "timed-out",
        /// It was stopped (its workspace went, or band-server stopped).
        Stopped = "stopped",
    }
}

wire_enum! {
    /// What became of a new workspace's setup script.
    SetupState, "setup state" {
        /// The project has no setup script.
        None = "none",
        /// Not a worktree band just made (it existed): nothing was set up.
        Skipped = "skipped",
        /// The configuration is invalid: the workspace was made without it.
        InvalidConfig = "invalid_config",
        /// The scripts are not approved: nothing ran (see `notice` and `fix`).
        NotTrusted = "not_trusted",
        /// It runs now (see `run`; its output follows on workspaces.subscribe).
        Started = "started",
    }
}

wire_enum! {
    /// What became of a workspace's teardown script before its removal.
    TeardownState, "teardown state" {
        /// No teardown script (or no worktree to run it in).
        None = "none",
        InvalidConfig = "invalid_config",
        /// Not approved: it did not run.
        NotTrusted = "not_trusted",
        /// It ran (see `run`): succeeded or not, the removal went on.
        Ran = "ran",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_their_wire_spelling_and_list_the_choices_otherwise() {
        assert_eq!("accept-edits".parse::<Mode>(), Ok(Mode::AcceptEdits));
        assert_eq!(serde_json::to_value(Mode::AcceptEdits).ok(), Some(serde_json::json!("accept-edits")));
        assert_eq!("yolo".parse::<Mode>(), Err("unknown mode 'yolo'; use one of: ask, accept-edits, allow-all".into()));
        for p in AgentProtocol::ALL {
            assert_eq!(serde_json::from_value::<AgentProtocol>(serde_json::json!(p.as_str())).ok(), Some(*p));
        }
    }
}

wire_enum! {
    /// What a cronjob's run does when its chat is busy with a turn.
    IfBusy, "busy setting" {
        /// The prompt waits in the chat's queue.
        Queue = "queue",
        /// The run is skipped (and recorded as skipped).
        Skip = "skip",
    }
}

wire_enum! {
    /// What happens to a cronjob's runs that fell due while band-server was down.
    IfMissed, "missed-run setting" {
        /// Recorded as one skipped run; the job waits for its next time.
        Skip = "skip",
        /// One run at start, however many were missed.
        RunOnce = "run-once",
    }
}

wire_enum! {
    /// Why a cronjob ran.
    CronTrigger, "run trigger" {
        /// Its time came.
        Schedule = "schedule",
        /// Someone asked for it (`cronjobs.trigger`).
        Manual = "manual",
        /// Runs fell due while band-server was down; the job's missed-run setting decided.
        Missed = "missed",
    }
}

wire_enum! {
    /// Where a cronjob's run is, or how it ended.
    CronOutcome, "run outcome" {
        /// Its prompt waits in the busy chat's queue.
        Queued = "queued",
        /// Its turn is under way.
        Running = "running",
        Completed = "completed",
        /// The turn failed, or the prompt could not be sent (`detail` says why).
        Failed = "failed",
        /// The turn was stopped or interrupted.
        Interrupted = "interrupted",
        /// Not sent: the chat was busy and the job skips, or missed runs were skipped.
        Skipped = "skipped",
        /// Its queued prompt was removed from the queue before it started.
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// Where a cronjob's prompt goes.
    CronTargetKind, "target kind" {
        /// An existing chat.
        Chat = "chat",
        /// A new chat in a workspace, every run.
        Workspace = "workspace",
        /// A new workspace of a project (branch `cron/<key>/<run>`) with a new chat, every run.
        NewWorkspace = "new_workspace",
    }
}
