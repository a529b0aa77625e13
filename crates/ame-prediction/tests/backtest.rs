//! Backtest on real results: the Facebook ad sets of `facebook_ads_conversions.csv` (one
//! anonymous advertiser, 1,143 ads in 691 ad sets), when the shared dataset is present.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_domain::{CampaignType, Channel, ChannelOutcome, FunnelMetrics};
use ame_prediction::Stage;
use ame_prediction::backtest::{HoldOut, leave_one_campaign_out, leave_one_out};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

fn dataset() -> Option<PathBuf> {
    let dir = std::env::var_os("AME_DATASETS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")
        });
    let path = dir.join("facebook_ads_conversions.csv");
    path.exists().then_some(path)
}

/// Ad sets (`fb_campaign_id`) as campaigns, summed over their ads; the advertiser's three
/// campaigns (`xyz_campaign_id`) as the group above them.
fn ad_sets(path: &PathBuf) -> Vec<Vec<ChannelOutcome>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (set, group) = (col("fb_campaign_id"), col("xyz_campaign_id"));
    let (reach, clicks, leads, conversions, spend) = (
        col("Impressions"),
        col("Clicks"),
        col("Total_Conversion"),
        col("Approved_Conversion"),
        col("Spent"),
    );
    let mut sets: BTreeMap<u128, ChannelOutcome> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let count = |i: usize| row[i].parse::<i64>().unwrap();
        let id: u128 = row[set].parse().unwrap();
        let outcome = sets.entry(id).or_insert_with(|| ChannelOutcome {
            org_group: Uuid::from_u128(row[group].parse().unwrap()),
            campaign_group: Uuid::from_u128(id),
            own_org: false,
            campaign_type: CampaignType::LeadGen,
            channel: Channel::Facebook,
            records: 0,
            metrics: FunnelMetrics {
                reach: Some(0),
                clicks: Some(0),
                leads: Some(0),
                conversions: Some(0),
                spend: Some(Decimal::ZERO),
                revenue: None,
            },
        });
        outcome.records += 1;
        let m = &mut outcome.metrics;
        for (measure, i) in [
            (&mut m.reach, reach),
            (&mut m.clicks, clicks),
            (&mut m.leads, leads),
            (&mut m.conversions, conversions),
        ] {
            *measure = measure.map(|c| c + count(i));
        }
        let spent: Decimal = row[spend].parse().unwrap();
        m.spend = m.spend.map(|s| s + spent);
    }
    sets.into_values().map(|o| vec![o]).collect()
}

#[test]
fn facebook_ad_sets_are_predicted_with_calibrated_intervals_and_less_error_than_baselines() {
    let Some(path) = dataset() else {
        println!("facebook_ads_conversions.csv not found: backtest not run");
        return;
    };
    let campaigns = ad_sets(&path);
    assert_eq!(campaigns.len(), 691);
    let report = leave_one_campaign_out(&campaigns, 2000, 20261126);
    let table = report.table();
    println!("backtest on {}:\n{table}", path.display());
    // The published figures are this run's, to the character.
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/prediction.md"),
    )
    .unwrap();
    assert!(
        docs.contains(table.trim()),
        "docs/prediction.md's backtest table differs from this run's; replace it with:\n{table}"
    );
    for stage in [Stage::Clicks, Stage::Leads, Stage::Conversions] {
        let s = report.stage(stage).unwrap();
        // Conservative, not too narrow: small counts' integer intervals hold more than 80%.
        assert!(
            (0.75..=0.97).contains(&s.coverage_80),
            "{stage:?}: 80% coverage {}",
            s.coverage_80
        );
        assert!(
            (0.75..=0.85).contains(&s.pit_coverage_80),
            "{stage:?}: 80% PIT coverage {}",
            s.pit_coverage_80
        );
        let mdape = s.mdape.unwrap();
        assert!(mdape < s.mdape_mean_rate.unwrap(), "{stage:?}: {s:?}");
        if let Some(seed) = s.mdape_seed_constant {
            assert!(mdape < seed, "{stage:?}: {s:?}");
        }
        // Scale-aware: the largest ad sets are no longer over-forecast.
        assert!(s.mae < s.mae_mean_rate.unwrap(), "{stage:?}: {s:?}");
    }
}

#[test]
fn whole_advertiser_campaigns_held_out_are_predicted_from_the_advertisers_others() {
    let Some(path) = dataset() else {
        println!("facebook_ads_conversions.csv not found: backtest not run");
        return;
    };
    // One advertiser; each of its three campaigns (the group above the ad sets) is held out
    // whole and its ad sets predicted from the other two campaigns' ad sets.
    let campaigns = ad_sets(&path);
    let groups: Vec<u128> = campaigns.iter().map(|c| c[0].org_group.as_u128()).collect();
    let report = leave_one_out(&campaigns, Some(&groups), 2000, 20261126);
    let table = report.table();
    println!(
        "leave-one-group-out backtest on {}:\n{table}",
        path.display()
    );
    assert_eq!(report.hold_out, HoldOut::Group);
    assert_eq!(report.predicted, 691);
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/prediction.md"),
    )
    .unwrap();
    assert!(
        docs.contains(table.trim()),
        "docs/prediction.md's leave-one-group-out table differs from this run's; replace it with:\n{table}"
    );
    for stage in [Stage::Clicks, Stage::Leads, Stage::Conversions] {
        let s = report.stage(stage).unwrap();
        assert!(s.mae < s.mae_mean_rate.unwrap(), "{stage:?}: {s:?}");
        assert!(s.coverage_80 >= 0.70, "{stage:?}: {s:?}");
    }
}
