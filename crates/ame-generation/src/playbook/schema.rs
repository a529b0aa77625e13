//! The format of a playbook file (`playbooks/<vertical>.toml`) and the checks every file must
//! pass. Shared by the build script, which refuses a file that fails them, and the crate, which
//! loads the files at run time.

use serde::Deserialize;

/// A text written once, or two or more alternatives the seed chooses between.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Choice {
    /// One text.
    One(String),
    /// Alternatives saying the same thing in other words.
    Many(Vec<String>),
}

impl Choice {
    /// Every alternative.
    pub fn options(&self) -> &[String] {
        match self {
            Choice::One(text) => std::slice::from_ref(text),
            Choice::Many(texts) => texts,
        }
    }
}

/// Three template lists, one per angle (benefit; proof or how; problem, urgency or identity).
pub type Angles = [Vec<String>; 3];

/// One vertical's copy, as a copywriter edits it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookFile {
    /// How the vertical is named to people.
    pub name: String,
    /// Lower-case fragments of an industry's text that identify the vertical.
    pub keywords: Vec<String>,
    /// Whole words (any case) this vertical's copy never uses.
    pub banned: Vec<String>,
    /// The vertical's words for its people.
    pub words: Words,
    /// Per campaign type, its headlines, supporting lines, labels and closings.
    pub types: Types,
    /// Per email purpose, its subjects, preheaders and body.
    pub email: Emails,
    /// The video script's material.
    pub video: Video,
    /// The voice ad's sentences.
    pub voice: Voice,
    /// The landing page's shared material.
    pub landing: Landing,
    /// The page a referrer's friend lands on.
    pub friend: FriendCopy,
}

/// The page the friend a referrer invites lands on: it speaks to the newcomer, with what they
/// get and a sign-up call to action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FriendCopy {
    /// Headlines by angle.
    pub headlines: Angles,
    /// Supporting lines by angle.
    pub subheadlines: Angles,
    /// Button labels (2 to 4).
    pub cta: Vec<String>,
    /// The page's closing line.
    pub closing: String,
    /// Questions and answers for the friend.
    pub faq: Vec<[String; 2]>,
}

/// The vertical's words for its people.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// One reader: customer, donor, patient, member, guest, student, client.
    pub reader: String,
    /// Several readers.
    pub readers: String,
    /// Someone a reader passes a recommendation to: friend or colleague.
    pub peer: String,
}

/// The copy of each campaign type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Types {
    /// Lead generation.
    pub lead_gen: TypeCopy,
    /// Brand awareness.
    pub brand_awareness: TypeCopy,
    /// Client retention.
    pub client_retention: TypeCopy,
    /// Re-engagement.
    pub re_engagement: TypeCopy,
    /// Upsell.
    pub upsell: TypeCopy,
    /// Referral.
    pub referral: TypeCopy,
}

/// One campaign type's copy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeCopy {
    /// Headlines, hooks and titles by angle.
    pub headlines: Angles,
    /// Supporting lines by angle.
    pub subheadlines: Angles,
    /// Button labels, `{cta}` first.
    pub cta: Vec<String>,
    /// The type's call to action (every type but lead generation, which uses the brand's).
    #[serde(default)]
    pub call_to_action: Option<String>,
    /// The landing page's closing line (or alternatives the seed chooses between).
    pub closing: Choice,
    /// The voice ad's last sentence (or alternatives the seed chooses between).
    pub voice_close: Choice,
    /// The landing page's type-specific questions and answers.
    pub faq: Vec<[String; 2]>,
}

/// One email's copy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailCopy {
    /// Subject lines by angle.
    pub subjects: Angles,
    /// Preheaders by angle.
    pub preheaders: Angles,
    /// Body paragraphs, each one text or alternatives the seed chooses between; within one,
    /// `first|second|` takes the first fallback that can be filled.
    pub body: Vec<Choice>,
}

/// The copy of every email purpose (and the two purposes written differently for one type).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Emails {
    pub deliver: EmailCopy,
    pub educate: EmailCopy,
    pub proof: EmailCopy,
    pub convert: EmailCopy,
    pub value_recap: EmailCopy,
    pub tips: EmailCopy,
    pub check_in: EmailCopy,
    pub we_miss_you: EmailCopy,
    pub whats_new: EmailCopy,
    pub last_call: EmailCopy,
    pub opportunity: EmailCopy,
    pub offer: EmailCopy,
    pub invite: EmailCopy,
    pub reminder: EmailCopy,
    pub thank_you: EmailCopy,
    pub introduce: EmailCopy,
    pub story: EmailCopy,
    /// The proof email of an upsell.
    pub proof_upsell: EmailCopy,
    /// The invitation email of brand awareness.
    pub invite_awareness: EmailCopy,
}

/// The video script's material.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    /// Opening questions.
    pub hooks: Vec<String>,
    /// The problem, in one sentence (or alternatives).
    pub problem: Choice,
    /// The brand's answer, in one sentence (or alternatives).
    pub solution: Choice,
    /// Sentences that may follow the answer.
    pub details: Vec<String>,
    /// The proof, in one sentence (or alternatives).
    pub proof: Choice,
    /// Sentences that may follow the proof.
    pub proof_details: Vec<String>,
    /// A sentence that may follow the close.
    pub close_extra: String,
    /// Shot directions of the five scenes.
    pub visuals: [String; 5],
}

/// The voice ad's sentences by angle.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    /// Sentences per angle, most specific first.
    pub angles: Angles,
}

/// The landing page's shared material.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landing {
    /// Bodies of benefit cards: why a benefit holds, without repeating it.
    pub card_bodies: [String; 6],
    /// Questions and answers about the lead form, on every page that has one.
    pub faq: Vec<[String; 2]>,
    /// Questions and answers for people who already buy, on a page without a form (at least 2).
    pub customer_faq: Vec<[String; 2]>,
}

/// Placeholders a template may use.
pub const PLACEHOLDERS: [&str; 19] = [
    "company",
    "product",
    "Product",
    "audience",
    "Audience",
    "reader",
    "readers",
    "peer",
    "cta",
    "!",
    "b",
    "B",
    "plan",
    "adds",
    "reward",
    "incentive",
    "proof",
    "pain",
    "quote",
];

/// Placeholders naming a fact the brand may not have given.
pub const OPTIONAL_FACTS: [&str; 9] = [
    "{b}",
    "{B}",
    "{plan}",
    "{adds}",
    "{reward}",
    "{incentive}",
    "{proof}",
    "{pain}",
    "{quote}",
];

/// The referral link merge tag, allowed in referral emails only.
pub const REFERRAL_TAG: &str = "{{referral_url}}";

/// The lower-case words of `text` outside its placeholders.
pub fn words_outside_placeholders(text: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

impl PlaybookFile {
    /// Every template of the file with where it is (for messages).
    pub fn templates(&self) -> Vec<(String, &str)> {
        fn angles<'a>(out: &mut Vec<(String, &'a str)>, path: &str, a: &'a Angles) {
            for (i, list) in a.iter().enumerate() {
                for (j, t) in list.iter().enumerate() {
                    out.push((format!("{path}[{i}][{j}]"), t.as_str()));
                }
            }
        }
        let mut out: Vec<(String, &str)> = Vec::new();
        for (name, t) in self.types.all() {
            angles(&mut out, &format!("types.{name}.headlines"), &t.headlines);
            angles(
                &mut out,
                &format!("types.{name}.subheadlines"),
                &t.subheadlines,
            );
        }
        for (name, e) in self.email.all() {
            angles(&mut out, &format!("email.{name}.subjects"), &e.subjects);
            angles(&mut out, &format!("email.{name}.preheaders"), &e.preheaders);
        }
        angles(&mut out, "voice.angles", &self.voice.angles);
        let f = &self.friend;
        angles(&mut out, "friend.headlines", &f.headlines);
        angles(&mut out, "friend.subheadlines", &f.subheadlines);
        for (j, c) in f.cta.iter().enumerate() {
            out.push((format!("friend.cta[{j}]"), c));
        }
        out.push(("friend.closing".into(), &f.closing));
        for (j, [q, a]) in f.faq.iter().enumerate() {
            out.push((format!("friend.faq[{j}].q"), q));
            out.push((format!("friend.faq[{j}].a"), a));
        }
        for (name, t) in self.types.all() {
            for (j, c) in t.cta.iter().enumerate() {
                out.push((format!("types.{name}.cta[{j}]"), c));
            }
            if let Some(c) = &t.call_to_action {
                out.push((format!("types.{name}.call_to_action"), c));
            }
            for (label, choice) in [("closing", &t.closing), ("voice_close", &t.voice_close)] {
                for (k, option) in choice.options().iter().enumerate() {
                    out.push((format!("types.{name}.{label}[{k}]"), option));
                }
            }
            for (j, [q, a]) in t.faq.iter().enumerate() {
                out.push((format!("types.{name}.faq[{j}].q"), q));
                out.push((format!("types.{name}.faq[{j}].a"), a));
            }
        }
        for (name, e) in self.email.all() {
            for (j, p) in e.body.iter().enumerate() {
                for (k, option) in p.options().iter().enumerate() {
                    out.push((format!("email.{name}.body[{j}][{k}]"), option));
                }
            }
        }
        let v = &self.video;
        for (j, h) in v.hooks.iter().enumerate() {
            out.push((format!("video.hooks[{j}]"), h));
        }
        for (label, choice) in [
            ("problem", &v.problem),
            ("solution", &v.solution),
            ("proof", &v.proof),
        ] {
            for (k, option) in choice.options().iter().enumerate() {
                out.push((format!("video.{label}[{k}]"), option));
            }
        }
        out.push(("video.close_extra".into(), &v.close_extra));
        for (j, d) in v.details.iter().chain(&v.proof_details).enumerate() {
            out.push((format!("video.details[{j}]"), d));
        }
        for (j, d) in v.visuals.iter().enumerate() {
            out.push((format!("video.visuals[{j}]"), d));
        }
        for (j, d) in self.landing.card_bodies.iter().enumerate() {
            out.push((format!("landing.card_bodies[{j}]"), d));
        }
        for (j, [q, a]) in self.landing.faq.iter().enumerate() {
            out.push((format!("landing.faq[{j}].q"), q));
            out.push((format!("landing.faq[{j}].a"), a));
        }
        for (j, [q, a]) in self.landing.customer_faq.iter().enumerate() {
            out.push((format!("landing.customer_faq[{j}].q"), q));
            out.push((format!("landing.customer_faq[{j}].a"), a));
        }
        out
    }

    /// Every problem with the file: unknown placeholders, banned words in its own copy, a
    /// referral link outside referral emails, a paragraph with no fallback for a missing fact,
    /// too few templates or labels, a missing call to action.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let banned: Vec<String> = self.banned.iter().map(|b| b.to_lowercase()).collect();
        for (path, template) in self.templates() {
            let without_tag = template.replace(REFERRAL_TAG, "");
            if template.contains(REFERRAL_TAG)
                && !["email.invite.", "email.reminder.", "email.thank_you."]
                    .iter()
                    .any(|p| path.starts_with(p))
            {
                problems.push(format!(
                    "{path}: the referral link belongs in referral emails"
                ));
            }
            let mut rest = without_tag.as_str();
            while let Some(open) = rest.find('{') {
                let Some(close) = rest[open..].find('}') else {
                    problems.push(format!("{path}: an unclosed brace"));
                    break;
                };
                let name = &rest[open + 1..open + close];
                if !PLACEHOLDERS.contains(&name) {
                    problems.push(format!("{path}: unknown placeholder {{{name}}}"));
                }
                rest = &rest[open + close + 1..];
            }
            for word in words_outside_placeholders(&without_tag) {
                if banned.contains(&word) {
                    problems.push(format!("{path}: banned word `{word}`"));
                }
            }
            if template.trim().is_empty() {
                problems.push(format!("{path}: empty"));
            }
        }
        for (name, e) in self.email.all() {
            for (j, p) in e.body.iter().enumerate() {
                if p.options().is_empty() {
                    problems.push(format!("email.{name}.body[{j}]: no alternative"));
                }
                for (k, option) in p.options().iter().enumerate() {
                    let last = option.rsplit('|').next().unwrap_or_default();
                    if OPTIONAL_FACTS.iter().any(|f| last.contains(f)) {
                        problems.push(format!(
                            "email.{name}.body[{j}][{k}]: its last fallback needs a fact the brand may not give"
                        ));
                    }
                }
            }
            for (label, a) in [("subjects", &e.subjects), ("preheaders", &e.preheaders)] {
                if a.iter().any(Vec::is_empty) {
                    problems.push(format!("email.{name}.{label}: an angle has no template"));
                }
            }
            if e.body.is_empty() {
                problems.push(format!("email.{name}.body: no paragraph"));
            }
        }
        for (name, t) in self.types.all() {
            if t.cta.first().map(String::as_str) != Some("{cta}") || t.cta.len() < 3 {
                problems.push(format!(
                    "types.{name}.cta: starts with {{cta}} and has at least 3 labels"
                ));
            }
            for (label, choice) in [("closing", &t.closing), ("voice_close", &t.voice_close)] {
                if choice
                    .options()
                    .iter()
                    .all(|o| OPTIONAL_FACTS.iter().any(|f| o.contains(f)))
                {
                    problems.push(format!(
                        "types.{name}.{label}: needs one alternative without an optional fact"
                    ));
                }
            }
            if name != "lead_gen" && t.call_to_action.is_none() {
                problems.push(format!("types.{name}.call_to_action: missing"));
            }
            for (label, a) in [
                ("headlines", &t.headlines),
                ("subheadlines", &t.subheadlines),
            ] {
                if a.iter().any(|l| l.len() < 2) {
                    problems.push(format!(
                        "types.{name}.{label}: every angle needs at least 2 templates"
                    ));
                }
            }
        }
        if self.landing.customer_faq.len() < 2 || self.landing.faq.len() < 2 {
            problems.push("landing.faq and landing.customer_faq: at least 2 questions each".into());
        }
        let f = &self.friend;
        if f.headlines
            .iter()
            .chain(&f.subheadlines)
            .any(|l| l.len() < 2)
        {
            problems.push("friend: every angle needs at least 2 templates".into());
        }
        if !(2..=4).contains(&f.cta.len()) || f.faq.is_empty() {
            problems.push("friend: 2 to 4 button labels and at least one question".into());
        }
        if self.voice.angles.iter().any(|a| a.len() < 6) {
            problems.push("voice.angles: every angle needs at least 6 sentences".into());
        }
        let v = &self.video;
        if [&v.problem, &v.solution, &v.proof]
            .iter()
            .any(|c| c.options().is_empty())
        {
            problems.push("video: problem, solution and proof need a sentence each".into());
        }
        if self.video.hooks.is_empty() || self.video.details.is_empty() {
            problems.push("video: hooks and details need at least one sentence".into());
        }
        if self.keywords.is_empty() {
            problems.push("keywords: at least one".into());
        }
        problems
    }
}

impl Types {
    /// Each type's copy with its name.
    pub fn all(&self) -> [(&'static str, &TypeCopy); 6] {
        [
            ("lead_gen", &self.lead_gen),
            ("brand_awareness", &self.brand_awareness),
            ("client_retention", &self.client_retention),
            ("re_engagement", &self.re_engagement),
            ("upsell", &self.upsell),
            ("referral", &self.referral),
        ]
    }
}

impl Emails {
    /// Each email's copy with its name.
    pub fn all(&self) -> [(&'static str, &EmailCopy); 19] {
        [
            ("deliver", &self.deliver),
            ("educate", &self.educate),
            ("proof", &self.proof),
            ("convert", &self.convert),
            ("value_recap", &self.value_recap),
            ("tips", &self.tips),
            ("check_in", &self.check_in),
            ("we_miss_you", &self.we_miss_you),
            ("whats_new", &self.whats_new),
            ("last_call", &self.last_call),
            ("opportunity", &self.opportunity),
            ("offer", &self.offer),
            ("invite", &self.invite),
            ("reminder", &self.reminder),
            ("thank_you", &self.thank_you),
            ("introduce", &self.introduce),
            ("story", &self.story),
            ("proof_upsell", &self.proof_upsell),
            ("invite_awareness", &self.invite_awareness),
        ]
    }
}
