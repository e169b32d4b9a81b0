//! [`CronStore`] on the `cron_jobs` and `cron_runs` tables. A job's schedule is one text column,
//! `every <ms>` or `cron <zone> <expression>`; its target `chat <id>`, `workspace <id>` or
//! `new_workspace <project id>`; a run's usage is JSON (diesel's tables stay within 16 columns).
//! Runs go with their job (`ON DELETE CASCADE`) and are pruned to the newest
//! [`CRON_RUNS_KEEP`] per job in the transaction of each insert; what the pruned runs spent is
//! folded into `cron_usage_pruned` first, so the job's usage and budget still count it.

use async_trait::async_trait;
use band_core::ports::CronStore;
use band_core::{
    AgentId, CRON_RUNS_KEEP, ChatId, CronBudget, CronJob, CronJobId, CronKey, CronRun, CronRunId, CronTarget, IfBusy,
    IfMissed, NewCronJob, PermissionMode, ProjectId, QueuedId, RunOutcome, RunTrigger, Schedule, StoreError, TurnId,
    Usage, WorkspaceId,
};
use diesel::prelude::*;

use crate::errors::{corrupt_row, from_diesel, is_foreign_key_violation, unique_violation};
use crate::schema::{cron_jobs, cron_runs};
use crate::{SqliteStore, to_i64, to_u64, transaction};

/// Adds the usage of job `?1`'s runs older than run `?2` (those about to be pruned) that ended a
/// turn to `cron_usage_pruned`, per UTC day and chat, as `crate::usage` reads live runs.
const FOLD_PRUNED_USAGE: &str = "INSERT INTO cron_usage_pruned \
     SELECT job_id, ended_at / 86400000, chat_id, COUNT(*), COUNT(json_extract(usage, '$.costUsd')), \
            SUM(COALESCE(json_extract(usage, '$.input'), 0)), SUM(COALESCE(json_extract(usage, '$.output'), 0)), \
            SUM(COALESCE(json_extract(usage, '$.cacheRead'), 0)), SUM(COALESCE(json_extract(usage, '$.cacheWrite'), 0)), \
            SUM(CAST(ROUND(COALESCE(json_extract(usage, '$.costUsd'), 0) * 1000000) AS INTEGER)), \
            SUM(COALESCE(duration_ms, 0)) \
     FROM cron_runs WHERE job_id = ?1 AND id < ?2 AND turn_id IS NOT NULL AND ended_at IS NOT NULL \
       AND chat_id IS NOT NULL \
     GROUP BY 1, 2, 3 \
     ON CONFLICT (job_id, day, chat_id) DO UPDATE SET turns = turns + excluded.turns, \
        costed_turns = costed_turns + excluded.costed_turns, input_tokens = input_tokens + excluded.input_tokens, \
        output_tokens = output_tokens + excluded.output_tokens, \
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, \
        cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, \
        cost_micros = cost_micros + excluded.cost_micros, duration_ms = duration_ms + excluded.duration_ms";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = cron_jobs, check_for_backend(diesel::sqlite::Sqlite))]
struct JobRow {
    #[diesel(skip_insertion)]
    id: i64,
    key: String,
    name: String,
    prompt: String,
    schedule: String,
    target: String,
    agent: Option<String>,
    mode: Option<String>,
    enabled: bool,
    if_busy: String,
    if_missed: String,
    next_run_at: Option<i64>,
    last_run_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    budget: String,
}

fn job_row(
    key: &CronKey,
    name: &str,
    prompt: &str,
    schedule: &Schedule,
    target: CronTarget,
    agent: Option<&AgentId>,
    mode: Option<PermissionMode>,
) -> JobRow {
    let schedule = match schedule {
        Schedule::Cron { expr, zone } => format!("cron {zone} {expr}"),
        Schedule::Every { ms } => format!("every {ms}"),
    };
    let target = match target {
        CronTarget::Chat(ChatId(id)) => format!("chat {id}"),
        CronTarget::Workspace(WorkspaceId(id)) => format!("workspace {id}"),
        CronTarget::NewWorkspace(ProjectId(id)) => format!("new_workspace {id}"),
    };
    JobRow {
        id: 0,
        key: key.as_str().to_owned(),
        name: name.to_owned(),
        prompt: prompt.to_owned(),
        schedule,
        target,
        agent: agent.map(ToString::to_string),
        mode: mode.map(|m| m.as_str().to_owned()),
        enabled: false,
        if_busy: String::new(),
        if_missed: String::new(),
        next_run_at: None,
        last_run_at: None,
        created_at: 0,
        updated_at: 0,
        budget: String::new(),
    }
}

impl TryFrom<JobRow> for CronJob {
    type Error = StoreError;

    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        let bad = |what: String| corrupt_row("cron_jobs", r.id, what);
        let schedule = match r.schedule.split_once(' ') {
            Some(("every", ms)) => {
                Schedule::Every { ms: ms.parse().map_err(|_| bad(format!("schedule '{}'", r.schedule)))? }
            }
            Some(("cron", rest)) => match rest.split_once(' ') {
                Some((zone, expr)) => Schedule::Cron { expr: expr.to_owned(), zone: zone.to_owned() },
                None => return Err(bad(format!("schedule '{}'", r.schedule))),
            },
            _ => return Err(bad(format!("schedule '{}'", r.schedule))),
        };
        let target = match r.target.split_once(' ').map(|(k, id)| (k, id.parse::<i64>())) {
            Some(("chat", Ok(id))) => CronTarget::Chat(ChatId(id)),
            Some(("workspace", Ok(id))) => CronTarget::Workspace(WorkspaceId(id)),
            Some(("new_workspace", Ok(id))) => CronTarget::NewWorkspace(ProjectId(id)),
            _ => return Err(bad(format!("target '{}'", r.target))),
        };
        Ok(CronJob {
            id: CronJobId(r.id),
            key: CronKey::new(&r.key).map_err(|e| bad(e.to_string()))?,
            name: r.name.clone(),
            prompt: r.prompt.clone(),
            schedule,
            target,
            agent: r.agent.as_deref().map(AgentId::new).transpose().map_err(|e| bad(e.to_string()))?,
            mode: match r.mode.as_deref() {
                None => None,
                Some(m) => Some(PermissionMode::parse(m).ok_or_else(|| bad(format!("mode '{m}'")))?),
            },
            enabled: r.enabled,
            if_busy: IfBusy::parse(&r.if_busy).ok_or_else(|| bad(format!("if_busy '{}'", r.if_busy)))?,
            if_missed: IfMissed::parse(&r.if_missed).ok_or_else(|| bad(format!("if_missed '{}'", r.if_missed)))?,
            next_run_at: r.next_run_at,
            last_run_at: r.last_run_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            budget: CronBudget::parse(&r.budget).map_err(|e| bad(format!("budget: {e}")))?,
        })
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = cron_runs, check_for_backend(diesel::sqlite::Sqlite), treat_none_as_null = true)]
struct RunRow {
    #[diesel(skip_insertion)]
    id: i64,
    job_id: i64,
    trigger: String,
    scheduled_at: i64,
    at: i64,
    outcome: String,
    detail: Option<String>,
    workspace_id: Option<i64>,
    chat_id: Option<i64>,
    seq: Option<i64>,
    queued_id: Option<i64>,
    turn_id: Option<i64>,
    usage: String,
    duration_ms: Option<i64>,
    ended_at: Option<i64>,
}

impl From<&CronRun> for RunRow {
    fn from(r: &CronRun) -> Self {
        Self {
            id: r.id.0,
            job_id: r.job_id.0,
            trigger: r.trigger.as_str().to_owned(),
            scheduled_at: r.scheduled_at,
            at: r.at,
            outcome: r.outcome.as_str().to_owned(),
            detail: r.detail.clone(),
            workspace_id: r.workspace_id.map(|w| w.0),
            chat_id: r.chat_id.map(|c| c.0),
            seq: r.seq.map(to_i64),
            queued_id: r.queued_id.map(|q| q.0),
            turn_id: r.turn_id.map(|t| t.0),
            usage: StoredUsage::from(&r.usage).to_json(),
            duration_ms: r.duration_ms,
            ended_at: r.ended_at,
        }
    }
}

impl TryFrom<RunRow> for CronRun {
    type Error = StoreError;

    fn try_from(r: RunRow) -> Result<Self, StoreError> {
        Ok(CronRun {
            id: CronRunId(r.id),
            job_id: CronJobId(r.job_id),
            trigger: RunTrigger::parse(&r.trigger)
                .ok_or_else(|| corrupt_row("cron_runs", r.id, format!("trigger '{}'", r.trigger)))?,
            scheduled_at: r.scheduled_at,
            at: r.at,
            outcome: RunOutcome::parse(&r.outcome)
                .ok_or_else(|| corrupt_row("cron_runs", r.id, format!("outcome '{}'", r.outcome)))?,
            detail: r.detail,
            workspace_id: r.workspace_id.map(WorkspaceId),
            chat_id: r.chat_id.map(ChatId),
            seq: r.seq.map(to_u64),
            queued_id: r.queued_id.map(QueuedId),
            turn_id: r.turn_id.map(TurnId),
            usage: serde_json::from_str::<StoredUsage>(&r.usage)
                .map_err(|e| corrupt_row("cron_runs", r.id, format!("usage: {e}")))?
                .into(),
            duration_ms: r.duration_ms,
            ended_at: r.ended_at,
        })
    }
}

/// A run's usage as stored.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredUsage {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    cost_usd: Option<f64>,
}

impl StoredUsage {
    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

impl From<&Usage> for StoredUsage {
    fn from(u: &Usage) -> Self {
        Self {
            input: u.input_tokens,
            output: u.output_tokens,
            cache_read: u.cache_read_tokens,
            cache_write: u.cache_write_tokens,
            cost_usd: u.cost_usd,
        }
    }
}

impl From<StoredUsage> for Usage {
    fn from(u: StoredUsage) -> Self {
        Self {
            input_tokens: u.input,
            output_tokens: u.output,
            cache_read_tokens: u.cache_read,
            cache_write_tokens: u.cache_write,
            cost_usd: u.cost_usd,
        }
    }
}

fn job_not_found(what: String) -> StoreError {
    StoreError::NotFound(what)
}

#[async_trait]
impl CronStore for SqliteStore {
    async fn insert_cron_job(&self, new: NewCronJob) -> Result<CronJob, StoreError> {
        let mut row =
            job_row(&new.key, &new.name, &new.prompt, &new.schedule, new.target, new.agent.as_ref(), new.mode);
        row.enabled = new.enabled;
        row.if_busy = new.if_busy.as_str().to_owned();
        row.if_missed = new.if_missed.as_str().to_owned();
        row.next_run_at = new.next_run_at;
        row.budget = new.budget.to_text();
        row.created_at = new.created_at;
        row.updated_at = new.created_at;
        let key = new.key.to_string();
        self.write(move |conn| {
            diesel::insert_into(cron_jobs::table)
                .values(&row)
                .returning(JobRow::as_returning())
                .get_result(conn)
                .map_err(|e| match unique_violation(&e) {
                    Some("cron_jobs.key") => StoreError::Duplicate(format!("cronjob '{key}'")),
                    _ => from_diesel(e),
                })
        })
        .await?
        .try_into()
    }

    async fn cron_jobs(&self) -> Result<Vec<CronJob>, StoreError> {
        let rows = self
            .read(|conn| {
                cron_jobs::table.select(JobRow::as_select()).order(cron_jobs::key.asc()).load(conn).map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(CronJob::try_from).collect()
    }

    async fn cron_job(&self, key: &CronKey) -> Result<CronJob, StoreError> {
        let k = key.to_string();
        let row = self
            .read(move |conn| {
                cron_jobs::table
                    .filter(cron_jobs::key.eq(&k))
                    .select(JobRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)
            })
            .await?;
        row.ok_or_else(|| job_not_found(format!("cronjob '{key}'")))?.try_into()
    }

    async fn save_cron_job(&self, job: &CronJob) -> Result<CronJob, StoreError> {
        let mut row =
            job_row(&job.key, &job.name, &job.prompt, &job.schedule, job.target, job.agent.as_ref(), job.mode);
        row.id = job.id.0;
        row.enabled = job.enabled;
        row.if_busy = job.if_busy.as_str().to_owned();
        row.if_missed = job.if_missed.as_str().to_owned();
        row.next_run_at = job.next_run_at;
        row.last_run_at = job.last_run_at;
        row.budget = job.budget.to_text();
        row.created_at = job.created_at;
        row.updated_at = job.updated_at;
        let (id, key) = (job.id.0, job.key.to_string());
        self.write(move |conn| {
            diesel::update(cron_jobs::table.find(id))
                .set((
                    cron_jobs::name.eq(row.name),
                    cron_jobs::prompt.eq(row.prompt),
                    cron_jobs::schedule.eq(row.schedule),
                    cron_jobs::target.eq(row.target),
                    cron_jobs::agent.eq(row.agent),
                    cron_jobs::mode.eq(row.mode),
                    cron_jobs::enabled.eq(row.enabled),
                    cron_jobs::if_busy.eq(row.if_busy),
                    cron_jobs::if_missed.eq(row.if_missed),
                    cron_jobs::next_run_at.eq(row.next_run_at),
                    cron_jobs::last_run_at.eq(row.last_run_at),
                    cron_jobs::updated_at.eq(row.updated_at),
                    cron_jobs::budget.eq(row.budget),
                ))
                .returning(JobRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| job_not_found(format!("cronjob '{key}'")))
        })
        .await?
        .try_into()
    }

    async fn delete_cron_job(&self, id: CronJobId) -> Result<(), StoreError> {
        let n = self
            .write(move |conn| diesel::delete(cron_jobs::table.find(id.0)).execute(conn).map_err(from_diesel))
            .await?;
        if n == 0 {
            return Err(job_not_found(format!("cronjob {}", id.0)));
        }
        Ok(())
    }

    async fn insert_cron_run(&self, run: CronRun) -> Result<CronRun, StoreError> {
        let row = RunRow::from(&run);
        let job = run.job_id.0;
        let keep = to_i64(CRON_RUNS_KEEP as u64);
        self.write(move |conn| {
            transaction(conn, |conn| {
                let stored = diesel::insert_into(cron_runs::table)
                    .values(&row)
                    .returning(RunRow::as_returning())
                    .get_result(conn)
                    .map_err(|e| {
                        if is_foreign_key_violation(&e) {
                            job_not_found(format!("cronjob {job}"))
                        } else {
                            from_diesel(e)
                        }
                    })?;
                let oldest_kept: Option<i64> = cron_runs::table
                    .filter(cron_runs::job_id.eq(job))
                    .select(cron_runs::id)
                    .order(cron_runs::id.desc())
                    .offset(keep - 1)
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)?;
                if let Some(oldest) = oldest_kept {
                    // What the pruned runs spent stays counted (the job's budget bounds all its runs).
                    diesel::sql_query(FOLD_PRUNED_USAGE)
                        .bind::<diesel::sql_types::BigInt, _>(job)
                        .bind::<diesel::sql_types::BigInt, _>(oldest)
                        .execute(conn)
                        .map_err(from_diesel)?;
                    diesel::delete(cron_runs::table.filter(cron_runs::job_id.eq(job)).filter(cron_runs::id.lt(oldest)))
                        .execute(conn)
                        .map_err(from_diesel)?;
                }
                Ok(stored)
            })
        })
        .await?
        .try_into()
    }

    async fn save_cron_run(&self, run: &CronRun) -> Result<CronRun, StoreError> {
        let row = RunRow::from(run);
        let id = run.id.0;
        self.write(move |conn| {
            diesel::update(cron_runs::table.find(id))
                .set(&row)
                .returning(RunRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| StoreError::NotFound(format!("cronjob run {id}")))
        })
        .await?
        .try_into()
    }

    async fn cron_runs(
        &self,
        job: CronJobId,
        before: Option<CronRunId>,
        limit: usize,
    ) -> Result<Vec<CronRun>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .read(move |conn| {
                let mut q = cron_runs::table
                    .filter(cron_runs::job_id.eq(job.0))
                    .select(RunRow::as_select())
                    .order(cron_runs::id.desc())
                    .limit(limit)
                    .into_boxed();
                if let Some(before) = before {
                    q = q.filter(cron_runs::id.lt(before.0));
                }
                q.load(conn).map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(CronRun::try_from).collect()
    }

    async fn open_cron_runs(&self) -> Result<Vec<CronRun>, StoreError> {
        let rows = self
            .read(|conn| {
                cron_runs::table
                    .filter(cron_runs::outcome.eq_any(["queued", "running"]))
                    .select(RunRow::as_select())
                    .order(cron_runs::id.asc())
                    .load(conn)
                    .map_err(from_diesel)
            })
            .await?;
        rows.into_iter().map(CronRun::try_from).collect()
    }
}
