//! Redaction throughput on one core, beside a naive baseline in the same run.
//!
//! Input: "mixed text" is the evaluation corpus (seed 1: cover sheets, referrals, lab results,
//! prior authorisations, JSON events, log lines) joined into one text, about 370 KB, of which
//! roughly 20% is PHI. "eval-mixed" is the independent generator's held-out set joined the
//! same way (1.3 MB: HL7, FHIR, C-CDA, OCR-damaged pages among the rest). "prose" is
//! clinical narrative with no identifiers, the common case of log lines and notes. The baseline is the obvious design: one regular expression per
//! identifier type, applied in turn, each `replace_all` producing a new string.
//!
//! Each case runs twice: once timed by the wall clock (criterion's default) and once by the
//! benchmark thread's own CPU time (`cpu/…`), which is what "MB/s on one core" means on a
//! machine whose two cores are shared with other work: wall time there counts the time the
//! thread waited for a core.
//!
//! With `FAXBOT_BENCH_CORPUS=CORPUS.jsonl` (a corpus written elsewhere, as
//! `faxbot-redact-judge write` makes it) its texts are measured too, joined and one call per
//! document.
//!
//! `cargo bench -p faxbot-redact --bench redact`

use std::hint::black_box;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faxbot_redact::{PseudonymKey, Redactor, corpus, eval};
use nix::time::{ClockId, clock_gettime};
use regex::Regex;

fn mixed_text() -> String {
    corpus::generate(corpus::TUNING_SEED, 600)
        .into_iter()
        .map(|d| d.text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The independent generator's held-out set (2,000 documents: HL7, FHIR, C-CDA, OCR'd
/// pages, ...) joined into one text: mixed text the detector was not written for.
fn eval_mixed_text() -> String {
    eval::held_out()
        .into_iter()
        .map(|d| d.text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The texts of the JSON-lines corpus named by `FAXBOT_BENCH_CORPUS`, if it is set and
/// readable.
fn corpus_file() -> Option<Vec<String>> {
    let path = std::env::var("FAXBOT_BENCH_CORPUS").ok()?;
    let body = std::fs::read_to_string(&path)
        .map_err(|e| eprintln!("FAXBOT_BENCH_CORPUS {path}: {e}"))
        .ok()?;
    Some(
        body.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
            .collect(),
    )
}

fn prose() -> String {
    let line = "the patient tolerated the procedure well and was discharged home in stable \
                condition; follow-up with cardiology in two weeks, continue current medications \
                and return for any chest pain, shortness of breath or fever.\n";
    line.repeat(370_000 / line.len())
}

/// One regex per type, applied in turn: the baseline. Word boundaries are ASCII (`(?-u:\b)`)
/// so the regex crate keeps its fast DFA on non-ASCII text too; with Unicode `\b` the
/// baseline falls to ~2 MiB/s on the corpus, which has accented names.
struct Naive(Vec<(Regex, &'static str)>);

impl Naive {
    fn new() -> Self {
        let table = [
            (r"(?-u:\b)\d{3}-\d{2}-\d{4}(?-u:\b)", "[SSN]"),
            (
                r"(?:\+?1[-. ]?)?(?:\(\d{3}\)|(?-u:\b)\d{3})[-. ]?\d{3}[-. ]\d{4}(?-u:\b)",
                "[PHONE]",
            ),
            (
                r"[A-Za-z0-9_.+-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+",
                "[EMAIL]",
            ),
            (
                r"(?i)(?-u:\b)(?:mrn|medical record(?: number| #)?)[:#\s]*[A-Z0-9-]{4,}(?-u:\b)",
                "[MRN]",
            ),
            (
                r"(?i)(?-u:\b)(?:member|subscriber|policy|group)(?: id| #| number)?[:#\s]*[A-Z0-9-]{4,}(?-u:\b)",
                "[HEALTH_PLAN]",
            ),
            (
                r"(?i)(?-u:\b)(?:acct|account)(?: #| no\.?| number)?[:#\s]*[A-Z0-9-]{4,}(?-u:\b)",
                "[ACCOUNT]",
            ),
            (
                r"(?i)(?-u:\b)(?:npi|dea|license)(?: #| number)?[:#\s]*[A-Z0-9-]{4,}(?-u:\b)",
                "[LICENSE]",
            ),
            (
                r"(?-u:\b)\d{1,2}[/-]\d{1,2}[/-]\d{2,4}(?-u:\b)|(?-u:\b)\d{4}-\d{2}-\d{2}(?-u:\b)",
                "[DATE]",
            ),
            (
                r"(?-u:\b)(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}(?-u:\b)",
                "[DATE]",
            ),
            (
                r"(?-u:\b)\d{1,6} (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Way|Court|Ct|Blvd)(?-u:\b)",
                "[ADDRESS]",
            ),
            (
                r"(?-u:\b)[A-Z][a-z]+, [A-Z]{2} \d{5}(?:-\d{4})?(?-u:\b)",
                "[ADDRESS]",
            ),
            (r"https?://\S+|www\.\S+", "[URL]"),
            (r"(?-u:\b)(?:\d{1,3}\.){3}\d{1,3}(?-u:\b)", "[IP]"),
            (r"(?-u:\b)[A-HJ-NPR-Z0-9]{17}(?-u:\b)", "[VEHICLE]"),
            (
                r"(?:Patient|Name|Dr\.|RE):? [A-Z][a-z]+(?: [A-Z]\.)?(?: [A-Z][a-z]+)?",
                "[NAME]",
            ),
        ];
        Naive(
            table
                .into_iter()
                .map(|(p, l)| (Regex::new(p).expect("baseline pattern"), l))
                .collect(),
        )
    }

    fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (re, label) in &self.0 {
            out = re.replace_all(&out, *label).into_owned();
        }
        out
    }
}

/// The calling thread's CPU time, in nanoseconds.
struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    // CLOCK_THREAD_CPUTIME_ID is always present on Linux; a zero reading would show up as an
    // absurd figure rather than pass silently.
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns CPU")
        } else if typical < 1e6 {
            (1e-3, "us CPU")
        } else if typical < 1e9 {
            (1e-6, "ms CPU")
        } else {
            (1e-9, "s CPU")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        match t {
            Throughput::Bytes(bytes) | Throughput::BytesDecimal(bytes) => {
                let bytes = *bytes as f64;
                values
                    .iter_mut()
                    .for_each(|v| *v = bytes / (*v / 1e9) / (1024.0 * 1024.0));
                "MiB per CPU-second"
            }
            _ => "per CPU-second",
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns CPU"
    }
}

fn bench(c: &mut Criterion<WallTime>) {
    cases(c, "");
}

fn bench_cpu(c: &mut Criterion<ThreadCpuTime>) {
    cases(c, "cpu/");
}

fn cases<M: Measurement>(c: &mut Criterion<M>, prefix: &str) {
    let redactor = Redactor::new(PseudonymKey::new([5; 32]));
    let naive = Naive::new();
    let file = corpus_file();
    let mut inputs = vec![
        ("mixed", mixed_text()),
        ("eval-mixed", eval_mixed_text()),
        ("prose", prose()),
    ];
    if let Some(texts) = &file {
        inputs.push(("corpus-file", texts.join("\n")));
    }
    for (name, text) in inputs {
        let mut g = c.benchmark_group(format!("{prefix}redact/{name}"));
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.sample_size(20);
        g.bench_function("redactor", |b| {
            b.iter(|| black_box(redactor.redact_text(None, black_box(&text))))
        });
        g.bench_function("naive baseline (one regex per type, in turn)", |b| {
            b.iter(|| black_box(naive.redact(black_box(&text))))
        });
        g.finish();
    }
    // Per-document calls, as the core makes them: many small texts.
    let docs: Vec<String> = corpus::generate(corpus::TUNING_SEED, 600)
        .into_iter()
        .map(|d| d.text)
        .collect();
    let mut per_document = vec![("mixed-per-document", docs)];
    if let Some(texts) = file {
        per_document.push(("corpus-file-per-document", texts));
    }
    for (name, docs) in per_document {
        let bytes: usize = docs.iter().map(String::len).sum();
        let mut g = c.benchmark_group(format!("{prefix}redact/{name}"));
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(20);
        g.bench_function("redactor", |b| {
            b.iter(|| {
                for d in &docs {
                    black_box(redactor.redact_text(None, black_box(d)));
                }
            })
        });
        g.finish();
    }
}

criterion_group!(wall, bench);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_cpu
}
criterion_main!(wall, cpu);
