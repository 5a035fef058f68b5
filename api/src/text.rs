//! Free text people type into the API (key names, reasons): refused when it holds control
//! characters or invisible formatting that can disguise what a list or a terminal shows
//! (bidirectional overrides, zero-width characters, the byte-order mark).

/// Whether `c` is a control or invisible formatting character.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{00AD}')
}

/// `Some(trimmed text)` when it is 1..=`max` characters with nothing hidden in it.
pub fn plain(text: &str, max: usize) -> Option<String> {
    let t = text.trim();
    let n = t.chars().count();
    (n >= 1 && n <= max && !t.chars().any(is_hidden)).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_zero_width_and_controls_are_refused() {
        assert_eq!(plain("  release key ", 80).as_deref(), Some("release key"));
        for bad in [
            "evil\u{202E}gnp.exe",
            "a\u{200B}b",
            "a\nb",
            "\u{FEFF}x",
            "",
            &"x".repeat(81),
        ] {
            assert!(plain(bad, 80).is_none(), "{bad:?}");
        }
    }
}
