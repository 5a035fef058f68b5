//! The two splits and the rule that keeps them apart: every value (a name, a city, a cue word, a
//! generated number) belongs to exactly one split, by a hash of its normalised text.

use std::fmt;
use std::str::FromStr;

/// Which half of the value lists a corpus draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// May be read case by case by whoever tunes the detector.
    Tuning,
    /// Only ever scored as a whole.
    Judging,
}

/// A split name that is neither `tuning` nor `judging`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown split `{0}` (expected tuning or judging)")]
pub struct UnknownSplit(pub String);

impl FromStr for Split {
    type Err = UnknownSplit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tuning" => Ok(Split::Tuning),
            "judging" => Ok(Split::Judging),
            other => Err(UnknownSplit(other.chars().take(32).collect())),
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Split {
    /// `tuning` or `judging`.
    pub fn name(self) -> &'static str {
        match self {
            Split::Tuning => "tuning",
            Split::Judging => "judging",
        }
    }

    /// The split that owns `value`: decided by its letters and digits alone, lower-cased, so
    /// that `DOE`, `Doe` and `D-o-e` fall on the same side.
    pub fn of(value: &str) -> Split {
        if key_hash(value) & 1 == 0 {
            Split::Tuning
        } else {
            Split::Judging
        }
    }

    /// Whether this split owns `value`.
    pub fn owns(self, value: &str) -> bool {
        Split::of(value) == self
    }

    /// The part of `items` this split owns; all of `items` when it owns none (a list of one).
    pub fn half<'a>(self, items: &[&'a str]) -> Vec<&'a str> {
        let mine: Vec<&str> = items.iter().copied().filter(|v| self.owns(v)).collect();
        if mine.is_empty() {
            items.to_vec()
        } else {
            mine
        }
    }
}

/// FNV-1a over the lower-cased letters and digits of `value`.
fn key_hash(value: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for ch in value.chars().filter(|c| c.is_alphanumeric()) {
        for lc in ch.to_lowercase() {
            let mut buf = [0u8; 4];
            for b in lc.encode_utf8(&mut buf).bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    // mix, so that values differing in one last digit do not alternate regularly
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_belongs_to_one_split_whatever_its_case_or_separators() {
        for v in ["Doe", "Okonkwo-Adeyemi", "555-867-5309", "A12B"] {
            let upper = v.to_uppercase();
            let spaced: String = v.chars().flat_map(|c| [c, ' ']).collect();
            assert_eq!(Split::of(v), Split::of(&upper));
            assert_eq!(Split::of(v), Split::of(&spaced));
        }
    }

    #[test]
    fn halves_of_a_list_are_disjoint_and_cover_it() {
        let list = ["a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "i9", "j10"];
        let t = Split::Tuning.half(&list);
        let j = Split::Judging.half(&list);
        assert!(t.iter().all(|v| !j.contains(v)));
        assert_eq!(t.len() + j.len(), list.len());
    }
}
