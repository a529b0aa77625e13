//! The golden sample: one campaign of each type for a fixed brand and seed, generated the same
//! way every time, written to `docs/samples/` and compared against it by a test.

use crate::brief::Brief;
use crate::pipeline::{GeneratedAsset, Generator};
use ame_domain::{
    Brand, BrandStory, Campaign, CampaignId, CampaignPlan, CampaignStatus, CampaignType, Channel,
    Offers, OrgId, Testimonial, Tone, Vertical,
};
use chrono::{TimeZone, Utc};
use serde_json::Value;

/// The seed of every sample.
pub const SEED: u64 = 20_261_125;

/// The sample brand.
pub fn brand() -> Brand {
    Brand {
        company_name: "Ledgerly".into(),
        product: "automated month-end close software".into(),
        audience: "finance teams at mid-sized companies".into(),
        value_propositions: vec![
            "close the books in 3 days instead of 10".into(),
            "catch reconciliation errors before auditors do".into(),
            "give your team time back for analysis".into(),
        ],
        tone: Tone::Professional,
        cta_text: "Book a demo".into(),
        cta_url: "https://ledgerly.example/demo".into(),
        primary_color: "#1f4e79".into(),
        accent_color: "#f2a900".into(),
        sign_off: "The Ledgerly team".into(),
        postal_address: "Ledgerly Inc., 100 Main St, Springfield, IL 62701, USA".into(),
        unsubscribe_text: "Unsubscribe".into(),
        market: ame_domain::Market::Business,
        double_opt_in: None,
        industry: Some("accounting software".into()),
        vertical: None,
        story: BrandStory {
            short_benefits: vec![
                "Close in 3 days, not 10".into(),
                "Fewer audit surprises".into(),
                "Time back for analysis".into(),
                "Reconciled every night".into(),
                "Audit-ready every month".into(),
                "Works with NetSuite and Xero".into(),
            ],
            pains: vec![
                "month-end overtime".into(),
                "reconciliations in spreadsheets".into(),
            ],
            proof_points: vec![
                "Used by more than 400 finance teams".into(),
                "Connects to NetSuite, Xero and QuickBooks".into(),
            ],
            testimonials: vec![Testimonial {
                quote: "We closed March in three days, and nobody stayed late.".into(),
                name: "Dana Ruiz".into(),
                role: "Controller, Northfield Foods".into(),
            }],
            offers: Offers {
                upgrade_plan: Some("Business".into()),
                upgrade_adds: Some("priority support and custom month-end reports".into()),
                upgrade_url: Some("https://ledgerly.example/plans/business".into()),
                referral_reward: Some("a month free".into()),
                winback_incentive: Some("20% off your next three months".into()),
            },
            login_url: Some("https://app.ledgerly.example/login".into()),
        },
    }
}

/// The sample brand's logo mark (an SVG of shapes: a ledger page with ruled lines).
pub const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect x="2" y="2" width="60" height="60" rx="14" fill="#ffffff"/><rect x="16" y="14" width="32" height="36" rx="4" fill="#f2a900"/><rect x="21" y="22" width="22" height="4" rx="2" fill="#1f4e79"/><rect x="21" y="30" width="22" height="4" rx="2" fill="#1f4e79"/><rect x="21" y="38" width="14" height="4" rx="2" fill="#1f4e79"/></svg>"##;

/// The sample brand's logo, normalised as an upload would be.
pub fn logo() -> Option<std::sync::Arc<crate::Logo>> {
    crate::Logo::from_upload("image/svg+xml", LOGO_SVG.as_bytes())
        .ok()
        .map(std::sync::Arc::new)
}

/// The sample objective of each campaign type.
pub fn objective(campaign_type: CampaignType) -> &'static str {
    match campaign_type {
        CampaignType::LeadGen => "Book 40 demos with CFOs at mid-sized firms by March",
        CampaignType::BrandAwareness => "Make 50,000 finance leaders aware of Ledgerly by Q3",
        CampaignType::ClientRetention => "Renew 95% of annual contracts before the end of the year",
        CampaignType::ReEngagement => "Win back 300 trial users who went quiet within 60 days",
        CampaignType::Upsell => "Move 120 customers to the Business plan by June",
        CampaignType::Referral => "Get 200 referrals from happy controllers by April",
    }
}

/// The sample campaign of a type: fixed ids, dates and channels.
pub fn campaign(campaign_type: CampaignType) -> Campaign {
    let index = CampaignType::ALL
        .iter()
        .position(|t| *t == campaign_type)
        .unwrap_or(0) as u128;
    let at = Utc
        .with_ymd_and_hms(2027, 1, 4, 9, 0, 0)
        .single()
        .unwrap_or_default();
    Campaign {
        id: CampaignId::from_uuid(uuid_from(0x0193_0000_0000_7000_8000_0000_0000_0000 + index)),
        org_id: OrgId::from_uuid(uuid_from(0x0193_0000_0000_7000_8000_0000_0000_ffff)),
        campaign_type,
        objective: objective(campaign_type).to_owned(),
        status: CampaignStatus::Draft,
        performance: serde_json::json!({}),
        plan: CampaignPlan {
            name: Some(format!(
                "Sample {}",
                campaign_type.as_str().replace('_', " ")
            )),
            planned_reach: Some(50_000),
            budget: None,
            channels: vec![
                Channel::Email,
                Channel::Linkedin,
                Channel::X,
                Channel::Facebook,
                Channel::Instagram,
            ],
            start_at: Some(at),
            end_at: None,
            timezone: "America/Chicago".into(),
            ..CampaignPlan::default()
        },
        created_at: at,
        updated_at: at,
    }
}

fn uuid_from(value: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(value)
}

/// One file of the sample tree: a path under `docs/samples/` and its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleFile {
    /// Relative path, e.g. `lead_gen/landing_page/index.html`.
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// An asset's JSON without what changes from run to run (timings).
pub fn stable_json(asset: &GeneratedAsset) -> Value {
    let mut metadata = asset.metadata.clone();
    if let Some(generation) = metadata
        .get_mut("generation")
        .and_then(Value::as_object_mut)
    {
        generation.remove("latency_ms");
    }
    serde_json::json!({"asset_type": asset.asset_type, "content": asset.content, "metadata": metadata})
}

/// One campaign per vertical, written by the built-in copywriter for the first corpus brand of
/// that vertical (campaign types in turn), as Markdown: the words of every asset as the first
/// variant's reader sees them.
pub fn verticals_markdown() -> String {
    let mut out = String::from(
        "# One campaign per vertical\n\nWritten by the built-in copywriter for the first brand of each vertical in the lint corpus\n(`crates/ame-generation/src/corpus/`), seed 20261125, the campaign types in turn. Each asset\nshows the fields the reader of its first variant sees. `cargo xtask samples` regenerates this file.\n",
    );
    for (i, vertical) in Vertical::ALL.iter().enumerate() {
        let Some((index, corpus_brand)) = crate::corpus::BRANDS
            .iter()
            .enumerate()
            .find(|(_, b)| b.vertical == Some(*vertical))
        else {
            continue;
        };
        let campaign_type = CampaignType::ALL[i % CampaignType::ALL.len()];
        let brief = Brief::new(
            crate::corpus::campaign(index, campaign_type),
            corpus_brand.brand(),
            SEED,
        );
        out.push_str(&format!(
            "\n## {}: {}, {}\n",
            crate::playbook::Playbook::of(*vertical).file.name,
            corpus_brand.company,
            campaign_type.as_str().replace('_', " "),
        ));
        for &asset_type in campaign_type.asset_types() {
            let spec = crate::copy::CopySpec::new(
                asset_type,
                campaign_type,
                &brief.campaign.plan.channels,
            );
            let copy = crate::builtin::write(&brief, &spec);
            out.push_str(&format!(
                "\n### {}\n\n",
                asset_type.as_str().replace('_', " ")
            ));
            for (field, text) in crate::lint::first_reading(&copy) {
                out.push_str(&format!("- `{field}`: {}\n", text.replace('\n', " / ")));
            }
        }
    }
    out
}

/// Generates every sample file.
pub async fn generate(generator: &Generator) -> Vec<SampleFile> {
    let mut files = vec![SampleFile {
        path: "verticals.md".to_owned(),
        bytes: verticals_markdown().into_bytes(),
    }];
    for &campaign_type in CampaignType::ALL {
        let brief = Brief::new(campaign(campaign_type), Some(brand()), SEED).with_logo(logo());
        for asset in generator.generate(&brief).await {
            let dir = format!("{}/{}", campaign_type.as_str(), asset.asset_type.as_str());
            let mut json = serde_json::to_vec_pretty(&stable_json(&asset)).unwrap_or_default();
            json.push(b'\n');
            files.push(SampleFile {
                path: format!("{dir}/asset.json"),
                bytes: json,
            });
            for file in &asset.files {
                files.push(SampleFile {
                    path: format!("{dir}/{}", file.name),
                    bytes: file.bytes.clone(),
                });
            }
        }
    }
    files
}
