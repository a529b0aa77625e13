//! Banner copy: headline, a subline that adds to it, button label and alternative text.

use super::{Chooser, Slots, cta_labels, headlines};
use crate::copy::{ImageCopy, VARIANTS};
use crate::limits as l;
use ame_domain::CampaignType;

/// Banner headline and subline variants (the subline speaks of another benefit than its
/// headline), button label and alternative text.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> ImageCopy {
    let headline = c.angles(
        "headline",
        &headlines(s, t),
        s,
        l::BANNER_HEADLINE,
        VARIANTS,
    );
    let subline = c.angles_from(
        "subline",
        &[
            &["{B}.", "{B}, with {company}."],
            &["{company} helps you {b}.", "Now you can {b}."],
            &["{Product} for {audience}.", "Made for {audience}."],
        ],
        s,
        l::BANNER_SUBLINE,
        VARIANTS,
        1,
    );
    let cta_label = c
        .labels(cta_labels(s, t), s, 20, 1)
        .into_iter()
        .next()
        .unwrap_or_else(|| "Learn more".into());
    // The alternative text says what the banner says, as a reader of the image sees it.
    let alt = [
        headline.first().map(|h| {
            format!(
                "A {{company}} banner that reads \u{201c}{}\u{201d}, with a \u{201c}{cta_label}\u{201d} button.",
                h.trim_end_matches(['.', '!', '?'])
            )
        }),
        Some(
            "A {company} banner with the headline, a short line about {product} and a button."
                .to_owned(),
        ),
        Some("A {company} banner with a headline and a button.".to_owned()),
    ]
    .into_iter()
    .flatten()
    .map(|template| s.fill(&template))
    .find(|alt| !alt.is_empty() && l::chars(alt) <= l::ALT_TEXT)
    .unwrap_or_default();
    ImageCopy {
        headline,
        subline,
        cta_label,
        alt_text: alt,
    }
}
