//! What a model writes when it goes wrong and a reader would never accept: programming
//! leftovers (`undefined`, `null`, `[object Object]`), placeholders (`N/A`, `TODO`, lorem
//! ipsum, "insert … here"), the model talking about itself ("as an AI"), HTML tags and a word
//! said twice in a row.

/// Phrases that are junk wherever they stand, lower case.
const JUNK_PHRASES: &[&str] = &[
    "[object object]",
    "lorem ipsum",
    "as an ai",
    "as a language model",
    "i cannot help with",
    "insert your",
    "[insert",
    "<insert",
    "(insert",
];

/// Words that are junk as whole words.
const JUNK_WORDS: &[&str] = &[
    "undefined",
    "null",
    "nan",
    "todo",
    "tbd",
    "n/a",
    "fixme",
    "xxx",
];

/// Little words that are never said twice in a row on purpose ("the the"); "bye bye" is.
const DOUBLED_BY_MISTAKE: &[&str] = &[
    "the", "a", "an", "to", "and", "of", "in", "for", "with", "your", "our", "on", "is", "at",
    "you", "we", "it",
];

/// What is junk in `text`, if anything: the words as they stand, and what is wrong.
pub(super) fn junk(text: &str) -> Option<(String, String)> {
    let lower = text.to_lowercase();
    if let Some(phrase) = JUNK_PHRASES.iter().find(|p| lower.contains(*p)) {
        return Some(((*phrase).to_owned(), format!("says {phrase:?}")));
    }
    if let Some(start) = lower.find("insert ")
        && lower[start..]
            .split_whitespace()
            .take(6)
            .any(|w| w.starts_with("here"))
    {
        return Some(("insert".into(), "asks to insert something here".into()));
    }
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/')
                .to_lowercase()
        })
        .collect();
    if let Some(word) = words.iter().find(|w| JUNK_WORDS.contains(&w.as_str())) {
        return Some((word.clone(), format!("says {word:?}")));
    }
    // Twice in a row within one clause: "Thank you. You…" is two sentences, not a stutter.
    let raw: Vec<&str> = text.split_whitespace().collect();
    if let Some(i) = (1..words.len()).find(|&i| {
        words[i] == words[i - 1]
            && DOUBLED_BY_MISTAKE.contains(&words[i].as_str())
            && raw[i - 1].ends_with(|c: char| c.is_alphanumeric())
    }) {
        let said = format!("{0} {0}", words[i]);
        return Some((said.clone(), format!("says {said:?}")));
    }
    html_tag(text).map(|tag| (tag.to_owned(), format!("holds the HTML tag {tag:?}")))
}

/// The first HTML tag in `text` (`<b>`, `</p>`, `<br/>`), if any; merge tags and arrows aside.
fn html_tag(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let tail = &rest[start..];
        let end = tail.find('>')?;
        let inner = &tail[1..end];
        let name = inner.trim_start_matches('/').trim_end_matches('/').trim();
        let tag_name = name.split_whitespace().next().unwrap_or_default();
        if !tag_name.is_empty()
            && tag_name.len() <= 10
            && tag_name.chars().all(|c| c.is_ascii_alphanumeric())
            && tag_name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            return Some(&tail[..=end]);
        }
        rest = &tail[1..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::junk;

    #[test]
    fn what_a_broken_model_writes_is_junk_and_ordinary_copy_is_not() {
        for text in [
            "Meet undefined, the smarter way to close.",
            "Price: null",
            "Delivery: N/A",
            "Your plan: [object Object]",
            "TODO: write the headline.",
            "Lorem ipsum dolor sit amet.",
            "As an AI, I cannot promise results.",
            "Insert your company name here.",
            "We bake [insert product] fresh.",
            "<b>Fresh</b> bread every morning.",
            "Close the the books in 3 days.",
        ] {
            assert!(junk(text).is_some(), "{text}");
        }
        for text in [
            "Close the books in 3 days instead of 10.",
            "Hi {{first_name}}, your loaf is ready → pick it up today.",
            "Bring a friend: 2 < 3 loaves, and 5 > 4.",
            "Bye bye, queues.",
            "Insert a card and you're done.",
            "Thank you. You made it simple.",
        ] {
            assert_eq!(junk(text), None, "{text}");
        }
    }
}
