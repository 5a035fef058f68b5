//! Where a run of name-shaped words is a name by its shape and its place on the page, with no
//! cue word and no dictionary: the layouts people write names in.
//!
//! - Initials before a family name (`H.H. Erhardt`, `S.B. von Powell`; one initial when
//!   it opens a line or a field: `P. Karlsson`, `Name: S. Bhatti`).
//! - `Family, Given I.`: a comma after the first word and a middle initial closing the run
//!   (`Greco, Leonardo S.`).
//! - The first line of a mailing address: a line that holds only the run, above a line that
//!   opens with a house number or a post-office box (`Hiền Lý⏎1154 Detroit Ter`).
//! - A salutation and a signature: the run alone on its line with a comma after it, below a
//!   blank line (`⏎⏎Ashlee,⏎This is a reminder`); the run alone on the line under a closing
//!   (`Thanks,⏎Keagan`).
//!
//! The run's words are already name-shaped (the name pass rejects English words the name
//! lists do not know, field labels and clinical vocabulary), so these shapes only decide
//! whether a run nobody introduced is a person. Nothing here allocates.

/// `X.` or a lone capital: an initial.
pub(super) fn is_initial(t: &str) -> bool {
    let t = t.strip_suffix('.').unwrap_or(t);
    match t.len() {
        1 => t.as_bytes()[0].is_ascii_uppercase(),
        2..=4 => t.chars().count() == 1 && t.chars().all(char::is_uppercase),
        _ => false,
    }
}

/// The line around byte `at`: (start, end), `end` at the line break or the text's end.
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let s = b[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let e = b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| at + p);
    (s, e)
}

fn blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r')
}

/// Where the line holding `at` starts, if only blanks (spaces, tabs, a `\r`) stand between
/// its start and `at`.
fn blank_back_to_line_start(b: &[u8], at: usize) -> Option<usize> {
    let mut k = at;
    while k > 0 && blank(b[k - 1]) {
        k -= 1;
    }
    (k == 0 || b[k - 1] == b'\n').then_some(k)
}

/// Where the line holding `at` ends (its break or the text's end), if only blanks stand
/// between `at` and there.
fn blank_on_to_line_end(b: &[u8], at: usize) -> Option<usize> {
    let mut k = at;
    while k < b.len() && blank(b[k]) {
        k += 1;
    }
    (k == b.len() || b[k] == b'\n').then_some(k)
}

/// A run of words (`word(i)` gives word `i`'s byte range, `n` words) is a name by its shape.
/// `particle(i)` says whether word `i` is a name particle (`van`, `de`).
pub(super) fn is_name(
    text: &str,
    n: usize,
    word: impl Fn(usize) -> (usize, usize),
    particle: impl Fn(usize) -> bool,
) -> bool {
    if n == 0 {
        return false;
    }
    let t = |i: usize| {
        let (s, e) = word(i);
        &text[s..e]
    };
    let (start, _) = word(0);
    let (_, end) = word(n - 1);
    let last_is_family = !is_initial(t(n - 1)) && !particle(n - 1) && t(n - 1).len() >= 2;
    if is_initial(t(0)) && last_is_family {
        // Initials before the family name: two or more, or one that opens a line or a field
        // (a single capital after a word is as often `Hepatitis B.` or `Part D.`).
        let initials = (0..n).take_while(|&i| is_initial(t(i))).count();
        let before = text[..start].trim_end_matches([' ', '\t']);
        let opens = before.is_empty() || before.ends_with(['\n', ':', '|', ',', '(', '>']);
        if initials >= 2 || opens {
            return true;
        }
    }
    // The family name's first word, after its particles (`van der Veen, Max M.`).
    let f = (0..n).find(|&i| !particle(i)).unwrap_or(0);
    if n >= f + 3 && is_initial(t(n - 1)) && !is_initial(t(f)) && t(f).len() >= 2 {
        // `Family, Given I.`: the comma right after the first word (or hyphenated family).
        let (_, e0) = word(f);
        if text[e0..].starts_with(',') {
            return true;
        }
    }
    // The other layouts hold the run alone on its line. Only the blanks around the run are
    // read to say so, never the whole line: a long line with many runs costs no more.
    let b = text.as_bytes();
    let Some(ls) = blank_back_to_line_start(b, start) else {
        return false;
    };
    if n >= 2
        && let Some(le) = blank_on_to_line_end(b, end)
        && opens_address(text, le)
    {
        return true;
    }
    if n <= 3 && b.get(end) == Some(&b',') && blank_on_to_line_end(b, end + 1).is_some() {
        // A salutation: alone on its line after a blank line, a comma after it.
        if ls
            .checked_sub(1)
            .is_some_and(|p| blank_back_to_line_start(b, p).is_some())
        {
            return true;
        }
    }
    if n <= 3 && blank_on_to_line_end(b, end).is_some() {
        // A signature under a closing.
        if let Some(p) = ls.checked_sub(1) {
            let (ps, pe) = line_at(text, p);
            let prev = text[ps..pe].trim();
            if let Some(word) = prev.strip_suffix(',')
                && CLOSINGS.iter().any(|c| c.eq_ignore_ascii_case(word))
            {
                return true;
            }
        }
    }
    false
}

/// The closings a letter or an e-mail ends with, before the writer's name.
const CLOSINGS: &[&str] = &[
    "thanks",
    "thank you",
    "many thanks",
    "sincerely",
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "best",
    "cheers",
    "respectfully",
    "yours truly",
    "cordially",
];

/// Whether the line after the break at `nl` opens like a street address: a house number
/// (digits, maybe a letter or a hyphenated part) and a word, or a post-office, military or
/// rural-route box.
fn opens_address(text: &str, nl: usize) -> bool {
    let Some(rest) = text.get(nl + 1..) else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    let b = rest.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=6).contains(&digits) {
        let after = &b[digits..];
        let after = after
            .iter()
            .position(|&c| c == b' ')
            .filter(|&p| {
                p <= 3
                    && after[..p]
                        .iter()
                        .all(|&c| c == b'-' || c.is_ascii_alphanumeric())
            })
            .map_or(after, |p| &after[p..]);
        return after.first() == Some(&b' ')
            && after
                .get(1)
                .is_some_and(|&c| c.is_ascii_alphabetic() || c.is_ascii_digit());
    }
    let upper: [u8; 8] = std::array::from_fn(|i| b.get(i).map_or(0, u8::to_ascii_uppercase));
    upper.starts_with(b"PO BOX")
        || upper.starts_with(b"P.O. BOX")
        || upper.starts_with(b"POBOX")
        || upper.starts_with(b"PSC ")
        || upper.starts_with(b"RR ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `run` (inside `text`) into words at spaces, commas and after dots, as the name
    /// pass does.
    fn shaped(text: &str, run: &str) -> bool {
        let at = text.find(run).expect("run in text");
        let mut words = Vec::new();
        let mut s = None;
        for (i, c) in run.char_indices() {
            if c == ' ' || c == ',' {
                if let Some(st) = s.take() {
                    words.push((at + st, at + i));
                }
            } else if s.is_none() {
                s = Some(i);
            }
            // An initial's dot ends it (`H.H.`).
            if c == '.'
                && let Some(st) = s.take()
            {
                words.push((at + st, at + i + 1));
            }
        }
        if let Some(st) = s {
            words.push((at + st, at + run.len()));
        }
        is_name(
            text,
            words.len(),
            |i| words[i],
            |i| {
                matches!(
                    &text[words[i].0..words[i].1],
                    "van" | "von" | "de" | "den" | "der"
                )
            },
        )
    }

    #[test]
    fn layouts_make_a_run_without_a_cue_a_name() {
        for (text, run) in [
            (
                "Subject: Labs for H.H. Erhardt DOB 07/10/35",
                "H.H. Erhardt",
            ),
            ("reminder\n\nP. Karlsson\nPO Box 37222", "P. Karlsson"),
            (
                "name (last, first, MI): van der Veen, Max M.\nOther",
                "van der Veen, Max M.",
            ),
            (
                "6. Patient's Name and Address\nGreco, Leonardo S.\n25310 Way",
                "Greco, Leonardo S.",
            ),
            (
                "Your upcoming visit\n\nHiền Lý\n1154 Detroit Ter, Apt 14U",
                "Hiền Lý",
            ),
            (
                "Orangeburg SC 03297\n\nAshlee,\nThis is a reminder",
                "Ashlee",
            ),
            (
                "records?id=2.\n\nThanks,\nKeagan\n\nSent from my iPhone",
                "Keagan",
            ),
        ] {
            assert!(shaped(text, run), "{text:?}: {run:?}");
        }
    }

    #[test]
    fn runs_in_prose_and_headings_are_not_names_by_layout_alone() {
        for (text, run) in [
            ("positive for Hepatitis B. Keppra was started", "B. Keppra"),
            (
                "HOSPITAL COURSE\nKeppra Xarelto\nwas continued",
                "Keppra Xarelto",
            ),
            ("in the clinic.\nKeppra,\nXarelto and others", "Keppra"),
            ("Quest Lab\nSuite 200 Third floor", "Quest Lab"),
        ] {
            assert!(!shaped(text, run), "{text:?}: {run:?}");
        }
    }
}
