//! The settings a running server applies at once (the defaults of a new chat, the idle agents'
//! timeout) and `settings.set`, which validates one key, writes settings.json (atomically, the
//! token untouched and never returned) and says whether a restart is needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use band_api as api;
use band_core::{AgentId, AgentRegistry, CoreError, ModelName};

use crate::settings::{self, Settings};

/// The highest `maxLiveAgents` accepted.
pub const MAX_LIVE_AGENTS: u64 = 1000;

/// The longest idle timeout accepted (30 days).
pub const MAX_IDLE_SECONDS: u64 = 30 * 24 * 3600;

pub struct LiveSettings {
    home: PathBuf,
    registry: Arc<AgentRegistry>,
    defaults: RwLock<api::SettingsDefaults>,
    /// `agentIdleTimeoutSeconds`, read by the idle sweeper on each round.
    pub idle_seconds: Arc<AtomicU64>,
    /// `maxLiveAgents`, shared with the chats service (0: no limit).
    max_live: Arc<AtomicUsize>,
    terminal_shell: RwLock<Option<String>>,
    restart_needed: Mutex<BTreeSet<String>>,
    /// One `settings.set` at a time: each reads, changes and writes the whole file.
    writing: Mutex<()>,
}

impl LiveSettings {
    pub fn new(
        home: &Path,
        registry: Arc<AgentRegistry>,
        settings: &Settings,
        idle_seconds: u64,
        max_live: Arc<AtomicUsize>,
    ) -> Self {
        max_live.store(usize::try_from(settings.max_live_agents.unwrap_or(0)).unwrap_or(usize::MAX), Ordering::Relaxed);
        Self {
            home: home.to_owned(),
            registry,
            defaults: RwLock::new(settings.defaults.clone()),
            idle_seconds: Arc::new(AtomicU64::new(idle_seconds)),
            max_live,
            terminal_shell: RwLock::new(settings.terminals.shell.clone()),
            restart_needed: Mutex::new(BTreeSet::new()),
            writing: Mutex::new(()),
        }
    }

    /// What a new chat gets when the request names nothing.
    pub fn defaults(&self) -> api::SettingsDefaults {
        self.defaults.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `base` (what was fixed at start) with the live values.
    pub fn info(&self, base: &api::SettingsInfo) -> api::SettingsInfo {
        api::SettingsInfo {
            defaults: self.defaults(),
            agent_idle_timeout_seconds: self.idle_seconds.load(Ordering::Relaxed),
            max_live_agents: self.max_live.load(Ordering::Relaxed) as u64,
            terminal_shell: self.terminal_shell.read().unwrap_or_else(|p| p.into_inner()).clone(),
            restart_needed: self.restart_needed.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect(),
            ..base.clone()
        }
    }

    /// Validates and writes one key; applies it at once when it can.
    ///
    /// # Errors
    /// `InvalidInput` for an unknown key or a bad value (saying what would do); `Internal` when
    /// settings.json cannot be read or written.
    pub fn set(&self, key: &str, value: &str) -> Result<api::SettingChanged, CoreError> {
        let value = value.trim();
        let empty = value.is_empty();
        let _one = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = settings::load_or_create(&self.home).map_err(|e| CoreError::Internal(e.to_string().into()))?;
        let mut restart = false;
        match key {
            "defaults.agent" => {
                let agent = if empty {
                    None
                } else {
                    let id = AgentId::new(value)?;
                    self.registry.get(&id)?;
                    Some(api::AgentId(id.to_string()))
                };
                file.defaults.agent.clone_from(&agent);
                self.defaults.write().unwrap_or_else(|p| p.into_inner()).agent = agent;
            }
            "defaults.mode" => {
                let mode = if empty {
                    None
                } else {
                    let parsed = serde_json::from_value::<api::Mode>(serde_json::Value::String(value.to_owned()))
                        .map_err(|_| invalid(format!("'{value}' is not a mode: use ask, accept-edits or allow-all")))?;
                    Some(parsed)
                };
                file.defaults.mode = mode;
                self.defaults.write().unwrap_or_else(|p| p.into_inner()).mode = mode;
            }
            "defaults.model" => {
                let model = if empty { None } else { Some(ModelName::new(value)?.to_string()) };
                file.defaults.model.clone_from(&model);
                self.defaults.write().unwrap_or_else(|p| p.into_inner()).model = model;
            }
            "agentIdleTimeoutSeconds" => {
                let seconds = if empty {
                    None
                } else {
                    let n: u64 = value.parse().map_err(|_| {
                        invalid(format!(
                            "agentIdleTimeoutSeconds '{value}' is not a whole number of seconds (0: never)"
                        ))
                    })?;
                    if n > MAX_IDLE_SECONDS {
                        return Err(invalid(format!(
                            "agentIdleTimeoutSeconds {n} is more than 30 days ({MAX_IDLE_SECONDS}); use 0 to keep idle agents"
                        )));
                    }
                    Some(n)
                };
                file.agent_idle_timeout_seconds = seconds;
                self.idle_seconds
                    .store(seconds.unwrap_or(crate::DEFAULT_AGENT_IDLE_TIMEOUT_SECONDS), Ordering::Relaxed);
            }
            "maxLiveAgents" => {
                let n = if empty {
                    None
                } else {
                    let n: u64 = value.parse().ok().filter(|n| *n <= MAX_LIVE_AGENTS).ok_or_else(|| {
                        invalid(format!(
                            "maxLiveAgents '{value}' is not a whole number from 0 (no limit) to {MAX_LIVE_AGENTS}"
                        ))
                    })?;
                    Some(n)
                };
                file.max_live_agents = n;
                self.max_live.store(usize::try_from(n.unwrap_or(0)).unwrap_or(usize::MAX), Ordering::Relaxed);
            }
            "worktreesDir" => {
                if !(empty || value.starts_with('/') || value.starts_with("~/")) {
                    return Err(invalid(format!("worktreesDir '{value}' must be an absolute path (or start with ~/)")));
                }
                file.worktrees_dir = (!empty).then(|| value.to_owned());
                restart = true;
            }
            "terminals.shell" => {
                let shell = Path::new(value);
                if !(empty || (shell.is_absolute() && band_adapters::terminals::is_executable(shell))) {
                    return Err(invalid(format!("terminals.shell '{value}' is not an absolute path to an executable")));
                }
                file.terminals.shell = (!empty).then(|| value.to_owned());
                *self.terminal_shell.write().unwrap_or_else(|p| p.into_inner()) = file.terminals.shell.clone();
                restart = true;
            }
            "tokenSecret" => {
                return Err(invalid(
                    "the token is not a setting: rotate it with token.rotate (`band token rotate`)".into(),
                ));
            }
            other => {
                return Err(invalid(format!(
                    "'{other}' is not a setting band changes from here; use one of: defaults.agent, defaults.mode, \
                     defaults.model, agentIdleTimeoutSeconds, maxLiveAgents, worktreesDir, terminals.shell (edit settings.json for the rest)"
                )));
            }
        }
        settings::save(&self.home, &file).map_err(|e| CoreError::Internal(e.to_string().into()))?;
        if restart {
            self.restart_needed.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_owned());
        }
        Ok(api::SettingChanged {
            key: key.to_owned(),
            value: (!empty).then(|| value.to_owned()),
            restart_needed: restart,
        })
    }
}

fn invalid(what: String) -> CoreError {
    CoreError::InvalidInput(what.into())
}
