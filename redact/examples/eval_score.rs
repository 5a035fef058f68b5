//! Scores the detector on the corpora of the evaluation and prints the tables.
//!
//! `cargo run --release -p faxbot-redact --example eval_score` prints recall, precision and
//! leaks per kind on the first generator's tuning seed, the independent generator's tuning
//! split and its frozen held-out set. `-- --misses N` also prints up to N missed identifiers
//! and N false positives **of the tuning split only**: the held-out set is scored as a whole
//! and never read case by case.

use std::time::Instant;

use faxbot_redact::corpus::{self, Document};
use faxbot_redact::{PseudonymKey, Redactor, eval};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let misses: usize = args
        .iter()
        .position(|a| a == "--misses")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let redactor = Redactor::new(PseudonymKey::new([7; 32]));
    if args.iter().any(|a| a == "--speed") {
        // A rough single-thread figure; `cargo bench -p faxbot-redact` is the real one.
        for (name, docs) in [
            ("synthetic", corpus::generate(corpus::TUNING_SEED, 600)),
            ("held-out", eval::held_out()),
        ] {
            let text = docs
                .into_iter()
                .map(|d| d.text)
                .collect::<Vec<_>>()
                .join("\n");
            let t = Instant::now();
            let reps = 5;
            for _ in 0..reps {
                std::hint::black_box(redactor.redact_text(None, &text));
            }
            let mib = (text.len() * reps) as f64 / (1024.0 * 1024.0);
            println!("{name}: {:.1} MiB/s", mib / t.elapsed().as_secs_f64());
            let docs: Vec<&str> = text.split("\n\n\n").collect();
            let docs: Vec<String> = if docs.len() > 1 {
                docs.into_iter().map(str::to_owned).collect()
            } else {
                match name {
                    "synthetic" => corpus::generate(corpus::TUNING_SEED, 600),
                    _ => eval::held_out(),
                }
                .into_iter()
                .map(|d| d.text)
                .collect()
            };
            let t = Instant::now();
            for _ in 0..reps {
                for d in &docs {
                    std::hint::black_box(redactor.redact_text(None, d));
                }
            }
            println!(
                "{name}, per document: {:.1} MiB/s",
                mib / t.elapsed().as_secs_f64()
            );
        }
        return;
    }
    let sets: [(&str, Vec<Document>); 3] = [
        (
            "synthetic corpus, seed 1 (tuning)",
            corpus::generate(corpus::TUNING_SEED, 600),
        ),
        (
            "independent generator, tuning split",
            eval::tuning(eval::TUNING_SEED, eval::HELD_OUT_DOCUMENTS),
        ),
        ("independent generator, HELD-OUT set", eval::held_out()),
    ];
    for (name, docs) in &sets {
        let t = Instant::now();
        let score = corpus::score(&redactor, docs);
        println!("== {name} ({:.1} s)\n{score}", t.elapsed().as_secs_f64());
    }
    if misses > 0 {
        // `--synthetic` shows the first generator's misses instead of the tuning split's.
        let which = if args.iter().any(|a| a == "--synthetic") {
            0
        } else {
            1
        };
        show_misses(&redactor, &sets[which].1, misses);
    }
}

fn show_misses(redactor: &Redactor, docs: &[Document], n: usize) {
    let mut missed = 0;
    let mut fps = 0;
    for doc in docs {
        let out = redactor.redact_text(None, &doc.text);
        for l in &doc.spans {
            if missed < n && !corpus::covered(l, &out.spans) {
                missed += 1;
                let (a, b) = context(&doc.text, l.start, l.end);
                println!(
                    "MISS {:<12} doc {:>4}: {}[[{}]]{}",
                    l.kind.label(),
                    doc.id,
                    a,
                    &doc.text[l.start..l.end],
                    b
                );
            }
        }
        for p in &out.spans {
            if fps < n && !doc.spans.iter().any(|l| l.start < p.end && p.start < l.end) {
                fps += 1;
                let (a, b) = context(&doc.text, p.start, p.end);
                println!(
                    "FP   {:<12} doc {:>4}: {}[[{}]]{}",
                    p.kind.label(),
                    doc.id,
                    a,
                    &doc.text[p.start..p.end],
                    b
                );
            }
        }
    }
}

fn context(text: &str, start: usize, end: usize) -> (String, String) {
    let mut a = start.saturating_sub(40);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (end + 40).min(text.len());
    while !text.is_char_boundary(b) {
        b += 1;
    }
    (
        text[a..start].replace('\n', "⏎"),
        text[end..b].replace('\n', "⏎"),
    )
}
