//! The claims guard and the vertical's vocabulary: what copy may only say when the brand said
//! it (numbers, prices, percentages, superlatives, guarantees, time and privacy promises,
//! "new" or "changed"), and words that belong to another kind of business.

/// Phrases that make a claim: each must trace to the brand's own words.
pub const CLAIM_PHRASES: [&str; 30] = [
    "the best in",
    "best in town",
    "best in class",
    "best-in-class",
    "the best value",
    "unbeatable",
    "cheapest",
    "#1",
    "number one",
    "leading",
    "award-winning",
    "guarantee",
    "guaranteed",
    "risk-free",
    "money back",
    "within a working day",
    "within a day",
    "within 24 hours",
    "same day",
    "two minutes",
    "a couple of minutes",
    "in minutes",
    "we never sell",
    "never share",
    "a lot has changed",
    "we've made it easier",
    "we have made it easier",
    "brand new",
    "new features",
    "what's new at",
];

/// Whole lower-case words of `text`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '#' || c == '-'))
        .map(|w| w.trim_matches(['\'', '-']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `phrase` occurs in `lower` as whole words.
fn has_phrase(lower: &str, phrase: &str) -> bool {
    lower.match_indices(phrase).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The claims `text` makes that `brand_text` (lower case) does not: numbers it does not hold,
/// and claim phrases it does not use.
pub fn unsupported_claims(text: &str, brand_text: &str, brand_numbers: &[String]) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out: Vec<String> = super::numbers(&lower)
        .into_iter()
        .filter(|n| !brand_numbers.contains(n))
        .collect();
    out.extend(
        CLAIM_PHRASES
            .iter()
            .filter(|p| has_phrase(&lower, p) && !has_phrase(brand_text, p))
            .map(|p| (*p).to_owned()),
    );
    out
}

/// The words of `text` that `banned` holds and the brand's own words do not.
pub fn banned_words(text: &str, banned: &[String], brand_text: &str) -> Vec<String> {
    let brand = words(brand_text);
    let mut out: Vec<String> = words(text)
        .into_iter()
        .filter(|w| banned.contains(w) && !brand.contains(w))
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_the_brand_made_is_supported_and_one_it_did_not_is_not() {
        let brand = "fresh sourdough every saturday. 40% off your first box";
        let numbers = vec!["40%".to_owned()];
        assert!(unsupported_claims("Get 40% off your first box.", brand, &numbers).is_empty());
        assert_eq!(
            unsupported_claims(
                "We reply within a working day to 500 people.",
                brand,
                &numbers
            ),
            vec!["500".to_owned(), "within a working day".to_owned()]
        );
        assert_eq!(
            unsupported_claims("Simply the best in Manchester.", brand, &numbers),
            vec!["the best in".to_owned()]
        );
        assert!(unsupported_claims("Our bestselling loaf.", brand, &numbers).is_empty());
        assert!(unsupported_claims("Tell us about the best bit.", brand, &numbers).is_empty());
    }

    #[test]
    fn banned_words_count_unless_the_brand_uses_them() {
        let banned = vec!["plan".to_owned(), "customer".to_owned()];
        assert_eq!(
            banned_words("Thank you for being a customer.", &banned, "a shelter"),
            vec!["customer".to_owned()]
        );
        assert!(
            banned_words("Plan your visit.", &banned, "plan your visit to the farm").is_empty()
        );
    }
}
