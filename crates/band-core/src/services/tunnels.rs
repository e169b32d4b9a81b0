//! The one tunnel: which provider runs it, its state machine (stopped → starting → running →
//! stopped or failed), and the guard's allow-list, which admits the tunnel's exact host only
//! while it runs.
//!
//! Order matters for safety: the host is allowed just before the state says `running` and
//! revoked before the process is stopped or the state says `stopped`/`failed`; so no client can
//! see a running tunnel whose host is refused, and a stopped tunnel's host is refused at once.
//! Every change is announced ([`Notice::TunnelChanged`]).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{CoreError, Fix, Problem};
use crate::ports::{EventSink, HostAllowList, Notice, TunnelExits, TunnelProcess, TunnelProvider};
use crate::tunnel::TunnelState;

#[derive(Clone)]
pub struct Tunnels {
    inner: Arc<Inner>,
}

struct Inner {
    providers: Vec<Arc<dyn TunnelProvider>>,
    default: Option<String>,
    hosts: Arc<dyn HostAllowList>,
    events: Arc<dyn EventSink>,
    slot: Mutex<Slot>,
}

#[derive(Default)]
struct Slot {
    state: TunnelState,
    /// Counts starts and stops, so a late exit or a start that lost a race to a stop is ignored.
    generation: u64,
    process: Option<Arc<dyn TunnelProcess>>,
    /// Why the process exited between printing its URL and `start` returning.
    early_exit: Option<String>,
}

impl Tunnels {
    /// `default` is the provider `start` uses when none is named (settings' `tunnel.provider`).
    pub fn new(
        providers: Vec<Arc<dyn TunnelProvider>>,
        default: Option<String>,
        hosts: Arc<dyn HostAllowList>,
        events: Arc<dyn EventSink>,
    ) -> Self {
        Self { inner: Arc::new(Inner { providers, default, hosts, events, slot: Mutex::default() }) }
    }

    pub fn status(&self) -> TunnelState {
        self.inner.lock().state.clone()
    }

    /// The names of the providers band knows.
    pub fn providers(&self) -> Vec<&'static str> {
        self.inner.providers.iter().map(|p| p.name()).collect()
    }

    /// Starts a tunnel to `target` with `provider` (else the configured default) and returns its
    /// running state, with the public URL.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for an unknown or unconfigured provider or a missing program;
    /// [`CoreError::Conflict`] while a tunnel runs or starts; [`CoreError::Refused`] when the
    /// process failed to give a URL (the state is then `failed`, with the reason).
    pub async fn start(&self, provider: Option<&str>, target: SocketAddr) -> Result<TunnelState, CoreError> {
        let inner = &self.inner;
        let name = match provider.or(inner.default.as_deref()) {
            Some(name) => name,
            None => {
                return Err(CoreError::InvalidInput(
                    format!(
                        "no tunnel provider chosen: set tunnel.provider in settings.json or name one ({})",
                        self.providers().join(", ")
                    )
                    .into(),
                ));
            }
        };
        let Some(chosen) = inner.providers.iter().find(|p| p.name() == name).cloned() else {
            return Err(CoreError::InvalidInput(
                format!("unknown tunnel provider '{name}'; choose one of: {}", self.providers().join(", ")).into(),
            ));
        };
        let generation = {
            let mut slot = inner.lock();
            match &slot.state {
                TunnelState::Running { url, provider, .. } => {
                    return Err(CoreError::Conflict(
                        Problem::new(format!("a {provider} tunnel is already running at {url}")).fix(Fix::StopTunnel),
                    ));
                }
                TunnelState::Starting { provider } => {
                    return Err(CoreError::Conflict(
                        Problem::new(format!("a {provider} tunnel is starting; wait for it")).fix(Fix::StopTunnel),
                    ));
                }
                TunnelState::Stopped | TunnelState::Failed { .. } => {}
            }
            slot.generation += 1;
            slot.early_exit = None;
            slot.state = TunnelState::Starting { provider: name.to_owned() };
            inner.announce(&slot.state);
            slot.generation
        };
        let exits = Arc::new(Exits { inner: Arc::downgrade(inner), generation });
        let result = chosen.start(target, exits).await;
        // Decided under the lock; a process to stop is stopped after it is released.
        let (outcome, discard) = {
            let mut slot = inner.lock();
            match result {
                Ok(started) if slot.generation == generation => {
                    if let Some(reason) = slot.early_exit.take() {
                        let error = format!("the tunnel exited as soon as it started: {reason}");
                        slot.state = TunnelState::Failed { provider: name.to_owned(), error: error.clone() };
                        inner.announce(&slot.state);
                        (Err(CoreError::Refused(error.into())), Some(started.process))
                    } else {
                        inner.hosts.allow(&started.url);
                        slot.state = TunnelState::Running {
                            provider: name.to_owned(),
                            url: started.url,
                            since: started.started_at,
                        };
                        slot.process = Some(Arc::from(started.process));
                        inner.announce(&slot.state);
                        (Ok(slot.state.clone()), None)
                    }
                }
                // Stopped while it was starting: it never becomes reachable.
                Ok(started) => (
                    Err(CoreError::Conflict("the tunnel was stopped while it was starting".into())),
                    Some(started.process),
                ),
                Err(e) => {
                    let e = CoreError::from(e);
                    if slot.generation == generation {
                        slot.state = TunnelState::Failed { provider: name.to_owned(), error: e.to_string() };
                        inner.announce(&slot.state);
                    }
                    (Err(e), None)
                }
            }
        };
        if let Some(process) = discard {
            process.stop().await;
        }
        outcome
    }

    /// Stops the tunnel (idempotent): its host is refused from now on, then its process is
    /// stopped. Returns the new state, `stopped`.
    pub async fn stop(&self) -> TunnelState {
        let inner = &self.inner;
        let process = {
            let mut slot = inner.lock();
            if let TunnelState::Running { url, .. } = &slot.state {
                inner.hosts.revoke(url);
            }
            let changed = slot.state != TunnelState::Stopped;
            slot.generation += 1;
            slot.state = TunnelState::Stopped;
            if changed {
                inner.announce(&slot.state);
            }
            slot.process.take()
        };
        if let Some(process) = process {
            process.stop().await;
        }
        TunnelState::Stopped
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn announce(&self, state: &TunnelState) {
        self.events.publish(Notice::TunnelChanged(state.clone()));
    }
}

/// The exit callback of one start; stale once the tunnel was stopped or started again.
struct Exits {
    inner: std::sync::Weak<Inner>,
    generation: u64,
}

#[async_trait]
impl TunnelExits for Exits {
    async fn on_exit(&self, reason: String) {
        let Some(inner) = self.inner.upgrade() else { return };
        let mut slot = inner.lock();
        if slot.generation != self.generation {
            return;
        }
        if matches!(slot.state, TunnelState::Starting { .. }) {
            slot.early_exit = Some(reason);
            return;
        }
        let TunnelState::Running { provider, url, .. } = &slot.state else { return };
        inner.hosts.revoke(url);
        slot.state = TunnelState::Failed { provider: provider.clone(), error: format!("the tunnel exited: {reason}") };
        slot.process = None;
        inner.announce(&slot.state);
    }
}
