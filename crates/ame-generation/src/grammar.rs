//! The grammar layer applied to filled-in copy: "a" or "an" by the sound of the next word
//! (initialisms too), punctuation that a slot doubled merged back ("Co." + "." is "Co."), and
//! hashtags built from whole words.

/// Words spelled with a vowel that start with a consonant sound ("a one-off", "a user").
const CONSONANT_SOUND_PREFIXES: &[&str] = &[
    "one", "once", "uni", "use", "usa", "usi", "usu", "uti", "ubi", "ura", "ure", "uri", "uro",
    "uku", "euro", "eul", "eup", "ewe", "ouija",
];

/// Words spelled with a consonant that start with a vowel sound ("an hour").
const VOWEL_SOUND_PREFIXES: &[&str] = &["hour", "honest", "honor", "honour", "heir"];

/// Letters whose name starts with a vowel sound, for initialisms read letter by letter
/// ("an SMS", "an HR team", "an MBA").
const VOWEL_SOUND_LETTERS: &str = "AEFHILMNORSX";

/// "a" or "an" before `word`, by how it sounds.
pub fn article_for(word: &str) -> &'static str {
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    let Some(first) = word.chars().next() else {
        return "a";
    };
    if first.is_ascii_digit() {
        let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
        // "an 8", "an 11", "an 18", "an 80", "an 800"; "a 1", "a 100".
        let vowel = digits.starts_with('8') || matches!(digits.as_str(), "11" | "18");
        return if vowel { "an" } else { "a" };
    }
    let letters: String = word.chars().take_while(|c| c.is_alphabetic()).collect();
    let capitals: Vec<char> = letters.chars().collect();
    let vowel = |c: &char| "AEIOU".contains(*c);
    // Read letter by letter: no vowel after the first letter ("SMS", "HR"), or three letters
    // that do not make a syllable ("MBA"); "SOC" and "FAQ" are read as words.
    let initialism = capitals.len() >= 2
        && capitals.iter().all(char::is_ascii_uppercase)
        && (!capitals[1..].iter().any(vowel)
            || (capitals.len() == 3
                && !(!vowel(&capitals[0]) && vowel(&capitals[1]) && !vowel(&capitals[2]))));
    if initialism {
        return if VOWEL_SOUND_LETTERS.contains(first) {
            "an"
        } else {
            "a"
        };
    }
    let lower = word.to_lowercase();
    if VOWEL_SOUND_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return "an";
    }
    if CONSONANT_SOUND_PREFIXES
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return "a";
    }
    if "aeiou".contains(lower.chars().next().unwrap_or('x')) {
        "an"
    } else {
        "a"
    }
}

/// `text` with each "a"/"an" matched to the sound of the word after it, and punctuation a slot
/// doubled merged ("Co.." → "Co.", "?." → "?", " ." → "."); an ellipsis is left alone.
pub fn tidy(text: &str) -> String {
    merge_punctuation(&fix_articles(text))
}

/// Punctuation merged until nothing more merges ("Ready? ." → "Ready?." → "Ready?").
fn merge_punctuation(text: &str) -> String {
    let mut merged = text.to_owned();
    for _ in 0..4 {
        let next = merge_once(&merged);
        if next == merged {
            break;
        }
        merged = next;
    }
    merged
}

/// Whether `words[i]` is an article: "a"/"an" before a word, capitalised only where a
/// sentence starts (so "Plan A is" and "vitamin A" are left alone).
fn is_article(words: &[&str], i: usize) -> bool {
    let next_is_word = words
        .get(i + 1)
        .and_then(|w| w.chars().next())
        .is_some_and(char::is_alphanumeric);
    let starts_sentence = i == 0 || words[i - 1].ends_with(['.', '!', '?', ':']);
    next_is_word
        && match words[i] {
            "a" | "an" => true,
            "A" | "An" => starts_sentence,
            _ => false,
        }
}

fn fix_articles(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let fixed = if is_article(&words, i) {
            let article = article_for(words[i + 1]);
            if word.starts_with('A') {
                capitalized(article)
            } else {
                article.to_owned()
            }
        } else {
            (*word).to_owned()
        };
        out.push(fixed);
    }
    out.join(" ")
}

fn capitalized(article: &str) -> String {
    let mut chars = article.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn merge_once(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // A space before a full stop or comma.
        if c == ' ' && matches!(next, Some('.' | ',')) && !out.is_empty() {
            i += 1;
            continue;
        }
        if c == '.' {
            let run = chars[i..].iter().take_while(|&&d| d == '.').count();
            if run == 2 {
                out.push('.');
                i += 2;
                continue;
            }
            if run >= 3 {
                out.extend(std::iter::repeat_n('.', run));
                i += run;
                continue;
            }
            // ". ." left by a slot ending a sentence before the template's own full stop.
            if next == Some(' ') && chars.get(i + 2) == Some(&'.') && chars.get(i + 3) != Some(&'.')
            {
                out.push('.');
                i += 3;
                continue;
            }
        }
        if matches!(c, '?' | '!' | ',') && next == Some('.') && chars.get(i + 2) != Some(&'.') {
            out.push(if c == ',' { '.' } else { c });
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Little words a hashtag does not start with, and at which it stops.
const HASHTAG_STOP_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "for", "with", "to", "in", "on", "at", "by", "your",
    "our", "my", "from", "that", "who", "which",
];

/// A hashtag of the first phrase of `text` in whole words (each capitalised, leading little
/// words left out, stopping at the next one), at most `max_chars` characters after the `#`; a
/// word that would not fit is left out whole, never cut. `None` when no word fits.
pub fn hashtag(text: &str, max_chars: usize) -> Option<String> {
    let mut tag = String::new();
    let mut started = false;
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let stop = HASHTAG_STOP_WORDS.contains(&word.to_lowercase().as_str());
        if stop {
            if started {
                break;
            }
            continue;
        }
        let mut chars = word.chars();
        let capitalised: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        if tag.chars().count() + capitalised.chars().count() > max_chars {
            break;
        }
        tag.push_str(&capitalised);
        started = true;
    }
    (tag.chars().count() >= 2).then(|| format!("#{tag}"))
}

/// Where `text` uses "a" or "an" against the sound of the next word, each as "a apple".
pub fn article_mistakes(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    (0..words.len())
        .filter(|&i| is_article(&words, i) && words[i].to_lowercase() != article_for(words[i + 1]))
        .map(|i| format!("{} {}", words[i], words[i + 1]))
        .collect()
}

/// Whether `text` doubles punctuation a slot left ("Co..", "?.", ",.", " ."), ellipses aside.
pub fn has_doubled_punctuation(text: &str) -> bool {
    merge_punctuation(text) != text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_sound() {
        for (word, article) in [
            ("apple", "an"),
            ("Attestly", "an"),
            ("umbrella", "an"),
            ("update", "an"),
            ("hour", "an"),
            ("honest", "an"),
            ("SMS", "an"),
            ("HR", "an"),
            ("MBA", "an"),
            ("8-week", "an"),
            ("11", "an"),
            ("18-month", "an"),
            ("user", "a"),
            ("unique", "a"),
            ("one-off", "a"),
            ("European", "a"),
            ("bakery", "a"),
            ("SOC", "a"),
            ("CPA", "a"),
            ("PDF", "a"),
            ("100", "a"),
            ("\"Crumb", "a"),
        ] {
            assert_eq!(article_for(word), article, "{word}");
        }
    }

    #[test]
    fn tidy_mends_articles_and_doubled_punctuation_and_keeps_ellipses() {
        assert_eq!(
            tidy("Thank you for being a Attestly customer."),
            "Thank you for being an Attestly customer."
        );
        assert_eq!(tidy("An bakery and a hour."), "A bakery and an hour.");
        assert_eq!(tidy("Meet Crumb & Co.."), "Meet Crumb & Co.");
        assert_eq!(tidy("Ready? . Go!."), "Ready? Go!");
        assert_eq!(tidy("Fresh bread , daily ."), "Fresh bread, daily.");
        assert_eq!(tidy("Wait for it..."), "Wait for it...");
        assert_eq!(tidy("Crumb & Co. bakes daily."), "Crumb & Co. bakes daily.");
        assert_eq!(
            tidy("Plan A is ready. Take vitamin A every day."),
            "Plan A is ready. Take vitamin A every day."
        );
    }

    #[test]
    fn hashtags_are_whole_words_without_leading_little_words() {
        assert_eq!(
            hashtag("a weekly sourdough subscription delivered", 20).as_deref(),
            Some("#WeeklySourdough")
        );
        assert_eq!(
            hashtag("monthly giving and volunteering", 30).as_deref(),
            Some("#MonthlyGiving")
        );
        assert_eq!(hashtag("Crumb & Co.", 30).as_deref(), Some("#CrumbCo"));
        assert_eq!(
            hashtag("SOC 2 compliance", 30).as_deref(),
            Some("#SOC2Compliance")
        );
        assert_eq!(hashtag("the", 30), None);
        assert_eq!(hashtag("Supercalifragilistic", 10), None, "no word is cut");
    }

    #[test]
    fn the_lint_names_what_the_grammar_layer_mends() {
        assert_eq!(
            article_mistakes("Be a Attestly customer, an bakery fan, an hour early."),
            vec!["a Attestly", "an bakery"]
        );
        assert!(has_doubled_punctuation("Meet Crumb & Co.."));
        assert!(!has_doubled_punctuation(
            "Wait for it... Crumb & Co. bakes."
        ));
    }
}
