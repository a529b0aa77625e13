//! Social post copy for LinkedIn, X, Facebook and Instagram, with shared hashtags.

use super::{Chooser, Slots, headlines, subheadlines};
use crate::brief::capitalize;
use crate::copy::{SocialCopy, VARIANTS};
use crate::grammar::hashtag;
use crate::limits as l;
use crate::lint::{MAX_VARIANT_SIMILARITY, jaccard};
use ame_domain::CampaignType;

/// Hashtags in whole words: the company, the product, and the campaign type's own where one
/// fits every kind of brand (thanks, news, referrals), with the audience's when that makes
/// fewer than two; nothing generic pads the list.
fn hashtags(s: &Slots, t: CampaignType) -> Vec<String> {
    let kind = match t {
        CampaignType::ClientRetention => Some("#ThankYou"),
        CampaignType::ReEngagement => Some("#WhatsNew"),
        CampaignType::Referral => Some("#ReferAFriend"),
        CampaignType::LeadGen | CampaignType::BrandAwareness | CampaignType::Upsell => None,
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in [
        hashtag(&s.company, HASHTAG_CHARS),
        hashtag(&s.product, HASHTAG_CHARS),
        kind.map(str::to_owned),
    ]
    .into_iter()
    .flatten()
    {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            tags.push(tag);
        }
    }
    // Two at least: the audience's words when the brand's gave only one.
    if tags.len() < 2
        && let Some(tag) = hashtag(&s.audience, HASHTAG_CHARS)
        && !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag))
    {
        tags.push(tag);
    }
    tags
}

/// The longest hashtag made from a brand's words, after the `#`.
const HASHTAG_CHARS: usize = 24;

/// The call-to-action sentence under a LinkedIn post, and the one under an Instagram caption.
fn cta_lines(t: CampaignType) -> (&'static str, &'static str) {
    match t {
        CampaignType::LeadGen => (
            "{cta} using the link in the comments.",
            "Tap the link in our bio to get started.",
        ),
        CampaignType::BrandAwareness => (
            "Find out more using the link in the comments.",
            "Tap the link in our bio to find out more.",
        ),
        CampaignType::ReEngagement => (
            "{cta}: the link is in the comments.",
            "Tap the link in our bio to see what's waiting.",
        ),
        CampaignType::Referral => (
            "Your personal invite link is in your latest email from us.",
            "Your invite link is in your latest email from us. Tap the link in our bio for details.",
        ),
        CampaignType::ClientRetention | CampaignType::Upsell => (
            "Details are in the comments.",
            "Tap the link in our bio for details.",
        ),
    }
}

/// The body of a LinkedIn post or Instagram caption written from angle `k` (pain and relief,
/// what you get, who it is for).
fn post_body(k: usize, s: &Slots) -> String {
    match k {
        0 => {
            // The vertical's own problem, then what the brand offers against it.
            let problem = s
                .playbook
                .file
                .video
                .problem
                .options()
                .first()
                .map(|p| s.fill(p))
                .unwrap_or_default();
            let answer = s
                .fill_with("With {company}, you can {b}.", s.benefit(0))
                .unwrap_or_else(|| s.fill("{company} is here to help."));
            format!("{problem} {answer}").trim().to_owned()
        }
        1 => {
            let items: Vec<String> = s
                .benefits
                .iter()
                .take(3)
                .map(|b| format!("→ {}.", capitalize(&b.phrase)))
                .collect();
            if items.len() >= 2 {
                format!("{}\n{}", s.fill("What {company} gives you:"), items.join("\n"))
            } else {
                s.fill("{company} makes {product} that fits the way you already work, with nothing extra to learn.")
            }
        }
        _ => s
            .fill_with("{company} is {product} for {audience}. {proof}.", None)
            .unwrap_or_else(|| s.fill("{company} is {product} for {audience}. We built it to be simple to start with and dependable every day.")),
    }
}

/// Hook-led posts (LinkedIn, Instagram), one per angle: the hook, the angle's body, the
/// call-to-action line and the hashtags; `(hook_max, post_max)` are the platform's limits.
fn hook_posts(
    c: &Chooser,
    field: &str,
    hooks: &[&[&str]],
    s: &Slots,
    cta_line: &str,
    tag_line: &str,
    (hook_max, post_max): (usize, usize),
) -> Vec<String> {
    c.angles(field, hooks, s, hook_max, VARIANTS)
        .iter()
        .enumerate()
        .map(|(k, hook)| {
            format!(
                "{hook}\n\n{}\n\n{}\n\n{tag_line}",
                post_body(k, s),
                s.fill(cta_line)
            )
        })
        .filter(|post| l::chars(post) <= post_max)
        .collect()
}

/// Post variants for every platform, one per angle, sharing one set of hashtags.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> SocialCopy {
    let tags = hashtags(s, t);
    let tag_line = tags.join(" ");
    let hooks = headlines(s, t);
    let (linkedin_cta, instagram_cta) = cta_lines(t);
    let linkedin = hook_posts(
        c,
        "linkedin.hook",
        &hooks,
        s,
        linkedin_cta,
        &tag_line,
        (l::LINKEDIN_HOOK, l::LINKEDIN_POST),
    );
    let x: Vec<String> = c
        .angles("x", &subheadlines(s, t), s, l::X_POST, VARIANTS * 2)
        .into_iter()
        .map(|text| format!("{text} {tag_line}"))
        .filter(|post| l::x_weighted(post) <= l::X_POST)
        .fold(Vec::new(), |mut kept: Vec<String>, post| {
            if kept.len() < VARIANTS
                && kept
                    .iter()
                    .all(|k| jaccard(k, &post) <= MAX_VARIANT_SIMILARITY)
            {
                kept.push(post);
            }
            kept
        });
    let facebook = c.angles(
        "facebook",
        &[
            &["{B}. {cta}{!}", "Want to {b}? {company} can help."],
            &["{B}, with {company}.", "{company} helps you {b}."],
            &[
                "{company}: {product} for {audience}.",
                "Meet {company}. {cta}{!}",
            ],
        ],
        s,
        l::FACEBOOK_PRIMARY,
        VARIANTS,
    );
    let instagram = hook_posts(
        c,
        "instagram.hook",
        &hooks,
        s,
        instagram_cta,
        &tag_line,
        (l::INSTAGRAM_HOOK, l::INSTAGRAM_CAPTION),
    );
    SocialCopy {
        linkedin,
        x,
        facebook,
        instagram,
        hashtags: tags,
    }
}
