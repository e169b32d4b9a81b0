//! The tunnel port: a process (cloudflared, bore...) that makes this server reachable at a
//! public URL. The adapter owns the process; band-core owns the state machine, which tunnel may
//! run, and the allow-list of hosts that follows it.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::TunnelError;
use crate::model::Millis;
use crate::tunnel::TunnelUrl;

/// One way of opening a tunnel.
#[async_trait]
pub trait TunnelProvider: Send + Sync {
    /// The name users choose it by (`cloudflared`, `cloudflared-named`, `bore`).
    fn name(&self) -> &'static str;

    /// Starts a tunnel to `target` (this server's own address) and returns once its public URL is
    /// known. The process runs in a process group of its own. If it later exits without
    /// [`TunnelProcess::stop`] having been called, the adapter MUST call `exits.on_exit` once, with
    /// a reason fit to show a person (its exit status and last lines of output).
    ///
    /// # Errors
    /// [`TunnelError::BinaryMissing`] saying how to install the program;
    /// [`TunnelError::NotConfigured`] naming the missing setting; [`TunnelError::Failed`] when the
    /// process exited or printed no URL in time (nothing of it is left running then).
    async fn start(&self, target: SocketAddr, exits: Arc<dyn TunnelExits>) -> Result<StartedTunnel, TunnelError>;
}

/// A tunnel whose URL is known.
pub struct StartedTunnel {
    pub url: TunnelUrl,
    pub started_at: Millis,
    pub process: Box<dyn TunnelProcess>,
}

/// A running tunnel's process.
#[async_trait]
pub trait TunnelProcess: Send + Sync {
    /// TERM to its group, a grace period, KILL: nothing of it is left when this returns.
    /// Idempotent. After it, `on_exit` is not called.
    async fn stop(&self);
}

/// Told when a tunnel's process exits on its own.
#[async_trait]
pub trait TunnelExits: Send + Sync {
    async fn on_exit(&self, reason: String);
}

/// The hosts (and origins) the server's guard admits besides its own loopback names.
///
/// Implementations MUST take effect before returning: a request that arrives after `allow`
/// returned is admitted, one after `revoke` returned is refused.
pub trait HostAllowList: Send + Sync {
    /// Admits requests whose Host is exactly `url`'s host (and port), and the origin
    /// [`TunnelUrl::origin`].
    fn allow(&self, url: &TunnelUrl);
    fn revoke(&self, url: &TunnelUrl);
}
