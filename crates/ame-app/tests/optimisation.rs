//! Optimisation through the scheduler, on both backends, with time moved by a manual clock:
//! subject tests that learn from clicks and promote a winner, a holdout that receives nothing
//! and yields a lift, and targeting that sends only to contacts a trained model picks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ame_app::Clock;
use ame_domain::{
    AssetType, CampaignId, ExperimentState, Goal, Group, NewContact, NewOutcome, Targeting,
    TargetingMode,
};
use ame_test_support::{TestDb, backend_tests};
use chrono::TimeDelta;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap, HashSet};
use support::{Harness, at};

backend_tests!(
    clicks_move_the_subject_weights_and_promote_the_better_subject,
    a_holdout_receives_nothing_and_the_lift_compares_the_groups,
    targeting_sends_only_to_contacts_the_model_picks,
    imported_outcomes_decide_a_test_once_and_reads_never_change_it,
);

async fn add_contacts(h: &Harness, n: usize, attributes: impl Fn(usize) -> serde_json::Value) {
    let rows: Vec<NewContact> = (0..n)
        .map(|i| NewContact {
            attributes: attributes(i).as_object().cloned(),
            ..NewContact::email(format!("c{i}@example.com"))
        })
        .collect();
    for chunk in rows.chunks(1000) {
        h.engine
            .upsert_contacts(&h.caller, chunk.to_vec())
            .await
            .unwrap();
    }
}

/// The first email's subject variants of a campaign's sequence.
async fn first_subjects(h: &Harness, campaign: CampaignId) -> Vec<String> {
    let assets = h
        .engine
        .campaign_assets(&h.caller, campaign, None)
        .await
        .unwrap();
    let sequence = assets
        .iter()
        .find(|a| a.asset_type == AssetType::EmailSequence)
        .unwrap();
    sequence.content["emails"][0]["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn click_token(text: &str) -> String {
    text.split("https://ame.example/t/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn clicks_move_the_subject_weights_and_promote_the_better_subject(db: TestDb) {
    // 60 messages a minute, so the test learns between batches as a real send would.
    let h = Harness::with_send_rate(db, at(2027, 3, 1, 14, 0), 60).await;
    add_contacts(&h, 500, |_| serde_json::json!({})).await;
    let campaign = h.campaign(at(2027, 3, 1, 15, 0)).await;
    let subjects = first_subjects(&h, campaign).await;
    assert!(subjects.len() >= 2, "{subjects:?}");
    let best = subjects.len() - 1;
    // People click the last subject far more often than the others.
    let click_rate = |variant: usize| if variant == best { 0.35 } else { 0.04 };
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut seen = 0;
    let mut shown = Vec::new();
    let end = at(2027, 3, 1, 15, 25);
    while h.clock.now() < end {
        h.worker.drain().await.unwrap();
        let accepted = h.mailer.accepted();
        for (message, _) in &accepted[seen..] {
            let variant = subjects.iter().position(|s| *s == message.subject).unwrap();
            shown.push(variant);
            if rng.random::<f64>() < click_rate(variant) {
                h.engine
                    .click(
                        &click_token(&message.text),
                        &ame_domain::Visit::browser("reader"),
                    )
                    .await
                    .unwrap();
            }
        }
        seen = accepted.len();
        h.clock.set(h.clock.now() + TimeDelta::minutes(1));
    }
    assert_eq!(shown.len(), 500, "every contact got the first email once");
    let reports = h.engine.experiments(&h.caller, campaign).await.unwrap();
    let test = reports
        .iter()
        .find(|r| r.field == "email_subject_step_1")
        .unwrap();
    assert_eq!(test.metric, "clicks");
    assert_eq!(test.state, ExperimentState::Promoted, "{test:?}");
    assert_eq!(test.winner, Some(best as u32));
    assert_eq!(test.events.len(), 1);
    assert_eq!(test.events[0].kind, "promoted");
    assert!(test.arms[best].probability_best > 0.95);
    assert_eq!(test.arms[best].weight, 1.0);
    // Each refresh left a snapshot, oldest first, ending in the weights now in force.
    assert!(test.history.len() >= 2, "{:?}", test.history);
    assert!(
        test.history
            .windows(2)
            .all(|w| w[0].at <= w[1].at && w[0].exposures <= w[1].exposures)
    );
    let last = test.history.last().unwrap();
    assert_eq!(last.weights[best], 1.0);
    assert!(last.probability_best[best] > 0.95);
    assert!(
        test.history[0].probability_best[best] < last.probability_best[best],
        "confidence in the winner grew over the refreshes"
    );
    // The burn-in split the first sends evenly; the rest went mostly to the winner.
    let early = &shown[..100];
    assert!((0..subjects.len()).all(|v| early.contains(&v)));
    let late = &shown[shown.len() - 80..];
    assert!(
        late.iter().all(|v| *v == best),
        "after promotion only the winner is sent"
    );
    // The ledger records the subject each send used.
    let deliveries = h
        .engine
        .deliveries(&h.caller, campaign, 5000)
        .await
        .unwrap();
    let sent_best = deliveries
        .iter()
        .filter(|d| d.step == 1 && d.subject_variant == best as u32)
        .count();
    assert_eq!(sent_best, shown.iter().filter(|v| **v == best).count());
}

async fn a_holdout_receives_nothing_and_the_lift_compares_the_groups(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 14, 0)).await;
    add_contacts(&h, 400, |_| serde_json::json!({})).await;
    let campaign = h
        .campaign_with(at(2027, 3, 1, 15, 0), |c| c.holdout_fraction = Some(0.25))
        .await;
    h.run_until(at(2027, 3, 1, 16, 0), TimeDelta::seconds(30))
        .await;
    let lift = h.engine.campaign_lift(&h.caller, campaign).await.unwrap();
    let (treated, control) = (lift.treatment.contacts, lift.control.contacts);
    assert_eq!(treated + control, 400);
    assert!(
        (60..=140).contains(&control),
        "{control} held out of 400 at 25%"
    );
    let mailed: HashSet<String> = h.mailer.accepted().into_iter().map(|(m, _)| m.to).collect();
    assert_eq!(
        mailed.len() as u64,
        treated,
        "the control group gets no mail"
    );
    // Conversions arrive for a quarter of the treated and a tenth of the control contacts.
    let mut treated_conversions = 0;
    let mut control_conversions = 0;
    for i in 0..400 {
        let email = format!("c{i}@example.com");
        let is_treated = mailed.contains(&email);
        let converts = if is_treated { i % 4 == 0 } else { i % 10 == 0 };
        if converts {
            h.engine
                .record_conversion(
                    &h.caller,
                    ame_app::tracking::ConversionInput {
                        campaign_id: Some(campaign),
                        email: Some(email),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            if is_treated {
                treated_conversions += 1;
            } else {
                control_conversions += 1;
            }
        }
    }
    let lift = h.engine.campaign_lift(&h.caller, campaign).await.unwrap();
    assert_eq!(lift.treatment.converted, treated_conversions);
    assert_eq!(lift.control.converted, control_conversions);
    let conversions = lift.conversions.unwrap();
    let expected =
        treated_conversions as f64 / treated as f64 - control_conversions as f64 / control as f64;
    assert!((conversions.absolute.value - expected).abs() < 1e-12);
    assert!(conversions.absolute.low < expected && expected < conversions.absolute.high);
    assert!(conversions.relative.low < conversions.relative.value);
}

async fn targeting_sends_only_to_contacts_the_model_picks(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 14, 0)).await;
    // Half the contacts are "helped" by a message, half are put off by it.
    let helped = |i: usize| i.is_multiple_of(2);
    add_contacts(&h, 1200, |i| {
        serde_json::json!({"segment": if helped(i) { "helped" } else { "hurt" }, "score": (i % 7) as f64})
    })
    .await;
    // An earlier campaign's outcomes, imported: treated and control contacts of both groups.
    let past = {
        let new = ame_domain::NewCampaign::new(
            ame_domain::CampaignType::ReEngagement,
            "Last quarter's win-back mailing",
        );
        let valid = h.engine.check_new_campaign(&h.caller, new).unwrap();
        h.engine
            .create_campaign(&h.caller, valid, None)
            .await
            .unwrap()
            .id
    };
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let rows: Vec<NewOutcome> = (0..1200)
        .map(|i| {
            let treated = rng.random::<f64>() < 0.5;
            let rate = match (helped(i), treated) {
                (true, true) => 0.30,
                (true, false) => 0.08,
                (false, true) => 0.05,
                (false, false) => 0.15,
            };
            NewOutcome {
                email: format!("c{i}@example.com"),
                group: if treated {
                    Group::Treatment
                } else {
                    Group::Control
                },
                variants: BTreeMap::new(),
                clicked: false,
                converted: rng.random::<f64>() < rate,
                value: None,
                converted_before_assignment: false,
            }
        })
        .collect();
    for chunk in rows.chunks(1000) {
        h.engine
            .record_outcomes(&h.caller, past, chunk.to_vec())
            .await
            .unwrap();
    }
    // New outcomes have the worker retrain the models within a couple of minutes.
    assert!(
        h.engine
            .targeting_model(&h.caller, Goal::Conversions)
            .await
            .is_err()
    );
    let now = h.clock.now();
    h.run_until(now + TimeDelta::minutes(2), TimeDelta::minutes(1))
        .await;
    let retrained = h
        .engine
        .targeting_model(&h.caller, Goal::Conversions)
        .await
        .unwrap();
    assert_eq!(retrained.rows + retrained.control_rows, 1200);
    let model = h
        .engine
        .train_targeting(&h.caller, Goal::Conversions)
        .await
        .unwrap();
    assert!(model.uplift);
    assert_eq!(model.rows + model.control_rows, 1200);

    let campaign = h
        .campaign_with(at(2027, 3, 1, 15, 0), |c| {
            c.holdout_fraction = Some(0.0);
            c.targeting = Some(Targeting {
                mode: TargetingMode::UpliftPositive,
                fraction: None,
                budget: None,
                goal: Some(Goal::Conversions),
            });
        })
        .await;
    // The prediction starts from the responses the selected contacts are expected to give.
    let prediction = h
        .engine
        .predict(&h.caller, campaign, Some(1), Some(2000))
        .await
        .unwrap();
    let targeted = prediction.targeting.clone().expect("a targeted prediction");
    let conversions = prediction
        .stage(ame_prediction::Stage::Conversions)
        .unwrap();
    assert_eq!(conversions.expected, targeted.expected);
    assert!(
        targeted.count.low_80 < targeted.expected && targeted.expected < targeted.count.high_80
    );
    let reach = prediction.stage(ame_prediction::Stage::Reach).unwrap();
    assert_eq!(reach.expected, targeted.contacts as f64);
    // The 1,200 imported outcome records give clicks (none were recorded: 0 of them clicked)
    // and no leads stage is invented; each stage names its source.
    use ame_prediction::targeted::StageSource;
    let sources: Vec<(ame_prediction::Stage, StageSource)> = prediction
        .sources
        .iter()
        .map(|o| (o.stage, o.source))
        .collect();
    assert_eq!(
        sources,
        [
            (ame_prediction::Stage::Reach, StageSource::SelectedAudience),
            (ame_prediction::Stage::Clicks, StageSource::OutcomeRecords),
            (
                ame_prediction::Stage::Conversions,
                StageSource::TargetingModel
            ),
        ]
    );
    assert!(prediction.stage(ame_prediction::Stage::Leads).is_none());
    assert!(
        prediction.explanation.contains("outcome records"),
        "{}",
        prediction.explanation
    );
    h.run_until(at(2027, 3, 1, 16, 0), TimeDelta::seconds(30))
        .await;
    let mailed: HashMap<usize, ()> = h
        .mailer
        .accepted()
        .into_iter()
        .map(|(m, _)| {
            let i: usize =
                m.to.trim_start_matches('c')
                    .split('@')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
            (i, ())
        })
        .collect();
    assert!(!mailed.is_empty());
    let helped_share = mailed.keys().filter(|i| helped(**i)).count() as f64 / mailed.len() as f64;
    assert!(
        helped_share > 0.95,
        "{helped_share} of those mailed were helped"
    );
    assert!(mailed.len() >= 500, "{} mailed", mailed.len());
    assert_eq!(
        mailed.len() as u64,
        targeted.contacts,
        "the prediction counted who is mailed"
    );

    let page = h
        .engine
        .score_audience(&h.caller, campaign, Goal::Conversions, 10, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 10);
    assert!(
        page.items
            .windows(2)
            .all(|w| w[0].expected_value >= w[1].expected_value)
    );
    let next = h
        .engine
        .score_audience(
            &h.caller,
            campaign,
            Goal::Conversions,
            10,
            page.next_cursor.as_deref(),
        )
        .await
        .unwrap();
    assert!(next.items[0].expected_value <= page.items[9].expected_value);
    assert!(
        next.items
            .iter()
            .all(|s| page.items.iter().all(|p| p.contact_id != s.contact_id))
    );
}

async fn imported_outcomes_decide_a_test_once_and_reads_never_change_it(db: TestDb) {
    let h = Harness::new(db, at(2027, 3, 1, 14, 0)).await;
    add_contacts(&h, 800, |_| serde_json::json!({})).await;
    let campaign = h.campaign_with(at(2027, 3, 1, 15, 0), |_| {}).await;
    let field = ame_domain::subject_field(1);
    // Subject 2 is clicked eight times as often as subject 1.
    let rows: Vec<NewOutcome> = (0..800)
        .map(|i| {
            let variant = (i % 2) as u32;
            let clicked = if variant == 1 {
                i % 5 == 1
            } else {
                i % 40 == 0
            };
            NewOutcome {
                email: format!("c{i}@example.com"),
                group: Group::Treatment,
                variants: BTreeMap::from([(field.clone(), variant)]),
                clicked,
                converted: false,
                value: None,
                converted_before_assignment: false,
            }
        })
        .collect();
    h.engine
        .record_outcomes(&h.caller, campaign, rows)
        .await
        .unwrap();
    let first = h.engine.experiments(&h.caller, campaign).await.unwrap();
    let test = first.iter().find(|t| t.field == field).unwrap();
    assert_eq!(test.state, ExperimentState::Promoted, "{test:?}");
    assert_eq!(test.winner, Some(1), "the promotion names its winner");
    assert!(
        test.refreshed_at.is_some(),
        "the import stored the test's state"
    );
    assert_eq!(
        test.events.iter().filter(|e| e.kind == "promoted").count(),
        1,
        "{:?}",
        test.events
    );
    for _ in 0..5 {
        let again = h.engine.experiments(&h.caller, campaign).await.unwrap();
        assert_eq!(again, first, "a read changes nothing");
    }
}
