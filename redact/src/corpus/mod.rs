//! The evaluation: a generator of labelled synthetic fax-like documents and a scorer that
//! measures a redactor against the labels.
//!
//! The generator is seeded and deterministic. Each document carries the exact byte spans of
//! the identifiers it contains; the look-alikes it also contains (fax job ids, ICD-10 and CPT
//! codes, dosages, prices, page counts, years, lab values) are unlabelled, so flagging them
//! costs precision. Formats vary widely on purpose (see [`values`]), and the name pool mixes
//! names in the detector's dictionaries with names that are not, so the corpus does not just
//! replay the detector's own lists.

mod docs;
pub mod rng;
mod score;
pub mod values;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Span;
pub use score::{
    KindScore, PRECISION_GOAL, RECALL_GOAL, Score, ZERO_LEAK_KINDS, covered, leaked, leaks,
    residue, score,
};

/// The seed the detector was tuned on. Tests assert the goals on other seeds.
pub const TUNING_SEED: u64 = 1;

/// The file name of a corpus inside its directory.
pub const CORPUS_FILE: &str = "corpus.jsonl";

/// What kind of document a corpus entry imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A fax cover sheet.
    CoverSheet,
    /// A referral letter.
    Referral,
    /// A laboratory report.
    LabResult,
    /// A prior authorisation request.
    PriorAuth,
    /// A JSON event payload as the event bus carries it.
    JsonEvent,
    /// Structured log lines.
    LogLines,
    /// A discharge summary.
    DischargeSummary,
    /// HL7 v2 message segments.
    Hl7,
    /// A FHIR resource or bundle (JSON).
    Fhir,
    /// A C-CDA document fragment (XML).
    Ccda,
    /// A faxed page as OCR returns it: broken lines, hyphenation, letter/digit confusions.
    OcrPage,
    /// Anything else: corpora written elsewhere may name kinds this enum does not know.
    #[serde(other)]
    Other,
}

/// One labelled document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its number in the corpus.
    pub id: usize,
    /// What it imitates.
    pub kind: DocKind,
    /// The text.
    pub text: String,
    /// Every identifier in the text, by byte offsets.
    pub spans: Vec<Span>,
}

/// `count` documents for `seed`, the kinds in rotation.
pub fn generate(seed: u64, count: usize) -> Vec<Document> {
    let mut r = rng::Rng::new(seed);
    (0..count)
        .map(|id| match id % 6 {
            0 => docs::cover_sheet(&mut r, id),
            1 => docs::referral(&mut r, id),
            2 => docs::lab_result(&mut r, id),
            3 => docs::prior_auth(&mut r, id),
            4 => docs::json_event(&mut r, id),
            _ => docs::log_lines(&mut r, id),
        })
        .collect()
}

/// Why a corpus could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file system call failed.
    #[error("corpus {path}: {action}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// A line is not a document.
    #[error("corpus {path}: line {line}: not a labelled document: {reason}")]
    Parse {
        /// The corpus file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong (the parser's category and column, never the text).
        reason: String,
    },
    /// A span does not fit its document.
    #[error(
        "corpus {path}: line {line}: span {start}..{end} is outside the text or not on character boundaries"
    )]
    BadSpan {
        /// The corpus file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The span's start.
        start: usize,
        /// The span's end.
        end: usize,
    },
}

/// Writes `docs` as `dir/corpus.jsonl`, creating `dir`. Returns the file's path.
pub fn write(dir: &Path, docs: &[Document]) -> Result<PathBuf, CorpusError> {
    let io_err = |path: &Path, action| {
        let path = path.to_path_buf();
        move |source| CorpusError::Io {
            path,
            action,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
    let path = dir.join(CORPUS_FILE);
    let file = File::create(&path).map_err(io_err(&path, "create"))?;
    let mut out = BufWriter::new(file);
    for doc in docs {
        serde_json::to_writer(&mut out, doc)
            .map_err(|e| io_err(&path, "write")(io::Error::other(e)))?;
        out.write_all(b"\n").map_err(io_err(&path, "write"))?;
    }
    out.flush().map_err(io_err(&path, "write"))?;
    Ok(path)
}

/// Reads a corpus from `path` (a `corpus.jsonl` file, or a directory holding one).
pub fn read(path: &Path) -> Result<Vec<Document>, CorpusError> {
    let path = if path.is_dir() {
        path.join(CORPUS_FILE)
    } else {
        path.to_path_buf()
    };
    let file = File::open(&path).map_err(|source| CorpusError::Io {
        path: path.clone(),
        action: "open",
        source,
    })?;
    let mut docs = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| CorpusError::Io {
            path: path.clone(),
            action: "read",
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Document = serde_json::from_str(&line).map_err(|e| CorpusError::Parse {
            path: path.clone(),
            line: i + 1,
            reason: format!("{:?} error at column {}", e.classify(), e.column()),
        })?;
        if let Some(s) = doc.spans.iter().find(|s| {
            s.start > s.end
                || s.end > doc.text.len()
                || !doc.text.is_char_boundary(s.start)
                || !doc.text.is_char_boundary(s.end)
        }) {
            return Err(CorpusError::BadSpan {
                path,
                line: i + 1,
                start: s.start,
                end: s.end,
            });
        }
        docs.push(doc);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
        assert_eq!(generate(9, 12), generate(9, 12));
        assert_ne!(generate(9, 12), generate(10, 12));
    }

    #[test]
    fn labelled_spans_are_on_char_boundaries_and_hold_the_value() {
        for doc in generate(3, 60) {
            for s in &doc.spans {
                assert!(s.start < s.end && s.end <= doc.text.len());
                let value = &doc.text[s.start..s.end];
                assert_eq!(
                    value.trim(),
                    value,
                    "span with surrounding space in doc {}",
                    doc.id
                );
            }
        }
    }

    #[test]
    fn a_corpus_round_trips_through_its_file_and_bad_spans_are_refused() {
        let dir = std::env::temp_dir().join(format!("faxbot-redact-corpus-{}", std::process::id()));
        let docs = generate(4, 12);
        let path = write(&dir, &docs).expect("write");
        assert_eq!(read(&dir).expect("read"), docs);
        let mut bad = docs[0].clone();
        bad.spans
            .push(Span::new(0, bad.text.len() + 1, crate::PhiKind::Name));
        std::fs::write(&path, serde_json::to_string(&bad).expect("json")).expect("write");
        assert!(matches!(
            read(&path),
            Err(CorpusError::BadSpan { line: 1, .. })
        ));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
