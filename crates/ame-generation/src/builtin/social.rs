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

/// The call-to-action sentences that may close a LinkedIn post, and those that may close an
/// Instagram caption; the seed chooses one of each.
fn cta_lines(t: CampaignType) -> (&'static [&'static str], &'static [&'static str]) {
    match t {
        CampaignType::LeadGen => (
            &[
                "{cta} using the link in the comments.",
                "The link in the comments is the place to start.",
                "You'll find the link to start in the comments.",
                "Start with the link in the comments.",
                "The comments hold the link to begin.",
            ],
            &[
                "Tap the link in our bio to get started.",
                "Start with the link in our bio.",
                "The link in our bio is the place to begin.",
                "Begin at the link in our bio.",
                "Find the link to start in our bio.",
            ],
        ),
        CampaignType::BrandAwareness => (
            &[
                "Find out more using the link in the comments.",
                "The link in the comments tells the rest of the story.",
                "There's more to read at the link in the comments.",
                "Read more at the link in the comments.",
                "Learn more at the link in the comments.",
            ],
            &[
                "Tap the link in our bio to find out more.",
                "More about us at the link in our bio.",
                "The rest of the story is at the link in our bio.",
                "Read more at the link in our bio.",
                "Learn more at the link in our bio.",
            ],
        ),
        CampaignType::ReEngagement => (
            &[
                "{cta}: the link is in the comments.",
                "The link in the comments takes you straight back.",
                "Pick things up again with the link in the comments.",
                "Come back through the link in the comments.",
                "The way back is the link in the comments.",
            ],
            &[
                "Tap the link in our bio to see what's waiting.",
                "See what's waiting at the link in our bio.",
                "The link in our bio takes you straight back.",
                "Come back through the link in our bio.",
                "The way back is the link in our bio.",
            ],
        ),
        CampaignType::Referral => (
            &[
                "Your personal invite link is in your latest email from us.",
                "Look in your latest email from us for your personal invite link.",
                "We've sent your personal invite link by email.",
                "Your personal invite link is waiting in your inbox.",
                "Check your inbox for your personal invite link.",
            ],
            &[
                "Your invite link is in your latest email from us. Tap the link in our bio for details.",
                "Check your latest email from us for your invite link. Details are at the link in our bio.",
                "We've emailed you a personal invite link. The link in our bio explains how it works.",
                "Your personal invite link is waiting in your inbox. How it works is at the link in our bio.",
                "Check your inbox for your invite link. The link in our bio has the details.",
            ],
        ),
        CampaignType::ClientRetention | CampaignType::Upsell => (
            &[
                "Details are in the comments.",
                "The full details are in the comments.",
                "Read the details in the comments.",
                "You'll find the details in the comments.",
                "Everything you need to know is in the comments.",
            ],
            &[
                "Tap the link in our bio for details.",
                "The details are at the link in our bio.",
                "See the link in our bio for the details.",
                "You'll find the details at the link in our bio.",
                "Everything you need to know is at the link in our bio.",
            ],
        ),
    }
}

/// Lines that introduce a post's list of what the brand gives; the seed chooses one.
const LIST_INTROS: &[&str] = &[
    "What {company} gives you:",
    "Why people choose {company}:",
    "With {company}, you get:",
    "Here's what {company} brings:",
    "What you can look forward to with {company}:",
];

/// Sentences that answer the vertical's problem with the brand's first benefit.
const ANSWERS: &[&str] = &[
    "With {company}, you can {b}.",
    "{company} is there so you can {b}.",
    "That's where {company} comes in: you can {b}.",
];

/// Who the brand is for, with its proof; the seed chooses one.
const WHO_IT_IS_FOR: &[&str] = &[
    "{company} is {product} for {audience}. {proof}.",
    "{company} makes {product} for {audience}. {proof}.",
    "Made for {audience}: {product} from {company}. {proof}.",
];

/// The body of a LinkedIn post or Instagram caption written from angle `k` (pain and relief,
/// what you get, who it is for); `field` keys the seed's choices.
fn post_body(k: usize, s: &Slots, c: &Chooser, field: &str) -> String {
    let video = &s.playbook.file.video;
    let seeded = |name: &str, options: &[String]| -> String {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        c.one(
            &format!("{field}.{name}#{k}"),
            &options,
            s,
            None,
            usize::MAX,
        )
    };
    match k {
        0 => {
            // The vertical's own problem, then what the brand offers against it.
            let problem = seeded("problem", video.problem.options());
            let answer = c.one(&format!("{field}.answer"), ANSWERS, s, Some(0), usize::MAX);
            let answer = if answer.is_empty() {
                s.fill("{company} is here to help.")
            } else {
                answer
            };
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
                let intro = c.one(&format!("{field}.list"), LIST_INTROS, s, None, usize::MAX);
                format!("{intro}\n{}", items.join("\n"))
            } else {
                let detail = seeded("detail", &video.details);
                s.fill(&format!(
                    "{{company}} is {{product}} for {{audience}}. {detail}"
                ))
            }
        }
        _ => Some(c.one(&format!("{field}.who"), WHO_IT_IS_FOR, s, None, usize::MAX))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| {
                let detail = seeded("detail", &video.details);
                s.fill(&format!(
                    "{{company}} is {{product}} for {{audience}}. {detail}"
                ))
            }),
    }
}

/// Hook-led posts (LinkedIn, Instagram), one per angle: the hook, the angle's body, the
/// call-to-action line and the hashtags; `(hook_max, post_max)` are the platform's limits.
fn hook_posts(
    c: &Chooser,
    field: &str,
    hooks: &[&[&str]],
    s: &Slots,
    cta_lines: &[&str],
    tag_line: &str,
    (hook_max, post_max): (usize, usize),
) -> Vec<String> {
    c.angles(field, hooks, s, hook_max, VARIANTS)
        .iter()
        .enumerate()
        .map(|(k, hook)| {
            format!(
                "{hook}\n\n{}\n\n{}\n\n{tag_line}",
                post_body(k, s, c, field),
                c.one(&format!("{field}.cta"), cta_lines, s, None, usize::MAX)
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
