//! Building a labelled document piece by piece, and the OCR damage a faxed page suffers,
//! applied character by character so every label still covers exactly its identifier.

use crate::corpus::rng::Rng;
use crate::corpus::{DocKind, Document};
use crate::{PhiKind, Span};

/// A value made of pieces, some of them identifiers (an HL7 name's components, a phone
/// number followed by an unlabelled extension).
pub type Parts = Vec<(Option<PhiKind>, String)>;

/// One labelled piece.
pub fn phi(kind: PhiKind, s: impl Into<String>) -> Parts {
    vec![(Some(kind), s.into())]
}

/// One unlabelled piece.
pub fn plain(s: impl Into<String>) -> Parts {
    vec![(None, s.into())]
}

/// A document under construction: text and the labels in it.
#[derive(Debug, Default)]
pub struct Doc {
    text: String,
    spans: Vec<Span>,
}

impl Doc {
    /// Appends unlabelled text.
    pub fn t(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends an identifier of `kind`. Surrounding spaces are not part of the label.
    pub fn p(&mut self, kind: PhiKind, s: &str) -> &mut Self {
        let lead = s.len() - s.trim_start().len();
        let core = s.trim();
        self.text.push_str(&s[..lead]);
        if !core.is_empty() {
            let start = self.text.len();
            self.text.push_str(core);
            self.spans.push(Span::new(start, self.text.len(), kind));
        }
        self.text.push_str(&s[lead + core.len()..]);
        self
    }

    /// Appends a value made of pieces.
    pub fn v(&mut self, parts: &Parts) -> &mut Self {
        for (kind, s) in parts {
            match kind {
                Some(k) => self.p(*k, s),
                None => self.t(s),
            };
        }
        self
    }

    /// The finished document.
    pub fn finish(self, id: usize, kind: DocKind) -> Document {
        Document {
            id,
            kind,
            text: self.text,
            spans: self.spans,
        }
    }

    /// Applies the damage of a fax and its OCR: letter/digit confusions, dropped accents,
    /// lines wrapped at a narrow width (words hyphenated, numbers broken without a hyphen),
    /// stray spaces around separators. Labels follow their characters.
    pub fn ocr(self, r: &mut Rng) -> Doc {
        let mut chars = self.tagged();
        let confuse = [0.0, 0.01, 0.03][r.below(3) as usize];
        let fold = r.chance(0.5);
        for c in chars.iter_mut() {
            if fold {
                c.0 = fold_accent(c.0);
            }
            if r.chance(confuse) {
                c.0 = confusion(c.0);
            }
        }
        let width = r.range(38, 72) as usize;
        let chars = wrap(&chars, width, r);
        Doc::from_tagged(&chars, &self.spans)
    }

    /// Every character with the index of the label it belongs to.
    fn tagged(&self) -> Vec<(char, Option<usize>)> {
        let mut out = Vec::with_capacity(self.text.len());
        let mut spans: Vec<(usize, &Span)> = self.spans.iter().enumerate().collect();
        spans.sort_by_key(|(_, s)| s.start);
        let mut k = 0;
        for (at, c) in self.text.char_indices() {
            while k < spans.len() && spans[k].1.end <= at {
                k += 1;
            }
            let tag = spans
                .get(k)
                .filter(|(_, s)| s.start <= at && at < s.end)
                .map(|(i, _)| *i);
            out.push((c, tag));
        }
        out
    }

    fn from_tagged(chars: &[(char, Option<usize>)], old: &[Span]) -> Doc {
        let mut text = String::with_capacity(chars.len());
        let mut bounds: Vec<Option<(usize, usize)>> = vec![None; old.len()];
        for &(c, tag) in chars {
            let at = text.len();
            text.push(c);
            if let Some(i) = tag {
                let b = bounds[i].get_or_insert((at, at));
                b.1 = text.len();
            }
        }
        let mut spans = Vec::with_capacity(old.len());
        for (i, b) in bounds.into_iter().enumerate() {
            let Some((mut s, mut e)) = b else { continue };
            // A label never starts or ends with white space or a line-break hyphen.
            while s < e && text[s..].starts_with(char::is_whitespace) {
                s += text[s..].chars().next().map_or(1, char::len_utf8);
            }
            while e > s && text[..e].ends_with(|c: char| c.is_whitespace() || c == '-') {
                e -= text[..e].chars().next_back().map_or(1, char::len_utf8);
            }
            if s < e {
                spans.push(Span::new(s, e, old[i].kind));
            }
        }
        spans.sort();
        Doc { text, spans }
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ə' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'ı' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' | 'ć' | 'č' => 'c',
        'ñ' | 'ń' => 'n',
        'ś' | 'š' | 'ş' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ğ' => 'g',
        'Á' | 'À' | 'Â' | 'Ä' => 'A',
        'É' | 'È' | 'Ê' => 'E',
        'Ö' | 'Ó' | 'Ø' => 'O',
        'Ü' | 'Ú' => 'U',
        'Ç' | 'Č' => 'C',
        'Ş' | 'Š' | 'Ś' => 'S',
        'Ż' | 'Ž' => 'Z',
        'Ł' => 'L',
        'İ' => 'I',
        _ => c,
    }
}

/// The confusions fax OCR makes between letters and digits.
fn confusion(c: char) -> char {
    match c {
        '0' => 'O',
        'O' => '0',
        'o' => '0',
        '1' => 'l',
        'l' => '1',
        'I' => '1',
        '5' => 'S',
        'S' => '5',
        '8' => 'B',
        'B' => '8',
        '2' => 'Z',
        'Z' => '2',
        '6' => 'G',
        'g' => '9',
        _ => c,
    }
}

/// Wraps lines longer than `width`: usually at a space, sometimes inside a word with a
/// hyphen, sometimes inside a number with no hyphen at all. Inserted characters take the
/// label of the character before them when the break falls inside a label.
fn wrap(chars: &[(char, Option<usize>)], width: usize, r: &mut Rng) -> Vec<(char, Option<usize>)> {
    let mut out: Vec<(char, Option<usize>)> = Vec::with_capacity(chars.len() + chars.len() / 20);
    let mut col = 0;
    for (i, &(c, tag)) in chars.iter().enumerate() {
        if c == '\n' {
            out.push((c, tag));
            col = 0;
            continue;
        }
        if col >= width {
            let next_tag = chars.get(i + 1).and_then(|n| n.1);
            let inside = tag.is_some() && tag == next_tag;
            let prev = out.last().map(|p| p.0);
            if c == ' ' {
                out.push(('\n', tag.filter(|_| inside)));
                col = 0;
                continue;
            }
            let last_space = out.iter().rev().take(width / 3).position(|p| p.0 == ' ');
            let prev_tag = out.last().and_then(|p| p.1);
            let joined = prev_tag.is_some() && prev_tag == tag;
            if c.is_alphabetic() && prev.is_some_and(char::is_alphabetic) && r.chance(0.5) {
                out.push(('-', prev_tag.filter(|_| joined)));
                out.push(('\n', prev_tag.filter(|_| joined)));
                col = 0;
            } else if c.is_ascii_digit() && prev.is_some_and(|p| p.is_ascii_digit() || p == '-') {
                out.push(('\n', prev_tag.filter(|_| joined)));
                col = 0;
            } else if let Some(back) = last_space {
                let at = out.len() - 1 - back;
                let t = out[at].1;
                out[at] = ('\n', t);
                col = back;
            }
        }
        out.push((c, tag));
        col += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cover_exactly_their_pieces() {
        let mut d = Doc::default();
        d.t("Pt: ").p(PhiKind::Name, " Ada Obi ").t("tel ").v(&vec![
            (Some(PhiKind::Phone), "555-201-3344".to_owned()),
            (None, " x12".to_owned()),
        ]);
        let doc = d.finish(0, DocKind::Other);
        let got: Vec<&str> = doc
            .spans
            .iter()
            .map(|s| &doc.text[s.start..s.end])
            .collect();
        assert_eq!(got, ["Ada Obi", "555-201-3344"]);
    }

    #[test]
    fn ocr_damage_keeps_every_label_on_its_characters() {
        for seed in 0..200 {
            let mut r = Rng::new(seed);
            let mut d = Doc::default();
            for _ in 0..30 {
                d.t("the patient was seen with ")
                    .p(PhiKind::Name, "Wiśniewska Oluwaseun")
                    .t(" call ")
                    .p(PhiKind::Phone, "(555) 201-3344")
                    .t(" on ")
                    .p(PhiKind::Date, "March 4, 2021")
                    .t(". ");
            }
            let before = d.spans.len();
            let doc = d.ocr(&mut r).finish(0, DocKind::OcrPage);
            assert_eq!(doc.spans.len(), before, "seed {seed}");
            for s in &doc.spans {
                let v = &doc.text[s.start..s.end];
                assert_eq!(v.trim(), v);
                let letters: String = v.chars().filter(|c| c.is_alphanumeric()).collect();
                let expect = match s.kind {
                    PhiKind::Name => 19,
                    PhiKind::Phone => 10,
                    _ => 10,
                };
                assert_eq!(letters.chars().count(), expect, "seed {seed}: {v:?}");
            }
        }
    }
}
