//! Prints every copy-lint finding of the built-in writer over the corpus, one per line
//! (brand / type / asset / seed, rule, field, detail), for editing the playbooks:
//! `cargo run -p ame-generation --example lint_findings`.

use ame_generation::{builtin, corpus};

fn main() {
    let briefs = corpus::briefs(&[1, 20_261_125, 987_654_321]);
    for (label, f) in corpus::run_all(&briefs, builtin::write) {
        println!("{label}\t{}\t{}\t{}", f.rule.as_str(), f.field, f.detail);
    }
}
