//! Banner copy: headline, subline, button label and alternative text.

use super::{Chooser, Slots, cta_labels, headlines};
use crate::copy::{ImageCopy, VARIANTS};
use crate::limits::{self as l, fit};
use ame_domain::CampaignType;

/// Banner headline and subline variants, button label and alternative text.
pub(super) fn write(t: CampaignType, s: &Slots, c: &Chooser) -> ImageCopy {
    ImageCopy {
        headline: c.pick("headline", headlines(t), s, l::BANNER_HEADLINE, VARIANTS),
        subline: c.pick(
            "subline",
            &[
                "{Vp1}.",
                "{Vp2} with {company}.",
                "Built for {audience}.",
                "{company}: {vp3}.",
            ],
            s,
            l::BANNER_SUBLINE,
            VARIANTS,
        ),
        cta_label: c.one("cta_label", cta_labels(t), s, 20),
        alt_text: fit(
            &s.fill("{company} banner: headline about how to {vp1}, with a {cta} button."),
            l::ALT_TEXT,
        ),
    }
}
