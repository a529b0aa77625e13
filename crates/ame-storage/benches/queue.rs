//! Queue throughput: no-op jobs claimed and completed one at a time by 1, 2 and 4 concurrent
//! workers, on SQLite and PostgreSQL (as the application role, row-level security on).
//!
//! Run by `cargo xtask bench scheduler`, which sets `AME_QUEUE_BENCH_BACKENDS` and
//! `AME_QUEUE_BENCH_JOBS` and reads the `queue …` lines this prints.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_domain::{JobSpec, NewJob};
use ame_storage::{Backend, JobQueue, OrganizationRepository};
use ame_test_support::TestDb;
use chrono::Utc;
use std::time::{Duration, Instant};

const LEASE: Duration = Duration::from_secs(60);

async fn measure(backend: Backend, workers: usize, jobs: usize) -> f64 {
    let db = TestDb::new(backend).await;
    let org = db.storage.organizations().create("Bench").await.unwrap().id;
    let queue = db.storage.jobs();
    let now = Utc::now();
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(1000) {
        let batch = chunk
            .iter()
            .map(|i| NewJob::new(JobSpec::Rollup {}, format!("job-{i}"), now))
            .collect();
        queue.enqueue(org, batch, now).await.unwrap();
    }
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let queue = db.storage.jobs();
        handles.push(tokio::spawn(async move {
            let mut done = 0usize;
            loop {
                let claimed = queue
                    .claim(&format!("bench-{w}"), 1, LEASE, Utc::now())
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    return done;
                }
                for job in claimed {
                    assert!(queue.complete(&job, Utc::now()).await.unwrap());
                    done += 1;
                }
            }
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(total, jobs, "every job claimed and completed once");
    total as f64 / elapsed
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let jobs: usize = std::env::var("AME_QUEUE_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let backends =
        std::env::var("AME_QUEUE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for name in backends.split(',') {
        let backend = match name {
            "sqlite" => Backend::Sqlite,
            "postgres" => Backend::Postgres,
            other => panic!("unknown backend {other}"),
        };
        for workers in [1usize, 2, 4] {
            let rate = runtime.block_on(measure(backend, workers, jobs));
            println!("queue {name} workers={workers} jobs={jobs} jobs_per_second={rate:.0}");
        }
    }
}
