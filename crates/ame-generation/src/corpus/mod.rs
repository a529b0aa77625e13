//! The copy lint corpus: 40 brands of different industries, tones and markets, each with an
//! internal objective per campaign type, run through a writer and counted by lint rule.

use crate::brief::Brief;
use crate::copy::{AssetCopy, CopySpec};
use crate::lint::{Finding, LintContext, Rule, copy_sentences, lint};
use ame_domain::{
    Brand, BrandStory, Campaign, CampaignId, CampaignPlan, CampaignStatus, CampaignType, Channel,
    Offers, OrgId, Testimonial, Tone, Vertical,
};

mod brands;
mod more_brands;

pub use brands::{BRANDS, CorpusBrand};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;

impl CorpusBrand {
    /// The brand's made-up web host name: its name's letters and digits, lower case.
    fn host(&self) -> String {
        self.company
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase()
    }

    /// The brand profile (the placeholder for the brand without one).
    pub fn brand(&self) -> Option<Brand> {
        if self.placeholder {
            return None;
        }
        let host = self.host();
        Some(Brand {
            company_name: self.company.into(),
            product: self.product.into(),
            audience: self.audience.into(),
            value_propositions: self
                .value_propositions
                .iter()
                .map(|v| (*v).to_owned())
                .collect(),
            tone: self.tone,
            cta_text: self.cta.into(),
            cta_url: format!("https://{host}.example/start"),
            primary_color: "#1f4e79".into(),
            accent_color: "#f2a900".into(),
            sign_off: format!("The {} team", self.company),
            postal_address: format!("{}, 1 High Street, Springfield", self.company),
            unsubscribe_text: "Unsubscribe".into(),
            market: self.market,
            double_opt_in: None,
            industry: None,
            vertical: self.vertical,
            story: self.story(),
        })
    }

    /// The brand's story material: complete for most brands, left out for the empathetic-toned
    /// ones (so the writer is also run without any of it).
    pub fn story(&self) -> BrandStory {
        if self.tone == Tone::Empathetic {
            return BrandStory::default();
        }
        let host = self.host();
        // Story material a brand of this world would write.
        let (pain, plan, adds, reward, incentive, name, role) = match self.vertical {
            Some(Vertical::FoodDrink) => (
                "stale supermarket bread".to_owned(),
                "Family Box",
                "a second loaf each week and first pick of seasonal bakes",
                "a free loaf",
                "a free coffee",
                "Priya Shah",
                "Subscriber since 2024",
            ),
            Some(Vertical::Retail) => (
                "sizes that never quite fit".to_owned(),
                "Members' Club",
                "early access to new collections and free returns",
                "£10 off",
                "free delivery",
                "Jo Evans",
                "Customer since 2023",
            ),
            Some(Vertical::LocalServices) => (
                "waiting in all day for someone who never turns up".to_owned(),
                "Annual Care",
                "a yearly service visit and priority call-outs",
                "£20 off your next job",
                "10% off your next booking",
                "Dave Morgan",
                "Customer since 2022",
            ),
            Some(Vertical::Health) => (
                "waiting weeks for an appointment".to_owned(),
                "Family Care",
                "appointments for the whole family under one membership",
                "a free check-up",
                "a free review appointment",
                "Amira Khan",
                "Patient since 2021",
            ),
            Some(Vertical::Fitness) => (
                "workouts that never stick".to_owned(),
                "Premium",
                "unlimited classes and a monthly session with a coach",
                "a free month",
                "a half-price month",
                "Tom Reid",
                "Member since 2024",
            ),
            Some(Vertical::Nonprofit) => (
                "feeling that one person can't make a difference".to_owned(),
                "Guardian Circle",
                "quarterly updates from the rescue team and an annual open day",
                "a thank-you card from the team",
                "a behind-the-scenes visit",
                "Helen Price",
                "Supporter since 2019",
            ),
            Some(Vertical::Education) => (
                "courses that never get finished".to_owned(),
                "Mentor Track",
                "a personal mentor and weekly feedback on your work",
                "a free lesson",
                "a free catch-up session",
                "Lena Novak",
                "Student since 2024",
            ),
            Some(Vertical::Hospitality) => (
                "holidays that need a holiday afterwards".to_owned(),
                "Explorer",
                "late checkout and a room upgrade when one is free",
                "£50 off your next stay",
                "a free night",
                "Mark Hughes",
                "Guest since 2023",
            ),
            Some(Vertical::ProfessionalServices) => (
                "paperwork that eats your evenings".to_owned(),
                "Partner",
                "a named adviser and quarterly planning reviews",
                "a free consultation",
                "a free accounts review",
                "Sam Patel",
                "Client since 2021",
            ),
            Some(Vertical::B2bSoftware) | None => (
                format!("chasing {} by hand", self.lead_unit),
                "Premium",
                "priority support and custom reports",
                "a free month",
                "15% off your next renewal",
                "Sam Patel",
                "Customer since 2024",
            ),
        };
        BrandStory {
            short_benefits: self
                .value_propositions
                .iter()
                .filter(|v| v.chars().count() <= 30)
                .map(|v| crate::brief::capitalize(v))
                .collect(),
            pains: vec![pain],
            proof_points: vec![format!("Chosen by {} across the country", self.customers)],
            testimonials: vec![Testimonial {
                quote: format!("{} made it simple from the first week.", self.company),
                name: name.into(),
                role: role.into(),
            }],
            offers: Offers {
                upgrade_plan: Some(plan.into()),
                upgrade_adds: Some(adds.into()),
                upgrade_url: Some(format!("https://{host}.example/premium")),
                referral_reward: Some(reward.into()),
                winback_incentive: Some(incentive.into()),
            },
            login_url: Some(format!("https://{host}.example/login")),
        }
    }

    /// The internal objective of a campaign of `campaign_type`: numbers, deadlines and KPIs
    /// that must never reach the audience.
    pub fn objective(&self, campaign_type: CampaignType) -> String {
        match campaign_type {
            CampaignType::LeadGen => format!("Get 40 {} by March", self.lead_unit),
            CampaignType::BrandAwareness => {
                format!("Make 50,000 people aware of {} by Q3", self.company)
            }
            CampaignType::ClientRetention => {
                format!("Keep 95% of {} before the end of the year", self.customers)
            }
            CampaignType::ReEngagement => {
                format!("Win back 300 lapsed {} within 60 days", self.customers)
            }
            CampaignType::Upsell => {
                format!("Move 120 {} to the premium plan by June", self.customers)
            }
            CampaignType::Referral => {
                format!("Get 200 referrals from happy {} by April", self.customers)
            }
        }
    }
}

/// A campaign of `campaign_type` for corpus brand number `index`.
pub fn campaign(index: usize, campaign_type: CampaignType) -> Campaign {
    let at = Utc
        .with_ymd_and_hms(2027, 1, 4, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let type_index = CampaignType::ALL
        .iter()
        .position(|t| *t == campaign_type)
        .unwrap_or(0) as u128;
    Campaign {
        id: CampaignId::from_uuid(uuid::Uuid::from_u128(
            0x0194_0000_0000_7000_8000_0000_0000_0000 + (index as u128) * 16 + type_index,
        )),
        org_id: OrgId::from_uuid(uuid::Uuid::from_u128(
            0x0194_0000_0000_7000_8000_0000_0000_ffff,
        )),
        campaign_type,
        objective: BRANDS[index % BRANDS.len()].objective(campaign_type),
        status: CampaignStatus::Draft,
        performance: serde_json::json!({}),
        plan: CampaignPlan {
            channels: vec![
                Channel::Email,
                Channel::Linkedin,
                Channel::X,
                Channel::Facebook,
                Channel::Instagram,
            ],
            ..CampaignPlan::default()
        },
        created_at: at,
        updated_at: at,
    }
}

/// Every brief of the corpus: each brand × campaign type × seed.
pub fn briefs(seeds: &[u64]) -> Vec<Brief> {
    let mut out = Vec::new();
    for (index, b) in BRANDS.iter().enumerate() {
        for &campaign_type in CampaignType::ALL {
            for &seed in seeds {
                out.push(Brief::new(campaign(index, campaign_type), b.brand(), seed));
            }
        }
    }
    out
}

/// What a writer did over the corpus.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Assets written.
    pub assets: usize,
    /// Findings per rule.
    pub by_rule: BTreeMap<Rule, usize>,
    /// Failed limit checks.
    pub limit_failures: usize,
    /// The first failed limit checks (at most 20): the asset and what failed.
    pub limit_examples: Vec<(String, String)>,
    /// The first findings of each rule (at most 5 per rule), with the brand and asset.
    pub examples: Vec<(String, Finding)>,
    /// Every sentence written: its brand, seed, campaign type and asset type, and the text.
    pub sentences: Vec<WrittenSentence>,
}

/// One sentence the writer wrote for the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSentence {
    /// The brand's name.
    pub brand: String,
    /// The seed.
    pub seed: u64,
    /// The campaign type and asset type, e.g. `referral/email_sequence`.
    pub asset: String,
    /// The sentence.
    pub text: String,
}

impl Report {
    /// Findings of every rule.
    pub fn findings(&self) -> usize {
        self.by_rule.values().sum()
    }

    /// Adds one asset's findings and limit failures.
    pub fn add(&mut self, label: &str, findings: Vec<Finding>, limit_failures: usize) {
        self.assets += 1;
        self.limit_failures += limit_failures;
        for finding in findings {
            let seen = self.by_rule.entry(finding.rule).or_default();
            *seen += 1;
            if *seen <= 5 {
                self.examples.push((label.to_owned(), finding));
            }
        }
    }

    /// The share of sentences (at least four words) that another brand's copy also holds word
    /// for word, and the first few of them.
    pub fn cross_brand_identical(&self) -> (f64, Vec<String>) {
        let mut brands: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
        let counted: Vec<&WrittenSentence> = self
            .sentences
            .iter()
            .filter(|s| s.text.split_whitespace().count() >= 4)
            .collect();
        for s in &counted {
            brands.entry(&s.text).or_default().insert(&s.brand);
        }
        let shared: Vec<&&WrittenSentence> = counted
            .iter()
            .filter(|s| brands.get(s.text.as_str()).is_some_and(|b| b.len() > 1))
            .collect();
        let mut examples: Vec<String> = shared.iter().map(|s| s.text.clone()).collect();
        examples.sort();
        examples.dedup();
        examples.truncate(40);
        (shared.len() as f64 / counted.len().max(1) as f64, examples)
    }

    /// The share of the sentences (at least four words, as for
    /// [`Report::cross_brand_identical`]: button labels and one-word answers are not counted)
    /// written with seed `a` that the same brand's same asset does not hold with seed `b`.
    pub fn seed_difference(&self, a: u64, b: u64) -> f64 {
        let of_b: std::collections::BTreeSet<(&str, &str, &str)> = self
            .sentences
            .iter()
            .filter(|s| s.seed == b)
            .map(|s| (s.brand.as_str(), s.asset.as_str(), s.text.as_str()))
            .collect();
        let of_a: Vec<&WrittenSentence> = self
            .sentences
            .iter()
            .filter(|s| s.seed == a && s.text.split_whitespace().count() >= 4)
            .collect();
        let differing = of_a
            .iter()
            .filter(|s| !of_b.contains(&(s.brand.as_str(), s.asset.as_str(), s.text.as_str())))
            .count();
        differing as f64 / of_a.len().max(1) as f64
    }

    /// A Markdown table row per rule: `| rule | count |`.
    pub fn table_rows(&self) -> Vec<(Rule, usize)> {
        Rule::ALL
            .iter()
            .map(|r| (*r, self.by_rule.get(r).copied().unwrap_or(0)))
            .collect()
    }
}

/// Calls `each` with every brief's lint context, each asset type's spec, what `write` wrote for
/// it and its label (brand, campaign type, asset type and seed).
fn each_asset(
    briefs: &[Brief],
    mut write: impl FnMut(&Brief, &CopySpec) -> AssetCopy,
    mut each: impl FnMut(&Brief, &LintContext, &CopySpec, AssetCopy, String),
) {
    for brief in briefs {
        let ctx = LintContext::new(brief);
        for &asset_type in brief.campaign.campaign_type.asset_types() {
            let spec = CopySpec::new(
                asset_type,
                brief.campaign.campaign_type,
                &brief.campaign.plan.channels,
            );
            let label = format!(
                "{} / {} / {} / seed {}",
                brief.brand.company_name,
                brief.campaign.campaign_type.as_str(),
                asset_type.as_str(),
                brief.seed
            );
            let copy = write(brief, &spec);
            each(brief, &ctx, &spec, copy, label);
        }
    }
}

/// Every finding of `write` over the corpus, each with its brand, campaign type, asset type
/// and seed.
pub fn run_all(
    briefs: &[Brief],
    write: impl FnMut(&Brief, &CopySpec) -> AssetCopy,
) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    each_asset(briefs, write, |_, ctx, _, copy, label| {
        for finding in lint(&copy, ctx) {
            out.push((label.clone(), finding));
        }
    });
    out
}

/// Runs `write` over every brief and asset type of the corpus and lints what it wrote.
pub fn run(briefs: &[Brief], write: impl FnMut(&Brief, &CopySpec) -> AssetCopy) -> Report {
    let mut report = Report::default();
    each_asset(briefs, write, |brief, ctx, spec, copy, label| {
        let checks = copy.check(spec);
        let failed = checks.failures();
        let limits = failed.len();
        for check in failed {
            if report.limit_examples.len() < 20 {
                report.limit_examples.push((
                    label.clone(),
                    format!(
                        "{} is {} (allowed {}..={})",
                        check.field, check.length, check.min, check.max
                    ),
                ));
            }
        }
        report.add(&label, lint(&copy, ctx), limits);
        let asset = format!(
            "{}/{}",
            brief.campaign.campaign_type.as_str(),
            spec.asset_type.as_str()
        );
        report.sentences.extend(
            copy_sentences(&copy)
                .into_iter()
                .map(|text| WrittenSentence {
                    brand: brief.brand.company_name.clone(),
                    seed: brief.seed,
                    asset: asset.clone(),
                    text,
                }),
        );
    });
    report
}
