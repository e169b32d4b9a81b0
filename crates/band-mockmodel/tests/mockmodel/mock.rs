//! The mock model over real HTTP: event sequences as clients parse them, turn selection from the
//! conversation, side requests, delays abandoned by the client, scripted errors.

use std::time::Duration;

use band_mockmodel::{Api, EXHAUSTED_TEXT, MockModel, MockTurn, SIDE_TEXT, Scenario, Served};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

async fn send(method: &str, url: &str, body: Option<Value>) -> Reply {
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.map(|b| b.to_string()).unwrap_or_default())))
        .expect("request");
    let response = client().request(request).await.expect("send");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, content_type, body: String::from_utf8(bytes.to_vec()).expect("utf-8") }
}

async fn post(url: &str, body: Value) -> Reply {
    send("POST", url, Some(body)).await
}

/// Parses an SSE stream into (event name, data) pairs, checking that each event's name matches
/// its data's `type` (both APIs promise that).
fn sse(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            let mut name = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(v).expect("data is JSON"));
                }
            }
            let (name, data) = (name.expect("event name"), data.expect("event data"));
            assert_eq!(data["type"], name.as_str(), "event name and data type differ");
            (name, data)
        })
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

fn tool() -> Value {
    json!([{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}])
}

fn anthropic(messages: Value) -> Value {
    json!({"model": "claude-test", "max_tokens": 100, "stream": true, "system": "You are Claude Code", "tools": tool(), "messages": messages})
}

/// The text an Anthropic SSE reply says, and its stop reason.
fn anthropic_text(reply: &Reply) -> (String, String) {
    let events = sse(&reply.body);
    let text = events
        .iter()
        .filter(|(n, d)| n == "content_block_delta" && d["delta"]["type"] == "text_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().expect("text").to_owned())
        .collect();
    let stop = events.iter().find(|(n, _)| n == "message_delta").expect("message_delta").1["delta"]["stop_reason"]
        .as_str()
        .expect("stop_reason")
        .to_owned();
    (text, stop)
}

#[tokio::test]
async fn anthropic_stream_is_the_real_event_sequence() {
    let turn = MockTurn::text("Let me commit that.").and_tool("Bash", json!({"command": "git commit -m 'add hello'"}));
    let mock = MockModel::start(Scenario::new([turn])).await;
    let reply =
        post(&format!("{}/v1/messages?beta=true", mock.url()), anthropic(json!([{"role": "user", "content": "go"}])))
            .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "text/event-stream");
    let events = sse(&reply.body);
    let names = names(&events);
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);

    let start = &events[0].1["message"];
    assert_eq!(start["role"], "assistant");
    assert_eq!(start["model"], "claude-test");
    assert_eq!(start["content"], json!([]));
    assert!(start["id"].as_str().expect("id").starts_with("msg_"));

    // Block 0: text, as text deltas; block 1: tool_use, as input_json deltas.
    let starts: Vec<&Value> = events.iter().filter(|(n, _)| n == "content_block_start").map(|(_, d)| d).collect();
    assert_eq!(starts.len(), 2);
    assert_eq!(starts[0]["content_block"], json!({"type": "text", "text": ""}));
    assert_eq!(starts[1]["index"], 1);
    assert_eq!(starts[1]["content_block"]["type"], "tool_use");
    assert_eq!(starts[1]["content_block"]["name"], "Bash");
    assert_eq!(starts[1]["content_block"]["input"], json!({}));
    assert!(starts[1]["content_block"]["id"].as_str().expect("id").starts_with("toolu_"));
    let deltas = |index: u64, kind: &str, field: &str| -> String {
        events
            .iter()
            .filter(|(n, d)| n == "content_block_delta" && d["index"] == index)
            .map(|(_, d)| {
                assert_eq!(d["delta"]["type"], kind);
                d["delta"][field].as_str().expect("delta").to_owned()
            })
            .collect()
    };
    assert!(
        events.iter().filter(|(n, d)| n == "content_block_delta" && d["index"] == 0).count() > 1,
        "text comes in pieces"
    );
    assert_eq!(deltas(0, "text_delta", "text"), "Let me commit that.");
    let input: Value = serde_json::from_str(&deltas(1, "input_json_delta", "partial_json")).expect("tool input");
    assert_eq!(input, json!({"command": "git commit -m 'add hello'"}));
    // Every block that starts stops, in order, before the message ends.
    let order: Vec<(&str, u64)> = events
        .iter()
        .filter(|(n, _)| n.starts_with("content_block_s"))
        .map(|(n, d)| (n.as_str(), d["index"].as_u64().expect("index")))
        .collect();
    assert_eq!(
        order,
        [("content_block_start", 0), ("content_block_stop", 0), ("content_block_start", 1), ("content_block_stop", 1)]
    );

    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert!(delta["usage"]["input_tokens"].as_u64().expect("input tokens") > 0);
    assert!(delta["usage"]["output_tokens"].as_u64().expect("output tokens") > 0);

    let recorded = mock.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].api, Api::Anthropic);
    assert_eq!(recorded[0].path, "/v1/messages?beta=true");
    assert_eq!(recorded[0].served, Served::Turn(0));
    assert_eq!(recorded[0].body["messages"][0]["content"], "go");
    mock.stop().await;
}

#[tokio::test]
async fn anthropic_turns_follow_the_conversation_across_prompts() {
    let scenario = Scenario::new([
        MockTurn::tool("Write", json!({"file_path": "/tmp/x/hello.txt", "content": "hello"})),
        MockTurn::tool("Bash", json!({"command": "git add hello.txt"})),
        MockTurn::text("done"),
        MockTurn::text("second answer"),
    ]);
    let mock = MockModel::start(scenario).await;
    let url = format!("{}/v1/messages", mock.url());
    let user = |text: &str| json!({"role": "user", "content": text});
    let system = json!({"role": "system", "content": "a note the client adds"});
    let assistant = |n: u32| json!({"role": "assistant", "content": [{"type": "tool_use", "id": format!("t{n}"), "name": "Bash", "input": {}}]});
    let result = |n: u32| json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": format!("t{n}"), "content": "ok"}]});
    let said = |text: &str| json!({"role": "assistant", "content": [{"type": "text", "text": text}]});

    let first = post(&url, anthropic(json!([user("write it"), system]))).await;
    let events = sse(&first.body);
    assert_eq!(
        events.iter().find(|(n, _)| n == "content_block_start").expect("block").1["content_block"]["name"],
        "Write"
    );

    let second = post(&url, anthropic(json!([user("write it"), system, assistant(0), result(0)]))).await;
    let events = sse(&second.body);
    assert_eq!(
        events.iter().find(|(n, _)| n == "content_block_start").expect("block").1["content_block"]["name"],
        "Bash"
    );

    // A side request (no tools: a title, a probe) does not disturb the scenario.
    let side =
        post(&url, json!({"model": "haiku", "max_tokens": 10, "stream": true, "messages": [user("title?")]})).await;
    assert_eq!(anthropic_text(&side), (SIDE_TEXT.to_owned(), "end_turn".to_owned()));

    // A response split over two assistant entries is still one model turn.
    let history = json!([user("write it"), system, assistant(0), result(0), said("ok"), assistant(1), result(1)]);
    let third = post(&url, anthropic(history.clone())).await;
    assert_eq!(anthropic_text(&third), ("done".to_owned(), "end_turn".to_owned()));

    let mut next = history.as_array().expect("array").clone();
    next.extend([said("done"), user("and now?")]);
    let fourth = post(&url, anthropic(Value::Array(next.clone()))).await;
    assert_eq!(anthropic_text(&fourth).0, "second answer");

    next.extend([said("second answer"), user("more?")]);
    let fifth = post(&url, anthropic(Value::Array(next))).await;
    assert_eq!(anthropic_text(&fifth).0, EXHAUSTED_TEXT);

    let served: Vec<Served> = mock.requests().iter().map(|r| r.served).collect();
    assert_eq!(
        served,
        [Served::Turn(0), Served::Turn(1), Served::Side, Served::Turn(2), Served::Turn(3), Served::Exhausted]
    );
    assert_eq!(mock.main_requests().len(), 5);
    // A poller (the binary's log) takes only what it has not seen.
    let tail: Vec<Served> = mock.requests_since(4).iter().map(|r| r.served).collect();
    assert_eq!(tail, [Served::Turn(3), Served::Exhausted]);
    assert!(mock.requests_since(6).is_empty());
    assert!(mock.requests_since(60).is_empty());
    mock.stop().await;
}

#[tokio::test]
async fn anthropic_without_stream_gets_a_json_message_and_helpers_answer() {
    let mock = MockModel::start(Scenario::new([MockTurn::text("hello")])).await;
    let mut body = anthropic(json!([{"role": "user", "content": "hi"}]));
    body["stream"] = json!(false);
    let reply = post(&format!("{}/v1/messages", mock.url()), body).await;
    assert_eq!(reply.status, 200);
    let message: Value = serde_json::from_str(&reply.body).expect("json");
    assert_eq!(message["type"], "message");
    assert_eq!(message["content"], json!([{"type": "text", "text": "hello"}]));
    assert_eq!(message["stop_reason"], "end_turn");
    assert!(message["usage"]["input_tokens"].as_u64().expect("usage") > 0);

    assert_eq!(send("HEAD", &format!("{}/", mock.url()), None).await.status, 200);
    assert_eq!(send("GET", &format!("{}/", mock.url()), None).await.status, 200);
    let count = post(&format!("{}/v1/messages/count_tokens?beta=true", mock.url()), json!({"messages": []})).await;
    assert!(serde_json::from_str::<Value>(&count.body).expect("json")["input_tokens"].as_u64().expect("tokens") > 0);

    let refused = post(&format!("{}/v1/embeddings", mock.url()), json!({"input": "x"})).await;
    assert_eq!(refused.status, 404);
    let error: Value = serde_json::from_str(&refused.body).expect("404 is JSON");
    let message = error["error"]["message"].as_str().expect("message");
    assert!(message.contains("/v1/responses") && message.contains("/v1/embeddings"), "{message}");
    let served: Vec<Served> = mock.requests().iter().map(|r| r.served).collect();
    assert_eq!(served, [Served::Turn(0), Served::Probe, Served::Probe, Served::Probe, Served::Refused]);
    mock.stop().await;
}

fn responses(input: Value) -> Value {
    json!({
        "model": "gpt-test",
        "stream": true,
        "instructions": "You are Codex",
        "tools": [
            {"type": "function", "name": "exec_command", "parameters": {"type": "object"}},
            {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}},
        ],
        "input": input,
    })
}

#[tokio::test]
async fn responses_stream_is_the_real_event_sequence() {
    let turn = MockTurn::text("Running it.").and_tool("exec_command", json!({"cmd": "git status"}));
    let mock = MockModel::start(Scenario::new([turn])).await;
    let input = json!([
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "rules"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
    ]);
    let reply = post(&format!("{}/v1/responses", mock.url()), responses(input)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "text/event-stream");
    let events = sse(&reply.body);
    let names = names(&events);
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    let sequence: Vec<u64> = events.iter().map(|(_, d)| d["sequence_number"].as_u64().expect("seq")).collect();
    assert_eq!(sequence, (0..events.len() as u64).collect::<Vec<_>>());
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().expect("delta"))
        .collect();
    assert_eq!(text, "Running it.");
    let arguments: String = events
        .iter()
        .filter(|(n, _)| n == "response.function_call_arguments.delta")
        .map(|(_, d)| d["delta"].as_str().expect("delta"))
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&arguments).expect("arguments"), json!({"cmd": "git status"}));
    let done: Vec<&Value> =
        events.iter().filter(|(n, _)| n == "response.output_item.done").map(|(_, d)| &d["item"]).collect();
    assert_eq!(done[0]["type"], "message");
    assert_eq!(done[0]["role"], "assistant");
    assert_eq!(done[0]["content"][0], json!({"type": "output_text", "text": "Running it.", "annotations": []}));
    assert_eq!(done[1]["type"], "function_call");
    assert_eq!(done[1]["name"], "exec_command");
    assert!(done[1]["call_id"].as_str().expect("call_id").starts_with("call_"));
    let completed = &events.last().expect("completed").1["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["output"].as_array().expect("output").len(), 2);
    let usage = &completed["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(usage["input_tokens"].as_u64().expect("in") + usage["output_tokens"].as_u64().expect("out"))
    );
    assert_eq!(mock.requests()[0].api, Api::OpenAiResponses);
    mock.stop().await;
}

#[tokio::test]
async fn responses_turns_follow_the_input_and_custom_tools_get_raw_input() {
    let patch = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n";
    let scenario = Scenario::new([
        MockTurn::tool("apply_patch", json!(patch)),
        MockTurn::text("done"),
        MockTurn::text("second answer"),
    ]);
    let mock = MockModel::start(scenario).await;
    let url = format!("{}/v1/responses", mock.url());
    let user = |t: &str| json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]});

    let first = sse(&post(&url, responses(json!([user("go")]))).await.body);
    let item = &first.iter().find(|(n, _)| n == "response.output_item.done").expect("item").1["item"];
    assert_eq!(item["type"], "custom_tool_call");
    assert_eq!(item["input"], patch);
    let call_id = item["call_id"].clone();

    let history = json!([
        user("go"),
        {"type": "reasoning", "summary": []},
        {"type": "custom_tool_call", "call_id": call_id, "name": "apply_patch", "input": patch},
        {"type": "custom_tool_call_output", "call_id": call_id, "output": "Success"},
    ]);
    let second = sse(&post(&url, responses(history.clone())).await.body);
    assert!(second.iter().any(|(n, d)| n == "response.output_text.done" && d["text"] == "done"));

    let mut next = history.as_array().expect("array").clone();
    next.push(json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "done"}]}));
    next.push(user("again"));
    let third = sse(&post(&url, responses(Value::Array(next))).await.body);
    assert!(third.iter().any(|(n, d)| n == "response.output_text.done" && d["text"] == "second answer"));

    // No tools: a side request, answered and not counted.
    let side = sse(&post(&url, json!({"model": "m", "stream": true, "input": [user("title?")]})).await.body);
    assert!(side.iter().any(|(n, d)| n == "response.output_text.done" && d["text"] == SIDE_TEXT));
    let served: Vec<Served> = mock.requests().iter().map(|r| r.served).collect();
    assert_eq!(served, [Served::Turn(0), Served::Turn(1), Served::Turn(2), Served::Side]);
    mock.stop().await;
}

#[tokio::test]
async fn a_turn_abandoned_during_its_delay_is_spent() {
    let scenario = Scenario::new([MockTurn::text("slow").delayed(30_000), MockTurn::text("after the interrupt")]);
    let mock = MockModel::start(scenario).await;
    let url = format!("{}/v1/messages", mock.url());
    let body = anthropic(json!([{"role": "user", "content": "go"}]));

    // Headers come at once; the events wait. Dropping the response hangs up, as an interrupted agent does.
    let request = hyper::Request::post(&url).body(Full::new(Bytes::from(body.to_string()))).expect("request");
    let response = tokio::time::timeout(Duration::from_secs(5), client().request(request))
        .await
        .expect("headers before the delay ends")
        .expect("response");
    assert_eq!(response.status(), 200);
    drop(response);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !mock.requests()[0].abandoned {
        assert!(tokio::time::Instant::now() < deadline, "the mock never noticed the client leaving");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The interrupted turn produced nothing, so the same conversation now gets the next turn.
    let reply =
        post(&url, anthropic(json!([{"role": "user", "content": "go"}, {"role": "user", "content": "again"}]))).await;
    assert_eq!(anthropic_text(&reply).0, "after the interrupt");
    mock.stop().await;
}

#[tokio::test]
async fn a_scripted_error_uses_the_api_error_shape_and_is_spent() {
    let scenario = Scenario::new([MockTurn::error(400, "scripted failure"), MockTurn::text("recovered")]);
    let mock = MockModel::start(scenario.clone()).await;
    let url = format!("{}/v1/messages", mock.url());
    let body = anthropic(json!([{"role": "user", "content": "go"}]));
    let failed = post(&url, body.clone()).await;
    assert_eq!(failed.status, 400);
    let error: Value = serde_json::from_str(&failed.body).expect("json");
    assert_eq!(
        error,
        json!({"type": "error", "error": {"type": "invalid_request_error", "message": "scripted failure"}})
    );
    assert_eq!(anthropic_text(&post(&url, body).await).0, "recovered");
    mock.stop().await;

    let mock = MockModel::start(scenario).await;
    let url = format!("{}/v1/responses", mock.url());
    let body = responses(json!([{"type": "message", "role": "user", "content": []}]));
    let failed = post(&url, body.clone()).await;
    assert_eq!(failed.status, 400);
    let error: Value = serde_json::from_str(&failed.body).expect("json");
    assert_eq!(error["error"]["message"], "scripted failure");
    let recovered = sse(&post(&url, body).await.body);
    assert!(recovered.iter().any(|(n, d)| n == "response.output_text.done" && d["text"] == "recovered"));
    mock.stop().await;
}

/// `data:` frames without event names (Chat Completions and Gemini), as JSON values; a frame that
/// is not JSON (`[DONE]`) as a string.
fn data_frames(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            assert!(!frame.contains("event:"), "no event names: {frame}");
            let data = frame.strip_prefix("data: ").expect("a data line");
            serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.to_owned()))
        })
        .collect()
}

fn chat_request(messages: Value) -> Value {
    json!({
        "model": "mock-chat",
        "stream": true,
        "stream_options": {"include_usage": true},
        "tools": [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}],
        "messages": messages,
    })
}

#[tokio::test]
async fn chat_completions_stream_text_and_tool_calls_then_done() {
    let turn = MockTurn::text("Let me see.").and_tool("bash", json!({"command": "ls", "description": "list"}));
    let mock = MockModel::start(Scenario::new([turn, MockTurn::text("done")])).await;
    let url = format!("{}/v1/chat/completions", mock.url());
    let reply =
        post(&url, chat_request(json!([{"role": "system", "content": "s"}, {"role": "user", "content": "go"}]))).await;
    assert_eq!((reply.status, reply.content_type.as_str()), (200, "text/event-stream"));
    let frames = data_frames(&reply.body);
    assert_eq!(frames.last(), Some(&json!("[DONE]")));
    let chunks = &frames[..frames.len() - 1];
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"));
    let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "Let me see.");
    let calls: Vec<&Value> = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0)).collect();
    assert_eq!(calls[0]["function"]["name"], "bash");
    assert!(calls[0]["id"].as_str().expect("id").starts_with("call_mock_t0"));
    let arguments: String = calls.iter().filter_map(|c| c["function"]["arguments"].as_str()).collect();
    assert_eq!(
        serde_json::from_str::<Value>(&arguments).expect("json"),
        json!({"command": "ls", "description": "list"})
    );
    let finish: Vec<&str> = chunks.iter().filter_map(|c| c["choices"][0]["finish_reason"].as_str()).collect();
    assert_eq!(finish, ["tool_calls"]);
    let usage = &chunks.last().expect("usage chunk")["usage"];
    assert!(
        usage["prompt_tokens"].as_u64().expect("prompt") > 0 && usage["completion_tokens"].as_u64().expect("out") > 0
    );

    // The tool's result in the conversation: the next turn. Without tools: a side request.
    let second = chat_request(json!([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_mock_t0_0", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_mock_t0_0", "content": "a.txt"},
    ]));
    let reply = post(&url, second).await;
    let text: String =
        data_frames(&reply.body).iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "done");
    let title = post(&url, json!({"model": "m", "messages": [{"role": "user", "content": "title?"}]})).await;
    let whole: Value = serde_json::from_str(&title.body).expect("json");
    assert_eq!(whole["choices"][0]["message"]["content"], SIDE_TEXT);
    let served: Vec<(Api, Served)> = mock.requests().iter().map(|r| (r.api, r.served)).collect();
    assert_eq!(
        served,
        [(Api::OpenAiChat, Served::Turn(0)), (Api::OpenAiChat, Served::Turn(1)), (Api::OpenAiChat, Served::Side)]
    );
    mock.stop().await;
}

fn gemini_request(contents: Value) -> Value {
    json!({
        "contents": contents,
        "tools": [{"functionDeclarations": [{"name": "write_file", "parameters": {"type": "OBJECT"}}]}],
        "generationConfig": {"temperature": 0},
    })
}

#[tokio::test]
async fn gemini_streams_parts_and_function_calls_and_answers_json_side_requests() {
    let turn = MockTurn::tool("write_file", json!({"file_path": "/tmp/x", "content": "x"}));
    let mock = MockModel::start(Scenario::new([turn, MockTurn::text("written it")])).await;
    let stream = format!("{}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", mock.url());
    let reply = post(&stream, gemini_request(json!([{"role": "user", "parts": [{"text": "write"}]}]))).await;
    assert_eq!((reply.status, reply.content_type.as_str()), (200, "text/event-stream"));
    let frames = data_frames(&reply.body);
    let last = frames.last().expect("a chunk");
    let call = &last["candidates"][0]["content"]["parts"][0]["functionCall"];
    assert_eq!(
        (call["name"].as_str(), &call["args"]),
        (Some("write_file"), &json!({"file_path": "/tmp/x", "content": "x"}))
    );
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(last["usageMetadata"]["promptTokenCount"].as_u64().expect("usage") > 0);
    assert_eq!(last["modelVersion"], "gemini-2.5-flash");

    let after = gemini_request(json!([
        {"role": "user", "parts": [{"text": "write"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "write_file", "response": {"output": "ok"}}}]},
    ]));
    let text: String = data_frames(&post(&stream, after).await.body)
        .iter()
        .flat_map(|c| c["candidates"][0]["content"]["parts"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "written it");

    // The next-speaker check: JSON in the schema's shape, whole.
    let check = json!({
        "contents": [{"role": "user", "parts": [{"text": "who speaks next?"}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": {
            "type": "object",
            "properties": {"reasoning": {"type": "string"}, "next_speaker": {"type": "string", "enum": ["user", "model"]}},
            "required": ["reasoning", "next_speaker"],
        }},
    });
    let whole = post(&format!("{}/v1beta/models/gemini-2.5-flash:generateContent", mock.url()), check).await;
    let body: Value = serde_json::from_str(&whole.body).expect("json");
    let answer = body["candidates"][0]["content"]["parts"][0]["text"].as_str().expect("text");
    assert_eq!(serde_json::from_str::<Value>(answer).expect("json text")["next_speaker"], "user");
    let served: Vec<(Api, Served)> = mock.requests().iter().map(|r| (r.api, r.served)).collect();
    assert_eq!(served, [(Api::Gemini, Served::Turn(0)), (Api::Gemini, Served::Turn(1)), (Api::Gemini, Served::Side)]);
    mock.stop().await;
}
