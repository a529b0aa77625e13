//! Channel limits and the checks every generated field is held to.

use serde::Serialize;

/// X (Twitter) post, weighted characters.
pub const X_POST: usize = 280;
/// LinkedIn post, characters.
pub const LINKEDIN_POST: usize = 3_000;
/// LinkedIn shows this many characters before "see more": the hook must fit.
pub const LINKEDIN_HOOK: usize = 140;
/// Facebook primary text: recommended maximum before truncation.
pub const FACEBOOK_PRIMARY: usize = 125;
/// Instagram caption: hard limit.
pub const INSTAGRAM_CAPTION: usize = 2_200;
/// Instagram caption: shown before "more"; the hook must fit.
pub const INSTAGRAM_HOOK: usize = 125;
/// Google responsive search ad headline.
pub const RSA_HEADLINE: usize = 30;
/// Google responsive search ad description.
pub const RSA_DESCRIPTION: usize = 90;
/// Google responsive search ad display path part.
pub const RSA_PATH: usize = 15;
/// Meta ad primary text (recommended).
pub const META_PRIMARY: usize = 125;
/// Meta ad headline (recommended).
pub const META_HEADLINE: usize = 40;
/// Meta ad link description (recommended).
pub const META_DESCRIPTION: usize = 30;
/// Email subject line.
pub const EMAIL_SUBJECT: usize = 60;
/// Email preheader.
pub const EMAIL_PREHEADER: usize = 100;
/// Landing page hero headline.
pub const PAGE_HEADLINE: usize = 70;
/// Landing page subheadline.
pub const PAGE_SUBHEADLINE: usize = 160;
/// Landing page closing line.
pub const PAGE_CLOSING: usize = 200;
/// Page meta description (search snippet).
pub const META_DESCRIPTION_TAG: usize = 160;
/// Button label.
pub const BUTTON: usize = 30;
/// Banner headline.
pub const BANNER_HEADLINE: usize = 60;
/// Banner subline.
pub const BANNER_SUBLINE: usize = 90;
/// Image alternative text.
pub const ALT_TEXT: usize = 125;
/// Spoken words per second that scripts are sized for.
pub const WORDS_PER_SECOND: f64 = 2.5;
/// Allowed deviation of a script's word count from its duration's budget.
pub const SCRIPT_TOLERANCE: f64 = 0.05;

/// Characters as people count them (Unicode scalar values).
pub fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Characters X counts for any link, however long (its t.co wrapping).
pub const X_LINK: usize = 23;

/// Length as X counts it: most characters weigh 1, CJK and emoji weigh 2, and every
/// `http://` or `https://` link weighs [`X_LINK`].
pub fn x_weighted(text: &str) -> usize {
    let weigh = |part: &str| -> usize {
        part.chars()
            .map(|c| {
                let cp = c as u32;
                let light = cp <= 0x10FF
                    || (0x2000..=0x200D).contains(&cp)
                    || (0x2010..=0x201F).contains(&cp)
                    || (0x2032..=0x2037).contains(&cp);
                if light { 1 } else { 2 }
            })
            .sum()
    };
    let mut total = 0;
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")]
        .into_iter()
        .flatten()
        .min()
    {
        total += weigh(&rest[..start]);
        let link_end = rest[start..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |e| start + e);
        total += X_LINK;
        rest = &rest[link_end..];
    }
    total + weigh(rest)
}

/// Words in a text (whitespace separated).
pub fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// How a length is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Unicode characters.
    Chars,
    /// X's weighted characters.
    XWeighted,
    /// Words (a minimum and a maximum).
    Words,
    /// A number of items, or 1 for a rule that holds and 0 for one that does not.
    Count,
}

/// One limit check on one field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// The field, as a JSON path into the content (`variants[1].subject`).
    pub field: String,
    /// What was measured.
    pub measure: Measure,
    /// The measured length.
    pub length: usize,
    /// The smallest allowed length.
    pub min: usize,
    /// The largest allowed length.
    pub max: usize,
    /// Whether the field is within its limits.
    pub passed: bool,
}

/// Collects checks for one asset.
#[derive(Debug, Default, Clone)]
pub struct Checks {
    /// Every check made, in order.
    pub items: Vec<Check>,
}

impl Checks {
    /// Checks a character length of `1..=max` (non-empty).
    pub fn chars(&mut self, field: impl Into<String>, text: &str, max: usize) {
        self.push(field.into(), Measure::Chars, chars(text.trim()), 1, max);
    }

    /// Checks X's weighted length.
    pub fn x(&mut self, field: impl Into<String>, text: &str) {
        self.push(
            field.into(),
            Measure::XWeighted,
            x_weighted(text),
            1,
            X_POST,
        );
    }

    /// Checks a word count within `min..=max`.
    pub fn words(&mut self, field: impl Into<String>, text: &str, min: usize, max: usize) {
        self.push(field.into(), Measure::Words, words(text), min, max);
    }

    /// Checks a count of items within `min..=max`.
    pub fn count(&mut self, field: impl Into<String>, count: usize, min: usize, max: usize) {
        self.push(field.into(), Measure::Count, count, min, max);
    }

    fn push(&mut self, field: String, measure: Measure, length: usize, min: usize, max: usize) {
        self.items.push(Check {
            field,
            measure,
            length,
            min,
            max,
            passed: (min..=max).contains(&length),
        });
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&Check> {
        self.items.iter().filter(|c| !c.passed).collect()
    }
}

/// Shortens `text` to at most `max` characters at a word boundary, ending with `…` when cut.
pub fn fit(text: &str, max: usize) -> String {
    let text = text.trim();
    if chars(text) <= max {
        return text.to_owned();
    }
    let budget = max.saturating_sub(1);
    let mut out = String::new();
    for word in text.split_whitespace() {
        let extra = if out.is_empty() { 0 } else { 1 };
        if chars(&out) + extra + chars(word) > budget {
            break;
        }
        if extra == 1 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        out = text.chars().take(budget).collect();
    }
    let out = out
        .trim_end_matches([',', ';', ':', '-', ' ', '.'])
        .to_owned();
    format!("{out}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_counts_every_link_as_twenty_three() {
        assert_eq!(x_weighted("abc"), 3);
        assert_eq!(
            x_weighted("Read https://example.com/a/very/long/path now"),
            5 + 23 + 4
        );
        assert_eq!(
            x_weighted("http://a.example https://b.example"),
            23 + 1 + 23
        );
        assert_eq!(x_weighted("日本"), 4);
    }

    #[test]
    fn fit_cuts_at_words_and_never_exceeds() {
        assert_eq!(fit("short", 30), "short");
        let cut = fit("Close your books in three days, not ten", 20);
        assert!(chars(&cut) <= 20, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(
            fit("Supercalifragilisticexpialidocious", 10)
                .chars()
                .count(),
            10
        );
    }

    #[test]
    fn x_counts_emoji_and_cjk_double() {
        assert_eq!(x_weighted("abc"), 3);
        assert_eq!(x_weighted("🚀"), 2);
        assert_eq!(x_weighted("日本"), 4);
    }

    #[test]
    fn checks_record_pass_and_fail() {
        let mut c = Checks::default();
        c.chars("a", "hello", 5);
        c.chars("b", "hello!", 5);
        c.words("c", "one two three", 2, 3);
        assert_eq!(c.failures().len(), 1);
        assert_eq!(c.failures()[0].field, "b");
    }
}
