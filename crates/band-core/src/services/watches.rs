use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Workspaces;
use super::workspaces::refuse_archived;
use crate::error::CoreError;
use crate::model::{Workspace, WorkspaceId};
use crate::ports::{EventSink, FileWatcher, Notice, WatchEvent, WatchSink, Watching};

/// Live watches of workspaces' files, only while someone looks: each client following a
/// workspace holds a [`WatchLease`]; the first lease starts the watch, the last one dropped
/// stops it. Changes are announced as [`Notice::FilesChanged`]. A watch that degraded (said
/// once, when it happened) is remembered, so a client joining later learns it from its lease.
pub struct Watches {
    workspaces: Arc<Workspaces>,
    watcher: Arc<dyn FileWatcher>,
    events: Arc<dyn EventSink>,
    active: Arc<Mutex<HashMap<WorkspaceId, Active>>>,
}

struct Active {
    leases: usize,
    _watching: Watching,
    /// Why the watch is partial, once it said so.
    degraded: Arc<Mutex<Option<String>>>,
}

/// A client's interest in a workspace's files; dropping it ends that interest.
pub struct WatchLease {
    workspace: WorkspaceId,
    active: Arc<Mutex<HashMap<WorkspaceId, Active>>>,
    degraded: Option<String>,
}

impl WatchLease {
    pub fn workspace(&self) -> WorkspaceId {
        self.workspace
    }

    /// Why the watch this lease joined was already partial when it joined (its notice went to
    /// the clients following then); `None` when it was whole, or degrades later (then the
    /// notice comes as for everyone).
    pub fn degraded(&self) -> Option<&str> {
        self.degraded.as_deref()
    }
}

impl Drop for WatchLease {
    fn drop(&mut self) {
        // The watch (and its kernel watches) goes with the last lease; dropped outside the lock.
        let gone = {
            let mut active = self.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match active.get_mut(&self.workspace) {
                Some(a) if a.leases > 1 => {
                    a.leases -= 1;
                    None
                }
                Some(_) => active.remove(&self.workspace),
                None => None,
            }
        };
        drop(gone);
    }
}

impl Watches {
    pub fn new(workspaces: Arc<Workspaces>, watcher: Arc<dyn FileWatcher>, events: Arc<dyn EventSink>) -> Self {
        Self { workspaces, watcher, events, active: Arc::default() }
    }

    /// Follows a workspace's files until the lease is dropped.
    ///
    /// # Errors
    /// `NotFound` for an unknown workspace or one whose directory is gone; `Refused` for an
    /// archived one (it has no files).
    pub async fn follow(&self, workspace: &str) -> Result<(Workspace, WatchLease), CoreError> {
        let (project, ws) = self.workspaces.resolve(workspace).await?;
        refuse_archived(&project, &ws)?;
        let mut active = self.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut degraded = None;
        if let Some(a) = active.get_mut(&ws.id) {
            a.leases += 1;
            degraded = a.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        } else {
            let (id, events) = (ws.id, self.events.clone());
            let said: Arc<Mutex<Option<String>>> = Arc::default();
            let remembered = said.clone();
            let sink: WatchSink = Arc::new(move |e| {
                events.publish(match e {
                    WatchEvent::Changed(paths) => Notice::FilesChanged { workspace: id, paths, degraded: None },
                    WatchEvent::Degraded(why) => {
                        *remembered.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why.clone());
                        Notice::FilesChanged { workspace: id, paths: Vec::new(), degraded: Some(why) }
                    }
                });
            });
            let watching = self.watcher.watch(&ws.path, sink)?;
            active.insert(ws.id, Active { leases: 1, _watching: watching, degraded: said });
        }
        drop(active);
        let lease = WatchLease { workspace: ws.id, active: self.active.clone(), degraded };
        Ok((ws, lease))
    }

    /// How many workspaces are watched now.
    pub fn watched(&self) -> usize {
        self.active.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }
}
