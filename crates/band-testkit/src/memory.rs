//! [`MemoryStore`]: the storage ports in memory, obeying the same contracts as band-store's
//! `SqliteStore` (the contract suite in [`crate::contract`] runs against both).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use band_core::ports::{
    AuditLog, ChatStore, DeviceStore, EventLog, FinishedRun, LayoutStore, MessageQueue, ProjectStore,
    ProjectTrustStore, ReviewStore, ScriptRunStore, TurnLog, UsageScope, WorkspaceStore,
};
use band_core::{
    AUDIT_KEEP, AgentUpdate, AuditEntry, BranchName, Chat, ChatEvent, ChatId, ChatPatch, ChatStatus, Device, DeviceId,
    EventPayload, Layout, LayoutScope, Millis, NewAuditEntry, NewChat, NewDevice, NewProject, NewReviewComment,
    NewScriptRun, NewWorkspace, Project, ProjectId, ProjectName, QueuedId, QueuedMessage, ReviewComment,
    ReviewCommentId, ScriptRun, ScriptRunId, ScriptStatus, StoreError, Turn, TurnId, TurnUsage, UsageBy, UsageFilter,
    UsageReport, UsageTotals, Workspace, WorkspaceId,
};

mod usage;

/// Projects, workspaces, chats, their event logs, turns and queues, and layouts in memory. Ids start at 1 and
/// are never reused, as in SQLite with `AUTOINCREMENT`. Every operation holds one lock for its
/// whole length, so each is atomic as a transaction is.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    /// Cronjobs and their runs (`memory_cron.rs`).
    pub(crate) cron: Mutex<crate::memory_cron::CronState>,
}

#[derive(Default)]
struct State {
    projects: BTreeMap<i64, Project>,
    workspaces: BTreeMap<i64, Workspace>,
    chats: BTreeMap<i64, Chat>,
    /// Each chat's log, by ascending `seq`.
    events: HashMap<i64, Vec<ChatEvent>>,
    turns: BTreeMap<i64, Turn>,
    queue: BTreeMap<i64, QueuedMessage>,
    layouts: BTreeMap<LayoutScope, Layout>,
    devices: BTreeMap<i64, Device>,
    audit: BTreeMap<i64, AuditEntry>,
    trust: BTreeMap<i64, std::collections::BTreeSet<String>>,
    overrides: BTreeMap<i64, String>,
    script_runs: BTreeMap<i64, ScriptRun>,
    reviews: BTreeMap<i64, ReviewComment>,
    last_review_id: i64,
    last_script_run_id: i64,
    last_device_id: i64,
    last_audit_id: i64,
    last_project_id: i64,
    last_workspace_id: i64,
    last_chat_id: i64,
    last_turn_id: i64,
    last_queued_id: i64,
}

impl State {
    /// Deletes a chat with everything under it, as the schema's ON DELETE CASCADE does.
    fn remove_chat(&mut self, id: i64) -> Option<Chat> {
        let chat = self.chats.remove(&id)?;
        self.events.remove(&id);
        self.turns.retain(|_, t| t.chat_id.0 != id);
        self.queue.retain(|_, q| q.chat_id.0 != id);
        Some(chat)
    }

    fn chat_mut(&mut self, id: ChatId) -> Result<&mut Chat, StoreError> {
        self.chats.get_mut(&id.0).ok_or_else(|| chat_not_found(id))
    }

    /// Removes a queued message of `chat`, if it is there, closing the gap.
    fn take_queued(&mut self, chat: ChatId, id: QueuedId) -> Option<QueuedMessage> {
        if self.queue.get(&id.0).is_none_or(|q| q.chat_id != chat) {
            return None;
        }
        let taken = self.queue.remove(&id.0)?;
        for q in self.queue.values_mut().filter(|q| q.chat_id == chat && q.position > taken.position) {
            q.position -= 1;
        }
        Some(taken)
    }

    fn queue_of(&self, chat: ChatId) -> Vec<QueuedMessage> {
        let mut queue: Vec<QueuedMessage> = self.queue.values().filter(|q| q.chat_id == chat).cloned().collect();
        queue.sort_by_key(|q| (q.position, q.id));
        queue
    }
}

fn chat_not_found(id: ChatId) -> StoreError {
    StoreError::NotFound(format!("chat {}", id.0))
}

fn queued_not_found(id: QueuedId) -> StoreError {
    StoreError::NotFound(format!("queued message {}", id.0))
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX))
}

/// The real store keeps paths as UTF-8 text and refuses others; so does the fake.
fn check_utf8(path: &Path) -> Result<(), StoreError> {
    match path.to_str() {
        Some(_) => Ok(()),
        None => Err(StoreError::Internal(
            format!("the path {} is not valid UTF-8; band can only store UTF-8 paths", path.display()).into(),
        )),
    }
}

#[async_trait]
impl ProjectStore for MemoryStore {
    async fn insert_project(&self, new: NewProject) -> Result<Project, StoreError> {
        check_utf8(&new.path)?;
        let mut state = self.state();
        if state.projects.values().any(|p| p.name == new.name) {
            return Err(StoreError::Duplicate(format!("project '{}'", new.name)));
        }
        if state.projects.values().any(|p| p.path == new.path) {
            return Err(StoreError::Duplicate(format!("project at {}", new.path.display())));
        }
        state.last_project_id += 1;
        let project = Project {
            id: ProjectId(state.last_project_id),
            name: new.name,
            path: new.path,
            default_branch: new.default_branch,
            created_at: now(),
        };
        state.projects.insert(project.id.0, project.clone());
        Ok(project)
    }

    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        let mut projects: Vec<Project> = self.state().projects.values().cloned().collect();
        // Byte order, as SQLite's default BINARY collation sorts.
        projects.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        Ok(projects)
    }

    async fn project_by_name(&self, name: &ProjectName) -> Result<Project, StoreError> {
        self.state()
            .projects
            .values()
            .find(|p| &p.name == name)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("project '{name}'")))
    }

    async fn project_by_id(&self, id: ProjectId) -> Result<Project, StoreError> {
        self.state().projects.get(&id.0).cloned().ok_or_else(|| StoreError::NotFound(format!("project {}", id.0)))
    }

    async fn delete_project(&self, id: ProjectId) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.projects.contains_key(&id.0) {
            return Err(StoreError::NotFound(format!("project {}", id.0)));
        }
        if state.workspaces.values().any(|w| w.project_id == id) {
            return Err(StoreError::Internal(
                format!("project {} still has workspaces; refusing to delete it (remove its workspaces first)", id.0)
                    .into(),
            ));
        }
        state.projects.remove(&id.0);
        state.trust.remove(&id.0);
        state.overrides.remove(&id.0);
        Ok(())
    }
}

#[async_trait]
impl WorkspaceStore for MemoryStore {
    async fn insert_workspace(&self, new: NewWorkspace) -> Result<Workspace, StoreError> {
        check_utf8(&new.path)?;
        let mut state = self.state();
        // Uniqueness before the project's existence: SQLite checks UNIQUE constraints as it
        // inserts and foreign keys at the end of the statement.
        if state.workspaces.values().any(|w| w.project_id == new.project_id && w.branch == new.branch) {
            return Err(StoreError::Duplicate(format!("workspace on branch '{}'", new.branch)));
        }
        if state.workspaces.values().any(|w| w.path == new.path) {
            return Err(StoreError::Duplicate(format!("workspace at {}", new.path.display())));
        }
        if !state.projects.contains_key(&new.project_id.0) {
            return Err(StoreError::NotFound(format!("project {}", new.project_id.0)));
        }
        state.last_workspace_id += 1;
        let workspace = Workspace {
            id: WorkspaceId(state.last_workspace_id),
            project_id: new.project_id,
            branch: new.branch,
            base: new.base,
            path: new.path,
            branch_created: new.branch_created,
            created_at: now(),
            direct: new.direct,
            archived_at: None,
        };
        state.workspaces.insert(workspace.id.0, workspace.clone());
        Ok(workspace)
    }

    async fn list_workspaces(&self, project: Option<ProjectId>) -> Result<Vec<Workspace>, StoreError> {
        // The map is keyed by id, so values come out ordered by id.
        Ok(self.state().workspaces.values().filter(|w| project.is_none_or(|p| w.project_id == p)).cloned().collect())
    }

    async fn workspace_by_id(&self, id: WorkspaceId) -> Result<Workspace, StoreError> {
        self.state().workspaces.get(&id.0).cloned().ok_or_else(|| StoreError::NotFound(format!("workspace {}", id.0)))
    }

    async fn workspace_by_branch(
        &self,
        project: ProjectId,
        branch: &BranchName,
    ) -> Result<Option<Workspace>, StoreError> {
        Ok(self.state().workspaces.values().find(|w| w.project_id == project && &w.branch == branch).cloned())
    }

    async fn set_archived(&self, id: WorkspaceId, at: Option<Millis>) -> Result<Workspace, StoreError> {
        let mut state = self.state();
        let w = state.workspaces.get_mut(&id.0).ok_or_else(|| StoreError::NotFound(format!("workspace {}", id.0)))?;
        w.archived_at = at;
        Ok(w.clone())
    }

    async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.workspaces.remove(&id.0).is_none() {
            return Err(StoreError::NotFound(format!("workspace {}", id.0)));
        }
        // Its chats go with it, as the schema's ON DELETE CASCADE takes them.
        let chats: Vec<i64> = state.chats.values().filter(|c| c.workspace_id == id).map(|c| c.id.0).collect();
        for chat in chats {
            state.remove_chat(chat);
        }
        state.layouts.remove(&LayoutScope::Workspace(id));
        state.script_runs.retain(|_, r| r.workspace_id != id);
        state.reviews.retain(|_, c| c.workspace_id != id);
        Ok(())
    }
}

#[async_trait]
impl ProjectTrustStore for MemoryStore {
    async fn is_trusted(&self, project: ProjectId, hash: &str) -> Result<bool, StoreError> {
        Ok(self.state().trust.get(&project.0).is_some_and(|t| t.contains(hash)))
    }

    async fn trust(&self, project: ProjectId, hash: &str) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.projects.contains_key(&project.0) {
            return Err(StoreError::NotFound(format!("project {}", project.0)));
        }
        state.trust.entry(project.0).or_default().insert(hash.to_owned());
        Ok(())
    }

    async fn untrust(&self, project: ProjectId) -> Result<usize, StoreError> {
        Ok(self.state().trust.remove(&project.0).map_or(0, |t| t.len()))
    }

    async fn config_override(&self, project: ProjectId) -> Result<Option<String>, StoreError> {
        Ok(self.state().overrides.get(&project.0).cloned())
    }

    async fn set_config_override(&self, project: ProjectId, document: Option<String>) -> Result<(), StoreError> {
        let mut state = self.state();
        if !state.projects.contains_key(&project.0) {
            return Err(StoreError::NotFound(format!("project {}", project.0)));
        }
        match document {
            Some(d) => state.overrides.insert(project.0, d),
            None => state.overrides.remove(&project.0),
        };
        Ok(())
    }
}

#[async_trait]
impl ScriptRunStore for MemoryStore {
    async fn insert_script_run(&self, new: NewScriptRun) -> Result<ScriptRun, StoreError> {
        let mut state = self.state();
        if !state.workspaces.contains_key(&new.workspace_id.0) {
            return Err(StoreError::NotFound(format!("workspace {}", new.workspace_id.0)));
        }
        state.last_script_run_id += 1;
        let run = ScriptRun {
            id: ScriptRunId(state.last_script_run_id),
            workspace_id: new.workspace_id,
            kind: new.kind,
            status: ScriptStatus::Running,
            exit_code: None,
            error: None,
            output: String::new(),
            output_len: 0,
            scripts_hash: new.scripts_hash,
            started_at: now(),
            ended_at: None,
        };
        state.script_runs.insert(run.id.0, run.clone());
        Ok(run)
    }

    async fn finish_script_run(&self, id: ScriptRunId, end: FinishedRun) -> Result<ScriptRun, StoreError> {
        let mut state = self.state();
        let run =
            state.script_runs.get_mut(&id.0).ok_or_else(|| StoreError::NotFound(format!("script run {}", id.0)))?;
        run.status = end.status;
        run.exit_code = end.exit_code;
        run.error = end.error;
        run.output = end.output;
        run.output_len = end.output_len;
        run.ended_at = Some(now());
        Ok(run.clone())
    }

    async fn script_runs(&self, workspace: WorkspaceId) -> Result<Vec<ScriptRun>, StoreError> {
        Ok(self.state().script_runs.values().filter(|r| r.workspace_id == workspace).cloned().collect())
    }

    async fn stop_running_scripts(&self) -> Result<usize, StoreError> {
        let mut state = self.state();
        let mut n = 0;
        for run in state.script_runs.values_mut().filter(|r| r.status == ScriptStatus::Running) {
            run.status = ScriptStatus::Stopped;
            run.error = Some("band-server stopped while it ran".into());
            run.ended_at = Some(now());
            n += 1;
        }
        Ok(n)
    }
}

#[async_trait]
impl ReviewStore for MemoryStore {
    async fn add_comment(&self, new: NewReviewComment) -> Result<ReviewComment, StoreError> {
        let mut state = self.state();
        if !state.workspaces.contains_key(&new.workspace_id.0) {
            return Err(StoreError::NotFound(format!("workspace {}", new.workspace_id.0)));
        }
        state.last_review_id += 1;
        let comment = ReviewComment {
            id: ReviewCommentId(state.last_review_id),
            workspace_id: new.workspace_id,
            path: new.path,
            side: new.side,
            lines: new.lines,
            quote: new.quote,
            body: new.body,
            resolved: false,
            sent: None,
            created_at: now(),
        };
        state.reviews.insert(comment.id.0, comment.clone());
        Ok(comment)
    }

    async fn comments(&self, workspace: WorkspaceId) -> Result<Vec<ReviewComment>, StoreError> {
        Ok(self.state().reviews.values().filter(|c| c.workspace_id == workspace).cloned().collect())
    }

    async fn comment(&self, id: ReviewCommentId) -> Result<ReviewComment, StoreError> {
        self.state().reviews.get(&id.0).cloned().ok_or_else(|| StoreError::NotFound(format!("review comment {}", id.0)))
    }

    async fn set_resolved(&self, id: ReviewCommentId, resolved: bool) -> Result<ReviewComment, StoreError> {
        let mut state = self.state();
        let comment =
            state.reviews.get_mut(&id.0).ok_or_else(|| StoreError::NotFound(format!("review comment {}", id.0)))?;
        comment.resolved = resolved;
        if !resolved {
            comment.sent = None;
        }
        Ok(comment.clone())
    }

    async fn mark_sent(&self, ids: &[ReviewCommentId], chat: ChatId, at: Millis) -> Result<(), StoreError> {
        let mut state = self.state();
        for id in ids {
            if let Some(c) = state.reviews.get_mut(&id.0) {
                c.sent = Some((at, chat));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl LayoutStore for MemoryStore {
    async fn layout(&self, scope: LayoutScope) -> Result<Option<Layout>, StoreError> {
        Ok(self.state().layouts.get(&scope).cloned())
    }

    async fn put_layout(&self, scope: LayoutScope, document: String) -> Result<Layout, StoreError> {
        let mut state = self.state();
        if let LayoutScope::Workspace(id) = scope
            && !state.workspaces.contains_key(&id.0)
        {
            return Err(StoreError::NotFound(format!("workspace {}", id.0)));
        }
        let previous = state.layouts.get(&scope).map_or(Millis::MIN, |l| l.updated_at);
        let layout = Layout { scope, document, updated_at: now().max(previous.saturating_add(1)) };
        state.layouts.insert(scope, layout.clone());
        Ok(layout)
    }
}

#[async_trait]
impl ChatStore for MemoryStore {
    async fn insert_chat(&self, new: NewChat) -> Result<Chat, StoreError> {
        let mut state = self.state();
        if !state.workspaces.contains_key(&new.workspace_id.0) {
            return Err(StoreError::NotFound(format!("workspace {}", new.workspace_id.0)));
        }
        state.last_chat_id += 1;
        let at = now();
        let chat = Chat {
            id: ChatId(state.last_chat_id),
            workspace_id: new.workspace_id,
            agent: new.agent,
            model: new.model,
            mode: new.mode,
            name: new.name,
            labels: new.labels,
            via: new.via,
            status: ChatStatus::Idle,
            agent_session_id: None,
            last_seq: 0,
            created_at: at,
            updated_at: at,
        };
        state.chats.insert(chat.id.0, chat.clone());
        Ok(chat)
    }

    async fn chat(&self, id: ChatId) -> Result<Chat, StoreError> {
        self.state().chats.get(&id.0).cloned().ok_or_else(|| chat_not_found(id))
    }

    async fn list_chats(&self, workspace: Option<WorkspaceId>) -> Result<Vec<Chat>, StoreError> {
        Ok(self.state().chats.values().filter(|c| workspace.is_none_or(|w| c.workspace_id == w)).cloned().collect())
    }

    async fn chats_in_status(&self, statuses: &[ChatStatus]) -> Result<Vec<Chat>, StoreError> {
        Ok(self.state().chats.values().filter(|c| statuses.contains(&c.status)).cloned().collect())
    }

    async fn update_chat(&self, id: ChatId, patch: ChatPatch) -> Result<Chat, StoreError> {
        let mut state = self.state();
        let chat = state.chat_mut(id)?;
        let ChatPatch { name, model, mode, set_labels, remove_labels } = patch;
        if let Some(name) = name {
            chat.name = name;
        }
        if let Some(model) = model {
            chat.model = model;
        }
        if let Some(mode) = mode {
            chat.mode = mode;
        }
        // Removals first, then additions: a label both removed and set ends up set.
        chat.labels.patch(&set_labels, &remove_labels);
        chat.updated_at = now();
        Ok(chat.clone())
    }

    async fn delete_chat(&self, id: ChatId) -> Result<(), StoreError> {
        self.state().remove_chat(id.0).map(|_| ()).ok_or_else(|| chat_not_found(id))
    }
}

#[async_trait]
impl EventLog for MemoryStore {
    async fn append_events(&self, batch: Vec<(ChatId, Vec<EventPayload>)>) -> Result<Vec<ChatEvent>, StoreError> {
        let mut state = self.state();
        // All or nothing: every chat is checked before anything changes.
        if let Some((missing, _)) = batch.iter().find(|(chat, _)| !state.chats.contains_key(&chat.0)) {
            return Err(chat_not_found(*missing));
        }
        let at = now();
        let mut out = Vec::new();
        // Each chat's last `Prompt` text so far in this batch.
        let mut prompts: HashMap<ChatId, String> = HashMap::new();
        for (chat_id, payloads) in batch {
            for payload in payloads {
                let chat = state.chat_mut(chat_id)?;
                chat.last_seq += 1;
                chat.updated_at = at;
                let seq = chat.last_seq;
                match &payload {
                    EventPayload::Status { status } => chat.status = *status,
                    EventPayload::AgentSession { session_id } => chat.agent_session_id = Some(session_id.clone()),
                    EventPayload::Prompt { text, queued } => {
                        prompts.insert(chat_id, text.clone());
                        if let Some(q) = queued {
                            state.take_queued(chat_id, *q);
                        }
                    }
                    EventPayload::TurnStarted => {
                        state.last_turn_id += 1;
                        // The previous turn's model (the agent's report outlives a turn); for a
                        // first turn the one the agent reported before it; else the chat's
                        // configured one, as band-store.
                        let previous =
                            state.turns.values().rev().find(|t| t.chat_id == chat_id).map(|t| t.model.clone());
                        let reported = match previous {
                            Some(model) => model,
                            None => state
                                .events
                                .get(&chat_id.0)
                                .into_iter()
                                .flatten()
                                .rev()
                                .find_map(|e| match &e.payload {
                                    EventPayload::Update(AgentUpdate::SessionInfo { current_model, .. }) => {
                                        Some(current_model.clone())
                                    }
                                    _ => None,
                                })
                                .flatten(),
                        };
                        let model = reported.or_else(|| {
                            state.chats.get(&chat_id.0).and_then(|c| c.model.as_ref()).map(|m| m.as_str().to_owned())
                        });
                        let turn = Turn {
                            id: TurnId(state.last_turn_id),
                            chat_id,
                            prompt: prompts.get(&chat_id).cloned().unwrap_or_default(),
                            started_seq: seq,
                            started_at: at,
                            ended_seq: None,
                            ended_at: None,
                            outcome: None,
                            model,
                        };
                        state.turns.insert(turn.id.0, turn);
                    }
                    EventPayload::TurnEnded(outcome) => {
                        // The open turn is the chat's newest, if it has not ended.
                        if let Some(turn) = state.turns.values_mut().rev().find(|t| t.chat_id == chat_id)
                            && turn.ended_seq.is_none()
                        {
                            turn.ended_seq = Some(seq);
                            turn.ended_at = Some(at);
                            turn.outcome = Some(outcome.clone());
                        }
                    }
                    EventPayload::Update(AgentUpdate::SessionInfo { current_model: Some(model), .. }) => {
                        for turn in state.turns.values_mut().filter(|t| t.chat_id == chat_id && t.ended_seq.is_none()) {
                            turn.model = Some(model.clone());
                        }
                    }
                    EventPayload::Update(_)
                    | EventPayload::Permission { .. }
                    | EventPayload::PermissionResolved { .. }
                    | EventPayload::Error { .. } => {}
                }
                let event = ChatEvent { chat_id, seq, at, payload };
                state.events.entry(chat_id.0).or_default().push(event.clone());
                out.push(event);
            }
        }
        Ok(out)
    }

    async fn events_after(&self, chat: ChatId, after: u64, limit: usize) -> Result<Vec<ChatEvent>, StoreError> {
        let state = self.state();
        let log = state.events.get(&chat.0).map(Vec::as_slice).unwrap_or_default();
        let from = log.partition_point(|e| e.seq <= after);
        Ok(log[from..].iter().take(limit).cloned().collect())
    }

    async fn events_before(
        &self,
        chat: ChatId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<ChatEvent>, StoreError> {
        let state = self.state();
        let log = state.events.get(&chat.0).map(Vec::as_slice).unwrap_or_default();
        let end = before.map_or(log.len(), |b| log.partition_point(|e| e.seq < b));
        Ok(log[end.saturating_sub(limit)..end].to_vec())
    }
}

#[async_trait]
impl TurnLog for MemoryStore {
    async fn turns(&self, chat: ChatId) -> Result<Vec<Turn>, StoreError> {
        Ok(self.state().turns.values().filter(|t| t.chat_id == chat).cloned().collect())
    }

    async fn usage_totals(&self, scope: UsageScope) -> Result<UsageTotals, StoreError> {
        let state = self.state();
        let in_scope = |t: &Turn| match scope {
            UsageScope::Chat(c) => t.chat_id == c,
            UsageScope::Workspace(w) => state.chats.get(&t.chat_id.0).is_some_and(|c| c.workspace_id == w),
            UsageScope::Project(p) => state
                .chats
                .get(&t.chat_id.0)
                .and_then(|c| state.workspaces.get(&c.workspace_id.0))
                .is_some_and(|w| w.project_id == p),
            UsageScope::Since(at) => t.started_at >= at,
        };
        // In turn order, as band-store adds them up: float sums depend on the order.
        let mut totals = UsageTotals::default();
        for turn in state.turns.values().filter(|t| in_scope(t)) {
            if let Some(outcome) = &turn.outcome {
                totals.turns += 1;
                totals.usage = totals.usage + outcome.usage;
                totals.duration_ms += turn.duration_ms().unwrap_or_default();
            }
        }
        Ok(totals)
    }

    async fn usage_report(&self, by: UsageBy, filter: UsageFilter) -> Result<UsageReport, StoreError> {
        let runs = self.cron_runs();
        Ok(usage::report(&self.state(), &runs, by, filter))
    }

    async fn turn_usage(
        &self,
        filter: UsageFilter,
        limit: usize,
        before: Option<TurnId>,
    ) -> Result<Vec<TurnUsage>, StoreError> {
        Ok(usage::turns(&self.state(), filter, limit, before))
    }
}

#[async_trait]
impl MessageQueue for MemoryStore {
    async fn enqueue(&self, chat: ChatId, text: String) -> Result<QueuedMessage, StoreError> {
        let mut state = self.state();
        state.chat_mut(chat)?;
        let position = u32::try_from(state.queue.values().filter(|q| q.chat_id == chat).count()).unwrap_or(u32::MAX);
        state.last_queued_id += 1;
        let message =
            QueuedMessage { id: QueuedId(state.last_queued_id), chat_id: chat, position, text, created_at: now() };
        state.queue.insert(message.id.0, message.clone());
        Ok(message)
    }

    async fn queued(&self, chat: ChatId) -> Result<Vec<QueuedMessage>, StoreError> {
        Ok(self.state().queue_of(chat))
    }

    async fn edit_queued(&self, id: QueuedId, text: String) -> Result<QueuedMessage, StoreError> {
        let mut state = self.state();
        let message = state.queue.get_mut(&id.0).ok_or_else(|| queued_not_found(id))?;
        message.text = text;
        Ok(message.clone())
    }

    async fn move_queued(&self, id: QueuedId, position: u32) -> Result<Vec<QueuedMessage>, StoreError> {
        let mut state = self.state();
        let message = state.queue.get(&id.0).ok_or_else(|| queued_not_found(id))?;
        let chat = message.chat_id;
        let mut queue = state.queue_of(chat);
        let from = queue.iter().position(|q| q.id == id).ok_or_else(|| queued_not_found(id))?;
        let moved = queue.remove(from);
        let to = usize::try_from(position).unwrap_or(usize::MAX).min(queue.len());
        queue.insert(to, moved);
        for (i, q) in queue.iter_mut().enumerate() {
            q.position = u32::try_from(i).unwrap_or(u32::MAX);
            state.queue.insert(q.id.0, q.clone());
        }
        Ok(queue)
    }

    async fn cancel_queued(&self, id: QueuedId) -> Result<QueuedMessage, StoreError> {
        let mut state = self.state();
        let chat = state.queue.get(&id.0).ok_or_else(|| queued_not_found(id))?.chat_id;
        state.take_queued(chat, id).ok_or_else(|| queued_not_found(id))
    }
}

fn device_not_found(id: DeviceId) -> StoreError {
    StoreError::NotFound(format!("device {}", id.0))
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device(&self, new: NewDevice) -> Result<Device, StoreError> {
        let mut state = self.state();
        if state.devices.values().any(|d| d.token_hash == new.token_hash) {
            return Err(StoreError::Duplicate("a device with that token".into()));
        }
        state.last_device_id += 1;
        let device = Device {
            id: DeviceId(state.last_device_id),
            name: new.name,
            scope: new.scope,
            token_hash: new.token_hash,
            created_at: now(),
            last_seen_at: None,
            revoked_at: None,
        };
        state.devices.insert(device.id.0, device.clone());
        Ok(device)
    }

    async fn list_devices(&self) -> Result<Vec<Device>, StoreError> {
        Ok(self.state().devices.values().cloned().collect())
    }

    async fn touch_device(&self, id: DeviceId, at: Millis) -> Result<(), StoreError> {
        let mut state = self.state();
        let device = state.devices.get_mut(&id.0).ok_or_else(|| device_not_found(id))?;
        device.last_seen_at = Some(device.last_seen_at.map_or(at, |s| s.max(at)));
        Ok(())
    }

    async fn revoke_device(&self, id: DeviceId) -> Result<Device, StoreError> {
        let mut state = self.state();
        let device = state.devices.get_mut(&id.0).ok_or_else(|| device_not_found(id))?;
        device.revoked_at.get_or_insert_with(now);
        Ok(device.clone())
    }
}

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let mut state = self.state();
        state.last_audit_id += 1;
        let stored = AuditEntry {
            id: state.last_audit_id,
            at: now(),
            kind: entry.kind,
            device: entry.device,
            device_name: entry.device_name,
            remote: entry.remote,
            detail: entry.detail,
        };
        state.audit.insert(stored.id, stored.clone());
        while state.audit.len() > AUDIT_KEEP {
            state.audit.pop_first();
        }
        Ok(stored)
    }

    async fn audit_before(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let state = self.state();
        let below = before.unwrap_or(i64::MAX);
        Ok(state.audit.range(..below).rev().take(limit).map(|(_, e)| e.clone()).collect())
    }
}
