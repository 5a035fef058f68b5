//! Spans of PHI found in a text, and merging them so that a replacement covers whole runs.

use serde::{Deserialize, Serialize};

use crate::PhiKind;

/// A run of PHI in a text: byte offsets `start..end` into the original and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// What the span is.
    #[serde(rename = "type")]
    pub kind: PhiKind,
}

impl Span {
    /// A span of `kind` over `start..end`.
    pub fn new(start: usize, end: usize, kind: PhiKind) -> Self {
        Span { start, end, kind }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether it covers nothing.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Sorts `spans` and merges those that overlap or touch, so that every replacement covers a
/// whole run and no fragment of an identifier is left between two placeholders. A merged span
/// keeps the kind of its longest part (the first on a tie; of two parts over the same bytes,
/// the kind first in [`PhiKind`]'s order, so the result never depends on the order in which
/// the passes pushed them).
#[inline(never)]
pub fn merge(spans: &mut Vec<Span>) {
    spans.retain(|s| !s.is_empty());
    // Each pass pushes its spans in text order: a stable sort merges those runs in about
    // linear time (two spans with equal keys are equal, so stability changes nothing else).
    spans.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end), s.kind));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    // Length of the longest part of the span being built, to pick its kind.
    let mut best = 0;
    for s in spans.drain(..) {
        match out.last_mut() {
            Some(last) if s.start <= last.end => {
                if s.len() > best {
                    best = s.len();
                    last.kind = s.kind;
                }
                last.end = last.end.max(s.end);
            }
            _ => {
                best = s.len();
                out.push(s);
            }
        }
    }
    *spans = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_and_touching_spans_merge_into_one() {
        let mut spans = vec![
            Span::new(10, 14, PhiKind::Zip),
            Span::new(0, 4, PhiKind::Name),
            Span::new(2, 9, PhiKind::Address),
            Span::new(9, 10, PhiKind::Zip),
            Span::new(20, 22, PhiKind::Date),
            Span::new(30, 30, PhiKind::Date),
        ];
        merge(&mut spans);
        assert_eq!(
            spans,
            vec![
                Span::new(0, 14, PhiKind::Address),
                Span::new(20, 22, PhiKind::Date)
            ]
        );
    }
}
