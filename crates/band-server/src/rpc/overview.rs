//! `chats.overview`: every chat of every workspace in one answer, the ones that need someone
//! first. Built from what the services already keep: each chat's newest events (its pending
//! permissions, its last message, when its turn started) and its usage totals.

use std::collections::HashMap;

use band_core::ports::UsageScope;
use jsonrpsee::RpcModule;

use super::convert::{chat_info, event_info, totals_info};
use super::{ApiContext, Reg, add};
use band_api::{self as api, ChatStatus, EventBody};

/// Events read back per chat: enough for a turn's permissions and its last message.
const TAIL: usize = 300;
/// Characters kept of a last message and of a permission's input.
const MESSAGE_CHARS: usize = 300;
const SUMMARY_CHARS: usize = 200;

pub(super) fn methods(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ChatsOverview, _, _>(m, |c, _| async move {
        let places: HashMap<i64, (String, String)> = c
            .workspaces
            .list(None)
            .await?
            .iter()
            .map(|l| (l.workspace.id.0, (l.project.to_string(), l.workspace.branch.to_string())))
            .collect();
        let mut out = Vec::new();
        for chat in c.chats.list(None).await? {
            let events = c.chats.events_before(chat.id, None, TAIL).await?;
            let events: Vec<api::EventInfo> = events.iter().map(event_info).collect();
            let totals = totals_info(&c.chats.usage(UsageScope::Chat(chat.id)).await?);
            let info = chat_info(&chat);
            let (project, branch) = places.get(&info.workspace_id).cloned().unwrap_or_default();
            out.push(overview(info, project, branch, &events, totals));
        }
        out.sort_by(|a, b| urgency(a).cmp(&urgency(b)).then(b.since.cmp(&a.since)));
        Ok(out)
    })
}

/// Waiting chats first, then failed, working, interrupted, the rest.
fn urgency(o: &api::ChatOverviewInfo) -> u8 {
    match o.chat.status {
        ChatStatus::Waiting => 0,
        ChatStatus::Failed => 1,
        ChatStatus::Working => 2,
        ChatStatus::Interrupted => 3,
        _ => 4,
    }
}

/// One chat's line of the overview, from its newest events (ascending).
pub(super) fn overview(
    chat: api::ChatInfo,
    project: String,
    branch: String,
    events: &[api::EventInfo],
    mut usage: api::UsageTotalsInfo,
) -> api::ChatOverviewInfo {
    let mut pending: Vec<api::PendingPermissionInfo> = Vec::new();
    let mut turn_started = None;
    let mut last_message: Option<String> = None;
    let mut message_id: Option<Option<String>> = None;
    let mut live_usage = None;
    for e in events {
        match &e.body {
            EventBody::TurnStarted {} => {
                turn_started = Some(e.at);
                live_usage = None;
            }
            EventBody::TurnEnded { .. } => {
                turn_started = None;
                live_usage = None;
                // A turn's end expires whatever it still asked.
                pending.clear();
            }
            EventBody::Prompt { text, .. } => {
                last_message = Some(text.clone());
                message_id = None;
            }
            EventBody::AgentMessageChunk { text, message_id: id } => {
                if message_id.as_ref() == Some(id) {
                    last_message.get_or_insert_with(String::new).push_str(text);
                } else {
                    last_message = Some(text.clone());
                    message_id = Some(id.clone());
                }
            }
            EventBody::Permission { request_id, tool, raw_input } => pending.push(api::PendingPermissionInfo {
                request_id: request_id.clone(),
                tool: tool.clone(),
                summary: summary(raw_input),
            }),
            EventBody::PermissionResolved { request_id, .. } => pending.retain(|p| p.request_id != *request_id),
            EventBody::UsageUpdate { usage } => live_usage = Some(usage.clone()),
            _ => {}
        }
    }
    if chat.status != ChatStatus::Waiting {
        pending.clear();
    }
    let busy = matches!(chat.status, ChatStatus::Working | ChatStatus::Waiting);
    let since = turn_started.filter(|_| busy).unwrap_or(chat.updated_at);
    if let (true, Some(u)) = (busy, live_usage) {
        usage.usage.input_tokens += u.input_tokens;
        usage.usage.output_tokens += u.output_tokens;
        usage.usage.cache_read_tokens += u.cache_read_tokens;
        usage.usage.cache_write_tokens += u.cache_write_tokens;
        if let Some(c) = u.cost_usd {
            usage.usage.cost_usd = Some(usage.usage.cost_usd.unwrap_or(0.0) + c);
        }
    }
    api::ChatOverviewInfo {
        chat,
        project,
        branch,
        pending,
        last_message: last_message.map(|m| cut(m.trim(), MESSAGE_CHARS)).filter(|m| !m.is_empty()),
        since,
        usage,
    }
}

/// A tool input's gist: the field a person reads first, else the whole input as compact JSON.
pub(super) fn summary(input: &serde_json::Value) -> String {
    const KEYS: [&str; 7] = ["command", "file_path", "path", "url", "pattern", "query", "description"];
    let text = KEYS
        .iter()
        .find_map(|k| input.get(k).and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_else(|| input.to_string());
    cut(text.trim(), SUMMARY_CHARS)
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(status: ChatStatus) -> api::ChatInfo {
        api::ChatInfo {
            id: 1,
            workspace_id: 1,
            agent: api::AgentId("claude-code".into()),
            model: None,
            mode: api::Mode::Ask,
            name: "c".into(),
            labels: Default::default(),
            via: api::Via::Protocol,
            status,
            agent_session_id: None,
            last_seq: 0,
            created_at: 1,
            updated_at: 50,
        }
    }

    fn ev(seq: u64, body: EventBody) -> api::EventInfo {
        api::EventInfo { chat_id: 1, seq, at: seq as i64 * 10, body }
    }

    fn zero() -> api::UsageTotalsInfo {
        api::UsageTotalsInfo {
            turns: 0,
            usage: api::UsageInfo {
                input_tokens: 0,
                output_tokens: 0,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                cost_usd: None,
            },
            duration_ms: 0,
        }
    }

    #[test]
    fn a_waiting_chat_shows_what_it_waits_on_and_since_when() {
        let events = vec![
            ev(1, EventBody::Prompt { text: "do it".into(), queued_id: None }),
            ev(2, EventBody::TurnStarted {}),
            ev(3, EventBody::AgentMessageChunk { text: "I'll ".into(), message_id: Some("m".into()) }),
            ev(4, EventBody::AgentMessageChunk { text: "run it.".into(), message_id: Some("m".into()) }),
            ev(
                5,
                EventBody::Permission {
                    request_id: "r1".into(),
                    tool: "Bash".into(),
                    raw_input: serde_json::json!({"command": "echo hi", "description": "Say hi"}),
                },
            ),
            ev(
                6,
                EventBody::Permission {
                    request_id: "r2".into(),
                    tool: "Write".into(),
                    raw_input: serde_json::json!({"file_path": "/a/b.txt", "content": "x"}),
                },
            ),
            ev(
                7,
                EventBody::PermissionResolved {
                    request_id: "r1".into(),
                    decision: api::Decision::Allow,
                    by: api::DecidedBy::User,
                },
            ),
        ];
        let o = overview(chat(ChatStatus::Waiting), "app".into(), "feat".into(), &events, zero());
        assert_eq!(o.pending.len(), 1);
        assert_eq!((o.pending[0].tool.as_str(), o.pending[0].summary.as_str()), ("Write", "/a/b.txt"));
        assert_eq!(o.last_message.as_deref(), Some("I'll run it."));
        assert_eq!(o.since, 20, "since the turn started");
        // The same log once the chat is idle: nothing pending, since its last change.
        let o = overview(chat(ChatStatus::Idle), "app".into(), "feat".into(), &events, zero());
        assert!(o.pending.is_empty());
        assert_eq!(o.since, 50);
    }

    #[test]
    fn a_long_input_is_cut_and_an_unknown_one_shown_as_json() {
        let long = "x".repeat(500);
        assert_eq!(summary(&serde_json::json!({ "command": long })).chars().count(), SUMMARY_CHARS + 1);
        assert_eq!(summary(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
    }
}
