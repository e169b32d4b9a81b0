//! A project's configuration and scripts: what `.band/config.json` (or band's override) says,
//! whether its scripts are approved, and the setup and teardown runs of its workspaces.
//!
//! Invariant: a script runs only when the hash of exactly the scripts in force was approved for
//! that project (like direnv's `allow`): a change to either script, in the repository or in the
//! override, changes the hash and asks again. The text that runs is the text that was hashed;
//! nothing is read again in between. Until approved, a new workspace is made without its setup,
//! and says why.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;

use super::Workspaces;
use super::projects::unknown_project;
use crate::config::{
    CONFIG_FILE, ConfigDefaults, ConfigView, CopyReport, NewScriptRun, ProjectConfig, Provisioned, SCRIPT_OUTPUT_KEEP,
    ScriptEnd, ScriptKind, ScriptRun, ScriptStatus, SetupState,
};
use crate::env::ScriptPlace;
use crate::error::{ConfigError, CoreError, Fix, Problem, StoreError};
use crate::model::{Project, Workspace, WorkspaceId};
use crate::names::{GitRef, ProjectName};
use crate::ports::{
    Background, EventSink, FinishedRun, GitRepos, Notice, ProjectConfigs, ProjectStore, ProjectTrustStore,
    ScriptHandle, ScriptOutput, ScriptRunStore, ScriptRunner, ScriptSpec,
};

/// The environment of a script, given where it runs (the composition root's allow-list).
pub type ScriptEnvSource = Arc<dyn Fn(&ScriptPlace) -> std::collections::BTreeMap<String, String> + Send + Sync>;

/// What the setup service needs.
pub struct SetupPorts {
    pub projects: Arc<dyn ProjectStore>,
    pub configs: Arc<dyn ProjectConfigs>,
    pub trust: Arc<dyn ProjectTrustStore>,
    pub runs: Arc<dyn ScriptRunStore>,
    pub runner: Arc<dyn ScriptRunner>,
    pub git: Arc<dyn GitRepos>,
    pub events: Arc<dyn EventSink>,
    /// Runs each setup to its end while the request that started it returns.
    pub background: Arc<dyn Background>,
    pub env: ScriptEnvSource,
}

/// Configuration, approval and scripts. Cheap to clone.
#[derive(Clone)]
pub struct ProjectSetup {
    inner: Arc<Inner>,
}

struct Inner {
    ports: SetupPorts,
    workspaces: Arc<Workspaces>,
    /// The script running in each workspace (one at a time).
    live: Mutex<HashMap<WorkspaceId, Live>>,
    /// Policies: a workspace whose policy says `canPushGit=false` runs scripts where git cannot push.
    policies: std::sync::OnceLock<super::Policies>,
}

struct Live {
    run: ScriptRun,
    handle: Arc<dyn ScriptHandle>,
    output: Arc<OutputBuffer>,
}

/// A run's output as it comes: the last [`SCRIPT_OUTPUT_KEEP`] bytes, and how many there were.
struct OutputBuffer {
    workspace: WorkspaceId,
    run: crate::config::ScriptRunId,
    events: Arc<dyn EventSink>,
    state: Mutex<(String, u64)>,
}

impl OutputBuffer {
    fn state(&self) -> MutexGuard<'_, (String, u64)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn snapshot(&self) -> (String, u64) {
        self.state().clone()
    }
}

impl ScriptOutput for OutputBuffer {
    fn output(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let offset = {
            let mut state = self.state();
            let offset = state.1;
            state.0.push_str(text);
            state.1 += text.len() as u64;
            if state.0.len() > SCRIPT_OUTPUT_KEEP {
                let mut cut = state.0.len() - SCRIPT_OUTPUT_KEEP;
                while !state.0.is_char_boundary(cut) {
                    cut += 1;
                }
                state.0.drain(..cut);
            }
            offset
        };
        self.events.publish(Notice::ScriptOutput {
            workspace: self.workspace,
            run: self.run,
            offset,
            text: text.to_owned(),
        });
    }
}

/// A new chat's agent, model and mode, where its request names none (band's settings, or those
/// with a project's configuration over them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatDefaults {
    pub agent: Option<crate::AgentId>,
    pub model: Option<crate::names::ModelName>,
    pub mode: Option<crate::model::PermissionMode>,
}

/// What became of a workspace's teardown script before its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeardownOutcome {
    /// No configuration, no teardown script, or not a worktree band made.
    None,
    /// The configuration could not be used.
    InvalidConfig(String),
    /// Not approved: it did not run.
    NotTrusted { hash: String },
    /// It ran (succeeded or not: the removal goes on either way).
    Ran(ScriptRun),
}

impl ProjectSetup {
    pub fn new(workspaces: Arc<Workspaces>, ports: SetupPorts) -> Self {
        let policies = std::sync::OnceLock::new();
        Self { inner: Arc::new(Inner { ports, workspaces, live: Mutex::new(HashMap::new()), policies }) }
    }

    /// Applies `policies` to the scripts run from now on (`canPushGit=false`).
    pub fn enforce(&self, policies: super::Policies) {
        let _ = self.inner.policies.set(policies);
    }

    fn ports(&self) -> &SetupPorts {
        &self.inner.ports
    }

    fn live(&self) -> MutexGuard<'_, HashMap<WorkspaceId, Live>> {
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn project(&self, name: &str) -> Result<Project, CoreError> {
        let name = ProjectName::new(name)?;
        self.ports().projects.project_by_name(&name).await.map_err(|e| match e {
            StoreError::NotFound(_) => unknown_project(&name),
            e => e.into(),
        })
    }

    /// The configuration in force for `project`: band's override when set, else its checkout's
    /// `.band/config.json`; `Ok(None)` when neither exists; `Err` with what is wrong.
    async fn config_of(&self, project: &Project) -> Result<Result<Option<ProjectConfig>, String>, CoreError> {
        let overridden = self.ports().trust.config_override(project.id).await?;
        match self.ports().configs.load(&project.path, overridden.as_deref()).await {
            Ok(config) => Ok(Ok(config)),
            Err(ConfigError::Invalid { source_name, what }) => Ok(Err(format!("{source_name}: {what}"))),
            Err(e @ ConfigError::Internal(_)) => Err(CoreError::Internal(Box::new(e))),
        }
    }

    async fn view_of(&self, project: &Project) -> Result<ConfigView, CoreError> {
        let (config, error) = match self.config_of(project).await? {
            Ok(c) => (c, None),
            Err(e) => (None, Some(e)),
        };
        let trusted = match config.as_ref().and_then(|c| c.scripts_hash.as_deref()) {
            Some(hash) => self.ports().trust.is_trusted(project.id, hash).await?,
            None => false,
        };
        Ok(ConfigView { project: project.name.clone(), file: project.path.join(CONFIG_FILE), config, error, trusted })
    }

    /// The project's configuration as it is now, and whether its scripts are approved.
    pub async fn view(&self, project: &str) -> Result<ConfigView, CoreError> {
        let project = self.project(project).await?;
        self.view_of(&project).await
    }

    /// Approves the scripts whose hash is `hash` for the project: they must be exactly the scripts
    /// in force now (the hash the person was shown).
    ///
    /// # Errors
    /// `InvalidInput` when the configuration is invalid or has no script; `Conflict` when the
    /// scripts changed since they were shown (their hash is no longer `hash`).
    pub async fn trust(&self, project: &str, hash: &str) -> Result<ConfigView, CoreError> {
        let project = self.project(project).await?;
        let view = self.view_of(&project).await?;
        if let Some(error) = &view.error {
            return Err(CoreError::InvalidInput(
                format!(
                    "project '{}' has an invalid configuration, so there is nothing to approve: {error}",
                    project.name
                )
                .into(),
            ));
        }
        let Some(current) = view.config.as_ref().and_then(|c| c.scripts_hash.clone()) else {
            return Err(CoreError::InvalidInput(
                format!("project '{}' has no setup or teardown script to approve", project.name).into(),
            ));
        };
        if current != hash.trim() {
            return Err(CoreError::Conflict(
                Problem::new(format!(
                    "the scripts of project '{}' changed since they were shown: their hash is now {current}, not {}",
                    project.name,
                    crate::names::shown(hash)
                ))
                .fix(Fix::ApproveScripts { project: project.name.to_string() }),
            ));
        }
        self.ports().trust.trust(project.id, &current).await?;
        self.ports().events.publish(Notice::ProjectConfigChanged(project.name.clone()));
        self.view_of(&project).await
    }

    /// Forgets every approval of the project's scripts: none runs until approved again.
    pub async fn untrust(&self, project: &str) -> Result<ConfigView, CoreError> {
        let project = self.project(project).await?;
        self.ports().trust.untrust(project.id).await?;
        self.ports().events.publish(Notice::ProjectConfigChanged(project.name.clone()));
        self.view_of(&project).await
    }

    /// Sets band's override of the project's configuration (JSON text, checked first), or clears
    /// it with `None`. Scripts it brings need approving like any others.
    ///
    /// # Errors
    /// `InvalidInput` with what is wrong, when the override is not a valid configuration.
    pub async fn set_override(&self, project: &str, document: Option<String>) -> Result<ConfigView, CoreError> {
        let project = self.project(project).await?;
        if let Some(text) = &document {
            match self.ports().configs.load(&project.path, Some(text)).await {
                Ok(_) => {}
                Err(ConfigError::Invalid { source_name, what }) => {
                    return Err(CoreError::InvalidInput(format!("{source_name}: {what}").into()));
                }
                Err(e @ ConfigError::Internal(_)) => return Err(CoreError::Internal(Box::new(e))),
            }
        }
        self.ports().trust.set_config_override(project.id, document).await?;
        self.ports().events.publish(Notice::ProjectConfigChanged(project.name.clone()));
        self.view_of(&project).await
    }

    /// The defaults of the project's configuration (none when it has none or it is invalid).
    pub async fn defaults(&self, project: &Project) -> Result<ConfigDefaults, CoreError> {
        Ok(self.config_of(project).await?.ok().flatten().map(|c| c.defaults).unwrap_or_default())
    }

    /// What a new chat in `project` gets where its request says nothing: the project's
    /// configured defaults, then `fallback` (band's settings) for what those leave out. The
    /// narrower scope wins.
    ///
    /// # Errors
    /// `NotFound` for an unknown project; `InvalidInput` when the configuration's default agent
    /// is not an agent id (whether band has it is the chat's to say).
    pub async fn chat_defaults(&self, project: &str, fallback: ChatDefaults) -> Result<ChatDefaults, CoreError> {
        let project = self.project(project).await?;
        self.chat_defaults_of(&project, fallback).await
    }

    async fn chat_defaults_of(&self, project: &Project, fallback: ChatDefaults) -> Result<ChatDefaults, CoreError> {
        let defaults = self.defaults(project).await?;
        let agent = match &defaults.agent {
            Some(id) => Some(crate::AgentId::new(id).map_err(|e| {
                CoreError::InvalidInput(
                    format!("the default agent of project '{}''s configuration ({CONFIG_FILE}): {e}", project.name)
                        .into(),
                )
            })?),
            None => None,
        };
        Ok(ChatDefaults {
            agent: agent.or(fallback.agent),
            model: defaults.model.or(fallback.model),
            mode: defaults.mode.or(fallback.mode),
        })
    }

    /// `req` with what it leaves out (agent, model, mode) taken from [`Self::chat_defaults`] of
    /// its workspace's project; an invalid configuration gives only `fallback`'s.
    ///
    /// # Errors
    /// As [`Self::chat_defaults`].
    pub async fn with_chat_defaults(
        &self,
        mut req: super::CreateChat,
        fallback: ChatDefaults,
    ) -> Result<super::CreateChat, CoreError> {
        if req.agent.is_some() && req.model.is_some() && req.mode.is_some() {
            return Ok(req);
        }
        let (project, _) = self.inner.workspaces.resolve(&req.workspace).await?;
        let defaults = self.chat_defaults_of(&project, fallback).await?;
        req.agent = req.agent.or(defaults.agent);
        req.model = req.model.or(defaults.model);
        req.mode = req.mode.or(defaults.mode);
        Ok(req)
    }

    /// Creates a workspace (see [`Workspaces::create`]); the base defaults to the configuration's
    /// `baseBranch`, then the project's default branch. A workspace band just made gets the
    /// configuration's files copied in and its setup started, when approved.
    pub async fn create_workspace(
        &self,
        project: &str,
        branch: &str,
        base: Option<&str>,
    ) -> Result<(Workspace, bool, Provisioned), CoreError> {
        let p = self.project(project).await?;
        let base = match base {
            Some(b) => Some(GitRef::new(b)?),
            None => self.defaults(&p).await?.base_branch,
        };
        let (workspace, created) =
            self.inner.workspaces.create(project, branch, base.as_ref().map(GitRef::as_str)).await?;
        if !created {
            return Ok((workspace, false, Provisioned::skipped()));
        }
        let provisioned = self.provision(&p, &workspace).await?;
        Ok((workspace, true, provisioned))
    }

    /// Copies the configured files into a new worktree and starts its setup when approved.
    async fn provision(&self, project: &Project, workspace: &Workspace) -> Result<Provisioned, CoreError> {
        let config = match self.config_of(project).await? {
            Ok(c) => c,
            Err(e) => {
                // `.worktreeinclude` needs no configuration.
                let copy = self.copy(project, workspace, &[]).await;
                return Ok(Provisioned { copy, setup: SetupState::InvalidConfig(e) });
            }
        };
        let globs = config.as_ref().map(|c| c.copy_files.clone()).unwrap_or_default();
        let copy = self.copy(project, workspace, &globs).await;
        let setup = match &config {
            Some(c) if c.setup.is_some() => {
                let hash = c.scripts_hash.clone().unwrap_or_default();
                if self.ports().trust.is_trusted(project.id, &hash).await? {
                    SetupState::Started(self.start(project, workspace, c, ScriptKind::Setup, false).await?)
                } else {
                    SetupState::NotTrusted { hash }
                }
            }
            _ => SetupState::NoScript,
        };
        Ok(Provisioned { copy, setup })
    }

    async fn copy(&self, project: &Project, workspace: &Workspace, globs: &[crate::config::CopyGlob]) -> CopyReport {
        match self.ports().git.copy_into_worktree(&project.path, &workspace.path, globs).await {
            Ok(report) => report,
            Err(e) => {
                CopyReport { skipped: vec![(String::new(), format!("copying failed: {e}"))], ..CopyReport::default() }
            }
        }
    }

    /// Starts `kind`'s script of `config` in the workspace. In the background (`wait` false) it
    /// returns the run as it starts, and a background task records and announces its end;
    /// otherwise it returns the run as it ended.
    async fn start(
        &self,
        project: &Project,
        workspace: &Workspace,
        config: &ProjectConfig,
        kind: ScriptKind,
        wait: bool,
    ) -> Result<ScriptRun, CoreError> {
        let script = config.script(kind).unwrap_or_default().to_owned();
        let hash = config.scripts_hash.clone().unwrap_or_default();
        if let Some(live) = self.live().get(&workspace.id) {
            return Err(CoreError::Conflict(
                format!(
                    "the {} script of workspace '{}/{}' is still running (run {})",
                    live.run.kind.as_str(),
                    project.name,
                    workspace.branch,
                    live.run.id.0
                )
                .into(),
            ));
        }
        let run = self
            .ports()
            .runs
            .insert_script_run(NewScriptRun { workspace_id: workspace.id, kind, scripts_hash: hash })
            .await?;
        let output = Arc::new(OutputBuffer {
            workspace: workspace.id,
            run: run.id,
            events: self.ports().events.clone(),
            state: Mutex::new((String::new(), 0)),
        });
        let place = ScriptPlace {
            workspace: workspace.path.display().to_string(),
            project: project.path.display().to_string(),
            branch: workspace.branch.to_string(),
            base: workspace.base.to_string(),
        };
        let mut env = (self.ports().env)(&place);
        if let Some(p) = self.inner.policies.get()
            && p.effective(crate::policy::PolicyScope::Workspace(workspace.id)).await?.policy.push_refused().is_some()
        {
            crate::policy::refuse_git_push(&mut env);
        }
        let spec = ScriptSpec {
            script,
            dir: workspace.path.clone(),
            env,
            timeout: Duration::from_secs(config.script_timeout_secs),
        };
        self.ports().events.publish(Notice::ScriptRunChanged { project: project.name.clone(), run: run.clone() });
        let handle = match self.ports().runner.start(spec, output.clone()).await {
            Ok(handle) => handle,
            Err(e) => return self.finish(project, &run, &output, ScriptEnd::NotStarted(e.to_string())).await,
        };
        self.live().insert(workspace.id, Live { run: run.clone(), handle: handle.clone(), output: output.clone() });
        if wait {
            let end = handle.wait().await;
            self.forget(workspace.id, run.id);
            return self.finish(project, &run, &output, end).await;
        }
        let this = self.clone();
        let (project, started) = (project.clone(), run.clone());
        self.ports().background.spawn(
            async move {
                let end = handle.wait().await;
                this.forget(started.workspace_id, started.id);
                let _ = this.finish(&project, &started, &output, end).await;
            }
            .boxed(),
        );
        Ok(run)
    }

    /// Forgets the workspace's live run, if it is still `run`.
    fn forget(&self, workspace: WorkspaceId, run: crate::config::ScriptRunId) {
        let mut live = self.live();
        if live.get(&workspace).is_some_and(|l| l.run.id == run) {
            live.remove(&workspace);
        }
    }

    /// Records and announces how a run ended.
    async fn finish(
        &self,
        project: &Project,
        run: &ScriptRun,
        output: &OutputBuffer,
        end: ScriptEnd,
    ) -> Result<ScriptRun, CoreError> {
        let (text, len) = output.snapshot();
        let (status, exit_code, error) = match end {
            ScriptEnd::Exited(0) => (ScriptStatus::Succeeded, Some(0), None),
            ScriptEnd::Exited(code) => (ScriptStatus::Failed, Some(code), Some(format!("it exited with code {code}"))),
            ScriptEnd::Signaled(sig) => (ScriptStatus::Failed, None, Some(format!("it was killed by signal {sig}"))),
            ScriptEnd::TimedOut => {
                (ScriptStatus::TimedOut, None, Some("it ran past its timeout and was stopped".into()))
            }
            ScriptEnd::Stopped => (ScriptStatus::Stopped, None, Some("it was stopped".into())),
            ScriptEnd::NotStarted(why) => (ScriptStatus::Failed, None, Some(why)),
        };
        let finished = FinishedRun { status, exit_code, error, output: text, output_len: len };
        let ended = self.ports().runs.finish_script_run(run.id, finished).await?;
        self.ports().events.publish(Notice::ScriptRunChanged { project: project.name.clone(), run: ended.clone() });
        Ok(ended)
    }

    /// Runs the workspace's setup script again (after an approval, or a failure).
    ///
    /// # Errors
    /// `Refused` when the scripts are not approved; `InvalidInput` when the configuration is
    /// invalid or has no setup script; `Conflict` while a script of the workspace runs.
    pub async fn run_setup(&self, selector: &str) -> Result<ScriptRun, CoreError> {
        let (project, workspace) = self.inner.workspaces.resolve(selector).await?;
        if workspace.direct {
            return Err(CoreError::InvalidInput(
                format!(
                    "workspace '{}/{}' is direct (the project's own checkout): setup scripts run only in worktrees band makes",
                    project.name, workspace.branch
                )
                .into(),
            ));
        }
        let config = match self.config_of(&project).await? {
            Ok(Some(c)) if c.setup.is_some() => c,
            Ok(_) => {
                return Err(CoreError::InvalidInput(format!("project '{}' has no setup script", project.name).into()));
            }
            Err(e) => return Err(CoreError::InvalidInput(e.into())),
        };
        let hash = config.scripts_hash.clone().unwrap_or_default();
        if !self.ports().trust.is_trusted(project.id, &hash).await? {
            return Err(not_trusted(&project, &hash));
        }
        self.start(&project, &workspace, &config, ScriptKind::Setup, false).await
    }

    /// A workspace's script runs, oldest first; a running one with its output so far.
    pub async fn runs(&self, selector: &str) -> Result<Vec<ScriptRun>, CoreError> {
        let (_, workspace) = self.inner.workspaces.resolve(selector).await?;
        let mut runs = self.ports().runs.script_runs(workspace.id).await?;
        if let Some(live) = self.live().get(&workspace.id) {
            let (text, len) = live.output.snapshot();
            for r in runs.iter_mut().filter(|r| r.id == live.run.id && r.status == ScriptStatus::Running) {
                r.output.clone_from(&text);
                r.output_len = len;
            }
        }
        Ok(runs)
    }

    /// Stops the script running in the workspace, if one is, and waits for it to end.
    pub async fn stop(&self, workspace: WorkspaceId) {
        let live = self.live().get(&workspace).map(|l| (l.handle.clone(), l.run.id));
        if let Some((handle, run)) = live {
            handle.stop().await;
            handle.wait().await;
            self.forget(workspace, run);
        }
    }

    /// Whether the project has an approved teardown script (in a valid configuration).
    pub async fn would_tear_down(&self, project: &Project) -> Result<bool, CoreError> {
        match self.config_of(project).await? {
            Ok(Some(c)) if c.teardown.is_some() => {
                Ok(self.ports().trust.is_trusted(project.id, c.scripts_hash.as_deref().unwrap_or_default()).await?)
            }
            _ => Ok(false),
        }
    }

    /// Runs the workspace's teardown script, when approved, to its end (its timeout included).
    /// `present` says whether the worktree is there to run it in.
    pub async fn teardown(
        &self,
        project: &Project,
        workspace: &Workspace,
        present: bool,
    ) -> Result<TeardownOutcome, CoreError> {
        self.stop(workspace.id).await;
        if !present {
            return Ok(TeardownOutcome::None);
        }
        let config = match self.config_of(project).await? {
            Ok(Some(c)) if c.teardown.is_some() => c,
            Ok(_) => return Ok(TeardownOutcome::None),
            Err(e) => return Ok(TeardownOutcome::InvalidConfig(e)),
        };
        let hash = config.scripts_hash.clone().unwrap_or_default();
        if !self.ports().trust.is_trusted(project.id, &hash).await? {
            return Ok(TeardownOutcome::NotTrusted { hash });
        }
        Ok(TeardownOutcome::Ran(self.start(project, workspace, &config, ScriptKind::Teardown, true).await?))
    }

    /// Marks runs a previous server left running as stopped (at start).
    pub async fn recover(&self) -> Result<usize, CoreError> {
        Ok(self.ports().runs.stop_running_scripts().await?)
    }

    /// Stops every running script (at shutdown).
    pub async fn shutdown(&self) {
        let ids: Vec<WorkspaceId> = self.live().keys().copied().collect();
        for id in ids {
            self.stop(id).await;
        }
    }
}

pub(crate) fn not_trusted(project: &Project, hash: &str) -> CoreError {
    CoreError::Refused(
        Problem::new(format!(
            "the scripts of project '{}' are not approved (hash {hash}); band runs a repository's scripts only once \
             you have read and approved them",
            project.name
        ))
        .fix(Fix::ApproveScripts { project: project.name.to_string() }),
    )
}
