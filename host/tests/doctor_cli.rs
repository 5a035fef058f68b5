//! `faxbot doctor` against the real kernel: its report must agree with the jail's own check.

use std::process::Command;

#[test]
fn doctor_reports_every_layer_and_agrees_with_the_jail_check() {
    let output = Command::new(env!("CARGO_BIN_EXE_faxbot"))
        .args(["doctor", "--json"])
        .output()
        .expect("faxbot runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let layers = report["layers"].as_array().expect("layers");
    let names: Vec<&str> = layers.iter().filter_map(|l| l["layer"].as_str()).collect();
    assert_eq!(
        names,
        [
            "cgroup",
            "namespaces",
            "rootfs",
            "rlimits",
            "identity",
            "landlock",
            "seccomp"
        ]
    );
    let complete = layers.iter().all(|l| l["available"] == true);
    assert_eq!(output.status.code(), Some(if complete { 0 } else { 1 }));
    assert_eq!(complete, faxbot_jail::check().complete());
}
