//! The binary keeps the judging split sealed: scores as a whole, never case by case.

use std::process::Command;

fn judge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faxbot-redact-judge"))
}

#[test]
fn misses_of_the_judging_split_are_refused_before_anything_is_printed() {
    let out = judge()
        .args([
            "score", "--split", "judging", "--count", "5", "--misses", "3",
        ])
        .output()
        .expect("run the judge");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "printed {} bytes", out.stdout.len());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the tuning split"));
}

#[test]
fn a_written_judging_file_cannot_be_listed_by_claiming_it_is_tuning() {
    let dir = std::env::temp_dir().join(format!("judge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("corpus.jsonl");
    let file_arg = file.to_str().expect("utf-8 path");
    let w = judge()
        .args([
            "write", "--split", "judging", "--count", "5", "--out", file_arg,
        ])
        .output()
        .expect("write");
    assert!(w.status.success());
    let out = judge()
        .args([
            "score", "--split", "tuning", "--corpus", file_arg, "--misses", "3",
        ])
        .output()
        .expect("score");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let scored = judge()
        .args(["score", "--split", "judging", "--corpus", file_arg])
        .output()
        .expect("score as a whole");
    assert!(scored.status.success());
    assert!(String::from_utf8_lossy(&scored.stdout).contains("| **all** |"));
    let _ = std::fs::remove_dir_all(&dir);
}
