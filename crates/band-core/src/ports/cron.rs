//! What the cronjob scheduler needs: a place to keep jobs and their runs, and a calendar that
//! knows cron expressions and time zones.

use async_trait::async_trait;

use crate::cron::{CronJob, CronJobId, CronKey, CronRun, CronRunId, NewCronJob};
use crate::error::StoreError;
use crate::model::Millis;

/// Durable storage of cronjobs and their runs.
#[async_trait]
pub trait CronStore: Send + Sync {
    /// # Errors
    /// [`StoreError::Duplicate`] ("cronjob 'key'") when the key is taken; nothing is written.
    async fn insert_cron_job(&self, new: NewCronJob) -> Result<CronJob, StoreError>;

    /// Every job, by key.
    async fn cron_jobs(&self) -> Result<Vec<CronJob>, StoreError>;

    /// # Errors
    /// [`StoreError::NotFound`] ("cronjob 'key'") when absent.
    async fn cron_job(&self, key: &CronKey) -> Result<CronJob, StoreError>;

    /// Replaces every field of the job but its id, key and creation time with `job`'s; returns it
    /// as stored.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn save_cron_job(&self, job: &CronJob) -> Result<CronJob, StoreError>;

    /// Deletes the job with its runs.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when absent.
    async fn delete_cron_job(&self, id: CronJobId) -> Result<(), StoreError>;

    /// Stores a new run (its id is assigned) and prunes the job's runs beyond
    /// [`CRON_RUNS_KEEP`](crate::CRON_RUNS_KEEP), oldest first, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the job does not exist.
    async fn insert_cron_run(&self, run: CronRun) -> Result<CronRun, StoreError>;

    /// Replaces a stored run's fields (by id).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] ("cronjob run N") when absent.
    async fn save_cron_run(&self, run: &CronRun) -> Result<CronRun, StoreError>;

    /// At most `limit` runs of a job with `id < before` (no bound when `None`), newest first.
    async fn cron_runs(
        &self,
        job: CronJobId,
        before: Option<CronRunId>,
        limit: usize,
    ) -> Result<Vec<CronRun>, StoreError>;

    /// Every run still queued or running, of every job, oldest first.
    async fn open_cron_runs(&self) -> Result<Vec<CronRun>, StoreError>;
}

/// Cron expressions and time zones.
pub trait CronCalendar: Send + Sync {
    /// Checks an expression and a zone.
    ///
    /// # Errors
    /// What is wrong with them and how to write them, in words for any edge.
    fn check(&self, expr: &str, zone: &str) -> Result<(), String>;

    /// The first time strictly after `after` that `expr` matches in `zone`; `None` when it never
    /// matches again (or the expression or zone is invalid).
    fn next_after(&self, expr: &str, zone: &str, after: Millis) -> Option<Millis>;

    /// The zone a job without one runs in: the machine's, as an IANA name where known.
    fn default_zone(&self) -> String;
}
