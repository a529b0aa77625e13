//! Voice ad scripts: one per angle, in whole sentences sized to the ad's duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, VARIANTS, VoiceCopy};
use ame_domain::CampaignType;

/// Script variants, one per angle: an opener, sentences up to the target length, the close.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VoiceCopy {
    let words = spec.script_words();
    let openers = c.angles("script.opener", &headlines(s, t), s, 120, VARIANTS);
    let close = s.fill(&s.playbook.type_copy(t).voice_close);
    let middle = s.playbook.voice();
    let script = openers
        .iter()
        .enumerate()
        .filter_map(|(k, opener)| {
            let opener = if opener.ends_with(['?', '.', '!']) {
                opener.clone()
            } else {
                format!("{opener}.")
            };
            let optional: Vec<String> = middle[k.min(2)]
                .iter()
                .filter_map(|m| s.fill_with(m, s.benefit(k)))
                .filter(|m| !m.contains("{b}"))
                .collect();
            size_script(&[opener], &optional, std::slice::from_ref(&close), words)
        })
        .collect();
    VoiceCopy { script }
}
