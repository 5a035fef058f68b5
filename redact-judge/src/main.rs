//! `faxbot-redact-judge`: writes the tuning or judging corpus as JSON lines, or scores the
//! bundled redactor on it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use faxbot_redact::{PseudonymKey, Redactor};
use faxbot_redact_judge::{Document, Misses, Split, generate, score};

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
        /// Per-layout table as well.
        #[arg(long)]
        layouts: bool,
        /// Score this JSONL corpus (as `write` makes it) instead of generating one; its
        /// documents' own `split` decides whether `--misses` may list them.
        #[arg(long)]
        corpus: Option<PathBuf>,
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

/// Reads a JSONL corpus; a line that is not a labelled document is an error naming the line.
fn read_corpus(path: &Path) -> Result<Vec<Document>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read corpus {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str::<Document>(l).map_err(|e| {
                format!(
                    "corpus {} line {}: not a labelled document: {e}",
                    path.display(),
                    i + 1
                )
                .into()
            })
        })
        .collect()
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
            layouts,
            corpus: file,
            json,
        } => {
            if misses.is_some() && split != Split::Tuning {
                return Err(Box::new(faxbot_redact_judge::score::SealedSplit(
                    split.to_string(),
                )));
            }
            let docs = match &file {
                Some(path) => read_corpus(path)?,
                None => generate(split, seed, count).docs,
            };
            if misses.is_some()
                && let Some(d) = docs.iter().find(|d| d.split != Split::Tuning.name())
            {
                return Err(Box::new(faxbot_redact_judge::score::SealedSplit(
                    d.split.chars().take(16).collect(),
                )));
            }
            let redactor = Redactor::new(PseudonymKey::new([0x5a; 32]));
            let detector = redactor.detector();
            let s = score(&docs, |text| {
                let t = Instant::now();
                let spans = detector.find(text);
                (spans, t.elapsed())
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                match &file {
                    Some(path) => println!("{} ({} documents)\n", path.display(), docs.len()),
                    None => println!("{split} split, seed {seed}, {count} documents\n"),
                }
                print!("{}", s.table());
                if layouts {
                    println!("\n| layout | n | recall | leaks |\n|---|---:|---:|---:|");
                    for (k, t) in &s.by_layout {
                        println!("| {k} | {} | {:.3} | {} |", t.n, t.recall(), t.leaks);
                    }
                }
                if forms {
                    println!("\n| type form | n | recall | leaks |\n|---|---:|---:|---:|");
                    for (k, t) in &s.by_form {
                        println!("| {k} | {} | {:.3} | {} |", t.n, t.recall(), t.leaks);
                    }
                }
            }
            if let Some(n) = misses {
                let m = Misses::collect(&docs, n, |text| detector.find(text))?;
                println!("\n{}", m.report);
            }
        }
    }
    Ok(())
}
