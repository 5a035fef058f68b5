//! The value lists, each cut to the half one [`Split`] owns.
//!
//! Sources (versions and licences in `redact-judge/README.md`): the `fake` crate's locales
//! (names of fourteen locales, street suffixes), Debian's `ruby-faker` (names of forty-odd
//! locales, extracted to `data/given.tsv` and `data/family.tsv`), and Debian's
//! `libgweather-4-common` (US and world cities, `data/us_cities.tsv`, `data/world_cities.tsv`).

use std::collections::BTreeMap;

use fake::locales::{
    AR_SA, CY_GB, DE_DE, Data, EN, FA_IR, FR_FR, IT_IT, JA_JP, NL_NL, PT_BR, PT_PT, TR_TR, ZH_CN,
    ZH_TW,
};

use crate::rng::Rng;
use crate::split::Split;

const GIVEN_TSV: &str = include_str!("../data/given.tsv");
const FAMILY_TSV: &str = include_str!("../data/family.tsv");
const US_CITIES_TSV: &str = include_str!("../data/us_cities.tsv");
const WORLD_CITIES_TSV: &str = include_str!("../data/world_cities.tsv");

/// Given and family names of one origin (a locale of one of the sources).
#[derive(Debug, Clone)]
pub struct Origin {
    /// Where the names come from, e.g. `ruby-faker:vi` or `fake:cy_gb`.
    pub source: String,
    /// Whether its names are written in Latin letters.
    pub latin: bool,
    /// Given names.
    pub given: Vec<&'static str>,
    /// Family names.
    pub family: Vec<&'static str>,
}

/// Every list a generator draws from, cut to one split's half.
#[derive(Debug, Clone)]
pub struct Pools {
    /// The split these lists belong to.
    pub split: Split,
    /// Name origins written in Latin letters.
    pub latin: Vec<Origin>,
    /// Name origins in other scripts (Cyrillic, Arabic, CJK, Hangul, Hebrew, Thai, Armenian).
    pub other: Vec<Origin>,
    /// US cities and their state's postal abbreviation.
    pub us_cities: Vec<(&'static str, &'static str)>,
    /// Cities elsewhere and their country.
    pub world_cities: Vec<(&'static str, &'static str)>,
    /// Street name stems (family names, given names, trees, numbered streets come from code).
    pub street_stems: Vec<&'static str>,
    /// Street suffixes, long forms (`Avenue`).
    pub street_suffixes: Vec<&'static str>,
}

fn fake_locale<D: Data>(source: &str, latin: bool, out: &mut BTreeMap<String, Origin>) {
    let entry = out.entry(source.to_owned()).or_insert_with(|| Origin {
        source: source.to_owned(),
        latin,
        given: Vec::new(),
        family: Vec::new(),
    });
    entry.given.extend(D::NAME_FIRST_NAME.iter().copied());
    entry.family.extend(D::NAME_LAST_NAME.iter().copied());
}

fn tsv_rows(tsv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
}

impl Pools {
    /// The lists of `split`.
    pub fn new(split: Split) -> Pools {
        let mut origins: BTreeMap<String, Origin> = BTreeMap::new();
        fake_locale::<EN>("fake:en", true, &mut origins);
        fake_locale::<FR_FR>("fake:fr_fr", true, &mut origins);
        fake_locale::<DE_DE>("fake:de_de", true, &mut origins);
        fake_locale::<IT_IT>("fake:it_it", true, &mut origins);
        fake_locale::<PT_BR>("fake:pt_br", true, &mut origins);
        fake_locale::<PT_PT>("fake:pt_pt", true, &mut origins);
        fake_locale::<NL_NL>("fake:nl_nl", true, &mut origins);
        fake_locale::<TR_TR>("fake:tr_tr", true, &mut origins);
        fake_locale::<CY_GB>("fake:cy_gb", true, &mut origins);
        fake_locale::<AR_SA>("fake:ar_sa", false, &mut origins);
        fake_locale::<FA_IR>("fake:fa_ir", false, &mut origins);
        fake_locale::<JA_JP>("fake:ja_jp", false, &mut origins);
        fake_locale::<ZH_TW>("fake:zh_tw", false, &mut origins);
        fake_locale::<ZH_CN>("fake:zh_cn", false, &mut origins);
        for (tsv, given) in [(GIVEN_TSV, true), (FAMILY_TSV, false)] {
            for row in tsv_rows(tsv) {
                let (Some(name), Some(locale), Some(script)) =
                    (row.first(), row.get(1), row.get(2))
                else {
                    continue;
                };
                let latin = *script == "latin";
                let source = format!("ruby-faker:{locale}{}", if latin { "" } else { ":native" });
                let o = origins.entry(source.clone()).or_insert_with(|| Origin {
                    source,
                    latin,
                    given: Vec::new(),
                    family: Vec::new(),
                });
                if given {
                    o.given.push(name);
                } else {
                    o.family.push(name);
                }
            }
        }
        let en = origins.get("fake:en").cloned();
        let mut latin = Vec::new();
        let mut other = Vec::new();
        for (_, mut o) in origins {
            o.given = clean(&o.given, split);
            o.family = clean(&o.family, split);
            // an origin with one side missing borrows it from the English lists
            if let Some(en) = &en {
                if o.given.is_empty() {
                    o.given = clean(&en.given, split);
                }
                if o.family.is_empty() {
                    o.family = clean(&en.family, split);
                }
            }
            if o.given.is_empty() || o.family.is_empty() {
                continue;
            }
            if o.latin {
                latin.push(o);
            } else {
                other.push(o);
            }
        }
        let us_cities: Vec<_> = tsv_rows(US_CITIES_TSV)
            .filter_map(|r| Some((*r.first()?, *r.get(1)?)))
            .filter(|(c, _)| split.owns(c))
            .collect();
        let world_cities: Vec<_> = tsv_rows(WORLD_CITIES_TSV)
            .filter_map(|r| Some((*r.first()?, *r.get(1)?)))
            .filter(|(c, _)| split.owns(c) && c.is_ascii())
            .collect();
        let mut street_stems: Vec<&str> = EN::NAME_LAST_NAME
            .iter()
            .chain(TREES)
            .copied()
            .filter(|s| s.is_ascii())
            .collect();
        street_stems.extend(
            us_cities
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| !c.contains(' ')),
        );
        let street_stems = clean(&street_stems, split);
        let street_suffixes = EN::ADDRESS_STREET_SUFFIX.to_vec();
        Pools {
            split,
            latin,
            other,
            us_cities,
            world_cities,
            street_stems,
            street_suffixes,
        }
    }

    /// An origin, mostly Latin-script, sometimes another script.
    pub fn origin(&self, rng: &mut Rng) -> &Origin {
        if !self.other.is_empty() && rng.chance(0.04) {
            rng.pick(&self.other)
        } else {
            rng.pick(&self.latin)
        }
    }

    /// A cue word or phrase from this split's half of `choices`.
    pub fn cue<'a>(&self, rng: &mut Rng, choices: &[&'a str]) -> &'a str {
        let half = self.split.half(choices);
        half[rng.below(half.len())]
    }
}

const TREES: &[&str] = &[
    "Oak", "Maple", "Cedar", "Elm", "Pine", "Birch", "Willow", "Aspen", "Magnolia", "Sycamore",
    "Chestnut", "Hickory", "Juniper", "Spruce", "Cypress", "Laurel", "Poplar", "Walnut", "Dogwood",
    "Alder", "Linden", "Hawthorn", "Mulberry", "Redwood",
];

/// Sorted, deduplicated, owned by `split`, without values too short to be told apart.
fn clean(values: &[&'static str], split: Split) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = values
        .iter()
        // a list may carry stray whitespace (the fake crate's it_it has "Ricci\t")
        .map(|s| s.trim())
        .filter(|s| s.chars().filter(|c| c.is_alphanumeric()).count() >= 2 && split.owns(s))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_splits_share_no_name_city_or_street() {
        let t = Pools::new(Split::Tuning);
        let j = Pools::new(Split::Judging);
        let names = |p: &Pools| {
            let mut all: Vec<String> = Vec::new();
            for o in p.latin.iter().chain(&p.other) {
                all.extend(o.given.iter().chain(&o.family).map(|s| s.to_lowercase()));
            }
            all.extend(p.us_cities.iter().map(|c| c.0.to_lowercase()));
            all.extend(p.world_cities.iter().map(|c| c.0.to_lowercase()));
            all.extend(p.street_stems.iter().map(|s| s.to_lowercase()));
            all.sort();
            all.dedup();
            all
        };
        let tn = names(&t);
        let jn = names(&j);
        assert!(
            tn.len() > 3000 && jn.len() > 3000,
            "{} {}",
            tn.len(),
            jn.len()
        );
        assert!(tn.iter().all(|v| jn.binary_search(v).is_err()));
    }

    #[test]
    fn names_come_from_many_origins() {
        let p = Pools::new(Split::Tuning);
        assert!(
            p.latin.len() >= 30,
            "{} Latin-script origins",
            p.latin.len()
        );
        assert!(p.other.len() >= 5, "{} other-script origins", p.other.len());
        assert!(p.us_cities.len() > 500);
    }
}
