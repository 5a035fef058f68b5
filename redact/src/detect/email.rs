//! Email addresses, found from their `@`: the local part is read backwards and the domain
//! forwards. Kept out of the pattern automaton because a local part may begin any word.
//! Non-ASCII letters count as letters on both sides (`josé.núñez@example.com`); the scan only
//! ever stops at ASCII bytes, so spans fall on character boundaries.

use crate::{PhiKind, Span};

fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80 || matches!(b, b'.' | b'-')
}

/// Appends a span for every email address in `text`.
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(at) = b[from..].iter().position(|&c| c == b'@').map(|i| from + i) {
        from = at + 1;
        let mut start = at;
        while start > 0 && local_byte(b[start - 1]) {
            start -= 1;
        }
        while start < at && matches!(b[start], b'.' | b'_' | b'%' | b'+' | b'-') {
            start += 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain_byte(b[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        if start == at || !valid_domain(&text[at + 1..end]) {
            continue;
        }
        spans.push(Span::new(start, end, PhiKind::Email));
        from = end;
    }
}

/// Two or more labels of letters, digits and inner hyphens; the last alphabetic, 2+ long.
fn valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && labels.last().is_some_and(|tld| {
            tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic() || c >= 0x80)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn addresses_are_found_from_their_at_sign() {
        assert_eq!(
            emails("to=jane.doe+fax@mail.example.co.uk, cc <j_smith1970@example.com>."),
            ["jane.doe+fax@mail.example.co.uk", "j_smith1970@example.com"]
        );
        assert_eq!(emails(r#"{"email":"a@b.example"}"#), ["a@b.example"]);
        assert_eq!(
            emails("é josé.núñez@exämple.com."),
            ["josé.núñez@exämple.com"]
        );
    }

    #[test]
    fn at_signs_that_are_not_addresses_are_left_alone() {
        assert!(emails("3 @ $4.00, meet @noon, user@localhost, x@-bad.com").is_empty());
    }
}
