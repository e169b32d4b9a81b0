use std::sync::Arc;

use super::Workspaces;
use crate::error::CoreError;
use crate::files::human_size;
use crate::model::{Layout, LayoutScope, Workspace};
use crate::ports::{EventSink, LayoutStore, Notice};

/// Remembered dashboard layouts, one for the whole dashboard and one per workspace, so another
/// browser or device opens where the last one left off.
///
/// The document is opaque here: the API edge checks that it is a JSON object; this service
/// checks its size, stores it and announces the change ([`Notice::LayoutChanged`]).
pub struct Layouts {
    store: Arc<dyn LayoutStore>,
    workspaces: Arc<Workspaces>,
    events: Arc<dyn EventSink>,
}

impl Layouts {
    /// Largest layout document kept, in bytes.
    pub const MAX_BYTES: usize = 64 * 1024;

    pub fn new(store: Arc<dyn LayoutStore>, workspaces: Arc<Workspaces>, events: Arc<dyn EventSink>) -> Self {
        Self { store, workspaces, events }
    }

    /// The layout of a workspace (a selector), or the global one; `None` when none was set.
    ///
    /// # Errors
    /// `NotFound` for an unknown workspace.
    pub async fn get(&self, workspace: Option<&str>) -> Result<(Option<Workspace>, Option<Layout>), CoreError> {
        let (workspace, scope) = self.scope(workspace).await?;
        Ok((workspace, self.store.layout(scope).await?))
    }

    /// Replaces the layout of a workspace (a selector), or the global one, and announces it.
    ///
    /// # Errors
    /// `InvalidInput` for a document over [`Layouts::MAX_BYTES`], `NotFound` for an unknown
    /// workspace; nothing is stored then.
    pub async fn set(
        &self,
        workspace: Option<&str>,
        document: String,
    ) -> Result<(Option<Workspace>, Layout), CoreError> {
        if document.len() > Self::MAX_BYTES {
            return Err(CoreError::InvalidInput(
                format!(
                    "the layout is {} bytes; band keeps layouts up to {} bytes ({})",
                    document.len(),
                    Self::MAX_BYTES,
                    human_size(Self::MAX_BYTES as u64)
                )
                .into(),
            ));
        }
        let (workspace, scope) = self.scope(workspace).await?;
        let layout = self.store.put_layout(scope, document).await?;
        self.events.publish(Notice::LayoutChanged(layout.clone()));
        Ok((workspace, layout))
    }

    async fn scope(&self, workspace: Option<&str>) -> Result<(Option<Workspace>, LayoutScope), CoreError> {
        match workspace {
            None => Ok((None, LayoutScope::Global)),
            Some(selector) => {
                let (_, ws) = self.workspaces.resolve(selector).await?;
                let scope = LayoutScope::Workspace(ws.id);
                Ok((Some(ws), scope))
            }
        }
    }
}
