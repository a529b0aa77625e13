//! Generation speed: a full text asset set per campaign, each banner PNG, and a voice ad WAV.
//! Run with `cargo xtask bench generation`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ame_domain::{AssetType, CampaignType};
use ame_generation::banner::{BannerSpec, Rgb, STANDARD_SIZES, render_banner};
use ame_generation::speech::{EspeakNg, SpeechSynthesizer};
use ame_generation::{Brief, BuiltInModel, Generator, samples};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn text_sets(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let generator = Generator::new(Arc::new(BuiltInModel), Arc::new(EspeakNg::new()));
    let mut group = c.benchmark_group("text_set");
    for &campaign_type in CampaignType::ALL {
        let brief = Brief::new(
            samples::campaign(campaign_type),
            Some(samples::brand()),
            samples::SEED,
        );
        let text_types: Vec<AssetType> = campaign_type
            .asset_types()
            .iter()
            .copied()
            .filter(|t| !matches!(t, AssetType::ImageAsset | AssetType::VoiceAd))
            .collect();
        group.bench_function(campaign_type.as_str(), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    for &t in &text_types {
                        std::hint::black_box(generator.generate_one(&brief, t).await);
                    }
                })
            })
        });
    }
    group.finish();
}

fn banners(c: &mut Criterion) {
    let mut group = c.benchmark_group("banner_png");
    for size in &STANDARD_SIZES {
        let spec = BannerSpec {
            size,
            headline: "Close the books in 3 days instead of 10",
            subline: Some("Automated month-end close for finance teams."),
            cta: "Book a demo",
            brand_name: "Ledgerly",
            background: Rgb(0x1f, 0x4e, 0x79),
            accent: Rgb(0xf2, 0xa9, 0x00),
            logo: None,
        };
        group.bench_function(format!("{}x{}", size.width, size.height), |b| {
            b.iter(|| std::hint::black_box(render_banner(&spec).unwrap()))
        });
    }
    group.finish();
}

fn voice(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let speech = EspeakNg::new();
    let script = "Closing the books shouldn't take ten days. Ledgerly helps finance teams at mid-sized companies close the books in three days instead of ten, and catch reconciliation errors before auditors do. Getting started takes just a few minutes, and your team gets time back for analysis. Book a demo today at Ledgerly.";
    let mut group = c.benchmark_group("voice_wav");
    group.sample_size(20);
    group.bench_function("espeak_ng_30s", |b| {
        b.iter(|| std::hint::black_box(runtime.block_on(speech.synthesize(script)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, text_sets, banners, voice);
criterion_main!(benches);
