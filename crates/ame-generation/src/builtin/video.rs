//! Video scripts: five scenes from hook to call to action.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, SceneCopy, VARIANTS, VideoScriptCopy};
use crate::limits::{self as l, fit};
use ame_domain::CampaignType;

/// Title variants and five scenes, the voice-over padded to the target length.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VideoScriptCopy {
    let (_, target, _) = spec.script_words();
    let lines = [
        (
            "Close-up of a person at a desk, surrounded by sticky notes; quick cuts.",
            c.one("hook", headlines(t), s, 120),
            "{Vp1}?",
        ),
        (
            "Screen recording of the old, manual way; a clock speeds up.",
            s.fill("For most {audience}, it still takes too long and too many steps."),
            "Too many steps",
        ),
        (
            "{company} product walkthrough with the brand colours; clean UI close-ups.",
            s.fill("{company} helps you {vp1} and {vp2}."),
            "{Vp2}",
        ),
        (
            "Smiling team reviewing results; on-screen numbers rise.",
            s.fill("Teams that switch see the difference, and they {vp3}."),
            "See the difference",
        ),
        (
            "Logo and call to action on the brand background.",
            s.fill("{cta} at {company}. Start today."),
            "{cta}",
        ),
    ];
    let spoken: usize = lines.iter().map(|(_, v, _)| l::words(v)).sum();
    let extra = s.fill("It is simple to set up and it works from day one.");
    let scenes = lines
        .iter()
        .enumerate()
        .map(|(i, (visual, vo, ost))| {
            let mut voice_over = vo.clone();
            if i == 2 && spoken < target {
                let mut more = voice_over
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>();
                let need = target - spoken;
                let mut k = 0;
                let pool: Vec<String> = [
                    extra.clone(),
                    s.fill("You {vp3} without adding work."),
                    s.fill("It fits the way {audience} already work."),
                ]
                .to_vec();
                while more.len() < l::words(vo) + need && k < 12 {
                    more.extend(pool[k % pool.len()].split_whitespace().map(str::to_owned));
                    k += 1;
                }
                more.truncate(l::words(vo) + need);
                voice_over = size_script(more, &pool, 1, 400);
            }
            SceneCopy {
                visual: fit(&s.fill(visual), 200),
                voice_over: fit(&voice_over, 400),
                on_screen_text: fit(&s.fill(ost), 40),
            }
        })
        .collect::<Vec<_>>();
    VideoScriptCopy {
        title: c.pick("title", headlines(t), s, 70, VARIANTS),
        scenes,
    }
}
