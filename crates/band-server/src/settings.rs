//! `$BAND_HOME/settings.json`: created on first start (mode 0600) with a fresh 64-hex token.
//! Unknown fields are kept when the file is rewritten; a file that cannot be read is never
//! overwritten.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub const DEFAULT_PORT: u16 = 3456;
pub const DEFAULT_BIND: &str = "127.0.0.1";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not valid settings JSON ({source}); fix it or move it away to start with defaults", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("tokenSecret in {} is empty; delete the field to have a new token generated", .0.display())]
    EmptyToken(PathBuf),
    #[error("tokenSecret in {} is too short ({len} characters); use at least 32, or delete the field to have a new one generated", path.display())]
    WeakToken { path: PathBuf, len: usize },
    #[error("no random source for a token: {0}")]
    Random(String),
}

/// The settings file's contents. Field names match the file (camelCase).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_server_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktrees_dir: Option<String>,
    /// Per agent id (`claude-code`, `gemini`... or a new one): changes to its built-in definition,
    /// or a whole new agent (`protocol` and `binary` at least). See [`AgentSettings`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<String, AgentSettings>,
    /// The GitHub CLI band runs for pull requests: its absolute path (default `gh` on PATH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gh_binary: Option<String>,
    /// The terminals' `shell` (an absolute path; default `$SHELL`, else /bin/bash) and `env`
    /// (extra variables for it).
    #[serde(default, skip_serializing_if = "TerminalSettings::is_empty")]
    pub terminals: TerminalSettings,
    /// LAN mode (a non-loopback `bind`): the host names or IPv4 addresses this server answers to
    /// besides loopback, e.g. `["192.168.1.20", "mybox.lan"]`, each on the listening port.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    /// Transcript files: `dir` (`~/` expanded), where each finished turn of every chat is
    /// appended as Markdown; off when absent.
    #[serde(default, skip_serializing_if = "TranscriptSettings::is_empty")]
    pub transcripts: TranscriptSettings,
    /// Model prices in US dollars per million tokens, over the built-in ones:
    /// `{"gpt-5.5": {"input": 1.25, "output": 10, "cacheRead": 0.125}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, PriceSettings>,
    /// The tunnel's provider and each provider's settings.
    #[serde(default, skip_serializing_if = "TunnelSettings::is_empty")]
    pub tunnel: TunnelSettings,
    /// Where notifications are POSTed as JSON (see `webhooks`): `[{"url": "https://ntfy.sh/x",
    /// "secret": "...", "events": ["turn.failed"]}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookSettings>,
    /// What a new chat gets when the request names nothing: `{"agent": "codex", "mode":
    /// "accept-edits", "model": "..."}`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub defaults: band_api::SettingsDefaults,
    /// Seconds a chat's agent process may sit idle (its turn over, nothing queued) before band
    /// stops it; the next message starts it again, resuming its session. Default 600; 0 never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_idle_timeout_seconds: Option<u64>,
    /// The most agent processes kept alive at once; a start beyond it stops the oldest free
    /// agent (resumable), or waits in line while all are busy. Absent or 0: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_live_agents: Option<u64>,
    /// `retention.archiveIdleDays`: archive workspaces idle that many days, when nothing would
    /// be lost (checked at start and hourly); absent, never.
    #[serde(default, skip_serializing_if = "RetentionSettings::is_empty")]
    pub retention: RetentionSettings,
    /// Everything else in the file, kept as it is.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// One webhook (`webhooks[i]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSettings {
    /// An http or https URL.
    pub url: String,
    /// Sent in `secretHeader` with every POST, so the receiver can tell band's calls from others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Default `X-Band-Secret` (ntfy takes `Authorization` with `Bearer <token>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_header: Option<String>,
    /// Which events (default all): `chat.waiting`, `turn.completed`, `turn.failed`,
    /// `cronjob.failed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

/// When idle workspaces are archived, and how many agent actions the audit keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetentionSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_idle_days: Option<u32>,
    /// The audit of agent actions keeps this many entries, the oldest go first (default 100000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_actions: Option<u32>,
}

impl RetentionSettings {
    fn is_empty(&self) -> bool {
        self.archive_idle_days.is_none() && self.audit_actions.is_none()
    }
}

/// One agent's settings (`agents.<id>`); every field is optional for a built-in agent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSettings {
    /// What to call it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `acp`, `claude-stream-json`, `codex-app-server` or `terminal`; required for a new agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The agent's program: a name looked up on its PATH, or an absolute path; required for a
    /// new agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// Its arguments (replacing the built-in ones, e.g. `["--acp"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// Extra environment variables for the agent's process.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Prefixes of band-server's own variables to pass on (replacing the built-in ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_prefixes: Option<Vec<String>>,
    /// The npm package that installs it, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npm: Option<String>,
    /// a page that says how to install it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_url: Option<String>,
    /// The arguments that print its version (default `--version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_args: Option<Vec<String>>,
    /// How it runs in a terminal (`--via terminal`, terminal agents); each field changes the
    /// built-in profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal: Option<TerminalAgentSettings>,
}

/// `agents.<id>.terminal`: the agent's interactive CLI in a terminal.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalAgentSettings {
    /// Its arguments in a terminal (in place of `args`, which are its protocol's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// What its screen shows in each state (texts a line contains, ANSI stripped), for agents
    /// without hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<ScreenSettings>,
    /// What to type to answer a dialog seen on screen: yes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_keys: Option<String>,
    /// and no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_keys: Option<String>,
}

/// `agents.<id>.terminal.screen`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScreenSettings {
    #[serde(default)]
    pub working: Vec<String>,
    #[serde(default)]
    pub waiting: Vec<String>,
    #[serde(default)]
    pub idle: Vec<String>,
}

/// `transcripts`: per-turn transcript files, off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSettings {
    /// The directory (`~/` is expanded); never written unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
}

impl TranscriptSettings {
    fn is_empty(&self) -> bool {
        self.dir.is_none()
    }
}

/// One model's price (`prices.<model>`), US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriceSettings {
    pub input: f64,
    pub output: f64,
    /// Default: the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    /// Default: the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

/// How terminals are started: the server's choice, never a client's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalSettings {
    /// The shell to run; `$SHELL` (else /bin/bash) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    /// Extra environment variables for the shell (`BAND_*` never passes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Terminal agents (terminal chats) run inside tmux, one tmux server per chat on the socket
    /// `$BAND_HOME/tmux/chat-<id>.sock`: a person can `tmux -S <socket> attach`, and the agent
    /// outlives a band-server restart. Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tmux: bool,
}

/// `tunnel`: which provider `band tunnel start` uses, and how to run each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TunnelSettings {
    /// `cloudflared` (a quick tunnel), `cloudflared-named` or `bore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "CloudflaredSettings::is_empty")]
    pub cloudflared: CloudflaredSettings,
    #[serde(default, skip_serializing_if = "BoreSettings::is_empty")]
    pub bore: BoreSettings,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudflaredSettings {
    /// The cloudflared binary; found on PATH when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// A named tunnel's name (`cloudflared tunnel create NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel_name: Option<String>,
    /// The hostname routed to the named tunnel (`cloudflared tunnel route dns NAME HOSTNAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The named tunnel's credentials file (default: cloudflared's own lookup in ~/.cloudflared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_file: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BoreSettings {
    /// The bore binary; found on PATH when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// The bore server's host (`bore server` runs there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The server's secret, if it has one (passed to bore in its environment, never in argv).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl TunnelSettings {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl CloudflaredSettings {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl BoreSettings {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl TerminalSettings {
    fn is_empty(&self) -> bool {
        self.shell.is_none() && self.env.is_empty() && !self.tmux
    }
}

impl Settings {
    /// The agent registry: the built-in agents with `agents` from the settings over them.
    ///
    /// # Errors
    /// What is wrong in `agents`, naming the setting.
    pub fn agent_registry(&self) -> Result<band_core::AgentRegistry, String> {
        let mut overrides = BTreeMap::new();
        for (key, a) in &self.agents {
            let id = band_core::AgentId::new(key).map_err(|e| format!("agents.{key}: {e}"))?;
            let protocol = match a.protocol.as_deref() {
                None => None,
                Some(p) => Some(band_core::AgentProtocol::parse(p).ok_or_else(|| {
                    let all = band_core::AgentProtocol::ALL.map(band_core::AgentProtocol::as_str);
                    format!("agents.{key}.protocol '{p}' is not a protocol band knows; use one of: {}", all.join(", "))
                })?),
            };
            let install = match (&a.npm, &a.install_url) {
                (Some(_), Some(_)) => return Err(format!("agents.{key}: give npm or installUrl, not both")),
                (Some(p), None) => Some(band_core::Install::Npm(p.clone())),
                (None, Some(u)) => Some(band_core::Install::Url(u.clone())),
                (None, None) => None,
            };
            let o = band_core::AgentOverride {
                name: a.name.clone(),
                protocol,
                binary: a.binary.clone(),
                args: a.args.clone(),
                env_prefixes: a.env_prefixes.clone(),
                env: a.env.clone(),
                install,
                version_args: a.version_args.clone(),
                terminal: a.terminal.as_ref().map(|t| {
                    let mut profile = band_core::AgentRegistry::builtin()
                        .get(&id)
                        .map(|b| b.terminal.clone())
                        .unwrap_or_else(|_| band_core::TerminalProfile {
                            allow_keys: "y".into(),
                            deny_keys: "n".into(),
                            ..Default::default()
                        });
                    if let Some(args) = &t.args {
                        profile.args.clone_from(args);
                    }
                    if let Some(screen) = &t.screen {
                        profile.screen = band_core::ScreenPatterns {
                            working: screen.working.clone(),
                            waiting: screen.waiting.clone(),
                            idle: screen.idle.clone(),
                        };
                    }
                    if let Some(k) = &t.allow_keys {
                        profile.allow_keys.clone_from(k);
                    }
                    if let Some(k) = &t.deny_keys {
                        profile.deny_keys.clone_from(k);
                    }
                    profile
                }),
            };
            overrides.insert(id, o);
        }
        band_core::AgentRegistry::with_settings(overrides).map_err(|e| e.to_string())
    }

    /// The price table: the built-in prices with `prices` over them.
    pub fn prices(&self) -> band_core::Prices {
        band_core::Prices::with_overrides(self.prices.iter().map(|(model, p)| {
            let price = band_core::Price {
                input: p.input,
                output: p.output,
                cache_read: p.cache_read,
                cache_write: p.cache_write,
            };
            (model.clone(), price)
        }))
    }

    /// The token; present after [`load_or_create`].
    pub fn token(&self) -> &str {
        self.token_secret.as_deref().unwrap_or_default()
    }
}

pub fn settings_path(home: &Path) -> PathBuf {
    home.join("settings.json")
}

/// Reads the settings, creating the file (and `home`) with a new token when needed.
///
/// # Errors
/// Unreadable or malformed files are reported, never overwritten; an empty or short token is
/// refused (the server must not start without a real one).
pub fn load_or_create(home: &Path) -> Result<Settings, SettingsError> {
    let path = settings_path(home);
    std::fs::create_dir_all(home).map_err(|source| SettingsError::Write { path: home.to_owned(), source })?;
    let mut settings = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<Settings>(&bytes)
            .map_err(|source| SettingsError::Parse { path: path.clone(), source })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
        Err(source) => return Err(SettingsError::Read { path, source }),
    };
    match settings.token_secret.as_deref() {
        Some("") => return Err(SettingsError::EmptyToken(path)),
        Some(t) if t.len() < 32 => return Err(SettingsError::WeakToken { path, len: t.len() }),
        Some(_) => restrict_mode(&path)?,
        None => {
            settings.token_secret = Some(new_token()?);
            write(&path, &settings)?;
        }
    }
    Ok(settings)
}

/// Replaces the token in the settings file with a new one (atomically, mode 0600), keeping every
/// other field; returns the new token.
///
/// # Errors
/// As [`load_or_create`], and when the file cannot be written.
pub fn rotate_token(home: &Path) -> Result<String, SettingsError> {
    let mut settings = load_or_create(home)?;
    let token = new_token()?;
    settings.token_secret = Some(token.clone());
    write(&settings_path(home), &settings)?;
    Ok(token)
}

/// 32 random bytes as 64 lowercase hex characters.
pub fn new_token() -> Result<String, SettingsError> {
    crate::secrets::random_hex(32).map_err(|e| SettingsError::Random(e.to_string()))
}

fn is_default(d: &band_api::SettingsDefaults) -> bool {
    *d == band_api::SettingsDefaults::default()
}

/// Writes `settings` to the home's settings.json (atomically, mode 0600), every other field kept.
///
/// # Errors
/// When the file cannot be written.
pub fn save(home: &Path, settings: &Settings) -> Result<(), SettingsError> {
    write(&settings_path(home), settings)
}

/// Writes atomically (temp file + rename), mode 0600 from the first byte.
fn write(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let err = |source| SettingsError::Write { path: path.to_owned(), source };
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(err)?;
    let mut text = serde_json::to_string_pretty(settings).map_err(|e| err(std::io::Error::other(e)))?;
    text.push('\n');
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// The token file must be readable by its owner only; tighten it if someone loosened it.
fn restrict_mode(path: &Path) -> Result<(), SettingsError> {
    let meta = std::fs::metadata(path).map_err(|source| SettingsError::Read { path: path.to_owned(), source })?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "settings.json was readable by others; restricting it to mode 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|source| SettingsError::Write { path: path.to_owned(), source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_writes_a_private_file_with_a_64_hex_token() {
        let home = tempfile::tempdir().expect("tempdir");
        let s = load_or_create(home.path()).expect("created");
        let token = s.token();
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let meta = std::fs::metadata(settings_path(home.path())).expect("file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        // A second start keeps the same token.
        assert_eq!(load_or_create(home.path()).expect("reloaded").token(), token);
        assert_ne!(new_token().expect("token"), token);
    }

    #[test]
    fn unknown_fields_survive_and_a_deleted_token_is_regenerated() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = settings_path(home.path());
        std::fs::write(&path, r#"{"webServerPort": 4000, "theme": "dark"}"#).expect("write");
        let s = load_or_create(home.path()).expect("loaded");
        assert_eq!(s.web_server_port, Some(4000));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"theme\": \"dark\""), "{text}");
        assert!(text.contains(s.token()), "the new token is saved");
    }

    #[test]
    fn bad_files_are_reported_and_left_untouched() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = settings_path(home.path());
        std::fs::write(&path, "{not json").expect("write");
        let e = load_or_create(home.path()).expect_err("malformed");
        assert!(e.to_string().contains("is not valid settings JSON"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{not json");

        std::fs::write(&path, r#"{"tokenSecret": ""}"#).expect("write");
        let e = load_or_create(home.path()).expect_err("empty token");
        assert!(e.to_string().contains("is empty"), "{e}");
        std::fs::write(&path, r#"{"tokenSecret": "abc"}"#).expect("write");
        assert!(matches!(load_or_create(home.path()), Err(SettingsError::WeakToken { len: 3, .. })));
    }

    #[test]
    fn tunnel_settings_are_read_in_camel_case_and_kept() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = settings_path(home.path());
        std::fs::write(
            &path,
            r#"{"allowedHosts": ["mybox.lan"], "tunnel": {"provider": "bore",
                "cloudflared": {"tunnelName": "band", "hostname": "band.example.com", "credentialsFile": "/c.json"},
                "bore": {"binary": "/opt/bore", "server": "bore.example.com", "secret": "s"}}}"#,
        )
        .expect("write");
        let s = load_or_create(home.path()).expect("loaded");
        assert_eq!(s.allowed_hosts, vec!["mybox.lan".to_owned()]);
        assert_eq!(s.tunnel.provider.as_deref(), Some("bore"));
        assert_eq!(s.tunnel.cloudflared.tunnel_name.as_deref(), Some("band"));
        assert_eq!(s.tunnel.cloudflared.credentials_file.as_deref(), Some("/c.json"));
        assert_eq!(
            (s.tunnel.bore.server.as_deref(), s.tunnel.bore.secret.as_deref()),
            (Some("bore.example.com"), Some("s"))
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"tunnelName\": \"band\"") && text.contains("\"allowedHosts\""), "{text}");
    }

    #[test]
    fn agents_in_settings_change_the_registry_and_bad_ones_say_which_setting() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = settings_path(home.path());
        std::fs::write(
            &path,
            r#"{"agents": {"gemini": {"binary": "/opt/gemini", "env": {"GEMINI_API_KEY": "k"}},
                "my-acp": {"protocol": "acp", "binary": "my-acp", "args": ["--stdio"], "npm": "my-acp"}}}"#,
        )
        .expect("write");
        let s = load_or_create(home.path()).expect("loaded");
        let registry = s.agent_registry().expect("valid");
        let mine = registry.get(&band_core::AgentId::new("my-acp").expect("id")).expect("added");
        assert_eq!(mine.protocol, band_core::AgentProtocol::Acp);
        assert_eq!(mine.install, Some(band_core::Install::Npm("my-acp".into())));
        let gemini = registry.get(&band_core::AgentId::new("gemini").expect("id")).expect("built in");
        assert_eq!((gemini.binary.as_str(), gemini.env["GEMINI_API_KEY"].as_str()), ("/opt/gemini", "k"));

        for (agents, error) in [
            (r#"{"Bad_Id": {}}"#, "agents.Bad_Id: invalid agent id 'Bad_Id'"),
            (
                r#"{"x": {"protocol": "smoke-signals", "binary": "x"}}"#,
                "agents.x.protocol 'smoke-signals' is not a protocol band knows; use one of: claude-stream-json, codex-app-server, acp, terminal",
            ),
            (r#"{"x": {"binary": "x"}}"#, "agents.x is not a built-in agent, so it needs a protocol"),
            (
                r#"{"x": {"protocol": "acp", "binary": "x", "npm": "a", "installUrl": "b"}}"#,
                "agents.x: give npm or installUrl, not both",
            ),
        ] {
            std::fs::write(&path, format!(r#"{{"agents": {agents}}}"#)).expect("write");
            let e = load_or_create(home.path()).expect("loaded").agent_registry().expect_err(agents);
            assert!(e.starts_with(error), "{e}");
        }
    }

    #[test]
    fn prices_in_settings_add_to_and_override_the_builtin_table() {
        let home = tempfile::tempdir().expect("tempdir");
        let path = settings_path(home.path());
        std::fs::write(&path, r#"{"prices": {"my-model": {"input": 1, "output": 2, "cacheRead": 0.1}, "gpt-5": {"input": 0, "output": 0}}}"#)
            .expect("write");
        let prices = load_or_create(home.path()).expect("loaded").prices();
        assert_eq!(prices.price("my-model").map(|p| (p.input, p.output, p.cache_read)), Some((1.0, 2.0, Some(0.1))));
        assert_eq!(prices.price("gpt-5.5").map(|p| p.input), Some(0.0));
        assert_eq!(prices.price("gemini-2.5-flash").map(|p| p.input), Some(0.3), "the rest stays built in");
        std::fs::write(&path, r#"{"prices": {"m": {"input": 1, "outptu": 2}}}"#).expect("write");
        let e = load_or_create(home.path()).expect_err("a misspelt field");
        assert!(e.to_string().contains("unknown field `outptu`"), "{e}");
    }

    #[test]
    fn a_loosened_mode_is_tightened() {
        let home = tempfile::tempdir().expect("tempdir");
        load_or_create(home.path()).expect("created");
        let path = settings_path(home.path());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        load_or_create(home.path()).expect("loaded");
        assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
    }
}
