//! [`CronStore`] for [`MemoryStore`], under the same contract as band-store's (`contract_cron.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use band_core::ports::CronStore;
use band_core::{CRON_RUNS_KEEP, CronJob, CronJobId, CronKey, CronRun, CronRunId, NewCronJob, StoreError};

use crate::memory::MemoryStore;

#[derive(Default)]
pub(crate) struct CronState {
    jobs: BTreeMap<i64, CronJob>,
    runs: BTreeMap<i64, CronRun>,
    /// Runs pruned after ending a turn: still counted in usage by cronjob (as band-store folds
    /// them into `cron_usage_pruned`).
    pruned: Vec<CronRun>,
    last_job_id: i64,
    last_run_id: i64,
}

impl MemoryStore {
    /// Every run with its job's key, the pruned ones that ended a turn included, for usage
    /// reports (`memory/usage.rs`).
    pub(crate) fn cron_runs(&self) -> Vec<(CronRun, String)> {
        let s = self.cron();
        s.pruned
            .iter()
            .chain(s.runs.values())
            .map(|r| (r.clone(), s.jobs.get(&r.job_id.0).map(|j| j.key.to_string()).unwrap_or_default()))
            .collect()
    }

    fn cron(&self) -> std::sync::MutexGuard<'_, CronState> {
        self.cron.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl CronStore for MemoryStore {
    async fn insert_cron_job(&self, new: NewCronJob) -> Result<CronJob, StoreError> {
        let mut s = self.cron();
        if s.jobs.values().any(|j| j.key == new.key) {
            return Err(StoreError::Duplicate(format!("cronjob '{}'", new.key)));
        }
        s.last_job_id += 1;
        let job = CronJob {
            id: CronJobId(s.last_job_id),
            key: new.key,
            name: new.name,
            prompt: new.prompt,
            schedule: new.schedule,
            target: new.target,
            agent: new.agent,
            mode: new.mode,
            enabled: new.enabled,
            if_busy: new.if_busy,
            if_missed: new.if_missed,
            budget: new.budget,
            next_run_at: new.next_run_at,
            last_run_at: None,
            created_at: new.created_at,
            updated_at: new.created_at,
        };
        s.jobs.insert(job.id.0, job.clone());
        Ok(job)
    }

    async fn cron_jobs(&self) -> Result<Vec<CronJob>, StoreError> {
        let mut jobs: Vec<CronJob> = self.cron().jobs.values().cloned().collect();
        jobs.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(jobs)
    }

    async fn cron_job(&self, key: &CronKey) -> Result<CronJob, StoreError> {
        self.cron()
            .jobs
            .values()
            .find(|j| j.key == *key)
            .cloned()
            .ok_or_else(|| StoreError::NotFound(format!("cronjob '{key}'")))
    }

    async fn save_cron_job(&self, job: &CronJob) -> Result<CronJob, StoreError> {
        let mut s = self.cron();
        let stored = s.jobs.get_mut(&job.id.0).ok_or_else(|| StoreError::NotFound(format!("cronjob '{}'", job.key)))?;
        let (id, key, created_at) = (stored.id, stored.key.clone(), stored.created_at);
        *stored = CronJob { id, key, created_at, ..job.clone() };
        Ok(stored.clone())
    }

    async fn delete_cron_job(&self, id: CronJobId) -> Result<(), StoreError> {
        let mut s = self.cron();
        s.jobs.remove(&id.0).ok_or_else(|| StoreError::NotFound(format!("cronjob {}", id.0)))?;
        s.runs.retain(|_, r| r.job_id != id);
        s.pruned.retain(|r| r.job_id != id);
        Ok(())
    }

    async fn insert_cron_run(&self, run: CronRun) -> Result<CronRun, StoreError> {
        let mut s = self.cron();
        if !s.jobs.contains_key(&run.job_id.0) {
            return Err(StoreError::NotFound(format!("cronjob {}", run.job_id.0)));
        }
        s.last_run_id += 1;
        let run = CronRun { id: CronRunId(s.last_run_id), ..run };
        s.runs.insert(run.id.0, run.clone());
        let mine: Vec<i64> = s.runs.values().filter(|r| r.job_id == run.job_id).map(|r| r.id.0).collect();
        for old in mine.iter().take(mine.len().saturating_sub(CRON_RUNS_KEEP)) {
            if let Some(gone) = s.runs.remove(old)
                && gone.turn_id.is_some()
                && gone.ended_at.is_some()
            {
                s.pruned.push(gone);
            }
        }
        Ok(run)
    }

    async fn save_cron_run(&self, run: &CronRun) -> Result<CronRun, StoreError> {
        let mut s = self.cron();
        let stored =
            s.runs.get_mut(&run.id.0).ok_or_else(|| StoreError::NotFound(format!("cronjob run {}", run.id.0)))?;
        *stored = run.clone();
        Ok(run.clone())
    }

    async fn cron_runs(
        &self,
        job: CronJobId,
        before: Option<CronRunId>,
        limit: usize,
    ) -> Result<Vec<CronRun>, StoreError> {
        let below = before.map_or(i64::MAX, |b| b.0);
        Ok(self
            .cron()
            .runs
            .range(..below)
            .rev()
            .filter(|(_, r)| r.job_id == job)
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn open_cron_runs(&self) -> Result<Vec<CronRun>, StoreError> {
        Ok(self.cron().runs.values().filter(|r| r.outcome.open()).cloned().collect())
    }
}
