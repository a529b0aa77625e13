//! The worker: claims due jobs, runs them with a heartbeat on their leases, and settles each
//! (done, postponed, retried with backoff, or dead). Any number of workers, in any number of
//! processes, may share one database.

use crate::engine::Engine;
use crate::error::AppResult;
use crate::execution::Handled;
use ame_domain::{Job, JobState, retry_delay};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Names the worker in the jobs it holds (host, process and a number, say).
    pub id: String,
    /// Jobs claimed and run at once.
    pub concurrency: usize,
    /// How long a claimed job is held before another worker may rescue it.
    pub lease: Duration,
    /// How long an idle worker waits before it looks for due jobs again.
    pub idle_wait: Duration,
}

impl WorkerSettings {
    /// Settings for a worker named `id`: 8 jobs at once, 15-second leases (so a worker's death
    /// delays a campaign's launch or a send by seconds), a 250 ms idle wait.
    pub fn named(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            concurrency: 8,
            lease: Duration::from_secs(15),
            idle_wait: Duration::from_millis(250),
        }
    }
}

/// What one round (or a run) of a worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Jobs claimed.
    pub claimed: usize,
    /// Jobs finished.
    pub done: usize,
    /// Jobs put back to wait (outside a send window, a paused campaign, a rate limit).
    pub postponed: usize,
    /// Jobs that failed an attempt and wait to be retried.
    pub retried: usize,
    /// Jobs that failed their last attempt.
    pub dead: usize,
    /// Jobs whose lease ran out while they ran (another worker took over).
    pub lost: usize,
}

impl JobReport {
    fn add(&mut self, other: JobReport) {
        self.claimed += other.claimed;
        self.done += other.done;
        self.postponed += other.postponed;
        self.retried += other.retried;
        self.dead += other.dead;
        self.lost += other.lost;
    }
}

/// Counts of settled jobs by kind and outcome, and total run time by kind (for `/metrics`).
#[derive(Debug, Default)]
pub struct JobMetrics {
    counts: Mutex<BTreeMap<(String, &'static str), u64>>,
    seconds: Mutex<BTreeMap<String, (f64, u64)>>,
    depth: Mutex<BTreeMap<(String, String), i64>>,
}

impl JobMetrics {
    fn record(&self, kind: &str, outcome: &'static str, took: Duration) {
        *self
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((kind.to_owned(), outcome))
            .or_default() += 1;
        let mut seconds = self.seconds.lock().unwrap_or_else(|e| e.into_inner());
        let entry = seconds.entry(kind.to_owned()).or_default();
        entry.0 += took.as_secs_f64();
        entry.1 += 1;
    }

    /// Settled jobs by (kind, outcome).
    pub fn counts(&self) -> BTreeMap<(String, &'static str), u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The queue's jobs by (kind, state), as last read from the database.
    pub fn depth(&self) -> BTreeMap<(String, String), i64> {
        self.depth.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_depth(&self, depth: BTreeMap<(String, String), i64>) {
        *self.depth.lock().unwrap_or_else(|e| e.into_inner()) = depth;
    }

    /// Total seconds spent and jobs run, by kind.
    pub fn seconds(&self) -> BTreeMap<String, (f64, u64)> {
        self.seconds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Claims and runs jobs for one engine.
#[derive(Debug, Clone)]
pub struct Worker {
    engine: Engine,
    settings: WorkerSettings,
}

impl Worker {
    /// A worker over `engine`.
    pub fn new(engine: Engine, settings: WorkerSettings) -> Self {
        Self { engine, settings }
    }

    /// The engine it runs jobs with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// How it runs.
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    /// Claims up to `concurrency` due jobs and runs them to a settled state.
    pub async fn run_once(&self) -> AppResult<JobReport> {
        let queue = self.engine.service_repos().jobs;
        let jobs = queue
            .claim(
                &self.settings.id,
                self.settings.concurrency.max(1) as u32,
                self.settings.lease,
                self.engine.now(),
            )
            .await?;
        let mut report = JobReport {
            claimed: jobs.len(),
            ..JobReport::default()
        };
        let runs = jobs.iter().map(|job| self.run_job(job));
        for one in futures::future::join_all(runs).await {
            report.add(one);
        }
        Ok(report)
    }

    /// Runs rounds until no job is due (for tests and tools that move the clock themselves).
    pub async fn drain(&self) -> AppResult<JobReport> {
        let mut total = JobReport::default();
        loop {
            let round = self.run_once().await?;
            if round.claimed == 0 {
                return Ok(total);
            }
            total.add(round);
        }
    }

    /// Runs until `shutdown` turns true. What the worker holds when it does is finished (each
    /// job is bounded by its own timeouts) before it returns; nothing is abandoned mid-way.
    pub async fn run(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) -> JobReport {
        let mut total = JobReport::default();
        while !*shutdown.borrow() {
            match self.run_once().await {
                Ok(round) => {
                    total.add(round);
                    if round.claimed > 0 {
                        continue;
                    }
                }
                Err(e) => {
                    tracing::warn!(worker = %self.settings.id, error = %e, "claiming jobs failed")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.idle_wait) => {}
                _ = shutdown.changed() => {}
            }
        }
        total
    }

    async fn run_job(&self, job: &Job) -> JobReport {
        let started = std::time::Instant::now();
        let queue = self.engine.service_repos().jobs;
        let beat = self.settings.lease / 3;
        // The heartbeat runs beside the work, never in its way: on SQLite's single connection
        // a heartbeat simply waits for the work's transaction to end.
        let heartbeat = {
            let queue = queue.clone();
            let job = job.clone();
            let engine = self.engine.clone();
            let lease = self.settings.lease;
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + beat, beat);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticker.tick().await;
                    match queue.heartbeat(&job, lease, engine.now()).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = %job.id, "lost the lease while running"),
                        Err(e) => tracing::warn!(job = %job.id, error = %e, "heartbeat failed"),
                    }
                }
            })
        };
        let handled = self.engine.handle(job).await;
        heartbeat.abort();
        let now = self.engine.now();
        let mut report = JobReport::default();
        let settled = match &handled {
            Handled::Done => queue.complete(job, now).await.map(|held| {
                if held {
                    report.done = 1
                } else {
                    report.lost = 1
                }
                "done"
            }),
            Handled::Settled => {
                report.done = 1;
                Ok("done")
            }
            Handled::Postpone(at) => queue.postpone(job, *at, now).await.map(|held| {
                if held {
                    report.postponed = 1
                } else {
                    report.lost = 1
                }
                "postponed"
            }),
            Handled::PostponeWith(at, spec) => {
                queue.postpone_with(job, spec, *at, now).await.map(|held| {
                    if held {
                        report.postponed = 1
                    } else {
                        report.lost = 1
                    }
                    "postponed"
                })
            }
            Handled::Retry(error) | Handled::RetryAt(error, _) => {
                let at = match &handled {
                    Handled::RetryAt(_, at) => *at,
                    _ => now + retry_delay(job.attempts, rand::random::<f64>()),
                };
                queue
                    .fail(job, error, Some(at), now)
                    .await
                    .map(|state| match state {
                        Some(JobState::Dead) => {
                            report.dead = 1;
                            "dead"
                        }
                        Some(_) => {
                            report.retried = 1;
                            "retried"
                        }
                        None => {
                            report.lost = 1;
                            "lost"
                        }
                    })
            }
            Handled::Fatal(error) => queue.fail(job, error, None, now).await.map(|state| {
                if state.is_some() {
                    report.dead = 1
                } else {
                    report.lost = 1
                }
                "dead"
            }),
        };
        match settled {
            Ok(outcome) => {
                if matches!(outcome, "dead" | "retried") {
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, ?handled, "job failed");
                }
                self.engine
                    .job_metrics()
                    .record(&job.kind, outcome, started.elapsed());
            }
            Err(e) => {
                // The lease runs out and the job is rescued: nothing is lost.
                tracing::warn!(job = %job.id, error = %e, "settling a job failed");
                report.lost = 1;
            }
        }
        report
    }
}
