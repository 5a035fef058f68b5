//! `faxbot-redact-judge`: writes the tuning or judging corpus as JSON lines, or scores the
//! bundled redactor on it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use faxbot_redact::{PseudonymKey, Redactor};
use faxbot_redact_judge::{Misses, Split, generate, score};

/// The seed of the published corpora.
const DEFAULT_SEED: u64 = 15;

#[derive(Parser)]
#[command(
    name = "faxbot-redact-judge",
    about = "An evaluation corpus for the redactor, written without reading its detector"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a split as JSON lines (the format `faxbot redact score --corpus` reads).
    Write {
        /// `tuning` or `judging`.
        #[arg(long)]
        split: Split,
        /// Number of documents.
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Seed.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Output file (`corpus.jsonl` in a directory works with `faxbot redact score`).
        #[arg(long)]
        out: PathBuf,
    },
    /// Score the bundled redactor on a split: recall, leaks per type, precision, decoys.
    Score {
        /// `tuning` or `judging`.
        #[arg(long)]
        split: Split,
        /// Number of documents.
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Seed.
        #[arg(long, default_value_t = DEFAULT_SEED)]
        seed: u64,
        /// Also list the worst miss categories and up to N missed identifiers and false
        /// positives (tuning split only).
        #[arg(long)]
        misses: Option<usize>,
        /// Per-form table as well.
        #[arg(long)]
        forms: bool,
        /// Print the score as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faxbot-redact-judge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Write {
            split,
            count,
            seed,
            out,
        } => {
            let corpus = generate(split, seed, count);
            let file =
                File::create(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            let mut w = BufWriter::new(file);
            corpus.write_jsonl(&mut w)?;
            w.flush()?;
            let n: usize = corpus.docs.iter().map(|d| d.spans.len()).sum();
            eprintln!(
                "{count} {split} documents, {n} identifiers -> {}",
                out.display()
            );
        }
        Command::Score {
            split,
            count,
            seed,
            misses,
            forms,
            json,
        } => {
            if misses.is_some() && split != Split::Tuning {
                return Err(Box::new(faxbot_redact_judge::score::SealedSplit(
                    split.to_string(),
                )));
            }
            let corpus = generate(split, seed, count);
            let redactor = Redactor::new(PseudonymKey::new([0x5a; 32]));
            let detector = redactor.detector();
            let s = score(&corpus.docs, |text| {
                let t = Instant::now();
                let spans = detector.find(text);
                (spans, t.elapsed())
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                println!("{split} split, seed {seed}, {count} documents\n");
                print!("{}", s.table());
                if forms {
                    println!("\n| type form | n | recall | leaks |\n|---|---:|---:|---:|");
                    for (k, t) in &s.by_form {
                        println!("| {k} | {} | {:.3} | {} |", t.n, t.recall(), t.leaks);
                    }
                }
            }
            if let Some(n) = misses {
                let m = Misses::collect(&corpus.docs, n, |text| detector.find(text))?;
                println!("\n{}", m.report);
            }
        }
    }
    Ok(())
}
