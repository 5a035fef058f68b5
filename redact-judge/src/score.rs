//! Scoring a detector on a corpus, character by character.
//!
//! * **recall** of a type: the share of its identifiers' letters and digits that a detected
//!   span covers (any detected kind counts: what matters is that the character is gone);
//! * **whole**: the share of identifiers covered completely;
//! * **leak**: an identifier with four letters or digits in a row (separators skipped) that
//!   no detected span covers, or, for one shorter than four, with none covered;
//! * **precision**: the share of detected letters and digits that lie inside an identifier;
//! * **decoys hit**: per class, the share of look-alikes of which a detected span took a
//!   letter or digit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use faxbot_redact::Span;
use serde::Serialize;

use crate::doc::{Document, Label};
use crate::split::Split;

/// Counts for one type (or one type and form).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    /// Identifiers.
    pub n: u64,
    /// Their letters and digits.
    pub chars: u64,
    /// Of those, covered by a detected span.
    pub covered: u64,
    /// Identifiers covered completely.
    pub whole: u64,
    /// Identifiers that leak.
    pub leaks: u64,
}

impl Tally {
    /// Covered share of characters.
    pub fn recall(&self) -> f64 {
        ratio(self.covered, self.chars)
    }

    fn add(&mut self, o: &Outcome) {
        self.n += 1;
        self.chars += o.chars;
        self.covered += o.covered;
        self.whole += u64::from(o.covered == o.chars);
        self.leaks += u64::from(o.leak);
    }
}

/// The score of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// Documents scored.
    pub docs: u64,
    /// Bytes of text.
    pub bytes: u64,
    /// Time the detector took.
    pub detect_secs: f64,
    /// Per type.
    pub by_type: BTreeMap<String, Tally>,
    /// Per type and form.
    pub by_form: BTreeMap<String, Tally>,
    /// Per layout (document kind).
    pub by_layout: BTreeMap<String, Tally>,
    /// All identifiers.
    pub all: Tally,
    /// Detected letters and digits.
    pub predicted: u64,
    /// Of those, inside an identifier.
    pub predicted_true: u64,
    /// Per decoy class: how many, how many hit.
    pub decoys: BTreeMap<String, (u64, u64)>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

impl Score {
    /// Precision over detected letters and digits.
    pub fn precision(&self) -> f64 {
        ratio(self.predicted_true, self.predicted)
    }

    /// The per-type table, as Markdown.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "| type | n | recall | whole | leaks |\n|---|---:|---:|---:|---:|"
        );
        let mut rows: Vec<(&String, &Tally)> = self.by_type.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1.n));
        for (k, t) in rows {
            let _ = writeln!(
                s,
                "| {k} | {} | {:.3} | {:.3} | {} |",
                t.n,
                t.recall(),
                ratio(t.whole, t.n),
                t.leaks
            );
        }
        let a = &self.all;
        let _ = writeln!(
            s,
            "| **all** | {} | **{:.3}** | {:.3} | {} |",
            a.n,
            a.recall(),
            ratio(a.whole, a.n),
            a.leaks
        );
        let _ = writeln!(
            s,
            "\nprecision {:.3} ({} of {} detected letters/digits inside an identifier); {} documents, {} bytes, {:.1} MiB/s",
            self.precision(),
            self.predicted_true,
            self.predicted,
            self.docs,
            self.bytes,
            self.bytes as f64 / 1_048_576.0 / self.detect_secs.max(1e-9)
        );
        let _ = writeln!(s, "\n| decoy class | n | hit |\n|---|---:|---:|");
        let mut d: Vec<_> = self.decoys.iter().collect();
        d.sort_by_key(|x| std::cmp::Reverse(x.1.1 * 1000 / x.1.0.max(1)));
        for (k, (n, hit)) in d {
            let _ = writeln!(s, "| {k} | {n} | {hit} |");
        }
        s
    }
}

/// What happened to one identifier.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    chars: u64,
    covered: u64,
    leak: bool,
}

fn outcome(text: &str, l: &Label, mask: &[bool]) -> Outcome {
    let mut chars = 0;
    let mut covered = 0;
    let mut run = 0;
    let mut longest = 0;
    for (i, c) in text[l.start..l.end].char_indices() {
        if !c.is_alphanumeric() {
            continue;
        }
        chars += 1;
        if mask[l.start + i] {
            covered += 1;
            run = 0;
        } else {
            run += 1;
            longest = longest.max(run);
        }
    }
    let leak = longest >= chars.min(4) && longest > 0;
    Outcome {
        chars,
        covered,
        leak,
    }
}

fn mask_of(len: usize, ranges: impl Iterator<Item = (usize, usize)>) -> Vec<bool> {
    let mut m = vec![false; len];
    for (s, e) in ranges {
        for x in m.iter_mut().take(e.min(len)).skip(s) {
            *x = true;
        }
    }
    m
}

/// A detector's answer for one document, and how long it took.
pub type Detected = (Vec<Span>, Duration);

/// Scores `find` on `docs`.
pub fn score(docs: &[Document], mut find: impl FnMut(&str) -> Detected) -> Score {
    let mut s = Score::default();
    for d in docs {
        let (spans, took) = find(&d.text);
        s.docs += 1;
        s.bytes += d.text.len() as u64;
        s.detect_secs += took.as_secs_f64();
        let mask = mask_of(d.text.len(), spans.iter().map(|x| (x.start, x.end)));
        let truth = mask_of(d.text.len(), d.spans.iter().map(|x| (x.start, x.end)));
        for l in &d.spans {
            let o = outcome(&d.text, l, &mask);
            s.by_type
                .entry(l.kind.label().to_owned())
                .or_default()
                .add(&o);
            s.by_form
                .entry(format!("{} {}", l.kind.label(), l.form))
                .or_default()
                .add(&o);
            s.by_layout.entry(d.kind.clone()).or_default().add(&o);
            s.all.add(&o);
        }
        for (i, c) in d.text.char_indices() {
            if c.is_alphanumeric() && mask[i] {
                s.predicted += 1;
                s.predicted_true += u64::from(truth[i]);
            }
        }
        for dc in &d.decoys {
            let hit = d.text[dc.start..dc.end]
                .char_indices()
                .any(|(i, c)| c.is_alphanumeric() && mask[dc.start + i]);
            let e = s.decoys.entry(dc.class.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(hit);
        }
    }
    s
}

/// Case-by-case listing refused: the judging split is only ever scored as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing to list misses of the {0} split: only the tuning split may be read case by case")]
pub struct SealedSplit(pub String);

/// Missed identifiers and false positives of a tuning corpus, worst categories first.
#[derive(Debug, Clone, Default)]
pub struct Misses {
    /// The report text.
    pub report: String,
}

fn context(text: &str, start: usize, end: usize) -> String {
    let mut a = start.saturating_sub(40);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (end + 40).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    format!(
        "{}⟦{}⟧{}",
        &text[a..start],
        &text[start..end],
        &text[end..b]
    )
    .replace(['\n', '\r'], "⏎")
}

impl Misses {
    /// Lists up to `n` missed identifiers and `n` false positives of `docs`, which must all
    /// belong to the tuning split.
    pub fn collect(
        docs: &[Document],
        n: usize,
        mut find: impl FnMut(&str) -> Vec<Span>,
    ) -> Result<Misses, SealedSplit> {
        if let Some(d) = docs.iter().find(|d| d.split != Split::Tuning.name()) {
            return Err(SealedSplit(d.split.chars().take(16).collect()));
        }
        let mut missed = Vec::new();
        let mut fps = Vec::new();
        let mut categories: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        let mut shapes: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        let mut fp_categories: BTreeMap<String, u64> = BTreeMap::new();
        for d in docs {
            let spans = find(&d.text);
            let mask = mask_of(d.text.len(), spans.iter().map(|x| (x.start, x.end)));
            for l in &d.spans {
                let o = outcome(&d.text, l, &mask);
                if o.covered < o.chars {
                    let cat = format!("{} {} in {}", l.kind.label(), l.form, d.kind);
                    for e in [
                        categories.entry(cat).or_default(),
                        shapes
                            .entry(format!("{} {}", l.kind.label(), l.form))
                            .or_default(),
                    ] {
                        e.0 += 1;
                        e.1 += o.chars - o.covered;
                        e.2 += u64::from(o.leak);
                    }
                    missed.push(format!(
                        "doc {} {} {} {}{}: {}",
                        d.id,
                        d.kind,
                        l.kind.label(),
                        l.form,
                        if o.leak { " LEAK" } else { "" },
                        context(&d.text, l.start, l.end)
                    ));
                }
            }
            for sp in &spans {
                let overlaps = d.spans.iter().any(|l| l.start < sp.end && sp.start < l.end);
                if !overlaps {
                    let class = d
                        .decoys
                        .iter()
                        .find(|x| x.start < sp.end && sp.start < x.end)
                        .map(|x| x.class.as_str())
                        .unwrap_or("plain text");
                    *fp_categories
                        .entry(format!("{} on {class} in {}", sp.kind.label(), d.kind))
                        .or_default() += 1;
                    fps.push(format!(
                        "doc {} {} detected {} on {class}: {}",
                        d.id,
                        d.kind,
                        sp.kind.label(),
                        context(&d.text, sp.start, sp.end)
                    ));
                }
            }
        }
        let mut r = String::new();
        let mut by_shape: Vec<_> = shapes.into_iter().collect();
        by_shape.sort_by_key(|c| std::cmp::Reverse(c.1.1));
        let _ = writeln!(r, "## miss shapes (type, form), by missed characters\n");
        let _ = writeln!(
            r,
            "| shape | identifiers missed | characters missed | leaks |\n|---|---:|---:|---:|"
        );
        for (k, (ids, chars, leaks)) in by_shape.iter().take(n.max(10)) {
            let _ = writeln!(r, "| {k} | {ids} | {chars} | {leaks} |");
        }
        let _ = writeln!(r);
        let mut cats: Vec<_> = categories.into_iter().collect();
        cats.sort_by_key(|c| std::cmp::Reverse(c.1.1));
        let _ = writeln!(
            r,
            "## miss categories (type, form, document kind), by missed characters\n"
        );
        let _ = writeln!(
            r,
            "| category | identifiers missed | characters missed | leaks |\n|---|---:|---:|---:|"
        );
        for (k, (ids, chars, leaks)) in cats.iter().take(n.max(10)) {
            let _ = writeln!(r, "| {k} | {ids} | {chars} | {leaks} |");
        }
        let mut fc: Vec<_> = fp_categories.into_iter().collect();
        fc.sort_by_key(|c| std::cmp::Reverse(c.1));
        let _ = writeln!(
            r,
            "\n## false-positive categories\n\n| category | spans |\n|---|---:|"
        );
        for (k, v) in fc.iter().take(n.max(10)) {
            let _ = writeln!(r, "| {k} | {v} |");
        }
        let _ = writeln!(r, "\n## missed identifiers (first {n})\n");
        for m in missed.iter().take(n) {
            let _ = writeln!(r, "{m}");
        }
        let _ = writeln!(r, "\n## false positives (first {n})\n");
        for f in fps.iter().take(n) {
            let _ = writeln!(r, "{f}");
        }
        Ok(Misses { report: r })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faxbot_redact::PhiKind;

    fn doc(text: &str, spans: &[(usize, usize, PhiKind)]) -> Document {
        Document {
            id: 0,
            kind: "t".into(),
            split: "tuning".into(),
            ocr: false,
            text: text.into(),
            spans: spans
                .iter()
                .map(|&(start, end, kind)| Label {
                    start,
                    end,
                    kind,
                    form: "f".into(),
                })
                .collect(),
            decoys: Vec::new(),
        }
    }

    #[test]
    fn four_uncovered_digits_in_a_row_are_a_leak_and_three_are_not() {
        let d = doc("call 555-867-5309 now", &[(5, 17, PhiKind::Phone)]);
        // detector covers "555-867-" only: 5309 survives
        let s = score(std::slice::from_ref(&d), |_| {
            (vec![Span::new(5, 13, PhiKind::Phone)], Duration::ZERO)
        });
        assert_eq!(s.all.leaks, 1);
        // covers all but "309"
        let s = score(&[d], |_| {
            (vec![Span::new(5, 14, PhiKind::Phone)], Duration::ZERO)
        });
        assert_eq!(s.all.leaks, 0);
        assert!((s.all.recall() - 0.7).abs() < 1e-9);
    }

    #[test]
    fn precision_counts_detected_characters_outside_identifiers() {
        let d = doc("Jane Doe E11.9", &[(0, 8, PhiKind::Name)]);
        let s = score(&[d], |_| {
            (vec![Span::new(0, 14, PhiKind::Name)], Duration::ZERO)
        });
        assert_eq!(s.predicted, 11);
        assert_eq!(s.predicted_true, 7);
        assert_eq!(s.all.recall(), 1.0);
    }

    #[test]
    fn misses_of_the_judging_split_are_refused() {
        let mut d = doc("Jane Doe", &[(0, 8, PhiKind::Name)]);
        d.split = "judging".into();
        assert!(Misses::collect(&[d], 5, |_| Vec::new()).is_err());
    }
}
