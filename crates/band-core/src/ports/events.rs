use crate::model::{Project, Workspace};
use crate::names::ProjectName;

/// A change of state that connected clients should learn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    ProjectAdded(Project),
    ProjectRemoved(Project),
    WorkspaceCreated { project: ProjectName, workspace: Workspace },
    WorkspaceRemoved { project: ProjectName, workspace: Workspace },
}

/// Where the services announce changes; the transport fans them out to subscribers.
///
/// Implementations MUST NOT block or fail: a notice nobody listens to is dropped, and a slow
/// subscriber MUST NOT slow the publisher.
pub trait EventSink: Send + Sync {
    fn publish(&self, notice: Notice);
}
