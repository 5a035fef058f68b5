//! `faxbot redact`: redact PHI from standard input, and the evaluation corpus commands.
//!
//! * `faxbot redact` reads text on stdin and writes it redacted on stdout; `--json` writes
//!   the spans found instead (`[{"start":…,"end":…,"type":"PHONE"}]`, byte offsets).
//! * `faxbot redact corpus --seed N --out DIR [--set synthetic|tuning|held-out]` writes a
//!   labelled corpus from the project's first generator or the independent one.
//! * `faxbot redact score --corpus DIR` scores the redactor on it and exits 1 when a goal is
//!   missed.
//!
//! Errors name offsets and limits, never input text.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use faxbot_redact::{PseudonymKey, Redactor, corpus, eval};
use ring::rand::{SecureRandom, SystemRandom};

/// The default input limit: 64 MiB.
const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// Which generator `faxbot redact corpus` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CorpusSet {
    /// `faxbot_redact::corpus`: written alongside the detector.
    Synthetic,
    /// `faxbot_redact::eval`, tuning half.
    Tuning,
    /// `faxbot_redact::eval`, held-out half.
    HeldOut,
}

/// `faxbot redact …`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RedactArgs {
    /// Write the spans found as JSON (start, end, type; byte offsets) instead of the text.
    #[arg(long)]
    json: bool,
    /// Refuse input longer than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES)]
    max_bytes: u64,
    #[command(subcommand)]
    command: Option<RedactCommand>,
}

#[derive(Debug, Subcommand)]
enum RedactCommand {
    /// Write a labelled synthetic corpus (DIR/corpus.jsonl) for the evaluation.
    Corpus {
        /// The generator's seed; the same seed gives the same corpus.
        #[arg(long)]
        seed: u64,
        /// The directory to write to (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// How many documents.
        #[arg(long, default_value_t = 600)]
        documents: usize,
        /// Which generator: `synthetic` (the corpus the detector was written with), `tuning`
        /// (the independent generator's tuning half) or `held-out` (its judging half; the
        /// frozen held-out set is `--seed 90210 --documents 2000`).
        #[arg(long, value_enum, default_value_t = CorpusSet::Synthetic)]
        set: CorpusSet,
    },
    /// Score the redactor on a labelled corpus: recall, precision, leaks per type.
    Score {
        /// A corpus directory (or its corpus.jsonl).
        #[arg(long)]
        corpus: PathBuf,
        /// Print the score as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `faxbot redact`.
pub fn run(args: RedactArgs) -> Result<ExitCode> {
    match args.command {
        None => redact_stdin(args.json, args.max_bytes),
        Some(RedactCommand::Corpus {
            seed,
            out,
            documents,
            set,
        }) => {
            let docs = match set {
                CorpusSet::Synthetic => corpus::generate(seed, documents),
                CorpusSet::Tuning => eval::generate(eval::Split::Tuning, seed, documents),
                CorpusSet::HeldOut => eval::generate(eval::Split::HeldOut, seed, documents),
            };
            let path = corpus::write(&out, &docs)?;
            let labels: usize = docs.iter().map(|d| d.spans.len()).sum();
            println!(
                "wrote {} documents with {labels} labelled identifiers to {}",
                docs.len(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(RedactCommand::Score { corpus: path, json }) => {
            let docs = corpus::read(&path)?;
            let score = corpus::score(&redactor()?, &docs);
            if json {
                println!("{}", serde_json::to_string_pretty(&score)?);
            } else {
                print!("{score}");
            }
            let missed = score.missed_goals();
            if missed.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                for goal in missed {
                    eprintln!("goal missed: {goal}");
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}

/// Free-text redaction writes labels only, so the token key is random and thrown away.
fn redactor() -> Result<Redactor> {
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
    Ok(Redactor::new(PseudonymKey::new(key)))
}

fn redact_stdin(json: bool, max_bytes: u64) -> Result<ExitCode> {
    let text = read_input(io::stdin().lock(), max_bytes)?;
    let redactor = redactor()?;
    let out = redactor.redact_text(None, &text);
    let mut stdout = io::stdout().lock();
    if json {
        serde_json::to_writer(&mut stdout, &out.spans).context("writing standard output")?;
        stdout.write_all(b"\n").context("writing standard output")?;
    } else {
        stdout
            .write_all(out.text.as_bytes())
            .context("writing standard output")?;
    }
    stdout.flush().context("writing standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// Reads all of `input`, refusing more than `max_bytes` and anything that is not UTF-8 (the
/// error says where, by byte offset, line and column — never what).
fn read_input(input: impl Read, max_bytes: u64) -> Result<String> {
    let mut bytes = Vec::new();
    input
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    if bytes.len() as u64 > max_bytes {
        bail!("input is larger than the limit of {max_bytes} bytes (raise it with --max-bytes)");
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            // Valid UTF-8 up to `at`, so counting chars of the line so far is safe.
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            bail!("input is not valid UTF-8 at byte offset {at} (line {line}, column {column})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_refused_with_its_position() {
        let input: &[u8] = b"ok line\nab\xffcd";
        let err = read_input(input, 1024).expect_err("invalid").to_string();
        assert_eq!(
            err,
            "input is not valid UTF-8 at byte offset 10 (line 2, column 3)"
        );
    }

    #[test]
    fn input_over_the_limit_is_refused() {
        let err = read_input(&b"0123456789"[..], 9)
            .expect_err("too large")
            .to_string();
        assert!(err.contains("limit of 9 bytes"), "{err}");
        assert_eq!(
            read_input(&b"0123456789"[..], 10).expect("fits"),
            "0123456789"
        );
    }
}
