//! The scorer: recall, precision and leaked identifiers per kind.
//!
//! * A labelled identifier is **found** when redaction covers every byte of it.
//! * It has **leaked** when any run of 4 characters of its value (holding a letter or digit)
//!   survives in the redacted text — unless that run also occurs in the document's non-PHI
//!   text, where its presence says nothing (a year, a clinic's name).
//! * A predicted span is **correct** when it overlaps a labelled one; precision is the share
//!   of predicted spans that are.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Document;
use crate::{PhiKind, Redactor, Span};

/// The goals of the evaluation.
pub const RECALL_GOAL: f64 = 0.98;
/// The precision goal.
pub const PRECISION_GOAL: f64 = 0.90;
/// Kinds of which not one may leak.
pub const ZERO_LEAK_KINDS: [PhiKind; 5] = [
    PhiKind::Ssn,
    PhiKind::Phone,
    PhiKind::Fax,
    PhiKind::Email,
    PhiKind::Mrn,
];

/// Counts for one labelled kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindScore {
    /// Labelled identifiers of this kind.
    pub labelled: usize,
    /// Of those, fully covered by redaction.
    pub found: usize,
    /// Of those, with some part surviving in the output.
    pub leaked: usize,
}

/// The result of scoring a redactor on a corpus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    /// Documents scored.
    pub documents: usize,
    /// Bytes of text scored.
    pub bytes: usize,
    /// Per labelled kind.
    pub per_kind: BTreeMap<PhiKind, KindScore>,
    /// Predicted spans.
    pub predicted: usize,
    /// Predicted spans that overlap a labelled one.
    pub predicted_correct: usize,
    /// Predicted spans that overlap nothing labelled, by the kind the detector gave them.
    pub false_positives: BTreeMap<PhiKind, usize>,
}

impl Score {
    /// Labelled identifiers, all kinds.
    pub fn labelled(&self) -> usize {
        self.per_kind.values().map(|k| k.labelled).sum()
    }

    /// Found identifiers, all kinds.
    pub fn found(&self) -> usize {
        self.per_kind.values().map(|k| k.found).sum()
    }

    /// Leaked identifiers, all kinds.
    pub fn leaked(&self) -> usize {
        self.per_kind.values().map(|k| k.leaked).sum()
    }

    /// found / labelled (1 when nothing was labelled).
    pub fn recall(&self) -> f64 {
        ratio(self.found(), self.labelled())
    }

    /// correct / predicted (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        ratio(self.predicted_correct, self.predicted)
    }

    /// The goals this score misses, each said in a sentence; empty when all are met.
    pub fn missed_goals(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.recall() < RECALL_GOAL {
            out.push(format!(
                "recall {:.4} is below {RECALL_GOAL}",
                self.recall()
            ));
        }
        if self.precision() < PRECISION_GOAL {
            out.push(format!(
                "precision {:.4} is below {PRECISION_GOAL}",
                self.precision()
            ));
        }
        for kind in ZERO_LEAK_KINDS {
            let leaked = self.per_kind.get(&kind).map_or(0, |k| k.leaked);
            if leaked > 0 {
                out.push(format!("{leaked} {kind} identifiers leaked (goal: none)"));
            }
        }
        out
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<12} {:>9} {:>7} {:>7} {:>8}",
            "type", "labelled", "found", "leaked", "recall"
        )?;
        for (kind, k) in &self.per_kind {
            writeln!(
                f,
                "{:<12} {:>9} {:>7} {:>7} {:>8.4}",
                kind.label(),
                k.labelled,
                k.found,
                k.leaked,
                ratio(k.found, k.labelled)
            )?;
        }
        writeln!(
            f,
            "{:<12} {:>9} {:>7} {:>7} {:>8.4}",
            "ALL",
            self.labelled(),
            self.found(),
            self.leaked(),
            self.recall()
        )?;
        writeln!(
            f,
            "precision {:.4} ({} of {} predicted spans overlap a labelled identifier)",
            self.precision(),
            self.predicted_correct,
            self.predicted
        )?;
        if !self.false_positives.is_empty() {
            let fp: Vec<String> = self
                .false_positives
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            writeln!(f, "false positives by detected type: {}", fp.join(", "))?;
        }
        writeln!(f, "{} documents, {} bytes", self.documents, self.bytes)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Redacts every document with `redactor` and scores the output against the labels.
pub fn score(redactor: &Redactor, docs: &[Document]) -> Score {
    let mut s = Score::default();
    for doc in docs {
        let out = redactor.redact_text(None, &doc.text);
        s.documents += 1;
        s.bytes += doc.text.len();
        let leaked = leaked(doc, &out.spans);
        for (label, leaked) in doc.spans.iter().zip(leaked) {
            let k = s.per_kind.entry(label.kind).or_default();
            k.labelled += 1;
            if covered(label, &out.spans) {
                k.found += 1;
            }
            if leaked {
                k.leaked += 1;
            }
        }
        for p in &out.spans {
            s.predicted += 1;
            if doc.spans.iter().any(|l| l.start < p.end && p.start < l.end) {
                s.predicted_correct += 1;
            } else {
                *s.false_positives.entry(p.kind).or_default() += 1;
            }
        }
    }
    s
}

/// For each labelled span of `doc`, whether it leaked when `predicted` (sorted, merged) was
/// redacted. Each label is judged on the output as it would be with every *other* label's
/// surviving text blanked out, so one missed identifier is not also charged to a found one
/// that happens to share four letters with it.
pub fn leaked(doc: &Document, predicted: &[Span]) -> Vec<bool> {
    let residue = residue(&doc.text, &doc.spans);
    (0..doc.spans.len())
        .map(|i| {
            let label = &doc.spans[i];
            let output = output_seen_by(doc, predicted, i);
            leaks(&doc.text[label.start..label.end], &output, &residue)
        })
        .collect()
}

/// The redacted text, with the text of labels other than `own` that redaction missed
/// replaced by NULs.
fn output_seen_by(doc: &Document, predicted: &[Span], own: usize) -> String {
    let text = &doc.text;
    let mut out = String::with_capacity(text.len());
    let mut p = predicted.iter().peekable();
    let mut i = 0;
    while i < text.len() {
        while p.peek().is_some_and(|s| s.end <= i) {
            p.next();
        }
        if let Some(s) = p.peek().filter(|s| s.start <= i) {
            out.push_str(s.kind.placeholder());
            i = s.end;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let in_other = doc
            .spans
            .iter()
            .enumerate()
            .any(|(j, l)| j != own && l.start <= i && i < l.end);
        out.push(if in_other { '\0' } else { c });
        i += c.len_utf8();
    }
    out
}

/// Whether the sorted, merged `predicted` spans cover every byte of `label`.
pub fn covered(label: &Span, predicted: &[Span]) -> bool {
    let mut at = label.start;
    for p in predicted {
        if p.end <= at {
            continue;
        }
        if p.start > at {
            return false;
        }
        at = p.end;
        if at >= label.end {
            return true;
        }
    }
    at >= label.end
}

/// The text with every labelled span cut out (a NUL in its place): what may legitimately
/// survive redaction.
pub fn residue(text: &str, spans: &[Span]) -> String {
    let mut sorted = spans.to_vec();
    sorted.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in sorted {
        if s.start >= at {
            out.push_str(&text[at..s.start]);
            out.push('\0');
            at = s.end;
        }
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Whether `run` is part of a replacement label: "ENSE" of `SØRENSEN` in `[LICENSE]` is not
/// a leak.
fn in_placeholder(run: &str) -> bool {
    PhiKind::ALL.iter().any(|k| k.placeholder().contains(run))
}

/// Whether a run of 4 characters of `value` that is not also in `residue` (nor part of a
/// replacement label) appears in `output`.
pub fn leaks(value: &str, output: &str, residue: &str) -> bool {
    let chars: Vec<(usize, char)> = value.char_indices().collect();
    if chars.len() < 4 {
        return output.contains(value) && !residue.contains(value);
    }
    (0..=chars.len() - 4).any(|i| {
        let start = chars[i].0;
        let end = chars.get(i + 4).map_or(value.len(), |c| c.0);
        let run = &value[start..end];
        run.chars().any(char::is_alphanumeric)
            && !residue.contains(run)
            && !in_placeholder(run)
            && output.contains(run)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_needs_every_byte() {
        let label = Span::new(5, 15, PhiKind::Phone);
        assert!(covered(
            &label,
            &[
                Span::new(0, 10, PhiKind::Phone),
                Span::new(10, 20, PhiKind::Phone)
            ]
        ));
        assert!(!covered(
            &label,
            &[
                Span::new(0, 10, PhiKind::Phone),
                Span::new(11, 20, PhiKind::Phone)
            ]
        ));
        assert!(!covered(&label, &[Span::new(6, 20, PhiKind::Phone)]));
        assert!(!covered(&label, &[]));
    }

    #[test]
    fn a_surviving_run_is_a_leak_unless_the_residue_has_it_too() {
        assert!(leaks("555-867-5309", "call [PHONE] or 867-5309", "call \0"));
        assert!(!leaks("555-867-5309", "call [PHONE]", "call \0"));
        // "2021" also stands alone in the non-PHI text: not evidence of a leak.
        assert!(!leaks("03/14/2021", "since 2021, [DATE]", "since 2021, \0"));
        assert!(leaks("Jane Doe", "Patient: Jane [NAME]", "Patient: \0"));
        // Letters a value shares with a label are not a leak.
        assert!(!leaks("SØRENSEN", "NPI: [LICENSE]", "NPI: \0"));
    }
}
