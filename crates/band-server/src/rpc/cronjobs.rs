//! `cronjobs.*` and `cronjobs.subscribe`: params checked and parsed into the scheduler's
//! requests (one schedule, one target, in the API's words), records converted to wire types
//! (with the target's `project/branch` or project name while it exists).

use std::sync::Arc;

use band_core::ports::Notice;
use band_core::services::{CronPatch, CronSpec, ScheduleSpec, TargetSpec};
use band_core::{
    ChatId, CoreError, CronJob, CronRun, CronRunId, CronTarget, IfBusy, IfMissed, RunOutcome, RunTrigger, Schedule,
};
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::types::Params;
use jsonrpsee::{PendingSubscriptionSink, RpcModule};
use tokio::sync::broadcast::error::RecvError;

use super::convert::{agent, mode, mode_info, usage_info};
use super::subscriptions::notify;
use super::{ApiContext, Reg, add, error_object, parse_params};
use band_api::{self as api};

pub(super) fn methods(m: &mut RpcModule<ApiContext>) -> Reg {
    add::<api::CronjobsList, _, _>(m, |c, _| async move {
        let mut out = Vec::new();
        for job in c.cronjobs.list().await? {
            out.push(job_info(&c, &job).await);
        }
        Ok(out)
    })?;
    add::<api::CronjobsGet, _, _>(m, |c, p| async move { Ok(job_info(&c, &c.cronjobs.get(&p.key).await?).await) })?;
    add::<api::CronjobsCreate, _, _>(m, |c, p| async move {
        let schedule = schedule(p.cron, p.every, p.timezone)?.ok_or_else(|| {
            CoreError::InvalidInput("give a schedule: cron (with an optional timezone) or every".into())
        })?;
        let target = target(p.chat, p.workspace, p.project, p.new_workspace)?.ok_or_else(|| {
            CoreError::InvalidInput("give a target: chat, workspace, or project with newWorkspace: true".into())
        })?;
        let spec = CronSpec {
            key: p.key,
            name: p.name,
            prompt: p.prompt,
            schedule,
            target,
            agent: p.agent.as_ref().map(agent).transpose()?,
            mode: p.mode.map(mode),
            enabled: !p.disabled,
            if_busy: p.if_busy.map(if_busy),
            if_missed: p.if_missed.map(if_missed),
            budget: p.budget,
        };
        Ok(job_info(&c, &c.cronjobs.create(spec).await?).await)
    })?;
    add::<api::CronjobsUpdate, _, _>(m, |c, p| async move {
        let schedule = match (schedule(p.cron, p.every, p.timezone.clone())?, p.timezone) {
            (Some(s), _) => Some(s),
            // A zone alone moves the job's cron expression to it.
            (None, Some(zone)) => match c.cronjobs.get(&p.key).await?.schedule {
                Schedule::Cron { expr, .. } => Some(ScheduleSpec::Cron { expr, zone: Some(zone) }),
                Schedule::Every { .. } => {
                    return Err(CoreError::InvalidInput(
                        format!("cronjob '{}' runs on an interval; a timezone goes with a cron expression", p.key)
                            .into(),
                    ));
                }
            },
            (None, None) => None,
        };
        let patch = CronPatch {
            name: p.name,
            prompt: p.prompt,
            schedule,
            target: target(p.chat, p.workspace, p.project, p.new_workspace)?,
            agent: p.agent.as_ref().map(agent).transpose()?,
            mode: p.mode.map(mode),
            enabled: p.enabled,
            if_busy: p.if_busy.map(if_busy),
            if_missed: p.if_missed.map(if_missed),
            budget: p.budget,
        };
        Ok(job_info(&c, &c.cronjobs.update(&p.key, patch).await?).await)
    })?;
    add::<api::CronjobsDelete, _, _>(m, |c, p| async move {
        let job = c.cronjobs.get(&p.key).await?;
        let info = job_info(&c, &job).await;
        c.cronjobs.delete(&p.key).await?;
        Ok(info)
    })?;
    add::<api::CronjobsTrigger, _, _>(m, |c, p| async move {
        let run = c.cronjobs.trigger(&p.key).await?;
        Ok(run_info(&p.key, &run))
    })?;
    add::<api::CronjobsRuns, _, _>(m, |c, p| async move {
        let limit = p.limit.unwrap_or(50) as usize;
        let runs = c.cronjobs.runs(&p.key, p.before.map(CronRunId), limit).await?;
        Ok(runs.iter().map(|r| run_info(&p.key, r)).collect())
    })
}

/// One schedule, or none, from the params.
fn schedule(
    cron: Option<String>,
    every: Option<String>,
    timezone: Option<String>,
) -> Result<Option<ScheduleSpec>, CoreError> {
    match (cron, every) {
        (Some(_), Some(_)) => Err(CoreError::InvalidInput("give either cron or every, not both".into())),
        (Some(expr), None) => Ok(Some(ScheduleSpec::Cron { expr, zone: timezone })),
        (None, Some(every)) if timezone.is_none() => Ok(Some(ScheduleSpec::Every(every))),
        (None, Some(_)) => Err(CoreError::InvalidInput(
            "a timezone goes with a cron expression; an interval (every) needs none".into(),
        )),
        (None, None) => Ok(None),
    }
}

/// One target, or none, from the params.
fn target(
    chat: Option<i64>,
    workspace: Option<String>,
    project: Option<String>,
    new_workspace: bool,
) -> Result<Option<TargetSpec>, CoreError> {
    let one_only =
        || CoreError::InvalidInput("give one target: chat, workspace, or project with newWorkspace: true".into());
    match (chat, workspace, project, new_workspace) {
        (None, None, None, false) => Ok(None),
        (Some(c), None, None, false) => Ok(Some(TargetSpec::Chat(ChatId(c)))),
        (None, Some(w), None, false) => Ok(Some(TargetSpec::Workspace(w))),
        (None, None, Some(p), true) => Ok(Some(TargetSpec::NewWorkspace(p))),
        (None, None, Some(_), false) => Err(CoreError::InvalidInput(
            "a project as target gets a new workspace for every run: add newWorkspace: true (or give a workspace)"
                .into(),
        )),
        (None, None, None, true) => {
            Err(CoreError::InvalidInput("newWorkspace needs the project to make the workspaces in".into()))
        }
        _ => Err(one_only()),
    }
}

fn if_busy(b: api::IfBusy) -> IfBusy {
    match b {
        api::IfBusy::Queue => IfBusy::Queue,
        api::IfBusy::Skip => IfBusy::Skip,
    }
}

fn if_missed(m: api::IfMissed) -> IfMissed {
    match m {
        api::IfMissed::Skip => IfMissed::Skip,
        api::IfMissed::RunOnce => IfMissed::RunOnce,
    }
}

pub(super) async fn job_info(c: &ApiContext, job: &CronJob) -> api::CronJobInfo {
    let (cron, timezone, every) = match &job.schedule {
        Schedule::Cron { expr, zone } => (Some(expr.clone()), Some(zone.clone()), None),
        Schedule::Every { ms } => (None, None, Some(band_core::format_interval(*ms))),
    };
    let target = match job.target {
        CronTarget::Chat(id) => {
            let ws = c.chats.get(id).await.ok().map(|chat| chat.workspace_id);
            api::CronTargetInfo {
                kind: api::CronTargetKind::Chat,
                chat: Some(id.0),
                workspace_id: ws.map(|w| w.0),
                label: match ws {
                    Some(w) => workspace_label(c, w.0).await,
                    None => None,
                },
            }
        }
        CronTarget::Workspace(w) => api::CronTargetInfo {
            kind: api::CronTargetKind::Workspace,
            chat: None,
            workspace_id: Some(w.0),
            label: workspace_label(c, w.0).await,
        },
        CronTarget::NewWorkspace(p) => api::CronTargetInfo {
            kind: api::CronTargetKind::NewWorkspace,
            chat: None,
            workspace_id: None,
            label: c
                .projects
                .list()
                .await
                .ok()
                .and_then(|ps| ps.into_iter().find(|x| x.id == p).map(|x| x.name.to_string())),
        },
    };
    api::CronJobInfo {
        key: job.key.to_string(),
        name: job.name.clone(),
        prompt: job.prompt.clone(),
        cron,
        timezone,
        every,
        target,
        agent: job.agent.as_ref().map(|a| api::AgentId(a.to_string())),
        mode: job.mode.map(mode_info),
        enabled: job.enabled,
        if_busy: match job.if_busy {
            IfBusy::Queue => api::IfBusy::Queue,
            IfBusy::Skip => api::IfBusy::Skip,
        },
        if_missed: match job.if_missed {
            IfMissed::Skip => api::IfMissed::Skip,
            IfMissed::RunOnce => api::IfMissed::RunOnce,
        },
        budget: Some(job.budget.to_text()).filter(|b| !b.is_empty()),
        next_run_at: job.next_run_at,
        last_run_at: job.last_run_at,
        created_at: job.created_at,
        updated_at: job.updated_at,
    }
}

async fn workspace_label(c: &ApiContext, id: i64) -> Option<String> {
    let (project, ws) = c.workspaces.resolve(&id.to_string()).await.ok()?;
    Some(format!("{}/{}", project.name, ws.branch))
}

pub(super) fn run_info(key: &str, r: &CronRun) -> api::CronRunInfo {
    api::CronRunInfo {
        id: r.id.0,
        key: key.to_owned(),
        trigger: match r.trigger {
            RunTrigger::Schedule => api::CronTrigger::Schedule,
            RunTrigger::Manual => api::CronTrigger::Manual,
            RunTrigger::Missed => api::CronTrigger::Missed,
        },
        scheduled_at: r.scheduled_at,
        at: r.at,
        outcome: match r.outcome {
            RunOutcome::Queued => api::CronOutcome::Queued,
            RunOutcome::Running => api::CronOutcome::Running,
            RunOutcome::Completed => api::CronOutcome::Completed,
            RunOutcome::Failed => api::CronOutcome::Failed,
            RunOutcome::Interrupted => api::CronOutcome::Interrupted,
            RunOutcome::Skipped => api::CronOutcome::Skipped,
            RunOutcome::Cancelled => api::CronOutcome::Cancelled,
        },
        detail: r.detail.clone(),
        workspace_id: r.workspace_id.map(|w| w.0),
        chat_id: r.chat_id.map(|c| c.0),
        turn_id: r.turn_id.map(|t| t.0),
        usage: usage_info(&r.usage),
        duration_ms: r.duration_ms,
        ended_at: r.ended_at,
    }
}

/// Jobs and runs as they change, of one job or all.
pub(super) async fn subscribe(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<ApiContext>,
) -> SubscriptionResult {
    const NAME: &str = api::CRONJOBS_SUBSCRIBE.name;
    let p: api::CronjobsSubscribeParams = match parse_params(NAME, &params) {
        Ok(p) => p,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    let mut live = ctx.notices.subscribe();
    // Runs carry their job's id; the keys are looked up as they come.
    let only = match &p.key {
        None => None,
        Some(k) => match ctx.cronjobs.get(k).await {
            Ok(job) => Some(job.id),
            Err(e) => {
                pending.reject(error_object(NAME, e)).await;
                return Ok(());
            }
        },
    };
    let sink = pending.accept().await?;
    let mut keys = std::collections::HashMap::new();
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            notice = live.recv() => {
                let notice = match notice {
                    Ok(n) => n,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return Ok(()),
                };
                let item = match notice {
                    Notice::CronJobChanged(job) if only.is_none_or(|o| o == job.id) => {
                        keys.insert(job.id, job.key.to_string());
                        api::CronNotice::Job { job: job_info(&ctx, &job).await }
                    }
                    Notice::CronJobRemoved(job) if only.is_none_or(|o| o == job.id) => {
                        api::CronNotice::Removed { key: job.key.to_string() }
                    }
                    Notice::CronRunChanged(run) if only.is_none_or(|o| o == run.job_id) => {
                        let key = match keys.get(&run.job_id) {
                            Some(k) => k.clone(),
                            None => {
                                let Ok(jobs) = ctx.cronjobs.list().await else { continue };
                                let Some(job) = jobs.into_iter().find(|j| j.id == run.job_id) else { continue };
                                keys.insert(job.id, job.key.to_string());
                                job.key.to_string()
                            }
                        };
                        api::CronNotice::Run { run: run_info(&key, &run) }
                    }
                    _ => continue,
                };
                if !notify(&sink, &item).await {
                    return Ok(());
                }
            }
        }
    }
}
