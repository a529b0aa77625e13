//! The scheduler's Prometheus metrics, served with the HTTP ones at `/metrics`: queue depth by
//! kind and state (`ame_queue_jobs`, refreshed from the database every few seconds, across every
//! process), and this process's settled jobs by kind and outcome with the time they took
//! (`ame_jobs_total`, `ame_job_seconds_total`) — sends and their failures are the
//! `send_email` kind.

use ame_app::Engine;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, GaugeVec, Opts};
use std::time::Duration;

/// How often the queue depth is read from the database.
pub const DEPTH_REFRESH: Duration = Duration::from_secs(5);

/// Collects the engine's job metrics when `/metrics` is scraped.
pub struct JobCollector {
    engine: Engine,
    depth: GaugeVec,
    jobs: CounterVec,
    seconds: CounterVec,
    descs: Vec<Desc>,
}

impl JobCollector {
    /// A collector over `engine`'s metrics.
    pub fn new(engine: Engine) -> prometheus::Result<Self> {
        let depth = GaugeVec::new(
            Opts::new("ame_queue_jobs", "Jobs in the queue by kind and state"),
            &["kind", "state"],
        )?;
        let jobs = CounterVec::new(
            Opts::new(
                "ame_jobs_total",
                "Jobs this process settled, by kind and outcome",
            ),
            &["kind", "outcome"],
        )?;
        let seconds = CounterVec::new(
            Opts::new(
                "ame_job_seconds_total",
                "Seconds this process spent running jobs, by kind",
            ),
            &["kind"],
        )?;
        let descs = [depth.desc(), jobs.desc(), seconds.desc()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        Ok(Self {
            engine,
            depth,
            jobs,
            seconds,
            descs,
        })
    }
}

impl Collector for JobCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let metrics = self.engine.job_metrics();
        self.depth.reset();
        for ((kind, state), n) in metrics.depth() {
            self.depth
                .with_label_values(&[kind.as_str(), state.as_str()])
                .set(n as f64);
        }
        self.jobs.reset();
        for ((kind, outcome), n) in metrics.counts() {
            self.jobs
                .with_label_values(&[kind.as_str(), outcome])
                .inc_by(n as f64);
        }
        self.seconds.reset();
        for (kind, (secs, _)) in metrics.seconds() {
            self.seconds
                .with_label_values(&[kind.as_str()])
                .inc_by(secs);
        }
        let mut families = self.depth.collect();
        families.extend(self.jobs.collect());
        families.extend(self.seconds.collect());
        families
    }
}

/// Refreshes the queue depth from the database every [`DEPTH_REFRESH`] until the runtime stops.
pub fn refresh_depth(engine: Engine) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = engine.refresh_queue_depth().await {
                tracing::warn!(error = %e, "reading the queue depth failed");
            }
            tokio::time::sleep(DEPTH_REFRESH).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ame_domain::{CampaignStatus, CampaignType, NewCampaign};
    use ame_storage::{CampaignRepository, OrganizationRepository, Storage};

    #[tokio::test]
    async fn queue_depth_and_settled_jobs_are_exported() {
        let storage = Storage::connect("sqlite::memory:").await.unwrap();
        storage.migrate().await.unwrap();
        let engine = Engine::new(storage.clone());
        let org = storage.organizations().create("Acme").await.unwrap().id;
        let campaign = storage
            .campaigns()
            .create(
                org,
                NewCampaign::new(CampaignType::LeadGen, "Book 40 demos")
                    .validate()
                    .unwrap(),
            )
            .await
            .unwrap();
        storage
            .campaigns()
            .change_status(org, campaign.id, CampaignStatus::Scheduled, None)
            .await
            .unwrap();
        engine.refresh_queue_depth().await.unwrap();
        let registry = prometheus::Registry::new();
        registry
            .register(Box::new(JobCollector::new(engine.clone()).unwrap()))
            .unwrap();
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        assert!(
            text.contains(r#"ame_queue_jobs{kind="campaign_start",state="queued"} 1"#),
            "{text}"
        );
        let worker =
            ame_app::Worker::new(engine.clone(), ame_app::WorkerSettings::named("metrics"));
        worker.drain().await.unwrap();
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        assert!(
            text.contains(r#"ame_jobs_total{kind="campaign_start",outcome="done"} 1"#),
            "{text}"
        );
    }
}
