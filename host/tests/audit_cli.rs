//! `faxbot audit query` and `faxbot audit export` as an operator runs them, on a trail written
//! by the real `faxbot` binary.

use std::path::Path;
use std::process::{Command, Output};

fn faxbot(state: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["audit", "--state-dir"])
        .arg(state)
        .args(args)
        .output()
        .expect("run faxbot");
    assert!(
        output.status.success(),
        "faxbot audit {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn written_trail() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    faxbot(
        tmp.path(),
        &["exercise", "--writers", "3", "--records", "4"],
    );
    tmp
}

#[test]
fn query_prints_only_the_records_that_match_the_filters() {
    let tmp = written_trail();
    let out = faxbot(tmp.path(), &["query", "--plugin", "exercise.writer1"]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines.iter().all(|l| l.contains("plugin:exercise.writer1")),
        "{text}"
    );

    let out = faxbot(
        tmp.path(),
        &["query", "--action", "audit.*", "--outcome", "success"],
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("audit.trail_created"), "{text}");

    let out = faxbot(tmp.path(), &["query", "--until", "2000-01-01"]);
    assert!(out.stdout.is_empty());
}

#[test]
fn export_writes_json_lines_to_a_file() {
    let tmp = written_trail();
    let file = tmp.path().join("export.jsonl");
    let file_arg = file.to_str().expect("utf-8 path");
    faxbot(
        tmp.path(),
        &[
            "export",
            "--actor",
            "plugin:exercise.writer2",
            "-o",
            file_arg,
        ],
    );
    let text = std::fs::read_to_string(&file).expect("export file");
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(records.len(), 4);
    for r in &records {
        assert_eq!(r["actor"], "plugin:exercise.writer2");
        assert_eq!(r["tenant"], "exercise");
        assert!(r["seq"].as_u64().is_some_and(|s| s >= 2));
    }
}

#[test]
fn a_bad_filter_is_refused_with_the_rule_it_breaks() {
    let tmp = written_trail();
    let out = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["audit", "--state-dir"])
        .arg(tmp.path())
        .args(["query", "--since", "yesterday"])
        .output()
        .expect("run faxbot");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
}

#[test]
fn faxbot_audit_verify_names_the_first_bad_record_and_exits_nonzero() {
    let tmp = written_trail();
    let ok = faxbot(tmp.path(), &["verify"]);
    assert!(String::from_utf8_lossy(&ok.stdout).contains("OK: "));

    let trail = tmp.path().join("audit").join("trail.log");
    let text = std::fs::read_to_string(&trail).expect("trail");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let victim = lines
        .iter()
        .position(|l| l.contains("exercise.writer1"))
        .expect("a record of writer1");
    lines[victim] = lines[victim].replacen("exercise.writer1", "exercise.writerX", 1);
    std::fs::write(&trail, lines.join("\n") + "\n").expect("tamper");

    let bad = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["audit", "--state-dir"])
        .arg(tmp.path())
        .arg("verify")
        .output()
        .expect("run faxbot");
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains(&format!("BROKEN at record seq {victim}")),
        "{out}"
    );
    assert!(out.contains("MAC mismatch"), "{out}");
}
