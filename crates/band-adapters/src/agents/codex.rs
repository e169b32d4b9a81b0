//! Codex through `codex app-server` (being written).

use std::sync::Arc;

use async_trait::async_trait;
use band_core::ports::{AgentEvents, AgentHandle, AgentLaunch, AgentRuntime};
use band_core::{AgentError, AgentKind};

pub struct CodexRuntime {
    binary: Option<String>,
}

impl CodexRuntime {
    pub fn new(binary: Option<String>) -> Self {
        Self { binary }
    }
}

#[async_trait]
impl AgentRuntime for CodexRuntime {
    fn kind(&self) -> AgentKind {
        AgentKind::Codex
    }

    async fn launch(
        &self,
        launch: AgentLaunch,
        _events: Arc<dyn AgentEvents>,
    ) -> Result<Arc<dyn AgentHandle>, AgentError> {
        super::process::find_binary("codex", "codex", AgentKind::Codex.package(), self.binary.as_deref(), &launch.env)?;
        Err(AgentError::Protocol("the codex adapter is not finished yet".into()))
    }
}
