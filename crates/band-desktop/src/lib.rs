//! band-desktop: the desktop shell. A composition root beside band-server and the CLI: it embeds
//! band-server (`band_server` as a library) on the same home and settings — or attaches to the
//! band-server already running on that home, never a second server on one database — and shows
//! the dashboard in a window (wry's webview: WebKitGTK on Linux), signed in by the shell itself.
//! It adds what only the operating system can do, offered to the embedded dashboard alone
//! ([`bridge`]): a native folder picker, reveal in the file manager, open in the person's editor,
//! the clipboard, links in the default browser; a tray icon with the agents working and waiting;
//! notifications; a question before quitting while agents work; installing the CLI.
//!
//! Two binaries: `band-desktop`, a launcher that links no GUI library and names the package to
//! install when the webview's library is missing, and `band-desktop-shell`, this library's
//! [`shell_main`].

pub mod backend;
pub mod bridge;
pub mod cli;
pub mod editor;
pub mod geometry;
pub mod launch;
pub mod libs;
pub mod os;
pub mod shell;
pub mod single;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// What keeps the shell from starting, in words for the person who started it.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// band's home cannot be used.
    #[error("{0}")]
    Home(String),
    /// The server could not be started or attached to.
    #[error("{0}")]
    Server(String),
    /// No window or webview.
    #[error("{0}")]
    Window(String),
}

/// band-desktop: band in a window, with band-server inside.
#[derive(Debug, Parser)]
#[command(name = "band-desktop", version, about)]
pub struct Args {
    /// Port for the embedded server (default: webServerPort in settings.json, else 3456; 0 picks
    /// a free one). Ignored when a band-server already runs on the home: the shell attaches to it.
    #[arg(long, env = "BAND_PORT")]
    pub port: Option<u16>,
    /// band's home directory (default: $BAND_HOME, else ~/.band).
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Link `band` (the CLI) into ~/.local/bin, say what was done, and exit.
    #[arg(long)]
    pub install_cli: bool,
}

/// `band-desktop-shell`'s main.
pub fn shell_main() -> ExitCode {
    let started = Instant::now();
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BAND_LOG").unwrap_or_else(|_| "info,jsonrpsee=warn".into()),
        )
        .init();
    if args.install_cli {
        return match cli::install_default() {
            Ok(said) => {
                println!("{said}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("band-desktop: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let home = args.home.unwrap_or_else(band_server::default_home);
    let single = match single::take(&home) {
        Ok(single::Taken::First(single)) => single,
        Ok(single::Taken::Shown { pid }) => {
            let pid = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            println!("band-desktop is already running on {}{pid}: its window is shown", home.display());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("band-desktop: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = shell::Options { home, port: args.port, os: os::Os::native(), agents: None, started };
    match shell::run(options, single, None) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("band-desktop: {e}");
            ExitCode::FAILURE
        }
    }
}
