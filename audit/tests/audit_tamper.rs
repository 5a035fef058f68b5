//! One test per attack on a written trail: each edits the real file on disk the way an
//! attacker with write access (but without the key) could, then checks that `verify_trail`
//! names the first bad record and why, that the trail refuses to open for writing, and (once)
//! that `faxbot audit verify` reports it with a failing exit code.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{
    self as audit, Action, Actor, AuditError, AuditEvent, AuditTrail, BreakReason, ChainBreak,
    Outcome, ReadError, Target, WithholdStrings,
};

struct Fixture {
    _tmp: tempfile::TempDir,
    state: PathBuf,
    dir: PathBuf,
    keys: KeyMaterial,
}

impl Fixture {
    /// A trail with the creation record plus `n` records (seq 2..=n+1), closed.
    fn with_records(n: u64) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = tmp.path().join("state");
        let keys = KeyMaterial::load_or_create(&state).expect("keys");
        let dir = state.join(audit::AUDIT_DIR_NAME);
        let fixture = Fixture {
            _tmp: tmp,
            state,
            dir,
            keys,
        };
        fixture.append(n);
        fixture
    }

    fn append(&self, n: u64) {
        let (trail, _) =
            AuditTrail::open(&self.dir, &self.keys, Arc::new(WithholdStrings)).expect("open trail");
        for i in 0..n {
            let event = AuditEvent::new(
                Actor::api_key("k_77").expect("actor"),
                Action::new("plugin.install.approved").expect("action"),
                Outcome::Success,
            )
            .with_target(Target::plugin(format!("com.example.p{i}")).expect("target"))
            .with_details(serde_json::json!({"pages": i}));
            trail.record_blocking(event).expect("record");
        }
    }

    fn trail_path(&self) -> PathBuf {
        self.dir.join(audit::TRAIL_FILE_NAME)
    }

    /// The file's lines, newline kept; index 0 is the header, index k is record seq k.
    fn lines(&self) -> Vec<Vec<u8>> {
        split_lines(&fs::read(self.trail_path()).expect("read trail"))
    }

    fn write_lines(&self, lines: &[Vec<u8>]) {
        fs::write(self.trail_path(), lines.concat()).expect("write trail");
    }

    fn verify(&self) -> Result<audit::VerifiedTrail, ReadError> {
        audit::verify_trail(&self.dir, &self.keys.audit_chain_key())
    }

    /// Verify must fail with a chain break, and opening for writing must be refused with it.
    fn expect_break(&self) -> ChainBreak {
        let broken = match self.verify() {
            Err(ReadError::Break(b)) => b,
            other => panic!("verify should find a break, got {other:?}"),
        };
        match AuditTrail::open(&self.dir, &self.keys, Arc::new(WithholdStrings)) {
            Err(AuditError::Broken(b)) => assert_eq!(b, broken, "open and verify disagree"),
            Err(other) => panic!("open should refuse a broken trail, got {other}"),
            Ok(_) => panic!("open accepted a tampered trail"),
        }
        broken
    }
}

fn split_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn replace(line: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(line.to_vec()).expect("utf-8");
    assert!(text.contains(from), "{from:?} not in {text:?}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn an_untouched_trail_verifies() {
    let f = Fixture::with_records(5);
    let ok = f.verify().expect("verifies");
    assert_eq!(ok.records, 6);
    assert_eq!(ok.head_seq, Some(6));
}

#[test]
fn editing_a_field_is_found_by_verify() {
    let f = Fixture::with_records(5);
    let mut lines = f.lines();
    lines[3] = replace(
        &lines[3],
        "\"outcome\":\"success\"",
        "\"outcome\":\"denied\"",
    );
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 3);
    assert_eq!(broken.reason, BreakReason::MacMismatch);
}

#[test]
fn editing_details_is_found_by_verify() {
    let f = Fixture::with_records(5);
    let mut lines = f.lines();
    lines[4] = replace(&lines[4], "\"pages\":2", "\"pages\":9");
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!((broken.seq, broken.reason), (4, BreakReason::MacMismatch));
}

#[test]
fn deleting_a_record_is_found_by_verify() {
    let f = Fixture::with_records(5);
    let mut lines = f.lines();
    lines.remove(3);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 3);
    assert_eq!(broken.reason, BreakReason::SequenceMismatch { found: 4 });
}

#[test]
fn reordering_two_records_is_found_by_verify() {
    let f = Fixture::with_records(5);
    let mut lines = f.lines();
    lines.swap(2, 3);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 2);
    assert_eq!(broken.reason, BreakReason::SequenceMismatch { found: 3 });
}

#[test]
fn truncating_whole_records_off_the_tail_is_found_by_verify() {
    let f = Fixture::with_records(5);
    let lines = f.lines();
    f.write_lines(&lines[..4]);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 4, "the first missing record is named");
    assert_eq!(broken.reason, BreakReason::MissingTail { head_seq: 6 });
}

#[test]
fn truncating_everything_but_the_header_is_found_by_verify() {
    let f = Fixture::with_records(2);
    let lines = f.lines();
    f.write_lines(&lines[..1]);
    let broken = f.expect_break();
    assert_eq!(broken.reason, BreakReason::MissingTail { head_seq: 3 });
    // And an emptied file is not silently re-created.
    fs::write(f.trail_path(), b"").expect("empty");
    assert!(matches!(
        AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)),
        Err(AuditError::Broken(ChainBreak {
            reason: BreakReason::MissingTail { head_seq: 3 },
            ..
        }))
    ));
}

#[test]
fn truncating_inside_the_last_record_reads_as_a_torn_tail() {
    let f = Fixture::with_records(3);
    let bytes = fs::read(f.trail_path()).expect("read");
    fs::write(f.trail_path(), &bytes[..bytes.len() - 10]).expect("cut");
    match f.verify() {
        Err(ReadError::Break(b)) => {
            assert_eq!(b.seq, 4);
            assert!(matches!(b.reason, BreakReason::TornTail { .. }), "{b}");
        }
        other => panic!("verify should report the torn record, got {other:?}"),
    }
    // Opening repairs it (a crash looks the same); the cut-off record is then missing
    // against the head, so the repair is refused rather than hiding a deletion.
    assert!(matches!(
        AuditTrail::open(&f.dir, &f.keys, Arc::new(WithholdStrings)),
        Err(AuditError::Broken(ChainBreak {
            reason: BreakReason::MissingTail { head_seq: 4 },
            ..
        }))
    ));
}

#[test]
fn appending_a_record_forged_without_the_key_is_found_by_verify() {
    let f = Fixture::with_records(3);
    let mut lines = f.lines();
    // The forger knows the format and the previous MAC (it is in the file), not the key.
    let last = lines.last().expect("a record").clone();
    let body = replace(&last[65..], "\"seq\":4", "\"seq\":5");
    let wrong_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[0u8; 32]);
    let mut ctx = ring::hmac::Context::with_key(&wrong_key);
    let mut prev = [0u8; 32];
    hex::decode_to_slice(&last[..64], &mut prev).expect("hex");
    ctx.update(&prev);
    ctx.update(&body[..body.len() - 1]);
    let mut forged = hex::encode(ctx.sign().as_ref()).into_bytes();
    forged.push(b' ');
    forged.extend_from_slice(&body);
    lines.push(forged);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!((broken.seq, broken.reason), (5, BreakReason::MacMismatch));
}

#[test]
fn replaying_a_record_is_found_by_verify() {
    let f = Fixture::with_records(3);
    let mut lines = f.lines();
    let replayed = lines[2].clone();
    lines.push(replayed);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 5);
    assert_eq!(broken.reason, BreakReason::SequenceMismatch { found: 2 });
}

#[test]
fn replaying_the_last_record_is_found_by_verify() {
    let f = Fixture::with_records(3);
    let mut lines = f.lines();
    let replayed = lines.last().expect("record").clone();
    lines.push(replayed);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.reason, BreakReason::SequenceMismatch { found: 4 });
}

#[test]
fn swapping_in_another_trail_file_is_found_by_verify() {
    // Two trails under the same key (same installation), e.g. a copy from another state dir.
    let f = Fixture::with_records(3);
    let other_dir = f.state.join("other-audit");
    let (other, _) =
        AuditTrail::open(&other_dir, &f.keys, Arc::new(WithholdStrings)).expect("other trail");
    for _ in 0..5 {
        other
            .record_blocking(AuditEvent::new(
                Actor::System,
                Action::new("core.started").expect("action"),
                Outcome::Success,
            ))
            .expect("record");
    }
    drop(other);
    fs::copy(other_dir.join(audit::TRAIL_FILE_NAME), f.trail_path()).expect("swap");
    let broken = f.expect_break();
    assert!(
        matches!(broken.reason, BreakReason::WrongTrail { .. }),
        "{broken}"
    );
}

#[test]
fn a_trail_from_another_installation_is_found_by_verify() {
    let f = Fixture::with_records(2);
    let stranger = Fixture::with_records(2);
    fs::copy(stranger.trail_path(), f.trail_path()).expect("swap");
    fs::copy(
        stranger.dir.join(audit::HEAD_FILE_NAME),
        f.dir.join(audit::HEAD_FILE_NAME),
    )
    .expect("swap head");
    let broken = f.expect_break();
    assert_eq!(broken.reason, BreakReason::HeaderForged);
}

#[test]
fn editing_the_head_checkpoint_is_found_by_verify() {
    let f = Fixture::with_records(4);
    let head_path = f.dir.join(audit::HEAD_FILE_NAME);
    let head = fs::read_to_string(&head_path).expect("head");
    fs::write(
        &head_path,
        head.replacen("00000000000000000005", "00000000000000000003", 1),
    )
    .expect("edit head");
    assert_eq!(f.expect_break().reason, BreakReason::HeadForged);
}

#[test]
fn deleting_the_head_checkpoint_is_found_by_verify() {
    let f = Fixture::with_records(4);
    fs::remove_file(f.dir.join(audit::HEAD_FILE_NAME)).expect("rm head");
    assert_eq!(f.expect_break().reason, BreakReason::HeadMissing);
}

#[test]
fn a_head_lagging_behind_after_a_power_loss_is_accepted_and_caught_up() {
    let f = Fixture::with_records(2);
    let head_path = f.dir.join(audit::HEAD_FILE_NAME);
    let old_head = fs::read(&head_path).expect("head");
    f.append(3);
    // The head is not fsynced: a power loss may bring back an older one.
    fs::write(&head_path, old_head).expect("restore old head");
    let ok = f.verify().expect("a lagging head is not a break");
    assert_eq!((ok.records, ok.head_seq), (6, Some(3)));
    f.append(1);
    assert_eq!(f.verify().expect("verifies").head_seq, Some(7));
}

#[test]
fn a_giant_line_planted_in_the_trail_is_refused_without_buffering_it() {
    let f = Fixture::with_records(2);
    let mut lines = f.lines();
    let mut giant = vec![b'a'; 64];
    giant.push(b' ');
    giant.extend(std::iter::repeat_n(b'x', 5 << 20));
    giant.push(b'\n');
    lines.insert(2, giant);
    f.write_lines(&lines);
    let broken = f.expect_break();
    assert_eq!(broken.seq, 2);
    assert!(
        matches!(&broken.reason, BreakReason::Malformed(why) if why.contains("limit")),
        "{broken}"
    );
}
