use super::*;
use crate::history::SegmentKey;
use crate::monte_carlo::{beta, binomial};
use ame_domain::{CampaignType, Channel, FunnelMetrics};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Uniform;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use uuid::Uuid;

mod cold_start;

/// A history unit from counts in funnel order and a spend.
pub(super) fn outcome(
    org_group: Uuid,
    campaign: u128,
    (campaign_type, channel): SegmentKey,
    records: u32,
    counts: [Option<f64>; 4],
    spend: Option<f64>,
) -> ChannelOutcome {
    let count = |i: usize| counts[i].map(|c| c as i64);
    ChannelOutcome {
        org_group,
        campaign_group: Uuid::from_u128(campaign),
        own_org: false,
        campaign_type,
        channel,
        records,
        metrics: FunnelMetrics {
            reach: count(0),
            clicks: count(1),
            leads: count(2),
            conversions: count(3),
            spend: spend.and_then(Decimal::from_f64).map(|d| d.round_dp(2)),
            revenue: None,
        },
    }
}

const ORGS: usize = 30;

/// A known hierarchical Beta-Binomial process: global means per stage, segment means around
/// them, organization means around those, campaign rates around those, binomial counts.
struct Process {
    segments: Vec<(SegmentKey, [f64; 3])>,
    orgs: Vec<(Uuid, [[f64; 3]; 2])>,
    kappa: [f64; 3],
}

impl Process {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let global = [0.02, 0.15, 0.3];
        let tau_segment = 60.0;
        let tau_org = 40.0;
        let segments: Vec<(SegmentKey, [f64; 3])> = [
            (CampaignType::LeadGen, Channel::Facebook),
            (CampaignType::LeadGen, Channel::Email),
        ]
        .into_iter()
        .map(|key| {
            let means = global.map(|g| beta(rng, tau_segment * g, tau_segment * (1.0 - g)));
            (key, means)
        })
        .collect();
        let orgs = (0..ORGS)
            .map(|i| {
                let per_segment = [0, 1].map(|s| {
                    segments[s]
                        .1
                        .map(|m| beta(rng, tau_org * m, tau_org * (1.0 - m)))
                });
                (Uuid::from_u128(i as u128 + 1), per_segment)
            })
            .collect();
        Process {
            segments,
            orgs,
            kappa: [300.0, 80.0, 40.0],
        }
    }

    fn campaign(
        &self,
        rng: &mut ChaCha8Rng,
        org: usize,
        segment: usize,
        id: u128,
    ) -> ChannelOutcome {
        let (org_group, means) = self.orgs[org];
        let reach = rng
            .sample(Uniform::new(2_000.0f64, 200_000.0).unwrap())
            .round();
        let mut counts = [Some(reach), None, None, None];
        let mut previous = reach;
        for s in 0..3 {
            let m = means[segment][s];
            let p = beta(rng, self.kappa[s] * m, self.kappa[s] * (1.0 - m));
            previous = binomial(rng, previous, p);
            counts[s + 1] = Some(previous);
        }
        outcome(
            org_group,
            id,
            self.segments[segment].0,
            30,
            counts,
            Some(reach / 100.0),
        )
    }
}

fn request(outcome: &ChannelOutcome, draws: usize, seed: u64) -> PredictionRequest {
    PredictionRequest {
        campaign_type: outcome.campaign_type,
        channels: vec![outcome.channel],
        org_group: outcome.org_group,
        planned_reach: Stage::Reach.count(outcome),
        budget: None,
        own_results: Vec::new(),
        own_results_in_history: false,
        seed,
        draws,
    }
}

#[test]
fn intervals_cover_simulated_truth_at_their_nominal_rates() {
    let mut rng = ChaCha8Rng::seed_from_u64(20261126);
    let process = Process::new(&mut rng);
    let history: Vec<ChannelOutcome> = (0..600)
        .map(|i| process.campaign(&mut rng, i % ORGS, (i / ORGS) % 2, i as u128))
        .collect();
    let model = HistoryModel::fit(history);
    let predictor = FunnelPerformancePredictor::new(&model);
    let trials = 1_200;
    let mut covered = [[0usize; 2]; 3];
    for i in 0..trials {
        let org = rng.random_range(0..ORGS);
        let segment = rng.random_range(0..2);
        let truth = process.campaign(&mut rng, org, segment, 10_000 + i as u128);
        let prediction = predictor.predict(&request(&truth, 1000, i as u64)).unwrap();
        for (s, stage) in [Stage::Clicks, Stage::Leads, Stage::Conversions]
            .iter()
            .enumerate()
        {
            let actual = stage.count(&truth).unwrap();
            let p = prediction.stage(*stage).unwrap();
            covered[s][0] += usize::from(p.count.covers_80(actual));
            covered[s][1] += usize::from(p.count.covers_95(actual));
        }
    }
    for (s, [c80, c95]) in covered.iter().enumerate() {
        let c80 = *c80 as f64 / trials as f64;
        let c95 = *c95 as f64 / trials as f64;
        assert!(
            (c80 - 0.80).abs() <= 0.05,
            "stage {s}: 80% interval covered {c80}"
        );
        assert!(
            (c95 - 0.95).abs() <= 0.05,
            "stage {s}: 95% interval covered {c95}"
        );
    }
}

fn campaign_with_rate(org: Uuid, id: u128, reach: f64, clicks: f64) -> ChannelOutcome {
    outcome(
        org,
        id,
        (CampaignType::LeadGen, Channel::Facebook),
        10,
        [Some(reach), Some(clicks), None, None],
        Some(reach / 200.0),
    )
}

/// History: 40 other organizations whose campaigns click at about 1%.
fn pooled_history() -> Vec<ChannelOutcome> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    (0..200)
        .map(|i| {
            let p = beta(&mut rng, 2000.0 * 0.01, 2000.0 * 0.99);
            let clicks = binomial(&mut rng, 50_000.0, p);
            campaign_with_rate(Uuid::from_u128(1000 + (i % 40)), i, 50_000.0, clicks)
        })
        .collect()
}

#[test]
fn the_posterior_moves_from_the_pool_toward_the_organizations_own_data() {
    let ours = Uuid::from_u128(7);
    let mut medians = Vec::new();
    for own_campaigns in [0usize, 1, 3, 10, 30] {
        let mut history = pooled_history();
        for i in 0..own_campaigns {
            history.push(campaign_with_rate(
                ours,
                90_000 + i as u128,
                50_000.0,
                2_500.0,
            ));
        }
        let model = HistoryModel::fit(history);
        let target = campaign_with_rate(ours, 1, 50_000.0, 0.0);
        let prediction = FunnelPerformancePredictor::new(&model)
            .predict(&request(&target, 4000, 1))
            .unwrap();
        medians.push(
            prediction
                .stage(Stage::Clicks)
                .unwrap()
                .rate
                .unwrap()
                .median,
        );
    }
    assert!((medians[0] - 0.01).abs() < 0.003, "{medians:?}");
    // An organization this far from the others is predicted from its own results as soon as
    // it has some; the rate never moves back toward the pool (beyond Monte Carlo noise).
    assert!(medians[1] > medians[0] + 0.01, "{medians:?}");
    for pair in medians.windows(2) {
        assert!(
            pair[1] > pair[0] - 0.002,
            "not moving toward the data: {medians:?}"
        );
    }
    assert!((medians[4] - 0.05).abs() < 0.01, "{medians:?}");
}

#[test]
fn an_active_campaign_is_conditioned_on_its_own_results() {
    let model = HistoryModel::fit(pooled_history());
    let ours = Uuid::from_u128(7);
    let mut active = request(&campaign_with_rate(ours, 1, 100_000.0, 0.0), 4000, 3);
    let before = FunnelPerformancePredictor::new(&model)
        .predict(&active)
        .unwrap();
    active.own_results = vec![campaign_with_rate(ours, 1, 40_000.0, 1_600.0)];
    let during = FunnelPerformancePredictor::new(&model)
        .predict(&active)
        .unwrap();
    let clicks_before = before.stage(Stage::Clicks).unwrap();
    let clicks_during = during.stage(Stage::Clicks).unwrap();
    assert!((clicks_before.count.median - 1_000.0).abs() < 300.0);
    assert!(clicks_during.count.low_95 >= 1_600.0);
    assert!(clicks_during.count.median > 2_500.0, "{clicks_during:?}");
    assert_eq!(clicks_during.observed, Some(1_600.0));
    assert_eq!(during.stage(Stage::Reach).unwrap().count.median, 100_000.0);
    assert!(during.explanation.contains("40000 people reached so far"));
}

#[test]
fn own_results_in_the_history_are_not_counted_twice() {
    let ours = Uuid::from_u128(7);
    let own = campaign_with_rate(ours, 42, 50_000.0, 2_500.0);
    let mut history = pooled_history();
    history.push(own.clone());
    let with = HistoryModel::fit(history);
    let without = HistoryModel::fit(pooled_history());
    let mut req = request(&own, 2000, 9);
    req.own_results = vec![own.clone()];
    req.own_results_in_history = true;
    let a = FunnelPerformancePredictor::new(&with)
        .predict(&req)
        .unwrap();
    req.own_results_in_history = false;
    let b = FunnelPerformancePredictor::new(&without)
        .predict(&req)
        .unwrap();
    let (a, b) = (
        a.stage(Stage::Clicks).unwrap(),
        b.stage(Stage::Clicks).unwrap(),
    );
    assert!((a.count.median - b.count.median).abs() / b.count.median < 0.02);
    assert_eq!(with.outcomes.len(), 201);
}

#[test]
fn the_same_seed_gives_the_same_prediction_and_another_seed_differs() {
    let model = HistoryModel::fit(pooled_history());
    let target = campaign_with_rate(Uuid::from_u128(7), 1, 80_000.0, 0.0);
    let predictor = FunnelPerformancePredictor::new(&model);
    let a = predictor.predict(&request(&target, 3000, 11)).unwrap();
    let b = predictor.predict(&request(&target, 3000, 11)).unwrap();
    let c = predictor.predict(&request(&target, 3000, 12)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.stages, c.stages);
    let refit = HistoryModel::fit(pooled_history());
    assert_eq!(
        FunnelPerformancePredictor::new(&refit)
            .predict(&request(&target, 3000, 11))
            .unwrap(),
        a
    );
}

#[test]
fn stages_never_measured_are_skipped_not_invented() {
    let model = HistoryModel::fit(pooled_history());
    let target = campaign_with_rate(Uuid::from_u128(7), 1, 80_000.0, 0.0);
    let prediction = FunnelPerformancePredictor::new(&model)
        .predict(&request(&target, 1000, 1))
        .unwrap();
    let stages: Vec<Stage> = prediction.stages.iter().map(|s| s.stage).collect();
    assert_eq!(stages, [Stage::Reach, Stage::Clicks]);
    let skipped: Vec<Stage> = prediction.skipped.iter().map(|s| s.stage).collect();
    assert_eq!(skipped, [Stage::Leads, Stage::Conversions]);
    assert!(prediction.skipped[0].reason.contains("never measured"));
    assert!(
        prediction
            .explanation
            .contains("not predicted: leads, conversions")
    );
    assert_eq!(prediction.cost_per_conversion, None);
}

#[test]
fn leads_that_exceed_clicks_become_a_rate_of_reach() {
    let mut history = pooled_history();
    for o in &mut history {
        o.metrics.leads = o.metrics.clicks.map(|c| c + 3);
        o.metrics.conversions = o.metrics.leads.map(|l| l / 3);
    }
    let model = HistoryModel::fit(history);
    let bases: Vec<(Stage, Stage)> = model.hyperparameters().iter().map(|h| (h.0, h.1)).collect();
    assert_eq!(
        bases,
        [
            (Stage::Clicks, Stage::Reach),
            (Stage::Leads, Stage::Reach),
            (Stage::Conversions, Stage::Leads)
        ]
    );
}

#[test]
fn reach_comes_from_the_plan_or_the_budget_or_is_reported_unknown() {
    let model = HistoryModel::fit(pooled_history());
    let predictor = FunnelPerformancePredictor::new(&model);
    let target = campaign_with_rate(Uuid::from_u128(7), 1, 0.0, 0.0);
    let mut req = request(&target, 2000, 1);
    req.planned_reach = None;
    let err = predictor.predict(&req).unwrap_err();
    assert!(err.to_string().contains("planned_reach"), "{err}");
    req.budget = Some(500.0);
    let by_budget = predictor.predict(&req).unwrap();
    assert_eq!(by_budget.reach_source, ReachSource::Budget);
    let reach = by_budget.stage(Stage::Reach).unwrap();
    assert!(
        (reach.count.median - 100_000.0).abs() < 5_000.0,
        "{reach:?}"
    );
    assert!(reach.count.low_95 < reach.count.median && reach.count.median < reach.count.high_95);
    let cold = HistoryModel::fit(Vec::new());
    let err = FunnelPerformancePredictor::new(&cold)
        .predict(&req)
        .unwrap_err();
    assert!(err.to_string().contains("planned_reach"));
}

#[test]
fn cold_start_uses_weak_benchmark_priors_and_says_so() {
    let cold = HistoryModel::fit(Vec::new());
    let target = campaign_with_rate(Uuid::from_u128(7), 1, 100_000.0, 0.0);
    let mut req = request(&target, 4000, 1);
    req.channels = vec![Channel::GoogleSearch];
    req.budget = Some(5_000.0);
    let prediction = FunnelPerformancePredictor::new(&cold)
        .predict(&req)
        .unwrap();
    assert!(prediction.cold_start);
    assert!(prediction.explanation.contains("benchmarks"));
    let clicks = prediction.stage(Stage::Clicks).unwrap();
    assert!(clicks.count.low_80 < 6_420.0 && 6_420.0 < clicks.count.high_80);
    assert!(
        clicks.count.high_95 / clicks.count.low_95.max(1.0) > 10.0,
        "weak prior: {clicks:?}"
    );
    assert_eq!(prediction.stages.len(), 4);
    assert!(prediction.cost_per_conversion.is_some());
    assert!(prediction.confidence < 40, "{}", prediction.confidence);
}

#[test]
fn confidence_follows_the_relative_width_of_the_interval() {
    let history = HistoryModel::fit(pooled_history());
    let cold = HistoryModel::fit(Vec::new());
    let confidence = |model: &HistoryModel, reach: f64| {
        let target = campaign_with_rate(Uuid::from_u128(7), 1, reach, 0.0);
        let p = FunnelPerformancePredictor::new(model)
            .predict(&request(&target, 4000, 2))
            .unwrap();
        let last = p.stages.last().unwrap();
        let width = (last.count.high_80 - last.count.low_80) / last.expected.max(1.0);
        assert_eq!(p.confidence, (100.0 / (1.0 + width)).round() as u8);
        p.confidence
    };
    assert!(confidence(&history, 1_000.0) < confidence(&history, 1_000_000.0));
    assert!(confidence(&cold, 1_000_000.0) < confidence(&history, 1_000_000.0));
}

#[test]
fn history_used_counts_campaigns_and_records_per_level() {
    let ours = Uuid::from_u128(7);
    let mut history = pooled_history();
    history.push(campaign_with_rate(ours, 500, 10_000.0, 100.0));
    let mut email = campaign_with_rate(ours, 501, 10_000.0, 100.0);
    email.channel = Channel::Email;
    history.push(email);
    let model = HistoryModel::fit(history);
    let target = campaign_with_rate(ours, 1, 10_000.0, 0.0);
    let used = FunnelPerformancePredictor::new(&model)
        .predict(&request(&target, 500, 1))
        .unwrap()
        .history;
    assert_eq!(used.organization_all.campaigns, 2);
    assert_eq!(used.organization.campaigns, 1);
    assert_eq!(used.organization.records, 10);
    assert_eq!(used.pooled_organizations, Some(41));
    let json = serde_json::to_string(&used).unwrap();
    assert!(!json.contains("202") && !json.contains("201"), "{json}");
}

/// A lead-generation campaign on Facebook with the full funnel drawn around fixed rates.
fn honest_campaign(rng: &mut ChaCha8Rng, org: Uuid, id: u128) -> ChannelOutcome {
    let reach = 28_000.0;
    let p = beta(rng, 200.0 * 0.05, 200.0 * 0.95);
    let clicks = binomial(rng, reach, p);
    let p = beta(rng, 100.0 * 0.25, 100.0 * 0.75);
    let leads = binomial(rng, clicks, p);
    let p = beta(rng, 100.0 * 0.15, 100.0 * 0.85);
    let conversions = binomial(rng, leads, p);
    outcome(
        org,
        id,
        (CampaignType::LeadGen, Channel::Facebook),
        28,
        [Some(reach), Some(clicks), Some(leads), Some(conversions)],
        Some(reach / 100.0),
    )
}

/// Organization B's conversions for a 10,000-reach campaign, with `history`.
fn conversions_of_b(history: Vec<ChannelOutcome>) -> Prediction {
    let model = HistoryModel::fit(history);
    let target = outcome(
        Uuid::from_u128(2),
        1,
        (CampaignType::LeadGen, Channel::Facebook),
        0,
        [Some(10_000.0), None, None, None],
        None,
    );
    FunnelPerformancePredictor::new(&model)
        .predict(&request(&target, 4000, 11))
        .unwrap()
}

#[test]
fn one_organization_posting_a_perfect_funnel_cannot_move_another_organizations_prediction() {
    let mut rng = ChaCha8Rng::seed_from_u64(61);
    let honest: Vec<ChannelOutcome> = (0..36)
        .map(|i| honest_campaign(&mut rng, Uuid::from_u128(2 + i % 6), 100 + i))
        .collect();
    let clean = conversions_of_b(honest.clone());
    let mut poisoned = honest;
    for i in 0..20 {
        poisoned.push(outcome(
            Uuid::from_u128(99),
            5_000 + i,
            (CampaignType::LeadGen, Channel::Facebook),
            28,
            [Some(28_000.0); 4],
            Some(280.0),
        ));
    }
    let attacked = conversions_of_b(poisoned);
    let before = clean.stage(Stage::Conversions).unwrap();
    let after = attacked.stage(Stage::Conversions).unwrap();
    let width = before.count.high_80 - before.count.low_80;
    assert!(
        (after.count.median - before.count.median).abs() < width,
        "before {before:?}, after {after:?}"
    );
    assert!(after.count.high_80 < 1_000.0, "{after:?}");
    assert_eq!(attacked.history.pooled_organizations, Some(7));
}

#[test]
fn results_of_fewer_organizations_than_the_minimum_are_not_pooled_into_others_predictions() {
    let mut rng = ChaCha8Rng::seed_from_u64(62);
    let own: Vec<ChannelOutcome> = (0..3)
        .map(|i| honest_campaign(&mut rng, Uuid::from_u128(2), 10 + i))
        .collect();
    let mut with_others = own.clone();
    for org in 0..3 {
        for i in 0..5 {
            let mut c = campaign_with_rate(
                Uuid::from_u128(50 + org),
                200 + org * 10 + i,
                28_000.0,
                2_800.0,
            );
            c.metrics.leads = Some(2_000);
            c.metrics.conversions = Some(1_000);
            with_others.push(c);
        }
    }
    let alone = conversions_of_b(own);
    let beside_four = conversions_of_b(with_others);
    assert_eq!(alone.stages, beside_four.stages);
    assert_eq!(beside_four.history.pooled_organizations, None);
    assert!(beside_four.explanation.contains("too few organizations"));
}

#[test]
fn a_draw_without_conversions_costs_the_whole_budget_so_the_cost_interval_stays_bounded() {
    let cold = HistoryModel::fit(Vec::new());
    let target = campaign_with_rate(Uuid::from_u128(7), 1, 12.0, 0.0);
    let mut req = request(&target, 2000, 72);
    let budget = 906_036_299.0;
    req.budget = Some(budget);
    let prediction = FunnelPerformancePredictor::new(&cold)
        .predict(&req)
        .unwrap();
    let cost = prediction.cost_per_conversion.unwrap();
    assert_eq!(cost.high_95, budget);
    assert!(cost.low_95 > 0.0 && cost.low_95 <= cost.median);
    let json = serde_json::to_value(&prediction).unwrap();
    for bound in ["median", "low_80", "high_80", "low_95", "high_95"] {
        assert!(json["cost_per_conversion"][bound].is_number(), "{json}");
    }
}

#[test]
fn replaced_conversions_are_priced_again() {
    // One organization's campaigns, each converting 1% of reach at 50 a conversion.
    let org = Uuid::from_u128(9);
    let key = (CampaignType::LeadGen, Channel::Email);
    let history: Vec<ChannelOutcome> = (0..12u128)
        .map(|i| {
            let mut o = outcome(
                org,
                i,
                key,
                1,
                [Some(10_000.0), Some(400.0), Some(200.0), Some(100.0)],
                Some(1_000.0),
            );
            o.metrics.revenue = Decimal::from_f64(5_000.0);
            o
        })
        .collect();
    let model = HistoryModel::fit(history.clone());
    let predictor = FunnelPerformancePredictor::new(&model);
    let mut req = request(&history[0], 2000, 5);
    req.budget = Some(1_000.0);
    let mut prediction = predictor.predict(&req).unwrap();
    let before = prediction.revenue.unwrap();
    assert!((before.median / 5_000.0 - 1.0).abs() < 0.2, "{before:?}");
    // A targeted funnel says 20 conversions, not 100: revenue, cost and ROI follow.
    predictor.reprice(&req, &[20.0; 2000], &mut prediction);
    let revenue = prediction.revenue.unwrap();
    assert!((revenue.median / 1_000.0 - 1.0).abs() < 0.1, "{revenue:?}");
    assert_eq!(prediction.cost_per_conversion.unwrap().median, 50.0);
    assert!(prediction.roi.unwrap().median.abs() < 0.1);
}
