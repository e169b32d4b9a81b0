//! OpenAI Chat Completions (`POST /v1/chat/completions`): reading `messages`, writing a
//! completion, streamed (`chat.completion.chunk`s, then `data: [DONE]`) or whole.
//!
//! OpenCode (through `@ai-sdk/openai-compatible`) and Qwen Code (`OPENAI_BASE_URL`) speak it.

use serde_json::{Value, json};

use crate::scenario::{chunks, count_runs};
use crate::{Event, Reply};

/// How many model responses `messages` already holds: runs of `assistant` entries, separated by
/// user messages and tool results. `system`/`developer` entries are neutral.
pub(crate) fn model_turns(body: &Value) -> usize {
    let messages = body.get("messages").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    count_runs(messages.iter().map(|m| match m.get("role").and_then(Value::as_str) {
        Some("assistant") => Some(true),
        Some("user") | Some("tool") | Some("function") => Some(false),
        _ => None,
    }))
}

fn calls(reply: &Reply) -> Vec<Value> {
    reply
        .tool_calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            json!({
                "id": format!("call_mock_{}_{i}", reply.tag),
                "type": "function",
                "function": {"name": call.name, "arguments": call.input.to_string()},
            })
        })
        .collect()
}

fn finish_reason(reply: &Reply) -> &'static str {
    if reply.tool_calls.is_empty() { "stop" } else { "tool_calls" }
}

fn usage(reply: &Reply) -> Value {
    let output = reply.output_tokens();
    json!({
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": output,
        "total_tokens": reply.input_tokens + output,
    })
}

fn envelope(reply: &Reply, object: &str, choices: Value) -> Value {
    json!({
        "id": format!("chatcmpl-mock-{}", reply.id),
        "object": object,
        "created": 0,
        "model": reply.model,
        "choices": choices,
    })
}

/// The whole completion, for a request without `stream: true`.
pub(crate) fn response(reply: &Reply) -> Value {
    let mut message = json!({"role": "assistant", "content": reply.text.clone().unwrap_or_default()});
    let calls = calls(reply);
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    let mut out = envelope(
        reply,
        "chat.completion",
        json!([{"index": 0, "message": message, "finish_reason": finish_reason(reply)}]),
    );
    out["usage"] = usage(reply);
    out
}

/// The chunks of a streamed completion: role, text deltas, each tool call (its name, then its
/// arguments in pieces), the finish reason, the usage (always: clients that did not ask ignore
/// it), then `[DONE]`.
pub(crate) fn events(reply: &Reply) -> Vec<Event> {
    let chunk = |delta: Value, finish: Option<&str>| {
        envelope(reply, "chat.completion.chunk", json!([{"index": 0, "delta": delta, "finish_reason": finish}]))
    };
    let mut events: Vec<Event> = vec![("", chunk(json!({"role": "assistant", "content": ""}), None))];
    if let Some(text) = &reply.text {
        for piece in chunks(text, 3) {
            events.push(("", chunk(json!({"content": piece}), None)));
        }
    }
    for (index, call) in calls(reply).into_iter().enumerate() {
        let start = json!({"tool_calls": [{
            "index": index, "id": call["id"], "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }]});
        events.push(("", chunk(start, None)));
        let arguments = call["function"]["arguments"].as_str().unwrap_or_default().to_owned();
        for piece in chunks(&arguments, 2) {
            events.push(("", chunk(json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}), None)));
        }
    }
    events.push(("", chunk(json!({}), Some(finish_reason(reply)))));
    let mut usage_chunk = envelope(reply, "chat.completion.chunk", json!([]));
    usage_chunk["usage"] = usage(reply);
    events.push(("", usage_chunk));
    events.push(("", Value::String("[DONE]".to_owned())));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_assistant_runs() {
        let body = json!({"messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "a", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "a", "content": "ok"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "again"},
        ]});
        assert_eq!(model_turns(&body), 2);
    }
}
