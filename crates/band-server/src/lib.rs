//! band-server: the composition root. It reads the settings, opens the SQLite store and the git
//! adapter, builds band-core's services on them, and serves the JSON-RPC API (HTTP POST and
//! WebSocket at `/rpc`), workspace files as raw bytes (`/workspaces/{id}/raw/{path}`, see [`raw`]),
//! terminals' raw byte streams ([`terminal_ws`], `/terminals/{id}/ws`), the dashboard's pages and
//! `/health` on one port, behind [`guard`].
//!
//! The server is embeddable: [`Band::open`] then [`Band::serve`] on any bound listener, so tests
//! and the desktop shell run it in-process; `main.rs` only parses flags and handles signals.
//!
//! Invariants: nothing is routed before the guard has checked Host, Origin and the token; the
//! token never appears in a log line, a URL or an error body; on shutdown the database is
//! checkpointed after the last request finished; every terminal, agent and tunnel is stopped on
//! the way out.

mod accept;
pub mod access;
pub mod cron;
pub mod guard;
pub mod instance;
pub mod live;
pub mod raw;
pub mod rpc;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod terminal_ws;
pub mod transcripts;
pub mod web;
pub mod webhooks;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use band_api as api;
use band_core::ports::TunnelProvider;
use band_core::ports::{AgentRuntime, EventSink, GitRepos, ProjectStore, WorkspaceFiles, WorkspaceStore};
use band_core::services::{
    ChatPorts, Chats, CronPorts, Cronjobs, Files, Layouts, ProjectSetup, Projects, Pulls, Reviews, SetupPorts,
    Terminals, Tunnels, Watches, WorkspaceTeardown, Workspaces,
};
use band_core::{agent_env, terminal_env};
use band_process::Supervisor;
use rpc::notices::Broadcast;
use rpc::{ApiContext, module};

pub use guard::Guard;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use rpc::transport::MAX_REQUEST_BYTES;

/// Where band keeps its state, and how it listens. Resolved from flags, environment and
/// settings by the binary (or given directly by tests).
#[derive(Debug, Clone)]
pub struct Config {
    pub home: PathBuf,
    pub bind: IpAddr,
    pub port: u16,
    pub worktrees_dir: PathBuf,
    /// The built dashboard (`web/dist`); `None` serves a page saying how to build it.
    pub web_dir: Option<PathBuf>,
    /// How long a connection may take to send a request's headers, and stay idle between
    /// requests, before it is closed ([`HEADER_TIMEOUT`]).
    pub header_timeout: Duration,
}

/// The default [`Config::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

impl Config {
    /// An embedded server on `home`, ignoring its settings' port and bind: 127.0.0.1 on a free
    /// port, worktrees under `<home>/worktrees`, no dashboard files (tests, the desktop shell).
    pub fn local(home: &Path) -> Self {
        Self {
            home: home.to_owned(),
            bind: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 0,
            worktrees_dir: home.join("worktrees"),
            web_dir: None,
            header_timeout: HEADER_TIMEOUT,
        }
    }

    /// Defaults for a home directory: port and bind from its settings (if any), else
    /// 127.0.0.1:3456; worktrees under `<home>/worktrees`.
    ///
    /// # Errors
    /// Unreadable settings, or a `bind` value that is not an IP address.
    pub fn for_home(home: &Path) -> Result<(Self, settings::Settings), StartError> {
        let settings = settings::load_or_create(home)?;
        let bind_text = settings.bind.clone().unwrap_or_else(|| settings::DEFAULT_BIND.to_owned());
        let bind = bind_text.parse().map_err(|_| {
            StartError::Config(format!("bind '{bind_text}' in settings.json is not an IP address (e.g. 127.0.0.1)"))
        })?;
        let worktrees_dir =
            settings.worktrees_dir.as_deref().map(|d| expand_home(d, home)).unwrap_or_else(|| home.join("worktrees"));
        let port = settings.web_server_port.unwrap_or(settings::DEFAULT_PORT);
        let web_dir = web::default_dir();
        Ok((
            Self { home: home.to_owned(), bind, port, worktrees_dir, web_dir, header_timeout: HEADER_TIMEOUT },
            settings,
        ))
    }
}

fn expand_home(dir: &str, band_home: &Path) -> PathBuf {
    match dir.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| band_home.to_owned()).join(rest),
        None => PathBuf::from(dir),
    }
}

/// `$BAND_HOME`, else `~/.band`.
pub fn default_home() -> PathBuf {
    if let Some(h) = std::env::var_os("BAND_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".")).join(".band")
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    #[error("{0}")]
    Config(String),
    #[error("cannot open the database: {0}")]
    Store(#[from] band_core::StoreError),
    #[error("cannot listen on {addr}: {source}{hint}")]
    Listen { addr: SocketAddr, source: std::io::Error, hint: &'static str },
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Brings git and band into agreement after a stop that came between a git change and the
/// database's (see `Workspaces::reconcile`), before anything is served; says in the log what it
/// found. Never fatal: a project that cannot be reconciled is reported and the server starts.
async fn reconcile(workspaces: &Workspaces) {
    let projects = match workspaces.reconcile().await {
        Ok(projects) => projects,
        Err(e) => {
            tracing::warn!(error = %e, "could not reconcile workspaces with git");
            return;
        }
    };
    for (project, outcome) in projects {
        let done = match outcome {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(project = %project, error = %e, "could not reconcile the project's workspaces with git");
                continue;
            }
        };
        for ws in &done.adopted {
            tracing::warn!(
                project = %project, branch = %ws.branch, path = %ws.path.display(),
                "adopted a worktree band made but had not recorded (the last run stopped in between)"
            );
        }
        for ws in &done.missing {
            tracing::warn!(
                project = %project, branch = %ws.branch, path = %ws.path.display(),
                "the workspace's worktree is gone; it is listed as missing and can be removed"
            );
        }
        for (path, why) in &done.unknown {
            tracing::warn!(
                project = %project, path = %path.display(), reason = %why,
                "a worktree in band's directory is not a workspace; left as it is"
            );
        }
        for path in &done.discarded {
            tracing::warn!(
                project = %project, path = %path.display(),
                "removed a worktree whose git worktree add was cut off (the last run stopped in between); its branch is kept"
            );
        }
        if done.pruned {
            tracing::info!(project = %project, "dropped git's entries of worktrees whose directories are gone");
        }
    }
}

/// A ready-to-serve band: settings, store, git and services wired together.
pub struct Band {
    config: Config,
    token: String,
    store: Arc<band_store::SqliteStore>,
    auth: Arc<access::Auth>,
    api: Option<ApiContext>,
    chats: Chats,
    files: Arc<Files>,
    terminals: Terminals,
    tunnels: Tunnels,
    cronjobs: Cronjobs,
    /// Checked at start; their tasks start with serving.
    webhooks: Vec<webhooks::Webhook>,
    setup: ProjectSetup,
    lifecycle: band_core::services::Lifecycle,
    /// `retention.archiveIdleDays`, when set.
    retention_days: Option<u32>,
    /// What the guard admits besides loopback: the tunnel's host while it runs, LAN names.
    allowed: Arc<guard::Allowed>,
    allowed_hosts: Vec<String>,
    notices: Arc<Broadcast>,
    /// `agentIdleTimeoutSeconds` (0: never), as settings.set leaves it.
    idle_seconds: Arc<std::sync::atomic::AtomicU64>,
    /// The home's lock, held while this server lives.
    instance: instance::Instance,
    /// The terminal agents' runtime, which takes their hooks (`POST /notify`).
    terminal_agents: Option<Arc<band_adapters::agents::terminal::TerminalRuntime>>,
}

/// The per-launch notify secrets of terminal agents, made and compared by [`secrets`].
struct NotifySecrets;

impl band_adapters::agents::terminal::NotifySecrets for NotifySecrets {
    fn mint(&self) -> String {
        // 32 random bytes; without randomness no agent could be told apart, so none starts.
        secrets::random_hex(32).unwrap_or_default()
    }
    fn equal(&self, a: &str, b: &str) -> bool {
        !a.is_empty() && secrets::same(a, b)
    }
}

/// The `band` CLI that terminal agents' hooks run (`band notify`): the one beside this
/// program (or one directory up, for test binaries in `deps/`), else `band` on the PATH.
pub fn band_cli() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let dir = exe.as_deref().and_then(Path::parent);
    dir.into_iter()
        .flat_map(|d| [d.join("band"), d.parent().map(|p| p.join("band")).unwrap_or_default()])
        .find(|p| band_adapters::terminals::is_executable(p))
        .unwrap_or_else(|| PathBuf::from("band"))
}

/// How long an idle agent process is kept by default (as Mcode's 10 minutes).
pub const DEFAULT_AGENT_IDLE_TIMEOUT_SECONDS: u64 = 600;

/// The tunnel providers, configured from settings (a provider missing a setting says so when
/// it is started).
fn tunnel_providers(t: &settings::TunnelSettings, sv: &Supervisor) -> Vec<Arc<dyn TunnelProvider>> {
    use band_adapters::tunnels::{Bore, CloudflaredNamed, CloudflaredQuick};
    let path = |p: &Option<String>| p.as_deref().map(PathBuf::from);
    let c = &t.cloudflared;
    vec![
        Arc::new(CloudflaredQuick::new(path(&c.binary), sv.clone())),
        Arc::new(CloudflaredNamed::new(
            path(&c.binary),
            c.tunnel_name.clone(),
            c.hostname.clone(),
            path(&c.credentials_file),
            sv.clone(),
        )),
        Arc::new(Bore::new(path(&t.bore.binary), t.bore.server.clone(), t.bore.secret.clone(), sv.clone())),
    ]
}

/// The warning for listening beyond loopback (LAN mode), or `None` on loopback.
pub fn lan_warning(addr: SocketAddr, allowed_hosts: &[String]) -> Option<String> {
    if addr.ip().is_loopback() {
        return None;
    }
    let names = if allowed_hosts.is_empty() {
        if addr.ip().is_unspecified() {
            "no LAN name is allowed yet: list the names or addresses you will use in allowedHosts in settings.json"
                .to_owned()
        } else {
            format!("it answers as {addr}; add other names to allowedHosts in settings.json")
        }
    } else {
        format!("it answers as {} on port {}", allowed_hosts.join(", "), addr.port())
    };
    Some(format!(
        "LAN mode: listening on {addr}, reachable from other machines on your network; only the token protects it \
         (anyone with it controls your agents and terminals), and the connection is not encrypted; {names}"
    ))
}

impl Band {
    /// Opens (creating on first start) settings, database and worktrees directory, with the real
    /// agent adapters.
    ///
    /// # Errors
    /// Anything that would keep the server from working, with the file or setting to fix.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        let settings = settings::load_or_create(&config.home)?;
        let supervisor = Supervisor::new();
        let agents = band_adapters::agents::runtimes(&supervisor);
        Self::wire(config, settings, agents, supervisor).await
    }

    /// As [`Band::open`], with the given agent runtimes (tests and benchmarks use fakes).
    ///
    /// # Errors
    /// As [`Band::open`].
    pub async fn open_with(config: Config, agents: Vec<Arc<dyn AgentRuntime>>) -> Result<Self, StartError> {
        let settings = settings::load_or_create(&config.home)?;
        Self::wire(config, settings, agents, Supervisor::new()).await
    }

    /// Builds the adapters and services on settings read once; every process goes through
    /// `supervisor`. First of all it takes the home's lock and ends what a dead server left.
    async fn wire(
        config: Config,
        settings: settings::Settings,
        mut agents: Vec<Arc<dyn AgentRuntime>>,
        supervisor: Supervisor,
    ) -> Result<Self, StartError> {
        let instance = instance::Instance::acquire(&config.home, &supervisor)?;
        // Every agent can run in a terminal, unless the caller brought its own terminal runtime.
        let terminal_agents = (!agents.iter().any(|a| a.protocol() == band_core::AgentProtocol::Terminal)).then(|| {
            let hooks = band_adapters::agents::terminal::HookSetup {
                band: band_cli(),
                dir: config.home.join("agents").join("terminal"),
            };
            let runtime = band_adapters::agents::terminal::TerminalRuntime::new(
                supervisor.clone(),
                hooks,
                Arc::new(NotifySecrets),
            );
            Arc::new(if settings.terminals.tmux { runtime.in_tmux(config.home.join("tmux")) } else { runtime })
        });
        if let Some(t) = &terminal_agents {
            agents.push(t.clone());
        }
        let token = settings.token().to_owned();
        std::fs::create_dir_all(&config.worktrees_dir).map_err(|e| {
            StartError::Config(format!("cannot create worktrees directory {}: {e}", config.worktrees_dir.display()))
        })?;
        let worktrees_dir = std::fs::canonicalize(&config.worktrees_dir).map_err(|e| {
            StartError::Config(format!("cannot resolve worktrees directory {}: {e}", config.worktrees_dir.display()))
        })?;
        let store = Arc::new(band_store::SqliteStore::open(&config.home.join("band.db")).await?);
        let git: Arc<dyn GitRepos> = Arc::new(band_git::Git::new(supervisor.clone()));
        let notices = Arc::new(Broadcast::new(4096));
        let sink: Arc<dyn EventSink> = notices.clone();
        let projects_store: Arc<dyn ProjectStore> = store.clone();
        let workspaces_store: Arc<dyn WorkspaceStore> = store.clone();
        let workspaces = Arc::new(Workspaces::new(
            projects_store.clone(),
            workspaces_store.clone(),
            git.clone(),
            sink.clone(),
            worktrees_dir.clone(),
        ));
        let transcripts: Option<Arc<dyn band_core::ports::TranscriptSink>> = match settings.transcripts.dir.as_deref() {
            None => None,
            Some(dir) => {
                let path = expand_home(dir, &config.home);
                if !path.is_absolute() {
                    return Err(StartError::Config(format!(
                        "transcripts.dir '{dir}' in settings.json must be an absolute path or start with ~/"
                    )));
                }
                Some(Arc::new(transcripts::TranscriptFiles::new(path)))
            }
        };
        let registry =
            Arc::new(settings.agent_registry().map_err(|e| StartError::Config(format!("{e} (in settings.json)")))?);
        let registry_for_settings = registry.clone();
        let env: band_core::services::EnvSource =
            Arc::new(|agent: &band_core::AgentDefinition| agent_env(std::env::vars(), agent));
        let runnable = agents.iter().map(|a| a.protocol()).collect();
        let agents_service = Arc::new(band_core::services::Agents::new(
            registry.clone(),
            Arc::new(band_adapters::agents::probe::VersionProbe::new(supervisor.clone())),
            env.clone(),
            runnable,
        ));
        let chats = Chats::new(
            workspaces.clone(),
            ChatPorts {
                chats: store.clone(),
                log: store.clone(),
                turns: store.clone(),
                queue: store.clone(),
                events: sink.clone(),
                agents,
                registry,
                prices: Arc::new(settings.prices()),
                transcripts,
                env,
            },
        );
        let setup = ProjectSetup::new(
            workspaces.clone(),
            SetupPorts {
                projects: projects_store.clone(),
                configs: Arc::new(band_adapters::project::JsonConfigs),
                trust: store.clone(),
                runs: store.clone(),
                runner: Arc::new(band_adapters::project::ShellScripts::new(supervisor.clone())),
                git: git.clone(),
                events: sink.clone(),
                background: Arc::new(access::TokioBackground),
                env: Arc::new(|place: &band_core::ScriptPlace| band_core::script_env(std::env::vars(), place)),
            },
        );
        let stopped =
            setup.recover().await.map_err(|e| StartError::Config(format!("cannot repair script runs: {e}")))?;
        if stopped > 0 {
            tracing::warn!(runs = stopped, "setup or teardown scripts left running by the last run are marked stopped");
        }
        let local_files = band_files::LocalFiles::new(&config.home)
            .map_err(|e| StartError::Config(format!("cannot resolve band's home {}: {e}", config.home.display())))?;
        let files_port: Arc<dyn WorkspaceFiles> = Arc::new(local_files);
        let files = Arc::new(Files::new(workspaces.clone(), files_port));
        let layouts = Layouts::new(store.clone(), workspaces.clone(), sink.clone());
        let cronjobs = Cronjobs::new(
            CronPorts {
                store: store.clone(),
                calendar: Arc::new(cron::CronerCalendar),
                clock: cron::system_clock(),
                projects: projects_store.clone(),
                turns: store.clone(),
                log: store.clone(),
                queue: store.clone(),
                events: sink.clone(),
            },
            chats.clone(),
            workspaces.clone(),
        );
        let repaired = chats.recover().await.map_err(|e| StartError::Config(format!("cannot repair chats: {e}")))?;
        if repaired > 0 {
            tracing::warn!(chats = repaired, "chats left mid-turn by the last run are now interrupted");
        }
        reconcile(&workspaces).await;
        // The shell is band-server's choice, never a client's; so are its directory (the
        // workspace's) and its environment (an allow-list plus the terminal settings).
        let shell = match settings.terminals.shell.as_deref() {
            Some(shell) => {
                let path = PathBuf::from(shell);
                if !path.is_absolute() || !band_adapters::terminals::is_executable(&path) {
                    return Err(StartError::Config(format!(
                        "terminals.shell '{shell}' in settings.json is not an absolute path to an executable"
                    )));
                }
                path
            }
            None => band_adapters::terminals::default_shell(std::env::var_os("SHELL").as_deref()),
        };
        if let Some(n) = settings.max_live_agents
            && n > live::MAX_LIVE_AGENTS
        {
            return Err(StartError::Config(format!(
                "maxLiveAgents {n} in settings.json is more than {}; use 0 for no limit",
                live::MAX_LIVE_AGENTS
            )));
        }
        if let Some(n) = settings.agent_idle_timeout_seconds
            && n > live::MAX_IDLE_SECONDS
        {
            return Err(StartError::Config(format!(
                "agentIdleTimeoutSeconds {n} in settings.json is more than 30 days; use 0 to never stop idle agents"
            )));
        }
        let allowed = Arc::new(guard::Allowed::default());
        let providers = tunnel_providers(&settings.tunnel, &supervisor);
        if let Some(chosen) = settings.tunnel.provider.as_deref()
            && !providers.iter().any(|p| p.name() == chosen)
        {
            let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
            return Err(StartError::Config(format!(
                "tunnel.provider '{chosen}' in settings.json is not a tunnel provider; use one of: {}",
                names.join(", ")
            )));
        }
        // With no provider configured, a cloudflared quick tunnel: it needs no account and no
        // configuration (a missing cloudflared says how to install it).
        let default_provider = settings.tunnel.provider.clone().unwrap_or_else(|| "cloudflared".to_owned());
        let tunnels = Tunnels::new(providers, Some(default_provider), allowed.clone(), sink.clone());
        for host in &settings.allowed_hosts {
            if host.contains([':', '/']) || band_core::TunnelUrl::parse(&format!("http://{host}")).is_err() {
                return Err(StartError::Config(format!(
                    "'{host}' in allowedHosts in settings.json is not a host name or IPv4 address (no scheme, no port)"
                )));
            }
        }
        let terminal_extras = settings.terminals.env.clone();
        let terminals = Terminals::new(
            workspaces.clone(),
            Arc::new(band_adapters::terminals::PtyHost::new(shell, supervisor.clone())),
            Arc::new(move || terminal_env(std::env::vars(), &terminal_extras)),
        );
        chats.show_terminals_in(terminals.clone());
        let keep_actions = match settings.retention.audit_actions {
            Some(0) => {
                return Err(StartError::Config(
                    "retention.auditActions in settings.json must be at least 1 (leave it out for 100000)".into(),
                ));
            }
            Some(n) => n as usize,
            None => band_core::services::ACTIONS_KEEP,
        };
        let policies = band_core::services::Policies::new(
            workspaces.clone(),
            band_core::services::PolicyPorts {
                store: store.clone(),
                audit: store.clone(),
                classifier: Arc::new(band_adapters::agents::policy::Classifier),
                chats: store.clone(),
                keep: keep_actions,
            },
        );
        chats.enforce(policies.clone());
        terminals.enforce(policies.clone());
        setup.enforce(policies.clone());
        cronjobs.audit_in(policies.clone());
        let lifecycle = band_core::services::Lifecycle::new(
            workspaces.clone(),
            projects_store.clone(),
            store.clone(),
            chats.clone(),
            terminals.clone(),
            git.clone(),
            Arc::new(access::SystemClock),
        );
        let retention_days = settings.retention.archive_idle_days;
        if retention_days == Some(0) {
            return Err(StartError::Config(
                "retention.archiveIdleDays in settings.json must be at least 1 (leave it out to never archive)".into(),
            ));
        }
        let access_ports = band_core::services::AccessPorts {
            devices: store.clone(),
            audit: store.clone(),
            secrets: Arc::new(secrets::OsSecrets),
            clock: Arc::new(access::SystemClock),
            main_token: Arc::new(access::SettingsToken { home: config.home.clone() }),
            background: Arc::new(access::TokioBackground),
            events: sink.clone(),
        };
        // A device paired while a tunnel runs gets the tunnel's address.
        let access = band_core::services::Access::load(access_ports, token.clone(), Some(tunnels.clone()))
            .await
            .map_err(|e| StartError::Config(format!("cannot load the paired devices: {e}")))?;
        let auth = Arc::new(access::Auth::new(access, notices.clone()));
        let live = Arc::new(live::LiveSettings::new(
            &config.home,
            registry_for_settings,
            &settings,
            settings.agent_idle_timeout_seconds.unwrap_or(DEFAULT_AGENT_IDLE_TIMEOUT_SECONDS),
            chats.live_limit(),
        ));
        let idle_seconds = live.idle_seconds.clone();
        let api = ApiContext {
            live,
            auth: auth.clone(),
            projects: Projects::new(projects_store, workspaces_store, git.clone(), sink.clone()),
            workspaces: workspaces.clone(),
            chats: chats.clone(),
            agents: agents_service,
            files: files.clone(),
            layouts,
            reviews: Reviews::new(store.clone(), workspaces.clone(), chats.clone(), sink.clone()),
            watches: Watches::new(workspaces.clone(), Arc::new(band_files::NotifyWatcher::default()), sink.clone()),
            pulls: Pulls::new(
                workspaces.clone(),
                git.clone(),
                Arc::new(band_adapters::github::GhCli::new(
                    supervisor.clone(),
                    settings.gh_binary.clone().map(PathBuf::from),
                )),
                chats.clone(),
            ),
            terminals: terminals.clone(),
            teardown: WorkspaceTeardown::new(workspaces.clone(), chats.clone(), terminals.clone(), setup.clone()),
            setup: setup.clone(),
            lifecycle: lifecycle.clone(),
            retention_days,
            tunnels: tunnels.clone(),
            cronjobs: cronjobs.clone(),
            policies: policies.clone(),
            notices: notices.clone(),
            settings: api::SettingsInfo {
                home: config.home.display().to_string(),
                web_server_port: config.port,
                bind: config.bind.to_string(),
                worktrees_dir: worktrees_dir.display().to_string(),
                token_set: true,
                version: VERSION.to_owned(),
                // The live ones come from `live` (settings.get merges them).
                defaults: api::SettingsDefaults::default(),
                agent_idle_timeout_seconds: 0,
                max_live_agents: 0,
                terminal_shell: None,
                restart_needed: Vec::new(),
            },
        };
        let allowed_hosts = settings.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        let webhooks = webhooks::parse(&settings.webhooks).map_err(StartError::Config)?;
        Ok(Self {
            idle_seconds,
            config,
            token,
            store,
            auth,
            api: Some(api),
            chats,
            files,
            terminals,
            tunnels,
            cronjobs,
            webhooks,
            setup,
            lifecycle,
            retention_days,
            allowed,
            allowed_hosts,
            notices,
            instance,
            terminal_agents,
        })
    }

    /// The chat service (tests and the desktop shell look at live agents through it).
    pub fn chats(&self) -> Chats {
        self.chats.clone()
    }

    /// The token, for the sign-in link the binary prints on stdout (never logged).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The tunnel service.
    pub fn tunnels(&self) -> Tunnels {
        self.tunnels.clone()
    }

    /// `allowedHosts` from settings.
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// The terminal service.
    pub fn terminals(&self) -> Terminals {
        self.terminals.clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Notices published by the services (project, workspace and chat changes).
    pub fn notices(&self) -> Arc<Broadcast> {
        self.notices.clone()
    }

    /// Binds the configured address.
    ///
    /// # Errors
    /// [`StartError::Listen`] with a hint when the port is taken.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, StartError> {
        let addr = SocketAddr::new(self.config.bind, self.config.port);
        tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Listen {
            addr,
            hint: if source.kind() == std::io::ErrorKind::AddrInUse {
                " (is band-server already running? choose another port with --port)"
            } else {
                ""
            },
            source,
        })
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests, closes WebSockets and
    /// checkpoints the database.
    ///
    /// # Errors
    /// I/O errors of the listener.
    /// Stops idle chats' agent processes every so often (`agentIdleTimeoutSeconds`).
    fn idle_sweeper(&self) -> Option<tokio::task::JoinHandle<()>> {
        let seconds = self.idle_seconds.clone();
        let chats = self.chats.clone();
        Some(tokio::spawn(async move {
            loop {
                // The timeout as settings.set leaves it, checked at a tenth of it (between 1 s
                // and 30 s): an agent goes within ~10% of it. 0 keeps every agent.
                let idle = Duration::from_secs(seconds.load(std::sync::atomic::Ordering::Relaxed));
                let every = (idle / 10).clamp(Duration::from_secs(1), Duration::from_secs(30));
                tokio::time::sleep(every).await;
                if idle.is_zero() {
                    continue;
                }
                let idle_ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                let stopped = chats.stop_idle(now, idle_ms).await;
                if !stopped.is_empty() {
                    tracing::info!(chats = ?stopped, "stopped idle agents; their next message resumes them");
                }
            }
        }))
    }

    pub async fn serve(
        mut self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let port = listener.local_addr().map_err(StartError::Serve)?.port();
        self.instance.record_port(port);
        if let Some(t) = &self.terminal_agents {
            let ip = if self.config.bind.is_unspecified() {
                IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
            } else {
                self.config.bind
            };
            t.set_server_url(format!("http://{}", SocketAddr::new(ip, port)));
        }
        let mut api = self.api.take().ok_or_else(|| StartError::Config("served twice".into()))?;
        // Notifications to webhooks: their own tasks, following the notices.
        webhooks::spawn(
            std::mem::take(&mut self.webhooks),
            &self.notices,
            self.cronjobs.clone(),
            api.workspaces.clone(),
        )
        .map_err(StartError::Config)?;
        api.settings.web_server_port = port;
        let methods = module(api).map_err(|e| StartError::Config(e.to_string()))?;
        let guard = Arc::new(Guard::with_allowed(self.auth.clone(), port, self.allowed.clone()));
        let bind = self.config.bind;
        if !bind.is_loopback() && !bind.is_unspecified() {
            // LAN mode: the address it was told to bind is one of its own names.
            let host = if bind.is_ipv6() { format!("[{bind}]") } else { bind.to_string() };
            self.allowed.allow("http", &host, port);
        }
        for host in &self.allowed_hosts {
            self.allowed.allow("http", host, port);
        }
        let idle = self.idle_sweeper();
        // Retention: at start, then hourly, archive what is idle and loses nothing by it.
        let retention = self.retention_days.map(|days| {
            let lifecycle = self.lifecycle.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    match lifecycle.gc(days, true).await {
                        Ok(r) if !r.archive.is_empty() => tracing::info!(
                            archived = r.archive.len(),
                            bytes = r.reclaim_bytes,
                            "retention archived idle workspaces (branches and chats kept)"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "retention could not run"),
                    }
                }
            })
        });
        let (stop_handle, server_handle) = jsonrpsee::server::stop_channel();
        let rpc = rpc::transport::RpcState::new(methods.into(), stop_handle, self.auth.clone());
        let terminal_state = terminal_ws::TerminalState { terminals: self.terminals.clone(), auth: self.auth.clone() };
        let notify = NotifyState { agents: self.terminal_agents.clone(), access: self.auth.access.clone() };
        let app = router(rpc, self.files.clone(), terminal_state, notify, guard, self.config.web_dir.clone());
        // The scheduler: missed runs first, then a tick every half second, until shutdown.
        let (stop_cron, cron_stopped) = tokio::sync::oneshot::channel::<()>();
        let scheduler = tokio::spawn(cron::run_scheduler(self.cronjobs.clone(), async move {
            let _ = cron_stopped.await;
        }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let graceful = async move {
            shutdown.await;
            let _ = tx.send(());
        };
        accept::serve(listener, app, self.config.header_timeout, graceful).await;
        let _ = rx.await;
        // No new run starts while agents are being stopped.
        let _ = stop_cron.send(());
        let _ = scheduler.await;
        if let Some(idle) = idle {
            idle.abort();
        }
        if let Some(r) = retention {
            r.abort();
        }
        // Agents, terminals and the tunnel next, side by side: chats are marked interrupted in one
        // transaction and every agent's process group is stopped; every terminal's shell and
        // what it started are killed (their WebSockets end with them).
        // The tunnel too (SECURITY.md R5): its host is refused, then its process group stopped.
        let (chats, _terminals, _tunnel, ()) =
            tokio::join!(self.chats.shutdown(), self.terminals.shutdown(), self.tunnels.stop(), self.setup.shutdown());
        if let Err(e) = chats {
            tracing::error!(error = %e, "marking running chats interrupted failed");
        }
        // WebSocket connections live outside axum's graceful shutdown: stop them explicitly.
        let _ = server_handle.stop();
        let _ = tokio::time::timeout(Duration::from_secs(5), server_handle.stopped()).await;
        if let Err(e) = self.store.checkpoint().await {
            tracing::warn!(error = %e, "checkpoint at shutdown failed");
        }
        Ok(())
    }
}

/// Every route band-server has, as (method, an example path it answers); a test walks them all
/// and checks that each needs the token unless listed in [`guard::PUBLIC`], and that each is
/// routed. Any other GET is a page of the dashboard (served from its files).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("HEAD", "/health"),
    ("POST", "/rpc"),
    ("GET", "/rpc"),
    ("GET", "/workspaces/1/raw/README.md"),
    ("HEAD", "/workspaces/1/raw/README.md"),
    ("GET", "/terminals/1/ws"),
    ("POST", "/pair"),
    ("POST", "/notify"),
    ("GET", "/"),
    ("GET", "/index.html"),
];

/// A terminal's raw byte stream (see [`terminal_ws`]); `{id}` is a parameter.
pub const TERMINAL_WS: &str = "/terminals/{id}/ws";

fn router(
    rpc: rpc::transport::RpcState,
    files: Arc<Files>,
    terminals: terminal_ws::TerminalState,
    notify: NotifyState,
    guard: Arc<Guard>,
    web_dir: Option<PathBuf>,
) -> Router {
    let access = guard.auth.access.clone();
    Router::new()
        .route("/health", get(health))
        .route("/rpc", any(rpc::transport::serve).with_state(rpc))
        .route("/pair", axum::routing::post(redeem).with_state(access))
        .route("/notify", axum::routing::post(notify_hook).with_state(notify))
        .route(raw::ROUTE, get(raw::serve).with_state(files))
        .route(TERMINAL_WS, get(terminal_ws::attach).with_state(terminals))
        .fallback(get(web::serve).with_state(web_dir).fallback(not_found))
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
}

async fn health() -> axum::Json<api::Health> {
    axum::Json(api::Health { status: "ok".into(), version: VERSION.into() })
}

async fn not_found(req: Request) -> Response {
    let body = serde_json::json!({"error": format!("no route {} {}", req.method(), req.uri().path())});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// `POST /pair {"code"}`: redeems a pairing code for an API client (a CLI on another machine):
/// the device's token, shown this once. Public: the code is the credential (128 random bits,
/// single use, 10 minutes); failures are audited.
async fn redeem(State(access): State<band_core::services::Access>, req: Request) -> Response {
    let refuse = |status: StatusCode, message: String| {
        (status, axum::Json(serde_json::json!({"error": message}))).into_response()
    };
    let from = req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.to_string());
    // Public, so the guard's JSON rule (SECURITY.md 10) is not applied before it: applied here, so
    // that no form, text/plain or multipart body a page can send without a preflight is read.
    if !guard::is_json(req.headers()) {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, guard::JSON_ONLY.into());
    }
    let Ok(body) = axum::body::to_bytes(req.into_body(), 1024).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "send only {\"code\": \"<pairing code>\"}".into());
    };
    let request: api::RedeemRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("send {{\"code\": \"<pairing code>\"}}: {e}")),
    };
    match access.redeem(&request.code, from).await {
        Ok((device, token)) => {
            axum::Json(api::Redeemed { token, device: access::device_info(&device) }).into_response()
        }
        Err(band_core::CoreError::InvalidInput(p)) => refuse(StatusCode::UNAUTHORIZED, rpc::problem_message(&p)),
        Err(e) => {
            tracing::error!(error = %e, "redeeming a pairing code");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the server's log has the details".into())
        }
    }
}

#[derive(Clone)]
struct NotifyState {
    agents: Option<Arc<band_adapters::agents::terminal::TerminalRuntime>>,
    access: band_core::services::Access,
}

/// The largest hook document `POST /notify` reads.
const MAX_HOOK_BYTES: usize = 1024 * 1024;

/// `POST /notify {"chat", "secret", "hook"}`: one hook document from a terminal agent, sent by
/// `band notify`. Public: the chat's notify secret is the credential, and it can do nothing but
/// this (SECURITY.md 22). A wrong secret, or one of a chat whose agent is not running, is
/// refused (401) and audited; a body that is not a notification is a 400 saying what is wrong.
/// For a hook that asks band's decision (Claude Code's PreToolUse) the reply waits for it.
async fn notify_hook(State(state): State<NotifyState>, req: Request) -> Response {
    let refuse = |status: StatusCode, message: String| {
        (status, axum::Json(serde_json::json!({"error": message}))).into_response()
    };
    let from = req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.to_string());
    if !guard::is_json(req.headers()) {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, guard::JSON_ONLY.into());
    }
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_HOOK_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a hook notification is at most {} KiB", MAX_HOOK_BYTES / 1024),
        );
    };
    // An object, as `band notify` sends: serde would also read the fields from a JSON array.
    let object = serde_json::from_slice::<serde_json::Value>(&body)
        .map_err(|e| e.to_string())
        .and_then(|v| if v.is_object() { Ok(v) } else { Err("the body is not a JSON object".to_owned()) });
    let request: api::NotifyRequest = match object.and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string())) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("send {{\"chat\": <id>, \"secret\": \"<BAND_NOTIFY_SECRET>\", \"hook\": {{...}}}}: {e}"),
            );
        }
    };
    let Some(agents) = &state.agents else {
        return refuse(StatusCode::NOT_FOUND, "this band-server runs no terminal agents".into());
    };
    match agents.notify(request.chat, &request.secret, &request.hook).await {
        Ok(output) => axum::Json(api::Notified { output }).into_response(),
        Err(band_adapters::agents::terminal::NotifyError::Malformed(why)) => refuse(StatusCode::BAD_REQUEST, why),
        Err(band_adapters::agents::terminal::NotifyError::Refused) => {
            let caller = band_core::services::Caller { scope: band_core::Scope::Read, device: None, remote: from };
            state.access.refusal(
                band_core::AuditKind::Refused,
                Some(caller),
                format!("a hook notification for chat {} with a wrong notify secret", request.chat),
            );
            refuse(
                StatusCode::UNAUTHORIZED,
                format!(
                    "chat {} has no terminal agent running with this notify secret (band notify works only inside \
                     the terminal agent band started for that chat)",
                    request.chat
                ),
            )
        }
    }
}

/// A server running in this process (tests, the desktop shell).
pub struct Running {
    pub addr: SocketAddr,
    /// The chat service of the running band.
    pub chats: Chats,
    /// The terminal service of the running band.
    pub terminals: Terminals,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), StartError>>,
}

impl Running {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// Shuts down gracefully and waits for it.
    ///
    /// # Errors
    /// What [`Band::serve`] returned.
    pub async fn stop(mut self) -> Result<(), StartError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.map_err(|e| StartError::Serve(std::io::Error::other(e)))?
    }
}

/// Opens band for `config`, binds `config.bind:config.port` (0 picks a free port) and serves in
/// a background task.
///
/// # Errors
/// As [`Band::open`] and [`Band::bind`].
pub async fn start(config: Config) -> Result<Running, StartError> {
    run_in_background(Band::open(config).await?).await
}

/// As [`start`], with the given agent runtimes.
///
/// # Errors
/// As [`start`].
pub async fn start_with(config: Config, agents: Vec<Arc<dyn AgentRuntime>>) -> Result<Running, StartError> {
    run_in_background(Band::open_with(config, agents).await?).await
}

async fn run_in_background(band: Band) -> Result<Running, StartError> {
    let (chats, terminals) = (band.chats(), band.terminals());
    let listener = band.bind().await?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(band.serve(listener, async move {
        let _ = rx.await;
    }));
    Ok(Running { addr, stop: Some(tx), task, chats, terminals })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_home_listens_on_loopback_3456_with_worktrees_inside_it() {
        let home = tempfile::tempdir().expect("tempdir");
        let (config, settings) = Config::for_home(home.path()).expect("config");
        assert_eq!(config.bind.to_string(), "127.0.0.1");
        assert!(config.bind.is_loopback());
        assert_eq!(config.port, 3456);
        assert_eq!(config.worktrees_dir, home.path().join("worktrees"));
        assert_eq!(settings.token().len(), 64);
    }

    #[test]
    fn lan_mode_warns_that_only_the_token_protects_it() {
        let addr = |a: &str| a.parse::<SocketAddr>().expect("addr");
        assert_eq!(lan_warning(addr("127.0.0.1:3456"), &[]), None);
        assert_eq!(lan_warning(addr("[::1]:3456"), &[]), None);
        let w = lan_warning(addr("0.0.0.0:3456"), &[]).expect("warned");
        assert!(w.contains("reachable from other machines") && w.contains("only the token protects it"), "{w}");
        assert!(w.contains("list the names or addresses you will use in allowedHosts"), "{w}");
        let w = lan_warning(addr("192.168.1.20:3456"), &[]).expect("warned");
        assert!(w.contains("it answers as 192.168.1.20:3456"), "{w}");
        let w = lan_warning(addr("0.0.0.0:3456"), &["mybox.lan".into()]).expect("warned");
        assert!(w.contains("it answers as mybox.lan on port 3456"), "{w}");
    }

    #[test]
    fn settings_choose_port_bind_and_worktrees() {
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            home.path().join("settings.json"),
            r#"{"webServerPort": 4000, "bind": "0.0.0.0", "worktreesDir": "/srv/wt"}"#,
        )
        .expect("write");
        let (config, _) = Config::for_home(home.path()).expect("config");
        assert_eq!((config.port, config.bind.to_string()), (4000, "0.0.0.0".to_owned()));
        assert_eq!(config.worktrees_dir, PathBuf::from("/srv/wt"));
        std::fs::write(home.path().join("settings.json"), r#"{"bind": "localhost"}"#).expect("write");
        let e = Config::for_home(home.path()).map(|_| ()).expect_err("not an IP");
        assert!(e.to_string().contains("bind 'localhost' in settings.json is not an IP address"), "{e}");
    }
}
