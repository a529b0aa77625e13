//! The committed golden sample (`docs/samples/`) matches what the generator produces now.
//! Regenerate it with `cargo xtask samples` after an intended change.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_generation::speech::{EspeakNg, wav_facts};
use ame_generation::{BuiltInModel, Generator, samples};
use std::path::Path;
use std::sync::Arc;

#[tokio::test]
async fn the_golden_sample_has_not_drifted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples");
    let generator = Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new()));
    let files = samples::generate(&generator).await;
    let mut committed = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                committed.push(
                    path.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    committed.sort();
    let mut generated: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    generated.sort();
    assert_eq!(
        committed, generated,
        "the sample's file list changed; run `cargo xtask samples`"
    );
    for file in &files {
        let stored = std::fs::read(root.join(&file.path)).unwrap();
        if file.path.ends_with(".wav") {
            // Audio depends on the installed espeak-ng build: compare its length, not its bytes.
            let (now, _, _) = wav_facts(&file.bytes).unwrap();
            let (then, _, _) = wav_facts(&stored).unwrap();
            let drift = now.abs_diff(then) as f64 / then as f64;
            assert!(
                drift < 0.05,
                "{}: {now} ms now, {then} ms committed",
                file.path
            );
        } else {
            assert!(
                stored == file.bytes,
                "{} drifted; run `cargo xtask samples` if the change is intended",
                file.path
            );
        }
    }
}
