//! `faxbot redact` as an operator runs it: stdin to stdout, `--json` spans, clear errors, and
//! the corpus generator and scorer end to end.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn faxbot(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn faxbot");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

const FAX: &str = "RE: John Smith, DOB 03/14/1961, MRN: 00451234\nFax: (555) 867-5309\nJob fj_01HZX3M4Q8J9K2, 3 pages, CPT 99213\n";

#[test]
fn redact_replaces_phi_on_stdout_and_keeps_the_rest() {
    let out = faxbot(&["redact"], FAX.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(
        text,
        "RE: [NAME], DOB [DATE], MRN: [MRN]\nFax: [FAX]\nJob fj_01HZX3M4Q8J9K2, 3 pages, CPT 99213\n"
    );
}

#[test]
fn redact_json_writes_byte_offset_spans() {
    let out = faxbot(&["redact", "--json"], FAX.as_bytes());
    assert!(out.status.success());
    let spans: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    let kinds: Vec<&str> = spans
        .iter()
        .map(|s| s["type"].as_str().expect("type"))
        .collect();
    assert_eq!(kinds, ["NAME", "DATE", "MRN", "FAX"]);
    let first = &spans[0];
    let (start, end) = (
        first["start"].as_u64().expect("start"),
        first["end"].as_u64().expect("end"),
    );
    assert_eq!(&FAX[start as usize..end as usize], "John Smith");
}

#[test]
fn invalid_utf8_and_oversized_input_fail_without_echoing_the_input() {
    let out = faxbot(&["redact"], b"SSN 123-45-6789 \xfe");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not valid UTF-8 at byte offset 16"), "{err}");
    assert!(!err.contains("6789"), "{err}");

    let out = faxbot(&["redact", "--max-bytes", "8"], b"SSN 123-45-6789");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limit of 8 bytes"));
    assert!(out.stdout.is_empty());
}

#[test]
fn corpus_and_score_run_end_to_end_and_meet_the_goals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus_dir = dir.path().join("corpus");
    let path = corpus_dir.to_str().expect("utf-8 path");
    let out = faxbot(
        &[
            "redact",
            "corpus",
            "--seed",
            "4242",
            "--out",
            path,
            "--documents",
            "120",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(corpus_dir.join("corpus.jsonl").is_file());
    let out = faxbot(&["redact", "score", "--corpus", path, "--json"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(score["documents"], 120);
    assert!(score["per_kind"]["SSN"]["labelled"].as_u64().expect("ssn") > 0);
}

#[test]
fn the_independent_held_out_corpus_is_written_and_scored_through_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus_dir = dir.path().join("held-out");
    let path = corpus_dir.to_str().expect("utf-8 path");
    let out = faxbot(
        &[
            "redact",
            "corpus",
            "--set",
            "held-out",
            "--seed",
            "90210",
            "--out",
            path,
            "--documents",
            "100",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(corpus_dir.join("corpus.jsonl")).expect("corpus");
    // The families of the independent generator, not the first one's.
    assert!(text.contains("\"kind\":\"hl7\""), "no HL7 document");
    assert!(text.contains("\"type\":\"AGE\""), "no age over 89");
    let out = faxbot(&["redact", "score", "--corpus", path, "--json"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(score["documents"], 100);
    assert_eq!(score["per_kind"]["MRN"]["leaked"], 0);
}
