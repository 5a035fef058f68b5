//! The name and place lists of the held-out generator, split in two halves by a hash of each
//! value: the tuning half and the judging half never share a name or a city.
//!
//! The lists come from package registries (see `redact/data/eval/README.md`), not from the
//! detector's dictionaries.

use super::Split;
use crate::corpus::rng::Rng;

const GIVEN: &str = include_str!("../../data/eval/given_names.tsv");
const FAMILY: &str = include_str!("../../data/eval/family_names.tsv");
const PLACES: &str = include_str!("../../data/eval/places.tsv");

/// A US place: its ZIP code, city, state and an area code that serves it.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub zip: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub area: &'static str,
}

/// Which group of origins a name is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// US Census lists and the en_US locale.
    Us,
    /// Spanish and Portuguese locales.
    Iberian,
    /// Every other locale written in Latin letters (romanised ones included).
    World,
    /// Names in other scripts (Cyrillic, Arabic, Greek, Hangul, Han, Devanagari, Hebrew).
    OtherScript,
}

fn origin(locale: &str) -> Origin {
    match locale {
        "us_census" | "en_US" => Origin::Us,
        "es_MX" | "es_CO" | "pt_BR" => Origin::Iberian,
        "ru_RU" | "ar_SA" | "el_GR" | "ko_KR" | "zh_CN" | "hi_IN" | "he_IL" => Origin::OtherScript,
        _ => Origin::World,
    }
}

/// FNV-1a: stable across platforms and releases, unlike the standard library's hasher.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether `value` belongs to `split`'s half.
fn in_split(value: &str, split: Split) -> bool {
    let held_out = fnv(value) & 1 == 1;
    held_out == (split == Split::HeldOut)
}

/// The names and places one split draws from.
#[derive(Debug)]
pub struct Pools {
    given: [Vec<&'static str>; 4],
    family: [Vec<&'static str>; 4],
    places: Vec<Place>,
}

fn names(list: &'static str, split: Split) -> [Vec<&'static str>; 4] {
    let mut out: [Vec<&'static str>; 4] = Default::default();
    for line in list.lines() {
        let Some((locale, name)) = line.split_once('\t') else {
            continue;
        };
        if !in_split(name, split) {
            continue;
        }
        let i = match origin(locale) {
            Origin::Us => 0,
            Origin::Iberian => 1,
            Origin::World => 2,
            Origin::OtherScript => 3,
        };
        out[i].push(name);
    }
    out
}

impl Pools {
    /// The half of every list that belongs to `split`.
    pub fn new(split: Split) -> Self {
        let places = PLACES
            .lines()
            .filter_map(|line| {
                let mut f = line.split('\t');
                Some(Place {
                    zip: f.next()?,
                    city: f.next()?,
                    state: f.next()?,
                    area: f.next()?,
                })
            })
            .filter(|p| in_split(p.city, split))
            .collect();
        Pools {
            given: names(GIVEN, split),
            family: names(FAMILY, split),
            places,
        }
    }

    fn origin_index(r: &mut Rng) -> usize {
        match r.below(100) {
            0..=49 => 0,
            50..=61 => 1,
            62..=97 => 2,
            _ => 3,
        }
    }

    /// A given name and a family name, usually of one origin.
    pub fn person(&self, r: &mut Rng) -> (&'static str, &'static str) {
        let o = Self::origin_index(r);
        let f = if r.chance(0.75) {
            o
        } else {
            Self::origin_index(r)
        };
        (self.given(r, o), self.family_of(r, f))
    }

    fn given(&self, r: &mut Rng, o: usize) -> &'static str {
        let list = if self.given[o].is_empty() {
            &self.given[0]
        } else {
            &self.given[o]
        };
        *r.pick(list)
    }

    fn family_of(&self, r: &mut Rng, o: usize) -> &'static str {
        let list = if self.family[o].is_empty() {
            &self.family[0]
        } else {
            &self.family[o]
        };
        *r.pick(list)
    }

    /// A family name of any origin.
    pub fn family(&self, r: &mut Rng) -> &'static str {
        let o = Self::origin_index(r);
        self.family_of(r, o)
    }

    /// A given name of any origin.
    pub fn given_any(&self, r: &mut Rng) -> &'static str {
        let o = Self::origin_index(r);
        self.given(r, o)
    }

    /// A US place.
    pub fn place(&self, r: &mut Rng) -> Place {
        *r.pick(&self.places)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_halves_share_no_name_and_no_city() {
        let t = Pools::new(Split::Tuning);
        let h = Pools::new(Split::HeldOut);
        for o in 0..4 {
            assert!(t.given[o].iter().all(|n| !h.given[o].contains(n)));
            assert!(t.family[o].iter().all(|n| !h.family[o].contains(n)));
        }
        assert!(
            t.places
                .iter()
                .all(|p| h.places.iter().all(|q| q.city != p.city))
        );
        assert!(t.places.len() > 1000 && h.places.len() > 1000);
        assert!(t.given[0].len() > 500 && h.family[2].len() > 500);
    }
}
