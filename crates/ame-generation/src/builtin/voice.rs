//! Voice ad scripts sized to the ad's duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, VARIANTS, VoiceCopy};
use ame_domain::CampaignType;

/// Script variants: an opener, filler sentences up to the target length, and the close.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VoiceCopy {
    let (min, target, max) = spec.script_words();
    let openers = headlines(t);
    let fillers: Vec<String> = [
        "{company} helps {audience} {vp1}.",
        "It also helps you {vp2}.",
        "And it means you can {vp3}.",
        "Getting started takes just a few minutes.",
        "Setup is guided from the very first day.",
    ]
    .iter()
    .map(|f| s.fill(f))
    .collect();
    let close = s.fill("{cta} today at {company}.");
    let script = c
        .pick("script.opener", openers, s, 120, VARIANTS)
        .into_iter()
        .map(|opener| {
            let opener = if opener.ends_with(['?', '.', '!']) {
                opener
            } else {
                format!("{opener}.")
            };
            let words: Vec<String> = opener.split_whitespace().map(str::to_owned).collect();
            let close_words = close.split_whitespace().count();
            let body_target = target.saturating_sub(close_words);
            let body = size_script(
                words,
                &fillers,
                body_target.min(max.saturating_sub(close_words)),
                max.saturating_sub(close_words),
            );
            size_script(
                format!("{body} {close}")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                &fillers,
                min,
                max,
            )
        })
        .collect();
    VoiceCopy { script }
}
