//! Text written to make the detector slow: one short shape repeated to a megabyte, on one
//! line or many. Every pass must stay linear in the text's length; a look-up that reads the
//! whole line (or every span found so far) for each candidate turns such a text into
//! minutes of CPU in the core. Four such walks were found this way (the OCR repair's
//! windows, name layouts, patient header lines, dates alone on a line) and one hash index
//! that chained every repeat of a name: each took 1.4–11 s on 200 KB and grew with the
//! square of the length.
//!
//! Measured in the test thread's own CPU time, so a loaded machine does not fail it; a
//! linear pass takes well under a second per megabyte here, a quadratic one minutes.

use faxbot_redact::Detector;
use nix::time::{ClockId, clock_gettime};

/// One megabyte of each shape.
const LEN: usize = 1 << 20;

/// CPU seconds one megabyte may take: ~10x what the slowest shape takes in an unoptimised
/// test build of the dependencies on a loaded 2-core machine.
const LIMIT_SECONDS: f64 = 6.0;

const SHAPES: &[&str] = &[
    // Digits and the separators of numbers, dates and phone numbers.
    "1",
    "1 ",
    "1\n",
    "1\r\n",
    "12-\n",
    "1.",
    "1-",
    "1/",
    "01/02/",
    "1:",
    "#1 ",
    "12\t",
    "+44 ",
    "011 ",
    "x1",
    "555-123-4567 ",
    "555-123-4567x",
    "12\nab ",
    // Letters an OCR engine reads for digits, among digits.
    "O0l1 ",
    "l",
    "O",
    "B8",
    "A1",
    "AB12CD34 ",
    "AB-1234-C ",
    "MRNAB12\n",
    // Cue words, with and without values, on one line and broken.
    "SSN ",
    "SSN: 1\n",
    "SSN\n123\n",
    "MRN: 123 ",
    "DOB ",
    "DOB 1 ",
    "aged 95 years ",
    "aged 9",
    // Names and places in every layout the name pass reads.
    "Maria Garcia ",
    "JOHN SMITH ",
    "john smith ",
    "Smith, John A. ",
    "Smith, John A.\n",
    "Dr. ",
    "Dear Dr. Xu, ",
    "'Bob' ",
    "Anne-Marie ",
    "DEKK-\n",
    "ab-\n",
    "Thanks,\nKeagan\n",
    "SMITH, JOHN   01/02/1950   A1B2C3D ",
    "100 Main St Apt 1 ",
    "Boston, MA 02110 ",
    "FL  68048\n",
    "ABC DEF ",
    // Addresses, links and structured records.
    "a@",
    "a.b@",
    "http://a",
    "PID|",
    "PID|1||123^^^MRN||DOE^JOHN|",
    "{\"a\":",
    "é1",
    "(",
];

fn cpu_seconds() -> f64 {
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).expect("thread CPU clock");
    t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9
}

#[test]
fn a_megabyte_of_any_repeated_shape_is_redacted_in_linear_time() {
    let detector = Detector::new();
    // The automata are built on first use; that is not the text's cost.
    detector.find("Patient John Smith, DOB 01/02/1950, MRN 1234567, phone 555-123-4567");
    let mut slow = Vec::new();
    for shape in SHAPES {
        let text = shape.repeat(LEN / shape.len());
        let start = cpu_seconds();
        let spans = detector.find(&text);
        let took = cpu_seconds() - start;
        assert!(spans.iter().all(|s| s.start < s.end && s.end <= text.len()));
        if took > LIMIT_SECONDS {
            slow.push(format!("{shape:?}: {took:.1} s"));
        }
    }
    assert!(
        slow.is_empty(),
        "a megabyte of these shapes took more than {LIMIT_SECONDS} CPU seconds: {slow:?}"
    );
}
