//! Webhooks: notifications POSTed as JSON to the URLs in settings.json's `webhooks`, for a chat
//! waiting on a person, a turn completed or failed, and a failed cronjob run.
//!
//! A watcher task follows the general notices (it never holds up whoever publishes them: a lagging
//! receiver skips) and puts each event on every interested webhook's queue (bounded: while a
//! receiver is down for long and its queue is full, new events are dropped, with a log line). One sender task per
//! webhook POSTs them in order, each with up to [`ATTEMPTS`] tries and a doubling pause from
//! [`FIRST_RETRY`], [`ATTEMPT_TIMEOUT`] each. Nothing here can block an agent or a request.
//!
//! The body carries `event`, `at` (ms), `text` (a sentence; Slack-compatible receivers show it),
//! `content` (the same; Discord's field), and `chat` or `run`; ntfy shows the whole body. The
//! secret, when set, goes in `secretHeader` (default `X-Band-Secret`), never in the URL or a log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use band_core::ports::Notice;
use band_core::services::{Cronjobs, Workspaces};
use band_core::{ChatId, ChatStatus, RunOutcome};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::rpc::notices::Broadcast;
use crate::settings::WebhookSettings;

/// The events a webhook can ask for.
pub const EVENTS: [&str; 6] =
    ["chat.waiting", "turn.completed", "turn.failed", "cronjob.failed", "budget.warning", "budget.stopped"];
/// Tries per event.
pub const ATTEMPTS: u32 = 6;
/// The pause after the first failed try; it doubles after each (0.5, 1, 2, 4, 8 s).
pub const FIRST_RETRY: Duration = Duration::from_millis(500);
/// How long one try may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Events waiting per webhook; beyond, new ones are dropped.
const QUEUE: usize = 256;

/// A webhook as configured, checked.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: hyper::Uri,
    secret: Option<(HeaderName, HeaderValue)>,
    events: Vec<&'static str>,
}

/// Checks settings.json's `webhooks`.
///
/// # Errors
/// The first bad entry, named by its place in the list, and what to write instead.
pub fn parse(settings: &[WebhookSettings]) -> Result<Vec<Webhook>, String> {
    settings
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let url: hyper::Uri = w
                .url
                .parse()
                .ok()
                .filter(|u: &hyper::Uri| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some())
                .ok_or_else(|| format!("webhooks[{i}].url '{}' in settings.json is not an http or https URL", w.url))?;
            let secret = match &w.secret {
                None => None,
                Some(s) => {
                    let name = w.secret_header.as_deref().unwrap_or("X-Band-Secret");
                    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        format!("webhooks[{i}].secretHeader '{name}' in settings.json is not a header name")
                    })?;
                    let mut value = HeaderValue::from_str(s).map_err(|_| {
                        format!("webhooks[{i}].secret in settings.json has characters a header cannot carry")
                    })?;
                    value.set_sensitive(true);
                    Some((name, value))
                }
            };
            let events = if w.events.is_empty() {
                EVENTS.to_vec()
            } else {
                w.events
                    .iter()
                    .map(|e| {
                        EVENTS.iter().copied().find(|k| k == e).ok_or_else(|| {
                            format!(
                                "webhooks[{i}].events in settings.json names '{e}'; use some of: {}",
                                EVENTS.join(", ")
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            Ok(Webhook { url, secret, events })
        })
        .collect()
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Starts the watcher and one sender per webhook; they end when the notices close.
///
/// # Errors
/// No TLS root certificates could be loaded while a webhook needs https.
pub fn spawn(
    hooks: Vec<Webhook>,
    notices: &Broadcast,
    cronjobs: Cronjobs,
    workspaces: Arc<Workspaces>,
) -> Result<(), String> {
    if hooks.is_empty() {
        return Ok(());
    }
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_native_roots();
    let client: Option<Client<Https, Full<Bytes>>> = match https {
        Ok(b) => Some(Client::builder(TokioExecutor::new()).build(b.https_or_http().enable_http1().build())),
        Err(e) if hooks.iter().any(|h| h.url.scheme_str() == Some("https")) => {
            return Err(format!(
                "webhooks: no TLS root certificates on this machine for https receivers ({e}); install the ca-certificates package"
            ));
        }
        Err(_) => None,
    };
    let plain: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut queues = Vec::new();
    for hook in hooks {
        let (tx, rx) = mpsc::channel::<Arc<Vec<u8>>>(QUEUE);
        let sender = Sender { hook: hook.clone(), https: client.clone(), plain: plain.clone() };
        tokio::spawn(sender.run(rx));
        queues.push((hook, tx));
    }
    let mut live = notices.subscribe();
    tokio::spawn(async move {
        let mut last: HashMap<ChatId, ChatStatus> = HashMap::new();
        loop {
            let notice = match live.recv().await {
                Ok(n) => n,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "webhooks fell behind the notices; some events were not sent");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let Some((event, body)) = event_of(notice, &mut last, &cronjobs, &workspaces).await else { continue };
            let body = Arc::new(body);
            for (hook, tx) in &queues {
                if !hook.events.contains(&event) {
                    continue;
                }
                if tx.try_send(body.clone()).is_err() {
                    tracing::warn!(url = %redacted(&hook.url), event, "a webhook's queue is full; the event was dropped");
                }
            }
        }
    });
    Ok(())
}

/// The event a notice means, if any, with its JSON body.
async fn event_of(
    notice: Notice,
    last: &mut HashMap<ChatId, ChatStatus>,
    cronjobs: &Cronjobs,
    workspaces: &Workspaces,
) -> Option<(&'static str, Vec<u8>)> {
    let at = band_core::now_millis();
    match notice {
        Notice::ChatChanged(chat) => {
            let before = last.insert(chat.id, chat.status);
            if before == Some(chat.status) {
                return None;
            }
            // A turn's end is a change from working or waiting (not a rename seen first after a start).
            let ended = before.is_some_and(ChatStatus::busy);
            let (event, did) = match chat.status {
                ChatStatus::Waiting => ("chat.waiting", "is waiting for you"),
                ChatStatus::Completed if ended => ("turn.completed", "completed its turn"),
                ChatStatus::Failed if ended => ("turn.failed", "failed its turn"),
                _ => return None,
            };
            let place = match workspaces.resolve(&chat.workspace_id.0.to_string()).await {
                Ok((p, w)) => format!(" in {}/{}", p.name, w.branch),
                Err(_) => String::new(),
            };
            let text = format!("band: chat {} '{}'{place} {did}", chat.id.0, chat.name.as_str());
            let body = json!({
                "event": event,
                "at": at,
                "text": text,
                "content": text,
                "chat": {
                    "id": chat.id.0,
                    "name": chat.name.as_str(),
                    "workspaceId": chat.workspace_id.0,
                    "agent": chat.agent.to_string(),
                    "status": chat.status.as_str(),
                },
            });
            Some((event, body.to_string().into_bytes()))
        }
        Notice::ChatRemoved(chat) => {
            last.remove(&chat.id);
            None
        }
        Notice::CronRunChanged(run) if run.outcome == RunOutcome::Failed => {
            let key = cronjobs.list().await.ok()?.into_iter().find(|j| j.id == run.job_id)?.key.to_string();
            let why = run.detail.clone().unwrap_or_default();
            let text = format!("band: cronjob '{key}' run {} failed: {why}", run.id.0);
            let body = json!({
                "event": "cronjob.failed",
                "at": at,
                "text": text,
                "content": text,
                "run": {
                    "id": run.id.0,
                    "key": key,
                    "chatId": run.chat_id.map(|c| c.0),
                    "turnId": run.turn_id.map(|t| t.0),
                    "detail": run.detail,
                },
            });
            Some(("cronjob.failed", body.to_string().into_bytes()))
        }
        Notice::Budget { chat, stopped, text } => {
            let event = if stopped { "budget.stopped" } else { "budget.warning" };
            let text = format!("band: chat {}: {text}", chat.0);
            let body = json!({"event": event, "at": at, "text": text, "content": text, "chat": {"id": chat.0}});
            Some((event, body.to_string().into_bytes()))
        }
        _ => None,
    }
}

/// The URL for a log line: scheme, host and port (a path or query may carry a token).
fn redacted(url: &hyper::Uri) -> String {
    format!("{}://{}", url.scheme_str().unwrap_or("?"), url.authority().map_or("?", |a| a.as_str()))
}

struct Sender {
    hook: Webhook,
    https: Option<Client<Https, Full<Bytes>>>,
    plain: Client<HttpConnector, Full<Bytes>>,
}

impl Sender {
    async fn run(self, mut rx: mpsc::Receiver<Arc<Vec<u8>>>) {
        while let Some(body) = rx.recv().await {
            let mut pause = FIRST_RETRY;
            for attempt in 1..=ATTEMPTS {
                match self.post(&body).await {
                    Ok(()) => break,
                    Err(e) if attempt == ATTEMPTS => {
                        tracing::warn!(url = %redacted(&self.hook.url), error = %e, "webhook failed {ATTEMPTS} times; the event is dropped");
                    }
                    Err(e) => {
                        tracing::info!(url = %redacted(&self.hook.url), attempt, error = %e, "webhook failed; trying again");
                        tokio::time::sleep(pause).await;
                        pause *= 2;
                    }
                }
            }
        }
    }

    async fn post(&self, body: &[u8]) -> Result<(), String> {
        let mut req = hyper::Request::post(self.hook.url.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, concat!("band/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| e.to_string())?;
        if let Some((name, value)) = &self.hook.secret {
            req.headers_mut().insert(name.clone(), value.clone());
        }
        let sent = match (&self.https, self.hook.url.scheme_str()) {
            (_, Some("http")) => tokio::time::timeout(ATTEMPT_TIMEOUT, self.plain.request(req)).await,
            (Some(c), _) => tokio::time::timeout(ATTEMPT_TIMEOUT, c.request(req)).await,
            (None, _) => return Err("no TLS root certificates on this machine".into()),
        };
        match sent {
            Err(_) => Err(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(res)) if res.status().is_success() => Ok(()),
            Ok(Ok(res)) => Err(format!("answered {}", res.status())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookSettings {
        WebhookSettings { url: url.into(), ..WebhookSettings::default() }
    }

    #[test]
    fn bad_webhook_settings_are_named_with_what_to_write() {
        let e = parse(&[hook("http://127.0.0.1:9/x"), hook("ftp://x")]).expect_err("scheme");
        assert_eq!(e, "webhooks[1].url 'ftp://x' in settings.json is not an http or https URL");
        let bad = WebhookSettings { events: vec!["turn.done".into()], ..hook("https://ntfy.sh/band") };
        let e = parse(&[bad]).expect_err("event");
        assert!(
            e.starts_with("webhooks[0].events in settings.json names 'turn.done'; use some of: chat.waiting"),
            "{e}"
        );
        let bad = WebhookSettings { secret: Some("a\nb".into()), ..hook("https://ntfy.sh/band") };
        assert!(parse(&[bad]).expect_err("secret").contains("secret in settings.json"));
        let ok =
            parse(&[WebhookSettings { secret: Some("s".into()), ..hook("https://ntfy.sh/band?x=1") }]).expect("ok");
        assert_eq!(ok[0].events, EVENTS.to_vec());
        assert_eq!(redacted(&ok[0].url), "https://ntfy.sh");
    }
}
