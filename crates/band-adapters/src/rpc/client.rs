//! A typed JSON-RPC client over HTTP, for the CLI and tests: `client.call::<api::ProjectsList>(..)`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::api::{Health, Method};

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
    /// The method ran and failed; `message` is the server's explanation.
    #[error("{message}")]
    Rpc { code: i32, message: String },
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
            return Err(ClientError::Rpc {
                code: err.get("code").and_then(Value::as_i64).unwrap_or_default() as i32,
                message: err.get("message").and_then(Value::as_str).unwrap_or("unknown error").to_owned(),
            });
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

fn http_error(status: u16, body: &Value) -> ClientError {
    let message = body.get("error").and_then(Value::as_str).unwrap_or("no reason given").to_owned();
    ClientError::Http { status, message }
}
