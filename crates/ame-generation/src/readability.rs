//! Reading ease: the Flesch–Kincaid grade level of generated copy.

/// Flesch–Kincaid grade level: `0.39 × words/sentences + 11.8 × syllables/words − 15.59`.
/// `None` for text without words.
pub fn flesch_kincaid_grade(text: &str) -> Option<f64> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '/' || c == '—')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    if words.is_empty() {
        return None;
    }
    let sentences = text
        .split(['.', '!', '?', '\n'])
        .filter(|s| s.chars().any(char::is_alphabetic))
        .count()
        .max(1);
    let syllables: usize = words.iter().map(|w| syllables(w)).sum();
    let w = words.len() as f64;
    let grade = 0.39 * (w / sentences as f64) + 11.8 * (syllables as f64 / w) - 15.59;
    Some((grade * 10.0).round() / 10.0)
}

/// Estimated syllables of an English word: vowel groups, minus a silent final `e`, at least 1.
pub fn syllables(word: &str) -> usize {
    let word = word.to_lowercase();
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        return 0;
    }
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut count = 0;
    let mut previous_vowel = false;
    for &c in &letters {
        let vowel = is_vowel(c);
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    let n = letters.len();
    if n > 2 && letters[n - 1] == 'e' && !is_vowel(letters[n - 2]) && letters[n - 2] != 'l' {
        count -= 1;
    }
    if n > 2 && letters[n - 2..] == ['e', 'd'] && !matches!(letters[n - 3], 't' | 'd') && count > 1
    {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_of_common_words() {
        for (word, n) in [
            ("cat", 1),
            ("make", 1),
            ("table", 2),
            ("reading", 2),
            ("organization", 5),
            ("booked", 1),
            ("wanted", 2),
        ] {
            assert_eq!(syllables(word), n, "{word}");
        }
    }

    #[test]
    fn simple_text_reads_at_a_lower_grade_than_dense_text() {
        let simple =
            flesch_kincaid_grade("The cat sat on the mat. It was warm. We had fun.").unwrap();
        let dense = flesch_kincaid_grade(
            "Organizational transformation necessitates comprehensive reconsideration of institutional accountability mechanisms and interdepartmental communication infrastructure.",
        )
        .unwrap();
        assert!(simple < 3.0, "{simple}");
        assert!(dense > 16.0, "{dense}");
        assert_eq!(flesch_kincaid_grade("  !!! "), None);
    }
}
