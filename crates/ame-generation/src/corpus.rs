//! The copy lint corpus: 22 brands of different industries, tones and markets, each with an
//! internal objective per campaign type, run through a writer and counted by lint rule.

use crate::brief::Brief;
use crate::copy::{AssetCopy, CopySpec};
use crate::lint::{Finding, LintContext, Rule, lint};
use ame_domain::{
    Brand, BrandStory, Campaign, CampaignId, CampaignPlan, CampaignStatus, CampaignType, Channel,
    Market, Offers, OrgId, Testimonial, Tone,
};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;

/// One brand of the corpus.
#[derive(Debug, Clone, Copy)]
pub struct CorpusBrand {
    /// Company name.
    pub company: &'static str,
    /// Product or offer.
    pub product: &'static str,
    /// Who it is for.
    pub audience: &'static str,
    /// Value propositions (verb phrases and noun phrases both occur).
    pub value_propositions: &'static [&'static str],
    /// Voice.
    pub tone: Tone,
    /// Call to action.
    pub cta: &'static str,
    /// What the objective counts for lead generation, e.g. `demos`.
    pub lead_unit: &'static str,
    /// What customers are called in objectives, e.g. `patients`.
    pub customers: &'static str,
    /// Whether the brand is left as the placeholder (a missing profile).
    pub placeholder: bool,
    /// Whom it sells to.
    pub market: Market,
}

const fn brand(
    company: &'static str,
    product: &'static str,
    audience: &'static str,
    value_propositions: &'static [&'static str],
    tone: Tone,
    cta: &'static str,
    [lead_unit, customers]: [&'static str; 2],
) -> CorpusBrand {
    CorpusBrand {
        company,
        product,
        audience,
        value_propositions,
        tone,
        cta,
        lead_unit,
        customers,
        placeholder: false,
        market: Market::Business,
    }
}

/// A consumer brand.
const fn consumer(brand: CorpusBrand) -> CorpusBrand {
    CorpusBrand {
        market: Market::Consumer,
        ..brand
    }
}

/// The corpus.
pub const BRANDS: [CorpusBrand; 22] = [
    brand(
        "Ledgerly",
        "automated month-end close software",
        "finance teams at mid-sized companies",
        &[
            "close the books in 3 days instead of 10",
            "catch reconciliation errors before auditors do",
            "give your team time back for analysis",
        ],
        Tone::Professional,
        "Book a demo",
        ["demos", "controllers"],
    ),
    consumer(brand(
        "Brightside Dental",
        "family dental care",
        "parents in Leeds",
        &[
            "see a dentist within 48 hours",
            "pay monthly with no interest",
        ],
        Tone::Friendly,
        "Book a check-up",
        ["new patient bookings", "patients"],
    )),
    // A name ending in "Co." (a slot before a full stop) and one starting with a vowel sound
    // ("an Attestly customer"), for the grammar layer.
    consumer(brand(
        "Crumb & Co.",
        "a weekly sourdough subscription delivered to your door",
        "bread lovers in Manchester",
        &[
            "wake up to a fresh sourdough loaf every Saturday",
            "pause or skip a week whenever you like",
        ],
        Tone::Friendly,
        "Start my subscription",
        ["new subscribers", "subscribers"],
    )),
    brand(
        "Attestly",
        "SOC 2 compliance automation",
        "founders of seed-stage software companies",
        &[
            "get audit-ready for SOC 2 in weeks, not months",
            "an auditor-approved policy library",
        ],
        Tone::Professional,
        "Book a demo",
        ["demos", "customers"],
    ),
    consumer(brand(
        "Kettle & Crumb",
        "a neighbourhood bakery and café",
        "coffee lovers in Bristol",
        &[
            "fresh sourdough every morning",
            "get your tenth coffee free",
            "order ahead and skip the queue",
        ],
        Tone::Playful,
        "Order ahead",
        ["first orders", "regulars"],
    )),
    brand(
        "Shiftwise",
        "staff scheduling for restaurants",
        "restaurant owners",
        &[
            "build next week's rota in ten minutes",
            "cut overtime costs",
            "let staff swap shifts from their phones",
        ],
        Tone::Bold,
        "Start free trial",
        ["trials", "restaurants"],
    ),
    brand(
        "Northwind Legal",
        "employment law advice",
        "small business owners",
        &[
            "fixed-fee advice with no surprises",
            "answers within one working day",
        ],
        Tone::Professional,
        "Get a quote",
        ["enquiries", "clients"],
    ),
    consumer(brand(
        "PawPal",
        "dog walking and pet sitting",
        "busy dog owners in Manchester",
        &[
            "vetted walkers you can track live",
            "book a walk in two taps",
            "photos after every walk",
        ],
        Tone::Playful,
        "Book a walk",
        ["bookings", "dog owners"],
    )),
    consumer(brand(
        "Clearpath Physio",
        "physiotherapy clinics",
        "runners and desk workers",
        &[
            "get moving without pain",
            "same-week appointments",
            "exercise plans you can follow at home",
        ],
        Tone::Empathetic,
        "Book an assessment",
        ["assessments", "patients"],
    )),
    brand(
        "Stackline",
        "cloud cost monitoring",
        "platform engineering teams",
        &[
            "find idle resources automatically",
            "alerts before the bill arrives",
            "cut cloud spend by a fifth",
        ],
        Tone::Professional,
        "Request a demo",
        ["demos", "engineering teams"],
    ),
    consumer(brand(
        "Greenleaf Grocer",
        "organic grocery delivery",
        "households in Dublin",
        &[
            "local produce delivered the same day",
            "no plastic packaging",
            "skip a week whenever you like",
        ],
        Tone::Friendly,
        "Order now",
        ["first orders", "households"],
    )),
    consumer(brand(
        "Atlas Fitness",
        "a gym with classes",
        "adults who want to get fit",
        &[
            "classes every hour from 6am",
            "a coach who checks in weekly",
            "no joining fee",
        ],
        Tone::Bold,
        "Try a free class",
        ["free class sign-ups", "members"],
    )),
    consumer(brand(
        "Quillbox",
        "an online writing course",
        "aspiring novelists",
        &[
            "finish your first draft",
            "weekly feedback from published authors",
            "learn at your own pace",
        ],
        Tone::Empathetic,
        "Enrol now",
        ["enrolments", "students"],
    )),
    consumer(brand(
        "Harbor Insurance",
        "home and contents insurance",
        "first-time home buyers",
        &[
            "cover that starts the day you move in",
            "claims settled within ten days",
        ],
        Tone::Professional,
        "Get a quote",
        ["quotes", "policyholders"],
    )),
    consumer(brand(
        "Tinkerly",
        "STEM kits for kids",
        "parents of curious 8 to 12 year olds",
        &[
            "a new build-it project every month",
            "screen-free learning",
            "everything in the box",
        ],
        Tone::Playful,
        "Get the first box",
        ["subscriptions", "families"],
    )),
    brand(
        "Fieldnote",
        "CRM for independent architects",
        "small architecture studios",
        &[
            "keep every client conversation in one place",
            "send fee proposals in minutes",
        ],
        Tone::Friendly,
        "Start free trial",
        ["trials", "studios"],
    ),
    consumer(brand(
        "Solace Care",
        "home care for older people",
        "families arranging care for a parent",
        &[
            "the same carer every visit",
            "care plans reviewed every month",
            "a named manager you can call",
        ],
        Tone::Empathetic,
        "Arrange a visit",
        ["care assessments", "families"],
    )),
    consumer(brand(
        "Voltway",
        "home EV charger installation",
        "new electric car owners",
        &[
            "installed within a week",
            "a fixed price with no hidden extras",
            "smart charging on cheaper tariffs",
        ],
        Tone::Bold,
        "Get a quote",
        ["installation quotes", "drivers"],
    )),
    brand(
        "Lumen Analytics",
        "product analytics",
        "product managers at SaaS companies",
        &[
            "see where users drop off",
            "answers without writing SQL",
            "share dashboards with the whole team",
        ],
        Tone::Professional,
        "Book a demo",
        ["demos", "product teams"],
    ),
    consumer(brand(
        "Wander & Co",
        "small-group walking holidays",
        "active retirees",
        &[
            "routes planned by local guides",
            "luggage moved for you every day",
            "groups of twelve or fewer",
        ],
        Tone::Friendly,
        "See the trips",
        ["holiday enquiries", "travellers"],
    )),
    brand(
        "Pinecrest Accounting",
        "bookkeeping and tax returns",
        "freelancers and sole traders",
        &[
            "your tax return filed on time",
            "a fixed monthly fee",
            "an accountant who answers the phone",
        ],
        Tone::Empathetic,
        "Book a call",
        ["consultations", "clients"],
    ),
    CorpusBrand {
        placeholder: true,
        ..brand(
            "Your Company",
            "your product",
            "your customers",
            &[],
            Tone::Friendly,
            "Learn more",
            ["leads", "customers"],
        )
    },
];

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
        BrandStory {
            short_benefits: self
                .value_propositions
                .iter()
                .filter(|v| v.chars().count() <= 30)
                .map(|v| crate::brief::capitalize(v))
                .collect(),
            pains: vec![format!("chasing {} by hand", self.lead_unit)],
            proof_points: vec![format!("Chosen by {} across the country", self.customers)],
            testimonials: vec![Testimonial {
                quote: format!("{} made it simple from the first week.", self.company),
                name: "Sam Patel".into(),
                role: "Customer since 2024".into(),
            }],
            offers: Offers {
                upgrade_plan: Some("Premium".into()),
                upgrade_url: Some(format!("https://{host}.example/premium")),
                referral_reward: Some("a free month".into()),
                winback_incentive: Some("15% off your next order".into()),
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

    /// A Markdown table row per rule: `| rule | count |`.
    pub fn table_rows(&self) -> Vec<(Rule, usize)> {
        Rule::ALL
            .iter()
            .map(|r| (*r, self.by_rule.get(r).copied().unwrap_or(0)))
            .collect()
    }
}

/// Runs `write` over every brief and asset type of the corpus and lints what it wrote.
pub fn run(briefs: &[Brief], mut write: impl FnMut(&Brief, &CopySpec) -> AssetCopy) -> Report {
    let mut report = Report::default();
    for brief in briefs {
        let ctx = LintContext::new(brief);
        for &asset_type in brief.campaign.campaign_type.asset_types() {
            let spec = CopySpec::new(
                asset_type,
                brief.campaign.campaign_type,
                &brief.campaign.plan.channels,
            );
            let copy = write(brief, &spec);
            let checks = copy.check(&spec);
            let failed = checks.failures();
            let limits = failed.len();
            let label = format!(
                "{} / {} / {} / seed {}",
                brief.brand.company_name,
                brief.campaign.campaign_type.as_str(),
                asset_type.as_str(),
                brief.seed
            );
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
            report.add(&label, lint(&copy, &ctx), limits);
        }
    }
    report
}
