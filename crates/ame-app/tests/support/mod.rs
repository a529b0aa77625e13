//! What the scheduler's integration tests share: a recording mail server, an engine on a test
//! database with a manual clock and a worker, and a brand to generate assets with.

#![allow(dead_code, reason = "each test file uses its own part of the harness")]

use ame_app::execution::{ExecutionSettings, MailError, Mailer, OutgoingEmail};
use ame_app::{Actor, Caller, Clock, Engine, ManualClock};
use ame_app::{Worker, WorkerSettings};
use ame_domain::{
    ApiKeyId, Audience, BrandProfileInput, CampaignStatus, CampaignType, MemberRole, NewCampaign,
    NewContact, Tone,
};
use ame_test_support::TestDb;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// A mail server double: records what it accepts, at the clock's time, and answers from a
/// script per recipient (or refuses everything while down).
#[derive(Debug)]
pub struct RecordingMailer {
    pub clock: Arc<ManualClock>,
    pub accepted: Mutex<Vec<(OutgoingEmail, DateTime<Utc>)>>,
    pub script: Mutex<HashMap<String, VecDeque<MailError>>>,
    pub down: Mutex<bool>,
}

impl RecordingMailer {
    pub fn new(clock: Arc<ManualClock>) -> Arc<Self> {
        Arc::new(Self {
            clock,
            accepted: Mutex::default(),
            script: Mutex::default(),
            down: Mutex::new(false),
        })
    }

    pub fn fail_next(&self, to: &str, error: MailError) {
        self.script
            .lock()
            .unwrap()
            .entry(to.to_owned())
            .or_default()
            .push_back(error);
    }

    pub fn accepted(&self) -> Vec<(OutgoingEmail, DateTime<Utc>)> {
        self.accepted.lock().unwrap().clone()
    }

    pub fn to(&self, address: &str) -> Vec<(OutgoingEmail, DateTime<Utc>)> {
        self.accepted()
            .into_iter()
            .filter(|(m, _)| m.to == address)
            .collect()
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        if *self.down.lock().unwrap() {
            return Err(MailError::Sender("connection refused".into()));
        }
        if let Some(e) = self
            .script
            .lock()
            .unwrap()
            .get_mut(&email.to)
            .and_then(VecDeque::pop_front)
        {
            return Err(e);
        }
        self.accepted
            .lock()
            .unwrap()
            .push((email.clone(), self.clock.now()));
        Ok(())
    }

    fn describe(&self) -> String {
        "recording".into()
    }
}

pub struct Harness {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub mailer: Arc<RecordingMailer>,
    pub worker: Worker,
    pub caller: Caller,
    pub _db: TestDb,
}

impl Harness {
    pub async fn new(db: TestDb, start: DateTime<Utc>) -> Self {
        Self::with_send_rate(db, start, ExecutionSettings::default().send_rate_per_minute).await
    }

    /// A harness whose organization may send `per_minute` messages a minute.
    pub async fn with_send_rate(db: TestDb, start: DateTime<Utc>, per_minute: u32) -> Self {
        Self::build(db, start, per_minute, None).await
    }

    /// A harness whose messages go to the default outbox, as `.eml` files in `blobs` (the
    /// recording mailer then sees nothing).
    pub async fn with_outbox(
        db: TestDb,
        start: DateTime<Utc>,
        blobs: Arc<dyn ame_storage::BlobStore>,
    ) -> Self {
        let per_minute = ExecutionSettings::default().send_rate_per_minute;
        Self::build(db, start, per_minute, Some(blobs)).await
    }

    async fn build(
        db: TestDb,
        start: DateTime<Utc>,
        per_minute: u32,
        outbox: Option<Arc<dyn ame_storage::BlobStore>>,
    ) -> Self {
        let clock = Arc::new(ManualClock::new(start));
        let mailer = RecordingMailer::new(clock.clone());
        let mut engine = Engine::new(db.storage.clone()).with_clock(clock.clone());
        let recording: Arc<dyn Mailer> = mailer.clone();
        let mut sends_to = Some(recording);
        if let Some(blobs) = outbox {
            engine = engine.with_blobs(blobs);
            sends_to = None;
        }
        let engine = engine.with_execution(ExecutionSettings {
            mailer: sends_to,
            public_url: "https://ame.example".into(),
            from: "Ledgerly <news@ledgerly.example>".into(),
            send_rate_per_minute: per_minute,
            // Test receivers listen on loopback, which connectors reach only when allowed.
            egress: Arc::new(ame_app::egress::EgressPolicy::parse("127.0.0.1").unwrap()),
            ..ExecutionSettings::default()
        });
        let org = engine.create_organization("Ledgerly").await.unwrap();
        let caller = Caller {
            org: org.id,
            role: MemberRole::Owner,
            actor: Actor::ApiKey(ApiKeyId::new()),
        };
        engine.save_brand(&caller, brand()).await.unwrap();
        let worker = Worker::new(engine.clone(), WorkerSettings::named("test-worker"));
        Self {
            engine,
            clock,
            mailer,
            worker,
            caller,
            _db: db,
        }
    }

    pub async fn contacts(&self, rows: &[(&str, Option<&str>)]) {
        let contacts = rows
            .iter()
            .map(|(email, zone)| NewContact {
                first_name: Some(email.split('@').next().unwrap().to_owned()),
                time_zone: zone.map(str::to_owned),
                ..NewContact::email(*email)
            })
            .collect();
        self.engine
            .upsert_contacts(&self.caller, contacts)
            .await
            .unwrap();
    }

    /// A re-engagement campaign (emails on days 0, 4 and 10) to every subscribed contact,
    /// generated and scheduled to start at `start`.
    pub async fn campaign(&self, start: DateTime<Utc>) -> ame_domain::CampaignId {
        self.campaign_with(start, |_| {}).await
    }

    /// Like [`Harness::campaign`] (without a holdout unless `adjust` sets one), with the
    /// submission adjusted first.
    pub async fn campaign_with(
        &self,
        start: DateTime<Utc>,
        adjust: impl FnOnce(&mut NewCampaign),
    ) -> ame_domain::CampaignId {
        let mut new = NewCampaign::new(
            CampaignType::ReEngagement,
            "Win back finance teams who stopped closing with us",
        );
        new.start_at = Some(start);
        new.timezone = Some("America/Chicago".into());
        new.planned_reach = Some(100);
        new.audience = Some(Audience::all_subscribed());
        new.holdout_fraction = Some(0.0);
        adjust(&mut new);
        let valid = self.engine.check_new_campaign(&self.caller, new).unwrap();
        let campaign = self
            .engine
            .create_campaign(&self.caller, valid, None)
            .await
            .unwrap();
        self.engine
            .generate_assets(&self.caller, campaign.id, Some(7), None)
            .await
            .unwrap();
        self.engine
            .change_status(&self.caller, campaign.id, CampaignStatus::Scheduled, None)
            .await
            .unwrap();
        campaign.id
    }

    /// An active lead-generation campaign whose audience is its own landing page's leads,
    /// generated; returns it and its page's slug.
    pub async fn lead_campaign(&self) -> (ame_domain::CampaignId, String) {
        let mut new = NewCampaign::new(CampaignType::LeadGen, "Book 40 demos with finance teams");
        new.audience =
            Some(serde_json::from_value(serde_json::json!({"campaign_leads": true})).unwrap());
        new.holdout_fraction = Some(0.0);
        let valid = self.engine.check_new_campaign(&self.caller, new).unwrap();
        let campaign = self
            .engine
            .create_campaign(&self.caller, valid, None)
            .await
            .unwrap()
            .id;
        let assets = self
            .engine
            .generate_assets(&self.caller, campaign, Some(2), None)
            .await
            .unwrap();
        let slug = assets
            .iter()
            .find(|a| a.asset_type == ame_domain::AssetType::LandingPage)
            .unwrap()
            .content["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        self.engine
            .change_status(&self.caller, campaign, CampaignStatus::Active, None)
            .await
            .unwrap();
        (campaign, slug)
    }

    /// Signs `name` and `email` up on page `slug`, with the token the page serves now.
    pub async fn sign_up(
        &self,
        slug: &str,
        name: &str,
        email: &str,
    ) -> ame_app::AppResult<ame_app::LeadOutcome> {
        let token = self
            .engine
            .execution()
            .signer
            .form_token(slug, self.clock.now());
        let form = ame_app::LeadSubmission {
            form_token: Some(token),
            ..consenting_lead(name, email)
        };
        self.engine.submit_lead(slug, form, None).await
    }

    /// Moves the clock to `until` in steps, running the worker at each.
    pub async fn run_until(&self, until: DateTime<Utc>, step: chrono::TimeDelta) {
        while self.clock.now() < until {
            self.worker.drain().await.unwrap();
            self.clock.set((self.clock.now() + step).min(until));
        }
        self.worker.drain().await.unwrap();
    }
}

/// A landing-page form filled in by someone who agrees to hear from the brand (without the
/// page's token).
pub fn consenting_lead(name: &str, email: &str) -> ame_app::LeadSubmission {
    ame_app::LeadSubmission {
        name: Some(name.into()),
        email: Some(email.into()),
        company: None,
        consent: Some("yes".into()),
        website: None,
        form_token: None,
        referral: None,
    }
}

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// The brand every harness organization uses.
pub fn brand() -> BrandProfileInput {
    BrandProfileInput {
        company_name: "Ledgerly".into(),
        product: "automated month-end close software".into(),
        audience: "finance teams at mid-sized companies".into(),
        value_propositions: vec!["close the books in 3 days instead of 10".into()],
        tone: Tone::Professional,
        cta_text: "Book a demo".into(),
        cta_url: "https://ledgerly.example/demo".into(),
        primary_color: "#1f4e79".into(),
        accent_color: "#f2a900".into(),
        sign_off: "The Ledgerly team".into(),
        postal_address: "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA".into(),
        unsubscribe_text: None,
        market: ame_domain::Market::Business,
        double_opt_in: None,
        industry: None,
        vertical: None,
        story: ame_domain::BrandStory::default(),
    }
}
