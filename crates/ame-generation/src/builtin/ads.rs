//! Ad copy: Google responsive search ads and Meta ads.

use super::{Chooser, Slots, headlines, subheadlines};
use crate::copy::{AdCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

/// Responsive search ad headlines, descriptions and paths, and Meta ad variants.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> AdCopy {
    let rsa_pool: Vec<&str> = vec![
        "{company}",
        "{Vp1}",
        "{Vp2}",
        "{Vp3}",
        "{cta}",
        "Built for {audience}",
        "Try {company} Today",
        "Get Started in Minutes",
        "See How It Works",
        "Made for {audience}",
        "Book Your Walkthrough",
        "Learn More Today",
    ];
    let mut rsa_headlines = c.pick("rsa_headlines", &rsa_pool, s, l::RSA_HEADLINE, 15);
    rsa_headlines.retain(|h| !h.ends_with('…'));
    rsa_headlines.truncate(8);
    for fallback in ["See How It Works", "Get Started Today", "Learn More"] {
        if rsa_headlines.len() < 3 && !rsa_headlines.iter().any(|h| h == fallback) {
            rsa_headlines.push(fallback.to_owned());
        }
    }
    let rsa_descriptions = c.pick(
        "rsa_descriptions",
        &[
            "{company} helps {audience} {vp1}. {cta} today.",
            "{Vp1} and {vp2} with {company}. Set up in minutes.",
            "Join {audience} who {vp1}. {cta}.",
            "{Product} that helps you {vp2}. Try {company}.",
        ],
        s,
        l::RSA_DESCRIPTION,
        4,
    );
    let path = |text: &str| -> String {
        text.split(|ch: char| !ch.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .take(l::RSA_PATH)
            .collect::<String>()
            .trim_end_matches('-')
            .to_lowercase()
    };
    let rsa_paths: Vec<String> = [path(&s.product), path(&s.cta)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    AdCopy {
        rsa_headlines,
        rsa_descriptions,
        rsa_paths,
        meta_primary_text: c.pick(
            "meta_primary_text",
            subheadlines(t),
            s,
            l::META_PRIMARY,
            VARIANTS,
        ),
        meta_headline: c.pick("meta_headline", headlines(t), s, l::META_HEADLINE, VARIANTS),
        meta_description: c.pick(
            "meta_description",
            &[
                "{cta} today",
                "Built for {audience}",
                "{company}",
                "See how it works",
                "Start in minutes",
            ],
            s,
            l::META_DESCRIPTION,
            VARIANTS,
        ),
    }
}
