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

#[tokio::test]
async fn the_sample_search_ad_leads_with_benefits_and_whole_word_paths() {
    let generator = Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new()));
    let brief = ame_generation::Brief::new(
        samples::campaign(ame_domain::CampaignType::LeadGen),
        Some(samples::brand()),
        samples::SEED,
    );
    let ads = generator
        .generate_one(&brief, ame_domain::AssetType::AdCreative)
        .await;
    let rsa = &ads.content["google_rsa"];
    let headlines: Vec<&str> = rsa["headlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(headlines.len(), 15, "{headlines:?}");
    let brand = samples::brand();
    let benefit_words: Vec<String> = brand
        .story
        .short_benefits
        .iter()
        .chain(&brand.story.pains)
        .chain(&brand.value_propositions)
        .map(|b| b.to_lowercase())
        .collect();
    let with_benefit = headlines
        .iter()
        .filter(|h| {
            let h = h.to_lowercase();
            benefit_words.iter().any(|b| h.contains(b.as_str()))
        })
        .count();
    assert!(with_benefit >= 8, "{with_benefit} of {headlines:?}");
    let paths = rsa["paths"].as_array().unwrap();
    assert_eq!(paths[0], "month-end-close");
}

#[tokio::test]
async fn the_sample_logo_is_on_every_banner_and_the_landing_page() {
    let generator = Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new()));
    let campaign = samples::campaign(ame_domain::CampaignType::BrandAwareness);
    let brief = ame_generation::Brief::new(campaign, Some(samples::brand()), samples::SEED)
        .with_logo(samples::logo());
    let image = generator
        .generate_one(&brief, ame_domain::AssetType::ImageAsset)
        .await;
    for banner in image.content["banners"].as_array().unwrap() {
        assert_eq!(banner["logo"], true, "{banner}");
    }
    let page = generator
        .generate_one(&brief, ame_domain::AssetType::LandingPage)
        .await;
    let html = String::from_utf8(page.files[0].bytes.clone()).unwrap();
    assert!(html.contains("<img class=\"logo\" src=\"data:image/png;base64,"));
    assert!(html.contains("alt=\"Ledgerly\""));
}
