//! band-mockmodel: runs the scripted mock model server by hand, to try an agent CLI against it.
//!
//! Prints the URL on stdout, then one JSON line per request it receives (with what it served)
//! until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use band_mockmodel::{MockModel, Scenario};
use clap::Parser;

/// A scripted mock model (Anthropic Messages + OpenAI Responses) on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "band-mockmodel")]
struct Args {
    /// Scenario file: {"turns": [{"text": "...", "tool_calls": [{"name": "...", "input": {...}}], "delay_ms": 0}]}.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Print only the path and what was served, not whole request bodies.
    #[arg(long)]
    brief: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let scenario = match &args.scenario {
        None => Scenario::default(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<Scenario>(&text).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("band-mockmodel: cannot read scenario {}: {e}", path.display());
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let mock = match MockModel::bind(scenario, SocketAddr::from(([127, 0, 0, 1], args.port))).await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("band-mockmodel: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("{}", mock.url());
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("band-mockmodel: cannot listen for SIGTERM: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut printed = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        let stop = tokio::select! {
            _ = tokio::signal::ctrl_c() => true,
            _ = terminate.recv() => true,
            _ = tick.tick() => false,
        };
        // Only the new ones: copying every request (each with its whole conversation) ten times a
        // second kept a core busy for minutes after a long benchmark chat.
        for r in mock.requests_since(printed) {
            printed += 1;
            let line = if args.brief {
                serde_json::json!({"api": r.api, "method": r.method, "path": r.path, "served": r.served})
            } else {
                serde_json::to_value(r).unwrap_or_default()
            };
            println!("{line}");
        }
        if stop {
            break;
        }
    }
    mock.stop().await;
    std::process::ExitCode::SUCCESS
}
