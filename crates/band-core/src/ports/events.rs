use std::sync::Arc;

use crate::chat::{Chat, ChatEvent, QueuedMessage};
use crate::config::{ScriptRun, ScriptRunId};
use crate::cron::{CronJob, CronRun};
use crate::model::{ChatId, Layout, Project, Workspace, WorkspaceId};
use crate::names::ProjectName;
use crate::tunnel::TunnelState;

/// A change of state that connected clients should learn about.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    ProjectAdded(Project),
    ProjectRemoved(Project),
    WorkspaceCreated {
        project: ProjectName,
        workspace: Workspace,
    },
    /// A workspace was archived or restored (as it is now).
    WorkspaceChanged {
        project: ProjectName,
        workspace: Workspace,
    },
    WorkspaceRemoved {
        project: ProjectName,
        workspace: Workspace,
    },
    /// Events just appended to a chat's log (published only after they are stored).
    ChatEvents {
        workspace: WorkspaceId,
        events: Arc<[ChatEvent]>,
    },
    /// A chat was created, or its settings or status changed.
    ChatChanged(Chat),
    /// A budget of a chat's reached 80 % (`stopped`: 100 %), as its log says in `text`.
    Budget {
        chat: ChatId,
        stopped: bool,
        text: String,
    },
    ChatRemoved(Chat),
    QueueChanged {
        workspace: WorkspaceId,
        chat: ChatId,
        queue: Vec<QueuedMessage>,
    },
    /// Files of a watched workspace changed on disk (`paths`), or its watch degraded (`degraded`:
    /// why live refresh stopped or is partial).
    FilesChanged {
        workspace: WorkspaceId,
        paths: Vec<crate::files::WorkspacePath>,
        degraded: Option<String>,
    },
    /// A workspace's review comments changed (added, resolved, reopened or sent).
    ReviewChanged {
        workspace: WorkspaceId,
    },
    /// A layout was set (another device may follow it).
    LayoutChanged(Layout),
    /// The tunnel started, stopped or failed (its host is already allowed or refused).
    TunnelChanged(TunnelState),
    /// A device was revoked or the main token rotated: credentials may have ended, and the
    /// sockets they opened must close.
    AccessChanged,
    /// A cronjob was created or changed (its settings, or its next or last run time).
    CronJobChanged(CronJob),
    CronJobRemoved(CronJob),
    /// A cronjob's run was recorded or moved on (queued, running, ended, skipped).
    CronRunChanged(CronRun),
    /// A setup or teardown script started or ended (its output is in `run` as far as kept).
    ScriptRunChanged {
        project: ProjectName,
        run: ScriptRun,
    },
    /// Output of a running script: `text` starts at byte `offset` of the run's whole output.
    ScriptOutput {
        workspace: WorkspaceId,
        run: ScriptRunId,
        offset: u64,
        text: String,
    },
    /// A project's configuration override or its approved scripts changed.
    ProjectConfigChanged(ProjectName),
    /// Something failed where no caller could be told (storing an agent's event...).
    Fault {
        chat: ChatId,
        message: String,
    },
}

/// Where the services announce changes; the transport fans them out to subscribers.
///
/// Implementations MUST NOT block or fail: a notice nobody listens to is dropped, and a slow
/// subscriber MUST NOT slow the publisher.
pub trait EventSink: Send + Sync {
    fn publish(&self, notice: Notice);
}
