//! Domain records to wire types. One function per type; nothing else builds wire values.

use band_core::{
    AgentUpdate, Chat, ChatEvent, Decider, EventPayload, Project, QueuedMessage, Turn, Usage, UsageTotals, Workspace,
};
use serde_json::Value;

use crate::api;

pub fn project_info(p: &Project) -> api::ProjectInfo {
    api::ProjectInfo {
        id: p.id.0,
        name: p.name.to_string(),
        path: p.path.display().to_string(),
        default_branch: p.default_branch.to_string(),
        created_at: p.created_at,
    }
}

pub fn workspace_info(project: &str, w: &Workspace) -> api::WorkspaceInfo {
    api::WorkspaceInfo {
        id: w.id.0,
        project: project.to_owned(),
        branch: w.branch.to_string(),
        base: w.base.to_string(),
        path: w.path.display().to_string(),
        branch_created: w.branch_created,
        created_at: w.created_at,
    }
}

pub fn chat_info(c: &Chat) -> api::ChatInfo {
    api::ChatInfo {
        id: c.id.0,
        workspace_id: c.workspace_id.0,
        agent: c.agent.as_str().to_owned(),
        model: c.model.clone(),
        mode: c.mode.as_str().to_owned(),
        name: c.name.clone(),
        labels: c.labels.clone(),
        status: c.status.as_str().to_owned(),
        agent_session_id: c.agent_session_id.clone(),
        last_seq: c.last_seq,
        created_at: c.created_at,
        updated_at: c.updated_at,
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
        stop_reason: outcome.and_then(|o| o.stop_reason).map(|r| r.as_str().to_owned()),
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
            stop_reason: o.stop_reason.map(|r| r.as_str().to_owned()),
            error: o.error.clone(),
            usage: usage_info(&o.usage),
        },
        EventPayload::Update(u) => match u {
            AgentUpdate::MessageChunk { text } => B::AgentMessageChunk { text: text.clone() },
            AgentUpdate::ThoughtChunk { text } => B::AgentThoughtChunk { text: text.clone() },
            AgentUpdate::ToolCall { id, title, kind, input } => B::ToolCall {
                tool_call_id: id.clone(),
                title: title.clone(),
                tool_kind: kind.clone(),
                raw_input: raw(input),
            },
            AgentUpdate::ToolCallUpdate { id, status, output } => B::ToolCallUpdate {
                tool_call_id: id.clone(),
                status: status.as_str().to_owned(),
                raw_output: output.clone(),
            },
            AgentUpdate::Plan { entries } => B::Plan { entries: entries.clone() },
            AgentUpdate::Usage(u) => B::UsageUpdate { usage: usage_info(u) },
        },
        EventPayload::Permission { request_id, tool, input } => {
            B::Permission { request_id: request_id.clone(), tool: tool.clone(), raw_input: raw(input) }
        }
        EventPayload::PermissionResolved { request_id, decision, by } => B::PermissionResolved {
            request_id: request_id.clone(),
            decision: decision.as_str().to_owned(),
            by: match by {
                Decider::User => "user",
                Decider::Mode => "mode",
            }
            .to_owned(),
        },
        EventPayload::Status { status } => B::Status { status: status.as_str().to_owned() },
        EventPayload::AgentSession { session_id } => B::AgentSession { session_id: session_id.clone() },
        EventPayload::Error { message } => B::Error { message: message.clone() },
    };
    api::EventInfo { chat_id: e.chat_id.0, seq: e.seq, at: e.at, body }
}
