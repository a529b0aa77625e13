//! Video scripts: five scenes from hook to call to action, narrated in whole sentences sized to
//! the target duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, SceneCopy, VARIANTS, VideoScriptCopy};
use crate::limits as l;
use ame_domain::CampaignType;

/// On-screen text: `text` when it fits 40 characters, else `fallback`.
fn on_screen(text: String, fallback: String) -> String {
    if l::chars(&text) <= 40 {
        text
    } else {
        fallback
    }
}

/// Title variants and five scenes; optional sentences are added or left out so the narration
/// lands on the target length without cutting a sentence.
pub(super) fn write(t: CampaignType, spec: &CopySpec, s: &Slots, c: &Chooser) -> VideoScriptCopy {
    let words = spec.script_words();
    let hook = c.one(
        "hook",
        &[
            "Ever feel there has to be an easier way?",
            "What would you do with an extra hour this week?",
            "Here's a question for {audience}: what slows you down?",
        ],
        s,
        None,
        120,
    );
    let problem = s.fill("For most of us, the usual way still takes too long and too many steps.");
    let benefit_lines: Vec<String> = s
        .benefits
        .iter()
        .take(3)
        .enumerate()
        .map(|(i, b)| {
            let template = [
                "With {company}, you {b}.",
                "You can also {b}.",
                "And you {b}, too.",
            ][i];
            s.fill_with(template, Some(b)).unwrap_or_default()
        })
        .collect();
    let solution_head = if benefit_lines.is_empty() {
        vec![s.fill("{company} makes {product} that takes those steps off your plate.")]
    } else {
        benefit_lines
    };
    let optional_solution = [
        s.fill("It fits the way you already work."),
        s.fill("There is nothing complicated to learn."),
        s.fill("Everything is in one place, so nothing gets lost."),
        s.fill("You set it up once, and it keeps working in the background."),
    ];
    let proof = s.fill("People who switch notice the difference in the first weeks.");
    let optional_proof = [
        s.fill("They spend less time on routine work and more on what matters."),
        s.fill("And when they have a question, a real person answers."),
        s.fill("Many of them wonder why they waited so long."),
    ];
    let close = s.fill("{cta} with {company}.");
    let optional_close = [s.fill("It only takes a minute to start.")];
    let mut optional: Vec<String> = solution_head.iter().skip(1).cloned().collect();
    optional.extend(optional_solution.iter().cloned());
    optional.extend(optional_proof.iter().cloned());
    optional.extend(optional_close.iter().cloned());
    let mut fixed = vec![hook.clone(), problem.clone()];
    fixed.extend(solution_head.iter().take(1).cloned());
    fixed.push(proof.clone());
    let narration = size_script(&fixed, &optional, std::slice::from_ref(&close), words)
        .unwrap_or_else(|| [fixed.join(" "), close.clone()].join(" "));
    let has = |sentence: &String| narration.contains(sentence.as_str());
    let join = |parts: Vec<&String>| {
        parts
            .into_iter()
            .filter(|p| has(p))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let solution_vo = join(solution_head.iter().chain(&optional_solution).collect());
    let proof_vo = join(std::iter::once(&proof).chain(&optional_proof).collect());
    let close_vo = join(
        optional_close
            .iter()
            .chain(std::iter::once(&close))
            .collect(),
    );
    let scenes = vec![
        SceneCopy {
            visual: "Close-up of someone juggling notes and a phone; quick cuts.".into(),
            voice_over: hook,
            on_screen_text: on_screen(s.fill("{company}"), "Watch this".into()),
        },
        SceneCopy {
            visual: "The old way in fast motion: forms, reminders, a clock speeding up.".into(),
            voice_over: problem,
            on_screen_text: "Too many steps".into(),
        },
        SceneCopy {
            visual: s.fill("{company} in use, in the brand colours; clean close-ups."),
            voice_over: solution_vo,
            on_screen_text: on_screen(s.fill("Meet {company}"), "A better way".into()),
        },
        SceneCopy {
            visual: "People relaxed and getting on with their day; a calm, warm scene.".into(),
            voice_over: proof_vo,
            on_screen_text: "See the difference".into(),
        },
        SceneCopy {
            visual: "Logo and call to action on the brand background.".into(),
            voice_over: close_vo,
            on_screen_text: on_screen(s.fill("{cta}"), "Find out more".into()),
        },
    ];
    VideoScriptCopy {
        title: c.angles_from("title", &headlines(t), s, 70, VARIANTS, 1),
        scenes,
    }
}
