//! What a project's configuration and scripts need from the outside world: reading and parsing
//! the configuration, remembering approvals and overrides, running scripts, keeping their runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::config::{NewScriptRun, ProjectConfig, ScriptEnd, ScriptRun, ScriptRunId, ScriptStatus};
use crate::error::{ConfigError, ScriptError, StoreError};
use crate::model::{ProjectId, WorkspaceId};

/// Reads and checks project configurations.
#[async_trait]
pub trait ProjectConfigs: Send + Sync {
    /// Parses `override_json` when given, else `<checkout>/.band/config.json` (a regular file,
    /// not a symlink, at most 64 KiB; `.band` a real directory). `Ok(None)` when there is no
    /// file. The scripts' hash is computed over [`ProjectConfig::scripts_text`].
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the source and what is wrong: not JSON (with where), not an
    /// object, an unknown key (with the known ones), a value of the wrong type, a script too long,
    /// a copyFiles glob that would escape the repository, a timeout out of range.
    async fn load(&self, checkout: &Path, override_json: Option<&str>) -> Result<Option<ProjectConfig>, ConfigError>;
}

/// Approved script hashes and configuration overrides, per project. Both go with the project.
#[async_trait]
pub trait ProjectTrustStore: Send + Sync {
    /// Whether `hash` was approved for the project.
    async fn is_trusted(&self, project: ProjectId, hash: &str) -> Result<bool, StoreError>;

    /// Records the approval of `hash` for the project (again: no change).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the project does not exist.
    async fn trust(&self, project: ProjectId, hash: &str) -> Result<(), StoreError>;

    /// Forgets every approval of the project; returns how many there were.
    async fn untrust(&self, project: ProjectId) -> Result<usize, StoreError>;

    /// band's override of the project's `.band/config.json`, as it was set (JSON text).
    async fn config_override(&self, project: ProjectId) -> Result<Option<String>, StoreError>;

    /// Sets (or, with `None`, clears) the override.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the project does not exist.
    async fn set_config_override(&self, project: ProjectId, document: Option<String>) -> Result<(), StoreError>;
}

/// Runs of setup and teardown scripts, kept with their output until their workspace goes.
#[async_trait]
pub trait ScriptRunStore: Send + Sync {
    /// Records a run that starts now: status running, no output.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the workspace does not exist.
    async fn insert_script_run(&self, new: NewScriptRun) -> Result<ScriptRun, StoreError>;

    /// Records how a run ended, with its output (the caller keeps it within
    /// [`SCRIPT_OUTPUT_KEEP`](crate::SCRIPT_OUTPUT_KEEP)) and `ended_at` now.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the run is gone (its workspace was removed).
    async fn finish_script_run(&self, id: ScriptRunId, end: FinishedRun) -> Result<ScriptRun, StoreError>;

    /// A workspace's runs, oldest first.
    async fn script_runs(&self, workspace: WorkspaceId) -> Result<Vec<ScriptRun>, StoreError>;

    /// Marks every run still `running` as stopped (at start: the server that ran them is gone);
    /// returns how many.
    async fn stop_running_scripts(&self) -> Result<usize, StoreError>;
}

/// How a run ended, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishedRun {
    pub status: ScriptStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub output: String,
    pub output_len: u64,
}

/// How to run one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptSpec {
    /// The approved text, run as it is by `/bin/sh -c` (one argument; never interpolated).
    pub script: String,
    /// The workspace's directory.
    pub dir: PathBuf,
    /// The complete environment, already allow-listed (see [`crate::script_env`]).
    pub env: BTreeMap<String, String>,
    pub timeout: Duration,
}

/// Receives one run's output, in order, as it comes (stdout and stderr interleaved).
pub trait ScriptOutput: Send + Sync {
    fn output(&self, text: &str);
}

/// Starts scripts. Each runs in its own process group through the process supervisor: nothing it
/// starts outlives it.
#[async_trait]
pub trait ScriptRunner: Send + Sync {
    /// Starts `spec`; its output goes to `output` until it ends.
    ///
    /// # Errors
    /// [`ScriptError::NotStarted`] when `/bin/sh` cannot be started or the directory is gone.
    async fn start(
        &self,
        spec: ScriptSpec,
        output: Arc<dyn ScriptOutput>,
    ) -> Result<Arc<dyn ScriptHandle>, ScriptError>;
}

/// One running script.
#[async_trait]
pub trait ScriptHandle: Send + Sync {
    /// Waits for it to end (every output call made before), its timeout included: then it is
    /// stopped and ends [`ScriptEnd::TimedOut`]. May be called more than once.
    async fn wait(&self) -> ScriptEnd;

    /// Stops it (TERM to its group, a grace period, KILL); it ends [`ScriptEnd::Stopped`].
    async fn stop(&self);
}
