//! What the lint knows about the campaign it reads: the brand's own words and numbers, the
//! objective's phrases that must stay internal, the vertical's banned words, and the word lists
//! that depend on the market.

use super::numbers;
use crate::brief::Brief;
use ame_domain::Brand;
use std::collections::HashSet;

/// What the lint needs to know about the campaign.
#[derive(Debug, Clone)]
pub struct LintContext {
    /// The brand's name.
    pub company: String,
    /// Whether the brand profile is complete (not the placeholder).
    pub brand_complete: bool,
    /// Phrases from the internal objective that must not reach the audience (lower case).
    pub brief_phrases: Vec<String>,
    /// Numbers from the internal objective that the brand does not also claim.
    pub brief_numbers: Vec<String>,
    /// Words that start a sentence and so, capitalised mid-sentence, show a seam (the call to
    /// action's first word among them).
    pub sentence_starters: Vec<String>,
    /// Whether the brand sells to consumers (business vocabulary is then a finding).
    pub consumer: bool,
    /// Everything the brand profile says, lower case: what the operator wrote there (an HTML
    /// tag in a product name, say) is quoted, not junk a model made up.
    pub brand_text: String,
    /// The numbers the brand's own words hold.
    pub brand_numbers: Vec<String>,
    /// Words the brand's vertical never uses (lower case).
    pub banned: Vec<String>,
}

/// Operator notes that must never reach a public page.
pub const PUBLIC_PLACEHOLDERS: [&str; 4] = [
    "will appear here",
    "once you add",
    "set your brand profile",
    "add customer quotes",
];

/// Words that speak to a business buyer, out of place in copy for consumers.
pub const BUSINESS_WORDS: [&str; 7] = [
    "work email",
    "headcount",
    "your team",
    "colleague",
    "your company",
    "your business",
    "your organization",
];

impl LintContext {
    /// The context of `brief`.
    pub fn new(brief: &Brief) -> Self {
        let brand_text = brand_text(&brief.brand).to_lowercase();
        let brand_numbers: HashSet<String> = numbers(&brand_text).into_iter().collect();
        let objective = &brief.objective;
        let mut brief_phrases: Vec<String> = [
            objective.target.as_deref(),
            objective.deadline.as_deref(),
            Some(objective.outcome.as_str()).filter(|o| o.split_whitespace().count() >= 3),
        ]
        .into_iter()
        .flatten()
        .map(str::to_lowercase)
        .filter(|p| !brand_text.contains(p.as_str()))
        .collect();
        brief_phrases.dedup();
        let brief_numbers = numbers(&brief.campaign.objective.to_lowercase())
            .into_iter()
            .filter(|n| !brand_numbers.contains(n))
            .collect();
        Self {
            company: brief.brand.company_name.clone(),
            brand_complete: !brief.brand_is_placeholder,
            brief_phrases,
            brief_numbers,
            sentence_starters: sentence_starters(&brief.brand.cta_text),
            consumer: brief.brand.market == ame_domain::Market::Consumer,
            brand_numbers: brand_numbers.into_iter().collect(),
            banned: crate::playbook::Playbook::for_brand(&brief.brand)
                .banned()
                .to_vec(),
            brand_text,
        }
    }
}

/// Common sentence openers plus the first word of `cta`.
pub fn sentence_starters(cta: &str) -> Vec<String> {
    let mut out: Vec<String> = [
        "Before", "After", "Here", "We", "You", "Your", "It", "The", "This", "Get", "See", "Start",
        "Learn", "Try", "Join", "Give", "Book", "Make",
    ]
    .iter()
    .map(|w| (*w).to_owned())
    .collect();
    if let Some(first) = cta.split_whitespace().next()
        && !out.iter().any(|w| w == first)
    {
        out.push(first.to_owned());
    }
    out
}

fn brand_text(brand: &Brand) -> String {
    let mut parts = vec![
        brand.company_name.as_str(),
        brand.product.as_str(),
        brand.audience.as_str(),
        brand.cta_text.as_str(),
        brand.postal_address.as_str(),
        brand.sign_off.as_str(),
    ];
    parts.extend(brand.value_propositions.iter().map(String::as_str));
    let story = &brand.story;
    parts.extend(story.short_benefits.iter().map(String::as_str));
    parts.extend(story.pains.iter().map(String::as_str));
    parts.extend(story.proof_points.iter().map(String::as_str));
    parts.extend(
        story
            .testimonials
            .iter()
            .flat_map(|t| [t.quote.as_str(), t.name.as_str(), t.role.as_str()]),
    );
    parts.extend(
        [
            &story.offers.upgrade_plan,
            &story.offers.upgrade_adds,
            &story.offers.referral_reward,
            &story.offers.winback_incentive,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str),
    );
    parts.join(" \n ")
}
