//! A typed JSON-RPC client over HTTP (and WebSocket for subscriptions), for the CLI and tests:
//! `client.call::<band_api::ProjectsList>(..)`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::{Health, Method};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered at the URL: the server is not running (or not there).
    #[error("no band-server answers at {url}")]
    Unreachable { url: String },
    #[error("{0}")]
    BadUrl(String),
    /// The server refused the request before any method ran (auth, Host, Origin...).
    #[error("the server refused the request ({status}): {message}")]
    Http { status: u16, message: String },
    /// The method ran and failed; `message` is the server's explanation (the facts and the fix
    /// in the API's terms), `data` the same as data, for a client to word the fix its own way.
    #[error("{message}")]
    Rpc { code: i32, message: String, data: Option<crate::ErrorData> },
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
}

/// Talks to one band-server.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: HyperClient<HttpConnector, Full<Bytes>>,
}

impl Client {
    /// `base_url` like `http://127.0.0.1:3456`.
    ///
    /// # Errors
    /// [`ClientError::BadUrl`] unless the URL is `http://host[:port]`.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let uri: hyper::Uri = base
            .parse()
            .map_err(|_| ClientError::BadUrl(format!("'{base_url}' is not a URL like http://127.0.0.1:3456")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ClientError::BadUrl(format!(
                "'{base_url}' is not supported: use an http:// URL like http://127.0.0.1:3456"
            )));
        }
        let http = HyperClient::builder(TokioExecutor::new()).build_http();
        Ok(Self { base, token, http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls `M` with typed params and result.
    pub async fn call<M: Method>(&self, params: &M::Params) -> Result<M::Result, ClientError> {
        let params = serde_json::to_value(params).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let value = self.call_raw(M::NAME, params).await?;
        serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("{} result: {e}", M::NAME)))
    }

    /// Calls any method with JSON params.
    pub async fn call_raw(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, reply) = self.request("POST", "/rpc", Some(body.to_string())).await?;
        let reply: Value = serde_json::from_slice(&reply)
            .map_err(|_| ClientError::Protocol(format!("status {status}, body not JSON")))?;
        if status != 200 {
            return Err(http_error(status, &reply));
        }
        if let Some(err) = reply.get("error") {
            return Err(rpc_error(err, "unknown error"));
        }
        reply.get("result").cloned().ok_or_else(|| ClientError::Protocol("no result in reply".into()))
    }

    /// `GET /health`, which needs no token.
    pub async fn health(&self) -> Result<Health, ClientError> {
        let (status, body) = self.request("GET", "/health", None).await?;
        let value: Value =
            serde_json::from_slice(&body).map_err(|_| ClientError::Protocol("health body not JSON".into()))?;
        if status != 200 {
            return Err(http_error(status, &value));
        }
        serde_json::from_value(value).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// `POST /notify`: a terminal agent's hook document for its chat, authenticated by the
    /// chat's notify secret (no token). Waits for band's decision when the hook asks one.
    pub async fn notify(&self, request: &crate::NotifyRequest) -> Result<crate::Notified, ClientError> {
        let body = serde_json::to_string(request).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let (status, reply) = self.request("POST", "/notify", Some(body)).await?;
        let value: Value = serde_json::from_slice(&reply)
            .map_err(|_| ClientError::Protocol(format!("status {status}, body not JSON")))?;
        if status != 200 {
            return Err(http_error(status, &value));
        }
        serde_json::from_value(value).map_err(|e| ClientError::Protocol(format!("notify reply: {e}")))
    }

    async fn request(&self, method: &str, path: &str, body: Option<String>) -> Result<(u16, Bytes), ClientError> {
        let mut req = hyper::Request::builder().method(method).uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ClientError::BadUrl(e.to_string()))?;
        let res = self.http.request(req).await.map_err(|_| ClientError::Unreachable { url: self.base.clone() })?;
        let status = res.status().as_u16();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Protocol(format!("reading the reply: {e}")))?
            .to_bytes();
        Ok((status, body))
    }
}

/// A JSON-RPC error object as a [`ClientError::Rpc`]; `data` is kept when it is band's.
fn rpc_error(err: &Value, default: &str) -> ClientError {
    ClientError::Rpc {
        code: err.get("code").and_then(Value::as_i64).and_then(|c| i32::try_from(c).ok()).unwrap_or_default(),
        message: err.get("message").and_then(Value::as_str).unwrap_or(default).to_owned(),
        data: err.get("data").and_then(|d| serde_json::from_value(d.clone()).ok()),
    }
}

fn http_error(status: u16, body: &Value) -> ClientError {
    let message = body.get("error").and_then(Value::as_str).unwrap_or("no reason given").to_owned();
    ClientError::Http { status, message }
}

/// A live subscription over WebSocket: its notifications' items, in order.
pub struct Subscription<T> {
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    _item: std::marker::PhantomData<T>,
}

impl<T: serde::de::DeserializeOwned> Subscription<T> {
    /// The next item; `None` when the server ended the subscription or the connection.
    ///
    /// # Errors
    /// [`ClientError::Protocol`] for a malformed notification.
    pub async fn next(&mut self) -> Result<Option<T>, ClientError> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        while let Some(frame) = self.ws.next().await {
            let text = match frame {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => return Ok(None),
                Ok(_) => continue,
            };
            let v: Value = serde_json::from_str(text.as_str()).map_err(|e| ClientError::Protocol(e.to_string()))?;
            if let Some(item) = v.get("params").and_then(|p| p.get("result")) {
                return serde_json::from_value(item.clone())
                    .map(Some)
                    .map_err(|e| ClientError::Protocol(e.to_string()));
            }
        }
        Ok(None)
    }
}

impl Client {
    /// Subscribes over WebSocket (`sub` names the subscription; see `api::SUBSCRIPTIONS`).
    ///
    /// # Errors
    /// [`ClientError::Unreachable`], [`ClientError::Http`] when the upgrade is refused,
    /// [`ClientError::Rpc`] when the subscription is.
    pub async fn subscribe<T: serde::de::DeserializeOwned>(
        &self,
        sub: &crate::SubscriptionDoc,
        params: Value,
    ) -> Result<Subscription<T>, ClientError> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::{Error as WsError, Message};

        let uri: hyper::Uri = self.base.parse().map_err(|_| ClientError::BadUrl(self.base.clone()))?;
        let host = uri.host().unwrap_or("127.0.0.1").to_owned();
        let port = uri.port_u16().unwrap_or(80);
        let url = format!("ws://{host}:{port}/rpc");
        let mut req = url.as_str().into_client_request().map_err(|e| ClientError::BadUrl(e.to_string()))?;
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| ClientError::BadUrl("token is not valid in a header".into()))?;
            req.headers_mut().insert("authorization", value);
        }
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|_| ClientError::Unreachable { url: self.base.clone() })?;
        let (mut ws, _) = match tokio_tungstenite::client_async(req, stream).await {
            Ok(ok) => ok,
            Err(WsError::Http(res)) => {
                let body: Value =
                    res.body().as_ref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
                return Err(http_error(res.status().as_u16(), &body));
            }
            Err(e) => return Err(ClientError::Protocol(format!("WebSocket: {e}"))),
        };
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": sub.name, "params": params});
        ws.send(Message::text(request.to_string())).await.map_err(|e| ClientError::Protocol(e.to_string()))?;
        // The reply to the subscribe call comes first.
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value =
                        serde_json::from_str(t.as_str()).map_err(|e| ClientError::Protocol(e.to_string()))?;
                    if v.get("id").is_none() {
                        continue;
                    }
                    if let Some(err) = v.get("error") {
                        return Err(rpc_error(err, "refused"));
                    }
                    return Ok(Subscription { ws, _item: std::marker::PhantomData });
                }
                Some(Ok(_)) => continue,
                _ => return Err(ClientError::Protocol("the connection closed before the subscription started".into())),
            }
        }
    }
}
