//! Domain records to wire types. One function per type; nothing else builds wire values.

use band_core::services::AgentStatus;
use band_core::{
    AgentChoice, AgentCommand, AgentId, AgentProtocol, AgentUpdate, ChangeKind, Chat, ChatEvent, ChatStatus, CoreError,
    Decider, EventPayload, FileBytes, Install, Layout, LayoutScope, Listing, PermissionDecision, PermissionMode,
    Project, QueuedMessage, Scope, StopReason, Terminal, TerminalOutput, ToolCallStatus, Turn, Usage, UsageTotals,
    Workspace, WorkspaceId, WorkspacePath,
};
use serde_json::Value;

use band_api as api;

pub fn project_info(p: &Project) -> api::ProjectInfo {
    api::ProjectInfo {
        id: p.id.0,
        name: p.name.to_string(),
        path: p.path.display().to_string(),
        default_branch: p.default_branch.to_string(),
        created_at: p.created_at,
    }
}

/// A workspace on the wire; `missing` when its worktree is gone (see `Workspaces::missing`).
pub fn workspace_info(project: &str, w: &Workspace, missing: bool) -> api::WorkspaceInfo {
    api::WorkspaceInfo {
        missing,
        id: w.id.0,
        project: project.to_owned(),
        branch: w.branch.to_string(),
        base: w.base.to_string(),
        path: w.path.display().to_string(),
        branch_created: w.branch_created,
        created_at: w.created_at,
        direct: w.direct,
        archived_at: w.archived_at,
    }
}

pub fn facts_info(f: &band_core::services::WorkspaceFacts) -> api::WorkspaceFactsInfo {
    api::WorkspaceFactsInfo {
        workspace: workspace_info(f.project.as_str(), &f.workspace, f.missing),
        dirty: f.dirty.clone(),
        ahead: f.base.map(|d| d.ahead),
        behind: f.base.map(|d| d.behind),
        remote: f.remote.as_ref().map(|(upstream, d)| api::RemoteInfo {
            upstream: upstream.clone(),
            ahead: d.ahead,
            behind: d.behind,
        }),
        disk_bytes: f.disk_bytes,
        last_activity: f.last_activity,
        unsaved_commits: f.unsaved_commits(),
    }
}

pub fn gc_info(days: u32, r: &band_core::services::GcReport) -> api::GcReportInfo {
    let item = |i: &band_core::services::GcItem| api::GcItemInfo { facts: facts_info(&i.facts), why: i.why.clone() };
    api::GcReportInfo {
        idle_days: days,
        applied: r.applied,
        archive: r.archive.iter().map(item).collect(),
        kept: r.kept.iter().map(item).collect(),
        reclaim_bytes: r.reclaim_bytes,
    }
}

pub fn chat_info(c: &Chat) -> api::ChatInfo {
    api::ChatInfo {
        id: c.id.0,
        workspace_id: c.workspace_id.0,
        agent: api::AgentId(c.agent.to_string()),
        model: c.model.as_ref().map(ToString::to_string),
        mode: mode_info(c.mode),
        name: c.name.to_string(),
        labels: c.labels.as_map().clone(),
        via: via_info(c.via),
        status: status_info(c.status),
        agent_session_id: c.agent_session_id.clone(),
        last_seq: c.last_seq,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub fn via_info(v: band_core::ChatVia) -> api::Via {
    match v {
        band_core::ChatVia::Protocol => api::Via::Protocol,
        band_core::ChatVia::Terminal => api::Via::Terminal,
    }
}

pub fn via_from(v: api::Via) -> band_core::ChatVia {
    match v {
        api::Via::Protocol => band_core::ChatVia::Protocol,
        api::Via::Terminal => band_core::ChatVia::Terminal,
    }
}

pub fn usage_info(u: &Usage) -> api::UsageInfo {
    api::UsageInfo {
        input_tokens: u.input_tokens,
        output_tokens: u.output_tokens,
        cache_read_tokens: u.cache_read_tokens,
        cache_write_tokens: u.cache_write_tokens,
        cost_usd: u.cost_usd,
    }
}

pub fn totals_info(t: &UsageTotals) -> api::UsageTotalsInfo {
    api::UsageTotalsInfo { turns: t.turns, usage: usage_info(&t.usage), duration_ms: t.duration_ms }
}

pub fn queued_info(q: &QueuedMessage) -> api::QueuedInfo {
    api::QueuedInfo {
        id: q.id.0,
        chat_id: q.chat_id.0,
        position: q.position,
        text: q.text.clone(),
        created_at: q.created_at,
    }
}

pub fn turn_info(t: &Turn) -> api::TurnInfo {
    let outcome = t.outcome.as_ref();
    api::TurnInfo {
        id: t.id.0,
        prompt: t.prompt.clone(),
        started_seq: t.started_seq,
        started_at: t.started_at,
        ended_seq: t.ended_seq,
        ended_at: t.ended_at,
        duration_ms: t.duration_ms(),
        stop_reason: outcome.and_then(|o| o.stop_reason).map(stop_reason_info),
        error: outcome.and_then(|o| o.error.clone()),
        usage: outcome.map(|o| usage_info(&o.usage)).unwrap_or_default(),
    }
}

/// JSON text from an agent, as a JSON value (a string when it is not JSON).
fn raw(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

pub fn event_info(e: &ChatEvent) -> api::EventInfo {
    use api::EventBody as B;
    let body = match &e.payload {
        EventPayload::Prompt { text, queued } => B::Prompt { text: text.clone(), queued_id: queued.map(|q| q.0) },
        EventPayload::TurnStarted => B::TurnStarted {},
        EventPayload::TurnEnded(o) => B::TurnEnded {
            stop_reason: o.stop_reason.map(stop_reason_info),
            error: o.error.clone(),
            usage: usage_info(&o.usage),
        },
        EventPayload::Update(u) => match u {
            AgentUpdate::MessageChunk { text, message_id } => {
                B::AgentMessageChunk { text: text.clone(), message_id: message_id.clone() }
            }
            AgentUpdate::ThoughtChunk { text } => B::AgentThoughtChunk { text: text.clone() },
            AgentUpdate::ToolCall { id, title, kind, input, tool } => B::ToolCall {
                tool_call_id: id.clone(),
                title: title.clone(),
                tool_kind: kind.clone(),
                raw_input: raw(input),
                tool_name: tool.clone(),
            },
            AgentUpdate::ToolCallUpdate { id, status, output } => B::ToolCallUpdate {
                tool_call_id: id.clone(),
                status: tool_status_info(*status),
                raw_output: output.clone(),
            },
            AgentUpdate::Plan { entries } => B::Plan { entries: entries.clone() },
            AgentUpdate::Usage(u) => B::UsageUpdate { usage: usage_info(u) },
            AgentUpdate::SessionInfo { modes, current_mode, models, current_model } => B::SessionInfo {
                modes: modes.iter().map(choice_info).collect(),
                current_mode: current_mode.clone(),
                models: models.iter().map(choice_info).collect(),
                current_model: current_model.clone(),
            },
            AgentUpdate::Commands { commands } => {
                B::AvailableCommandsUpdate { commands: commands.iter().map(command_info).collect() }
            }
            AgentUpdate::Hook { event, detail } => B::Hook { event: event.clone(), detail: detail.clone() },
        },
        EventPayload::Permission { request_id, tool, input } => {
            B::Permission { request_id: request_id.clone(), tool: tool.clone(), raw_input: raw(input) }
        }
        EventPayload::PermissionResolved { request_id, decision, by } => B::PermissionResolved {
            request_id: request_id.clone(),
            decision: decision_info(*decision),
            by: match by {
                Decider::User => api::DecidedBy::User,
                Decider::Mode => api::DecidedBy::Mode,
                Decider::Policy => api::DecidedBy::Policy,
                Decider::Budget => api::DecidedBy::Budget,
            },
        },
        EventPayload::Status { status } => B::Status { status: status_info(*status) },
        EventPayload::AgentSession { session_id } => B::AgentSession { session_id: session_id.clone() },
        EventPayload::Error { message } => B::Error { message: message.clone() },
    };
    api::EventInfo { chat_id: e.chat_id.0, seq: e.seq, at: e.at, body }
}

pub fn listing_info(workspace: WorkspaceId, dir: &WorkspacePath, l: &Listing) -> api::FileListing {
    api::FileListing {
        workspace_id: workspace.0,
        path: dir.as_str().to_owned(),
        entries: l
            .entries
            .iter()
            .map(|e| api::FileEntryInfo {
                name: e.name.clone(),
                path: e.path.as_str().to_owned(),
                kind: match e.kind {
                    band_core::EntryKind::Dir => api::EntryKind::Dir,
                    band_core::EntryKind::File => api::EntryKind::File,
                    band_core::EntryKind::Symlink => api::EntryKind::Symlink,
                    band_core::EntryKind::Other => api::EntryKind::Other,
                },
                size: e.size,
            })
            .collect(),
        offset: u32::try_from(l.offset).unwrap_or(u32::MAX),
        total: u32::try_from(l.total).unwrap_or(u32::MAX),
        truncated: l.truncated,
    }
}

/// A file's content for a viewer: its text when it is UTF-8 without NUL bytes, else only that it
/// is binary.
pub fn file_content_info(workspace: WorkspaceId, f: FileBytes) -> api::FileContentInfo {
    let size = f.bytes.len() as u64;
    let text = if f.bytes.contains(&0) { None } else { String::from_utf8(f.bytes).ok() };
    api::FileContentInfo {
        workspace_id: workspace.0,
        path: f.path.as_str().to_owned(),
        size,
        binary: text.is_none(),
        text,
        language: language_of(&f.path).map(str::to_owned),
    }
}

/// A syntax-highlighting hint from a file's name: the language names highlighters (Shiki,
/// highlight.js, Prism) share.
pub fn language_of(path: &WorkspacePath) -> Option<&'static str> {
    let by_name = match path.name()? {
        "Dockerfile" | "Containerfile" => Some("dockerfile"),
        "Makefile" | "GNUmakefile" | "makefile" => Some("makefile"),
        "Cargo.lock" | "Pipfile" => Some("toml"),
        "CMakeLists.txt" => Some("cmake"),
        ".gitignore" | ".dockerignore" | ".gitattributes" => Some("ignore"),
        ".bashrc" | ".zshrc" | ".profile" | ".envrc" => Some("bash"),
        _ => None,
    };
    if by_name.is_some() {
        return by_name;
    }
    Some(match path.extension()?.as_str() {
        "rs" => "rust",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "tsx",
        "js" | "mjs" | "cjs" => "javascript",
        "jsx" => "jsx",
        "json" | "jsonc" | "json5" => "json",
        "md" | "markdown" => "markdown",
        "toml" => "toml",
        "yaml" | "yml" => "yaml",
        "py" | "pyi" => "python",
        "go" => "go",
        "sh" | "bash" | "zsh" => "bash",
        "html" | "htm" | "xhtml" => "html",
        "css" => "css",
        "scss" => "scss",
        "svelte" => "svelte",
        "vue" => "vue",
        "sql" => "sql",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hh" | "hpp" | "hxx" => "cpp",
        "cs" => "csharp",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "swift" => "swift",
        "rb" => "ruby",
        "php" => "php",
        "xml" | "svg" | "plist" => "xml",
        "lua" => "lua",
        "zig" => "zig",
        "ex" | "exs" => "elixir",
        "hs" => "haskell",
        "scala" => "scala",
        "dart" => "dart",
        "diff" | "patch" => "diff",
        "proto" => "proto",
        "graphql" | "gql" => "graphql",
        "ini" | "cfg" => "ini",
        "nix" => "nix",
        "tf" => "hcl",
        _ => return None,
    })
}

/// What `chats.send` (or a send of review comments) did.
pub fn send_result(sent: &band_core::services::Sent) -> api::SendResult {
    match sent {
        band_core::services::Sent::Started { seq } => {
            api::SendResult { outcome: api::SendOutcome::Started, seq: Some(*seq), queued: None }
        }
        band_core::services::Sent::Queued(q) => {
            api::SendResult { outcome: api::SendOutcome::Queued, seq: None, queued: Some(queued_info(q)) }
        }
    }
}

pub fn pull_info(p: &band_core::PullRequest) -> api::PullInfo {
    use band_core::{CheckOutcome, PullState};
    api::PullInfo {
        number: p.number,
        url: p.url.clone(),
        title: p.title.clone(),
        state: match p.state {
            PullState::Open => api::PullStateName::Open,
            PullState::Closed => api::PullStateName::Closed,
            PullState::Merged => api::PullStateName::Merged,
        },
        draft: p.draft,
        head: p.head.clone(),
        base: p.base.clone(),
        checks: p
            .checks
            .iter()
            .map(|c| api::CheckInfo {
                name: c.name.clone(),
                outcome: match c.outcome {
                    CheckOutcome::Pending => api::CheckOutcomeName::Pending,
                    CheckOutcome::Passed => api::CheckOutcomeName::Passed,
                    CheckOutcome::Failed => api::CheckOutcomeName::Failed,
                    CheckOutcome::Skipped => api::CheckOutcomeName::Skipped,
                },
            })
            .collect(),
    }
}

pub fn review_comment_info(c: &band_core::ReviewComment) -> api::ReviewCommentInfo {
    api::ReviewCommentInfo {
        id: c.id.0,
        workspace_id: c.workspace_id.0,
        path: c.path.as_str().to_owned(),
        side: match c.side {
            band_core::DiffSide::Old => api::DiffSide::Old,
            band_core::DiffSide::New => api::DiffSide::New,
        },
        start_line: c.lines.start(),
        end_line: c.lines.end(),
        quote: c.quote.clone(),
        body: c.body.clone(),
        resolved: c.resolved,
        sent_at: c.sent.map(|(at, _)| at),
        sent_chat_id: c.sent.map(|(_, chat)| chat.0),
        created_at: c.created_at,
    }
}

/// A stored layout as the API shows it (`None`: never set).
///
/// # Errors
/// `Internal` when the stored document is not JSON (only a damaged database has one).
pub fn layout_info(scope: LayoutScope, layout: Option<&Layout>) -> Result<api::LayoutInfo, CoreError> {
    let document = layout
        .map(|l| serde_json::from_str::<Value>(&l.document))
        .transpose()
        .map_err(|e| CoreError::Internal(format!("a stored layout is not JSON: {e}").into()))?;
    Ok(api::LayoutInfo {
        workspace_id: match scope {
            LayoutScope::Global => None,
            LayoutScope::Workspace(w) => Some(w.0),
        },
        layout: document,
        updated_at: layout.map(|l| l.updated_at),
    })
}

pub fn terminal_info(t: &Terminal) -> api::TerminalInfo {
    api::TerminalInfo {
        id: t.id.0,
        workspace_id: t.workspace_id.0,
        chat: t.chat.map(|c| c.0),
        title: t.title.clone(),
        cols: t.size.cols(),
        rows: t.size.rows(),
        status: if t.exit.is_some() { api::TerminalStatus::Exited } else { api::TerminalStatus::Running },
        exit_code: t.exit.and_then(|e| e.code),
        exit_signal: t.exit.and_then(|e| e.signal),
        pid: t.pid,
        offset: t.output_end,
        created_at: t.created_at,
    }
}

/// Terminal output as text: invalid UTF-8 becomes U+FFFD; unless `last`, a character cut off at
/// the end is left out (and `offset` stops before it) so that the next piece carries it whole.
pub fn terminal_output(out: &TerminalOutput, last: bool) -> api::TerminalOutputInfo {
    let keep = if last { out.data.len() } else { complete_utf8_len(&out.data) };
    api::TerminalOutputInfo {
        data: String::from_utf8_lossy(&out.data[..keep]).into_owned(),
        start: out.start,
        offset: out.start + keep as u64,
    }
}

/// The length of `bytes` without a UTF-8 sequence cut off at its end (at most 3 bytes).
pub fn complete_utf8_len(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back for the lead
        }
        let needs = match b {
            0xF8.. => 1, // never a lead byte: garbage is not held back
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return if needs > back { n - back } else { n };
    }
    n
}

pub fn tunnel_info(state: &band_core::TunnelState) -> api::TunnelInfo {
    use band_core::TunnelState;
    let name = match state {
        TunnelState::Stopped => api::TunnelStateName::Stopped,
        TunnelState::Starting { .. } => api::TunnelStateName::Starting,
        TunnelState::Running { .. } => api::TunnelStateName::Running,
        TunnelState::Failed { .. } => api::TunnelStateName::Failed,
    };
    // The providers are band-server's own three (see `tunnel_providers`), so each name parses.
    let provider_of = |p: &str| p.parse::<api::TunnelProvider>().ok();
    let mut info = api::TunnelInfo { state: name, provider: None, url: None, since: None, error: None };
    match state {
        TunnelState::Stopped => {}
        TunnelState::Starting { provider } => info.provider = provider_of(provider),
        TunnelState::Running { provider, url, since } => {
            info.provider = provider_of(provider);
            info.url = Some(url.origin());
            info.since = Some(*since);
        }
        TunnelState::Failed { provider, error } => {
            info.provider = provider_of(provider);
            info.error = Some(error.clone());
        }
    }
    info
}

// ---- enumerations: one match per direction, so a new variant fails to compile until mapped ----

/// An agent id from a request.
///
/// # Errors
/// `InvalidInput` when it is not an agent id at all (whether band knows it is the service's
/// question).
/// The settings' defaults for a new chat, as band-core's (each checked as a request's would be).
pub fn settings_defaults(d: &api::SettingsDefaults) -> Result<band_core::services::ChatDefaults, CoreError> {
    Ok(band_core::services::ChatDefaults {
        agent: d.agent.as_ref().map(agent).transpose()?,
        model: d.model.as_deref().map(band_core::ModelName::new).transpose()?,
        mode: d.mode.map(mode),
    })
}

pub fn agent(a: &api::AgentId) -> Result<AgentId, CoreError> {
    Ok(AgentId::new(a.as_str())?)
}

pub fn protocol_info(p: AgentProtocol) -> api::AgentProtocol {
    match p {
        AgentProtocol::ClaudeStreamJson => api::AgentProtocol::ClaudeStreamJson,
        AgentProtocol::CodexAppServer => api::AgentProtocol::CodexAppServer,
        AgentProtocol::Acp => api::AgentProtocol::Acp,
        AgentProtocol::Terminal => api::AgentProtocol::Terminal,
    }
}

pub fn install_info(i: &Install) -> api::InstallInfo {
    match i {
        Install::Npm(package) => api::InstallInfo::Npm { package: package.clone() },
        Install::Url(url) => api::InstallInfo::Url { url: url.clone() },
    }
}

pub fn agent_status_info(s: &AgentStatus) -> api::AgentInfo {
    let a = &s.agent;
    let (installed, path, version, problem) = match &s.presence {
        band_core::ports::AgentPresence::Missing => (false, None, None, None),
        band_core::ports::AgentPresence::Installed { path, version, problem } => {
            (true, Some(path.display().to_string()), version.clone(), problem.clone())
        }
    };
    api::AgentInfo {
        id: api::AgentId(a.id.to_string()),
        name: a.name.clone(),
        protocol: protocol_info(a.protocol),
        binary: a.binary.clone(),
        args: a.args.clone(),
        installed,
        path,
        version,
        problem,
        proven: a.proven,
        configured: a.configured,
        runnable: s.runnable,
        install: a.install.as_ref().map(install_info),
    }
}

pub fn transcript_info(t: &band_core::Transcript) -> api::TranscriptInfo {
    let decided = |d: &Option<(PermissionDecision, Decider)>| {
        d.map(|(decision, by)| {
            let by = match by {
                Decider::User => api::DecidedBy::User,
                Decider::Mode => api::DecidedBy::Mode,
                Decider::Policy => api::DecidedBy::Policy,
                Decider::Budget => api::DecidedBy::Budget,
            };
            (decision_info(decision), by)
        })
    };
    let turns = t
        .turns
        .iter()
        .map(|turn| api::TranscriptTurnInfo {
            prompt: turn.prompt.clone(),
            started_at: turn.started_at,
            ended_at: turn.ended_at,
            response: turn.response.clone(),
            thoughts: turn.thoughts.clone(),
            tool_calls: turn
                .tools
                .iter()
                .map(|tool| {
                    let d = decided(&tool.decision);
                    api::TranscriptToolInfo {
                        tool_call_id: tool.id.clone(),
                        title: tool.title.clone(),
                        tool_kind: tool.kind.clone(),
                        raw_input: raw(&tool.input),
                        status: tool.status.map(tool_status_info),
                        raw_output: tool.output.clone(),
                        decision: d.map(|d| d.0),
                        decided_by: d.map(|d| d.1),
                    }
                })
                .collect(),
            permissions: turn
                .permissions
                .iter()
                .map(|p| {
                    let d = decided(&p.decision);
                    api::TranscriptPermissionInfo {
                        tool: p.tool.clone(),
                        raw_input: raw(&p.input),
                        decision: d.map(|d| d.0),
                        decided_by: d.map(|d| d.1),
                    }
                })
                .collect(),
            stop_reason: turn.stop_reason.map(stop_reason_info),
            error: turn.error.clone(),
            usage: turn.usage.as_ref().map(usage_info),
        })
        .collect();
    api::TranscriptInfo { chat: chat_info(&t.chat), turns }
}

fn choice_info(c: &AgentChoice) -> api::ChoiceInfo {
    api::ChoiceInfo { id: c.id.clone(), name: c.name.clone() }
}

fn command_info(c: &AgentCommand) -> api::CommandInfo {
    api::CommandInfo { name: c.name.clone(), description: c.description.clone() }
}

pub fn mode_info(m: PermissionMode) -> api::Mode {
    match m {
        PermissionMode::Ask => api::Mode::Ask,
        PermissionMode::AcceptEdits => api::Mode::AcceptEdits,
        PermissionMode::AllowAll => api::Mode::AllowAll,
    }
}

pub fn mode(m: api::Mode) -> PermissionMode {
    match m {
        api::Mode::Ask => PermissionMode::Ask,
        api::Mode::AcceptEdits => PermissionMode::AcceptEdits,
        api::Mode::AllowAll => PermissionMode::AllowAll,
    }
}

pub fn status_info(s: ChatStatus) -> api::ChatStatus {
    match s {
        ChatStatus::Idle => api::ChatStatus::Idle,
        ChatStatus::Working => api::ChatStatus::Working,
        ChatStatus::Waiting => api::ChatStatus::Waiting,
        ChatStatus::Completed => api::ChatStatus::Completed,
        ChatStatus::Failed => api::ChatStatus::Failed,
        ChatStatus::Interrupted => api::ChatStatus::Interrupted,
    }
}

pub fn stop_reason_info(r: StopReason) -> api::StopReason {
    match r {
        StopReason::EndTurn => api::StopReason::EndTurn,
        StopReason::MaxTokens => api::StopReason::MaxTokens,
        StopReason::MaxTurnRequests => api::StopReason::MaxTurnRequests,
        StopReason::Refusal => api::StopReason::Refusal,
        StopReason::Cancelled => api::StopReason::Cancelled,
    }
}

pub fn tool_status_info(s: ToolCallStatus) -> api::ToolCallStatus {
    match s {
        ToolCallStatus::Pending => api::ToolCallStatus::Pending,
        ToolCallStatus::InProgress => api::ToolCallStatus::InProgress,
        ToolCallStatus::Completed => api::ToolCallStatus::Completed,
        ToolCallStatus::Failed => api::ToolCallStatus::Failed,
    }
}

pub fn decision_info(d: PermissionDecision) -> api::Decision {
    match d {
        PermissionDecision::Allow => api::Decision::Allow,
        PermissionDecision::Deny => api::Decision::Deny,
    }
}

pub fn decision(d: api::Decision) -> PermissionDecision {
    match d {
        api::Decision::Allow => PermissionDecision::Allow,
        api::Decision::Deny => PermissionDecision::Deny,
    }
}

pub fn change_kind_info(k: ChangeKind) -> api::ChangeKind {
    match k {
        ChangeKind::Added => api::ChangeKind::Added,
        ChangeKind::Modified => api::ChangeKind::Modified,
        ChangeKind::Deleted => api::ChangeKind::Deleted,
        ChangeKind::Renamed => api::ChangeKind::Renamed,
        ChangeKind::TypeChanged => api::ChangeKind::TypeChanged,
        ChangeKind::Untracked => api::ChangeKind::Untracked,
        ChangeKind::Conflicted => api::ChangeKind::Conflicted,
    }
}

pub fn device_scope_info(s: Scope) -> api::DeviceScope {
    match s {
        Scope::Read => api::DeviceScope::Read,
        // Devices never hold admin; were one to, control is the most it may be shown as.
        Scope::Control | Scope::Admin => api::DeviceScope::Control,
    }
}

pub fn device_scope(s: api::DeviceScope) -> Scope {
    match s {
        api::DeviceScope::Read => Scope::Read,
        api::DeviceScope::Control => Scope::Control,
    }
}

pub fn audit_entry_info(e: band_core::AuditEntry) -> api::AuditEntryInfo {
    api::AuditEntryInfo {
        id: e.id,
        at: e.at,
        kind: audit_kind_info(e.kind),
        device_id: e.device.map(|d| d.0),
        device_name: e.device_name,
        remote: e.remote,
        detail: e.detail,
    }
}

pub fn audit_kind_info(k: band_core::AuditKind) -> api::AuditKind {
    use band_core::AuditKind as K;
    match k {
        K::PairingStarted => api::AuditKind::PairingStarted,
        K::Paired => api::AuditKind::Paired,
        K::RedeemFailed => api::AuditKind::RedeemFailed,
        K::SignedIn => api::AuditKind::SignedIn,
        K::Refused => api::AuditKind::Refused,
        K::Revoked => api::AuditKind::Revoked,
        K::TokenRotated => api::AuditKind::TokenRotated,
    }
}

/// The scope a method was declared with, as the domain's.
pub fn scope(s: api::Scope) -> Scope {
    match s {
        api::Scope::Read => Scope::Read,
        api::Scope::Control => Scope::Control,
        api::Scope::Admin => Scope::Admin,
    }
}

/// A domain scope on the wire.
pub fn scope_info(s: Scope) -> api::Scope {
    match s {
        Scope::Read => api::Scope::Read,
        Scope::Control => api::Scope::Control,
        Scope::Admin => api::Scope::Admin,
    }
}

// ---- project configuration and scripts ------------------------------------------------------

pub fn script_run_info(r: &band_core::ScriptRun) -> api::ScriptRunInfo {
    api::ScriptRunInfo {
        id: r.id.0,
        workspace_id: r.workspace_id.0,
        kind: match r.kind {
            band_core::ScriptKind::Setup => api::ScriptKind::Setup,
            band_core::ScriptKind::Teardown => api::ScriptKind::Teardown,
        },
        status: match r.status {
            band_core::ScriptStatus::Running => api::ScriptStatus::Running,
            band_core::ScriptStatus::Succeeded => api::ScriptStatus::Succeeded,
            band_core::ScriptStatus::Failed => api::ScriptStatus::Failed,
            band_core::ScriptStatus::TimedOut => api::ScriptStatus::TimedOut,
            band_core::ScriptStatus::Stopped => api::ScriptStatus::Stopped,
        },
        exit_code: r.exit_code,
        error: r.error.clone(),
        output: r.output.clone(),
        output_len: r.output_len,
        scripts_hash: r.scripts_hash.clone(),
        started_at: r.started_at,
        ended_at: r.ended_at,
    }
}

pub fn config_info(v: &band_core::ConfigView) -> api::ProjectConfigInfo {
    let c = v.config.as_ref();
    api::ProjectConfigInfo {
        project: v.project.to_string(),
        file: v.file.display().to_string(),
        source: match c.map(|c| &c.source) {
            None => api::ConfigSourceName::None,
            Some(band_core::ConfigSource::Repository(_)) => api::ConfigSourceName::Repository,
            Some(band_core::ConfigSource::Override) => api::ConfigSourceName::Override,
        },
        setup: c.and_then(|c| c.setup.clone()),
        teardown: c.and_then(|c| c.teardown.clone()),
        script_timeout_seconds: c.map_or(band_core::DEFAULT_SCRIPT_TIMEOUT_SECS, |c| c.script_timeout_secs),
        copy_files: c.map(|c| c.copy_files.iter().map(|g| g.as_str().to_owned()).collect()).unwrap_or_default(),
        defaults: c
            .map(|c| api::ConfigDefaultsInfo {
                agent: c.defaults.agent.clone(),
                model: c.defaults.model.as_ref().map(|m| m.as_str().to_owned()),
                mode: c.defaults.mode.map(mode_info),
                base_branch: c.defaults.base_branch.as_ref().map(|b| b.as_str().to_owned()),
            })
            .unwrap_or_default(),
        scripts_hash: c.and_then(|c| c.scripts_hash.clone()),
        trusted: v.trusted,
        error: v.error.clone(),
    }
}

/// Why a script did not run, in the facts' words; the fix goes beside it as data.
fn not_trusted_notice(kind: &str, project: &str, hash: &str) -> String {
    format!(
        "the {kind} script was not run: project '{project}' has not approved its scripts (hash {hash}); band runs a \
         repository's scripts only once you have read and approved them"
    )
}

pub fn setup_info(project: &str, p: &band_core::Provisioned) -> api::SetupInfo {
    let copied = p.copy.copied.clone();
    let copy_skipped = p
        .copy
        .skipped
        .iter()
        .map(|(path, reason)| api::CopySkippedInfo { path: path.clone(), reason: reason.clone() })
        .collect();
    let mut info = api::SetupInfo {
        state: api::SetupState::None,
        run: None,
        notice: None,
        fix: None,
        scripts_hash: None,
        copied,
        copy_skipped,
    };
    match &p.setup {
        band_core::SetupState::NoScript => {}
        band_core::SetupState::Skipped => info.state = api::SetupState::Skipped,
        band_core::SetupState::InvalidConfig(e) => {
            info.state = api::SetupState::InvalidConfig;
            info.notice = Some(format!("the workspace was made without the project's configuration: {e}"));
        }
        band_core::SetupState::NotTrusted { hash } => {
            info.state = api::SetupState::NotTrusted;
            info.notice = Some(not_trusted_notice("setup", project, hash));
            info.fix = Some(api::ErrorFix::ApproveScripts { project: project.to_owned() });
            info.scripts_hash = Some(hash.clone());
        }
        band_core::SetupState::Started(run) => {
            info.state = api::SetupState::Started;
            info.run = Some(script_run_info(run));
        }
    }
    info
}

pub fn teardown_info(project: &str, t: &band_core::services::TeardownOutcome) -> Option<api::TeardownInfo> {
    use band_core::services::TeardownOutcome as T;
    Some(match t {
        T::None => return None,
        T::InvalidConfig(e) => api::TeardownInfo {
            state: api::TeardownState::InvalidConfig,
            run: None,
            notice: Some(format!("the teardown script was not run: {e}")),
        },
        T::NotTrusted { hash } => api::TeardownInfo {
            state: api::TeardownState::NotTrusted,
            run: None,
            notice: Some(not_trusted_notice("teardown", project, hash)),
        },
        T::Ran(run) => {
            api::TeardownInfo { state: api::TeardownState::Ran, run: Some(script_run_info(run)), notice: None }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(path: &str, bytes: &[u8]) -> api::FileContentInfo {
        let path = WorkspacePath::new(path).expect("valid");
        file_content_info(WorkspaceId(1), FileBytes { path, bytes: bytes.to_vec() })
    }

    #[test]
    fn text_is_utf8_without_nul_and_everything_else_is_binary() {
        let t = content("src/lib.rs", "fn ünï() {}\n".as_bytes());
        assert_eq!((t.binary, t.text.as_deref(), t.size), (false, Some("fn ünï() {}\n"), 14));
        for bytes in [&b"a\0b"[..], b"\xff\xfe", b"\xc3"] {
            let b = content("x.txt", bytes);
            assert_eq!((b.binary, b.text), (true, None), "{bytes:?}");
            assert_eq!(b.size, bytes.len() as u64);
        }
        assert_eq!(content("empty", b"").text.as_deref(), Some(""), "an empty file is text");
    }

    #[test]
    fn languages_come_from_the_name() {
        let lang = |p: &str| language_of(&WorkspacePath::new(p).expect("valid"));
        assert_eq!(lang("a/b/main.RS"), Some("rust"));
        assert_eq!(lang("web/App.tsx"), Some("tsx"));
        assert_eq!(lang("Dockerfile"), Some("dockerfile"));
        assert_eq!(lang("Cargo.lock"), Some("toml"));
        assert_eq!(lang("docs/README.md"), Some("markdown"));
        assert_eq!((lang("LICENSE"), lang("a.unknownext"), lang(".env")), (None, None, None));
    }

    #[test]
    fn a_character_cut_at_the_end_waits_for_the_next_piece() {
        let text = "a\u{e9}\u{20ac}\u{1f600}".as_bytes(); // 1 + 2 + 3 + 4 bytes
        assert_eq!(complete_utf8_len(text), text.len());
        let cut: Vec<usize> = (0..=text.len()).map(|i| complete_utf8_len(&text[..i])).collect();
        assert_eq!(cut, [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
        assert_eq!(complete_utf8_len(b"\xff\xfe"), 2, "garbage is not held back");
        let out = TerminalOutput { start: 100, data: "x\u{e9}".as_bytes()[..2].to_vec() };
        let info = terminal_output(&out, false);
        assert_eq!((info.data.as_str(), info.start, info.offset), ("x", 100, 101));
        let info = terminal_output(&out, true);
        assert_eq!((info.data.as_str(), info.offset), ("x\u{fffd}", 102));
    }
}
