//! `band-server`: parse flags, resolve the configuration, serve until SIGTERM/SIGINT.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use band_server::{Band, Config, StartError};
use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};

/// band-server: a local-first control room for AI coding agents.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (default: webServerPort in settings.json, else 3456; 0 picks a free one).
    #[arg(long, env = "BAND_PORT")]
    port: Option<u16>,
    /// Address to listen on (default 127.0.0.1). Anything else exposes band to your network.
    #[arg(long, env = "BAND_BIND")]
    bind: Option<IpAddr>,
    /// band's home directory (default: $BAND_HOME, else ~/.band).
    #[arg(long)]
    home: Option<PathBuf>,
}

/// How long shutdown may take before the process exits anyway.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BAND_LOG").unwrap_or_else(|_| "info,jsonrpsee=warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("band-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("band-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), StartError> {
    // Signals are ours before anything else happens: a SIGTERM while the database opens or right
    // after the listener is bound is a shutdown, not a kill.
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return Err(StartError::Config("cannot install the signal handlers".into()));
    };
    let home = args.home.unwrap_or_else(band_server::default_home);
    let (mut config, _settings): (Config, _) = Config::for_home(&home)?;
    if let Some(port) = args.port {
        config.port = port;
    }
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    let band = Band::open(config).await?;
    let listener = band.bind().await?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    // On stderr, through the log.
    if let Some(warning) = band_server::lan_warning(addr, band.allowed_hosts()) {
        tracing::warn!("{warning}");
    }
    let host = if addr.ip().is_loopback() { format!("127.0.0.1:{}", addr.port()) } else { addr.to_string() };
    say(&format!("band-server {} listening on http://{host}", band_server::VERSION));
    // On stdout only, never in the log: this link signs a browser in.
    say(&format!("dashboard: http://{host}/?token={}", band.token()));
    say(&format!("home: {}", band.config().home.display()));

    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::info!("shutting down (a second signal forces exit)");
        let _ = first_tx.send(());
        tokio::select! {
            _ = term.recv() => tracing::warn!("second signal: exiting now"),
            _ = int.recv() => tracing::warn!("second signal: exiting now"),
            () = tokio::time::sleep(SHUTDOWN_DEADLINE) => tracing::error!("shutdown deadline passed"),
        }
        // No time left for TERM and a grace period: nothing band started may outlive it. Chats
        // left working are marked interrupted at the next start.
        let killed = band_process::kill_everything_started_here();
        if killed > 0 {
            tracing::warn!(killed, "killed the processes of agents, terminals, the tunnel and git");
        }
        std::process::exit(130);
    });
    band.serve(listener, async move {
        let _ = first_rx.await;
    })
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// A line on stdout. A reader that went away (`band-server | head -1`) is no reason to stop
/// serving: `println!` would panic on the broken pipe, so the error is ignored.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
