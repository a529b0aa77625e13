//! Video scripts: five scenes from hook to call to action, narrated in whole sentences sized to
//! the target duration.

use super::{Chooser, Slots, headlines, size_script};
use crate::copy::{CopySpec, SceneCopy, VARIANTS, VideoScriptCopy};
use crate::limits as l;
use crate::playbook::schema;
use ame_domain::CampaignType;

/// The narration's last sentence; the seed chooses one.
const VIDEO_CLOSES: &[&str] = &[
    "{cta} with {company}.",
    "{cta} with {company} today.",
    "{cta} with {company}, whenever you're ready.",
];

/// Captions over the problem scene that fit whatever problem the narration names.
const PROBLEM_CAPTIONS: &[&str] = &["Sound familiar?", "We've all been there", "Ring a bell?"];

/// Captions over the proof scene.
const PROOF_CAPTIONS: &[&str] = &[
    "See for yourself",
    "Take a closer look",
    "Judge for yourself",
];

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
    let video = &s.playbook.file.video;
    let hooks: Vec<&str> = video.hooks.iter().map(String::as_str).collect();
    let hook = c.one("hook", &hooks, s, None, 120);
    let pick = |field: &str, choice: &schema::Choice| -> String {
        c.pick(field, choice.options())
            .map(|t| s.fill(t))
            .unwrap_or_default()
    };
    let problem = pick("problem", &video.problem);
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
        vec![pick("solution", &video.solution)]
    } else {
        benefit_lines
    };
    let filled = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|t| s.fill(t))
            .filter(|t| !t.is_empty())
            .collect()
    };
    let optional_solution = filled(&video.details);
    let proof = pick("proof", &video.proof);
    let optional_proof = filled(&video.proof_details);
    let close = c.one("close", VIDEO_CLOSES, s, None, usize::MAX);
    let optional_close: Vec<String> = filled(std::slice::from_ref(&video.close_extra));
    let mut optional: Vec<String> = solution_head.iter().skip(1).cloned().collect();
    optional.extend(optional_solution.iter().cloned());
    optional.extend(optional_proof.iter().cloned());
    optional.extend(optional_close.iter().cloned());
    let mut fixed = vec![hook.clone(), problem.clone()];
    fixed.extend(solution_head.iter().take(1).cloned());
    fixed.push(proof.clone());
    // When a benefit's sentence is too long for this length, the playbook's short answer
    // leads the solution and the benefits may follow it.
    let short_answer = pick("solution", &video.solution);
    let mut solution_head = solution_head;
    let mut hook = hook;
    // Another hook, or the playbook's short answer leading the solution (the benefit may then
    // follow it), when the first choice cannot land on the target length.
    let hooks_in_order: Vec<String> = std::iter::once(hook.clone())
        .chain(hooks.iter().map(|h| s.fill(h)))
        .filter(|h| !h.is_empty())
        .collect();
    let mut sized = None;
    'search: for short in [false, true] {
        for candidate in &hooks_in_order {
            let mut head = fixed.clone();
            head[0] = candidate.clone();
            let mut more = optional.clone();
            if short {
                head[2] = short_answer.clone();
                more.extend(solution_head.iter().take(1).cloned());
            }
            if let Some(narration) = size_script(&head, &more, std::slice::from_ref(&close), words)
            {
                hook = candidate.clone();
                if short {
                    solution_head.insert(0, short_answer.clone());
                }
                sized = Some(narration);
                break 'search;
            }
        }
    }
    let narration = sized.unwrap_or_else(|| [fixed.join(" "), close.clone()].join(" "));
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
            visual: s.fill(&video.visuals[0]),
            voice_over: hook,
            on_screen_text: on_screen(s.fill("{company}"), "Watch this".into()),
        },
        SceneCopy {
            visual: s.fill(&video.visuals[1]),
            voice_over: problem,
            on_screen_text: c
                .pick("problem.on_screen", PROBLEM_CAPTIONS)
                .map(|t| (*t).to_owned())
                .unwrap_or_default(),
        },
        SceneCopy {
            visual: s.fill(&video.visuals[2]),
            voice_over: solution_vo,
            on_screen_text: on_screen(s.fill("Meet {company}"), "A better way".into()),
        },
        SceneCopy {
            visual: s.fill(&video.visuals[3]),
            voice_over: proof_vo,
            on_screen_text: c
                .pick("proof.on_screen", PROOF_CAPTIONS)
                .map(|t| (*t).to_owned())
                .unwrap_or_default(),
        },
        SceneCopy {
            visual: s.fill(&video.visuals[4]),
            voice_over: close_vo,
            on_screen_text: on_screen(s.fill("{cta}"), "Find out more".into()),
        },
    ];
    VideoScriptCopy {
        title: c.angles_from("title", &headlines(s, t), s, 70, VARIANTS, 1),
        scenes,
    }
}
