//! The corpus: `count` documents of one split from one seed, the same every time.

use std::io::{self, Write};

use crate::doc::{Builder, Document, Ocr};
use crate::forms::{FORMS, scanned};
use crate::ident::Gen;
use crate::pools::Pools;
use crate::rng::Rng;
use crate::split::Split;

/// Share of scanned documents that carry OCR damage.
pub const OCR_SHARE: f64 = 0.3;

/// A generated corpus.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Which split.
    pub split: Split,
    /// The seed it was drawn from.
    pub seed: u64,
    /// Its documents, ids `0..count`.
    pub docs: Vec<Document>,
}

/// `count` documents of `split` drawn from `seed`.
pub fn generate(split: Split, seed: u64, count: usize) -> Corpus {
    let pools = Pools::new(split);
    let total: u32 = FORMS.iter().map(|(_, w)| w).sum();
    let salt = match split {
        Split::Tuning => 0x7475_6e69_6e67,
        Split::Judging => 0x6a75_6467_696e,
    };
    let docs = (0..count)
        .map(|i| {
            let mut rng = Rng::new(seed ^ salt ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut pick = rng.below(total as usize) as u32;
            let mut form = FORMS[0].0;
            for (f, w) in FORMS {
                if pick < *w {
                    form = *f;
                    break;
                }
                pick -= w;
            }
            let ocr = if scanned(form.0) && rng.chance(OCR_SHARE) {
                Some(Ocr::scan(&mut rng))
            } else {
                None
            };
            let mut b = Builder::new(rng.fork(), ocr);
            let mut g = Gen::new(rng.fork(), &pools);
            (form.1)(&mut g, &mut b);
            b.finish(i as u64, form.0, split.name())
        })
        .collect();
    Corpus { split, seed, docs }
}

impl Corpus {
    /// Writes the corpus as JSON lines, the format `faxbot redact score --corpus` reads.
    pub fn write_jsonl(&self, out: &mut impl Write) -> io::Result<()> {
        for d in &self.docs {
            serde_json::to_writer(&mut *out, d)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}
