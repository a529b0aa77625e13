//! Voice ad scripts: one per angle, in whole sentences sized to the ad's duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, VARIANTS, VoiceCopy};
use ame_domain::CampaignType;

/// The longest closing sentence of a script.
const CLOSE_CHARS: usize = 120;

/// Script variants, one per angle: an opener, sentences up to the target length, the close.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VoiceCopy {
    let words = spec.script_words();
    let openers = c.angles("script.opener", &headlines(s, t), s, 120, VARIANTS);
    let closes: Vec<&str> = s
        .playbook
        .type_copy(t)
        .voice_close
        .options()
        .iter()
        .map(String::as_str)
        .collect();
    let close = c.one("script.close", &closes, s, None, CLOSE_CHARS);
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
            // The angle's most specific sentence leads; the seed orders the rest, so another
            // seed tells the same story with other sentences.
            let own = middle[k.min(2)];
            let rest = c.order(&format!("script.middle#{k}"), own.len().saturating_sub(1));
            let optional: Vec<String> = own
                .iter()
                .take(1)
                .chain(rest.iter().map(|i| &own[i + 1]))
                .filter_map(|m| s.fill_with(m, s.benefit(k)))
                .filter(|m| !m.contains("{b}"))
                .collect();
            size_script(&[opener], &optional, std::slice::from_ref(&close), words)
        })
        .collect();
    VoiceCopy { script }
}
