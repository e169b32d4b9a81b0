//! A tunnel provider a test plays ([`FakeTunnels`]), and an allow-list that records what the
//! tunnel service admits ([`RecordingHosts`]).

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use band_core::ports::{HostAllowList, StartedTunnel, TunnelExits, TunnelProcess, TunnelProvider};
use band_core::{TunnelError, TunnelUrl};

/// What the next start does: give this URL, give it but exit (with this reason) before start
/// returns, or fail with this error.
pub enum FakeStart {
    Url(&'static str),
    UrlThenExit(&'static str, &'static str),
    Fail(TunnelError),
}

/// A provider whose starts follow a script. It remembers the targets it was given, how many
/// tunnels were stopped, and the exit callback of the last start, so a test can crash it.
pub struct FakeTunnels {
    name: &'static str,
    script: Mutex<VecDeque<FakeStart>>,
    pub targets: Mutex<Vec<SocketAddr>>,
    stops: Arc<AtomicUsize>,
    exits: Mutex<Option<Arc<dyn TunnelExits>>>,
}

impl FakeTunnels {
    pub fn new(name: &'static str, script: impl IntoIterator<Item = FakeStart>) -> Arc<Self> {
        Arc::new(Self {
            name,
            script: Mutex::new(script.into_iter().collect()),
            targets: Mutex::default(),
            stops: Arc::default(),
            exits: Mutex::default(),
        })
    }

    /// How many of its tunnels were stopped.
    pub fn stops(&self) -> usize {
        self.stops.load(Ordering::SeqCst)
    }

    /// The last tunnel's process exits on its own with `reason`.
    pub async fn crash(&self, reason: &str) {
        let exits = self.exits.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(exits) = exits {
            exits.on_exit(reason.to_owned()).await;
        }
    }
}

struct FakeProcess(Arc<AtomicUsize>);

#[async_trait]
impl TunnelProcess for FakeProcess {
    async fn stop(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl TunnelProvider for FakeTunnels {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn start(&self, target: SocketAddr, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError> {
        self.targets.lock().unwrap_or_else(|p| p.into_inner()).push(target);
        let next = self.script.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        match next {
            Some(FakeStart::Url(url)) => {
                *self.exits.lock().unwrap_or_else(|p| p.into_inner()) = Some(exits);
                let url = TunnelUrl::parse(url).map_err(TunnelError::Failed)?;
                Ok(StartedTunnel { url, started_at: 1_000, process: Box::new(FakeProcess(self.stops.clone())) })
            }
            Some(FakeStart::UrlThenExit(url, reason)) => {
                exits.on_exit(reason.to_owned()).await;
                let url = TunnelUrl::parse(url).map_err(TunnelError::Failed)?;
                Ok(StartedTunnel { url, started_at: 1_000, process: Box::new(FakeProcess(self.stops.clone())) })
            }
            Some(FakeStart::Fail(e)) => Err(e),
            None => Err(TunnelError::Failed("the fake's script has no more starts".into())),
        }
    }
}

/// Records the origins allowed right now.
#[derive(Default)]
pub struct RecordingHosts(Mutex<BTreeSet<String>>);

impl RecordingHosts {
    pub fn allowed(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}

impl HostAllowList for RecordingHosts {
    fn allow(&self, url: &TunnelUrl) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(url.origin());
    }
    fn revoke(&self, url: &TunnelUrl) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&url.origin());
    }
}
