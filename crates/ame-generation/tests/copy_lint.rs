//! The built-in copywriter over the lint corpus: 22 brands × six campaign types × three
//! seeds, with nothing a reader would reject and every limit met.

use ame_generation::builtin;
use ame_generation::corpus::{self, Report};

const SEEDS: [u64; 3] = [1, 20_261_125, 987_654_321];

fn builtin_report() -> Report {
    corpus::run(&corpus::briefs(&SEEDS), builtin::write)
}

#[test]
fn the_builtin_writer_passes_the_copy_lint_over_the_corpus() {
    let report = builtin_report();
    assert_eq!(report.assets, 22 * 3 * (3 + 3 + 2 + 2 + 2 + 3));
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
}
