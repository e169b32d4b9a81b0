//! Fakes of the project configuration and script ports, for band-core's tests: configurations
//! set per checkout (or per override text), and a runner that records each script it is asked
//! to run and ends it at once, as told (the real ones are band-adapters' `project` module,
//! tested against real files and a real `/bin/sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use band_core::ports::{ProjectConfigs, ScriptHandle, ScriptOutput, ScriptRunner, ScriptSpec};
use band_core::{ConfigError, ConfigSource, ProjectConfig, ScriptEnd, ScriptError};

/// What [`FakeConfigs::load`] answers for a checkout: a configuration, none, or an error.
type Answer = Result<Option<ProjectConfig>, String>;

/// Configurations by checkout; overrides by their text.
#[derive(Default)]
pub struct FakeConfigs {
    state: Mutex<(BTreeMap<PathBuf, Answer>, BTreeMap<String, ProjectConfig>)>,
}

impl FakeConfigs {
    fn state(&self) -> MutexGuard<'_, (BTreeMap<PathBuf, Answer>, BTreeMap<String, ProjectConfig>)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The checkout's `.band/config.json` is now `config` (`None`: there is none).
    pub fn set(&self, checkout: &Path, config: Option<ProjectConfig>) {
        self.state().0.insert(checkout.to_owned(), Ok(config));
    }

    /// The checkout's configuration is invalid, for `why`.
    pub fn set_invalid(&self, checkout: &Path, why: &str) {
        self.state().0.insert(checkout.to_owned(), Err(why.to_owned()));
    }

    /// An override whose text is `text` parses to `config`; any other override is invalid.
    pub fn allow_override(&self, text: &str, config: ProjectConfig) {
        self.state().1.insert(text.to_owned(), config);
    }
}

/// A configuration with these scripts, its hash made of their text (a stand-in for SHA-256).
pub fn config_with(setup: Option<&str>, teardown: Option<&str>) -> ProjectConfig {
    ProjectConfig {
        source: ConfigSource::Repository(PathBuf::from(".band/config.json")),
        setup: setup.map(str::to_owned),
        teardown: teardown.map(str::to_owned),
        script_timeout_secs: 60,
        copy_files: Vec::new(),
        defaults: band_core::ConfigDefaults::default(),
        scripts_hash: ProjectConfig::scripts_text(setup, teardown)
            .map(|t| t.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))))
            .map(|h| format!("{h:016x}")),
    }
}

#[async_trait]
impl ProjectConfigs for FakeConfigs {
    async fn load(&self, checkout: &Path, override_json: Option<&str>) -> Result<Option<ProjectConfig>, ConfigError> {
        let state = self.state();
        if let Some(text) = override_json {
            return match state.1.get(text) {
                Some(c) => Ok(Some(ProjectConfig { source: ConfigSource::Override, ..c.clone() })),
                None => Err(ConfigError::Invalid { source_name: "override".into(), what: "not allowed".into() }),
            };
        }
        match state.0.get(checkout) {
            None | Some(Ok(None)) => Ok(None),
            Some(Ok(Some(c))) => Ok(Some(c.clone())),
            Some(Err(why)) => Err(ConfigError::Invalid {
                source_name: checkout.join(".band/config.json").display().to_string(),
                what: why.clone(),
            }),
        }
    }
}

/// Records each script started, writes its preset output and ends it at once with the preset
/// end (exit 0 unless told otherwise).
#[derive(Default)]
pub struct FakeScripts {
    state: Mutex<ScriptsState>,
}

#[derive(Default)]
struct ScriptsState {
    started: Vec<ScriptSpec>,
    output: Vec<String>,
    end: Option<ScriptEnd>,
    refuse: Option<String>,
}

impl FakeScripts {
    fn state(&self) -> MutexGuard<'_, ScriptsState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every script started so far, in order.
    pub fn started(&self) -> Vec<ScriptSpec> {
        self.state().started.clone()
    }

    /// The scripts started so far, their text only.
    pub fn scripts(&self) -> Vec<String> {
        self.state().started.iter().map(|s| s.script.clone()).collect()
    }

    /// Each script from now on writes these pieces of output, then ends with `end`.
    pub fn behave(&self, output: &[&str], end: ScriptEnd) {
        let mut s = self.state();
        s.output = output.iter().map(|o| (*o).to_owned()).collect();
        s.end = Some(end);
    }

    /// Each start from now on fails with `why`.
    pub fn refuse(&self, why: &str) {
        self.state().refuse = Some(why.to_owned());
    }
}

struct Ended {
    end: ScriptEnd,
    stopped: Mutex<bool>,
}

#[async_trait]
impl ScriptHandle for Ended {
    async fn wait(&self) -> ScriptEnd {
        if *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) { ScriptEnd::Stopped } else { self.end.clone() }
    }

    async fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
    }
}

#[async_trait]
impl ScriptRunner for FakeScripts {
    async fn start(
        &self,
        spec: ScriptSpec,
        output: Arc<dyn ScriptOutput>,
    ) -> Result<Arc<dyn ScriptHandle>, ScriptError> {
        let (pieces, end) = {
            let mut s = self.state();
            if let Some(why) = &s.refuse {
                return Err(ScriptError::NotStarted(why.clone()));
            }
            s.started.push(spec);
            (s.output.clone(), s.end.clone().unwrap_or(ScriptEnd::Exited(0)))
        };
        for piece in pieces {
            output.output(&piece);
        }
        Ok(Arc::new(Ended { end, stopped: Mutex::new(false) }))
    }
}

/// Runs background work at once, to its end or its first wait (with these fakes, its end).
pub struct InlineBackground;

impl band_core::ports::Background for InlineBackground {
    fn spawn(&self, task: futures_util::future::BoxFuture<'static, ()>) {
        futures_util::FutureExt::now_or_never(task);
    }
}

/// The setup service on fakes: configurations and scripts as the test sets them, approvals and
/// runs in `store`, the environment `BAND_BRANCH` only.
pub struct SetupWorld {
    pub setup: band_core::services::ProjectSetup,
    pub configs: Arc<FakeConfigs>,
    pub scripts: Arc<FakeScripts>,
}

pub fn setup_world(
    workspaces: Arc<band_core::services::Workspaces>,
    store: Arc<crate::memory::MemoryStore>,
    git: Arc<dyn band_core::ports::GitRepos>,
    events: Arc<dyn band_core::ports::EventSink>,
) -> SetupWorld {
    let configs = Arc::new(FakeConfigs::default());
    let scripts = Arc::new(FakeScripts::default());
    let setup = band_core::services::ProjectSetup::new(
        workspaces,
        band_core::services::SetupPorts {
            projects: store.clone(),
            configs: configs.clone(),
            trust: store.clone(),
            runs: store,
            runner: scripts.clone(),
            git,
            events,
            background: Arc::new(InlineBackground),
            env: Arc::new(|place: &band_core::ScriptPlace| {
                [("BAND_BRANCH".to_owned(), place.branch.clone())].into_iter().collect()
            }),
        },
    );
    SetupWorld { setup, configs, scripts }
}
