//! Ad copy: Google responsive search ads and Meta ads.

use super::{Chooser, Slots, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{AdCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

/// Most headlines a responsive search ad takes.
const RSA_MAX_HEADLINES: usize = 15;

/// Words that name the kind of product rather than what it does; a display path leaves them
/// out when there is something more specific.
const GENERIC_NOUNS: [&str; 9] = [
    "software",
    "app",
    "platform",
    "tool",
    "tools",
    "solution",
    "solutions",
    "service",
    "services",
];

/// A display path of at most `max` characters from `text`: the longest run of its last whole
/// words that fits (`month-end-close` from "automated month-end close software"), a generic
/// last noun dropped first; hyphenated words stay whole. Empty when no word fits.
fn path(text: &str, max: usize) -> String {
    let mut words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '-')
                .collect::<String>()
                .trim_matches('-')
                .to_ascii_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| GENERIC_NOUNS.contains(&w.as_str()))
    {
        words.pop();
    }
    let mut best = String::new();
    for start in (0..words.len()).rev() {
        let candidate = words[start..].join("-");
        if candidate.len() > max {
            break;
        }
        best = candidate;
    }
    if best.is_empty() {
        best = words
            .into_iter()
            .find(|w| w.len() <= max)
            .unwrap_or_default();
    }
    best
}

/// Responsive search ad headlines (benefits first), descriptions and paths, and Meta variants.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> AdCopy {
    let mut candidates: Vec<String> = Vec::new();
    for short in &s.short {
        candidates.push(capitalize(short));
    }
    for b in &s.benefits {
        candidates.push(capitalize(&b.phrase));
        candidates.push(capitalize(&b.verb));
    }
    for pain in &s.pains {
        let pain = crate::brief::lowercase_first(pain);
        candidates.push(format!("No more {pain}"));
        candidates.push(format!("End {pain}"));
    }
    for short in &s.short {
        candidates.push(format!("{} with {}", capitalize(short), s.company));
        candidates.push(format!("{}: {}", s.company, capitalize(short)));
    }
    for template in [
        "{company}",
        "{cta}",
        "{Product}",
        "{company}: {cta}",
        "Made for {audience}",
        "Get Started Today",
        "Find Out More",
        "See How It Works",
        "Learn More",
        "{company} for {audience}",
    ] {
        candidates.push(s.fill(template));
    }
    let mut rsa_headlines: Vec<String> = Vec::new();
    for h in candidates {
        let fits = l::chars(&h) <= l::RSA_HEADLINE;
        if fits
            && rsa_headlines.len() < RSA_MAX_HEADLINES
            && !rsa_headlines.iter().any(|k| k.eq_ignore_ascii_case(&h))
        {
            rsa_headlines.push(h);
        }
    }
    let lines = subheadlines(s, t);
    let rsa_descriptions = c.angles(
        "rsa_descriptions",
        &[
            lines[0],
            lines[1],
            lines[2],
            &[
                "{company} helps you {b}.",
                "{B}, with {company}. Find out how.",
                "{company} is made for {audience}.",
                "Made for {audience}: {product} from {company}.",
            ],
        ],
        s,
        l::RSA_DESCRIPTION,
        4,
    );
    let rsa_paths: Vec<String> = [path(&s.product, l::RSA_PATH), path(&s.cta, l::RSA_PATH)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .fold(Vec::new(), |mut kept, p| {
            if !kept.contains(&p) {
                kept.push(p);
            }
            kept
        });
    let meta_headline: Vec<String> = c.angles(
        "meta_headline",
        &headlines(s, t),
        s,
        l::META_HEADLINE,
        VARIANTS,
    );
    let primary_pools = subheadlines(s, t);
    let meta_description: Vec<String> = c
        .labels(
            &[
                "{cta} today",
                "Find out more",
                "See how it works",
                "Start today",
                "No obligation",
                "Quick to start",
            ],
            s,
            l::META_DESCRIPTION,
            8,
        )
        .into_iter()
        .filter(|d| !meta_headline.iter().any(|h| h.eq_ignore_ascii_case(d)))
        .take(VARIANTS)
        .collect();
    AdCopy {
        rsa_headlines,
        rsa_descriptions,
        rsa_paths,
        meta_primary_text: c.angles_from(
            "meta_primary_text",
            &[
                primary_pools[1]
                    .iter()
                    .copied()
                    .filter(|p| p.contains("{company}"))
                    .collect::<Vec<_>>()
                    .as_slice(),
                &["{B}, with {company}. {cta}{!}", "{company} helps you {b}."],
                &[
                    "{company}: {product} for {audience}.",
                    "{Product} for {audience}, from {company}.",
                ],
            ],
            s,
            l::META_PRIMARY,
            VARIANTS,
            1,
        ),
        meta_headline,
        meta_description,
    }
}

#[cfg(test)]
mod tests {
    use super::path;

    #[test]
    fn display_paths_keep_whole_words_and_drop_generic_nouns() {
        assert_eq!(
            path("automated month-end close software", 15),
            "month-end-close"
        );
        assert_eq!(path("Book a demo", 15), "book-a-demo");
        assert_eq!(path("family dentistry", 15), "dentistry");
        assert_eq!(path("supercalifragilistic", 15), "");
        assert_eq!(path("Log in", 15), "log-in");
    }
}
