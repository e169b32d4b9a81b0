//! The server behind the window: band-server embedded in this process on the home, or — when a
//! band-server already runs on that home — that one, attached to. Never two servers on one
//! database: band-server's own lock (`$BAND_HOME/band.lock`, see `band_server::instance`) says
//! which, and the embedded server takes that same lock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use band_core::ports::AgentRuntime;
use band_server::{Config, Running, instance};
use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

use crate::DesktopError;

/// How long a graceful shutdown may take before everything band started is killed.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Where the window's server is.
pub enum Backend {
    /// Ours, in this process; stopping the shell stops it.
    Embedded(Running),
    /// Another process's (a band-server, or a band-desktop on the same home started earlier);
    /// stopping the shell leaves it running.
    Attached { pid: Option<u32> },
}

/// A server the shell can use: its address and the home's token.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub port: u16,
    pub home: PathBuf,
    token: String,
    pub backend: Backend,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Server").field("url", &self.url).field("home", &self.home).finish_non_exhaustive()
    }
}

impl Server {
    /// The main token (for the API client and the window's sign-in; never logged).
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Embedded(_))
    }

    /// Stops an embedded server gracefully: requests finished, chats interrupted (resumable),
    /// agents, terminals and the tunnel stopped, the database checkpointed. If that takes longer
    /// than [`SHUTDOWN_DEADLINE`], every process band started is killed. An attached server is
    /// left alone.
    pub async fn stop(self) {
        let Backend::Embedded(running) = self.backend else { return };
        match tokio::time::timeout(SHUTDOWN_DEADLINE, running.stop()).await {
            Ok(Ok(())) => tracing::info!("band-server stopped"),
            Ok(Err(e)) => tracing::error!(error = %e, "band-server stopped with an error"),
            Err(_) => {
                let killed = band_process::kill_everything_started_here();
                tracing::error!(killed, "band-server did not stop in time; killed what it started");
            }
        }
    }
}

/// Is another process holding the home's lock? (`Some(record)` when one is.)
fn held_by_another(home: &Path) -> Result<Option<instance::Record>, DesktopError> {
    let path = home.join(instance::LOCK_FILE);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DesktopError::Home(format!("cannot open {}: {e}", path.display()))),
    };
    match flock(&file, FlockOperation::NonBlockingLockShared) {
        // Nobody holds it; ours is dropped with the file, before the embedded server takes it.
        Ok(()) => Ok(None),
        Err(Errno::WOULDBLOCK) => Ok(Some(instance::recorded(home).unwrap_or_default())),
        Err(e) => Err(DesktopError::Home(format!(
            "cannot lock {}: {e}; band needs its home on a filesystem that supports flock",
            path.display()
        ))),
    }
}

/// Checks that `home` exists (creating it) and that band can write there, with a message that
/// names the directory.
fn writable_home(home: &Path) -> Result<(), DesktopError> {
    let cannot = |e: std::io::Error| {
        DesktopError::Home(format!(
            "band's home {} is not writable ({e}); choose another with --home or BAND_HOME, or fix its permissions",
            home.display()
        ))
    };
    std::fs::create_dir_all(home).map_err(cannot)?;
    let probe = home.join(format!(".band-desktop-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(cannot)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Starts band-server in this process on `home` (its settings; `port` overrides theirs, 0 picks
/// a free one), or attaches to the one already running there.
///
/// # Errors
/// An unwritable home, bad settings, a port in use, or a running server that does not answer.
pub async fn start_or_attach(
    home: &Path,
    port: Option<u16>,
    agents: Option<Vec<Arc<dyn AgentRuntime>>>,
) -> Result<Server, DesktopError> {
    writable_home(home)?;
    let settings = band_server::settings::load_or_create(home).map_err(|e| DesktopError::Home(e.to_string()))?;
    let token = settings.token().to_owned();
    if let Some(record) = held_by_another(home)? {
        return attach(home, record, token).await;
    }
    let (mut config, _) = Config::for_home(home).map_err(|e| DesktopError::Server(e.to_string()))?;
    if let Some(port) = port {
        config.port = port;
    }
    if config.web_dir.is_none() {
        config.web_dir = packaged_web_dir();
    }
    let started = match agents {
        Some(agents) => band_server::start_with(config, agents).await,
        None => band_server::start(config).await,
    };
    let running = started.map_err(|e| DesktopError::Server(e.to_string()))?;
    let port = running.addr.port();
    Ok(Server {
        url: format!("http://127.0.0.1:{port}"),
        port,
        home: home.to_owned(),
        token,
        backend: Backend::Embedded(running),
    })
}

/// The dashboard's files where the packages put them: `<prefix>/share/band/web`, the shell
/// being `<prefix>/lib/band/band-desktop-shell` (or `<prefix>/bin/...` in the tarball).
fn packaged_web_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("../../share/band/web"), dir.join("../share/band/web")]
        .into_iter()
        .find(|d| d.join("index.html").is_file())
}

/// The server holding the lock: its port (once recorded) and a health check.
async fn attach(home: &Path, first: instance::Record, token: String) -> Result<Server, DesktopError> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut record = first;
    // A server that has just started records its port once it listens.
    while record.port.is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        record = instance::recorded(home).unwrap_or_default();
    }
    let who = record.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
    let Some(port) = record.port else {
        return Err(DesktopError::Server(format!(
            "a band-server is running on {}{who} but has not said which port it listens on; stop it, or use another --home",
            home.display()
        )));
    };
    let url = format!("http://127.0.0.1:{port}");
    let client =
        band_api::client::Client::new(&url, Some(token.clone())).map_err(|e| DesktopError::Server(e.to_string()))?;
    loop {
        match client.health().await {
            Ok(_) => break,
            Err(e) if Instant::now() >= deadline => {
                return Err(DesktopError::Server(format!(
                    "the band-server running on {}{who} does not answer at {url} ({e}); stop it, or use another --home",
                    home.display()
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    tracing::info!(%url, pid = record.pid, "attached to the band-server already running on this home");
    Ok(Server { url, port, home: home.to_owned(), token, backend: Backend::Attached { pid: record.pid } })
}
