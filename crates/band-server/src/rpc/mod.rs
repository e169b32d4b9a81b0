//! The JSON-RPC edge: the jsonrpsee module serving [`band_api`] from band-core's services.
//! Params are parsed into domain values here; every [`CoreError`] becomes a JSON-RPC error here
//! and nowhere else ([`error_object`]); internal errors are logged and reach clients only as an
//! opaque message. [`methods`] registers each method, [`subscriptions`] the live feeds,
//! [`convert`] turns domain records into wire types, [`notices`] is the broadcast they follow.
//!
//! `tunnel.subscribe` sends the tunnel's state, then each change; `cronjobs.subscribe` the
//! scheduler's changes to jobs and runs (`cronjobs`).
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
//! the one the method was classified with in band-api's `methods!` (a request without a caller
//! is refused). Device and token management is behind the [`Access`] port, which band-server
//! implements.
//!
//! `terminals.subscribe` replays a terminal's scrollback after a byte offset and follows its
//! output live (the adapter's feed guarantees each byte once, in order); output travels as text,
//! a character cut at a chunk's end is held back until it is whole, and a last `exit` item ends
//! the subscription.

mod convert;
mod cronjobs;
mod fs;
mod methods;
pub mod notices;
mod overview;
mod policies;
mod subscriptions;
pub mod transport;

pub use convert::{device_scope_info, scope_info, terminal_info};
pub use subscriptions::Hangup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use band_core::services::{
    Agents, Caller, Chats, Cronjobs, Files, Layouts, ProjectSetup, Projects, Pulls, Reviews, Terminals, Tunnels,
    Watches, WorkspaceTeardown, Workspaces,
};
use band_core::{CoreError, Fix, ListOf, Problem, Scope};
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{PendingSubscriptionSink, RpcModule};

use band_api::{self as api, Method, codes};
use notices::Broadcast;

/// How long a subscriber may leave a notification unread before it is dropped.
pub const SLOW_CLIENT: Duration = Duration::from_secs(10);

/// What the API methods act on.
pub struct ApiContext {
    /// Access policy (band-core) and its HTTP edge (live sockets, rotation's count).
    pub auth: Arc<crate::access::Auth>,
    pub projects: Projects,
    pub workspaces: Arc<Workspaces>,
    pub chats: Chats,
    pub agents: Arc<Agents>,
    pub files: Arc<Files>,
    pub layouts: Layouts,
    /// Review comments on workspaces' diffs, and their delivery to a chat.
    pub reviews: Reviews,
    /// Pull requests through the GitHub CLI.
    pub pulls: Pulls,
    /// Live watches of workspaces' files, while someone follows them.
    pub watches: Watches,
    pub terminals: Terminals,
    pub teardown: WorkspaceTeardown,
    /// Project configuration, approvals, and setup and teardown scripts.
    pub setup: ProjectSetup,
    /// Facts, archive and restore, clean-up.
    pub lifecycle: band_core::services::Lifecycle,
    /// `retention.archiveIdleDays` (what workspaces.gc uses when not told).
    pub retention_days: Option<u32>,
    pub tunnels: Tunnels,
    pub cronjobs: Cronjobs,
    /// Policies and the audit of agent actions.
    pub policies: band_core::services::Policies,
    pub notices: Arc<Broadcast>,
    pub settings: api::SettingsInfo,
    /// What settings.set changes while the server runs.
    pub live: Arc<crate::live::LiveSettings>,
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
    methods::projects(&mut m)?;
    methods::workspaces(&mut m)?;
    methods::agents(&mut m)?;
    methods::chats(&mut m)?;
    methods::queue(&mut m)?;
    methods::files(&mut m)?;
    methods::layout(&mut m)?;
    methods::reviews(&mut m)?;
    methods::pulls(&mut m)?;
    methods::terminals(&mut m)?;
    methods::tunnel(&mut m)?;
    cronjobs::methods(&mut m)?;
    policies::methods(&mut m)?;
    overview::methods(&mut m)?;
    fs::methods(&mut m)?;
    add::<api::SettingsGet, _, _>(&mut m, |c, _| async move { Ok(c.live.info(&c.settings)) })?;
    add::<api::SettingsSet, _, _>(&mut m, |c, p| async move { c.live.set(&p.key, &p.value) })?;
    add::<api::Discover, _, _>(&mut m, |_, _| async move { Ok(api::openrpc()) })?;
    methods::access(&mut m)?;
    subscription(&mut m, &api::CHATS_SUBSCRIBE, subscriptions::subscribe_chat)?;
    subscription(&mut m, &api::WORKSPACES_SUBSCRIBE, subscriptions::subscribe_workspaces)?;
    subscription(&mut m, &api::TUNNEL_SUBSCRIBE, subscriptions::subscribe_tunnel)?;
    subscription(&mut m, &api::WORKSPACES_WATCH, subscriptions::watch_workspace)?;
    subscription(&mut m, &api::TERMINALS_SUBSCRIBE, subscriptions::subscribe_terminal)?;
    subscription(&mut m, &api::CRONJOBS_SUBSCRIBE, cronjobs::subscribe)?;
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
            if let Err(e) = admit(&ctx, &ext, doc.name, convert::scope(doc.scope)) {
                pending.reject(e).await;
                return Ok(());
            }
            subscriptions::with_hangup(&ext, run(params, pending, ctx)).await
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
    caller.allows(name, needs).map_err(|problem| {
        ctx.auth.refusal(
            band_core::AuditKind::Refused,
            Some(caller.clone()),
            format!("{name}: needs {} access", needs.as_str()),
        );
        problem_object(api::ErrorKind::Forbidden, problem)
    })?;
    Ok(caller.clone())
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
            let caller = admit(&ctx, &ext, M::NAME, convert::scope(M::SCOPE))?;
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
            format!("{method} takes its params by name, as an object; see rpc.discover for its params"),
            None::<()>,
        ));
    }
    serde_json::from_str(raw).map_err(|e| {
        ErrorObjectOwned::owned(codes::INVALID_PARAMS, format!("invalid params for {method}: {e}"), None::<()>)
    })
}

/// The one place domain errors become JSON-RPC errors: the code of the kind, the facts and the
/// fix in the API's words as the message, the same as [`api::ErrorData`]. Internal errors are
/// logged and reach the client only as an opaque message.
pub fn error_object(method: &str, e: CoreError) -> ErrorObjectOwned {
    let (kind, problem) = match e {
        CoreError::InvalidInput(p) => (api::ErrorKind::InvalidInput, p),
        CoreError::NotFound(p) => (api::ErrorKind::NotFound, p),
        CoreError::Conflict(p) => (api::ErrorKind::Conflict, p),
        CoreError::Refused(p) => (api::ErrorKind::Refused, p),
        CoreError::Internal(source) => {
            tracing::error!(method, error = %source, "internal error");
            let what = "internal error; the server's log has the details";
            return ErrorObjectOwned::owned(
                codes::INTERNAL,
                what,
                Some(api::ErrorData { kind: api::ErrorKind::Internal, what: what.into(), fix: None }),
            );
        }
    };
    problem_object(kind, problem)
}

/// A problem as a JSON-RPC error of `kind`. Facts longer than [`MAX_WHAT`] are cut: a request
/// that carried a megabyte does not get it echoed back.
pub fn problem_object(kind: api::ErrorKind, mut problem: Problem) -> ErrorObjectOwned {
    if problem.what.len() > MAX_WHAT {
        let mut end = MAX_WHAT;
        while !problem.what.is_char_boundary(end) {
            end -= 1;
        }
        let total = problem.what.len();
        problem.what.truncate(end);
        problem.what.push_str(&format!("… (cut; {total} bytes)"));
    }
    let fix = problem.fix.map(fix_info);
    let message = api::errors::message(&problem.what, fix.as_ref().map(api::ErrorFix::api_words));
    ErrorObjectOwned::owned(kind.code(), message, Some(api::ErrorData { kind, what: problem.what, fix }))
}

/// The longest facts an error carries.
pub const MAX_WHAT: usize = 1024;

/// A problem's message as the API words it (for HTTP refusals outside JSON-RPC).
pub fn problem_message(problem: &Problem) -> String {
    api::errors::message(&problem.what, problem.fix.clone().map(|f| fix_info(f).api_words()))
}

/// A fix on the wire.
pub fn fix_info(fix: Fix) -> api::ErrorFix {
    use api::ErrorFix as F;
    match fix {
        Fix::SeeList(of) => F::SeeList {
            of: match of {
                ListOf::Projects => api::ListOf::Projects,
                ListOf::Workspaces => api::ListOf::Workspaces,
                ListOf::Chats => api::ListOf::Chats,
                ListOf::Terminals => api::ListOf::Terminals,
                ListOf::Devices => api::ListOf::Devices,
                ListOf::Agents => api::ListOf::Agents,
                ListOf::Cronjobs => api::ListOf::Cronjobs,
            },
        },
        Fix::ChooseName => F::ChooseName {},
        Fix::CommitOrForce => F::CommitOrForce {},
        Fix::MergeOrForce => F::MergeOrForce {},
        Fix::RemoveWorkspacesFirst { project } => F::RemoveWorkspacesFirst { project },
        Fix::RemoveWorkspaceForced { workspace } => F::RemoveWorkspaceForced { workspace },
        Fix::StopChat { chat } => F::StopChat { chat },
        Fix::KillTerminal { terminal } => F::KillTerminal { terminal },
        Fix::StopTunnel => F::StopTunnel {},
        Fix::NameRequest => F::NameRequest {},
        Fix::PairAgain { scope } => F::PairAgain { scope: convert::scope_info(scope) },
        Fix::UseMainToken => F::UseMainToken {},
        Fix::NewPairingCode => F::NewPairingCode {},
        Fix::ApproveScripts { project } => F::ApproveScripts { project },
        Fix::RestoreWorkspace { workspace } => F::RestoreWorkspace { workspace },
        Fix::SetUpGh { signed_out } => F::SetUpGh { signed_out },
        Fix::InstallAgent { agent, install } => F::InstallAgent {
            agent: api::AgentId(agent.to_string()),
            install: install.as_ref().map(convert::install_info),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_reaches_the_client_only_as_an_opaque_message() {
        let secret = "disk I/O error at /home/me/.band/band.db page 42";
        let e = error_object("chats.send", CoreError::Internal(secret.into()));
        assert_eq!(e.code(), codes::INTERNAL);
        assert_eq!(e.message(), "internal error; the server's log has the details");
        let data = e.data().map(|d| d.get().to_owned()).unwrap_or_default();
        assert!(!data.contains("band.db") && !e.message().contains("band.db"), "{data}");
        assert_eq!(serde_json::from_str::<api::ErrorData>(&data).map(|d| d.kind).ok(), Some(api::ErrorKind::Internal));
    }

    #[test]
    fn a_problem_carries_its_facts_and_fix_as_data_and_the_api_words_in_the_message() {
        let p = Problem::new("no workspace 'x'").fix(Fix::SeeList(ListOf::Workspaces));
        let e = error_object("workspaces.get", CoreError::NotFound(p));
        assert_eq!((e.code(), e.message()), (codes::NOT_FOUND, "no workspace 'x'; see workspaces.list"));
        let data: api::ErrorData = serde_json::from_str(e.data().map(|d| d.get()).unwrap_or("null")).expect("data");
        assert_eq!(data.what, "no workspace 'x'");
        assert_eq!(data.fix, Some(api::ErrorFix::SeeList { of: api::ListOf::Workspaces }));
        // A megabyte of facts is cut.
        let e = error_object("x", CoreError::InvalidInput(Problem::new("y".repeat(1 << 20))));
        assert!(
            e.message().len() < MAX_WHAT + 64 && e.message().ends_with("(cut; 1048576 bytes)"),
            "{}",
            e.message().len()
        );
    }
}
