//! Fingerprints of exactly what the detector finds, to hold a speed change to the same
//! behaviour: one FNV-1a hash of every span (start, end, kind) per corpus, documents one call
//! each and joined into one text as the benchmark joins them.
//!
//! `cargo run --release -p faxbot-redact --example span_fingerprint` prints the hashes;
//! `-- --dump DIR` also writes the spans of the corpora that may be read case by case (the
//! first generator's seeds and the independent tuning split, never the held-out set) to
//! `DIR/<corpus>.txt`, one line per span with its text, for diffing two builds.
//! `-- --file CORPUS.jsonl` adds the texts of a corpus written elsewhere (as
//! `faxbot-redact-judge write` makes it: one JSON object with a `text` per line).

use std::fmt::Write as _;

use faxbot_redact::corpus::{self, Document};
use faxbot_redact::{Detector, eval};

fn fnv(h: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *h = (*h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let file = args
        .iter()
        .position(|a| a == "--file")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let detector = Detector::new();
    let mut sets: Vec<(&str, Vec<String>, bool)> = vec![
        (
            "synthetic-1",
            texts(corpus::generate(corpus::TUNING_SEED, 600)),
            true,
        ),
        ("synthetic-77", texts(corpus::generate(77, 600)), true),
        (
            "synthetic-20261202",
            texts(corpus::generate(20_261_202, 600)),
            true,
        ),
        (
            "tuning-split",
            texts(eval::tuning(eval::TUNING_SEED, eval::HELD_OUT_DOCUMENTS)),
            true,
        ),
        ("held-out", texts(eval::held_out()), false),
    ];
    if let Some(path) = &file {
        match std::fs::read_to_string(path) {
            Ok(body) => sets.push(("file", file_documents(&body), true)),
            Err(e) => {
                eprintln!("reading {path}: {e}");
                std::process::exit(1);
            }
        }
    }
    for (name, docs, readable) in &sets {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut out = String::new();
        let mut n = 0;
        for (i, d) in docs.iter().enumerate() {
            for s in detector.find(d) {
                n += 1;
                fnv(&mut h, &(i as u64).to_le_bytes());
                fnv(&mut h, &(s.start as u64).to_le_bytes());
                fnv(&mut h, &(s.end as u64).to_le_bytes());
                fnv(&mut h, s.kind.label().as_bytes());
                if *readable && dump.is_some() {
                    let _ = writeln!(
                        out,
                        "{i} {} {} {} {:?}",
                        s.start,
                        s.end,
                        s.kind.label(),
                        &d[s.start..s.end]
                    );
                }
            }
        }
        let joined = docs
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let mut hj: u64 = 0xcbf2_9ce4_8422_2325;
        let mut nj = 0;
        for s in detector.find(&joined) {
            nj += 1;
            fnv(&mut hj, &(s.start as u64).to_le_bytes());
            fnv(&mut hj, &(s.end as u64).to_le_bytes());
            fnv(&mut hj, s.kind.label().as_bytes());
            if *readable && dump.is_some() {
                let _ = writeln!(
                    out,
                    "J {} {} {} {:?}",
                    s.start,
                    s.end,
                    s.kind.label(),
                    &joined[s.start..s.end]
                );
            }
        }
        println!("{name:<20} per-document {n:>6} spans {h:016x}   joined {nj:>6} spans {hj:016x}");
        if let (Some(dir), true) = (&dump, *readable) {
            let path = std::path::Path::new(dir).join(format!("{name}.txt"));
            if let Err(e) = std::fs::write(&path, out) {
                eprintln!("cannot write {}: {e}", path.display());
            }
        }
    }
}

fn texts(docs: Vec<Document>) -> Vec<String> {
    docs.into_iter().map(|d| d.text).collect()
}

/// The texts of a JSON-lines corpus.
fn file_documents(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect()
}
