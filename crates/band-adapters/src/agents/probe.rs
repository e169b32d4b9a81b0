//! [`VersionProbe`]: is an agent installed here, and which version? Its binary is looked up as a
//! chat would start it (its definition's absolute path, else its name on the agent's PATH) and run
//! with its version arguments (`--version`) through band-process, for at most
//! [`PROBE_TIMEOUT`]. Versions are cached per binary (path, size, modification time), so
//! `agents.list` runs nothing again until a binary changes; failures are asked again.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use band_core::AgentDefinition;
use band_core::ports::{AgentPresence, AgentProbe};
use band_process::{Io, Stop, Supervisor};
use tokio::io::AsyncReadExt;

use super::process;

/// How long a version probe may take: `gemini --version` alone takes 3.5-4.5 s on a 2-core
/// machine (node loading its bundle), more when the machine is busy.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
/// What is read of a probe's output.
const MAX_OUTPUT: u64 = 16 * 1024;

/// What identifies one build of a binary: a new install changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

pub struct VersionProbe {
    supervisor: Supervisor,
    timeout: Duration,
    cache: Mutex<HashMap<(PathBuf, Vec<String>), (Stamp, AgentPresence)>>,
}

impl VersionProbe {
    pub fn new(supervisor: Supervisor) -> Self {
        Self { supervisor, timeout: PROBE_TIMEOUT, cache: Mutex::new(HashMap::new()) }
    }

    /// With another deadline (tests of binaries that hang).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<(PathBuf, Vec<String>), (Stamp, AgentPresence)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `path args`, returning its version line or why there is none.
    async fn run(
        &self,
        path: &PathBuf,
        agent: &AgentDefinition,
        env: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        let shown = format!("{} {}", agent.binary, agent.version_args.join(" "));
        let spec = band_process::Spec::new(path)
            .args(&agent.version_args)
            .cwd("/")
            .envs(env)
            .stdout(Io::Piped)
            .stderr(Io::Piped);
        let mut child = self.supervisor.spawn(spec).await.map_err(|e| format!("`{shown}` could not start: {e}"))?;
        let (stdout, stderr) = (child.take_stdout(), child.take_stderr());
        let process = child.watch();
        let read = async {
            let mut out = String::new();
            let mut err = String::new();
            if let Some(s) = stdout {
                let _ = s.take(MAX_OUTPUT).read_to_string(&mut out).await;
            }
            if let Some(s) = stderr {
                let _ = s.take(MAX_OUTPUT).read_to_string(&mut err).await;
            }
            (out, err, process.exited().await)
        };
        let Ok((out, err, exit)) = tokio::time::timeout(self.timeout, read).await else {
            process.stop(Stop::TERM).await;
            return Err(format!("`{shown}` did not answer within {} s", self.timeout.as_secs_f64()));
        };
        let first =
            |s: &str| s.lines().map(str::trim).find(|l| !l.is_empty()).map(|l| l.chars().take(200).collect::<String>());
        if exit.code != Some(0) {
            let said = first(&err).or_else(|| first(&out)).map(|l| format!(": {l}")).unwrap_or_default();
            return Err(format!("`{shown}` failed ({exit}){said}"));
        }
        first(&out).or_else(|| first(&err)).ok_or_else(|| format!("`{shown}` printed nothing"))
    }
}

#[async_trait]
impl AgentProbe for VersionProbe {
    async fn probe(&self, agent: &AgentDefinition, env: &BTreeMap<String, String>) -> AgentPresence {
        let Ok(path) = process::find_binary(agent, env) else { return AgentPresence::Missing };
        let stamp = match std::fs::metadata(&path) {
            Ok(m) => Stamp { len: m.len(), modified: m.modified().ok() },
            Err(_) => return AgentPresence::Missing,
        };
        let key = (path.clone(), agent.version_args.clone());
        if let Some((cached, presence)) = self.cache().get(&key)
            && *cached == stamp
        {
            return presence.clone();
        }
        match self.run(&path, agent, env).await {
            Ok(version) => {
                let presence = AgentPresence::Installed { path, version: Some(version), problem: None };
                self.cache().insert(key, (stamp, presence.clone()));
                presence
            }
            // Not cached: a probe that timed out on a busy machine is asked again next time.
            Err(problem) => AgentPresence::Installed { path, version: None, problem: Some(problem) },
        }
    }
}
