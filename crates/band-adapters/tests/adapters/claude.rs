//! Claude Code's parser on transcripts recorded from the real CLI (tests/fixtures/claude, made by
//! band-mockmodel's real-agent tests): what band makes of every line the agent printed.

use std::sync::{Arc, Mutex};

use band_adapters::agents::claude::{ClaudeParser, Shared};
use band_adapters::agents::process::LineParser;
use band_core::ports::AgentEvent;
use band_core::{AgentUpdate, StopReason, ToolCallStatus};

/// Every event the parser makes of a fixture's agent output, and the replies it wrote back.
fn parse(fixture: &str) -> (Vec<AgentEvent>, Vec<String>) {
    let path = format!("{}/tests/fixtures/claude/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut parser = ClaudeParser::new(Arc::new(Mutex::new(Shared::default())));
    let (mut events, mut replies) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("fixture line");
        if v["dir"] == "out" {
            let parsed = parser.parse(&v["msg"].to_string());
            events.extend(parsed.events);
            replies.extend(parsed.replies);
        }
    }
    (events, replies)
}

/// The text of consecutive message chunks, joined, with other events as short names.
fn summary(events: &[AgentEvent]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let item = match e {
            AgentEvent::SessionStarted { .. } => "session".to_owned(),
            AgentEvent::Update(AgentUpdate::MessageChunk { text, .. }) => {
                if let Some(last) = out.last_mut().filter(|l| l.starts_with("text:")) {
                    last.push_str(text);
                    continue;
                }
                format!("text:{text}")
            }
            AgentEvent::Update(AgentUpdate::ToolCall { title, kind, .. }) => format!("tool:{kind}:{title}"),
            AgentEvent::Update(AgentUpdate::ToolCallUpdate { status, .. }) => format!("result:{}", status.as_str()),
            AgentEvent::PermissionRequest { tool, edit, .. } => format!("ask:{tool}:{edit}"),
            AgentEvent::TurnEnded { stop_reason, .. } => format!("end:{}", stop_reason.as_str()),
            AgentEvent::TurnFailed { message, .. } => format!("failed:{message}"),
            // The turn's usage so far (checked on its own below), and the model it runs.
            AgentEvent::Update(AgentUpdate::Usage(_) | AgentUpdate::SessionInfo { .. }) => continue,
            other => format!("{other:?}"),
        };
        out.push(item);
    }
    out
}

#[test]
fn a_turn_with_two_tools_and_a_second_turn() {
    let (events, replies) = parse("allow.jsonl");
    let s = summary(&events);
    assert_eq!(s[0], "session");
    assert!(s[1].starts_with("tool:edit:Write: /tmp/") && s[1].ends_with("/hello.txt"), "{}", s[1]);
    assert_eq!(s[2], "ask:Write:true");
    assert_eq!(s[3], "result:completed");
    assert_eq!(s[4], "text:Committing.", "streamed text is sent once, not again from the full message");
    assert_eq!(s[5], "tool:execute:Bash: git add hello.txt && git commit -m 'add hello'");
    assert_eq!(
        s[6..].to_vec(),
        [
            "ask:Bash:false",
            "result:completed",
            "text:done",
            "end:end_turn",
            "session",
            "text:second answer",
            "end:end_turn"
        ]
    );
    assert!(replies.is_empty());

    // Usage is per turn; cost too, although the CLI reports it summed over the process.
    let ends: Vec<(u64, u64, f64)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::TurnEnded { usage: Some(u), .. } => {
                Some((u.input_tokens, u.output_tokens, u.cost_usd.unwrap_or(-1.0)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2);
    assert_eq!((ends[0].0, ends[0].1), (66138, 51));
    // Before a turn ends, each model response's usage adds to the turn's so far (for budgets):
    // it only grows, and stays within what the turn ends with.
    let first_end = events.iter().position(|e| matches!(e, AgentEvent::TurnEnded { .. })).expect("an end");
    let so_far: Vec<u64> = events[..first_end]
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::Usage(u)) => Some(u.input_tokens + u.output_tokens + u.cache_read_tokens),
            _ => None,
        })
        .collect();
    assert!(so_far.len() >= 2, "{so_far:?}");
    assert!(so_far.windows(2).all(|w| w[0] < w[1]), "{so_far:?}");
    assert!((ends[0].2 - 0.331965).abs() < 1e-9, "{}", ends[0].2);
    assert!((ends[1].2 - (0.443005 - 0.331965)).abs() < 1e-9, "{}", ends[1].2);
}

#[test]
fn denied_tools_fail_and_the_turn_goes_on() {
    let (events, _) = parse("deny.jsonl");
    let s = summary(&events);
    assert_eq!(s.iter().filter(|e| *e == "result:failed").count(), 2, "{s:?}");
    assert_eq!(s.last().map(String::as_str), Some("end:end_turn"));
    // Without partial messages, text comes whole from the assistant lines.
    assert!(s.contains(&"text:Committing.".to_owned()) && s.contains(&"text:done".to_owned()), "{s:?}");
}

#[test]
fn an_interrupt_ends_the_turn_as_cancelled_and_the_session_goes_on() {
    let (events, _) = parse("interrupt.jsonl");
    let s = summary(&events);
    assert_eq!(s, ["session", "end:cancelled", "session", "text:after the interrupt", "end:end_turn"]);
    assert!(
        events.iter().all(|e| !matches!(e, AgentEvent::TurnEnded { stop_reason: StopReason::EndTurn, usage: None }))
    );
}

#[test]
fn an_api_error_fails_the_turn_with_its_message_and_the_next_turn_recovers() {
    let (events, _) = parse("error.jsonl");
    let s = summary(&events);
    assert!(s.contains(&"failed:API Error: 400 mock: scripted failure".to_owned()), "{s:?}");
    assert_eq!(s.last().map(String::as_str), Some("end:end_turn"));
}

#[test]
fn tool_results_carry_their_output() {
    let (events, _) = parse("allow.jsonl");
    let outputs: Vec<(ToolCallStatus, String)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Update(AgentUpdate::ToolCallUpdate { status, output, .. }) => {
                Some((*status, output.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    assert!(outputs[1].1.contains("add hello") && outputs[1].1.contains("1 file changed"), "{outputs:?}");
}

#[test]
fn control_requests_band_does_not_serve_get_an_error_reply_and_junk_is_ignored() {
    let mut parser = ClaudeParser::new(Arc::new(Mutex::new(Shared::default())));
    let p = parser.parse(r#"{"type":"control_request","request_id":"h1","request":{"subtype":"hook_callback"}}"#);
    assert!(p.events.is_empty());
    let reply: serde_json::Value = serde_json::from_str(&p.replies[0]).expect("json");
    assert_eq!(reply["response"]["subtype"], "error");
    assert_eq!(reply["response"]["request_id"], "h1");
    for junk in ["not json", "{}", r#"{"type":"result"}"#, r#"{"type":"assistant","message":null}"#] {
        let _ = parser.parse(junk);
    }
}

/// The message ids of the chunks, in order, one per run of equal ids.
fn message_ids(events: &[AgentEvent]) -> Vec<Option<String>> {
    let mut ids: Vec<Option<String>> = Vec::new();
    for e in events {
        if let AgentEvent::Update(AgentUpdate::MessageChunk { message_id, .. }) = e
            && ids.last() != Some(message_id)
        {
            ids.push(message_id.clone());
        }
    }
    ids
}

#[test]
fn each_message_has_its_own_id_so_adjacent_messages_stay_apart() {
    let (events, _) = parse("allow.jsonl");
    let ids = message_ids(&events);
    assert_eq!(ids.len(), 3, "Committing., done, second answer: {ids:?}");
    assert!(ids.iter().all(|id| id.as_deref().is_some_and(|i| i.starts_with("msg_"))), "{ids:?}");
    let mut unique = ids.clone();
    unique.dedup();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{ids:?}");
}
