//! Cold start and pooling, pinned: a new organization's median rate per channel is the
//! published benchmark, and a newcomer among honest organizations gets a rate inside theirs.

use super::outcome;
use crate::monte_carlo::binomial;
use crate::*;
use ame_domain::{CampaignType, Channel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// The published benchmark of each stage for a campaign on `channel` (see `docs/prediction.md`).
fn benchmarks(channel: Channel) -> [(Stage, f64); 3] {
    let ctr = match channel {
        Channel::GoogleSearch => 0.0642,
        Channel::GoogleDisplay => 0.0046,
        Channel::Linkedin => 0.0044,
        Channel::Email => 0.0262,
        _ => 0.0090,
    };
    [
        (Stage::Clicks, ctr),
        (Stage::Leads, 0.066),
        (Stage::Conversions, 0.025),
    ]
}

#[test]
fn a_new_organization_gets_each_channels_benchmark_as_its_median_rate() {
    let cold = HistoryModel::fit(Vec::new());
    let predictor = FunnelPerformancePredictor::new(&cold);
    for channel in Channel::ALL {
        let prediction = predictor
            .predict(&PredictionRequest {
                campaign_type: CampaignType::LeadGen,
                channels: vec![*channel],
                org_group: Uuid::from_u128(1),
                planned_reach: Some(1_000_000.0),
                budget: None,
                own_results: Vec::new(),
                own_results_in_history: false,
                seed: 7,
                draws: 20_000,
            })
            .unwrap();
        assert!(prediction.cold_start);
        for (stage, benchmark) in benchmarks(*channel) {
            let rate = prediction.stage(stage).unwrap().rate.unwrap();
            assert!(
                (rate.median / benchmark - 1.0).abs() < 0.10,
                "{channel} {stage:?}: median {} against the benchmark {benchmark}",
                rate.median
            );
            assert!(
                rate.low_80 < benchmark && benchmark < rate.high_80,
                "{channel} {stage:?}: {rate:?}"
            );
        }
    }
}

/// A newcomer's median conversion rate (of leads) under `history`'s organizations pooled.
fn newcomer_conversion_rate(history: Vec<ChannelOutcome>) -> f64 {
    let model = HistoryModel::fit_with(history, Pooling { min_orgs: 3 });
    FunnelPerformancePredictor::new(&model)
        .predict(&PredictionRequest {
            campaign_type: CampaignType::LeadGen,
            channels: vec![Channel::Facebook],
            org_group: Uuid::from_u128(9_999),
            planned_reach: Some(50_000.0),
            budget: None,
            own_results: Vec::new(),
            own_results_in_history: false,
            seed: 3,
            draws: 8_000,
        })
        .unwrap()
        .stage(Stage::Conversions)
        .unwrap()
        .rate
        .unwrap()
        .median
}

/// One campaign of organization `org` with `leads` leads of which `conversions` converted.
fn leads_campaign(org: usize, id: u128, leads: f64, conversions: f64) -> ChannelOutcome {
    outcome(
        Uuid::from_u128(500 + org as u128),
        id,
        (CampaignType::LeadGen, Channel::Facebook),
        5,
        [
            Some(leads * 150.0),
            Some(leads * 3.0),
            Some(leads),
            Some(conversions),
        ],
        None,
    )
}

#[test]
fn a_newcomer_to_k_pooled_honest_organizations_gets_a_rate_inside_the_pooled_range() {
    // Honest organizations converting 15% of leads, some with only a handful of leads so far.
    let mut cases: Vec<(String, Vec<ChannelOutcome>)> = vec![(
        "four organizations at 0 of 5, two at 6 of 30".into(),
        (0..6)
            .map(|org| {
                if org < 4 {
                    leads_campaign(org, org as u128, 5.0, 0.0)
                } else {
                    leads_campaign(org, org as u128, 30.0, 6.0)
                }
            })
            .collect(),
    )];
    for k in 3..=8usize {
        for seed in 0..5u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(1_000 * k as u64 + seed);
            let mut history = Vec::new();
            for org in 0..k {
                for c in 0..rng.random_range(1..5) {
                    // From a single lead to 900, evenly on a log scale.
                    let leads = rng.random_range(0.0..900f64.ln()).exp().round().max(1.0);
                    let conversions = binomial(&mut rng, leads, 0.15);
                    history.push(leads_campaign(
                        org,
                        (org * 100 + c) as u128,
                        leads,
                        conversions,
                    ));
                }
            }
            cases.push((format!("k = {k}, seed {seed}"), history));
        }
    }
    for (name, history) in cases {
        let (converted, leads) = history.iter().fold((0.0, 0.0), |(c, l), o| {
            (
                c + o.metrics.conversions.unwrap_or(0) as f64,
                l + o.metrics.leads.unwrap_or(0) as f64,
            )
        });
        // The pooled data's 80% range: the Wilson interval of all organizations' leads,
        // widened for the variation between organizations a newcomer adds.
        let (low, high) = crate::lift::wilson_at(converted as u64, leads as u64, 1.281_551_565_545);
        let median = newcomer_conversion_rate(history);
        assert!(
            low * 0.6 <= median && median <= high * 1.5,
            "{name}: a newcomer's conversion rate {median}, the pooled data {converted} of \
             {leads} ({low}–{high})"
        );
    }
}
