//! The brief every generator works from: the campaign, the brand, and what the objective says.

use ame_domain::{Brand, Campaign};
use serde::Serialize;

/// What a campaign's objective says, read from the marketer's own sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectiveParts {
    /// The outcome wanted, e.g. `book 40 demos`.
    pub outcome: String,
    /// A number in the objective with what it counts, e.g. `40 demos`.
    pub target: Option<String>,
    /// Who it is for, e.g. `finance teams`, when the objective names them.
    pub audience: Option<String>,
    /// The deadline, e.g. `by March`, when the objective names one.
    pub deadline: Option<String>,
}

const AUDIENCE_WORDS: [&str; 5] = ["for", "with", "among", "from", "at"];
const DEADLINE_WORDS: [&str; 6] = ["by", "before", "until", "within", "in", "this"];
const TIME_WORDS: [&str; 28] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "q1",
    "q2",
    "q3",
    "q4",
    "end",
    "days",
    "weeks",
    "months",
    "quarter",
    "year",
    "month",
    "week",
    "spring",
    "summer",
    "autumn",
    "winter",
];

/// Reads outcome, target, audience and deadline out of an objective sentence.
pub fn parse_objective(objective: &str) -> ObjectiveParts {
    let cleaned: String = objective
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let lower: Vec<String> = words
        .iter()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    let is_time = |i: usize| {
        lower.get(i).is_some_and(|w| {
            TIME_WORDS.contains(&w.as_str())
                || w.chars().all(|c| c.is_ascii_digit())
                    && (w.len() == 4
                        || lower
                            .get(i + 1)
                            .is_some_and(|n| TIME_WORDS.contains(&n.as_str())))
                || w == "the"
                    && lower
                        .get(i + 1)
                        .is_some_and(|n| TIME_WORDS.contains(&n.as_str()))
        })
    };
    let deadline_at =
        (0..words.len()).find(|&i| DEADLINE_WORDS.contains(&lower[i].as_str()) && is_time(i + 1));
    let end = deadline_at.unwrap_or(words.len());
    let audience_at = (1..end).find(|&i| AUDIENCE_WORDS.contains(&lower[i].as_str()));
    let outcome_end = audience_at.unwrap_or(end);
    let join = |from: usize, to: usize| {
        words[from..to]
            .join(" ")
            .trim_end_matches(['.', ',', ';', ':', '!'])
            .to_owned()
    };
    let outcome = if outcome_end > 0 {
        join(0, outcome_end)
    } else {
        join(0, words.len())
    };
    let audience = audience_at
        .filter(|&i| i + 1 < end)
        .map(|i| join(i + 1, end))
        .filter(|a| !a.is_empty());
    let deadline = deadline_at
        .map(|i| join(i, words.len()))
        .filter(|d| !d.is_empty());
    let target = (0..outcome_end).find_map(|i| {
        let w = lower[i].trim_end_matches('%');
        let numeric = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
        (numeric && i + 1 < outcome_end).then(|| join(i, i + 2))
    });
    ObjectiveParts {
        outcome: lowercase_first(&outcome),
        target,
        audience,
        deadline,
    }
}

/// The text with its first letter in lower case, unless the first word is an acronym or name-like
/// (all caps, or capitals inside it).
pub fn lowercase_first(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or_default();
    let inner_caps = first_word.chars().skip(1).any(char::is_uppercase);
    if inner_caps {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text with its first letter in upper case.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Everything a generator needs for one campaign.
#[derive(Debug, Clone)]
pub struct Brief {
    /// The campaign.
    pub campaign: Campaign,
    /// The brand (a placeholder when the organization has none).
    pub brand: Brand,
    /// Whether `brand` is the placeholder.
    pub brand_is_placeholder: bool,
    /// What the objective says.
    pub objective: ObjectiveParts,
    /// Seed for every choice the built-in generator makes.
    pub seed: u64,
    /// The slug the campaign's page is already published under, kept so links already sent
    /// keep working after a rename.
    pub published_slug: Option<String>,
    /// The brand's logo, drawn on banners and shown on the landing page.
    pub logo: Option<std::sync::Arc<crate::Logo>>,
}

impl Brief {
    /// A brief for `campaign`, using `brand` or the marked placeholder.
    pub fn new(campaign: Campaign, brand: Option<Brand>, seed: u64) -> Self {
        let objective = parse_objective(&campaign.objective);
        let brand_is_placeholder = brand.is_none();
        Self {
            campaign,
            brand: brand.unwrap_or_else(Brand::placeholder),
            brand_is_placeholder,
            objective,
            seed,
            published_slug: None,
            logo: None,
        }
    }

    /// The same brief with the brand's logo.
    pub fn with_logo(mut self, logo: Option<std::sync::Arc<crate::Logo>>) -> Self {
        self.logo = logo;
        self
    }

    /// The same brief, keeping the page under `slug` (the one it is already published under).
    pub fn with_published_slug(mut self, slug: Option<String>) -> Self {
        self.published_slug = slug;
        self
    }

    /// Who the copy speaks to: the objective's audience, else the brand's.
    pub fn audience(&self) -> &str {
        self.objective
            .audience
            .as_deref()
            .unwrap_or(&self.brand.audience)
    }

    /// Where the campaign's call to action leads: the upgrade's page for upsell and the log-in
    /// page for re-engagement and retention (people who already buy) when the brand gives
    /// them, else the brand's own link.
    pub fn cta_url(&self) -> String {
        let story = &self.brand.story;
        let specific = match self.campaign.campaign_type {
            ame_domain::CampaignType::Upsell => story.offers.upgrade_url.clone(),
            ame_domain::CampaignType::ReEngagement | ame_domain::CampaignType::ClientRetention => {
                story.login_url.clone()
            }
            _ => None,
        };
        specific.unwrap_or_else(|| self.brand.cta_url.clone())
    }

    /// The campaign's display name: its name, else its objective.
    pub fn title(&self) -> &str {
        self.campaign
            .plan
            .name
            .as_deref()
            .unwrap_or(&self.campaign.objective)
    }

    /// The public slug of the campaign's landing page (and its links' `utm_campaign`): the one
    /// it is already published under, else its name — or, unnamed, its type — in lower-case
    /// words plus the last 8 hex digits of its id (the random part), so it is readable and
    /// unique. The objective is internal and never shows in an address.
    pub fn page_slug(&self) -> String {
        if let Some(published) = &self.published_slug {
            return published.clone();
        }
        let words = self
            .campaign
            .plan
            .name
            .clone()
            .unwrap_or_else(|| self.campaign.campaign_type.as_str().replace('_', " "));
        slug(
            &words,
            &self.campaign.id.as_uuid().simple().to_string()[24..],
        )
    }
}

/// `text` as lower-case ASCII words joined by hyphens (at most 60 characters), then `suffix`.
pub fn slug(text: &str, suffix: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > 60 {
            break;
        }
        out.push_str(&word.to_ascii_lowercase());
        out.push('-');
    }
    out.push_str(&suffix.to_ascii_lowercase());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_outcome_audience_and_deadline() {
        let p = parse_objective("Book 40 demos with finance teams by March");
        assert_eq!(p.outcome, "book 40 demos");
        assert_eq!(p.target.as_deref(), Some("40 demos"));
        assert_eq!(p.audience.as_deref(), Some("finance teams"));
        assert_eq!(p.deadline.as_deref(), Some("by March"));
    }

    #[test]
    fn objectives_without_parts_keep_the_whole_sentence() {
        let p = parse_objective("Grow newsletter signups.");
        assert_eq!(p.outcome, "grow newsletter signups");
        assert_eq!(p.audience, None);
        assert_eq!(p.deadline, None);
        let p = parse_objective("Win back lapsed donors within 30 days");
        assert_eq!(p.deadline.as_deref(), Some("within 30 days"));
        assert_eq!(p.outcome, "win back lapsed donors");
    }

    #[test]
    fn acronyms_keep_their_case() {
        assert_eq!(lowercase_first("SaaS signups"), "SaaS signups");
        assert_eq!(lowercase_first("Grow"), "grow");
    }

    #[test]
    fn an_unnamed_campaigns_address_never_shows_its_objective() {
        for brief in crate::corpus::briefs(&[1]) {
            let slug = brief.page_slug();
            let kind = brief.campaign.campaign_type.as_str().replace('_', "-");
            assert!(slug.starts_with(&format!("{kind}-")), "{slug}");
            let objective_words = brief
                .campaign
                .objective
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| w.len() > 3)
                .map(str::to_ascii_lowercase)
                .filter(|w| !kind.contains(w.as_str()));
            for word in objective_words {
                assert!(
                    !slug.split('-').any(|part| part == word),
                    "{word} in {slug}"
                );
            }
        }
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slug("Spring <Launch> \"2027\"!", "0a1b2c3d"),
            "spring-launch-2027-0a1b2c3d"
        );
        assert_eq!(slug("🚀🚀", "abc"), "abc");
    }
}
