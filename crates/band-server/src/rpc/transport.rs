//! `/rpc` on the wire: the one route that hands requests to jsonrpsee, over HTTP POST and
//! WebSocket, with band's own limits in front (jsonrpsee's single connection count would let
//! sockets lock out plain calls, SECURITY.md R6):
//! - **Sockets** are long: each WebSocket is admitted by [`crate::access::Auth::socket_opened`]
//!   (a total, a reserve for the main token, a cap per device and per browser session) and
//!   refused over it with a JSON 429 naming the limit. A socket lives as long as its credential
//!   and the server; jsonrpsee pings it and closes it when the peer stops answering.
//! - **Calls** are short: at most [`MAX_CALLS`] HTTP calls are answered at once (a JSON 503
//!   beyond), and each body is read here first, so that what jsonrpsee would answer badly is
//!   answered clearly: a body over [`MAX_REQUEST_BYTES`] (chunked too) is a 413, bytes that are not
//!   UTF-8 or JSON a parse error saying where, an `id` that is an object, an array or a fraction
//!   an invalid request saying what an id may be, and a batch over [`MAX_BATCH`] calls a refusal
//!   saying the limit.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jsonrpsee::server::{BatchRequestConfig, PingConfig, ServerConfig, StopHandle, TowerServiceBuilder};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::access::{Auth, SocketOwner};

/// Largest JSON-RPC request body accepted.
pub const MAX_REQUEST_BYTES: u32 = 4 * 1024 * 1024;
/// Largest reply (a page of events, a diff, a file).
pub const MAX_RESPONSE_BYTES: u32 = 64 * 1024 * 1024;
/// HTTP calls answered at once at most.
pub const MAX_CALLS: usize = 512;
/// Calls in one batch at most.
pub const MAX_BATCH: u32 = 50;
/// How often a WebSocket is pinged, and how long a silent peer is kept.
pub const PING_EVERY: Duration = Duration::from_secs(30);
pub const SILENT_LIMIT: Duration = Duration::from_secs(90);

/// What `/rpc` needs.
#[derive(Clone)]
pub struct RpcState {
    builder: TowerServiceBuilder<tower::layer::util::Identity, tower::layer::util::Identity>,
    methods: jsonrpsee::Methods,
    stop: StopHandle,
    auth: Arc<Auth>,
    calls: Arc<tokio::sync::Semaphore>,
}

impl RpcState {
    pub fn new(methods: jsonrpsee::Methods, stop: StopHandle, auth: Arc<Auth>) -> Self {
        let config = ServerConfig::builder()
            .max_request_body_size(MAX_REQUEST_BYTES)
            .max_response_body_size(MAX_RESPONSE_BYTES)
            // band counts sockets and calls itself (see the module doc); jsonrpsee's own count
            // would make them share one limit.
            .max_connections(u32::MAX)
            .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH))
            .enable_ws_ping(PingConfig::new().ping_interval(PING_EVERY).inactive_limit(SILENT_LIMIT).max_failures(2))
            .build();
        Self {
            builder: jsonrpsee::server::Server::builder().set_config(config).to_service_builder(),
            methods,
            stop,
            auth,
            calls: Arc::new(tokio::sync::Semaphore::new(MAX_CALLS)),
        }
    }
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

/// A JSON-RPC error reply to a request that could not be read (its id unknown: null).
fn rpc_refusal(status: StatusCode, code: i32, message: impl Into<String>) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message.into()}});
    (status, axum::Json(body)).into_response()
}

/// One jsonrpsee service per connection, so each WebSocket gets its own connection id. A
/// WebSocket also gets its own stop handle, tied to the credential that opened it: it is closed
/// when the server stops or the credential ends (a revoked device, a rotated token).
pub async fn serve(State(rpc): State<RpcState>, req: Request) -> Response {
    let upgrade = req.headers().get(axum::http::header::UPGRADE).is_some();
    if upgrade { socket(rpc, req).await } else { call(rpc, req).await }
}

async fn socket(rpc: RpcState, mut req: Request) -> Response {
    let credential = req.extensions().get::<band_core::services::Credential>().cloned();
    let owner = req.extensions().get::<SocketOwner>().cloned();
    let (Some(credential), Some(owner)) = (credential, owner) else {
        return refuse(StatusCode::UNAUTHORIZED, "no credential");
    };
    let count = match rpc.auth.socket_opened(&owner) {
        Ok(count) => count,
        Err(message) => return refuse(StatusCode::TOO_MANY_REQUESTS, message),
    };
    let (conn_stop, conn_handle) = jsonrpsee::server::stop_channel();
    let (server_stop, ended) = (rpc.stop.clone(), rpc.auth.ended(credential));
    let watcher = conn_handle.clone();
    // A subscriber too slow to read is hung up on (SECURITY.md R4): it reconnects and
    // resubscribes from its last sequence number.
    let hangup = conn_handle.clone();
    req.extensions_mut().insert(super::Hangup(Arc::new(move || {
        let _ = hangup.stop();
    })));
    tokio::spawn(async move {
        let _count = count;
        tokio::select! {
            () = server_stop.shutdown() => {}
            () = ended => {}
            // The connection ended by itself (or never upgraded): nothing to close.
            () = watcher.stopped() => return,
        }
        let _ = conn_handle.stop();
    });
    respond(rpc.builder.build(rpc.methods, conn_stop).oneshot(req).await)
}

async fn call(rpc: RpcState, req: Request) -> Response {
    let Ok(_permit) = rpc.calls.clone().try_acquire_owned() else {
        let mut res = refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("band-server is answering {MAX_CALLS} calls at once, the most it takes; try again in a moment"),
        );
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        return res;
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES as usize).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request is larger than {} MiB, the most band-server reads", MAX_REQUEST_BYTES >> 20),
            );
        }
    };
    if let Err(refusal) = check_request(&bytes) {
        return refusal;
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    respond(rpc.builder.build(rpc.methods, rpc.stop).oneshot(req).await)
}

fn respond<B, E: std::fmt::Display>(result: Result<axum::http::Response<B>, E>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    match result {
        Ok(res) => res.map(Body::new),
        Err(e) => {
            tracing::error!(error = %e, "rpc transport error");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server's log has the details")
        }
    }
}

/// What jsonrpsee would answer unclearly, answered here: text that is not UTF-8 or JSON, ids it
/// cannot echo, and batches over the limit (jsonrpsee checks the limit too; this says it first,
/// before any call of the batch runs).
#[allow(clippy::result_large_err)] // one refusal per request
fn check_request(bytes: &[u8]) -> Result<(), Response> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        rpc_refusal(
            StatusCode::BAD_REQUEST,
            -32700,
            format!("the request is not UTF-8 text (invalid byte at offset {}); send JSON", e.valid_up_to()),
        )
    })?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| rpc_refusal(StatusCode::BAD_REQUEST, -32700, format!("the request is not JSON: {e}")))?;
    let calls: Vec<&Value> = match &value {
        Value::Array(batch) => {
            if batch.len() > MAX_BATCH as usize {
                return Err(rpc_refusal(
                    StatusCode::BAD_REQUEST,
                    -32600,
                    format!("a batch of {} calls; band-server takes at most {MAX_BATCH} in one request", batch.len()),
                ));
            }
            batch.iter().collect()
        }
        one => vec![one],
    };
    for call in calls {
        let valid = match call.get("id") {
            None | Some(Value::Null | Value::String(_)) => true,
            Some(Value::Number(n)) => n.is_i64() || n.is_u64(),
            Some(_) => false,
        };
        if !valid {
            return Err(rpc_refusal(
                StatusCode::BAD_REQUEST,
                -32600,
                "invalid request: an id must be a string, a whole number or null",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &[u8]) -> Option<u16> {
        check_request(body).err().map(|r| r.status().as_u16())
    }

    #[test]
    fn requests_jsonrpsee_would_answer_badly_are_refused_clearly() {
        assert_eq!(refused(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#), None);
        assert_eq!(refused(br#"{"jsonrpc":"2.0","id":"a","method":"x"}"#), None);
        assert_eq!(refused(br#"{"jsonrpc":"2.0","method":"x"}"#), None, "a notification");
        for bad in [
            &br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#[..],
            br#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#,
            br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
            b"\xff\xfe",
            b"{",
        ] {
            assert_eq!(refused(bad), Some(400), "{}", String::from_utf8_lossy(bad));
        }
        let batch = format!("[{}]", vec![r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#; 51].join(","));
        assert_eq!(refused(batch.as_bytes()), Some(400));
        let batch = format!("[{}]", vec![r#"{"jsonrpc":"2.0","id":1,"method":"x"}"#; 50].join(","));
        assert_eq!(refused(batch.as_bytes()), None);
    }
}
