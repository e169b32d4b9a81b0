//! `band tunnel ...`: a public URL for this band-server (cloudflared or bore).

use band_api as api;
use clap::Subcommand;

use crate::output::Printer;
use crate::{Caller, Failure};

#[derive(Subcommand)]
pub enum TunnelCmd {
    /// Start the tunnel and print its public URL (alone, on stdout).
    Start {
        /// cloudflared (a quick tunnel), cloudflared-named or bore (default: tunnel.provider in
        /// settings.json, else cloudflared).
        #[arg(long)]
        provider: Option<api::TunnelProvider>,
    },
    /// Stop the tunnel; its host is refused from then on.
    Stop,
    /// Show the tunnel's state: stopped, starting, running (with its URL) or failed (with why).
    Status,
}

pub async fn run(cmd: TunnelCmd, call: &Caller<'_>, out: &Printer) -> Result<(), Failure> {
    match cmd {
        TunnelCmd::Start { provider } => {
            let t = call.call::<api::TunnelStart>(api::TunnelStartParams { provider }).await?;
            out.tunnel_started(&t)
        }
        TunnelCmd::Stop => out.tunnel(&call.call::<api::TunnelStop>(api::NoParams {}).await?),
        TunnelCmd::Status => out.tunnel(&call.call::<api::TunnelStatus>(api::NoParams {}).await?),
    }
}
