//! A labelled document and the builder that writes one piece at a time, so that every label
//! covers exactly the bytes of its identifier, OCR damage included.

use faxbot_redact::PhiKind;
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// One labelled identifier: byte offsets into [`Document::text`], its kind, and the form it was
/// written in (`family_comma_given`, `mdy_slash`, `hl7_pid3`…), for reports by shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// The kind, as `kind.rs` names it.
    #[serde(rename = "type")]
    pub kind: PhiKind,
    /// How it was written; `cue` forms had a label or cue word before them.
    #[serde(default)]
    pub form: String,
}

/// A look-alike that must stay: byte offsets and its class (`ICD10`, `NDC`, `PLATFORM_TS`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoy {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// What it is.
    #[serde(rename = "type")]
    pub class: String,
}

/// One document, as a line of the JSONL corpus `faxbot redact score --corpus` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its number in the corpus.
    pub id: u64,
    /// Its format, e.g. `cover_sheet/a`, `hl7_oru`, `fhir_patient`.
    pub kind: String,
    /// `tuning` or `judging`.
    #[serde(default)]
    pub split: String,
    /// Whether OCR damage was applied.
    #[serde(default)]
    pub ocr: bool,
    /// The text.
    pub text: String,
    /// Every identifier in it.
    pub spans: Vec<Label>,
    /// Look-alikes that must not be redacted.
    #[serde(default)]
    pub decoys: Vec<Decoy>,
}

/// OCR damage rates for one document.
#[derive(Debug, Clone, Copy)]
pub struct Ocr {
    /// Chance per confusable character (O/0, l/1, S/5, B/8) of being read as its twin.
    pub confuse: f64,
    /// Chance per space of being dropped (words merged).
    pub drop_space: f64,
    /// Chance per space of becoming a line break, and per long word of being hyphenated.
    pub break_line: f64,
    /// Chance that an identifier of six characters or more is split across two lines.
    pub split_value: f64,
}

impl Ocr {
    /// Damage as a poor fax scan shows it.
    pub fn scan(rng: &mut Rng) -> Ocr {
        let level = 0.5 + rng.below(10) as f64 / 10.0;
        Ocr {
            confuse: 0.03 * level,
            drop_space: 0.03 * level,
            break_line: 0.02 * level,
            split_value: 0.2 * level,
        }
    }
}

/// Writes a document piece by piece.
#[derive(Debug)]
pub struct Builder {
    text: String,
    spans: Vec<Label>,
    decoys: Vec<Decoy>,
    ocr: Option<Ocr>,
    rng: Rng,
}

impl Builder {
    /// An empty document; `ocr` damages every piece written after it.
    pub fn new(rng: Rng, ocr: Option<Ocr>) -> Builder {
        Builder {
            text: String::new(),
            spans: Vec::new(),
            decoys: Vec::new(),
            ocr,
            rng,
        }
    }

    /// Plain text (OCR-damaged when the document is).
    pub fn t(&mut self, s: &str) -> &mut Self {
        let piece = match self.ocr {
            Some(o) => damage_text(&mut self.rng, o, s),
            None => s.to_owned(),
        };
        self.text.push_str(&piece);
        self
    }

    /// Text written exactly as given, OCR or not (structure that a scan would not touch).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// An identifier of `kind`, written in `form`.
    pub fn phi(&mut self, kind: PhiKind, form: &str, value: &str) -> &mut Self {
        let piece = match self.ocr {
            Some(o) => {
                if self.text.ends_with(' ') && self.rng.chance(o.drop_space * 2.0) {
                    self.text.pop();
                }
                damage_value(&mut self.rng, o, value)
            }
            None => value.to_owned(),
        };
        let start = self.text.len();
        self.text.push_str(&piece);
        self.spans.push(Label {
            start,
            end: self.text.len(),
            kind,
            form: form.to_owned(),
        });
        self
    }

    /// A look-alike of `class` that must stay.
    pub fn decoy(&mut self, class: &str, value: &str) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.decoys.push(Decoy {
            start,
            end: self.text.len(),
            class: class.to_owned(),
        });
        self
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The document.
    pub fn finish(self, id: u64, kind: &str, split: &str) -> Document {
        Document {
            id,
            kind: kind.to_owned(),
            split: split.to_owned(),
            ocr: self.ocr.is_some(),
            text: self.text,
            spans: self.spans,
            decoys: self.decoys,
        }
    }
}

/// The character an OCR engine mistakes `c` for, if it is one of the classic pairs.
fn twin(c: char) -> Option<char> {
    Some(match c {
        'O' => '0',
        '0' => 'O',
        'l' => '1',
        '1' => 'l',
        'I' => '1',
        'S' => '5',
        '5' => 'S',
        'B' => '8',
        '8' => 'B',
        _ => return None,
    })
}

fn damage_text(rng: &mut Rng, o: Ocr, s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut word_len = 0;
    for c in s.chars() {
        if c == ' ' {
            word_len = 0;
            if rng.chance(o.drop_space) {
                continue;
            }
            if rng.chance(o.break_line) {
                out.push('\n');
                continue;
            }
        } else if c.is_alphabetic() {
            word_len += 1;
            if word_len == 5 && rng.chance(o.break_line) {
                out.push_str("-\n");
            }
        }
        match twin(c) {
            Some(t) if rng.chance(o.confuse) => out.push(t),
            _ => out.push(c),
        }
    }
    out
}

fn damage_value(rng: &mut Rng, o: Ocr, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    let split_at = if chars.len() >= 6 && rng.chance(o.split_value) {
        Some(2 + rng.below(chars.len() - 3))
    } else {
        None
    };
    for (i, &c) in chars.iter().enumerate() {
        if Some(i) == split_at {
            let prev = chars[i - 1];
            if c == ' ' {
                out.push('\n');
                continue;
            }
            if prev.is_alphabetic() && c.is_alphabetic() {
                out.push_str("-\n");
            } else {
                out.push('\n');
            }
        }
        if c == ' ' && rng.chance(o.drop_space) {
            continue;
        }
        match twin(c) {
            Some(t) if rng.chance(o.confuse) => out.push(t),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cover_exactly_the_value_even_when_damaged() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let ocr = Ocr {
                confuse: 0.5,
                drop_space: 0.3,
                break_line: 0.3,
                split_value: 1.0,
            };
            let mut b = Builder::new(rng.fork(), Some(ocr));
            b.t("Patient name: ")
                .phi(PhiKind::Name, "t", "SOLOMON BLOOM")
                .t(" DOB ");
            b.phi(PhiKind::Date, "t", "05/18/1931");
            let d = b.finish(1, "t", "tuning");
            for l in &d.spans {
                let v = &d.text[l.start..l.end];
                assert!(
                    !v.starts_with([' ', '\n']) && !v.ends_with([' ', '\n']),
                    "{v:?}"
                );
                assert!(
                    v.chars().filter(|c| c.is_alphanumeric()).count() >= 8,
                    "{v:?}"
                );
            }
        }
    }
}
