//! The agents band can run, and whether each is installed here: the registry with each agent's
//! presence (its binary found, its version asked), for `agents.list`.

use std::sync::Arc;

use crate::agents::{AgentDefinition, AgentProtocol, AgentRegistry};
use crate::ports::{AgentPresence, AgentProbe};
use crate::services::chats::EnvSource;

/// One agent of the registry and what this machine has of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStatus {
    pub agent: AgentDefinition,
    pub presence: AgentPresence,
    /// This band-server runs agents of its protocol.
    pub runnable: bool,
}

impl AgentStatus {
    pub fn installed(&self) -> bool {
        matches!(self.presence, AgentPresence::Installed { .. })
    }
}

pub struct Agents {
    registry: Arc<AgentRegistry>,
    probe: Arc<dyn AgentProbe>,
    env: EnvSource,
    runnable: Vec<AgentProtocol>,
}

impl Agents {
    /// `env` gives each agent the environment it runs with, so its binary is looked up on the
    /// same PATH as when a chat starts it; `runnable` are the protocols this server has a runtime
    /// for.
    pub fn new(
        registry: Arc<AgentRegistry>,
        probe: Arc<dyn AgentProbe>,
        env: EnvSource,
        runnable: Vec<AgentProtocol>,
    ) -> Self {
        Self { registry, probe, env, runnable }
    }

    pub fn registry(&self) -> &Arc<AgentRegistry> {
        &self.registry
    }

    /// Every agent, installed ones first (each group in the registry's order), probed at once.
    pub async fn list(&self) -> Vec<AgentStatus> {
        let probes = self.registry.all().iter().map(|agent| {
            let env = (self.env)(agent);
            let probe = self.probe.clone();
            let runnable = self.runnable.contains(&agent.protocol);
            async move { AgentStatus { agent: agent.clone(), presence: probe.probe(agent, &env).await, runnable } }
        });
        let mut all = futures_util::future::join_all(probes).await;
        // Stable: the registry's order within each group.
        all.sort_by_key(|s| !s.installed());
        all
    }
}
