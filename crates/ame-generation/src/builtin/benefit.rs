//! A value proposition in the two forms the templates need: as the brand wrote it, and as
//! something the reader does.

use crate::brief::lowercase_first;

/// Verbs a value proposition may start with; any other first word makes it a noun phrase.
const VERBS: &[&str] = &[
    "adopt",
    "answer",
    "automate",
    "avoid",
    "book",
    "boost",
    "bring",
    "browse",
    "build",
    "buy",
    "cancel",
    "catch",
    "charge",
    "check",
    "choose",
    "claim",
    "clean",
    "close",
    "collaborate",
    "compare",
    "connect",
    "cook",
    "create",
    "cut",
    "discover",
    "do",
    "donate",
    "drive",
    "earn",
    "eat",
    "end",
    "enjoy",
    "explore",
    "feel",
    "file",
    "find",
    "finish",
    "fix",
    "focus",
    "forecast",
    "foster",
    "get",
    "give",
    "go",
    "grow",
    "heal",
    "hear",
    "help",
    "hire",
    "hit",
    "increase",
    "install",
    "invest",
    "join",
    "keep",
    "know",
    "launch",
    "learn",
    "let",
    "lose",
    "make",
    "manage",
    "measure",
    "meet",
    "move",
    "order",
    "organise",
    "organize",
    "own",
    "pause",
    "pay",
    "pick",
    "plan",
    "play",
    "predict",
    "prepare",
    "protect",
    "prove",
    "publish",
    "reach",
    "read",
    "recover",
    "reduce",
    "relax",
    "reply",
    "respond",
    "review",
    "run",
    "save",
    "scale",
    "schedule",
    "see",
    "sell",
    "send",
    "serve",
    "share",
    "ship",
    "shop",
    "show",
    "skip",
    "sleep",
    "speak",
    "spend",
    "sponsor",
    "spot",
    "start",
    "stay",
    "stop",
    "study",
    "support",
    "swap",
    "switch",
    "take",
    "taste",
    "teach",
    "track",
    "train",
    "travel",
    "try",
    "turn",
    "understand",
    "unwind",
    "upgrade",
    "visit",
    "volunteer",
    "walk",
    "watch",
    "win",
    "write",
];

/// Words that start a noun phrase, never a verb phrase ("all your records in one place").
const NOUN_STARTS: &[&str] = &[
    "a",
    "an",
    "the",
    "all",
    "every",
    "each",
    "no",
    "more",
    "less",
    "one",
    "two",
    "three",
    "free",
    "your",
    "our",
    "their",
    "my",
    "same",
    "next",
    "new",
    "fresh",
    "expert",
    "local",
    "fast",
    "unlimited",
    "full",
    "easy",
    "simple",
    "real",
    "friendly",
];

/// Words that follow a verb at the start of a phrase: an object's determiner, a particle or a
/// preposition ("wake up to…", "pass your audit", "volunteer a few hours").
const VERB_FOLLOWERS: &[&str] = &[
    "a", "an", "the", "your", "our", "their", "his", "her", "its", "my", "up", "out", "off",
    "back", "down", "over", "to", "into", "more", "less", "every", "any", "some", "it", "them",
    "us", "you", "yourself", "together", "ahead", "away",
];

/// Whether a phrase starting `first second` reads as something the reader does though its
/// verb is not on the list: a bare word (not a noun-phrase start, not a plural, participle or
/// adverb) followed by an object or a particle.
fn reads_as_verb(first: &str, second: &str) -> bool {
    let plain = !first.is_empty()
        && first.chars().all(|c| c.is_ascii_lowercase())
        && !NOUN_STARTS.contains(&first)
        && !["ing", "ed", "ly"].iter().any(|end| first.ends_with(end))
        && (!first.ends_with('s') || first.ends_with("ss"));
    plain && VERB_FOLLOWERS.contains(&second)
}

/// Words after a participle that leave it describing the result ("installed within a week"),
/// not a noun ("vetted walkers", which the reader gets).
const PARTICIPLE_FOLLOWERS: &[&str] = &[
    "",
    "within",
    "in",
    "by",
    "for",
    "on",
    "at",
    "and",
    "today",
    "tomorrow",
    "overnight",
    "properly",
    "free",
    "fast",
    "quickly",
    "locally",
];

/// One value proposition in the forms the templates need.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Benefit {
    /// As the brand wrote it, first letter lower case: `see a dentist within 48 hours`,
    /// `same-week appointments`.
    pub(super) phrase: String,
    /// As something the reader does, for "so you can …": the phrase itself when it starts with
    /// a verb, else `get same-week appointments`, `skip the joining fee`, `have it installed
    /// within a week`.
    pub(super) verb: String,
}

impl Benefit {
    pub(super) fn new(text: &str) -> Self {
        let phrase = lowercase_first(text.trim().trim_end_matches(['.', '!', ';', ',']));
        let first = phrase
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let second = phrase
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_lowercase();
        let third = phrase
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_lowercase();
        // "pause or skip a week": two verbs joined.
        let joined_verbs = matches!(second.as_str(), "or" | "and")
            && (VERBS.contains(&first.as_str()) || VERBS.contains(&third.as_str()));
        let verb =
            if VERBS.contains(&first.as_str()) || reads_as_verb(&first, &second) || joined_verbs {
                phrase.clone()
            } else if let Some(rest) = phrase.strip_prefix("no ") {
                format!("skip the {rest}")
            } else if first.ends_with("ed") && PARTICIPLE_FOLLOWERS.contains(&second.as_str()) {
                format!("have it {phrase}")
            } else {
                format!("get {phrase}")
            };
        Self { phrase, verb }
    }
}

#[cfg(test)]
mod tests {
    use super::Benefit;

    #[test]
    fn phrases_that_start_with_a_verb_are_never_put_after_another_verb() {
        for (text, verb) in [
            (
                "Wake up to a fresh sourdough loaf",
                "wake up to a fresh sourdough loaf",
            ),
            (
                "pass your SOC 2 Type I audit",
                "pass your SOC 2 Type I audit",
            ),
            (
                "volunteer a few hours a week",
                "volunteer a few hours a week",
            ),
            (
                "see a dentist within 48 hours",
                "see a dentist within 48 hours",
            ),
            ("same-week appointments", "get same-week appointments"),
            (
                "fresh sourdough every morning",
                "get fresh sourdough every morning",
            ),
            (
                "all your records in one place",
                "get all your records in one place",
            ),
            (
                "an auditor-approved policy library",
                "get an auditor-approved policy library",
            ),
            ("no joining fee", "skip the joining fee"),
            ("installed within a week", "have it installed within a week"),
            ("discounts on every order", "get discounts on every order"),
            (
                "vetted walkers you can track live",
                "get vetted walkers you can track live",
            ),
            (
                "Pause or skip a week whenever you like",
                "pause or skip a week whenever you like",
            ),
        ] {
            assert_eq!(Benefit::new(text).verb, verb, "{text}");
        }
    }
}
