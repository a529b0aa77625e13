//! The built-in copywriter over the lint corpus: 40 brands in ten verticals × six campaign
//! types × three seeds, with nothing a reader would reject and every limit met; it also
//! measures how much two brands' copy, and two seeds' copy, share word for word.

use ame_generation::builtin;
use ame_generation::corpus::{self, Report};

const SEEDS: [u64; 3] = [1, 20_261_125, 987_654_321];
/// Most sentences of one brand that another brand's copy may hold word for word (measured
/// 57.4%: brands of one vertical share its playbook's sentences; the goal is 2%).
const MAX_SHARED: f64 = 0.58;
/// Fewest sentences another seed must change, for every pair of the corpus's seeds.
const MIN_RESEEDED: f64 = 0.50;

fn builtin_report() -> Report {
    corpus::run(&corpus::briefs(&SEEDS), builtin::write)
}

#[test]
fn the_builtin_writer_passes_the_copy_lint_over_the_corpus() {
    let report = builtin_report();
    assert_eq!(report.assets, 40 * 3 * (3 + 3 + 2 + 2 + 2 + 3));
    let mut table = String::new();
    for (rule, count) in report.table_rows() {
        table.push_str(&format!("{:<22}{count}\n", rule.as_str()));
    }
    let examples: Vec<String> = report
        .examples
        .iter()
        .take(60)
        .map(|(label, f)| format!("{label}: {} {}: {}", f.rule.as_str(), f.field, f.detail))
        .collect();
    assert_eq!(
        report.findings(),
        0,
        "findings by rule:\n{table}\nfirst findings:\n{}",
        examples.join("\n")
    );
    assert_eq!(report.limit_failures, 0, "{:#?}", report.limit_examples);
    let (shared, examples) = report.cross_brand_identical();
    let reseeded = [(0, 1), (1, 2), (0, 2)]
        .into_iter()
        .map(|(a, b)| report.seed_difference(SEEDS[a], SEEDS[b]))
        .fold(f64::INFINITY, f64::min);
    println!(
        "sentences shared word for word with another brand: {:.1}%; changed by another seed (the least of three pairs): {:.1}%",
        shared * 100.0,
        reseeded * 100.0
    );
    assert!(
        shared <= MAX_SHARED,
        "{:.1}% of sentences are another brand's word for word, e.g.:\n{}",
        shared * 100.0,
        examples.join("\n")
    );
    assert!(reseeded >= MIN_RESEEDED, "{:.1}%", reseeded * 100.0);
}
