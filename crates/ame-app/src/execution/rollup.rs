//! The results rollup: a running campaign's daily results per channel and asset, written from
//! its delivery ledger and tracking events through the same results upsert people use, so
//! reports and predictions move by themselves.
//!
//! Email results are counted by send day: a day's reach is the messages accepted that day, and
//! its clicks and conversions are the distinct recipients of those messages who later clicked
//! or converted (each attributed to the last message they had received before), so no day ever
//! shows more clickers than recipients. Landing-page views and leads count on the day they
//! happen.

use crate::error::AppResult;
use crate::execution::Execution;
use crate::execution::scheduler::Handled;
use ame_domain::{
    AssetId, Channel, ContactId, DeliveryState, Job, MAX_RECORDS_PER_REQUEST, ResultRecordInput,
    TrackingKind,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Default)]
struct Day {
    reach: i64,
    clickers: HashSet<ContactId>,
    converters: HashSet<ContactId>,
    clicks: i64,
    views: i64,
    leads: i64,
    conversions: i64,
    revenue: Option<Decimal>,
}

impl Execution {
    pub(crate) async fn rollup_job(&self, job: &Job) -> AppResult<Handled> {
        let Some(campaign) = job.campaign_id else {
            return Ok(Handled::Fatal("a rollup job names no campaign".into()));
        };
        let org = job.org_id;
        let repos = &self.repos;
        let deliveries = repos
            .execution
            .deliveries(org, campaign, u64::MAX >> 1)
            .await?;
        let events = repos.execution.events(org, campaign).await?;
        let mut days: BTreeMap<(NaiveDate, Channel, Option<AssetId>), Day> = BTreeMap::new();
        // Each contact's messages, by the time they were accepted.
        let mut received: HashMap<ContactId, Vec<(DateTime<Utc>, AssetId)>> = HashMap::new();
        for d in deliveries.iter().filter(|d| d.state == DeliveryState::Sent) {
            let Some(at) = d.sent_at else { continue };
            days.entry((at.date_naive(), Channel::Email, Some(d.asset_id)))
                .or_default()
                .reach += 1;
            received
                .entry(d.contact_id)
                .or_default()
                .push((at, d.asset_id));
        }
        for list in received.values_mut() {
            list.sort();
        }
        let cohort = |contact: ContactId, at: DateTime<Utc>| {
            received.get(&contact).and_then(|list| {
                list.iter()
                    .rev()
                    .find(|(sent, _)| *sent <= at)
                    .or_else(|| list.first())
                    .map(|(sent, asset)| (sent.date_naive(), *asset))
            })
        };
        for e in &events {
            match (e.kind, e.channel, e.contact) {
                (TrackingKind::Click | TrackingKind::Conversion, Channel::Email, Some(contact)) => {
                    if let Some((date, asset)) = cohort(contact, e.at) {
                        let day = days.entry((date, Channel::Email, Some(asset))).or_default();
                        if e.kind == TrackingKind::Click {
                            day.clickers.insert(contact);
                        } else {
                            day.converters.insert(contact);
                            if let Some(v) = e.value {
                                day.revenue = Some(day.revenue.unwrap_or_default() + v);
                            }
                        }
                    }
                }
                // Unsubscribes, bounces and complaints are counted by the email health report.
                (
                    TrackingKind::Unsubscribe | TrackingKind::Bounce | TrackingKind::Complaint,
                    _,
                    _,
                ) => {}
                (kind, channel, _) => {
                    let day = days
                        .entry((e.at.date_naive(), channel, e.asset))
                        .or_default();
                    match kind {
                        TrackingKind::View => day.views += 1,
                        TrackingKind::Lead => day.leads += 1,
                        TrackingKind::Click => day.clicks += 1,
                        TrackingKind::Conversion => {
                            day.conversions += 1;
                            if let Some(v) = e.value {
                                day.revenue = Some(day.revenue.unwrap_or_default() + v);
                            }
                        }
                        TrackingKind::Unsubscribe
                        | TrackingKind::Bounce
                        | TrackingKind::Complaint => {}
                    }
                }
            }
        }
        let records: Vec<ResultRecordInput> = days
            .into_iter()
            .map(|((date, channel, asset), day)| {
                let email = channel == Channel::Email;
                let (reach, clicks, leads, conversions) = if email {
                    (
                        Some(day.reach),
                        Some(day.clickers.len() as i64),
                        None,
                        Some(day.converters.len() as i64),
                    )
                } else {
                    let leads = (day.leads > 0 || day.views > 0).then_some(day.leads);
                    let reach =
                        (day.views > 0 || day.leads > 0).then_some(day.views.max(day.leads));
                    let conversions = (day.conversions > 0).then_some(day.conversions);
                    let reach = match (reach, conversions) {
                        (Some(r), Some(c)) => Some(r.max(c)),
                        (r, _) => r,
                    };
                    let leads = match (leads, conversions) {
                        (Some(l), Some(c)) => Some(l.max(c)),
                        (l, _) => l,
                    };
                    (
                        reach,
                        (day.clicks > 0).then_some(day.clicks),
                        leads,
                        conversions,
                    )
                };
                ResultRecordInput {
                    date,
                    channel,
                    asset_id: asset,
                    reach,
                    clicks,
                    leads,
                    conversions,
                    spend: None,
                    revenue: day.revenue,
                }
            })
            .collect();
        for chunk in records.chunks(MAX_RECORDS_PER_REQUEST) {
            repos.results.record(org, campaign, chunk.to_vec()).await?;
        }
        Ok(Handled::Done)
    }
}
