//! Anthropic Messages API: reading the conversation, writing a message (SSE or JSON).

use serde_json::{Value, json};

use crate::scenario::{chunks, count_runs};
use crate::{Event, Reply};

/// How many model responses `messages` already holds: runs of `assistant` entries (a client may
/// split one response's blocks over several entries). `system` entries are neutral.
pub(crate) fn model_turns(body: &Value) -> usize {
    let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    count_runs(messages.iter().map(|m| match m.get("role").and_then(Value::as_str) {
        Some("assistant") => Some(true),
        Some("user") => Some(false),
        _ => None,
    }))
}

fn blocks(reply: &Reply) -> Vec<Value> {
    let mut blocks = Vec::new();
    if let Some(text) = &reply.text {
        blocks.push(json!({"type": "text", "text": text}));
    }
    for (i, call) in reply.tool_calls.iter().enumerate() {
        blocks.push(json!({
            "type": "tool_use",
            "id": format!("toolu_mock_{}_{i}", reply.tag),
            "name": call.name,
            "input": call.input,
        }));
    }
    blocks
}

fn stop_reason(reply: &Reply) -> &'static str {
    if reply.tool_calls.is_empty() { "end_turn" } else { "tool_use" }
}

fn usage(reply: &Reply, output_tokens: u64) -> Value {
    json!({
        "input_tokens": reply.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    })
}

/// The whole message, for a request without `stream: true`.
pub(crate) fn message(reply: &Reply) -> Value {
    json!({
        "id": format!("msg_mock_{}", reply.id),
        "type": "message",
        "role": "assistant",
        "model": reply.model,
        "content": blocks(reply),
        "stop_reason": stop_reason(reply),
        "stop_sequence": null,
        "usage": usage(reply, reply.output_tokens()),
    })
}

/// The SSE events of a streamed message, in the order the real API sends them.
pub(crate) fn events(reply: &Reply) -> Vec<Event> {
    let mut events: Vec<Event> = vec![
        (
            "message_start",
            json!({"type": "message_start", "message": {
                "id": format!("msg_mock_{}", reply.id),
                "type": "message",
                "role": "assistant",
                "model": reply.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": usage(reply, 1),
            }}),
        ),
        ("ping", json!({"type": "ping"})),
    ];
    for (index, block) in blocks(reply).into_iter().enumerate() {
        let (start, deltas) = match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                let text = block.get("text").and_then(Value::as_str).unwrap_or_default();
                let deltas: Vec<Value> =
                    chunks(text, 3).into_iter().map(|t| json!({"type": "text_delta", "text": t})).collect();
                (json!({"type": "text", "text": ""}), deltas)
            }
            _ => {
                let input = block.get("input").map(Value::to_string).unwrap_or_else(|| "{}".to_owned());
                let deltas: Vec<Value> = chunks(&input, 2)
                    .into_iter()
                    .map(|p| json!({"type": "input_json_delta", "partial_json": p}))
                    .collect();
                let start = json!({"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}});
                (start, deltas)
            }
        };
        events.push((
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        for delta in deltas {
            events
                .push(("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": delta})));
        }
        events.push(("content_block_stop", json!({"type": "content_block_stop", "index": index})));
    }
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(reply), "stop_sequence": null},
            "usage": usage(reply, reply.output_tokens()),
        }),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_assistant_runs() {
        let body = json!({"messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "a"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "1", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "1", "content": "ok"}]},
            {"role": "system", "content": "note"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "again"},
        ]});
        assert_eq!(model_turns(&body), 2);
    }
}
