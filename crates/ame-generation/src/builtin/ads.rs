//! Ad copy: Google responsive search ads and Meta ads.

use super::{Chooser, Slots, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{AdCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

/// Most headlines a responsive search ad takes.
const RSA_MAX_HEADLINES: usize = 15;

/// Up to `max` characters of whole words of `text` as a display path (`month-end-close`);
/// empty when even the first word is longer.
fn path(text: &str, max: usize) -> String {
    let mut out = String::new();
    for word in text
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let extra = usize::from(!out.is_empty());
        if out.len() + extra + word.len() > max {
            break;
        }
        if extra == 1 {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
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
    if let Some(pain) = s.pains.first() {
        candidates.push(format!("No more {}", crate::brief::lowercase_first(pain)));
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
        "Try {company}",
        "Meet {company}",
        "Get Started Today",
        "Find Out More",
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
    let rsa_descriptions = c.angles(
        "rsa_descriptions",
        &[
            &[
                "{company} helps you {b}. {cta} today.",
                "With {company} you {b}. {cta} today.",
            ],
            &[
                "{B}, with {company}. Find out how.",
                "See how {company} helps you {b}.",
            ],
            &[
                "{Product} for {audience}. Talk to our team.",
                "{company}: {product}, made simple.",
            ],
            &[
                "Clear pricing and a team that answers. Start with {company}.",
                "Simple to start, easy to keep using. Try {company}.",
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
        &headlines(t),
        s,
        l::META_HEADLINE,
        VARIANTS,
    );
    let primary_pools = subheadlines(t);
    let meta_description: Vec<String> = c
        .labels(
            &[
                "{cta} today",
                "{company}",
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
                    "Meet {company}, {product} for {audience}.",
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
