//! The cronjob scheduler: jobs that send a prompt on a schedule, and the history of their runs.
//!
//! Time comes from the [`Clock`] port and cron expressions from the [`CronCalendar`] port, so
//! the decisions are tested with a clock a test moves. The composition root drives it: one
//! [`Cronjobs::catch_up`] at start (runs that fell due while band-server was down follow each
//! job's `if_missed`), then [`Cronjobs::tick`] every second or so (due jobs fire; open runs are
//! followed to the end of their turn, from the chat's log and turns).
//!
//! Every change of a job or a run is stored first, then announced ([`Notice::CronJobChanged`],
//! [`Notice::CronRunChanged`]). One lock serializes the scheduler's own decisions (a tick, a
//! manual trigger, an edit), so a job never fires twice for one due time; chats keep their own
//! locks, so a busy chat is decided by the chat service (queue) or here (skip) on its status.

use std::sync::Arc;

use futures_util::lock::Mutex as AsyncMutex;

use super::chats::MAX_MESSAGE_BYTES;
use super::{Chats, CreateChat, Sent, TurnCap, Workspaces};
use crate::agents::AgentId;
use crate::chat::{EventPayload, StopReason, TurnOutcome, UsageBy, UsageFilter};
use crate::cron::*;
use crate::error::{CoreError, Fix, ListOf, Problem, StoreError};
use crate::model::{ChatId, Millis, PermissionMode};
use crate::names::{BranchName, ChatName, ProjectName};
use crate::policy::PolicyKey;
use crate::ports::{Clock, CronCalendar, CronStore, EventLog, EventSink, MessageQueue, Notice, ProjectStore, TurnLog};

/// The ports the scheduler needs (besides the chat and workspace services).
pub struct CronPorts {
    pub store: Arc<dyn CronStore>,
    pub calendar: Arc<dyn CronCalendar>,
    pub clock: Arc<dyn Clock>,
    pub projects: Arc<dyn ProjectStore>,
    pub turns: Arc<dyn TurnLog>,
    pub log: Arc<dyn EventLog>,
    pub queue: Arc<dyn MessageQueue>,
    pub events: Arc<dyn EventSink>,
}

/// When a job runs, as asked for (checked by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleSpec {
    /// A cron expression, in a time zone (default: the machine's).
    Cron { expr: String, zone: Option<String> },
    /// An interval such as `30s`, `5m`, `1h30m`.
    Every(String),
}

/// Where a job's prompt goes, as asked for (resolved by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    Chat(ChatId),
    /// A workspace selector: a new chat there for every run.
    Workspace(String),
    /// A project name: a new workspace with a new chat for every run.
    NewWorkspace(String),
}

/// A new job.
#[derive(Debug, Clone)]
pub struct CronSpec {
    pub key: String,
    pub name: String,
    pub prompt: String,
    pub schedule: ScheduleSpec,
    pub target: TargetSpec,
    pub agent: Option<AgentId>,
    pub mode: Option<PermissionMode>,
    pub enabled: bool,
    /// Default: queue.
    pub if_busy: Option<IfBusy>,
    /// Default: skip.
    pub if_missed: Option<IfMissed>,
    /// `maxCostUsd=0.5,maxTokens=100000` (either or both); none or empty: no budget.
    pub budget: Option<String>,
}

/// Changes to a job; `None` keeps a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CronPatch {
    pub name: Option<String>,
    pub prompt: Option<String>,
    pub schedule: Option<ScheduleSpec>,
    pub target: Option<TargetSpec>,
    pub agent: Option<AgentId>,
    pub mode: Option<PermissionMode>,
    pub enabled: Option<bool>,
    pub if_busy: Option<IfBusy>,
    pub if_missed: Option<IfMissed>,
    /// The whole budget, replaced (`""`: none).
    pub budget: Option<String>,
}

/// A budget as the spec gives it.
fn budget(text: &str) -> Result<CronBudget, CoreError> {
    let b = CronBudget::parse(text).map_err(|e| {
        CoreError::InvalidInput(Problem::new(format!(
            "the budget '{text}' is not understood: {e} (write maxCostUsd=0.50,maxTokens=100000, either or both)"
        )))
    })?;
    if b.max_tokens == Some(0) {
        return Err(CoreError::InvalidInput(Problem::new("maxTokens must be above 0 (leave it out for no limit)")));
    }
    Ok(b)
}

/// How far a missed-run count goes (a one-second interval down for a year stops counting here).
const MISSED_COUNT_CAP: u64 = 100_000;

#[derive(Clone)]
pub struct Cronjobs {
    inner: Arc<Inner>,
}

struct Inner {
    ports: CronPorts,
    chats: Chats,
    workspaces: Arc<Workspaces>,
    lock: AsyncMutex<()>,
    /// The audit of agent actions, where each run is recorded when it starts and when it ends.
    audit: std::sync::OnceLock<super::Policies>,
}

impl Cronjobs {
    pub fn new(ports: CronPorts, chats: Chats, workspaces: Arc<Workspaces>) -> Self {
        let audit = std::sync::OnceLock::new();
        Self { inner: Arc::new(Inner { ports, chats, workspaces, lock: AsyncMutex::new(()), audit }) }
    }

    /// Records every run in `policies`' audit of agent actions.
    pub fn audit_in(&self, policies: super::Policies) {
        let _ = self.inner.audit.set(policies);
    }

    /// Every job, by key.
    pub async fn list(&self) -> Result<Vec<CronJob>, CoreError> {
        Ok(self.inner.ports.store.cron_jobs().await?)
    }

    /// # Errors
    /// `InvalidInput` for a malformed key, `NotFound` for an unknown one.
    pub async fn get(&self, key: &str) -> Result<CronJob, CoreError> {
        self.inner.job(key).await
    }

    /// Creates a job; its first run is computed from now (never for a disabled job).
    ///
    /// # Errors
    /// `InvalidInput` for a bad key, name, prompt, cron expression, time zone or interval;
    /// `NotFound` for an unknown chat, workspace, project or agent; `Conflict` for a taken key.
    /// Nothing is stored then.
    pub async fn create(&self, spec: CronSpec) -> Result<CronJob, CoreError> {
        let key = CronKey::new(&spec.key)?;
        let name = check_name(&spec.name)?;
        check_prompt(&spec.prompt)?;
        let schedule = self.inner.schedule(&spec.schedule)?;
        let budget = budget(spec.budget.as_deref().unwrap_or_default())?;
        let target = self.inner.target(&spec.target).await?;
        self.inner.check_chat_settings(&target, spec.agent.as_ref(), spec.mode)?;
        let _turn = self.inner.lock.lock().await;
        let now = self.inner.ports.clock.now_ms();
        let next_run_at = if spec.enabled { self.inner.next(&schedule, now) } else { None };
        let job = self
            .inner
            .ports
            .store
            .insert_cron_job(NewCronJob {
                key,
                name,
                prompt: spec.prompt,
                schedule,
                target,
                agent: spec.agent,
                mode: spec.mode,
                enabled: spec.enabled,
                if_busy: spec.if_busy.unwrap_or(IfBusy::Queue),
                if_missed: spec.if_missed.unwrap_or(IfMissed::Skip),
                budget,
                next_run_at,
                created_at: now,
            })
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => CoreError::Conflict(
                    Problem::new(format!("a cronjob with the key '{}' already exists", spec.key))
                        .fix(Fix::SeeList(ListOf::Cronjobs)),
                ),
                e => e.into(),
            })?;
        self.inner.ports.events.publish(Notice::CronJobChanged(job.clone()));
        Ok(job)
    }

    /// Changes a job. A new schedule, or enabling it, computes its next run from now; disabling
    /// it clears its next run.
    ///
    /// # Errors
    /// As [`Cronjobs::create`]; nothing is changed then.
    pub async fn update(&self, key: &str, patch: CronPatch) -> Result<CronJob, CoreError> {
        let name = patch.name.as_deref().map(check_name).transpose()?;
        if let Some(p) = &patch.prompt {
            check_prompt(p)?;
        }
        let schedule = patch.schedule.as_ref().map(|s| self.inner.schedule(s)).transpose()?;
        let new_budget = patch.budget.as_deref().map(budget).transpose()?;
        let target = match &patch.target {
            Some(t) => Some(self.inner.target(t).await?),
            None => None,
        };
        let _turn = self.inner.lock.lock().await;
        let mut job = self.inner.job(key).await?;
        let was_enabled = job.enabled;
        let rescheduled = schedule.is_some();
        if let Some(n) = name {
            job.name = n;
        }
        if let Some(p) = patch.prompt {
            job.prompt = p;
        }
        if let Some(s) = schedule {
            job.schedule = s;
        }
        if let Some(t) = target {
            // A chat has its own agent and mode: the job's, for the chats it made, go.
            if matches!(t, CronTarget::Chat(_)) {
                job.agent = None;
                job.mode = None;
            }
            job.target = t;
        }
        if patch.agent.is_some() {
            job.agent = patch.agent;
        }
        if patch.mode.is_some() {
            job.mode = patch.mode;
        }
        if let Some(b) = patch.if_busy {
            job.if_busy = b;
        }
        if let Some(m) = patch.if_missed {
            job.if_missed = m;
        }
        if let Some(e) = patch.enabled {
            job.enabled = e;
        }
        if let Some(b) = new_budget {
            job.budget = b;
        }
        self.inner.check_chat_settings(&job.target, job.agent.as_ref(), job.mode)?;
        let now = self.inner.ports.clock.now_ms();
        if !job.enabled {
            job.next_run_at = None;
        } else if rescheduled || !was_enabled {
            job.next_run_at = self.inner.next(&job.schedule, now);
        }
        job.updated_at = now;
        let job = self.inner.ports.store.save_cron_job(&job).await?;
        self.inner.ports.events.publish(Notice::CronJobChanged(job.clone()));
        Ok(job)
    }

    /// Deletes a job with its history. A run under way goes on in its chat.
    pub async fn delete(&self, key: &str) -> Result<CronJob, CoreError> {
        let _turn = self.inner.lock.lock().await;
        let job = self.inner.job(key).await?;
        self.inner.ports.store.delete_cron_job(job.id).await?;
        self.inner.ports.events.publish(Notice::CronJobRemoved(job.clone()));
        Ok(job)
    }

    /// Runs a job now, enabled or not; its schedule is unchanged.
    pub async fn trigger(&self, key: &str) -> Result<CronRun, CoreError> {
        let _turn = self.inner.lock.lock().await;
        let mut job = self.inner.job(key).await?;
        let now = self.inner.ports.clock.now_ms();
        job.last_run_at = Some(now);
        job.updated_at = now;
        let job = self.inner.ports.store.save_cron_job(&job).await?;
        self.inner.ports.events.publish(Notice::CronJobChanged(job.clone()));
        self.inner.fire(&job, RunTrigger::Manual, now, None).await
    }

    /// A job's runs, newest first: at most `limit`, older than `before` when given.
    pub async fn runs(&self, key: &str, before: Option<CronRunId>, limit: usize) -> Result<Vec<CronRun>, CoreError> {
        let job = self.inner.job(key).await?;
        Ok(self.inner.ports.store.cron_runs(job.id, before, limit.clamp(1, CRON_RUNS_KEEP)).await?)
    }

    /// At start, before the first tick: every enabled job whose next run fell due while
    /// band-server was down gets one run recorded, as its `if_missed` says: skipped, or run once
    /// now. Runs left open by the last server are followed (or closed) too. Returns how many
    /// jobs had missed runs.
    pub async fn catch_up(&self) -> Result<usize, CoreError> {
        let _turn = self.inner.lock.lock().await;
        self.inner.follow_open_runs(true).await;
        let now = self.inner.ports.clock.now_ms();
        let mut count = 0;
        for mut job in self.inner.ports.store.cron_jobs().await? {
            let Some(due) = job.next_run_at.filter(|d| job.enabled && *d <= now) else { continue };
            count += 1;
            let missed = self.inner.count_due(&job.schedule, due, now);
            job.next_run_at = self.inner.next(&job.schedule, now);
            job.updated_at = now;
            let runs = if missed == 1 { "1 run".to_owned() } else { format!("{missed} runs") };
            let skip = job.if_missed == IfMissed::Skip;
            if !skip {
                job.last_run_at = Some(now);
            }
            let job = self.inner.ports.store.save_cron_job(&job).await?;
            self.inner.ports.events.publish(Notice::CronJobChanged(job.clone()));
            if skip {
                let mut run = CronRun::new(job.id, RunTrigger::Missed, due, now);
                run.outcome = RunOutcome::Skipped;
                run.ended_at = Some(now);
                run.detail = Some(format!("{runs} fell due while band-server was down; this job skips missed runs"));
                self.inner.insert_run(run).await?;
            } else {
                let detail = format!("{runs} fell due while band-server was down; this job runs once at start");
                self.inner.fire(&job, RunTrigger::Missed, due, Some(detail)).await?;
            }
        }
        Ok(count)
    }

    /// Fires every enabled job that is due, and follows open runs to the end of their turns.
    pub async fn tick(&self) -> Result<(), CoreError> {
        let _turn = self.inner.lock.lock().await;
        self.inner.follow_open_runs(false).await;
        let now = self.inner.ports.clock.now_ms();
        for mut job in self.inner.ports.store.cron_jobs().await? {
            let Some(due) = job.next_run_at.filter(|d| job.enabled && *d <= now) else { continue };
            job.next_run_at = match job.schedule {
                // Keep the cadence when a tick is a little late; start again from now when far behind.
                Schedule::Every { ms } => {
                    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
                    let cadence = due.saturating_add(ms);
                    Some(if cadence > now { cadence } else { now.saturating_add(ms) })
                }
                Schedule::Cron { .. } => self.inner.next(&job.schedule, now),
            };
            job.last_run_at = Some(now);
            job.updated_at = now;
            let job = self.inner.ports.store.save_cron_job(&job).await?;
            self.inner.ports.events.publish(Notice::CronJobChanged(job.clone()));
            self.inner.fire(&job, RunTrigger::Schedule, due, None).await?;
        }
        Ok(())
    }

    /// When the earliest enabled job is due next (for the composition root's timer).
    pub async fn next_due(&self) -> Result<Option<Millis>, CoreError> {
        Ok(self.inner.ports.store.cron_jobs().await?.iter().filter(|j| j.enabled).filter_map(|j| j.next_run_at).min())
    }
}

impl Inner {
    async fn job(&self, key: &str) -> Result<CronJob, CoreError> {
        let key = CronKey::new(key)?;
        self.ports.store.cron_job(&key).await.map_err(|e| match e {
            StoreError::NotFound(_) => {
                CoreError::NotFound(Problem::new(format!("no cronjob '{key}'")).fix(Fix::SeeList(ListOf::Cronjobs)))
            }
            e => e.into(),
        })
    }

    fn schedule(&self, spec: &ScheduleSpec) -> Result<Schedule, CoreError> {
        match spec {
            ScheduleSpec::Every(text) => {
                Ok(Schedule::Every { ms: parse_interval(text).map_err(|e| CoreError::InvalidInput(e.into()))? })
            }
            ScheduleSpec::Cron { expr, zone } => {
                let zone = match zone.as_deref().map(str::trim) {
                    Some(z) if !z.is_empty() => z.to_owned(),
                    _ => self.ports.calendar.default_zone(),
                };
                let expr = expr.trim().to_owned();
                self.ports.calendar.check(&expr, &zone).map_err(|e| CoreError::InvalidInput(e.into()))?;
                Ok(Schedule::Cron { expr, zone })
            }
        }
    }

    async fn target(&self, spec: &TargetSpec) -> Result<CronTarget, CoreError> {
        Ok(match spec {
            TargetSpec::Chat(id) => CronTarget::Chat(self.chats.get(*id).await?.id),
            TargetSpec::Workspace(selector) => CronTarget::Workspace(self.workspaces.resolve(selector).await?.1.id),
            TargetSpec::NewWorkspace(project) => {
                let name = ProjectName::new(project)?;
                let p = self.ports.projects.project_by_name(&name).await.map_err(|e| match e {
                    StoreError::NotFound(_) => CoreError::NotFound(
                        Problem::new(format!("no project '{name}'")).fix(Fix::SeeList(ListOf::Projects)),
                    ),
                    e => e.into(),
                })?;
                CronTarget::NewWorkspace(p.id)
            }
        })
    }

    /// An agent and a mode are for the chats a job makes; an existing chat has its own.
    fn check_chat_settings(
        &self,
        target: &CronTarget,
        agent: Option<&AgentId>,
        mode: Option<PermissionMode>,
    ) -> Result<(), CoreError> {
        if let CronTarget::Chat(id) = target
            && (agent.is_some() || mode.is_some())
        {
            return Err(CoreError::InvalidInput(
                format!(
                    "an agent and a mode are for the chats a cronjob creates; chat {} already has its own (target a workspace or a project instead)",
                    id.0
                )
                .into(),
            ));
        }
        self.chats.check_agent(agent, None).map(|_| ())
    }

    fn next(&self, schedule: &Schedule, after: Millis) -> Option<Millis> {
        match schedule {
            Schedule::Every { ms } => Some(after.saturating_add(i64::try_from(*ms).unwrap_or(i64::MAX))),
            Schedule::Cron { expr, zone } => self.ports.calendar.next_after(expr, zone, after),
        }
    }

    /// How many times the schedule fell due from `first` up to `now`.
    fn count_due(&self, schedule: &Schedule, first: Millis, now: Millis) -> u64 {
        let mut n = 1;
        let mut at = first;
        while n < MISSED_COUNT_CAP {
            match self.next(schedule, at) {
                Some(next) if next <= now => {
                    n += 1;
                    at = next;
                }
                _ => break,
            }
        }
        n
    }

    async fn insert_run(&self, run: CronRun) -> Result<CronRun, CoreError> {
        let run = self.ports.store.insert_cron_run(run).await?;
        self.ports.events.publish(Notice::CronRunChanged(run.clone()));
        self.audit(&run).await;
        Ok(run)
    }

    /// A run in the audit of agent actions: when it is recorded, and when it ends.
    async fn audit(&self, run: &CronRun) {
        let Some(policies) = self.audit.get() else { return };
        let mut detail =
            format!("cronjob {} run {}: {}, {}", run.job_id.0, run.id.0, run.trigger.as_str(), run.outcome.as_str());
        if let Some(d) = &run.detail {
            detail.push_str(&format!(" ({d})"));
        }
        policies
            .record(crate::ports::NewAction {
                kind: crate::ports::ActionKind::CronRun,
                chat: run.chat_id,
                workspace: run.workspace_id,
                tool: None,
                decision: None,
                decider: None,
                rule: None,
                detail,
            })
            .await;
    }

    async fn save_run(&self, run: &CronRun) {
        match self.ports.store.save_cron_run(run).await {
            Ok(run) => {
                if run.ended_at.is_some() {
                    self.audit(&run).await;
                }
                self.ports.events.publish(Notice::CronRunChanged(run));
            }
            Err(e) => {
                let chat = run.chat_id.unwrap_or(ChatId(0));
                self.ports.events.publish(Notice::Fault { chat, message: format!("recording cronjob run: {e}") });
            }
        }
    }

    /// One run of `job`: recorded first (so a crash leaves a trace), then its prompt is sent;
    /// the record says what became of it.
    async fn fire(
        &self,
        job: &CronJob,
        trigger: RunTrigger,
        scheduled_at: Millis,
        detail: Option<String>,
    ) -> Result<CronRun, CoreError> {
        let now = self.ports.clock.now_ms();
        let mut run = CronRun::new(job.id, trigger, scheduled_at, now);
        run.detail = detail;
        let mut run = self.insert_run(run).await?;
        let result = self.send(job, &mut run).await;
        if let Err(e) = result {
            run.outcome = RunOutcome::Failed;
            run.ended_at = Some(self.ports.clock.now_ms());
            add_detail(&mut run, &e.problem().map_or_else(|| e.to_string(), |p| p.what.clone()));
        }
        self.save_run(&run).await;
        Ok(run)
    }

    /// What a job's ended runs spent: millionths of a dollar, and tokens (every kind).
    async fn spent(&self, job: &CronJob) -> Result<(u64, u64), CoreError> {
        if job.budget == CronBudget::default() {
            return Ok((0, 0));
        }
        let report = self.ports.turns.usage_report(UsageBy::Cronjob, UsageFilter::default()).await?;
        let key = job.id.0.to_string();
        let t = report.groups.iter().find(|g| g.key == key).map(|g| g.totals).unwrap_or_default();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cost = t.usage.cost_usd.map_or(0, |c| (c.max(0.0) * 1e6).round() as u64);
        let u = t.usage;
        Ok((cost, u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens))
    }

    /// The job's budget as caps of the turn its run starts.
    fn caps(job: &CronJob, (cost, tokens): (u64, u64)) -> Vec<TurnCap> {
        let label = format!("cronjob {}", job.key);
        let mut caps = Vec::new();
        if let Some(limit) = job.budget.max_cost_micros {
            caps.push(TurnCap { key: PolicyKey::MaxCostUsd, limit, spent: cost, label: label.clone() });
        }
        if let Some(limit) = job.budget.max_tokens {
            caps.push(TurnCap { key: PolicyKey::MaxTokens, limit, spent: tokens, label });
        }
        caps
    }

    /// Why the job may not run now: a budget of it is spent.
    fn budget_spent(job: &CronJob, (cost, tokens): (u64, u64)) -> Option<String> {
        let raise = format!("raise it (band cronjobs update {} --max-cost-usd ... / --max-tokens ...)", job.key);
        if let Some(limit) = job.budget.max_cost_micros.filter(|l| cost >= *l) {
            return Some(format!(
                "its budget maxCostUsd={} is spent (${} used): {raise}",
                crate::usd(limit),
                crate::usd(cost)
            ));
        }
        if let Some(limit) = job.budget.max_tokens.filter(|l| tokens >= *l) {
            return Some(format!("its budget maxTokens={limit} is spent ({tokens} tokens used): {raise}"));
        }
        None
    }

    async fn send(&self, job: &CronJob, run: &mut CronRun) -> Result<(), CoreError> {
        let spent = self.spent(job).await?;
        if let Some(why) = Self::budget_spent(job, spent) {
            run.outcome = RunOutcome::Skipped;
            run.ended_at = Some(self.ports.clock.now_ms());
            add_detail(run, &why);
            return Ok(());
        }
        let chat = match job.target {
            CronTarget::Chat(id) => {
                let chat = self.chats.get(id).await?;
                run.chat_id = Some(chat.id);
                run.workspace_id = Some(chat.workspace_id);
                if chat.status.busy() && job.if_busy == IfBusy::Skip {
                    run.outcome = RunOutcome::Skipped;
                    run.ended_at = Some(self.ports.clock.now_ms());
                    add_detail(
                        run,
                        &format!("chat {} was busy ({}); this job skips when busy", id.0, chat.status.as_str()),
                    );
                    return Ok(());
                }
                chat
            }
            CronTarget::Workspace(ws) => self.new_chat(job, run, ws.0.to_string()).await?,
            CronTarget::NewWorkspace(project) => {
                let project = self.ports.projects.project_by_id(project).await?;
                let branch = BranchName::new(&format!("cron/{}/{}", job.key, run.id.0))?;
                let (ws, _) = self.workspaces.create(project.name.as_str(), branch.as_str(), None).await?;
                run.workspace_id = Some(ws.id);
                self.new_chat(job, run, ws.id.0.to_string()).await?
            }
        };
        let before = chat.last_seq;
        match self.chats.send(chat.id, &job.prompt).await? {
            Sent::Started { seq } => {
                run.outcome = RunOutcome::Running;
                run.seq = Some(seq);
                let caps = Self::caps(job, spent);
                if !caps.is_empty() {
                    self.chats.cap_turn(chat.id, caps).await?;
                }
            }
            Sent::Queued(q) => {
                run.outcome = RunOutcome::Queued;
                run.queued_id = Some(q.id);
                run.seq = Some(before);
                add_detail(run, &format!("chat {} was busy; the prompt waits in its queue", chat.id.0));
            }
        }
        Ok(())
    }

    async fn new_chat(&self, job: &CronJob, run: &mut CronRun, workspace: String) -> Result<crate::Chat, CoreError> {
        let chat = self
            .chats
            .create(CreateChat {
                workspace,
                agent: job.agent.clone(),
                mode: job.mode,
                name: Some(ChatName::new(&job.name)?),
                ..CreateChat::default()
            })
            .await?;
        run.chat_id = Some(chat.id);
        run.workspace_id = Some(chat.workspace_id);
        Ok(chat)
    }

    /// Moves open runs on: a queued prompt that started (or was removed), a turn that ended.
    /// At start (`starting`), a run whose prompt was never sent is closed as failed.
    async fn follow_open_runs(&self, starting: bool) {
        let Ok(open) = self.ports.store.open_cron_runs().await else { return };
        for mut run in open {
            let before = run.clone();
            self.follow(&mut run, starting).await;
            if run != before {
                self.save_run(&run).await;
            }
        }
    }

    async fn follow(&self, run: &mut CronRun, starting: bool) {
        let now = self.ports.clock.now_ms();
        let (Some(chat), Some(seq)) = (run.chat_id, run.seq) else {
            if starting {
                run.outcome = RunOutcome::Failed;
                run.ended_at = Some(now);
                add_detail(run, "band-server stopped before the prompt was sent");
            }
            return;
        };
        if self.chats.get(chat).await.is_err() {
            run.outcome = RunOutcome::Failed;
            run.ended_at = Some(now);
            add_detail(run, &format!("chat {} was removed before the run ended", chat.0));
            return;
        }
        if run.outcome == RunOutcome::Queued {
            let Some(queued) = run.queued_id else { return };
            // The queue first, then the log: a queued message leaves the queue in the transaction
            // that logs its prompt, so it is in one or the other.
            match self.ports.queue.queued(chat).await {
                Ok(q) if q.iter().any(|m| m.id == queued) => return,
                Ok(_) => {}
                Err(_) => return,
            }
            match self.prompt_of(chat, seq, queued).await {
                Some(prompt_seq) => {
                    run.outcome = RunOutcome::Running;
                    run.seq = Some(prompt_seq);
                    // Its turn has started: the job's budget caps it, as it caps a turn it starts.
                    let job = self
                        .ports
                        .store
                        .cron_jobs()
                        .await
                        .ok()
                        .and_then(|jobs| jobs.into_iter().find(|j| j.id == run.job_id));
                    if let Some(job) = job
                        && let Ok(spent) = self.spent(&job).await
                    {
                        let caps = Self::caps(&job, spent);
                        if !caps.is_empty() {
                            let _ = self.chats.cap_turn(chat, caps).await;
                        }
                    }
                }
                None => {
                    run.outcome = RunOutcome::Cancelled;
                    run.ended_at = Some(now);
                    add_detail(run, "its queued prompt was removed before it started");
                    return;
                }
            }
        }
        let Some(seq) = run.seq else { return };
        let Ok(turns) = self.ports.turns.turns(chat).await else { return };
        let Some(turn) = turns.into_iter().find(|t| t.started_seq > seq) else { return };
        run.turn_id = Some(turn.id);
        if let Some(outcome) = &turn.outcome {
            self.finish(run, outcome, turn.duration_ms(), turn.ended_at.unwrap_or(now));
        }
    }

    /// The sequence number of the prompt that took queued message `queued` out of the queue.
    async fn prompt_of(&self, chat: ChatId, mut after: u64, queued: crate::QueuedId) -> Option<u64> {
        const PAGE: usize = 500;
        loop {
            let page = self.ports.log.events_after(chat, after, PAGE).await.ok()?;
            for e in &page {
                if let EventPayload::Prompt { queued: Some(q), .. } = &e.payload
                    && *q == queued
                {
                    return Some(e.seq);
                }
            }
            if page.len() < PAGE {
                return None;
            }
            after = page.last()?.seq;
        }
    }

    fn finish(&self, run: &mut CronRun, outcome: &TurnOutcome, duration: Option<i64>, ended_at: Millis) {
        run.usage = outcome.usage;
        run.duration_ms = duration;
        run.ended_at = Some(ended_at);
        run.outcome = if outcome.stop_reason == Some(StopReason::Cancelled) {
            RunOutcome::Interrupted
        } else if let Some(error) = &outcome.error {
            add_detail(run, error);
            RunOutcome::Failed
        } else {
            RunOutcome::Completed
        };
    }
}

fn add_detail(run: &mut CronRun, more: &str) {
    run.detail = Some(match run.detail.take() {
        Some(d) => format!("{d}; {more}"),
        None => more.to_owned(),
    });
}

fn check_name(name: &str) -> Result<String, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(CoreError::InvalidInput(
            format!(
                "invalid cronjob name '{}': use 1 to 200 characters, no control characters",
                crate::names::shown(name)
            )
            .into(),
        ));
    }
    Ok(name.to_owned())
}

fn check_prompt(text: &str) -> Result<(), CoreError> {
    if text.trim().is_empty() {
        return Err(CoreError::InvalidInput("the cronjob's prompt is empty; give the message it sends".into()));
    }
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(CoreError::InvalidInput(
            format!("the prompt is {} bytes; the limit is {MAX_MESSAGE_BYTES}", text.len()).into(),
        ));
    }
    Ok(())
}
