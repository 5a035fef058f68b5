//! Crashes and faults in a real writer process (the hidden `faxbot audit exercise`):
//! a SIGKILL in the middle of an append leaves a torn tail that the next open cuts off and
//! records; a write the kernel refuses (file size limit, EFBIG) makes the trail refuse every
//! later record, and the actions those records guard are never performed.

use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{self as audit, AuditTrail, Filter, WithholdStrings};

fn faxbot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faxbot"))
}

/// True when the file's last byte is not a line end: a record is being written right now.
fn mid_record(path: &Path) -> bool {
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return false;
    };
    if len == 0 || file.seek(SeekFrom::Start(len - 1)).is_err() {
        return false;
    }
    let mut last = [0u8; 1];
    file.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

/// Runs the writer, SIGKILLs it while it is inside a write, and returns the acknowledged
/// sequence numbers and whether the kill landed mid-record.
fn kill_writer_mid_append(state: &Path) -> (Vec<u64>, bool) {
    let mut child = faxbot()
        .args(["audit", "--state-dir"])
        .arg(state)
        .args(["exercise", "--writers", "8", "--records", "0"])
        .args(["--detail-bytes", "1000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn faxbot audit exercise");
    let stdout = child.stdout.take().expect("stdout");
    let acked_so_far = Arc::new(AtomicUsize::new(0));
    let counter = acked_so_far.clone();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("committed ").and_then(|s| s.parse().ok()))
            .inspect(|_| {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .collect::<Vec<u64>>()
    });
    let trail = state
        .join(audit::AUDIT_DIR_NAME)
        .join(audit::TRAIL_FILE_NAME);
    let started = Instant::now();
    let mut torn = false;
    // Let a few batches commit, then kill the moment a write is visibly in progress.
    while started.elapsed() < Duration::from_secs(30) {
        if acked_so_far.load(Ordering::SeqCst) >= 8 && mid_record(&trail) {
            torn = true;
            break;
        }
    }
    child.kill().expect("SIGKILL the writer");
    let status = child.wait().expect("reap");
    assert!(!status.success(), "the writer must have died by the signal");
    let acked = reader.join().expect("reader thread");
    (acked, torn)
}

#[test]
fn a_writer_killed_mid_append_leaves_a_torn_tail_that_open_repairs_and_records() {
    // Statistical: under load a kill can keep landing between writes, so try several times.
    for attempt in 1..=12 {
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = tmp.path();
        let (acked, caught_mid_write) = kill_writer_mid_append(state);
        assert!(
            !acked.is_empty(),
            "the writer committed nothing before the kill"
        );
        let keys = KeyMaterial::load(&state.join("core.key")).expect("keys");
        let dir = state.join(audit::AUDIT_DIR_NAME);
        let key = keys.audit_chain_key();

        let torn_before = matches!(
            audit::verify_trail(&dir, &key),
            Err(audit::ReadError::Break(audit::ChainBreak {
                reason: audit::BreakReason::TornTail { .. },
                ..
            }))
        );
        let (trail, report) =
            AuditTrail::open(&dir, &keys, Arc::new(WithholdStrings)).expect("reopen after crash");
        drop(trail);
        let verified = audit::verify_trail(&dir, &key).expect("the repaired trail verifies");

        // No acknowledged record was lost: all are at or below the last good record.
        let max_acked = acked.iter().copied().max().unwrap_or(0);
        let last_good = report
            .repaired
            .as_ref()
            .map_or(report.records, |r| r.last_good_seq);
        assert!(
            max_acked <= last_good,
            "record {max_acked} was acknowledged but is gone after repair (last good {last_good})"
        );

        if !torn_before {
            assert!(report.repaired.is_none());
            eprintln!(
                "attempt {attempt}: the kill landed between writes (caught mid-write: {caught_mid_write}); retrying"
            );
            continue;
        }
        let repair = report.repaired.expect("a torn tail is repaired on open");
        assert!(repair.removed_bytes > 0);
        assert_eq!(repair.reported_as_seq, repair.last_good_seq + 1);
        assert_eq!(verified.records, repair.reported_as_seq);
        let trail_len = fs::metadata(dir.join(audit::TRAIL_FILE_NAME))
            .expect("stat")
            .len();
        assert!(trail_len > repair.truncated_to);

        // The repair is itself an audit record, with what was cut.
        let mut repairs = Vec::new();
        audit::query(
            &dir,
            &key,
            &Filter {
                action: Some("audit.tail_repaired".into()),
                ..Filter::default()
            },
            |r| {
                repairs.push(r.clone());
                Ok(())
            },
        )
        .expect("query");
        assert_eq!(repairs.len(), 1);
        assert_eq!(repairs[0].seq, repair.reported_as_seq);
        assert_eq!(repairs[0].details["last_good_seq"], repair.last_good_seq);
        assert_eq!(repairs[0].details["removed_bytes"], repair.removed_bytes);
        return;
    }
    panic!("twelve SIGKILLs never landed inside a write; no torn tail to repair");
}

#[test]
fn when_the_trail_cannot_commit_the_guarded_actions_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let state = tmp.path().join("state");
    let actions = tmp.path().join("actions.log");
    // A real kernel fault: writes past RLIMIT_FSIZE fail with EFBIG (SIGXFSZ ignored so the
    // process sees the error). `ulimit -f` counts 512-byte blocks in dash, 1 KiB in bash.
    let script = r#"trap '' XFSZ; ulimit -f 256; exec "$@""#;
    let out = Command::new("sh")
        .args([
            "-c",
            script,
            "sh",
            env!("CARGO_BIN_EXE_faxbot"),
            "audit",
            "--state-dir",
        ])
        .arg(&state)
        .args([
            "exercise",
            "--writers",
            "4",
            "--records",
            "2000",
            "--detail-bytes",
            "600",
        ])
        .arg("--actions-file")
        .arg(&actions)
        .output()
        .expect("run faxbot audit exercise");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "exercise must report refusals: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("committed ").and_then(|s| s.parse().ok()))
        .collect();
    let refusals: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("refused: "))
        .collect();
    assert!(!committed.is_empty(), "nothing committed before the limit");
    assert_eq!(
        refusals.len(),
        4,
        "every writer is refused once and stops: {stdout}"
    );
    assert!(
        refusals.iter().all(|r| r.contains("cannot commit")),
        "{refusals:?}"
    );

    // Exactly the committed records' actions were performed, nothing else.
    let performed: Vec<u64> = fs::read_to_string(&actions)
        .expect("actions file")
        .lines()
        .filter_map(|l| l.strip_prefix("performed ").and_then(|s| s.parse().ok()))
        .collect();
    let mut performed_sorted = performed.clone();
    performed_sorted.sort_unstable();
    let mut committed_sorted = committed.clone();
    committed_sorted.sort_unstable();
    assert_eq!(performed_sorted, committed_sorted);

    // The failed batch was cut back: the trail holds exactly the acknowledged records and
    // verifies once the limit is gone.
    let keys = KeyMaterial::load(&state.join("core.key")).expect("keys");
    let dir = state.join(audit::AUDIT_DIR_NAME);
    let verified = audit::verify_trail(&dir, &keys.audit_chain_key()).expect("verifies");
    assert_eq!(Some(verified.records), committed_sorted.last().copied());
}
