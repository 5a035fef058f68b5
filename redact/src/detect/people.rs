//! Names by their context, not by a list: a run of name-shaped words is a name when a word
//! before it says a person follows (`Dear`, `daughter`, `seen by`), when what follows it says
//! a person preceded (`, MD`, `NPI`, `denies`, `is a 92-year-old`), or when it is written in a
//! script without letter case (Han, Hangul, Arabic, Hebrew). Then every other occurrence of a
//! found name's words in the same document is a name too (`Mr. Okafor` … `Okafor denies`).
//!
//! Words are read once, left to right, into a small buffer; dictionary and cue checks
//! compare in place without allocating.

use super::name_shapes;
use super::names::{self, NameDictionaries};
use super::world;
use crate::{PhiKind, Span};

/// Words before a run that say a person's name follows.
pub(super) const CUES_BEFORE: &[&str] = &[
    "dear",
    "dr",
    "mr",
    "mrs",
    "ms",
    "mx",
    "miss",
    "prof",
    "patient",
    "pt",
    "name",
    "attn",
    "attention",
    "recipient",
    "sender",
    "to",
    "from",
    "re",
    "by",
    "with",
    "for",
    "seeing",
    "of",
    "daughter",
    "son",
    "wife",
    "husband",
    "spouse",
    "niece",
    "nephew",
    "partner",
    "friend",
    "neighbor",
    "neighbour",
    "caregiver",
    "guardian",
    "poa",
    "mother",
    "father",
    "sister",
    "brother",
    "aunt",
    "uncle",
    "cousin",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "attending",
    "ordering",
    "referring",
    "provider",
    "physician",
    "prescriber",
    "nurse",
    "first",
    "last",
    "given",
    "family",
    "surname",
    "insured",
    "subscriber",
    "guarantor",
    "contact",
    "called",
    "call",
    "notified",
    "informed",
    "signed",
    "sincerely",
    "regards",
    "cc",
    "per",
    "signature",
    "member",
    "beneficiary",
    "representative",
    "dictated",
    "injured",
    "driver",
    "person",
    "infant",
    "baby",
];

/// Credentials after a name (`, MD`, ` NP-C`, `, M.D.`), matched on the text as written.
pub(super) const CREDENTIALS: &[&str] = &[
    "MD", "M.D.", "DO", "D.O.", "NP", "NP-C", "PA", "PA-C", "RN", "FNP", "FNP-C", "FNP-BC", "DPM",
    "PhD", "LPN", "CNM", "DDS", "DMD", "PharmD", "APRN", "CRNP", "LCSW", "MBBS", "OD", "MSW",
    "FACP", "DNP", "CNA", "PT", "DPT", "OTR", "RD", "LVN", "CRNA", "MPH",
];

/// Words right after a run that say it was a person: identifiers of clinicians and the
/// verbs of a note.
pub(super) const CUES_AFTER: &[&str] = &[
    "improved",
    "recovered",
    "remains",
    "remained",
    "continues",
    "continued",
    "appears",
    "feels",
    "felt",
    "understands",
    "verbalized",
    "expired",
    "died",
    "npi",
    "dea",
    "reports",
    "denies",
    "states",
    "presents",
    "presented",
    "tolerated",
    "returns",
    "returned",
    "complains",
    "lives",
    "comes",
    "came",
    "arrived",
    "underwent",
    "endorses",
    "notes",
    "agrees",
    "agreed",
    "declines",
    "declined",
    "was",
    "is",
    "who",
    "has",
    "had",
    "will",
    "needs",
    "reported",
    "stated",
];

/// Capitalised words that start sentences, headings and places far more often than names.
pub(super) const NOT_NAME: &[&str] = &[
    "the",
    "a",
    "an",
    "this",
    "that",
    "these",
    "he",
    "she",
    "they",
    "we",
    "i",
    "it",
    "his",
    "her",
    "their",
    "our",
    "my",
    "your",
    "mr",
    "mrs",
    "ms",
    "dr",
    "no",
    "not",
    "yes",
    "if",
    "when",
    "then",
    "there",
    "here",
    "as",
    "at",
    "in",
    "on",
    "by",
    "to",
    "of",
    "and",
    "or",
    "but",
    "all",
    "any",
    "each",
    "every",
    "some",
    "pt",
    "patient",
    "call",
    "called",
    "please",
    "thank",
    "thanks",
    "dear",
    "sincerely",
    "regards",
    "seen",
    "spoke",
    "discussed",
    "met",
    "family",
    "meeting",
    "follow",
    "labs",
    "lab",
    "ins",
    "insurance",
    "rtc",
    "drives",
    "device",
    "portal",
    "pharmacy",
    "started",
    "prior",
    "previous",
    "current",
    "medications",
    "medication",
    "history",
    "hospital",
    "course",
    "disposition",
    "home",
    "services",
    "with",
    "snf",
    "electronically",
    "critical",
    "value",
    "performing",
    "ordering",
    "attending",
    "name",
    "first",
    "last",
    "address",
    "member",
    "group",
    "case",
    "date",
    "prescriber",
    "medication",
    "diagnosis",
    "previous",
    "therapies",
    "tried",
    "request",
    "message",
    "urgent",
    "attached",
    "regarding",
    "callback",
    "return",
    "sender",
    "recipient",
    "from",
    "to",
    "re",
    "tel",
    "fax",
    "phone",
    "cell",
    "mobile",
    "contact",
    "email",
    "dob",
    "mrn",
    "age",
    "sex",
    "policy",
    "subscriber",
    "accession",
    "specimen",
    "collected",
    "received",
    "reported",
    "test",
    "result",
    "flag",
    "units",
    "reference",
    "loinc",
    "cpt",
    "ndc",
    "icd",
    "clia",
    "tax",
    "job",
    "page",
    "ref",
    "lot",
    "rm",
    "room",
    "temp",
    "bp",
    "pain",
    "strength",
    "tabs",
    "since",
    "hba1c",
    "spo2",
    "cardiology",
    "radiology",
    "oncology",
    "neurology",
    "case",
    "management",
    "social",
    "work",
    "daughter",
    "son",
    "wife",
    "husband",
    "spouse",
    "niece",
    "nephew",
    "caregiver",
    "mother",
    "father",
    "sister",
    "brother",
    "grandson",
    "granddaughter",
    "poa",
    "neighbor",
    "friend",
    "partner",
    "aunt",
    "uncle",
    "cousin",
    "who",
    "what",
    "where",
    "why",
    "how",
    "note",
    "notes",
    "progress",
    "telehealth",
    "visit",
    "today",
    "tomorrow",
    "yesterday",
    "accompanied",
    "came",
    "lives",
    "plate",
    "drives",
    "refilled",
    "sincerely",
    "signature",
    "clinic",
    "center",
    "centre",
    "health",
    "medical",
    "group",
    "associates",
    "diagnostics",
    "general",
    "memorial",
    "regional",
    "university",
    "children",
    "children's",
    "saint",
    "st",
    "good",
    "samaritan",
    "permanente",
    "cross",
    "blue",
    "shield",
    "united",
    "healthcare",
    "valley",
    "riverside",
    "mercy",
    "vincent",
    "lab",
    "laboratory",
    "report",
    "summary",
    "discharge",
    "admission",
    "admitted",
    "discharged",
    "present",
    "illness",
    "hpi",
    "plan",
    "assessment",
    "impression",
    "exam",
    "physical",
    "review",
    "systems",
    "allergies",
    "social",
    "surgical",
    "medical",
    "vitals",
    "signs",
    "transmittal",
    "confidential",
    "facsimile",
    "information",
    "documents",
    "notice",
    "authorization",
    "prior",
    "request",
    "form",
    "completed",
    "approved",
    "denied",
    "pending",
    "status",
    "delivered",
    "failed",
    "type",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "am",
    "pm",
    "usa",
    "us",
    "apt",
    "suite",
    "unit",
    "po",
    "box",
    "street",
    "avenue",
    "road",
    "drive",
    "lane",
    "blvd",
    "hwy",
    "ave",
    "rd",
    "ln",
    "dr.",
    "north",
    "south",
    "east",
    "west",
    "hl7",
    "fhir",
    "json",
    "xml",
    "id",
    "npi",
    "dea",
    "lic",
    "ssn",
    "mbi",
    "fin",
    "har",
    "acct",
    "account",
    "visit",
    "encounter",
    "emr",
    "chart",
    "record",
    "unit",
    "hosp",
    "pt.",
    "md",
    "np",
    "pa",
    "rn",
    "fnp",
    "dpm",
    "phd",
    "lpn",
    "cnm",
    "dds",
    "dmd",
    "pharmd",
    "aprn",
    "crnp",
    "lcsw",
    "mbbs",
    "facp",
    "dnp",
    "crna",
    "mph",
    "ss",
    "usa",
];

/// Words after a capitalised word that make it part of a disease, a scale or a device named
/// after a person (`Parkinson disease`, `Foley catheter`), not a person.
pub(super) const EPONYM_HEADS: &[&str] = &[
    "disease",
    "syndrome",
    "palsy",
    "sarcoma",
    "lymphoma",
    "catheter",
    "protein",
    "thyroiditis",
    "dementia",
    "esophagus",
    "phenomenon",
    "scale",
    "score",
    "sign",
    "test",
    "maneuver",
    "fracture",
    "tumor",
    "tumour",
    "ulcer",
    "reflex",
    "classification",
    "criteria",
    "procedure",
    "operation",
    "stain",
    "body",
    "bodies",
    "cell",
    "cells",
    "node",
    "nodes",
    "duct",
    "gland",
    "glands",
    "tube",
    "valve",
    "hospital",
    "clinic",
    "center",
    "institute",
    "university",
    "medical",
    "health",
    "county",
    "street",
    "avenue",
    "road",
    "drive",
    "lane",
    "boulevard",
];

/// Name particles that stay lower-case inside a name (`van der Zijl`, `da Silva`).
pub(super) const PARTICLES: &[&str] = &[
    "van", "von", "der", "den", "de", "del", "della", "la", "le", "da", "di", "du", "dos", "das",
    "ter", "ten", "bin", "binti", "al", "el", "y", "zu", "ibn", "bint", "abu", "los", "las",
    "degli", "dei",
];

const MAX_WORD: usize = 32;

/// One word of the text.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    /// Byte offset where the gap before it starts (the previous word's end).
    gap_start: usize,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Starts with an upper-case letter.
    Capital,
    /// A script without letter case.
    Caseless,
    /// Starts with a lower-case letter.
    Lower,
}

/// FNV-1a, 64-bit, for the set of a document's found name words.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Reads the words of `text`: runs of letters with inner `'`, `’`, `-` and a trailing `.`
/// after a single letter (an initial). ASCII bytes are classified directly; other
/// characters are decoded. A cue word a dropped space glued to the name after it
/// (`forSiti`, `NAMEHoracio`, `motherCONNELLY`, `binEmbranthiri`) is split off: where a
/// small letter meets a capital (or capitals meet a capitalised word), the part before is
/// looked up, and a cue or a small particle ends a word there.
#[inline(never)]
fn words(text: &str, dicts: &NameDictionaries, out: &mut Vec<Word>) {
    out.clear();
    let b = text.as_bytes();
    let len = b.len();
    // The character at `p` and its length (`p` on a character boundary, `p < len`).
    let char_at = |p: usize| {
        let c = text[p..].chars().next().unwrap_or('\0');
        (c, c.len_utf8())
    };
    let alphabetic_at = |p: usize| {
        p < len
            && if b[p] < 0x80 {
                b[p].is_ascii_alphabetic()
            } else {
                char_at(p).0.is_alphabetic()
            }
    };
    let mut prev_end = 0;
    let mut i = 0;
    while i < len {
        let c0 = b[i];
        let (shape, clen) = if c0 < 0x80 {
            if !c0.is_ascii_alphabetic() {
                i += 1;
                continue;
            }
            let shape = if c0.is_ascii_uppercase() {
                Shape::Capital
            } else {
                Shape::Lower
            };
            (shape, 1)
        } else {
            let (c, clen) = char_at(i);
            if !c.is_alphabetic() {
                i += clen;
                continue;
            }
            let shape = if c.is_uppercase() {
                Shape::Capital
            } else if c.is_lowercase() {
                Shape::Lower
            } else {
                Shape::Caseless
            };
            (shape, clen)
        };
        let mut start = i;
        let mut shape = shape;
        let mut p = i + clen;
        let mut end = p;
        let mut letters = 1;
        while p < len {
            let d0 = b[p];
            if d0 < 0x80 {
                if d0.is_ascii_uppercase() && p - start >= 2 && glued_cue(text, dicts, start, p) {
                    // `forSiti`: the cue is a word of its own, the name starts here.
                    out.push(Word {
                        start,
                        end: p,
                        gap_start: prev_end,
                        shape,
                    });
                    prev_end = p;
                    start = p;
                    shape = Shape::Capital;
                    p += 1;
                    end = p;
                    letters = 1;
                } else if d0.is_ascii_alphanumeric() {
                    p += 1;
                    end = p;
                    letters += 1;
                } else if (d0 == b'\'' || d0 == b'-') && alphabetic_at(p + 1) {
                    // Inner punctuation only when a letter follows.
                    p += 1;
                } else {
                    break;
                }
            } else {
                let (d, dlen) = char_at(p);
                if d.is_alphabetic() {
                    p += dlen;
                    end = p;
                    letters += 1;
                } else if d == '\u{2019}' && alphabetic_at(p + dlen) {
                    p += dlen;
                } else {
                    break;
                }
            }
        }
        if letters == 1 && b.get(end) == Some(&b'.') {
            end += 1;
        }
        out.push(Word {
            start,
            end,
            gap_start: prev_end,
            shape,
        });
        prev_end = end;
        i = p;
    }
}

/// Whether a capital at `at` inside the word that starts at `start` opens a name glued to a
/// cue: a small letter before it (`forSiti`, `binEmbranthiri`) or, in capitals, a small letter
/// after it (`NAMEHoracio`), and the part before is a cue word (or a particle in small
/// letters), or a middle initial glued to the given name. `McDonald`, `LaToya`, `eFax` and
/// `iPhone` stay whole.
#[inline]
fn glued_cue(text: &str, dicts: &NameDictionaries, start: usize, at: usize) -> bool {
    let b = text.as_bytes();
    let prev = b[at - 1];
    let camel = prev.is_ascii_lowercase();
    let caps = prev.is_ascii_uppercase()
        && text[at + 1..]
            .chars()
            .next()
            .is_some_and(char::is_lowercase);
    if !(camel || caps) || !b[start..at].iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    // A middle initial glued to the given name (`Majchrzak, OrestesO.`), not a credential
    // (`PharmD.`).
    if camel
        && at - start >= 3
        && b[start].is_ascii_uppercase()
        && b.get(at + 1) == Some(&b'.')
        && !b.get(at + 2).is_some_and(u8::is_ascii_alphanumeric)
        && !CREDENTIALS.contains(&&text[start..=at])
    {
        return true;
    }
    let bits = dicts.bits(&text[start..at]);
    bits & names::BEFORE != 0 || (bits & names::PARTICLE != 0 && b[start].is_ascii_lowercase())
}

/// The gap before word `k`: only spaces, or one comma and spaces, and the quotes around a
/// nickname (`Giulio 'Matteo' Fabbri`, `Elvíra'Miroslava' Haláková`); `None` for anything
/// else (a line break, a colon, a bracket), which ends a run.
fn joins(text: &str, w: &Word) -> Option<bool> {
    let mut gap = &text.as_bytes()[w.gap_start..w.start];
    // Saint's dot: `St. Vanags`.
    if gap.starts_with(b". ")
        && w.gap_start >= 2
        && text.as_bytes()[w.gap_start - 2..w.gap_start].eq_ignore_ascii_case(b"st")
    {
        gap = &gap[1..];
    }
    let mut commas = 0;
    let mut quotes = 0;
    let mut prev_space = false;
    for &c in gap {
        match c {
            b'\'' | b'"' if quotes < 2 => {
                quotes += 1;
                prev_space = false;
            }
            b',' => {
                commas += 1;
                prev_space = false;
            }
            // Two spaces or a tab separate the columns of a form, not the words of a name.
            b' ' if prev_space => return None,
            b' ' => prev_space = true,
            _ => return None,
        }
    }
    // An initial's dot may touch the next word (`P.Sakda`), and a particle glued to the
    // name (`binEmbranthiri`, split by [`words`]).
    let b = text.as_bytes();
    let after_initial = gap.is_empty()
        && w.gap_start > 0
        && (b[w.gap_start - 1] == b'.' || b[w.gap_start - 1].is_ascii_lowercase());
    ((!gap.is_empty() || after_initial) && commas <= 1).then_some(commas == 1)
}

/// What the name pass needs of each word, worked out once.
#[derive(Debug, Clone, Copy)]
struct Class {
    /// The word could be part of a name.
    name_like: bool,
    /// A name particle (`van`, `de`).
    particle: bool,
    /// A country's name, capitalised: the end of an international address.
    country: bool,
    /// A capitalised English word the name lists do not know (`Wit`, `Horst`, `Tan`): a
    /// name word after a particle (`Yfke de Wit`), between a cue and a name word, or
    /// opening a header line's name (`TAN, YU PYN   01/01/1956`), never alone.
    soft: bool,
    /// A word in small letters that is no English word (`rosa`, `silva`): a name word after
    /// a capitalised particle (`Dr. De rosa`, `Mathilde Da silva`).
    lower_name: bool,
    /// A generational suffix (`Jr.`, `Sr`, `III`): it closes a name.
    suffix: bool,
}

/// Classifies `w`, whose word-table bits are `bits` (particles are compared packed).
fn classify(text: &str, dicts: &NameDictionaries, bits: u16, w: &Word) -> Class {
    let t = &text[w.start..w.end];
    let plain = Class {
        name_like: false,
        particle: bits & names::PARTICLE != 0,
        country: false,
        soft: false,
        lower_name: false,
        suffix: false,
    };
    if is_initial(t) {
        return Class {
            name_like: true,
            ..plain
        };
    }
    // A word with a digit in it is a code, not a name (`M8GDM9A1`).
    let digit = t.bytes().any(|c| c.is_ascii_digit());
    match w.shape {
        Shape::Capital => {
            let context = bits;
            // An English word that is never a proper noun is a name word only when the
            // name dictionaries know it.
            // A hyphenated word is one when every part is (`Jolly-Guilbaud` is a name).
            let english = |b: u16| b & names::ENGLISH != 0 && b & (names::FIRST | names::LAST) == 0;
            let word_only = english(bits)
                && (!t.contains('-') || t.split('-').all(|part| english(dicts.bits(part))));
            let label = context & names::NOT_NAME != 0 || bits & names::STOP != 0;
            let suffix = SUFFIXES.contains(&t);
            // `St. Vanags`, `Adrienne St. De Oliveira`: Saint inside a name.
            let saint = t.eq_ignore_ascii_case("st") && text[w.end..].starts_with(". ");
            Class {
                name_like: !digit && !label && !word_only,
                particle: context & names::PARTICLE != 0 || saint,
                country: context & names::COUNTRY != 0,
                soft: !digit && !label && word_only && t.len() >= 2,
                lower_name: false,
                suffix,
            }
        }
        Shape::Caseless => Class {
            name_like: !digit,
            ..plain
        },
        Shape::Lower => Class {
            // `al-Saini`, `ibn-Rushd`: a particle joined to a capitalised name.
            name_like: !digit && particle_prefixed(t),
            lower_name: !digit
                && bits & (names::ENGLISH | names::STOP | names::NOT_NAME) == 0
                && t.len() >= 3
                && t.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\''),
            ..plain
        },
    }
}

/// A form label that names a name, its colon right before word `first` on the same line:
/// `Other names used: van de Pol`, `Name (as on card): …` (one of the label's last four
/// words is `name` or `names`).
fn name_label(text: &str, ws: &[Word], first: usize) -> bool {
    if first == 0 {
        return false;
    }
    let gap = &text[ws[first - 1].end..ws[first].start];
    if !gap.contains(':') || gap.contains('\n') {
        return false;
    }
    let mut k = first;
    while k > 0 && first - k < 4 {
        k -= 1;
        let t = &text[ws[k].start..ws[k].end];
        if t.eq_ignore_ascii_case("name") || t.eq_ignore_ascii_case("names") {
            return true;
        }
        if text[ws[k].end..ws[k + 1].start].contains('\n') {
            return false;
        }
    }
    false
}

/// Whether `w` opens its line (blanks before it at most: spaces, tabs, a page's form feed).
/// Only the blanks are read back over, never the whole line.
fn opens_line(text: &str, w: &Word) -> bool {
    let head = &text.as_bytes()[..w.start];
    head.iter()
        .rev()
        .take_while(|&&c| c != b'\n')
        .all(u8::is_ascii_whitespace)
}

/// Generational suffixes after a name.
const SUFFIXES: &[&str] = &["Jr", "Sr", "JR", "SR", "II", "III"];

/// Particles written joined to the name by a hyphen (`al-Saini`, `el-Amin`).
const JOINED_PARTICLES: &[&str] = &["al", "el", "ul", "ibn", "bin", "abu", "ben", "bint"];

/// A word in small letters that is a particle, a hyphen and a capitalised name (`al-Saini`).
fn particle_prefixed(t: &str) -> bool {
    let Some((head, tail)) = t.split_once('-') else {
        return false;
    };
    tail.starts_with(|c: char| c.is_uppercase()) && JOINED_PARTICLES.contains(&head)
}

/// The gap before word `j` holds one line break (and spaces, and one comma at most) that a
/// name the page broke over two lines crosses (`J.⏎Woo`, `ibn⏎Amerom`, `MARVIN⏎, REBA`,
/// `Patient: AYINDE⏎HANIFAT`): after an initial or a particle; or after a run of one name
/// word (particles aside) when a comma stands at the break or a cue word before the run,
/// and the words on both sides are written alike (capitals or not). `Some(comma)` as
/// [`joins`] gives it.
fn joins_across_break(
    text: &str,
    bits: &[u16],
    ws: &[Word],
    cls: &[Class],
    first: usize,
    j: usize,
) -> Option<bool> {
    let gap = &text.as_bytes()[ws[j].gap_start..ws[j].start];
    let mut breaks = 0;
    let mut commas = 0;
    for (i, &c) in gap.iter().enumerate() {
        match c {
            b'\n' => breaks += 1,
            b'\r' if gap.get(i + 1) == Some(&b'\n') => {}
            b',' => commas += 1,
            b' ' | b'\t' => {}
            _ => return None,
        }
    }
    if breaks != 1 || commas > 1 {
        return None;
    }
    let prev = &text[ws[j - 1].start..ws[j - 1].end];
    if prev.ends_with('.') && is_initial(prev) || cls[j - 1].particle {
        return Some(commas == 1);
    }
    let words = (first..j).filter(|&i| !cls[i].particle).count();
    let caps = |t: &str| !t.chars().any(char::is_lowercase);
    let next = &text[ws[j].start..ws[j].end];
    if words != 1 || caps(prev) != caps(next) && ws[j].shape != Shape::Caseless || !cls[j].name_like
    {
        return None;
    }
    let cued = first > 0
        && bits[first - 1] & names::BEFORE != 0
        && !text[ws[first - 1].end..ws[first].start].contains('\n');
    (commas == 1 || cued).then_some(commas == 1)
}

/// Finds names by context and every later mention of them; appends NAME spans.
pub fn find(text: &str, dicts: &NameDictionaries, spans: &mut Vec<Span>) {
    let mut ws = Vec::new();
    words(text, dicts, &mut ws);
    // Every word looked up in the word table once: all its lists' bits (see
    // [`NameDictionaries::bits`]); the checks below mask what they ask.
    let bits: Vec<u16> = ws
        .iter()
        .map(|w| dicts.bits(&text[w.start..w.end]))
        .collect();
    let cls: Vec<Class> = ws
        .iter()
        .zip(&bits)
        .map(|(w, &b)| classify(text, dicts, b, w))
        .collect();
    // Word `n` goes on a run after a particle (`de Wit`; `De rosa` after a capitalised one).
    let after_particle = |n: usize| {
        cls[n].name_like || cls[n].soft || cls[n].lower_name && ws[n - 1].shape == Shape::Capital
    };
    // Whether a cue word stands right before word `k` on its line (a full stop only after
    // an abbreviation: `Dr. Per Larsson`, not `called. Later Thandiwe`).
    let cued = |k: usize| {
        k > 0
            && bits[k - 1] & names::BEFORE != 0
            && text[ws[k - 1].end..ws[k].start].bytes().all(|c| {
                b" \t:,|=\"".contains(&c) || c == b'.' && ws[k - 1].end - ws[k - 1].start <= 3
            })
    };
    let mut k = 0;
    while k < ws.len() {
        let saint = cls[k].particle && ws[k].shape == Shape::Capital && !cls[k].name_like;
        let particle_start = cls[k].particle
            && (!saint || cued(k))
            && ws.get(k + 1).is_some_and(|n| {
                joins(text, n) == Some(false) && (after_particle(k + 1) || cls[k + 1].particle)
            });
        // `Dr. Per Larsson`: an English word between a cue and a name word.
        let label_before = k > 0 && text[ws[k - 1].end..ws[k].start].trim() == ":";
        let soft_start = cls[k].soft
            && (cued(k) || opens_line(text, &ws[k]) || label_before)
            && ws
                .get(k + 1)
                .is_some_and(|n| joins(text, n).is_some() && cls[k + 1].name_like);
        if !cls[k].name_like && !particle_start && !soft_start {
            k += 1;
            continue;
        }
        // Grow the run: name-like words, particles between them, one comma at most.
        let first = k;
        let mut last = k;
        let mut commas = 0;
        let mut j = k + 1;
        while j < ws.len() {
            // `Bushart, M.D.`: the credential ends the name.
            if credential_after(text, ws[j - 1].end) {
                break;
            }
            let link = |n: usize| {
                joins(text, &ws[n]).or_else(|| joins_across_break(text, &bits, &ws, &cls, first, n))
            };
            let Some(comma) = link(j) else {
                break;
            };
            commas += usize::from(comma);
            if commas > 1 {
                break;
            }
            // `Phoebe WARD-WARD`, `Flo LAM`: a family name in capitals after a given name
            // written in small letters may be an English word.
            let caps_family = cls[j].soft
                && cls[j - 1].name_like
                && !text[ws[j].start..ws[j].end].chars().any(char::is_lowercase)
                && text[ws[j - 1].start..ws[j - 1].end]
                    .chars()
                    .any(char::is_lowercase);
            if cls[j].name_like || cls[j - 1].particle && after_particle(j) || caps_family {
                last = j;
                j += 1;
            } else if cls[j].soft && cls[j - 1].name_like && !cls[j - 1].soft {
                // `Christy Chew`, `GODWIN GROVE`: an English word may close a name, when
                // the run is surely one (checked below).
                last = j;
                j += 1;
            } else if cls[j].particle {
                // Particles between name words: `van der Zijl`, `de la Cruz`.
                let mut n = j + 1;
                while n < ws.len() && link(n) == Some(false) && cls[n].particle {
                    n += 1;
                }
                if n < ws.len() && link(n) == Some(false) && after_particle(n) {
                    last = n;
                    j = n + 1;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        // `Gugun Pahlevi Sr.`, `Obaid Hasan III`: a suffix closes the name.
        if last + 1 < ws.len()
            && cls[last + 1].suffix
            && joins(text, &ws[last + 1]).is_some()
            && !credential_after(text, ws[last].end)
        {
            last += 1;
        }
        k = last + 1;
        // A run an English word opens is a name only when surely one (a cue before it, a
        // verb or credential after it, a header line's label: `S: WINTER, UTE is a`,
        // `TAN, YU PYN   01/01/1956   006619111   F`), or as `Family, Given I.`
        // (`Lush, Hywel H.`).
        if soft_start
            && verdict(text, &bits, &ws, first, last) != Verdict::Strong
            && !(text[ws[first].end..].starts_with(',')
                && is_initial(&text[ws[last].start..ws[last].end]))
        {
            // Not surely a name: read on from the word after the English one.
            k = first + 1;
            continue;
        }
        // A run closed by English words is a name only when surely one; else without them.
        let mut end = last;
        while end > first && cls[end].soft && !cls[end].name_like && !cls[end - 1].particle {
            end -= 1;
        }
        let found = if end < last && verdict(text, &bits, &ws, first, last) != Verdict::Strong {
            judge(text, &bits, &ws, first, end).then_some(end)
        } else {
            judge(text, &bits, &ws, first, last).then_some(last)
        };
        if let Some(end) = found {
            spans.push(Span::new(ws[first].start, ws[end].end, PhiKind::Name));
        }
    }
    for (w, c) in ws.iter().zip(&cls) {
        if c.country {
            world::around_country(text, w.start, w.end, spans);
        }
    }
    lower_case_names(text, &bits, &ws, spans);
    propagate(text, &bits, &ws, spans);
}

/// Cue words that alone make the lower-case words after them a name (the other cues of
/// [`CUES_BEFORE`], `with`, `for`, `to`…, also come before prose).
const LOWER_CASE_CUES: &[&str] = &[
    "dear",
    "dr",
    "mr",
    "mrs",
    "ms",
    "patient",
    "pt",
    "name",
    "attn",
    "attention",
    "recipient",
    "sender",
    "re",
    "daughter",
    "son",
    "wife",
    "husband",
    "spouse",
    "niece",
    "nephew",
    "partner",
    "friend",
    "caregiver",
    "guardian",
    "mother",
    "father",
    "sister",
    "brother",
    "insured",
    "subscriber",
    "guarantor",
    "member",
    "beneficiary",
    "uncle",
    "aunt",
    "cousin",
    "grandson",
    "granddaughter",
    "grandmother",
    "grandfather",
    "representative",
    "person",
    "driver",
    "contact",
];

/// Weak cue words that come before lower-case prose as often as before a name: a run after
/// them needs a name the lists know.
const WEAK_LOWER_CUES: &[&str] = &["of", "with", "per", "and", "in", "first", "last"];

/// Names typed in lower case (`RE: débora leal`, `spouse, jens larsen`, `S: jēkabs vanags
/// is a`): a run of two to five lower-case words, none of them an English word the name
/// dictionaries do not know, after a word of [`LOWER_CASE_CUES`]; or, with one of the words
/// a given name or a surname the dictionaries know, after any cue word or before a note's
/// verb (particles may stand inside: `socorro de la cruz`).
#[inline(never)]
fn lower_case_names(text: &str, bits: &[u16], ws: &[Word], spans: &mut Vec<Span>) {
    let word = |i: usize| &text[ws[i].start..ws[i].end];
    let name_word = |i: usize| {
        let t = word(i);
        let bits = bits[i];
        let dict = bits & names::DICTIONARY_MASK;
        // The bit tests first: most lower-case words are English words.
        bits & (names::STOP | names::NOT_NAME) == 0
            && (dict & (names::FIRST | names::LAST) != 0 || dict & names::ENGLISH == 0)
            && ws[i].shape == Shape::Lower
            && t.chars().count() >= 2
            && t.chars()
                .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
    };
    let mut k = 0;
    while k < ws.len() {
        if !name_word(k) {
            k += 1;
            continue;
        }
        let first = k;
        let mut last = k;
        let mut j = k + 1;
        while j < ws.len() && joins(text, &ws[j]) == Some(false) && j - first < 6 {
            if name_word(j) {
                last = j;
            } else if !(ws[j].shape == Shape::Lower && bits[j] & names::PARTICLE != 0) {
                break;
            }
            j += 1;
        }
        k = last + 1;
        let run: Vec<usize> = (first..=last)
            .filter(|&i| bits[i] & names::PARTICLE == 0)
            .collect();
        if run.len() < 2 || run.len() > 5 {
            continue;
        }
        let known = run
            .iter()
            .any(|&i| bits[i] & (names::FIRST | names::LAST) != 0);
        // The cue word right before the run: separated by punctuation of prose or forms, or
        // by a label's colon and one line break (`From:⏎valeria cabral`).
        let cue = first.checked_sub(1).filter(|&p| {
            let gap = &text[ws[p].end..ws[first].start];
            let breaks = gap.bytes().filter(|&c| c == b'\n').count();
            (breaks == 0 || breaks == 1 && gap.contains(':'))
                && gap.bytes().all(|c| b" \t:,.#-\"'(|=\r\n".contains(&c))
        });
        let before = cue.is_some_and(|p| bits[p] & names::BEFORE != 0);
        let label = cue.is_some_and(|p| text[ws[p].end..ws[first].start].contains(':'));
        let after = ws.get(last + 1).is_some_and(|n| {
            let gap = &text[ws[last].end..n.start];
            !gap.contains('\n') && gap.len() <= 3 && bits[last + 1] & names::AFTER != 0
        });
        let strong_before = cue.is_some_and(|p| {
            label && bits[p] & names::BEFORE != 0
                || LOWER_CASE_CUES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(word(p)))
        });
        // Two or three words of a name's length, each with a vowel (not `htn dm`), after a
        // cue that is not a preposition of prose (`records for noa carrara`), or opening a
        // note's line before its verb (`S: wilber nabimanya is age 75`).
        let namelike = run.len() <= 3
            && run.iter().all(|&i| {
                let t = word(i);
                t.len() >= 3 && t.bytes().any(|c| b"aeiouy".contains(&c) || c >= 0x80)
            });
        let weak = cue.is_some_and(|p| {
            WEAK_LOWER_CUES
                .iter()
                .any(|c| c.eq_ignore_ascii_case(word(p)))
        });
        // The run opens its line or follows a label's colon (only the gap is read).
        let line_open = first == 0 || {
            let gap = &text[ws[first - 1].end..ws[first].start];
            gap.contains('\n') || gap.trim_end().ends_with(':')
        };
        let unknown_ok = namelike && ((before && !weak) || (after && line_open));
        let layout = header_line(text, ws, first, last)
            || name_shapes::is_name(
                text,
                last + 1 - first,
                |i| (ws[first + i].start, ws[first + i].end),
                |i| bits[first + i] & names::PARTICLE != 0,
            );
        if strong_before || (known && (before || after)) || unknown_ok || layout && namelike {
            spans.push(Span::new(ws[first].start, ws[last].end, PhiKind::Name));
        }
    }
}

/// Whether the run `ws[first..=last]` is a name.
#[inline(never)]
fn judge(text: &str, bits: &[u16], ws: &[Word], first: usize, last: usize) -> bool {
    verdict(text, bits, ws, first, last) != Verdict::No
}

/// How sure [`judge`] is of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    No,
    /// By a dictionary, a layout, or a header line's digits.
    Weak,
    /// By a cue word before it, a verb or credential after it, a script without case, or a
    /// header line's birth-date label or banner.
    Strong,
}

/// [`judge`], saying how sure: a run an English word closes (`Christy Chew   DOB:`) is a
/// name only when [`Verdict::Strong`].
fn verdict(text: &str, bits: &[u16], ws: &[Word], first: usize, last: usize) -> Verdict {
    let word = |i: usize| &text[ws[i].start..ws[i].end];
    let run = &ws[first..=last];
    if run.iter().all(|w| w.shape == Shape::Caseless) {
        return Verdict::Strong;
    }
    // A run of initials alone names nobody we can tell, but for a signer's initials
    // (`verified by I.M.`).
    if run.iter().all(|w| is_initial(&text[w.start..w.end])) {
        let signer = run.len() >= 2
            && first > 0
            && text[ws[first - 1].end..ws[first].start] == *" "
            && word(first - 1).eq_ignore_ascii_case("by");
        return if signer { Verdict::Strong } else { Verdict::No };
    }
    // Followed by a disease, a device or an institution: an eponym, not a person.
    if let Some(next) = ws.get(last + 1)
        && joins(text, next).is_some()
        && bits[last + 1] & names::EPONYM != 0
    {
        return Verdict::No;
    }
    if text[ws[last].end..].starts_with("'s ") || text[ws[last].end..].starts_with("\u{2019}s ") {
        return Verdict::No;
    }
    // A cue word before, separated from the run by nothing but spaces and punctuation of
    // prose or forms (not HL7's `^` or `|`).
    // A form cell's `|` counts when spaces stand around it (`Sender      | Wessel de Jonge`),
    // not HL7's bare field separator.
    let before = first
        .checked_sub(1)
        .filter(|&p| {
            // One line break too: a label's value on the next line (`From:⏎`), prose
            // wrapped (`request for⏎`); not a column header in capitals over its row
            // (`SUBSCRIBER⏎Centene`), nor HL7's `^DR⏎OBX|`.
            let gap = &text[ws[p].end..ws[first].start];
            // A line ends at `\n`, `\r\n`, or HL7's bare `\r`.
            let count = |b: u8| gap.bytes().filter(|&c| c == b).count();
            let breaks = count(b'\n').max(count(b'\r'));
            let label = gap.contains(':') || word(p).bytes().any(|c| c.is_ascii_lowercase());
            (breaks == 0 || breaks == 1 && label)
                && (gap.bytes().all(|c| b" \t:,.#-\"'(=\r\n".contains(&c))
                    || (gap.contains(" |") && gap.bytes().all(|c| b" \t:|\r\n".contains(&c))))
        })
        .is_some_and(|p| bits[p] & names::BEFORE != 0)
        || name_label(text, ws, first);
    let header = header_kind(text, ws, first, last);
    let after = verb_after(text, bits, ws, last)
        || credential_after(text, ws[last].end)
        || header == Some(true);
    if before || after {
        return Verdict::Strong;
    }
    let known = (first..=last).any(|i| bits[i] & (names::FIRST | names::LAST) != 0);
    let weak = header.is_some()
        || (known && run.len() >= 2)
        || name_shapes::is_name(
            text,
            run.len(),
            |i| (run[i].start, run[i].end),
            |i| bits[first + i] & names::PARTICLE != 0,
        );
    if weak { Verdict::Weak } else { Verdict::No }
}

/// Whether a word after the run ending at `last` says it was a person (`denies`, `is`,
/// `NPI`); a note's verb may stand on the next line (`S: Barros Artur⏎is age 42`).
fn verb_after(text: &str, bits: &[u16], ws: &[Word], last: usize) -> bool {
    ws.get(last + 1).is_some_and(|n| {
        let gap = &text[ws[last].end..n.start];
        (!gap.contains('\n') || n.shape == Shape::Lower && gap.trim_matches([' ', '\t']) == "\n")
            && gap.len() <= 3
            && bits[last + 1] & names::AFTER != 0
    })
}

/// `X.` or a lone capital: an initial.
#[inline]
fn is_initial(t: &str) -> bool {
    let t = t.strip_suffix('.').unwrap_or(t);
    match t.len() {
        1 => t.as_bytes()[0].is_ascii_uppercase(),
        2..=4 => t.chars().count() == 1 && t.chars().all(char::is_uppercase),
        _ => false,
    }
}

/// The bytes a credential of [`CREDENTIALS`] starts with.
static CREDENTIAL_FIRST: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < CREDENTIALS.len() {
        table[CREDENTIALS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    table
};

/// Whether a credential follows `at`: `, MD`, ` NP-C`, `, M.D.`.
fn credential_after(text: &str, at: usize) -> bool {
    let rest = &text[at..];
    let rest = rest.strip_prefix(',').unwrap_or(rest);
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.len() == rest.len() || rest.len() - trimmed.len() > 2 {
        return false;
    }
    // Every credential starts with a capital letter, one of a few.
    if !trimmed
        .as_bytes()
        .first()
        .is_some_and(|&c| CREDENTIAL_FIRST[usize::from(c)])
    {
        return false;
    }
    CREDENTIALS.iter().any(|c| {
        trimmed.starts_with(c) && !trimmed[c.len()..].starts_with(|ch: char| ch.is_alphanumeric())
    })
}

/// A patient header line: the run opens the line and the line goes on with what a header
/// carries: a sex, an identifier, a date of birth (`OKAFOR, ADA  F  0012345  03/14/1948`).
fn header_line(text: &str, ws: &[Word], first: usize, last: usize) -> bool {
    header_kind(text, ws, first, last).is_some()
}

/// [`header_line`], and whether the line says so by a birth-date label or a page banner's
/// shape (`Some(true)`) or only by its digits (`Some(false)`).
fn header_kind(text: &str, ws: &[Word], first: usize, last: usize) -> Option<bool> {
    // Only blanks back to the line's start: read back over them, not the whole line (a long
    // line with many runs on it would cost its length for each).
    if !opens_line(text, &ws[first]) || last == first {
        return None;
    }
    let rest = &text[ws[last].end..];
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let digits = line.bytes().filter(u8::is_ascii_digit).count();
    // Columns apart, or a page banner's ` - ` (`LANGE - 1954-12-16 - 955A747186 - p.2`), or
    // its record number in brackets (`Tan, Yu Pyn (26M27828L) 1/5/56 F`).
    let dashed = line
        .strip_prefix(" - ")
        .or_else(|| line.strip_prefix(" -"))
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    let bracketed = line
        .strip_prefix(" (")
        .or_else(|| line.strip_prefix('('))
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphanumeric()));
    // A sex column between the others (`WINIATA, HONE   01/02/1950   A1234  M  Page 1`).
    let sex = line.as_bytes().windows(4).any(|w| {
        w[0] == b' ' && w[1] == b' ' && matches!(w[2], b'M' | b'F') && matches!(w[3], b' ' | b'\t')
    }) || line.ends_with("  M")
        || line.ends_with("  F");
    // A birth-date label across the column gap (`Hermann KAISER   Birthdate: May 2018`).
    let birth = line.starts_with("  ") && {
        let cell = line.trim_start().as_bytes();
        let head: [u8; 5] = std::array::from_fn(|i| cell.get(i).map_or(0, u8::to_ascii_lowercase));
        head.starts_with(b"dob") || head.starts_with(b"d.o.b") || head == *b"birth"
    };
    if birth || (dashed || bracketed || sex) && digits >= 4 {
        Some(true)
    } else {
        (line.starts_with("  ") && digits >= 6).then_some(false)
    }
}

/// Marks every other whole-word occurrence of a found name's words (three letters or more).
#[inline(never)]
fn propagate(text: &str, bits: &[u16], ws: &[Word], spans: &mut Vec<Span>) {
    // The found names' words, ASCII-lower-cased, one after another in `arena`; `known` holds
    // each one's hash, start and length, and `slots` indexes it by hash (open addressing):
    // about one probe per word of the text, and no allocation per found word.
    let mut arena: Vec<u8> = Vec::new();
    let mut known: Vec<(u64, usize, usize)> = Vec::new();
    // Which lengths and lower-cased first bytes the known words have: most words of the
    // text fail these two bit tests and are never hashed.
    let mut lengths = 0u64;
    let mut firsts = [0u64; 4];
    for s in spans.iter().filter(|s| s.kind == PhiKind::Name) {
        let first = ws.partition_point(|w| w.start < s.start);
        for (w, &b) in ws[first..]
            .iter()
            .zip(&bits[first..])
            .take_while(|(w, _)| w.end <= s.end)
        {
            let t = &text[w.start..w.end];
            if t.chars().count() >= 3 && b & names::NOT_NAME == 0 {
                let start = arena.len();
                arena.extend(t.bytes().map(|c| c.to_ascii_lowercase()));
                let key = &arena[start..];
                lengths |= 1 << key.len().min(63);
                firsts[usize::from(key[0] >> 6)] |= 1 << (key[0] & 63);
                known.push((fnv(key), start, key.len()));
            }
        }
    }
    if known.is_empty() {
        return;
    }
    let mask = (known.len() * 2).next_power_of_two() - 1;
    let mut slots = vec![usize::MAX; mask + 1];
    // A word found many times is indexed once: a run of equal keys would make every later
    // insert and look-up walk it (quadratic on a text that repeats one name).
    'insert: for (k, &(h, start, len)) in known.iter().enumerate() {
        let mut i = h as usize & mask;
        while let Some(&(kh, ks, kl)) = known.get(slots[i]) {
            if kh == h && arena[ks..ks + kl] == arena[start..start + len] {
                continue 'insert;
            }
            i = (i + 1) & mask;
        }
        slots[i] = k;
    }
    let mut buf = [0u8; MAX_WORD];
    for (w, &b) in ws.iter().zip(bits) {
        let t = &text.as_bytes()[w.start..w.end];
        // Every known word has three characters, so at least three bytes, and none is on
        // the not-a-name list (the same lower-cased bytes have the same bits).
        if w.shape == Shape::Lower || t.len() < 3 || t.len() > MAX_WORD || b & names::NOT_NAME != 0
        {
            continue;
        }
        let f = t[0].to_ascii_lowercase();
        if lengths & (1 << t.len()) == 0 || firsts[usize::from(f >> 6)] & (1 << (f & 63)) == 0 {
            continue;
        }
        let lower = &mut buf[..t.len()];
        lower.copy_from_slice(t);
        lower.make_ascii_lowercase();
        let lower: &[u8] = lower;
        let h = fnv(lower);
        let mut i = h as usize & mask;
        while let Some(&(kh, start, len)) = known.get(slots[i]) {
            if kh == h && &arena[start..start + len] == lower {
                spans.push(Span::new(w.start, w.end, PhiKind::Name));
                break;
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        find(text, &NameDictionaries::bundled(), &mut spans);
        crate::span::merge(&mut spans);
        spans.iter().map(|s| &text[s.start..s.end]).collect()
    }

    #[test]
    fn cues_across_a_line_break_a_form_cell_or_before_initials_make_a_name() {
        assert_eq!(
            names("Re: records request for\nValentina Luna, a 21-year-old"),
            ["Valentina Luna"]
        );
        assert_eq!(
            names("Member: Qingyi Yee\nPSC 1837 Box 1719"),
            ["Qingyi Yee"]
        );
        assert_eq!(
            names("Sender           | Wessel de Jonge\n"),
            ["Wessel de Jonge"]
        );
        assert_eq!(names("Result verified on 6/24 by I.M.\n"), ["I.M."]);
        assert!(names("Hepatitis B.\nPlan A. Continue").is_empty());
        assert!(names("GROUP #    SUBSCRIBER\nCentene    7971599").is_empty());
        assert!(
            names("^PLEUN^^DR\rOBX|1|NM|13457-7")
                .iter()
                .all(|n| !n.contains("OBX"))
        );
    }

    #[test]
    fn context_before_or_after_makes_a_run_a_name() {
        assert_eq!(
            names("Dear Ngozi Adeyemi-Kraus, thank you"),
            ["Ngozi Adeyemi-Kraus"]
        );
        assert_eq!(
            names("lives with a niece, Kazuya van der Zijl, who"),
            ["Kazuya van der Zijl"]
        );
        assert_eq!(
            names("Ordering: Świech, Wiktor MD (NPI 1)"),
            ["Świech, Wiktor"]
        );
        assert_eq!(names("Came in with 지우 today"), ["지우"]);
        assert_eq!(
            names("PRESCRIBER\nA. Bushart, M.D. (NPI 2)"),
            ["A. Bushart"]
        );
        assert_eq!(
            names("OKAFOR, ADAEZE  F  0012345  03/14/1948\n"),
            ["OKAFOR, ADAEZE"]
        );
        assert_eq!(
            names("First: Jo   Last: van der Berg"),
            ["Jo", "van der Berg"]
        );
    }

    #[test]
    fn a_cue_glued_to_the_name_by_a_dropped_space_is_split_off() {
        assert_eq!(
            names("Please see attached records forSiti Ang. Call me"),
            ["Siti Ang"]
        );
        assert_eq!(
            names("SECTION A\nNAMEHoracio Luevano\nD.O.B. 1993"),
            ["Horacio Luevano"]
        );
        assert_eq!(names("my motherCONNELLY, TYLER (born"), ["CONNELLY, TYLER"]);
        assert_eq!(names("Seen by Dr. McDonald today"), ["McDonald"]);
    }

    #[test]
    fn particles_saints_and_suffixes_stay_inside_a_name() {
        assert_eq!(
            names("ATTENTION: Dr. ibn Rubalema\t\tFax"),
            ["ibn Rubalema"]
        );
        assert_eq!(names("To: Dr. Yfke de Wit   Fax: 1"), ["Yfke de Wit"]);
        assert_eq!(names("Dear Dr. De rosa,\n\nThank you"), ["De rosa"]);
        assert_eq!(names("Director: Dr. al-Saini\n11 pages"), ["al-Saini"]);
        assert_eq!(
            names("Patient: JÓZEFINA ST. BRZEZIŃSKI   DOB: 07/2020"),
            ["JÓZEFINA ST. BRZEZIŃSKI"]
        );
        assert_eq!(
            names("S: Diego Armando Ibáñez III is 31 y/o seen"),
            ["Diego Armando Ibáñez III"]
        );
        assert!(names("Lab: St. Jude Medical Center").is_empty());
    }

    #[test]
    fn a_name_the_page_broke_over_two_lines_is_one_name() {
        assert_eq!(names("REFERRING: J.\nWoo, DPM"), ["J.\nWoo"]);
        assert_eq!(
            names("Name: VELASCO\n, RAYMUNDO   DOB: 21-07-89"),
            ["VELASCO\n, RAYMUNDO"]
        );
        assert_eq!(
            names("Patient: AYINDE\nHANIFAT   DOB: 02011986"),
            ["AYINDE\nHANIFAT"]
        );
        assert!(names("DOB: 10 24 1965\tSex: M\nAcc: QV422546026").is_empty());
    }

    #[test]
    fn names_in_lower_case_after_a_form_label_or_before_a_notes_verb() {
        assert_eq!(
            names("Injured person: dimas indrajaya   DOB JANUARY 8, 1962"),
            ["dimas indrajaya"]
        );
        assert_eq!(
            names("Re: records request for hamdan basri, He is 95"),
            ["hamdan basri"]
        );
        assert_eq!(
            names("S: wilber nabimanya is age 75 seen"),
            ["wilber nabimanya"]
        );
        assert!(names("history of copd chf and with metformin er daily").is_empty());
    }

    #[test]
    fn a_header_lines_name_before_a_birth_date_label_or_a_bracketed_id() {
        // `Chew` and `WINTER` are English words: a birth-date label, a cue or a note's verb
        // lets them close or open a name.
        assert_eq!(
            names("Christy Chew   Birthdate: May 2018\n"),
            ["Christy Chew"]
        );
        assert_eq!(names("S: WINTER, UTE is a 29-year-old"), ["WINTER, UTE"]);
        assert_eq!(
            names("WINIATA, HONE   01/02/1950   A1234567  M  Page 1 of 2\n"),
            ["WINIATA, HONE"]
        );
        assert!(
            names("Christy Chew and others went home\n")
                .iter()
                .all(|n| !n.contains("Chew"))
        );
        assert_eq!(names("Tan, Yu Pyn (26M27828L) 1/5/56 F\n"), ["Tan, Yu Pyn"]);
        assert!(names("Hemoglobin Alc    130.1    mmol/L    111-163    HH\n").is_empty());
    }

    #[test]
    fn eponyms_and_headings_are_not_names_and_found_names_recur() {
        assert!(names("History of Parkinson disease. Seen by Cardiology.").is_empty());
        assert_eq!(
            names("Daughter Thandiwe called. Later Thandiwe denies pain."),
            ["Thandiwe", "Thandiwe"]
        );
    }
}
