//! Social post copy for LinkedIn, X, Facebook and Instagram, with shared hashtags.

use super::{Chooser, Slots, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{SocialCopy, VARIANTS};
use crate::limits::{self as l, fit};
use ame_domain::CampaignType;

/// Two or three hashtags: company, product and one per campaign type.
fn hashtags(s: &Slots, t: CampaignType) -> Vec<String> {
    let camel = |text: &str| -> String {
        text.split(|ch: char| !ch.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(3)
            .map(capitalize)
            .collect()
    };
    let mut tags: Vec<String> = Vec::new();
    for candidate in [
        camel(&s.company),
        camel(&s.product),
        match t {
            CampaignType::LeadGen => "Productivity".to_owned(),
            CampaignType::BrandAwareness => "NewBrand".to_owned(),
            CampaignType::ClientRetention => "CustomerSuccess".to_owned(),
            CampaignType::ReEngagement => "WhatsNew".to_owned(),
            CampaignType::Upsell => "LevelUp".to_owned(),
            CampaignType::Referral => "ReferAFriend".to_owned(),
        },
    ] {
        let tag = format!("#{}", candidate.chars().take(30).collect::<String>());
        if candidate.chars().count() >= 2 && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() < 2 {
        tags.push("#Marketing".to_owned());
    }
    tags
}

/// Post variants for every platform, sharing one set of hashtags.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> SocialCopy {
    let tags = hashtags(s, t);
    let tag_line = tags.join(" ");
    let hooks = headlines(t);
    let linkedin: Vec<String> = c
        .pick("linkedin.hook", hooks, s, l::LINKEDIN_HOOK, VARIANTS)
        .into_iter()
        .map(|hook| {
            let body = s.fill(
                "Most {audience} we talk to want the same thing: to {vp1}.\n\nHere's what we've learned:\n→ {Vp1}\n→ {Vp2}\n→ {Vp3}\n\n{company} makes {product} so you can do all three. {cta}: the link is in the comments.",
            );
            fit(&format!("{hook}\n\n{body}\n\n{tag_line}"), l::LINKEDIN_POST)
        })
        .collect();
    let x: Vec<String> = c
        .pick("x", subheadlines(t), s, l::X_POST, VARIANTS)
        .into_iter()
        .map(|text| {
            let with_tags = format!("{text} {tag_line}");
            if l::x_weighted(&with_tags) <= l::X_POST {
                with_tags
            } else {
                fit(&text, l::X_POST / 2)
            }
        })
        .collect();
    let facebook = c.pick(
        "facebook",
        &[
            "{Vp1}. {cta}{!}",
            "{Audience}: {vp1} with {company}.",
            "Want to {vp1}? {company} can help.",
            "{company} helps you {vp1}.",
        ],
        s,
        l::FACEBOOK_PRIMARY,
        VARIANTS,
    );
    let instagram: Vec<String> = c
        .pick("instagram.hook", hooks, s, l::INSTAGRAM_HOOK, VARIANTS)
        .into_iter()
        .map(|hook| {
            fit(
                &format!(
                    "{hook}\n\n{}\n\n{tag_line}",
                    s.fill("{company} helps {audience} {vp1}. Link in bio to {cta}.")
                ),
                l::INSTAGRAM_CAPTION,
            )
        })
        .collect();
    SocialCopy {
        linkedin,
        x,
        facebook,
        instagram,
        hashtags: tags,
    }
}
