//! Redaction speed in MiB per CPU-second of this thread (not wall time, which on a shared
//! machine counts the time spent waiting for a core): the joined first-generator corpus, the
//! joined held-out set, and the first corpus one document per call. A quick figure between
//! changes; `cargo bench -p faxbot-redact` is the real one.
//!
//! `cargo run --release -p faxbot-redact --example speed_cpu [-- SECONDS]`; with `-- reps N`
//! it redacts each case N times and prints nothing, for `perf stat -e instructions:u`
//! (instruction counts do not move with the machine's load; run `reps 0` for the set-up).
//! `-- file CORPUS.jsonl [SECONDS]` times the texts of a corpus written elsewhere (as
//! `faxbot-redact-judge write` makes it), one call per document and joined; `-- file
//! CORPUS.jsonl reps N` redacts it N times each way and prints nothing (for an instruction
//! count: `reps 2` minus `reps 1` is one steady-state repetition).

use faxbot_redact::{PseudonymKey, Redactor, corpus, eval};
use nix::time::{ClockId, clock_gettime};

fn cpu_s() -> f64 {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as f64 + t.tv_nsec() as f64 * 1e-9)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("file") {
        return time_file(&args[2..]);
    }
    let fixed: Option<usize> = (args.get(1).map(String::as_str) == Some("reps"))
        .then(|| args.get(2).and_then(|n| n.parse().ok()))
        .flatten();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let redactor = Redactor::new(PseudonymKey::new([5; 32]));
    let synthetic: Vec<String> = corpus::generate(corpus::TUNING_SEED, 600)
        .into_iter()
        .map(|d| d.text)
        .collect();
    let held_out = eval::held_out()
        .into_iter()
        .map(|d| d.text)
        .collect::<Vec<_>>()
        .join("\n");
    let mixed = synthetic.join("\n");
    let cases: [(&str, Vec<&str>); 3] = [
        ("mixed", vec![&mixed]),
        ("eval-mixed", vec![&held_out]),
        (
            "mixed per document",
            synthetic.iter().map(String::as_str).collect(),
        ),
    ];
    if let Some(n) = fixed {
        // `reps N CASE`: only the case whose name starts with CASE.
        let only = args.get(3);
        for (name, texts) in &cases {
            if only.is_some_and(|o| !name.starts_with(o.as_str())) {
                continue;
            }
            for _ in 0..n {
                for t in texts {
                    std::hint::black_box(redactor.redact_text(None, t));
                }
            }
        }
        return;
    }
    for (name, texts) in cases {
        time_case(&redactor, name, &texts, secs);
    }
}

/// Redacts `texts` one call each, over and over for `secs` of this thread's CPU time.
fn time_case(redactor: &Redactor, name: &str, texts: &[&str], secs: f64) {
    {
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let start = cpu_s();
        let mut reps = 0;
        while cpu_s() - start < secs {
            for t in texts {
                std::hint::black_box(redactor.redact_text(None, t));
            }
            reps += 1;
        }
        let mib = (bytes * reps) as f64 / (1024.0 * 1024.0);
        println!(
            "{name:<20} {:>8.1} MiB per CPU-second",
            mib / (cpu_s() - start)
        );
    }
}

/// `file CORPUS.jsonl [SECONDS]`: the corpus's texts per document and joined.
fn time_file(args: &[String]) {
    let Some(path) = args.first() else {
        eprintln!("usage: speed_cpu file CORPUS.jsonl [SECONDS]");
        std::process::exit(2);
    };
    let reps: Option<usize> = (args.get(1).map(String::as_str) == Some("reps"))
        .then(|| args.get(2).and_then(|n| n.parse().ok()))
        .flatten();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let body = match std::fs::read_to_string(path) {
        Ok(body) => body,
        Err(e) => {
            eprintln!("reading {path}: {e}");
            std::process::exit(1);
        }
    };
    let texts: Vec<String> = body
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect();
    let joined = texts.join("\n");
    let redactor = Redactor::new(PseudonymKey::new([5; 32]));
    let per_doc: Vec<&str> = texts.iter().map(String::as_str).collect();
    if let Some(n) = reps {
        for _ in 0..n {
            for t in per_doc.iter().chain([&joined.as_str()]) {
                std::hint::black_box(redactor.redact_text(None, t));
            }
        }
        return;
    }
    time_case(&redactor, "file per document", &per_doc, secs);
    time_case(&redactor, "file joined", &[&joined], secs);
}
