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

/// The length of the line break at `i` (`\n` or `\r\n`), 0 when there is none.
fn line_break(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'\n') => 1,
        Some(b'\r') if b.get(i + 1) == Some(&b'\n') => 2,
        _ => 0,
    }
}

/// Appends a span for every email address in `text`. An address a fax page broke across two
/// lines (`isabela1989@⏎gmail.com`, `r.glasco@nnxhealth⏎.org`, `twinia-⏎ta33@outlook.com`)
/// is one span over both parts, line break included.
#[inline(never)]
pub fn find(text: &str, spans: &mut Vec<Span>) {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(at) = b[from..].iter().position(|&c| c == b'@').map(|i| from + i) {
        from = at + 1;
        let start = local_start(b, at);
        let (end, valid) = domain_end(text, at);
        if start == at || !valid {
            continue;
        }
        spans.push(Span::new(start, end, PhiKind::Email));
        from = end;
    }
}

/// Where the local part before the `@` at `at` starts, reading back over one line break
/// when a local-part byte stands before it (`w.visserboer⏎@…`, `muhammad.⏎faisal@…`; a
/// line ending in a full stop only after a word without capitals, which a sentence's last
/// word seldom is when an address follows).
fn local_start(b: &[u8], at: usize) -> usize {
    let mut start = at;
    let mut crossed = false;
    loop {
        while start > 0 && local_byte(b[start - 1]) {
            start -= 1;
        }
        if crossed || start == 0 || b[start - 1] != b'\n' {
            break;
        }
        let nl = if start >= 2 && b[start - 2] == b'\r' {
            2
        } else {
            1
        };
        let last = start.checked_sub(1 + nl).map(|k| (k, b[k]));
        let continues =
            last.is_some_and(|(k, c)| local_byte(c) && (c != b'.' || lower_word_before(b, k)));
        if continues {
            start -= nl;
            crossed = true;
        } else {
            break;
        }
    }
    while start < at && matches!(b[start], b'.' | b'_' | b'%' | b'+' | b'-' | b'\n' | b'\r') {
        start += 1;
    }
    start
}

/// Whether the word that ends at the `.` at `dot` is letters and digits without a capital
/// (`muhammad.`, `r.`): it may be the start of an address broken after a dot. Recall first
/// for addresses: a sentence that ends in such a word right before an address on the next
/// line loses its last word too (`see below.⏎jane@…`), which costs little.
fn lower_word_before(b: &[u8], dot: usize) -> bool {
    let mut s = dot;
    while s > 0 && (b[s - 1].is_ascii_lowercase() || b[s - 1].is_ascii_digit() || b[s - 1] == b'_')
    {
        s -= 1;
    }
    dot > s && (s == 0 || !b[s - 1].is_ascii_uppercase())
}

/// Where the domain after the `@` at `at` ends and whether it is one, crossing one line break
/// right after the `@`, before a `.`, or after a `-`.
fn domain_end(text: &str, at: usize) -> (usize, bool) {
    let b = text.as_bytes();
    let scan = |mut end: usize| {
        while end < b.len() && domain_byte(b[end]) {
            end += 1;
        }
        end
    };
    let mut end = scan(at + 1);
    let nl = line_break(b, end);
    if nl > 0 {
        let next = b.get(end + nl).copied().unwrap_or(b' ');
        // A domain that is not whole before the break (`gma⏎il.com`, `att.n⏎et`) goes on.
        let joins = end == at + 1
            || next == b'.'
            || b[end - 1] == b'-'
            || b[end - 1] == b'.'
            || !valid_domain(&text[at + 1..end]);
        if joins && domain_byte(next) {
            let joined = scan(end + nl);
            let domain: String = text[at + 1..joined]
                .chars()
                .filter(|c| *c != '\n' && *c != '\r')
                .collect();
            let trimmed = domain.trim_end_matches(['.', '-']);
            // A hyphen the page put where it broke a label (`ymail.c-⏎om`).
            let unbroken = text[at + 1..joined].replace("-\r\n", "").replace("-\n", "");
            if valid_domain(trimmed)
                || (b[end - 1] == b'-' && valid_domain(unbroken.trim_end_matches(['.', '-'])))
            {
                let mut e = joined;
                while e > at + 1 && matches!(b[e - 1], b'.' | b'-') {
                    e -= 1;
                }
                return (e, true);
            }
        }
    }
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    (end, valid_domain(&text[at + 1..end]))
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
    fn addresses_broken_across_lines_are_one_span() {
        assert_eq!(
            emails("To: isabela1989@\ngmail.com\n"),
            ["isabela1989@\ngmail.com"]
        );
        assert_eq!(
            emails("E-mail: r.glasco@nnxhealth\n.org\n\nI authorize"),
            ["r.glasco@nnxhealth\n.org"]
        );
        assert_eq!(
            emails("From: Tui <twinia-\nta33@outlook.com>"),
            ["twinia-\nta33@outlook.com"]
        );
        assert_eq!(
            emails("or behnert_glenda@behner-\nt-family.com. Their"),
            ["behnert_glenda@behner-\nt-family.com"]
        );
        assert_eq!(emails("To:hammad19\n80@msn.com"), ["hammad19\n80@msn.com"]);
        // A sentence that ends a line in a capitalised word is not glued to an address on
        // the next.
        assert_eq!(
            emails("Ask Dr. Okafor.\njane@example.com"),
            ["jane@example.com"]
        );
        // Recall first: a lower-case word and a dot ending the line may start the address.
        assert_eq!(
            emails("see below.\njane@example.com"),
            ["below.\njane@example.com"]
        );
    }

    #[test]
    fn addresses_broken_before_the_at_after_a_dot_or_inside_the_top_level_label_are_one_span() {
        assert_eq!(
            emails("Sender e-mail    | w.visserboer\n@qckhealth.org\nDate"),
            ["w.visserboer\n@qckhealth.org"]
        );
        assert_eq!(
            emails("To: muhammad.\nfaisal@att.net\n"),
            ["muhammad.\nfaisal@att.net"]
        );
        assert_eq!(
            emails("reached at +44 20 7975 8988 or r.\ngiraud@ujwhealth.org."),
            ["r.\ngiraud@ujwhealth.org"]
        );
        assert_eq!(
            emails("e-mail | JARAREXACHS@ymail.c-\nom\nDate"),
            ["JARAREXACHS@ymail.c-\nom"]
        );
        assert_eq!(
            emails("mail jane@gma\nil.com and r@att.n\net\n"),
            ["jane@gma\nil.com", "r@att.n\net"]
        );
        // A sentence that ends with a capitalised word stays out of the address.
        assert_eq!(emails("Write to Dr. Okafor.\nj.doe@x.org"), ["j.doe@x.org"]);
    }

    #[test]
    fn at_signs_that_are_not_addresses_are_left_alone() {
        assert!(emails("3 @ $4.00, meet @noon, user@localhost, x@-bad.com").is_empty());
    }
}
