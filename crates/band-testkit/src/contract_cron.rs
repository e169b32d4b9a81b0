//! The cronjob part of the storage contract: every documented rule of
//! [`CronStore`](band_core::ports::CronStore), as stories. [`cron_all`] runs them.

use std::future::Future;

use band_core::ports::{ChatStore, CronStore, ProjectStore, TurnLog, WorkspaceStore};
use band_core::{
    AgentId, CRON_RUNS_KEEP, ChatId, CronJobId, CronKey, CronRun, CronRunId, CronTarget, IfBusy, IfMissed, NewChat,
    NewCronJob, PermissionMode, ProjectId, RunOutcome, RunTrigger, Schedule, StoreError, TurnId, Usage, UsageBy,
    UsageFilter,
};

use super::{assert_not_found, new_project, new_workspace, ok};
use crate::names::chat_name;

/// Runs every cronjob story, each on a new store made by `fresh`.
pub async fn cron_all<S, F, Fut>(mut fresh: F)
where
    S: CronStore + TurnLog + ProjectStore + WorkspaceStore + ChatStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    cronjobs_are_stored_as_given_and_listed_by_key(&fresh().await).await;
    a_cronjob_key_is_unique(&fresh().await).await;
    saving_a_cronjob_keeps_its_id_key_and_creation(&fresh().await).await;
    cron_runs_page_newest_first_and_open_ones_are_found(&fresh().await).await;
    deleting_a_cronjob_deletes_its_runs(&fresh().await).await;
    each_job_keeps_its_newest_runs(&fresh().await).await;
    a_jobs_usage_still_counts_its_pruned_runs(&fresh().await).await;
}

fn job(key: &str, schedule: Schedule, target: CronTarget) -> NewCronJob {
    NewCronJob {
        key: CronKey::new(key).expect("key"),
        name: format!("job {key}"),
        prompt: "summarize the day ✓".into(),
        schedule,
        target,
        agent: None,
        mode: None,
        enabled: true,
        if_busy: IfBusy::Queue,
        if_missed: IfMissed::Skip,
        budget: band_core::CronBudget::default(),
        next_run_at: Some(1_000),
        created_at: 500,
    }
}

fn every(ms: u64) -> Schedule {
    Schedule::Every { ms }
}

pub async fn cronjobs_are_stored_as_given_and_listed_by_key<S: CronStore>(store: &S) {
    let cron = Schedule::Cron { expr: "0 9 * * 1-5".into(), zone: "Europe/Berlin".into() };
    let mut b = job("b-nightly", cron.clone(), CronTarget::NewWorkspace(ProjectId(3)));
    b.agent = Some(AgentId::new("codex").expect("agent"));
    b.mode = Some(PermissionMode::AcceptEdits);
    b.if_busy = IfBusy::Skip;
    b.if_missed = IfMissed::RunOnce;
    b.budget = band_core::CronBudget { max_cost_micros: Some(2_500_000), max_tokens: Some(100_000) };
    b.enabled = false;
    b.next_run_at = None;
    let b = ok(store.insert_cron_job(b).await);
    let a = ok(store.insert_cron_job(job("a-often", every(30_000), CronTarget::Chat(ChatId(7)))).await);
    assert_ne!(a.id, b.id);
    assert_eq!(
        (b.schedule.clone(), b.target, b.if_busy, b.if_missed, b.enabled),
        (cron, CronTarget::NewWorkspace(ProjectId(3)), IfBusy::Skip, IfMissed::RunOnce, false)
    );
    assert_eq!(b.budget.to_text(), "maxCostUsd=2.5,maxTokens=100000");
    assert_eq!(a.budget, band_core::CronBudget::default());
    assert_eq!(
        (b.agent.as_ref().map(ToString::to_string), b.mode),
        (Some("codex".into()), Some(PermissionMode::AcceptEdits))
    );
    assert_eq!((a.created_at, a.updated_at, a.last_run_at, a.next_run_at), (500, 500, None, Some(1_000)));
    assert_eq!(a.prompt, "summarize the day ✓");
    let listed = ok(store.cron_jobs().await);
    assert_eq!(listed, vec![a.clone(), b.clone()], "listed by key, as stored");
    assert_eq!(ok(store.cron_job(&a.key).await), a);
    assert_not_found(store.cron_job(&CronKey::new("nope").expect("key")).await, "cronjob 'nope'");
}

pub async fn a_cronjob_key_is_unique<S: CronStore>(store: &S) {
    ok(store.insert_cron_job(job("k", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let r = store.insert_cron_job(job("k", every(2000), CronTarget::Chat(ChatId(2)))).await;
    assert!(matches!(&r, Err(StoreError::Duplicate(m)) if m == "cronjob 'k'"), "{r:?}");
    assert_eq!(ok(store.cron_jobs().await).len(), 1, "nothing written");
}

pub async fn saving_a_cronjob_keeps_its_id_key_and_creation<S: CronStore>(store: &S) {
    let stored = ok(store.insert_cron_job(job("k", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let mut changed = stored.clone();
    changed.name = "renamed".into();
    changed.schedule = Schedule::Cron { expr: "*/5 * * * *".into(), zone: "UTC".into() };
    changed.target = CronTarget::Workspace(band_core::WorkspaceId(4));
    changed.enabled = false;
    changed.budget.max_tokens = Some(7);
    changed.next_run_at = None;
    changed.last_run_at = Some(9_000);
    changed.updated_at = 9_000;
    changed.created_at = 1;
    let saved = ok(store.save_cron_job(&changed).await);
    assert_eq!(saved, band_core::CronJob { created_at: 500, ..changed.clone() });
    assert_eq!(ok(store.cron_job(&stored.key).await), saved);
    let mut gone = saved.clone();
    gone.id = CronJobId(999);
    assert!(matches!(store.save_cron_job(&gone).await, Err(StoreError::NotFound(_))));
}

fn run(job: CronJobId, outcome: RunOutcome) -> CronRun {
    let mut r = CronRun::new(job, RunTrigger::Schedule, 1_000, 1_001);
    r.outcome = outcome;
    r
}

pub async fn cron_runs_page_newest_first_and_open_ones_are_found<S: CronStore>(store: &S) {
    let j = ok(store.insert_cron_job(job("k", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let other = ok(store.insert_cron_job(job("other", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let a = ok(store.insert_cron_run(run(j.id, RunOutcome::Running)).await);
    let b = ok(store.insert_cron_run(run(j.id, RunOutcome::Skipped)).await);
    let c = ok(store.insert_cron_run(run(other.id, RunOutcome::Queued)).await);
    let d = ok(store.insert_cron_run(run(j.id, RunOutcome::Completed)).await);
    assert!(a.id < b.id && b.id < c.id && c.id < d.id, "ids increase");
    let ids = |v: Vec<CronRun>| v.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(ok(store.cron_runs(j.id, None, 10).await)), vec![d.id, b.id, a.id]);
    assert_eq!(ids(ok(store.cron_runs(j.id, Some(d.id), 1).await)), vec![b.id]);
    assert_eq!(ids(ok(store.open_cron_runs().await)), vec![a.id, c.id], "queued and running, oldest first");

    let mut done = a.clone();
    done.outcome = RunOutcome::Failed;
    done.detail = Some("the agent exited".into());
    done.chat_id = Some(ChatId(1));
    done.seq = Some(12);
    done.turn_id = Some(band_core::TurnId(3));
    done.queued_id = Some(band_core::QueuedId(4));
    done.workspace_id = Some(band_core::WorkspaceId(2));
    done.usage = Usage {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_tokens: 2,
        cache_write_tokens: 1,
        cost_usd: Some(0.125),
    };
    done.duration_ms = Some(1500);
    done.ended_at = Some(2_500);
    assert_eq!(ok(store.save_cron_run(&done).await), done);
    assert_eq!(ok(store.cron_runs(j.id, None, 10).await).last(), Some(&done), "read back as written");
    assert_eq!(ids(ok(store.open_cron_runs().await)), vec![c.id]);
    let mut missing = done.clone();
    missing.id = CronRunId(999);
    assert_not_found(store.save_cron_run(&missing).await, "cronjob run 999");
    assert!(matches!(
        store.insert_cron_run(run(CronJobId(999), RunOutcome::Running)).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn deleting_a_cronjob_deletes_its_runs<S: CronStore>(store: &S) {
    let j = ok(store.insert_cron_job(job("k", every(1000), CronTarget::Chat(ChatId(1)))).await);
    ok(store.insert_cron_run(run(j.id, RunOutcome::Running)).await);
    ok(store.delete_cron_job(j.id).await);
    assert_eq!(ok(store.cron_jobs().await), vec![]);
    assert_eq!(ok(store.cron_runs(j.id, None, 10).await), vec![]);
    assert_eq!(ok(store.open_cron_runs().await), vec![]);
    assert!(matches!(store.delete_cron_job(j.id).await, Err(StoreError::NotFound(_))));
}

pub async fn each_job_keeps_its_newest_runs<S: CronStore>(store: &S) {
    let j = ok(store.insert_cron_job(job("k", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let other = ok(store.insert_cron_job(job("other", every(1000), CronTarget::Chat(ChatId(1)))).await);
    let kept_elsewhere = ok(store.insert_cron_run(run(other.id, RunOutcome::Completed)).await);
    let first = ok(store.insert_cron_run(run(j.id, RunOutcome::Completed)).await);
    let mut last = first.clone();
    for _ in 0..CRON_RUNS_KEEP {
        last = ok(store.insert_cron_run(run(j.id, RunOutcome::Completed)).await);
    }
    let runs = ok(store.cron_runs(j.id, None, CRON_RUNS_KEEP + 10).await);
    assert_eq!(runs.len(), CRON_RUNS_KEEP);
    assert_eq!(runs.first().map(|r| r.id), Some(last.id));
    assert!(runs.iter().all(|r| r.id != first.id), "the oldest went");
    assert_eq!(ok(store.cron_runs(other.id, None, 10).await), vec![kept_elsewhere], "other jobs keep theirs");
}

/// A job's budget bounds all its runs: usage by cronjob counts the runs pruned too (per day, so a
/// report of some days still finds them), never those of a job deleted.
pub async fn a_jobs_usage_still_counts_its_pruned_runs<S>(store: &S)
where
    S: CronStore + TurnLog + ProjectStore + WorkspaceStore + ChatStore,
{
    let p = ok(store.insert_project(new_project("app", "/repos/app")).await);
    let w = ok(store.insert_workspace(new_workspace(p.id, "feat", "/wt/app/feat")).await);
    let chat = ok(store
        .insert_chat(NewChat {
            workspace_id: w.id,
            agent: AgentId::default_agent(),
            model: None,
            mode: PermissionMode::Ask,
            name: chat_name("nightly"),
            labels: band_core::Labels::default(),
            via: band_core::ChatVia::Protocol,
        })
        .await);
    let j = ok(store.insert_cron_job(job("nightly", every(1000), CronTarget::Chat(chat.id))).await);
    const DAY: i64 = 86_400_000;
    let ended = |i: usize| {
        let mut r = run(j.id, RunOutcome::Completed);
        r.chat_id = Some(chat.id);
        r.turn_id = Some(TurnId(i64::try_from(i).expect("small") + 1));
        r.usage = Usage {
            input_tokens: 10,
            output_tokens: 2,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cost_usd: Some(0.01),
        };
        r.duration_ms = Some(100);
        // The first three runs ended on day 20,000, the rest on day 20,001.
        r.ended_at = Some(if i < 3 { DAY * 20_000 + 5 } else { DAY * 20_001 + 5 });
        r
    };
    let n = CRON_RUNS_KEEP + 5;
    for i in 0..n {
        ok(store.insert_cron_run(ended(i)).await);
    }
    // A run that started no turn (skipped) counts nothing, pruned or not.
    ok(store.insert_cron_run(run(j.id, RunOutcome::Skipped)).await);
    assert_eq!(ok(store.cron_runs(j.id, None, n + 10).await).len(), CRON_RUNS_KEEP, "runs are still pruned");

    let report = ok(store.usage_report(UsageBy::Cronjob, UsageFilter::default()).await);
    let g = report.groups.iter().find(|g| g.key == j.id.0.to_string()).expect("the job's group");
    assert_eq!(g.label, "nightly");
    assert_eq!(g.totals.turns, n as u64, "every run that ended a turn, the pruned ones too");
    assert_eq!(g.totals.usage.input_tokens, 10 * n as u64);
    assert_eq!(g.totals.usage.output_tokens, 2 * n as u64);
    assert_eq!(g.totals.duration_ms, 100 * i64::try_from(n).expect("small"));
    let cost = g.totals.usage.cost_usd.expect("costed");
    assert!((cost - 0.01 * n as f64).abs() < 1e-6, "{cost}");

    // The first day alone: the three oldest runs, all pruned.
    let day = UsageFilter { from_day: Some(20_000), to_day: Some(20_000), ..UsageFilter::default() };
    let first = ok(store.usage_report(UsageBy::Cronjob, day).await);
    assert_eq!(first.groups.iter().map(|g| g.totals.turns).collect::<Vec<_>>(), vec![3]);

    ok(store.delete_cron_job(j.id).await);
    let after = ok(store.usage_report(UsageBy::Cronjob, UsageFilter::default()).await);
    assert!(after.groups.is_empty(), "a deleted job counts nothing: {:?}", after.groups);
}
