//! OpenAI Responses API: reading the input items, writing a response (SSE or JSON).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::scenario::{chunks, count_runs};
use crate::{Event, Reply};

/// How many model responses `input` already holds: runs of model-produced items (assistant
/// messages, function/custom/shell calls, reasoning), separated by user messages and tool outputs.
/// `developer`/`system` messages are neutral.
pub(crate) fn model_turns(body: &Value) -> usize {
    let items = body.get("input").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    count_runs(items.iter().map(|item| {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or("message");
        match kind {
            "message" => match item.get("role").and_then(Value::as_str) {
                Some("assistant") => Some(true),
                Some("user") => Some(false),
                _ => None,
            },
            "function_call" | "custom_tool_call" | "local_shell_call" | "reasoning" | "web_search_call"
            | "tool_search_call" => Some(true),
            k if k.ends_with("_output") => Some(false),
            _ => None,
        }
    }))
}

/// The names of the request's freeform (`custom`) tools: a call to one of them carries a raw string
/// input (`custom_tool_call`) instead of JSON arguments (`function_call`).
#[derive(Debug, Default)]
pub(crate) struct ToolKinds {
    custom: BTreeSet<String>,
}

impl ToolKinds {
    pub(crate) fn of(body: &Value) -> Self {
        let tools = body.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let custom = tools
            .iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("custom"))
            .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        Self { custom }
    }
}

/// The output items of the reply, each complete.
fn items(reply: &Reply, tools: &ToolKinds) -> Vec<Value> {
    let mut items = Vec::new();
    if let Some(text) = &reply.text {
        items.push(json!({
            "id": format!("msg_mock_{}", reply.id),
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }));
    }
    for (i, call) in reply.tool_calls.iter().enumerate() {
        let call_id = format!("call_mock_{}_{i}", reply.tag);
        if tools.custom.contains(&call.name) {
            let input = match &call.input {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            items.push(json!({
                "id": format!("ctc_mock_{}_{i}", reply.id),
                "type": "custom_tool_call",
                "status": "completed",
                "call_id": call_id,
                "name": call.name,
                "input": input,
            }));
        } else {
            items.push(json!({
                "id": format!("fc_mock_{}_{i}", reply.id),
                "type": "function_call",
                "status": "completed",
                "call_id": call_id,
                "name": call.name,
                "arguments": call.input.to_string(),
            }));
        }
    }
    items
}

fn usage(reply: &Reply) -> Value {
    let output = reply.output_tokens();
    json!({
        "input_tokens": reply.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": reply.input_tokens + output,
    })
}

fn envelope(reply: &Reply, status: &str, output: Vec<Value>, usage: Value) -> Value {
    json!({
        "id": format!("resp_mock_{}", reply.id),
        "object": "response",
        "created_at": 0,
        "status": status,
        "model": reply.model,
        "output": output,
        "usage": usage,
    })
}

/// The whole response, for a request without `stream: true`.
pub(crate) fn response(reply: &Reply, tools: &ToolKinds) -> Value {
    envelope(reply, "completed", items(reply, tools), usage(reply))
}

/// The SSE events of a streamed response, in the order the real API sends them.
pub(crate) fn events(reply: &Reply, tools: &ToolKinds) -> Vec<Event> {
    let items = items(reply, tools);
    let mut events: Vec<Event> = vec![
        (
            "response.created",
            json!({"type": "response.created", "response": envelope(reply, "in_progress", vec![], Value::Null)}),
        ),
        (
            "response.in_progress",
            json!({"type": "response.in_progress", "response": envelope(reply, "in_progress", vec![], Value::Null)}),
        ),
    ];
    for (index, item) in items.iter().enumerate() {
        let id = item["id"].clone();
        let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
        let mut added = item.clone();
        added["status"] = json!("in_progress");
        match kind {
            "message" => {
                added["content"] = json!([]);
                events.push((
                    "response.output_item.added",
                    json!({"type": "response.output_item.added", "output_index": index, "item": added}),
                ));
                let part = json!({"type": "output_text", "text": "", "annotations": []});
                events.push((
                    "response.content_part.added",
                    json!({"type": "response.content_part.added", "item_id": id, "output_index": index, "content_index": 0, "part": part}),
                ));
                let text = item["content"][0]["text"].as_str().unwrap_or_default();
                for delta in chunks(text, 3) {
                    events.push((
                        "response.output_text.delta",
                        json!({"type": "response.output_text.delta", "item_id": id, "output_index": index, "content_index": 0, "delta": delta}),
                    ));
                }
                events.push((
                    "response.output_text.done",
                    json!({"type": "response.output_text.done", "item_id": id, "output_index": index, "content_index": 0, "text": text}),
                ));
                events.push((
                    "response.content_part.done",
                    json!({"type": "response.content_part.done", "item_id": id, "output_index": index, "content_index": 0, "part": item["content"][0]}),
                ));
            }
            "function_call" => {
                added["arguments"] = json!("");
                events.push((
                    "response.output_item.added",
                    json!({"type": "response.output_item.added", "output_index": index, "item": added}),
                ));
                let arguments = item["arguments"].as_str().unwrap_or_default();
                for delta in chunks(arguments, 2) {
                    events.push((
                        "response.function_call_arguments.delta",
                        json!({"type": "response.function_call_arguments.delta", "item_id": id, "output_index": index, "delta": delta}),
                    ));
                }
                events.push((
                    "response.function_call_arguments.done",
                    json!({"type": "response.function_call_arguments.done", "item_id": id, "output_index": index, "arguments": arguments}),
                ));
            }
            _ => {
                added["input"] = json!("");
                events.push((
                    "response.output_item.added",
                    json!({"type": "response.output_item.added", "output_index": index, "item": added}),
                ));
                let input = item["input"].as_str().unwrap_or_default();
                events.push((
                    "response.custom_tool_call_input.delta",
                    json!({"type": "response.custom_tool_call_input.delta", "item_id": id, "output_index": index, "delta": input}),
                ));
            }
        }
        events.push((
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": index, "item": item}),
        ));
    }
    events.push((
        "response.completed",
        json!({"type": "response.completed", "response": envelope(reply, "completed", items, usage(reply))}),
    ));
    for (n, (_, data)) in events.iter_mut().enumerate() {
        data["sequence_number"] = json!(n);
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_model_runs() {
        let body = json!({"input": [
            {"type": "message", "role": "developer", "content": []},
            {"type": "message", "role": "user", "content": []},
            {"type": "reasoning", "summary": []},
            {"type": "function_call", "call_id": "a", "name": "exec_command", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "a", "output": "ok"},
            {"type": "message", "role": "assistant", "content": []},
            {"role": "user", "content": "again"},
        ]});
        assert_eq!(model_turns(&body), 2);
    }
}
