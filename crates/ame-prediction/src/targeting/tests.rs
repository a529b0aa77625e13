use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn inputs(pairs: Vec<(&str, AttributeValue)>) -> ContactInputs {
    ContactInputs {
        attributes: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        engagement: Engagement::default(),
    }
}

/// Contacts in two attribute groups: the message helps `helped` (5% → 12%) and hurts the rest
/// (8% → 4%); `noise` is unrelated.
fn uplift_population(n: usize, seed: u64) -> Vec<TrainingRow> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let helped = rng.random::<f64>() < 0.5;
            let treated = rng.random::<f64>() < 0.5;
            let rate = match (helped, treated) {
                (true, true) => 0.12,
                (true, false) => 0.05,
                (false, true) => 0.04,
                (false, false) => 0.08,
            };
            TrainingRow {
                inputs: inputs(vec![
                    (
                        "segment",
                        AttributeValue::Text(if helped { "helped" } else { "hurt" }.into()),
                    ),
                    ("noise", AttributeValue::Number(rng.random::<f64>())),
                ]),
                treated,
                responded: rng.random::<f64>() < rate,
                value: None,
                split_key: i as u64 * 7_919,
            }
        })
        .collect()
}

#[test]
fn uplift_ranks_the_helped_group_first_and_beats_random_orderings() {
    let rows = uplift_population(20_000, 11);
    let model = train(&rows, &TrainOptions::default()).unwrap();
    let qini_model = model.quality.qini.expect("uplift is modelled");
    // Random rankings of the same held-out rows.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let held: Vec<&TrainingRow> = rows
        .iter()
        .filter(|r| held_out(r, TrainOptions::default().held_out_share))
        .collect();
    let mut random = Vec::new();
    for _ in 0..100 {
        let shuffled: Vec<UpliftRow> = held
            .iter()
            .map(|r| UpliftRow {
                score: rng.random(),
                treated: r.treated,
                responded: r.responded,
            })
            .collect();
        random.push(qini(&shuffled).unwrap());
    }
    random.sort_by(f64::total_cmp);
    assert!(
        qini_model > random[98] && qini_model > 0.005,
        "model {qini_model}, random 99th percentile {}",
        random[98]
    );
    let helped = model.score(&inputs(vec![(
        "segment",
        AttributeValue::Text("helped".into()),
    )]));
    let hurt = model.score(&inputs(vec![(
        "segment",
        AttributeValue::Text("hurt".into()),
    )]));
    assert!(helped.uplift.unwrap() > 0.03, "{helped:?}");
    assert!(hurt.uplift.unwrap() < -0.01, "{hurt:?}");
    let [low, high] = model.quality.qini_interval.unwrap();
    assert!(
        low > 0.0 && low < qini_model && qini_model < high,
        "{low} {qini_model} {high}"
    );
    assert!(model.uplift_qualified());
}

#[test]
fn uplift_with_no_real_effect_is_not_qualified() {
    // The same population, but mail changes nobody's rate: the segment only tells the base.
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let rows: Vec<TrainingRow> = (0..20_000u64)
        .map(|i| {
            let vip = rng.random::<f64>() < 0.5;
            TrainingRow {
                inputs: inputs(vec![
                    ("vip", AttributeValue::Bool(vip)),
                    ("noise", AttributeValue::Number(rng.random::<f64>())),
                ]),
                treated: rng.random::<f64>() < 0.5,
                responded: rng.random::<f64>() < if vip { 0.10 } else { 0.05 },
                value: None,
                split_key: i * 7_919,
            }
        })
        .collect();
    let model = train(&rows, &TrainOptions::default()).unwrap();
    assert!(model.control.is_some(), "uplift is modelled");
    let [low, _] = model.quality.qini_interval.unwrap();
    assert!(
        low <= 0.0,
        "a ranking of no effect cannot beat random: {low}"
    );
    assert!(!model.uplift_qualified());
}

#[test]
fn a_click_without_a_purchase_is_worth_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    // Half the clickers buy, at 100: a click is worth 50, not 100.
    let rows: Vec<TrainingRow> = (0..2_000u64)
        .map(|i| {
            let clicked = rng.random::<f64>() < 0.3;
            let bought = clicked && i % 2 == 0;
            TrainingRow {
                inputs: inputs(vec![("noise", AttributeValue::Number(rng.random::<f64>()))]),
                treated: true,
                responded: clicked,
                value: bought.then_some(100.0),
                split_key: i * 7_919,
            }
        })
        .collect();
    let model = train(&rows, &TrainOptions::default()).unwrap();
    let per_click = model.value_per_response.unwrap();
    assert!((per_click - 50.0).abs() < 5.0, "{per_click}");
    // The value model agrees: half the clickers pay 100 each.
    let s = model.score(&inputs(vec![("noise", AttributeValue::Number(0.5))]));
    let value = s.expected_value / s.p_response;
    assert!((value - 50.0).abs() < 5.0, "{value}");
}

#[test]
fn the_value_model_ranks_by_what_a_contact_is_worth() {
    // Frequent givers (propresp) answer more often but give little; large past givers
    // (avggift) answer less often and give much more.
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let rows: Vec<TrainingRow> = (0..6_000u64)
        .map(|i| {
            let propresp: f64 = rng.random_range(0.0..1.0);
            let avggift: f64 = rng.random_range(5.0..200.0);
            let p = sigmoid(-2.5 + 3.0 * propresp - 0.004 * avggift);
            let responded = rng.random::<f64>() < p;
            let gift = avggift * rng.random_range(0.6..1.4);
            TrainingRow {
                inputs: inputs(vec![
                    ("propresp", AttributeValue::Number(propresp)),
                    ("avggift", AttributeValue::Number(avggift)),
                ]),
                treated: true,
                responded,
                value: responded.then_some(gift),
                split_key: i * 7_919,
            }
        })
        .collect();
    let model = train(&rows, &TrainOptions::default()).unwrap();
    let value = model.value_model.as_ref().expect("a value model");
    assert!(value.rows >= MIN_VALUE_ROWS);
    let small = model.score(&inputs(vec![
        ("propresp", AttributeValue::Number(0.9)),
        ("avggift", AttributeValue::Number(10.0)),
    ]));
    let large = model.score(&inputs(vec![
        ("propresp", AttributeValue::Number(0.5)),
        ("avggift", AttributeValue::Number(180.0)),
    ]));
    assert!(small.p_response > large.p_response);
    assert!(
        large.expected_value > 2.0 * small.expected_value,
        "{small:?} {large:?}"
    );
    // On held-out rows the top fifth by expected value holds more of the value given than the
    // top fifth by probability.
    let curve = model.quality.captured_value.as_ref().unwrap();
    let fifth = curve.iter().find(|c| c.share == 0.2).unwrap();
    assert!(
        fifth.by_expected_value > fifth.by_probability + 0.1,
        "{curve:?}"
    );
    assert!(
        curve
            .windows(2)
            .all(|w| w[0].by_expected_value <= w[1].by_expected_value)
    );
}

#[test]
fn too_few_paying_responders_leave_the_mean_value() {
    let rows = uplift_population(2_000, 9);
    let model = train(&rows, &TrainOptions::default()).unwrap();
    assert!(model.value_model.is_none());
    assert!(model.quality.captured_value.is_none());
}

#[test]
fn the_response_model_ranks_and_is_calibrated_on_held_out_rows() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let rows: Vec<TrainingRow> = (0..5_000u64)
        .map(|i| {
            let score: f64 = rng.random_range(-2.0..2.0);
            let vip = rng.random::<f64>() < 0.3;
            let p = sigmoid(-2.0 + 1.2 * score + if vip { 0.8 } else { 0.0 });
            TrainingRow {
                inputs: inputs(vec![
                    ("score", AttributeValue::Number(score)),
                    ("vip", AttributeValue::Bool(vip)),
                ]),
                treated: true,
                responded: rng.random::<f64>() < p,
                value: Some(25.0),
                split_key: i * 104_729,
            }
        })
        .collect();
    let model = train(&rows, &TrainOptions::default()).unwrap();
    let q = &model.quality;
    assert!(q.auc.unwrap() > 0.75, "{q:?}");
    assert!(q.top_decile_lift.unwrap() > 2.0, "{q:?}");
    assert!(q.calibration_error < 0.03, "{q:?}");
    assert!(model.control.is_none() && q.qini.is_none());
    // Coefficients are per standard deviation: score's raw 1.2 times its sd (≈ 1.15).
    let column = model
        .encoder
        .columns
        .iter()
        .position(|c| c.name == "score")
        .unwrap();
    let raw = model.response.coefficients[column] / model.encoder.columns[column].sd;
    assert!((raw - 1.2).abs() < 0.15, "{raw}");
    let s = model.score(&inputs(vec![("score", AttributeValue::Number(1.0))]));
    assert!((s.expected_value - 25.0 * s.p_response).abs() < 1e-12);
}

#[test]
fn too_few_outcomes_say_what_is_missing() {
    let rows = uplift_population(30, 1);
    match train(&rows, &TrainOptions::default()) {
        Err(TrainError::NotEnoughOutcomes {
            needed_rows: 50, ..
        }) => {}
        other => panic!("{other:?}"),
    }
}
