//! The lint's rules: what each finding is about, and its name in metadata.

use serde::Serialize;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The text was cut: a trailing ellipsis or a sentence ending on a word that needs another.
    Truncated,
    /// Prose that does not end with a full stop, question or exclamation mark.
    UnfinishedSentence,
    /// The same sentence twice in what one reader reads.
    RepeatedSentence,
    /// A phrase of six or more words more than twice in what one reader reads.
    RepeatedPhrase,
    /// The internal objective's numbers, deadline or wording in audience copy.
    BriefLeak,
    /// A template slot or merge tag left unfilled, or the brand placeholder in a complete brand.
    Placeholder,
    /// List items or sentences joined without a break.
    RunTogether,
    /// Variants of one field that say nearly the same words.
    SimilarVariants,
    /// The brand's name is missing where the format needs it.
    MissingBrand,
    /// Business vocabulary ("work email", "your team") in copy for a consumer brand.
    BusinessWords,
    /// "a" or "an" against the sound of the next word ("a Attestly customer").
    Article,
    /// Punctuation a slot doubled ("Crumb & Co..", "Ready?.").
    DoubledPunctuation,
    /// What a broken model writes: `undefined`, `null`, `N/A`, `[object Object]`, `TODO`, lorem
    /// ipsum, "as an AI", "insert … here", HTML tags, "the the".
    Junk,
    /// A number, superlative, guarantee, time or privacy promise, or "new/changed" statement
    /// the brand never made.
    UnsupportedClaim,
    /// A word that belongs to another kind of business ("upgrade" to donors, "workflow" to
    /// consumers), by the brand's vertical playbook.
    Vocabulary,
    /// Text meant for the operator ("will appear here once you add…") on a public page.
    PublicPlaceholder,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 16] = [
        Rule::Truncated,
        Rule::UnfinishedSentence,
        Rule::RepeatedSentence,
        Rule::RepeatedPhrase,
        Rule::BriefLeak,
        Rule::Placeholder,
        Rule::RunTogether,
        Rule::SimilarVariants,
        Rule::MissingBrand,
        Rule::BusinessWords,
        Rule::Article,
        Rule::DoubledPunctuation,
        Rule::Junk,
        Rule::UnsupportedClaim,
        Rule::Vocabulary,
        Rule::PublicPlaceholder,
    ];

    /// The rule's name as recorded in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Truncated => "truncated",
            Rule::UnfinishedSentence => "unfinished_sentence",
            Rule::RepeatedSentence => "repeated_sentence",
            Rule::RepeatedPhrase => "repeated_phrase",
            Rule::BriefLeak => "brief_leak",
            Rule::Placeholder => "placeholder",
            Rule::RunTogether => "run_together",
            Rule::SimilarVariants => "similar_variants",
            Rule::MissingBrand => "missing_brand",
            Rule::BusinessWords => "business_words",
            Rule::Article => "article",
            Rule::DoubledPunctuation => "doubled_punctuation",
            Rule::Junk => "junk",
            Rule::UnsupportedClaim => "unsupported_claim",
            Rule::Vocabulary => "vocabulary",
            Rule::PublicPlaceholder => "public_placeholder",
        }
    }
}
