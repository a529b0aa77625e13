//! A value proposition in the two forms the templates need: as the brand wrote it, and as
//! something the reader does.

use crate::brief::lowercase_first;

/// Verbs a value proposition may start with; any other first word makes it a noun phrase.
const VERBS: &[&str] = &[
    "answer",
    "automate",
    "avoid",
    "book",
    "boost",
    "bring",
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
    "do",
    "drive",
    "earn",
    "eat",
    "end",
    "enjoy",
    "feel",
    "file",
    "find",
    "finish",
    "fix",
    "focus",
    "forecast",
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
    "show",
    "skip",
    "sleep",
    "speak",
    "spend",
    "spot",
    "start",
    "stay",
    "stop",
    "study",
    "support",
    "swap",
    "switch",
    "take",
    "teach",
    "track",
    "train",
    "travel",
    "try",
    "turn",
    "understand",
    "upgrade",
    "walk",
    "watch",
    "win",
    "write",
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
        let verb = if VERBS.contains(&first.as_str()) {
            phrase.clone()
        } else if let Some(rest) = phrase.strip_prefix("no ") {
            format!("skip the {rest}")
        } else if first.ends_with("ed") {
            format!("have it {phrase}")
        } else {
            format!("get {phrase}")
        };
        Self { phrase, verb }
    }
}
