//! A provider's free-text failure message reduced to a category a plugin may see.

/// The categories a plugin may see, checked in this order against the lower-cased text.
const CUES: [(&str, &str); 6] = [
    ("busy", "busy"),
    ("no answer", "no_answer"),
    ("no_answer", "no_answer"),
    ("rejected", "rejected"),
    ("line", "line_error"),
    ("timeout", "timeout"),
];

/// The category of a provider's failure text; the text itself never leaves the core.
/// Anything unrecognised is `other`.
pub fn failure_category(detail: &str) -> &'static str {
    let lower = detail.to_ascii_lowercase();
    CUES.iter()
        .find(|(cue, _)| lower.contains(cue))
        .map_or("other", |(_, category)| category)
}

#[cfg(test)]
mod tests {
    use super::failure_category;

    #[test]
    fn provider_text_becomes_a_category_without_its_words() {
        assert_eq!(failure_category("Line BUSY for Jane Doe"), "busy");
        assert_eq!(failure_category("remote: no answer"), "no_answer");
        assert_eq!(failure_category("T.30 timeout at phase B"), "timeout");
        assert_eq!(failure_category("Patient John Smith, MRN 1234"), "other");
    }
}
