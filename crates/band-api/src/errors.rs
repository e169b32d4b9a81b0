//! Errors on the wire. A failed call is a JSON-RPC error whose `code` says what kind of failure
//! it was ([`ErrorKind::code`]), whose `message` is fit to show as it is (the facts, then the
//! fix in the API's own terms: methods and params), and whose `data` is an [`ErrorData`]: the
//! same facts and the [`ErrorFix`] as data, so that each client words the fix for its own user —
//! the CLI names its commands and flags, the dashboard its buttons.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Scope;

/// JSON-RPC error codes band uses, beyond the protocol's own (-32700..-32600).
pub mod codes {
    /// The params were malformed or a value in them invalid (the protocol's own code).
    pub const INVALID_PARAMS: i32 = -32602;
    pub const INTERNAL: i32 = -32603;
    pub const NOT_FOUND: i32 = -32001;
    pub const CONFLICT: i32 = -32002;
    /// Valid, but refused to protect the user's work (e.g. removing a dirty workspace).
    pub const REFUSED: i32 = -32003;
    /// The credential's scope does not cover the method (a read device calling chats.send...).
    pub const FORBIDDEN: i32 = -32004;
}

/// What kind of failure an error is: the `kind` of its data, one-to-one with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// -32602: the request is malformed or a value in it is invalid.
    InvalidInput,
    /// -32001: what it names does not exist.
    NotFound,
    /// -32002: it conflicts with the current state.
    Conflict,
    /// -32003: valid, but refused to protect the user's work.
    Refused,
    /// -32004: the credential's scope does not allow it.
    Forbidden,
    /// -32603: the server failed; its log has the details.
    Internal,
}

impl ErrorKind {
    pub fn code(self) -> i32 {
        match self {
            Self::InvalidInput => codes::INVALID_PARAMS,
            Self::NotFound => codes::NOT_FOUND,
            Self::Conflict => codes::CONFLICT,
            Self::Refused => codes::REFUSED,
            Self::Forbidden => codes::FORBIDDEN,
            Self::Internal => codes::INTERNAL,
        }
    }

    /// The kind of a code; `None` for codes band does not use (the protocol's parse errors...).
    pub fn of_code(code: i32) -> Option<Self> {
        [Self::InvalidInput, Self::NotFound, Self::Conflict, Self::Refused, Self::Forbidden, Self::Internal]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// The `data` of every error band-server sends from a method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    pub kind: ErrorKind,
    /// The facts: what was wrong, with which value, and why — without the fix.
    pub what: String,
    /// What would fix it, for the client to word; absent when nothing but the facts helps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<ErrorFix>,
}

/// A list to look something up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOf {
    Projects,
    Workspaces,
    Chats,
    Terminals,
    Devices,
    Agents,
    Cronjobs,
}

impl ListOf {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Projects => "projects",
            Self::Workspaces => "workspaces",
            Self::Chats => "chats",
            Self::Terminals => "terminals",
            Self::Devices => "devices",
            Self::Agents => "agents",
            Self::Cronjobs => "cronjobs",
        }
    }
}

/// What would fix a failure, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum ErrorFix {
    /// The thing named does not exist or is ambiguous: look it up in this list.
    SeeList { of: ListOf },
    /// The project's name is taken or cannot be derived: give another (`name`).
    ChooseName {},
    /// Uncommitted changes stand in the way: commit them, or call again with `force`, which
    /// discards them.
    CommitOrForce {},
    /// Commits the base lacks stand in the way: merge them, or call again with `force`, which
    /// removes the worktree and keeps the branch.
    MergeOrForce {},
    /// The project still has workspaces: remove them first.
    RemoveWorkspacesFirst { project: String },
    /// The workspace's worktree is gone: remove the workspace with `force`.
    RemoveWorkspaceForced { workspace: String },
    /// The chat is busy: stop it first.
    StopChat { chat: i64 },
    /// Too many terminals, or an exited one kept: kill one (this one, when named).
    KillTerminal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        terminal: Option<i64>,
    },
    /// A tunnel runs or starts: stop it first.
    StopTunnel {},
    /// Several permission requests are pending: name one (`request`).
    NameRequest {},
    /// The device's access is too small: pair it again with this scope.
    PairAgain { scope: Scope },
    /// Only the main token may do this.
    UseMainToken {},
    /// The pairing code is wrong, used or expired: ask for a new one.
    NewPairingCode {},
    /// The project's scripts are not approved, or changed: read them (projects.config) and
    /// approve them (projects.trust).
    ApproveScripts { project: String },
    /// The workspace is archived: restore it (workspaces.restore).
    RestoreWorkspace { workspace: i64 },
    /// The GitHub CLI is missing on band-server's machine (install it, then sign in), or
    /// signed out (sign in).
    SetUpGh { signed_out: bool },
    /// An agent's program is missing on band-server's machine: install it (this way, when band
    /// knows how), or set its path in settings.json (`agents.<agent>.binary`).
    InstallAgent {
        agent: crate::AgentId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        install: Option<crate::InstallInfo>,
    },
}

impl ErrorFix {
    /// The fix in the API's own terms: methods and params. What band-server puts after the facts
    /// in an error's `message`, for clients that show it as it is.
    pub fn api_words(&self) -> String {
        match self {
            Self::SeeList { of } => format!("see {}.list", of.as_str()),
            Self::ChooseName {} => "choose another with the name param".into(),
            Self::CommitOrForce {} => "commit them, or call again with force: true to discard them".into(),
            Self::MergeOrForce {} => {
                "merge them, or call again with force: true to remove the worktree (the branch is kept)".into()
            }
            Self::RemoveWorkspacesFirst { project } => {
                format!("remove them first (workspaces.remove of each {project}/<branch>)")
            }
            Self::RemoveWorkspaceForced { workspace } => {
                format!("remove the workspace (workspaces.remove '{workspace}' with force: true)")
            }
            Self::StopChat { chat } => format!("stop it first (chats.stop {chat})"),
            Self::KillTerminal { terminal: Some(t) } => format!("kill it with terminals.kill {t}"),
            Self::KillTerminal { terminal: None } => "kill one with terminals.kill".into(),
            Self::StopTunnel {} => "stop it first (tunnel.stop)".into(),
            Self::NameRequest {} => "name one with the request param".into(),
            Self::PairAgain { scope } => format!("pair it again with {} access (devices.pair)", scope.as_str()),
            Self::UseMainToken {} => "only the main token (on the machine running band-server) may do that".into(),
            Self::NewPairingCode {} => "ask for a new one (devices.pair)".into(),
            Self::RestoreWorkspace { workspace } => {
                format!("restore it first (workspaces.restore, workspace {workspace})")
            }
            Self::ApproveScripts { project } => {
                format!("read them with projects.config and approve them with projects.trust (project '{project}')")
            }
            Self::InstallAgent { agent, install } => install_words(agent, install.as_ref()),
            Self::SetUpGh { signed_out } => gh_words(*signed_out),
        }
    }
}

/// How to make the GitHub CLI usable, in words every client can use (they are gh's commands).
pub fn gh_words(signed_out: bool) -> String {
    if signed_out {
        "sign it in on band-server's machine: run `gh auth login`".into()
    } else {
        "install it on band-server's machine (https://cli.github.com), then run `gh auth login`".into()
    }
}

/// How to make a missing agent available, in words every client can use: how to install it, or
/// which setting names its binary.
pub fn install_words(agent: &crate::AgentId, install: Option<&crate::InstallInfo>) -> String {
    let setting = format!("set agents.{agent}.binary in band's settings.json to its path");
    match install {
        Some(i) => format!("install it on band-server's machine ({}), or {setting}", i.words()),
        None => format!("install it on band-server's machine, or {setting}"),
    }
}

/// An error's message: the facts, then the fix in `fix_words`, when there is one.
pub fn message(what: &str, fix: Option<String>) -> String {
    match fix {
        Some(fix) if !what.is_empty() => format!("{what}; {fix}"),
        Some(fix) => fix,
        None => what.to_owned(),
    }
}
