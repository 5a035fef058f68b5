//! Questions about the spans found so far, answered by binary search: a pass that asks them
//! for every candidate must not walk the whole list each time (quadratic on a long text,
//! where the list holds tens of thousands of spans).

use crate::{PhiKind, Span};

/// The spans found so far, sorted by start, with the furthest end reached up to each one.
pub struct Covers {
    starts: Vec<usize>,
    furthest_end: Vec<usize>,
    name_ends: Vec<usize>,
}

impl Covers {
    pub fn new(spans: &[Span]) -> Self {
        let mut pairs: Vec<(usize, usize)> = spans.iter().map(|s| (s.start, s.end)).collect();
        // Each pass pushes its spans in text order: the stable sort merges those sorted runs
        // in about linear time (equal pairs are equal, so stability changes nothing).
        pairs.sort();
        let mut furthest = 0;
        let furthest_end = pairs
            .iter()
            .map(|&(_, e)| {
                furthest = furthest.max(e);
                furthest
            })
            .collect();
        let mut name_ends: Vec<usize> = spans
            .iter()
            .filter(|s| s.kind == PhiKind::Name)
            .map(|s| s.end)
            .collect();
        name_ends.sort();
        Self {
            starts: pairs.into_iter().map(|(s, _)| s).collect(),
            furthest_end,
            name_ends,
        }
    }

    /// Whether one span covers `start..end` whole.
    pub fn whole(&self, start: usize, end: usize) -> bool {
        let opened = self.starts.partition_point(|&s| s <= start);
        opened > 0 && self.furthest_end[opened - 1] >= end
    }

    /// Whether a NAME span ends exactly at `at`.
    pub fn name_ends_at(&self, at: usize) -> bool {
        self.name_ends.binary_search(&at).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_whole(spans: &[Span], start: usize, end: usize) -> bool {
        spans.iter().any(|s| s.start <= start && s.end >= end)
    }

    #[test]
    fn whole_agrees_with_a_walk_of_every_span() {
        let spans = [
            Span::new(10, 40, PhiKind::Name),
            Span::new(12, 15, PhiKind::Date),
            Span::new(50, 55, PhiKind::Phone),
            Span::new(3, 11, PhiKind::Id),
            Span::new(50, 70, PhiKind::Fax),
        ];
        let covers = Covers::new(&spans);
        for start in 0..80 {
            for end in start..80 {
                assert_eq!(
                    covers.whole(start, end),
                    naive_whole(&spans, start, end),
                    "{start}..{end}"
                );
            }
        }
        assert!(covers.name_ends_at(40));
        assert!(!covers.name_ends_at(55));
    }
}
