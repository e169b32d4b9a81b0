//! band-mockmodel: a scripted mock model server, so that band's tests can run the real agent CLIs
//! (Claude Code, Codex) offline, on 127.0.0.1, with answers decided by the test.
//!
//! It speaks four wire APIs on one port: Anthropic Messages (`POST /v1/messages`, streamed as
//! Anthropic SSE, plus `HEAD /` and `/v1/messages/count_tokens`), OpenAI Responses
//! (`POST /v1/responses`, streamed as Responses SSE), OpenAI Chat Completions
//! (`POST /v1/chat/completions`, streamed as chunks and `[DONE]`) and the Gemini API
//! (`POST /v1beta/models/<m>:streamGenerateContent?alt=sse` and `:generateContent`). Anything
//! else is refused with a 404.
//!
//! A [`Scenario`] is the model's side of a conversation: one [`MockTurn`] (text and/or tool calls)
//! per model response. The turn to serve is chosen from the request alone: it is the number of
//! model responses the conversation already holds (runs of consecutive assistant messages /
//! model-produced items). So a second user prompt in the same session, a retry, or a resumed
//! session in a new process gets the turn that follows what the conversation shows, not what the
//! mock happens to remember.
//!
//! Invariants:
//! - Only main-conversation requests (those offering tools) consume turns. Side requests (title
//!   generation, probes, anything without tools) get a short harmless text ([`SIDE_TEXT`]) and
//!   never disturb the scenario. Past the end, the reply is the text [`EXHAUSTED_TEXT`].
//! - A turn abandoned by the client during its `delay_ms` (an interrupted agent), or a scripted
//!   HTTP error once served, produced nothing in the conversation; it is marked spent and skipped
//!   from then on, so the next prompt (or the client's retry) gets the next turn.
//! - Every request is recorded ([`MockModel::requests`]) with what was served, for assertions.
//! - It listens on 127.0.0.1 only and never makes a request itself.
//!
//! Tool names and inputs are each CLI's own: Claude Code `Write` {file_path, content} and `Bash`
//! {command}; Codex `exec_command` {cmd} (a function tool) and `apply_patch` (a freeform tool: give
//! the patch text as a JSON string); Gemini CLI and Qwen Code `write_file` {file_path, content}
//! and `run_shell_command` {command}; OpenCode `write` {filePath, content} and `bash` {command,
//! description}. [`offline::Cli::tools`] has them per CLI. `tests/real_agents.rs` runs the CLIs
//! against it.

mod anthropic;
mod chat;
mod gemini;
pub mod offline;
mod openai;
mod scenario;

pub use scenario::{EXHAUSTED_TEXT, MockError, MockToolCall, MockTurn, SIDE_TEXT, Scenario};

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// Which wire API a request spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Api {
    Anthropic,
    OpenAiResponses,
    OpenAiChat,
    Gemini,
    /// Anything else (refused with 404).
    Other,
}

/// What the mock answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Served {
    /// Scripted turn number `n` (0-based index into [`Scenario::turns`]).
    Turn(usize),
    /// A main-conversation request past the end of the scenario.
    Exhausted,
    /// A request that is not the main conversation (no tools), answered with [`SIDE_TEXT`].
    Side,
    /// A probe or helper: `HEAD /`, `GET /`, `count_tokens`.
    Probe,
    /// Refused with 404.
    Refused,
}

/// One request as the mock saw it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedRequest {
    pub api: Api,
    pub method: String,
    /// Path and query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// The JSON body (`Value::Null` when there was none or it was not JSON).
    pub body: Value,
    pub served: Served,
    /// The client went away while the turn was waiting out its `delay_ms`.
    pub abandoned: bool,
}

impl RecordedRequest {
    /// True for requests of the main conversation (scripted or exhausted).
    pub fn is_main(&self) -> bool {
        matches!(self.served, Served::Turn(_) | Served::Exhausted)
    }
}

/// A running mock model server on 127.0.0.1. Dropping it stops it too (without waiting).
#[derive(Debug)]
pub struct MockModel {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    scenario: Scenario,
    state: Mutex<MockState>,
    /// Makes response ids unique across mock instances (a resumed session sees both).
    id_base: u64,
    next_id: AtomicU64,
}

#[derive(Debug, Default)]
struct MockState {
    requests: Vec<RecordedRequest>,
    spent: BTreeSet<usize>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, MockState> {
        // A panic while holding the lock cannot leave the state half-written: every update is one push
        // or one insert. So a poisoned lock is still good to read.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh_id(&self) -> String {
        format!("{:x}{:04}", self.id_base, self.next_id.fetch_add(1, Ordering::Relaxed))
    }
}

impl MockModel {
    /// Starts the mock on 127.0.0.1 on a free port.
    ///
    /// # Panics
    /// If no loopback port can be bound (test support: there is nothing sensible to fall back to).
    pub async fn start(scenario: Scenario) -> MockModel {
        match Self::bind(scenario, SocketAddr::from(([127, 0, 0, 1], 0))).await {
            Ok(mock) => mock,
            Err(e) => panic!("band-mockmodel: cannot listen on 127.0.0.1: {e}"),
        }
    }

    /// Starts the mock on `addr`.
    ///
    /// # Errors
    /// If the address cannot be bound.
    pub async fn bind(scenario: Scenario, addr: SocketAddr) -> std::io::Result<MockModel> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let id_base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64 & 0xffff_ffff_ffff)
            .unwrap_or_default();
        let shared = Arc::new(Shared { scenario, state: Mutex::default(), id_base, next_id: AtomicU64::new(1) });
        let app = Router::new().fallback(handle).layer(DefaultBodyLimit::disable()).with_state(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                eprintln!("band-mockmodel: server stopped: {e}");
            }
        });
        Ok(MockModel { addr, shared, shutdown: Some(tx), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash. Claude Code takes it as
    /// `ANTHROPIC_BASE_URL`; Codex wants `{url}/v1` as its provider's `base_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests_since(0)
    }

    /// The requests after the first `from`, oldest first: what a poller has not seen yet. Each
    /// request holds the whole conversation it carried, so copying all of them on every poll
    /// grows with the square of a long conversation.
    pub fn requests_since(&self, from: usize) -> Vec<RecordedRequest> {
        self.shared.state().requests.get(from..).map(<[_]>::to_vec).unwrap_or_default()
    }

    /// The main-conversation requests so far (those that were served a turn or the exhausted text).
    pub fn main_requests(&self) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(RecordedRequest::is_main).collect()
    }

    /// The scenario this mock serves.
    pub fn scenario(&self) -> &Scenario {
        &self.shared.scenario
    }

    /// Stops accepting, lets in-flight responses finish (at most 2 s), and returns.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for MockModel {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One reply to stream: the text and tool calls of a turn, or a fixed text.
#[derive(Debug, Clone)]
struct Reply {
    text: Option<String>,
    tool_calls: Vec<MockToolCall>,
    /// Identifies the reply's tool calls (stable per scripted turn, so ids never clash inside one
    /// conversation even across processes).
    tag: String,
    /// A unique id for the message / response.
    id: String,
    model: String,
    input_tokens: u64,
}

impl Reply {
    fn output_tokens(&self) -> u64 {
        let text = self.text.as_ref().map_or(0, String::len);
        let tools: usize = self.tool_calls.iter().map(|c| c.name.len() + c.input.to_string().len()).sum();
        scenario::tokens(text + tools)
    }
}

/// One server-sent event: its name (empty: a `data:` line alone, as Chat Completions and Gemini
/// send them) and its data (JSON; a JSON string is sent as it is, e.g. `[DONE]`).
type Event = (&'static str, Value);

async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |api, served| RecordedRequest {
        api,
        method: method.to_string(),
        path: path.clone(),
        body: body.clone(),
        served,
        abandoned: false,
    };
    match (&method, uri.path()) {
        (&Method::HEAD | &Method::GET, "/") => {
            shared.state().requests.push(record(Api::Anthropic, Served::Probe));
            StatusCode::OK.into_response()
        }
        (&Method::POST, "/v1/messages/count_tokens") => {
            shared.state().requests.push(record(Api::Anthropic, Served::Probe));
            let tokens = scenario::tokens(body.to_string().len());
            axum::Json(json!({ "input_tokens": tokens })).into_response()
        }
        (&Method::POST, "/v1/messages") => {
            let chosen = choose(&shared, Api::Anthropic, &body, record);
            if let Some(error) = &chosen.error {
                return error_response(Api::Anthropic, error, chosen.delay).await;
            }
            if body.get("stream").and_then(Value::as_bool).unwrap_or(false) {
                sse(&shared, &chosen, anthropic::events(&chosen.reply))
            } else {
                axum::Json(anthropic::message(&chosen.reply)).into_response()
            }
        }
        (&Method::POST, "/v1/responses") => {
            let chosen = choose(&shared, Api::OpenAiResponses, &body, record);
            if let Some(error) = &chosen.error {
                return error_response(Api::OpenAiResponses, error, chosen.delay).await;
            }
            let tools = openai::ToolKinds::of(&body);
            if body.get("stream").and_then(Value::as_bool).unwrap_or(false) {
                sse(&shared, &chosen, openai::events(&chosen.reply, &tools))
            } else {
                axum::Json(openai::response(&chosen.reply, &tools)).into_response()
            }
        }
        (&Method::POST, "/v1/chat/completions") => {
            let chosen = choose(&shared, Api::OpenAiChat, &body, record);
            if let Some(error) = &chosen.error {
                return error_response(Api::OpenAiChat, error, chosen.delay).await;
            }
            if body.get("stream").and_then(Value::as_bool).unwrap_or(false) {
                sse(&shared, &chosen, chat::events(&chosen.reply))
            } else {
                axum::Json(chat::response(&chosen.reply)).into_response()
            }
        }
        (&Method::POST, p) if p.starts_with("/v1beta/models/") && p.ends_with(":countTokens") => {
            shared.state().requests.push(record(Api::Gemini, Served::Probe));
            axum::Json(json!({"totalTokens": scenario::tokens(body.to_string().len())})).into_response()
        }
        (&Method::POST, p)
            if p.starts_with("/v1beta/models/")
                && (p.ends_with(":streamGenerateContent") || p.ends_with(":generateContent")) =>
        {
            let chosen = choose(&shared, Api::Gemini, &body, record);
            if let Some(error) = &chosen.error {
                return error_response(Api::Gemini, error, chosen.delay).await;
            }
            let schema = if chosen.served == Served::Side { gemini::wanted_schema(&body) } else { None };
            if p.ends_with(":streamGenerateContent") {
                sse(&shared, &chosen, gemini::events(&chosen.reply, schema))
            } else {
                axum::Json(gemini::response(&chosen.reply, schema)).into_response()
            }
        }
        _ => {
            shared.state().requests.push(record(Api::Other, Served::Refused));
            let message = format!(
                "band-mockmodel serves POST /v1/messages (Anthropic), /v1/responses (OpenAI Responses), \
                 /v1/chat/completions (Chat Completions) and /v1beta/models/<m>:streamGenerateContent (Gemini); \
                 not {method} {}",
                uri.path()
            );
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"type": "error", "error": {"type": "not_found_error", "message": message}})),
            )
                .into_response()
        }
    }
}

/// What a model request is served.
#[derive(Debug)]
struct Chosen {
    served: Served,
    reply: Reply,
    /// The index of the request's record.
    index: usize,
    delay: Option<u64>,
    error: Option<MockError>,
}

/// Decides what a model request is served and records it.
fn choose(shared: &Shared, api: Api, body: &Value, record: impl Fn(Api, Served) -> RecordedRequest) -> Chosen {
    let main = match api {
        Api::Gemini => gemini::has_tools(body),
        _ => body.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty()),
    };
    let answered = match api {
        Api::Anthropic => anthropic::model_turns(body),
        Api::OpenAiChat => chat::model_turns(body),
        Api::Gemini => gemini::model_turns(body),
        _ => openai::model_turns(body),
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or("mock").to_owned();
    let model = if api == Api::Gemini { path_model(&record(api, Served::Probe).path).unwrap_or(model) } else { model };
    let input_tokens = scenario::tokens(body.to_string().len());
    let mut state = shared.state();
    let served = if !main {
        Served::Side
    } else {
        match scenario::select(shared.scenario.turns.len(), answered, &state.spent) {
            Some(n) => Served::Turn(n),
            None => Served::Exhausted,
        }
    };
    let id = shared.fresh_id();
    let (reply, delay, error) = match served {
        Served::Turn(n) => {
            let turn = &shared.scenario.turns[n];
            if turn.error.is_some() {
                // An error adds nothing to the conversation: without this, every retry would fail again.
                state.spent.insert(n);
            }
            let reply = Reply {
                text: turn.text.clone(),
                tool_calls: turn.tool_calls.clone(),
                tag: format!("t{n}"),
                id,
                model,
                input_tokens,
            };
            (reply, turn.delay_ms, turn.error.clone())
        }
        _ => {
            let text = if served == Served::Side { SIDE_TEXT } else { EXHAUSTED_TEXT };
            let reply = Reply {
                text: Some(text.to_owned()),
                tool_calls: Vec::new(),
                tag: "x".to_owned(),
                id,
                model,
                input_tokens,
            };
            (reply, None, None)
        }
    };
    state.requests.push(record(api, served));
    Chosen { served, reply, index: state.requests.len() - 1, delay, error }
}

/// The model a Gemini path names: `/v1beta/models/<m>:streamGenerateContent?alt=sse`.
fn path_model(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v1beta/models/")?;
    Some(rest.split(':').next()?.to_owned())
}

/// An HTTP error in the API's own shape.
async fn error_response(api: Api, error: &MockError, delay: Option<u64>) -> Response {
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match api {
        Api::Anthropic => {
            let kind = match error.status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": error.message}})
        }
        Api::Gemini => {
            let status_name = match error.status {
                400 => "INVALID_ARGUMENT",
                401 => "UNAUTHENTICATED",
                403 => "PERMISSION_DENIED",
                404 => "NOT_FOUND",
                429 => "RESOURCE_EXHAUSTED",
                503 => "UNAVAILABLE",
                _ => "INTERNAL",
            };
            json!({"error": {"code": error.status, "message": error.message, "status": status_name}})
        }
        _ => {
            let kind = if error.status < 500 { "invalid_request_error" } else { "server_error" };
            json!({"error": {"message": error.message, "type": kind, "param": null, "code": null}})
        }
    };
    (status, axum::Json(body)).into_response()
}

/// Streams `events` as SSE: headers at once, then (after the turn's delay) the events.
fn sse(shared: &Arc<Shared>, chosen: &Chosen, events: Vec<Event>) -> Response {
    let (delay, served, index) = (chosen.delay, chosen.served, chosen.index);
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let shared = shared.clone();
    tokio::spawn(async move {
        if let Some(ms) = delay {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(ms)) => {}
                () = tx.closed() => {
                    let mut state = shared.state();
                    if let Served::Turn(n) = served {
                        state.spent.insert(n);
                    }
                    if let Some(r) = state.requests.get_mut(index) {
                        r.abandoned = true;
                    }
                    return;
                }
            }
        }
        for (name, data) in events {
            let data = match data {
                Value::String(raw) => raw,
                other => other.to_string(),
            };
            let frame =
                if name.is_empty() { format!("data: {data}\n\n") } else { format!("event: {name}\ndata: {data}\n\n") };
            if tx.send(Bytes::from(frame)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
