//! Optimisation speed: training the targeting model on 100,000 contacts × 20 columns, scoring
//! 100,000 contacts, and refreshing a three-arm test's weights.

#![allow(missing_docs, clippy::unwrap_used)]

use ame_prediction::bandit::{ArmCounts, BanditPolicy, assess};
use ame_prediction::targeting::{
    AttributeValue, ContactInputs, Engagement, TrainOptions, TrainingRow, train,
};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const CONTACTS: usize = 100_000;

/// 100,000 contacts with 16 numeric and 2 categorical attributes plus engagement: 20 columns
/// after encoding (numbers, three region levels and other, the plan, sends and clicks).
fn population() -> Vec<TrainingRow> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..CONTACTS)
        .map(|i| {
            let mut attributes = std::collections::BTreeMap::new();
            let mut eta = -2.5;
            for k in 0..16 {
                let v: f64 = rng.random_range(-1.0..1.0);
                eta += v * (k as f64 - 8.0) / 8.0;
                attributes.insert(format!("n{k:02}"), AttributeValue::Number(v));
            }
            attributes.insert(
                "region".into(),
                AttributeValue::Text(["north", "south", "east"][i % 3].into()),
            );
            attributes.insert("pro".into(), AttributeValue::Bool(i % 4 == 0));
            let p = 1.0 / (1.0 + (-eta).exp());
            TrainingRow {
                inputs: ContactInputs {
                    attributes,
                    engagement: Engagement {
                        sends: f64::from(rng.random_range(0..5u8)),
                        clicks: f64::from(rng.random_range(0..2u8)),
                        ..Engagement::default()
                    },
                },
                treated: true,
                responded: rng.random::<f64>() < p,
                value: None,
                split_key: i as u64 * 2_654_435_761,
            }
        })
        .collect()
}

fn optimisation(c: &mut Criterion) {
    let rows = population();
    let mut group = c.benchmark_group("targeting");
    group.sample_size(10);
    group.bench_function("train 100k contacts", |b| {
        b.iter(|| black_box(train(&rows, &TrainOptions::default()).unwrap()))
    });
    let model = train(&rows, &TrainOptions::default()).unwrap();
    eprintln!("columns after encoding: {}", model.encoder.columns.len());
    group.bench_function("score 100k contacts", |b| {
        b.iter(|| {
            let mut scratch = Vec::new();
            let total: f64 = rows
                .iter()
                .map(|r| model.score_with(&r.inputs, &mut scratch).expected_value)
                .sum();
            black_box(total)
        })
    });
    group.finish();
    let arms = [
        ArmCounts {
            exposures: 6_800,
            successes: 140,
        },
        ArmCounts {
            exposures: 7_100,
            successes: 175,
        },
        ArmCounts {
            exposures: 6_100,
            successes: 181,
        },
    ];
    c.bench_function("experiment weight refresh (3 arms)", |b| {
        b.iter(|| black_box(assess(&arms, &BanditPolicy::default(), None, 7)))
    });
}

criterion_group!(benches, optimisation);
criterion_main!(benches);
