//! Gemini API (`generativelanguage`): reading `contents`, writing `GenerateContentResponse`s,
//! streamed (`:streamGenerateContent?alt=sse`, one `data:` line per chunk, no event names) or
//! whole (`:generateContent`).
//!
//! Gemini CLI (`GOOGLE_GEMINI_BASE_URL`) and anything built on its core (Qwen Code's Gemini
//! mode) speak it. Side requests that ask for JSON (`generationConfig.responseJsonSchema` or
//! `responseSchema`, e.g. Gemini CLI's next-speaker check) get the smallest value the schema
//! allows, so the client parses them.

use serde_json::{Map, Value, json};

use crate::scenario::{chunks, count_runs};
use crate::{Event, Reply};

/// How many model responses `contents` already holds: runs of `model` entries.
pub(crate) fn model_turns(body: &Value) -> usize {
    let contents = body.get("contents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    count_runs(contents.iter().map(|c| match c.get("role").and_then(Value::as_str) {
        Some("model") => Some(true),
        Some("user") | Some("function") => Some(false),
        _ => None,
    }))
}

/// True when the request offers function declarations (the main conversation).
pub(crate) fn has_tools(body: &Value) -> bool {
    body.get("tools").and_then(Value::as_array).is_some_and(|tools| {
        tools.iter().any(|t| t.get("functionDeclarations").and_then(Value::as_array).is_some_and(|f| !f.is_empty()))
    })
}

/// The JSON schema a side request wants its answer in, if any.
pub(crate) fn wanted_schema(body: &Value) -> Option<&Value> {
    let config = body.get("generationConfig")?;
    config.get("responseJsonSchema").or_else(|| config.get("responseSchema"))
}

/// The smallest value `schema` allows: an enum's first value, required properties filled in.
pub(crate) fn minimal(schema: &Value) -> Value {
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    let kind = schema.get("type").and_then(Value::as_str).map(str::to_ascii_lowercase);
    match kind.as_deref() {
        Some("object") => {
            let props = schema.get("properties").and_then(Value::as_object);
            let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut out = Map::new();
            for name in required.iter().filter_map(Value::as_str) {
                let sub = props.and_then(|p| p.get(name)).cloned().unwrap_or(Value::Null);
                out.insert(name.to_owned(), minimal(&sub));
            }
            Value::Object(out)
        }
        Some("array") => json!([]),
        Some("boolean") => json!(false),
        Some("number") | Some("integer") => json!(0),
        _ => json!("mock"),
    }
}

fn parts(reply: &Reply) -> Vec<Value> {
    let mut parts = Vec::new();
    if let Some(text) = &reply.text {
        parts.push(json!({"text": text}));
    }
    for (i, call) in reply.tool_calls.iter().enumerate() {
        parts.push(json!({"functionCall": {"id": format!("call_mock_{}_{i}", reply.tag), "name": call.name, "args": call.input}}));
    }
    parts
}

fn usage(reply: &Reply) -> Value {
    let output = reply.output_tokens();
    json!({
        "promptTokenCount": reply.input_tokens,
        "candidatesTokenCount": output,
        "totalTokenCount": reply.input_tokens + output,
    })
}

fn chunk(reply: &Reply, parts: Vec<Value>, finish: Option<&str>, usage: Option<Value>) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if let Some(reason) = finish {
        candidate["finishReason"] = json!(reason);
    }
    let mut out = json!({"candidates": [candidate], "modelVersion": reply.model, "responseId": reply.id});
    if let Some(u) = usage {
        out["usageMetadata"] = u;
    }
    out
}

/// The whole response, for `:generateContent`; `schema` makes its text a JSON value.
pub(crate) fn response(reply: &Reply, schema: Option<&Value>) -> Value {
    let parts = match schema {
        Some(s) => vec![json!({"text": minimal(s).to_string()})],
        None => parts(reply),
    };
    chunk(reply, parts, Some("STOP"), Some(usage(reply)))
}

/// The SSE chunks of a streamed response: the text in a few pieces, then the function calls, the
/// last chunk with `finishReason` and `usageMetadata`.
pub(crate) fn events(reply: &Reply, schema: Option<&Value>) -> Vec<Event> {
    if schema.is_some() {
        return vec![("", response(reply, schema))];
    }
    let mut events: Vec<Event> = Vec::new();
    if let Some(text) = &reply.text {
        for piece in chunks(text, 3) {
            events.push(("", chunk(reply, vec![json!({"text": piece})], None, None)));
        }
    }
    let calls: Vec<Value> = parts(reply).into_iter().filter(|p| p.get("functionCall").is_some()).collect();
    let last = if calls.is_empty() { vec![json!({"text": ""})] } else { calls };
    events.push(("", chunk(reply, last, Some("STOP"), Some(usage(reply)))));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_model_runs() {
        let body = json!({"contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "write_file", "response": {}}}]},
            {"role": "model", "parts": [{"text": "done"}]},
            {"role": "user", "parts": [{"text": "again"}]},
        ]});
        assert_eq!(model_turns(&body), 2);
    }

    #[test]
    fn a_schema_gets_its_smallest_value() {
        let schema = json!({"type": "OBJECT", "properties": {
            "reasoning": {"type": "string"},
            "next_speaker": {"type": "string", "enum": ["user", "model"]},
            "extra": {"type": "number"},
        }, "required": ["reasoning", "next_speaker"]});
        assert_eq!(minimal(&schema), json!({"reasoning": "mock", "next_speaker": "user"}));
    }
}
