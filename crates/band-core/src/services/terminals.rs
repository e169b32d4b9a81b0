//! Terminals: shells on a PTY in a workspace (SECURITY.md 12, 17, R2).
//!
//! Why a port and a service in band-core rather than terminals kept in the adapters and the
//! server alone: what may run and where is policy. A terminal opens only in a known workspace
//! ([`Workspaces::resolve`]); its directory is the workspace's, its environment the allow-list
//! from the composition root ([`crate::terminal_env`]), and its program the host's configured
//! shell — the request carries none of them. Sessions, sizes and input are capped here. Keeping
//! that in one place makes every edge (JSON-RPC, the raw WebSocket, later the dashboard) enforce
//! the same rules, and lets them be tested against a fake host without PTYs. The byte plumbing
//! (PTY, scrollback, fan-out, process groups) stays in the adapter behind
//! [`TerminalHost`]/[`TerminalProcess`].
//!
//! Terminals are not stored: they die with the server ([`Terminals::shutdown`] kills every one).
//! A shell that exits on its own stays listed, its output and exit status readable, until it is
//! killed or its place is needed by a new terminal.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::lock::Mutex as AsyncMutex;

use super::Workspaces;
use crate::error::{CoreError, Fix, ListOf, Problem, TerminalError};
use crate::model::{ChatId, WorkspaceId};
use crate::ports::{OutputFeed, TerminalHost, TerminalProcess, TerminalSpawn};
use crate::terminal::{Terminal, TerminalId, TerminalOutput, TerminalSize};

/// Terminals one workspace may hold (running or exited).
pub const MAX_PER_WORKSPACE: usize = 8;
/// Terminals the server may hold in all.
pub const MAX_TOTAL: usize = 32;
/// The most input taken in one piece (one `terminals.send`, one WebSocket frame).
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;

/// Builds a shell's environment; supplied by the composition root, which knows the process
/// environment.
pub type TerminalEnvSource = Arc<dyn Fn() -> BTreeMap<String, String> + Send + Sync>;

/// What to create a terminal with; `None` takes the default (80x24, "terminal <id>").
#[derive(Debug, Clone, Default)]
pub struct CreateTerminal {
    /// A workspace selector (id, project/branch, branch or a path inside it).
    pub workspace: String,
    pub cols: Option<i64>,
    pub rows: Option<i64>,
    pub title: Option<String>,
}

#[derive(Clone)]
pub struct Terminals {
    inner: Arc<Inner>,
}

struct Inner {
    workspaces: Arc<Workspaces>,
    host: Arc<dyn TerminalHost>,
    env: TerminalEnvSource,
    live: Mutex<BTreeMap<TerminalId, Entry>>,
    /// Held while a terminal is checked against the caps and started, so two creations cannot
    /// both take the last place.
    creating: AsyncMutex<()>,
    next_id: AtomicI64,
    shutting_down: AtomicBool,
    /// Policies: a workspace whose policy says `canPushGit=false` gets shells where git cannot push.
    policies: std::sync::OnceLock<super::Policies>,
}

#[derive(Clone)]
struct Entry {
    workspace: WorkspaceId,
    /// A terminal agent's terminal: its chat's (not counted against the caps on shells).
    chat: Option<ChatId>,
    title: String,
    size: TerminalSize,
    process: Arc<dyn TerminalProcess>,
}

impl Entry {
    fn record(&self, id: TerminalId) -> Terminal {
        Terminal {
            id,
            workspace_id: self.workspace,
            chat: self.chat,
            title: self.title.clone(),
            size: self.size,
            created_at: self.process.started_at(),
            pid: self.process.pid(),
            exit: self.process.exit(),
            output_end: self.process.output_end(),
        }
    }
}

impl Terminals {
    pub fn new(workspaces: Arc<Workspaces>, host: Arc<dyn TerminalHost>, env: TerminalEnvSource) -> Self {
        Self {
            inner: Arc::new(Inner {
                workspaces,
                host,
                env,
                live: Mutex::new(BTreeMap::new()),
                creating: AsyncMutex::new(()),
                next_id: AtomicI64::new(1),
                shutting_down: AtomicBool::new(false),
                policies: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Applies `policies` to the shells started from now on (`canPushGit=false`).
    pub fn enforce(&self, policies: super::Policies) {
        let _ = self.inner.policies.set(policies);
    }

    /// Starts a shell in the workspace's directory.
    ///
    /// # Errors
    /// `NotFound` for an unknown workspace; `InvalidInput` for a size or title out of bounds;
    /// `Refused` when the workspace or the server holds as many terminals as allowed (exited ones
    /// make room first), when the worktree is missing, or during shutdown.
    pub async fn create(&self, req: CreateTerminal) -> Result<Terminal, CoreError> {
        let size = match (req.cols, req.rows) {
            (None, None) => TerminalSize::DEFAULT,
            (cols, rows) => TerminalSize::new(
                cols.unwrap_or(i64::from(TerminalSize::DEFAULT.cols())),
                rows.unwrap_or(i64::from(TerminalSize::DEFAULT.rows())),
            )?,
        };
        let title = req.title.as_deref().map(check_title).transpose()?;
        let (project, workspace) = self.inner.workspaces.resolve(&req.workspace).await?;
        super::workspaces::refuse_archived(&project, &workspace)?;
        let _creating = self.inner.creating.lock().await;
        self.refuse_during_shutdown()?;
        let name = format!("{}/{}", project.name, workspace.branch);
        self.make_room(workspace.id, &name)?;
        let mut env = (self.inner.env)();
        if let Some(p) = self.inner.policies.get()
            && p.effective(crate::policy::PolicyScope::Workspace(workspace.id)).await?.policy.push_refused().is_some()
        {
            crate::policy::refuse_git_push(&mut env);
        }
        let spawn = TerminalSpawn { cwd: workspace.path.clone(), size, env };
        let process = self.inner.host.spawn(spawn).await.map_err(|e| match e {
            TerminalError::Missing(path) => CoreError::Refused(
                Problem::new(format!("the worktree of workspace '{name}' is missing ({})", path.display()))
                    .fix(Fix::RemoveWorkspaceForced { workspace: name.clone() }),
            ),
            e => CoreError::Internal(Box::new(e)),
        })?;
        let id = TerminalId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let entry = Entry {
            workspace: workspace.id,
            chat: None,
            title: title.unwrap_or_else(|| format!("terminal {}", id.0)),
            size,
            process,
        };
        let record = entry.record(id);
        // A shutdown that began meanwhile waits for `creating`, then finds it here.
        self.inner.lock().insert(id, entry);
        Ok(record)
    }

    /// Lists a terminal agent's terminal (started by its runtime, in its chat's workspace), so
    /// people can watch it and type into it like any terminal. It does not count against the
    /// caps on shells; [`Terminals::forget`] takes it off the list when the chat is done with it.
    pub fn adopt(
        &self,
        workspace: WorkspaceId,
        chat: ChatId,
        title: String,
        process: Arc<dyn TerminalProcess>,
    ) -> Terminal {
        let id = TerminalId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let entry = Entry { workspace, chat: Some(chat), title, size: TerminalSize::AGENT, process };
        let record = entry.record(id);
        self.inner.lock().insert(id, entry);
        record
    }

    /// Takes a terminal off the list without killing it (its owner does that).
    pub fn forget(&self, id: TerminalId) {
        self.inner.lock().remove(&id);
    }

    /// Terminals of one workspace (a selector) or of all, by id.
    pub async fn list(&self, workspace: Option<&str>) -> Result<Vec<Terminal>, CoreError> {
        let only = match workspace {
            Some(w) => Some(self.inner.workspaces.resolve(w).await?.1.id),
            None => None,
        };
        Ok(self
            .inner
            .lock()
            .iter()
            .filter(|(_, e)| only.is_none_or(|w| e.workspace == w))
            .map(|(id, e)| e.record(*id))
            .collect())
    }

    /// # Errors
    /// `NotFound` for an unknown terminal.
    pub fn get(&self, id: TerminalId) -> Result<Terminal, CoreError> {
        Ok(self.entry(id)?.record(id))
    }

    /// Types `data` into the terminal, literally: the bytes reach the PTY as given.
    ///
    /// # Errors
    /// `InvalidInput` over [`MAX_INPUT_BYTES`]; `NotFound`; `Conflict` once the shell exited;
    /// `Refused` when the program in the terminal does not read its input.
    pub async fn send(&self, id: TerminalId, data: &[u8]) -> Result<(), CoreError> {
        check_input(data.len())?;
        let entry = self.entry(id)?;
        entry.process.write(data).await.map_err(|e| self.port_error(id, &entry, e))
    }

    /// # Errors
    /// `InvalidInput` for a size out of bounds; `NotFound`; `Conflict` once the shell exited.
    pub fn resize(&self, id: TerminalId, cols: i64, rows: i64) -> Result<Terminal, CoreError> {
        let size = TerminalSize::new(cols, rows)?;
        let entry = self.entry(id)?;
        entry.process.resize(size).map_err(|e| self.port_error(id, &entry, e))?;
        let mut live = self.inner.lock();
        let entry = live.get_mut(&id).ok_or_else(|| unknown(id))?;
        entry.size = size;
        Ok(entry.record(id))
    }

    /// The scrollback after offset `after`.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn output(&self, id: TerminalId, after: u64) -> Result<TerminalOutput, CoreError> {
        Ok(self.entry(id)?.process.output(after))
    }

    /// The scrollback after `after`, then live output until the shell exits.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn subscribe(&self, id: TerminalId, after: u64) -> Result<TerminalSubscription, CoreError> {
        let entry = self.entry(id)?;
        let feed = entry.process.subscribe(after);
        Ok(TerminalSubscription { id, entry, feed })
    }

    /// Ends the shell and everything it started, and forgets the terminal. Returns its last
    /// state.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn kill(&self, id: TerminalId) -> Result<Terminal, CoreError> {
        let entry = self.entry(id)?;
        entry.process.kill().await;
        self.inner.lock().remove(&id);
        Ok(entry.record(id))
    }

    /// Kills every terminal of a workspace (it is being removed).
    pub async fn kill_workspace(&self, workspace: WorkspaceId) -> Vec<Terminal> {
        let ids: Vec<TerminalId> =
            self.inner.lock().iter().filter(|(_, e)| e.workspace == workspace).map(|(id, _)| *id).collect();
        self.kill_all(ids).await
    }

    /// Refuses new terminals and kills every one, concurrently.
    pub async fn shutdown(&self) -> Vec<Terminal> {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        // Wait for a creation under way: its terminal is then in the map, or never will be.
        drop(self.inner.creating.lock().await);
        let ids: Vec<TerminalId> = self.inner.lock().keys().copied().collect();
        self.kill_all(ids).await
    }

    async fn kill_all(&self, ids: Vec<TerminalId>) -> Vec<Terminal> {
        futures_util::future::join_all(ids.into_iter().map(|id| self.kill(id)))
            .await
            .into_iter()
            .filter_map(Result::ok)
            .collect()
    }

    fn entry(&self, id: TerminalId) -> Result<Entry, CoreError> {
        self.inner.lock().get(&id).cloned().ok_or_else(|| unknown(id))
    }

    fn refuse_during_shutdown(&self) -> Result<(), CoreError> {
        if self.inner.shutting_down.load(Ordering::SeqCst) { Err(shutting_down()) } else { Ok(()) }
    }

    /// Checks the caps, dropping exited terminals (oldest first) where that makes room.
    fn make_room(&self, workspace: WorkspaceId, name: &str) -> Result<(), CoreError> {
        let mut live = self.inner.lock();
        let exited_in = |live: &BTreeMap<TerminalId, Entry>, ws: Option<WorkspaceId>| {
            live.iter()
                .find(|(_, e)| e.chat.is_none() && e.process.exit().is_some() && ws.is_none_or(|w| e.workspace == w))
                .map(|(id, _)| *id)
        };
        let shells = |live: &BTreeMap<TerminalId, Entry>, ws: Option<WorkspaceId>| {
            live.values().filter(|e| e.chat.is_none() && ws.is_none_or(|w| e.workspace == w)).count()
        };
        while shells(&live, Some(workspace)) >= MAX_PER_WORKSPACE {
            let Some(id) = exited_in(&live, Some(workspace)) else {
                return Err(CoreError::Refused(
                    Problem::new(format!(
                        "workspace '{name}' already has {MAX_PER_WORKSPACE} terminals, the most it may have"
                    ))
                    .fix(Fix::KillTerminal { terminal: None }),
                ));
            };
            live.remove(&id);
        }
        while shells(&live, None) >= MAX_TOTAL {
            let Some(id) = exited_in(&live, None) else {
                return Err(CoreError::Refused(
                    Problem::new(format!("band already runs {MAX_TOTAL} terminals, the most it may"))
                        .fix(Fix::KillTerminal { terminal: None }),
                ));
            };
            live.remove(&id);
        }
        Ok(())
    }

    fn port_error(&self, id: TerminalId, entry: &Entry, e: TerminalError) -> CoreError {
        match e {
            TerminalError::Exited => {
                let how = entry.process.exit().map(|x| x.to_string()).unwrap_or_else(|| "exited".into());
                CoreError::Conflict(
                    Problem::new(format!(
                        "terminal {} has exited ({how}) and keeps its output until it is killed",
                        id.0
                    ))
                    .fix(Fix::KillTerminal { terminal: Some(id.0) }),
                )
            }
            TerminalError::Stalled(_) => CoreError::Refused(format!("terminal {}: {e}", id.0).into()),
            TerminalError::Missing(_) | TerminalError::Internal(_) => CoreError::Internal(Box::new(e)),
        }
    }
}

/// One subscriber's view of a terminal's output; it outlives the terminal's entry, so that a
/// client following a terminal that is killed still learns how it ended.
pub struct TerminalSubscription {
    id: TerminalId,
    entry: Entry,
    feed: Box<dyn OutputFeed>,
}

impl TerminalSubscription {
    /// The next piece of output; `None` once the shell has exited and all of it was delivered.
    /// Cancel-safe.
    pub async fn next(&mut self) -> Option<TerminalOutput> {
        self.feed.next().await
    }

    /// The terminal as it is now (its exit status once the feed ended).
    pub fn terminal(&self) -> Terminal {
        self.entry.record(self.id)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TerminalId, Entry>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn unknown(id: TerminalId) -> CoreError {
    CoreError::NotFound(Problem::new(format!("no terminal {}", id.0)).fix(Fix::SeeList(ListOf::Terminals)))
}

fn shutting_down() -> CoreError {
    CoreError::Refused("band-server is shutting down; no new terminals".into())
}

/// Input larger than [`MAX_INPUT_BYTES`] is refused (the edges check frames with this too).
///
/// # Errors
/// `InvalidInput` saying the limit.
pub fn check_input(len: usize) -> Result<(), CoreError> {
    if len > MAX_INPUT_BYTES {
        return Err(CoreError::InvalidInput(
            format!("input of {len} bytes is over the limit of {MAX_INPUT_BYTES} bytes at once; send it in pieces")
                .into(),
        ));
    }
    Ok(())
}

fn check_title(title: &str) -> Result<String, CoreError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(CoreError::InvalidInput("a terminal's title may not be empty".into()));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(CoreError::InvalidInput(
            format!("a terminal's title may have at most {MAX_TITLE_CHARS} characters").into(),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(CoreError::InvalidInput("a terminal's title may not contain control characters".into()));
    }
    Ok(t.to_owned())
}
