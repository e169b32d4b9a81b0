//! `GET /terminals/{id}/ws`: a terminal's raw byte stream over a WebSocket, for xterm.js.
//!
//! It sits behind the [`crate::guard`] like every route (Host, exact Origin, token — a
//! cross-origin upgrade is refused before it happens), and the terminal must exist before the
//! upgrade (404 otherwise). `?after=N` resumes after byte offset N; without it the scrollback is
//! sent first. Reconnecting is opening the socket again.
//!
//! Framing. **Binary frames are bytes; text frames are JSON control messages.** Typed text never
//! travels in a text frame, so no input can be mistaken for a command (SECURITY.md 17).
//!
//! Server to client:
//! - text `{"type":"ready","terminal":{...TerminalInfo}}`, first;
//! - text `{"type":"offset","offset":N}` before the first binary frame and whenever output was
//!   skipped (older than the 256 KiB scrollback): the next binary byte has offset N, and each
//!   byte after it the next one — a client that counts can reconnect with `?after=`;
//! - binary frames: PTY output, exactly as the programs wrote it;
//! - text `{"type":"error","message":"..."}` for a control message it could not act on (the
//!   connection stays open);
//! - text `{"type":"exit","terminal":{...}}` once the shell has exited and all output was sent,
//!   then a Close frame (1000, "terminal exited").
//!
//! Client to server:
//! - binary frames: input bytes, written to the PTY literally;
//! - text `{"resize":[cols,rows]}` (1..=500, 1..=200) or `{"input":"text"}` (the same as a
//!   binary frame of its UTF-8).
//!
//! Any frame over 64 KiB (band-core's `MAX_INPUT_BYTES`) closes the connection with 1009 and a
//! reason saying so. A client that leaves output unread for 10 s is dropped; it reconnects with
//! `?after=`.

use crate::rpc::SLOW_CLIENT;
use crate::rpc::terminal_info;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use band_core::services::terminals::{MAX_INPUT_BYTES, check_input};
use band_core::services::{TerminalSubscription, Terminals};
use band_core::{CoreError, TerminalId};
use serde_json::{Value, json};

/// Frames up to this size are read whole, so that an oversized one can be refused with a reason;
/// beyond it the WebSocket layer drops the connection.
const MAX_FRAME: usize = 1024 * 1024;

fn refuse(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The route's handler: checks, then upgrades.
/// What a terminal's socket needs: the terminals, and the credentials to end it with.
#[derive(Clone)]
pub struct TerminalState {
    pub terminals: Terminals,
    pub auth: std::sync::Arc<crate::access::Auth>,
}

pub async fn attach(
    State(TerminalState { terminals, auth }): State<TerminalState>,
    credential: Option<axum::Extension<band_core::services::Credential>>,
    owner: Option<axum::Extension<crate::access::SocketOwner>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(id) = id.parse::<i64>().map(TerminalId) else {
        return refuse(StatusCode::NOT_FOUND, format!("no terminal '{id}'; see terminals.list"));
    };
    let after = match parse_after(query.as_deref()) {
        Ok(after) => after,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    // Joined before the upgrade: an unknown terminal is a plain 404.
    let sub = match terminals.subscribe(id, after) {
        Ok(sub) => sub,
        Err(CoreError::NotFound(p)) => return refuse(StatusCode::NOT_FOUND, crate::rpc::problem_message(&p)),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, message(e)),
    };
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(_) => {
            return refuse(
                StatusCode::UPGRADE_REQUIRED,
                format!("/terminals/{}/ws is a WebSocket: connect with an upgrade request", id.0),
            );
        }
    };
    let (Some(axum::Extension(credential)), Some(axum::Extension(owner))) = (credential, owner) else {
        return refuse(StatusCode::UNAUTHORIZED, "no credential".into());
    };
    // Counted before the upgrade, so that a socket over its owner's limit is refused in plain
    // HTTP, with the limit named.
    let count = match auth.socket_opened(&owner) {
        Ok(count) => count,
        Err(message) => return refuse(StatusCode::TOO_MANY_REQUESTS, message),
    };
    upgrade.max_message_size(MAX_FRAME).max_frame_size(MAX_FRAME).on_upgrade(move |socket| async move {
        let _count = count;
        let ended = auth.ended(credential);
        session(socket, terminals, id, sub, ended).await;
    })
}

fn parse_after(query: Option<&str>) -> Result<u64, String> {
    let mut after = 0;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("after", v)) => {
                after = v.parse().map_err(|_| format!("after must be a byte offset (a whole number), not '{v}'"))?;
            }
            _ => return Err(format!("unknown query parameter '{pair}'; only after=<offset> is understood")),
        }
    }
    Ok(after)
}

async fn send(socket: &mut WebSocket, msg: Message) -> bool {
    matches!(tokio::time::timeout(SLOW_CLIENT, socket.send(msg)).await, Ok(Ok(())))
}

async fn send_json(socket: &mut WebSocket, value: Value) -> bool {
    send(socket, Message::text(value.to_string())).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let _ = send(socket, Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

async fn session(
    mut socket: WebSocket,
    terminals: Terminals,
    id: TerminalId,
    mut sub: TerminalSubscription,
    ended: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(ended);
    if !send_json(&mut socket, json!({"type": "ready", "terminal": terminal_info(&sub.terminal())})).await {
        return;
    }
    // The offset the client will give the next binary byte, once it was told one.
    let mut position: Option<u64> = None;
    loop {
        tokio::select! {
            () = &mut ended => {
                close(&mut socket, close_code::POLICY, "access revoked".into()).await;
                return;
            }
            out = sub.next() => match out {
                Some(out) => {
                    if position != Some(out.start)
                        && !send_json(&mut socket, json!({"type": "offset", "offset": out.start})).await
                    {
                        return;
                    }
                    position = Some(out.end());
                    if !send(&mut socket, Message::Binary(out.data.into())).await {
                        return;
                    }
                }
                None => {
                    let _ = send_json(&mut socket, json!({"type": "exit", "terminal": terminal_info(&sub.terminal())})).await;
                    close(&mut socket, close_code::NORMAL, "terminal exited".into()).await;
                    return;
                }
            },
            msg = socket.recv() => {
                let input = match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(bytes))) => Input::Bytes(bytes.to_vec()),
                    Some(Ok(Message::Text(text))) => Input::Control(text.as_str().to_owned()),
                };
                let len = match &input {
                    Input::Bytes(b) => b.len(),
                    Input::Control(t) => t.len(),
                };
                if let Err(e) = check_input(len) {
                    close(&mut socket, close_code::SIZE, format!("{e} (at most {MAX_INPUT_BYTES} bytes per frame)")).await;
                    return;
                }
                if let Err(message) = act(&terminals, id, input).await
                    && !send_json(&mut socket, json!({"type": "error", "message": message})).await
                {
                    return;
                }
            }
        }
    }
}

enum Input {
    Bytes(Vec<u8>),
    Control(String),
}

/// Writes input or applies a control message; the error message for the client otherwise.
async fn act(terminals: &Terminals, id: TerminalId, input: Input) -> Result<(), String> {
    let bytes = match input {
        Input::Bytes(b) => b,
        Input::Control(text) => {
            let v: Value = serde_json::from_str(&text).map_err(|_| {
                "a text frame must be a JSON control message: {\"resize\":[cols,rows]} or {\"input\":\"text\"}; send typed bytes as binary frames".to_owned()
            })?;
            match (v.get("resize"), v.get("input"), v.as_object().map(serde_json::Map::len)) {
                (Some(size), None, Some(1)) => {
                    let pair =
                        size.as_array().filter(|a| a.len() == 2).and_then(|a| Some((a[0].as_i64()?, a[1].as_i64()?)));
                    let Some((cols, rows)) = pair else {
                        return Err("resize takes [cols, rows] as two whole numbers".into());
                    };
                    return terminals.resize(id, cols, rows).map(|_| ()).map_err(message);
                }
                (None, Some(Value::String(text)), Some(1)) => text.as_bytes().to_vec(),
                _ => {
                    return Err(format!(
                        "unknown control message {}; use {{\"resize\":[cols,rows]}} or {{\"input\":\"text\"}}",
                        truncate(&text)
                    ));
                }
            }
        }
    };
    terminals.send(id, &bytes).await.map_err(message)
}

/// What a client may read of an error: internal ones are logged, never sent.
fn message(e: CoreError) -> String {
    match e {
        CoreError::Internal(source) => {
            tracing::error!(error = %source, "terminal WebSocket: internal error");
            "internal error; the server's log has the details".into()
        }
        e => e.problem().map(crate::rpc::problem_message).unwrap_or_default(),
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}
