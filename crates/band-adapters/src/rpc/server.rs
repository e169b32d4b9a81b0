//! The jsonrpsee module serving [`crate::api`]. Every [`CoreError`] becomes a JSON-RPC error
//! here and nowhere else; internal errors are logged and reach clients only as an opaque message.
//!
//! `tunnel.subscribe` sends the tunnel's state, then each change.
//!
//! Subscriptions (`chats.subscribe`, `workspaces.subscribe`) replay from the store, then follow
//! [`Broadcast`] live with no gap and no duplicate: the live feed is joined *before* the replay
//! is read, events at or below the last sequence number sent are skipped, and any hole (a lagging
//! receiver, events published out of order) is filled from the store, which holds every event
//! before it is published. A client that stops reading for [`SLOW_CLIENT`] is dropped; it
//! resubscribes from its last sequence number.
//!
//! Every method and subscription checks the caller's scope before anything else: band-server's
//! guard puts a [`Caller`] into each request's extensions, and [`add`] compares its scope with
//! the one the method was classified with in [`api`]'s `methods!` (a request without a caller
//! is refused). Device and token management is behind the [`Access`] port, which band-server
//! implements.
//!
//! `terminals.subscribe` replays a terminal's scrollback after a byte offset and follows its
//! output live (the adapter's feed guarantees each byte once, in order); output travels as text,
//! a character cut at a chunk's end is held back until it is whole, and a last `exit` item ends
//! the subscription.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use band_core::ports::{Notice, UsageScope};
use band_core::services::{
    Chats, CreateChat, CreateTerminal, Files, Layouts, Projects, Sent, Terminals, Tunnels, WorkspaceTeardown,
    Workspaces,
};
use band_core::{
    ChatEvent, ChatId, ChatPatch, CoreError, DeviceId, LayoutScope, PermissionDecision, QueuedId, Scope, TerminalId,
    TerminalOutput,
};
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{PendingSubscriptionSink, RpcModule, SubscriptionSink};
use tokio::sync::broadcast::error::RecvError;

use super::convert::*;
use super::notices::Broadcast;
use crate::api::{self, Method, codes};

/// How long a subscriber may leave a notification unread before it is dropped.
pub const SLOW_CLIENT: Duration = Duration::from_secs(10);

/// Who is calling, as band-server's guard established it (put into each request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub scope: Scope,
    /// The paired device, when the credential is a device's (else the main token).
    pub device: Option<(DeviceId, String)>,
    /// The peer's address.
    pub remote: Option<String>,
}

impl Caller {
    /// Whether this caller may do what needs `needs`; else the refusal, saying what to do.
    ///
    /// # Errors
    /// The message for the client.
    pub fn allows(&self, what: &str, needs: Scope) -> Result<(), String> {
        if self.scope >= needs {
            return Ok(());
        }
        let who = match &self.device {
            Some((_, name)) => format!("this device ('{name}') has {} access", self.scope.as_str()),
            None => format!("this credential has {} access", self.scope.as_str()),
        };
        let fix = match needs {
            Scope::Admin => "only the main token (on the machine running band-server) may do that".to_owned(),
            _ => format!("pair it again with {} access (`band qr --scope control`)", needs.as_str()),
        };
        Err(format!("{who}; {what} needs {} access: {fix}", needs.as_str()))
    }
}

/// Device pairing, the audit log and the main token: what the admin methods need from the
/// server that holds the credentials. Errors are [`CoreError`]s with messages for the client.
#[async_trait::async_trait]
pub trait Access: Send + Sync {
    async fn pair(&self, caller: &Caller, name: &str, scope: Option<&str>) -> Result<api::Pairing, CoreError>;
    async fn devices(&self) -> Result<Vec<api::DeviceInfo>, CoreError>;
    async fn revoke(&self, caller: &Caller, device: &str) -> Result<api::DeviceInfo, CoreError>;
    async fn audit(&self, before: Option<i64>, limit: usize) -> Result<Vec<api::AuditEntryInfo>, CoreError>;
    async fn rotate(&self, caller: &Caller) -> Result<api::TokenRotated, CoreError>;
    /// A call refused for its scope, for the audit log (rate-limited by the implementation).
    fn refused(&self, caller: &Caller, detail: String);
}

/// What the API methods act on.
pub struct ApiContext {
    pub access: Arc<dyn Access>,
    pub projects: Projects,
    pub workspaces: Arc<Workspaces>,
    pub chats: Chats,
    pub files: Arc<Files>,
    pub layouts: Layouts,
    pub terminals: Terminals,
    pub teardown: WorkspaceTeardown,
    pub tunnels: Tunnels,
    pub notices: Arc<Broadcast>,
    pub settings: api::SettingsInfo,
}

impl ApiContext {
    /// Where a tunnel forwards to: this server's own address (loopback when it listens on all
    /// interfaces).
    fn tunnel_target(&self) -> Result<std::net::SocketAddr, CoreError> {
        let ip: std::net::IpAddr = self.settings.bind.parse().map_err(|_| {
            CoreError::Internal(format!("the server's bind address '{}' is not an IP", self.settings.bind).into())
        })?;
        let ip = match ip {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        Ok(std::net::SocketAddr::new(ip, self.settings.web_server_port))
    }
}

type Reg = Result<(), jsonrpsee::core::RegisterMethodError>;

/// Builds the module with every method of [`api::METHODS`] and the subscriptions.
///
/// # Errors
/// A method name registered twice (a programming error, caught by the tests).
pub fn module(ctx: ApiContext) -> Result<RpcModule<ApiContext>, jsonrpsee::core::RegisterMethodError> {
    let mut m = RpcModule::new(ctx);
    projects(&mut m)?;
    workspaces(&mut m)?;
    chats(&mut m)?;
    queue(&mut m)?;
    files(&mut m)?;
    layout(&mut m)?;
    terminals(&mut m)?;
    tunnel(&mut m)?;
    add::<api::SettingsGet, _, _>(&mut m, |c, _| async move { Ok(c.settings.clone()) })?;
    add::<api::Discover, _, _>(&mut m, |_, _| async move { Ok(api::openrpc()) })?;
    access(&mut m)?;
    subscription(&mut m, &api::CHATS_SUBSCRIBE, subscribe_chat)?;
    subscription(&mut m, &api::WORKSPACES_SUBSCRIBE, subscribe_workspaces)?;
    subscription(&mut m, &api::TUNNEL_SUBSCRIBE, subscribe_tunnel)?;
    subscription(&mut m, &api::TERMINALS_SUBSCRIBE, subscribe_terminal)?;
    Ok(m)
}

/// Registers a subscription as `doc` describes it: the caller's scope is checked first, and
/// the subscription runs with its connection's [`Hangup`] at hand.
fn subscription<F, Fut>(m: &mut RpcModule<ApiContext>, doc: &'static api::SubscriptionDoc, run: F) -> Reg
where
    F: Fn(Params<'static>, PendingSubscriptionSink, Arc<ApiContext>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = SubscriptionResult> + Send + 'static,
{
    m.register_subscription(doc.name, doc.notification, doc.unsubscribe, move |params, pending, ctx, ext| {
        let run = run.clone();
        async move {
            if let Err(e) = admit(&ctx, &ext, doc.name, doc.scope) {
                pending.reject(e).await;
                return Ok(());
            }
            with_hangup(&ext, run(params, pending, ctx)).await
        }
    })?;
    Ok(())
}

/// The caller of a request, if its scope covers `needs`; else a JSON-RPC error (audited).
fn admit(ctx: &ApiContext, ext: &jsonrpsee::Extensions, name: &str, needs: Scope) -> Result<Caller, ErrorObjectOwned> {
    let Some(caller) = ext.get::<Caller>() else {
        return Err(ErrorObjectOwned::owned(
            codes::FORBIDDEN,
            format!("{name}: no credential was checked"),
            None::<()>,
        ));
    };
    caller.allows(name, needs).map_err(|message| {
        ctx.access.refused(caller, format!("{name}: needs {} access", needs.as_str()));
        ErrorObjectOwned::owned(codes::FORBIDDEN, message, None::<()>)
    })?;
    Ok(caller.clone())
}

fn access(m: &mut RpcModule<ApiContext>) -> Reg {
    add_as::<api::DevicesPair, _, _>(m, |c, p, caller| async move {
        c.access.pair(&caller, &p.name, p.scope.as_deref()).await
    })?;
    add::<api::DevicesList, _, _>(m, |c, _| async move { c.access.devices().await })?;
    add_as::<api::DevicesRevoke, _, _>(m, |c, p, caller| async move { c.access.revoke(&caller, &p.device).await })?;
    add::<api::AuditList, _, _>(m, |c, p| async move {
        c.access.audit(p.before, p.limit.unwrap_or(100).clamp(1, 1000) as usize).await
    })?;
    add_as::<api::AuthWhoami, _, _>(m, |_, _, caller| async move {
        Ok(api::WhoAmI {
            scope: caller.scope.as_str().to_owned(),
            device_id: caller.device.as_ref().map(|(id, _)| id.0),
            device_name: caller.device.map(|(_, name)| name),
        })
    })?;
    add_as::<api::TokenRotate, _, _>(m, |c, _, caller| async move { c.access.rotate(&caller).await })
}

fn tunnel(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::TunnelStart, _, _>(m, |c, p| async move {
        let target = c.tunnel_target()?;
        Ok(tunnel_info(&c.tunnels.start(p.provider.as_deref(), target).await?))
    })?;
    add::<api::TunnelStop, _, _>(m, |c, _| async move { Ok(tunnel_info(&c.tunnels.stop().await)) })?;
    add::<api::TunnelStatus, _, _>(m, |c, _| async move { Ok(tunnel_info(&c.tunnels.status())) })
}

fn projects(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ProjectsAdd, _, _>(m, |c, p| async move {
        Ok(project_info(&c.projects.add(Path::new(&p.path), p.name.as_deref()).await?))
    })?;
    add::<api::ProjectsList, _, _>(m, |c, _| async move {
        Ok(c.projects.list().await?.iter().map(project_info).collect())
    })?;
    add::<api::ProjectsRemove, _, _>(m, |c, p| async move { Ok(project_info(&c.projects.remove(&p.name).await?)) })
}

fn workspaces(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::WorkspacesCreate, _, _>(m, |c, p| async move {
        if p.prompt.is_none() && (p.agent.is_some() || p.model.is_some() || p.mode.is_some()) {
            return Err(CoreError::InvalidInput("agent, model and mode go with a prompt; add one".into()));
        }
        let (ws, created) = c.workspaces.create(&p.project, &p.branch, p.base.as_deref()).await?;
        let chat = match p.prompt {
            None => None,
            Some(prompt) => {
                let chat = c
                    .chats
                    .create(CreateChat {
                        workspace: ws.id.0.to_string(),
                        agent: p.agent,
                        model: p.model,
                        mode: p.mode,
                        ..CreateChat::default()
                    })
                    .await?;
                c.chats.send(chat.id, &prompt).await?;
                Some(chat_info(&c.chats.get(chat.id).await?))
            }
        };
        Ok(api::WorkspaceCreated { workspace: workspace_info(&p.project, &ws), created, chat })
    })?;
    add::<api::WorkspacesList, _, _>(m, |c, p| async move {
        let list = c.workspaces.list(p.project.as_deref()).await?;
        Ok(list.iter().map(|(project, ws)| workspace_info(project.as_str(), ws)).collect())
    })?;
    add::<api::WorkspacesGet, _, _>(m, |c, p| async move {
        let (project, ws) = c.workspaces.resolve(&p.workspace).await?;
        Ok(workspace_info(project.name.as_str(), &ws))
    })?;
    add::<api::WorkspacesStatus, _, _>(m, |c, p| async move {
        let s = c.workspaces.status(&p.workspace).await?;
        Ok(api::WorkspaceStatusInfo {
            workspace: workspace_info(s.project.as_str(), &s.workspace),
            dirty: !s.changes.is_empty(),
            changes: s
                .changes
                .iter()
                .map(|c| api::FileChangeInfo { path: c.path.clone(), kind: c.kind.as_str().to_owned() })
                .collect(),
            ahead: s.divergence.ahead,
            behind: s.divergence.behind,
        })
    })?;
    add::<api::WorkspacesDiff, _, _>(m, |c, p| async move {
        let d = c.workspaces.diff(&p.workspace).await?;
        Ok(api::WorkspaceDiffInfo {
            workspace: workspace_info(d.project.as_str(), &d.workspace),
            from: d.from,
            patch: d.patch,
        })
    })?;
    add::<api::WorkspacesRemove, _, _>(m, |c, p| async move {
        let r = c.teardown.remove(&p.workspace, p.force).await?;
        Ok(api::WorkspaceRemoved {
            workspace: workspace_info(r.project.as_str(), &r.workspace),
            branch_deleted: r.branch_deleted,
            branch_kept_because: r.branch_kept_because,
        })
    })
}

fn chats(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ChatsCreate, _, _>(m, |c, p| async move {
        let req = CreateChat {
            workspace: p.workspace,
            agent: p.agent,
            model: p.model,
            mode: p.mode,
            name: p.name,
            labels: p.labels,
        };
        Ok(chat_info(&c.chats.create(req).await?))
    })?;
    add::<api::ChatsList, _, _>(m, |c, p| async move {
        Ok(c.chats.list(p.workspace.as_deref()).await?.iter().map(chat_info).collect())
    })?;
    add::<api::ChatsGet, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsSend, _, _>(m, |c, p| async move {
        Ok(match c.chats.send(ChatId(p.chat), &p.message).await? {
            Sent::Started { seq } => api::SendResult { outcome: "started".into(), seq: Some(seq), queued: None },
            Sent::Queued(q) => api::SendResult { outcome: "queued".into(), seq: None, queued: Some(queued_info(&q)) },
        })
    })?;
    add::<api::ChatsStop, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.stop(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsInterrupt, _, _>(m, |c, p| async move {
        c.chats.interrupt(ChatId(p.chat)).await?;
        Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?))
    })?;
    add::<api::ChatsRespond, _, _>(m, |c, p| async move {
        let decision = match p.decision.as_str() {
            "allow" => PermissionDecision::Allow,
            "deny" => PermissionDecision::Deny,
            other => return Err(CoreError::InvalidInput(format!("unknown decision '{other}'; use allow or deny"))),
        };
        c.chats.respond(ChatId(p.chat), p.request.as_deref(), decision).await?;
        Ok(chat_info(&c.chats.get(ChatId(p.chat)).await?))
    })?;
    add::<api::ChatsUpdate, _, _>(m, |c, p| async move {
        let patch = ChatPatch {
            name: p.name,
            model: p.model.map(|m| Some(m).filter(|m| !m.is_empty())),
            mode: band_core::services::chats::parse_mode(p.mode.as_deref())?,
            set_labels: p.set_labels,
            remove_labels: p.remove_labels,
        };
        Ok(chat_info(&c.chats.update(ChatId(p.chat), patch).await?))
    })?;
    add::<api::ChatsRemove, _, _>(m, |c, p| async move { Ok(chat_info(&c.chats.remove(ChatId(p.chat)).await?)) })?;
    add::<api::ChatsEvents, _, _>(m, |c, p| async move {
        let limit = p.limit.unwrap_or(200).clamp(1, 1000) as usize;
        let events = match (p.after, p.before) {
            (Some(_), Some(_)) => return Err(CoreError::InvalidInput("give after or before, not both".into())),
            (Some(after), None) => c.chats.events_after(ChatId(p.chat), after, limit).await?,
            (None, before) => c.chats.events_before(ChatId(p.chat), before, limit).await?,
        };
        Ok(events.iter().map(event_info).collect())
    })?;
    add::<api::ChatsTurns, _, _>(m, |c, p| async move {
        Ok(c.chats.turns(ChatId(p.chat)).await?.iter().map(turn_info).collect())
    })?;
    add::<api::ChatsUsage, _, _>(m, |c, p| async move {
        let scope = match (p.chat, p.workspace) {
            (Some(chat), None) => {
                c.chats.get(ChatId(chat)).await?;
                UsageScope::Chat(ChatId(chat))
            }
            (None, Some(w)) => UsageScope::Workspace(c.workspaces.resolve(&w).await?.1.id),
            _ => return Err(CoreError::InvalidInput("give a chat or a workspace".into())),
        };
        Ok(totals_info(&c.chats.usage(scope).await?))
    })
}

fn queue(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::ChatsQueue, _, _>(m, |c, p| async move {
        Ok(c.chats.queue(ChatId(p.chat)).await?.iter().map(queued_info).collect())
    })?;
    add::<api::ChatsQueueEdit, _, _>(m, |c, p| async move {
        Ok(queued_info(&c.chats.edit_queued(ChatId(p.chat), QueuedId(p.id), &p.text).await?))
    })?;
    add::<api::ChatsQueueMove, _, _>(m, |c, p| async move {
        let queue = c.chats.move_queued(ChatId(p.chat), QueuedId(p.id), p.position).await?;
        Ok(queue.iter().map(queued_info).collect())
    })?;
    add::<api::ChatsQueueCancel, _, _>(m, |c, p| async move {
        Ok(queued_info(&c.chats.cancel_queued(ChatId(p.chat), QueuedId(p.id)).await?))
    })
}

fn files(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::FilesList, _, _>(m, |c, p| async move {
        let (ws, dir, listing) = c.files.list(&p.workspace, p.path.as_deref()).await?;
        Ok(listing_info(ws.id, &dir, &listing))
    })?;
    add::<api::FilesRead, _, _>(m, |c, p| async move {
        let (ws, file) = c.files.read(&p.workspace, &p.path, Files::READ_LIMIT).await?;
        Ok(file_content_info(ws.id, file))
    })
}

fn layout(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::LayoutGet, _, _>(m, |c, p| async move {
        let (ws, layout) = c.layouts.get(p.workspace.as_deref()).await?;
        layout_info(scope_of(ws.as_ref()), layout.as_ref())
    })?;
    add::<api::LayoutSet, _, _>(m, |c, p| async move {
        let document = layout_document(&p.layout)?;
        let (ws, layout) = c.layouts.set(p.workspace.as_deref(), document).await?;
        layout_info(scope_of(ws.as_ref()), Some(&layout))
    })
}

fn scope_of(workspace: Option<&band_core::Workspace>) -> LayoutScope {
    workspace.map_or(LayoutScope::Global, |w| LayoutScope::Workspace(w.id))
}

/// A layout must be a JSON object; it is stored as compact JSON text.
fn layout_document(layout: &serde_json::Value) -> Result<String, CoreError> {
    use serde_json::Value;
    let what = match layout {
        Value::Object(_) => return serde_json::to_string(layout).map_err(|e| CoreError::Internal(Box::new(e))),
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
    };
    Err(CoreError::InvalidInput(format!(
        "layout must be a JSON object (such as {{\"panes\": [\"chat\"]}}), not {what}"
    )))
}

fn terminals(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::TerminalsCreate, _, _>(m, |c, p| async move {
        let req = CreateTerminal { workspace: p.workspace, cols: p.cols, rows: p.rows, title: p.title };
        Ok(terminal_info(&c.terminals.create(req).await?))
    })?;
    add::<api::TerminalsList, _, _>(m, |c, p| async move {
        Ok(c.terminals.list(p.workspace.as_deref()).await?.iter().map(terminal_info).collect())
    })?;
    add::<api::TerminalsGet, _, _>(
        m,
        |c, p| async move { Ok(terminal_info(&c.terminals.get(TerminalId(p.terminal))?)) },
    )?;
    add::<api::TerminalsSend, _, _>(m, |c, p| async move {
        let id = TerminalId(p.terminal);
        c.terminals.send(id, p.data.as_bytes()).await?;
        Ok(terminal_info(&c.terminals.get(id)?))
    })?;
    add::<api::TerminalsResize, _, _>(m, |c, p| async move {
        Ok(terminal_info(&c.terminals.resize(TerminalId(p.terminal), p.cols, p.rows)?))
    })?;
    add::<api::TerminalsOutput, _, _>(m, |c, p| async move {
        let id = TerminalId(p.terminal);
        // Read the exit first: output read after it is known to be final is complete.
        let exited = c.terminals.get(id)?.exit.is_some();
        Ok(terminal_output(&c.terminals.output(id, p.after.unwrap_or(0))?, exited))
    })?;
    add::<api::TerminalsKill, _, _>(m, |c, p| async move {
        Ok(terminal_info(&c.terminals.kill(TerminalId(p.terminal)).await?))
    })
}

/// Registers one method: checks the caller's scope, parses its params (by name), runs it, maps
/// its error.
fn add<M, F, Fut>(m: &mut RpcModule<ApiContext>, f: F) -> Reg
where
    M: Method,
    F: Fn(Arc<ApiContext>, M::Params) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Result, CoreError>> + Send + 'static,
{
    add_as::<M, _, _>(m, move |c, p, _| f(c, p))
}

/// As [`add`], for a method that needs to know its caller.
fn add_as<M, F, Fut>(m: &mut RpcModule<ApiContext>, f: F) -> Reg
where
    M: Method,
    F: Fn(Arc<ApiContext>, M::Params, Caller) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<M::Result, CoreError>> + Send + 'static,
{
    m.register_async_method(M::NAME, move |params, ctx, ext| {
        let f = f.clone();
        async move {
            let caller = admit(&ctx, &ext, M::NAME, M::SCOPE)?;
            let params = parse_params::<M::Params>(M::NAME, &params)?;
            let result = f(ctx, params, caller).await.map_err(|e| error_object(M::NAME, e))?;
            serde_json::to_value(result).map_err(|e| error_object(M::NAME, CoreError::Internal(Box::new(e))))
        }
    })?;
    Ok(())
}

fn parse_params<P: serde::de::DeserializeOwned>(method: &str, params: &Params<'_>) -> Result<P, ErrorObjectOwned> {
    let raw = params.as_str().unwrap_or("{}");
    if !params.is_object() && params.as_str().is_some() {
        return Err(ErrorObjectOwned::owned(
            codes::INVALID_PARAMS,
            format!("{method} takes its params by name, as an object; see `band schema {method}`"),
            None::<()>,
        ));
    }
    serde_json::from_str(raw).map_err(|e| {
        ErrorObjectOwned::owned(codes::INVALID_PARAMS, format!("invalid params for {method}: {e}"), None::<()>)
    })
}

/// The one place domain errors become JSON-RPC errors.
pub fn error_object(method: &str, e: CoreError) -> ErrorObjectOwned {
    let (code, message) = match e {
        CoreError::InvalidInput(m) => (codes::INVALID_PARAMS, m),
        CoreError::NotFound(m) => (codes::NOT_FOUND, m),
        CoreError::Conflict(m) => (codes::CONFLICT, m),
        CoreError::Refused(m) => (codes::REFUSED, m),
        CoreError::Internal(source) => {
            tracing::error!(method, error = %source, "internal error");
            (codes::INTERNAL, "internal error; the server's log has the details".to_owned())
        }
    };
    ErrorObjectOwned::owned(code, message, None::<()>)
}

/// Put by the server into the extensions of each WebSocket request: ends that connection. A
/// subscriber that leaves a notification unread for [`SLOW_CLIENT`] is hung up on, so that its
/// client notices (a subscription that just stopped would leave it waiting forever), reconnects
/// and resubscribes from the last sequence number it has.
#[derive(Clone)]
pub struct Hangup(pub Arc<dyn Fn() + Send + Sync>);

tokio::task_local! {
    /// The connection of the subscription running on this task.
    static HANGUP: Option<Hangup>;
}

/// Runs a subscription with its connection's [`Hangup`] at hand for [`notify`].
async fn with_hangup<F: Future>(ext: &jsonrpsee::Extensions, subscription: F) -> F::Output {
    HANGUP.scope(ext.get::<Hangup>().cloned(), subscription).await
}

/// Sends one notification; `false` when the client is gone or too slow (then its connection is
/// hung up on).
async fn notify<T: serde::Serialize>(sink: &SubscriptionSink, item: &T) -> bool {
    let Ok(raw) = serde_json::value::to_raw_value(item) else { return false };
    match sink.send_timeout(raw, SLOW_CLIENT).await {
        Ok(()) => true,
        Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => {
            tracing::info!(connection = ?sink.connection_id(), "a client left notifications unread: hanging up");
            let _ = HANGUP.try_with(|h| h.as_ref().map(|h| (h.0)()));
            false
        }
        Err(_) => false,
    }
}

async fn subscribe_chat(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::CHATS_SUBSCRIBE.name;
    let p: api::ChatsSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let chat = ChatId(p.chat);
    // Join the live feed before reading the log, so nothing falls between the two.
    let mut live = ctx.notices.subscribe_chat(chat);
    if let Err(e) = ctx.chats.get(chat).await {
        pending.reject(error_object(NAME, e)).await;
        return Ok(());
    }
    let sink = pending.accept().await?;
    let mut last = p.after;
    if !catch_up(&ctx, &sink, chat, &mut last).await {
        return Ok(());
    }
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            events = live.recv() => match events {
                Ok(events) => {
                    for e in events.iter() {
                        if e.seq <= last {
                            continue;
                        }
                        if e.seq > last + 1 && !catch_up(&ctx, &sink, chat, &mut last).await {
                            return Ok(());
                        }
                        if e.seq == last + 1 {
                            if !notify(&sink, &event_info(e)).await {
                                return Ok(());
                            }
                            last = e.seq;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    if !catch_up(&ctx, &sink, chat, &mut last).await {
                        return Ok(());
                    }
                }
                // The chat was removed.
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

/// Sends every stored event after `last`, page by page; `false` when the client is gone.
async fn catch_up(ctx: &ApiContext, sink: &SubscriptionSink, chat: ChatId, last: &mut u64) -> bool {
    loop {
        let page: Vec<ChatEvent> = match ctx.chats.events_after(chat, *last, 500).await {
            Ok(page) => page,
            Err(_) => return false,
        };
        if page.is_empty() {
            return true;
        }
        for e in &page {
            if !notify(sink, &event_info(e)).await {
                return false;
            }
            *last = e.seq;
        }
    }
}

async fn subscribe_workspaces(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::WORKSPACES_SUBSCRIBE.name;
    let p: api::WorkspacesSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut live = ctx.notices.subscribe();
    let only = match &p.workspace {
        None => None,
        Some(w) => match ctx.workspaces.resolve(w).await {
            Ok((_, ws)) => Some(ws.id),
            Err(e) => {
                pending.reject(error_object(NAME, e)).await;
                return Ok(());
            }
        },
    };
    let sink = pending.accept().await?;
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let notice = match notice {
                    Ok(n) => n,
                    // Statuses are state, not history: a lagging client gets the next ones.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return Ok(()),
                };
                let item = match notice {
                    Notice::ChatChanged(c) if only.is_none_or(|w| w == c.workspace_id) => {
                        api::WorkspaceNotice::Chat { chat: chat_info(&c) }
                    }
                    Notice::ChatRemoved(c) if only.is_none_or(|w| w == c.workspace_id) => {
                        api::WorkspaceNotice::ChatRemoved { chat: chat_info(&c) }
                    }
                    Notice::QueueChanged { workspace, chat, queue } if only.is_none_or(|w| w == workspace) => {
                        api::WorkspaceNotice::Queue { chat_id: chat.0, queue: queue.iter().map(queued_info).collect() }
                    }
                    Notice::WorkspaceCreated { project, workspace } if only.is_none_or(|w| w == workspace.id) => {
                        api::WorkspaceNotice::WorkspaceCreated { workspace: workspace_info(project.as_str(), &workspace) }
                    }
                    Notice::WorkspaceRemoved { project, workspace } if only.is_none_or(|w| w == workspace.id) => {
                        api::WorkspaceNotice::WorkspaceRemoved { workspace: workspace_info(project.as_str(), &workspace) }
                    }
                    Notice::LayoutChanged(layout)
                        if match layout.scope {
                            LayoutScope::Global => true,
                            LayoutScope::Workspace(id) => only.is_none_or(|w| w == id),
                        } =>
                    {
                        let Ok(info) = layout_info(layout.scope, Some(&layout)) else { continue };
                        let Some(document) = info.layout else { continue };
                        api::WorkspaceNotice::Layout {
                            workspace_id: info.workspace_id,
                            layout: document,
                            updated_at: layout.updated_at,
                        }
                    }
                    _ => continue,
                };
                if !notify(&sink, &item).await {
                    return Ok(());
                }
            }
        }
    }
}

/// The current state first, then each change. States, not history: a lagging client gets the
/// next one (and the current state is always one `tunnel.status` away).
async fn subscribe_tunnel(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    if let Err(e) = parse_params::<api::NoParams>(api::TUNNEL_SUBSCRIBE.name, &params) {
        pending.reject(e).await;
        return Ok(());
    }
    // Joined before the state is read, so no change falls between the two.
    let mut live = ctx.notices.subscribe();
    let sink = pending.accept().await?;
    if !notify(&sink, &tunnel_info(&ctx.tunnels.status())).await {
        return Ok(());
    }
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let state = match notice {
                    Ok(Notice::TunnelChanged(state)) => state,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => ctx.tunnels.status(),
                    Err(RecvError::Closed) => return Ok(()),
                };
                if !notify(&sink, &tunnel_info(&state)).await {
                    return Ok(());
                }
            }
        }
    }
}

async fn subscribe_terminal(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::TERMINALS_SUBSCRIBE.name;
    let p: api::TerminalsSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut feed = match ctx.terminals.subscribe(TerminalId(p.terminal), p.after) {
        Ok(feed) => feed,
        Err(e) => {
            pending.reject(error_object(NAME, e)).await;
            return Ok(());
        }
    };
    let sink = pending.accept().await?;
    // Bytes of a character cut at the end of a piece, waiting for the rest of it.
    let mut held = TerminalOutput::default();
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            out = feed.next() => {
                let Some(out) = out else {
                    if !held.data.is_empty() && !notify(&sink, &output_item(&held, true)).await {
                        return Ok(());
                    }
                    let _ = notify(&sink, &api::TerminalStreamItem::Exit { terminal: terminal_info(&feed.terminal()) }).await;
                    return Ok(());
                };
                let piece = if held.data.is_empty() {
                    out
                } else if held.end() == out.start {
                    let mut data = std::mem::take(&mut held.data);
                    data.extend_from_slice(&out.data);
                    TerminalOutput { start: held.start, data }
                } else {
                    // A jump in offsets: what was held will never be completed.
                    if !notify(&sink, &output_item(&std::mem::take(&mut held), true)).await {
                        return Ok(());
                    }
                    out
                };
                let text = terminal_output(&piece, false);
                let kept = usize::try_from(text.offset - piece.start).unwrap_or(piece.data.len());
                held = TerminalOutput { start: text.offset, data: piece.data[kept..].to_vec() };
                if kept > 0 {
                    let item = api::TerminalStreamItem::Output { data: text.data, start: text.start, offset: text.offset };
                    if !notify(&sink, &item).await {
                        return Ok(());
                    }
                }
            }
        }
    }
}

fn output_item(out: &TerminalOutput, last: bool) -> api::TerminalStreamItem {
    let api::TerminalOutputInfo { data, start, offset } = terminal_output(out, last);
    api::TerminalStreamItem::Output { data, start, offset }
}
