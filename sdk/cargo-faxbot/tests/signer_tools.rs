//! The documented path from a publisher's own tool to a package `cargo faxbot verify`
//! accepts, run with the real tool: GnuPG's binary (`gpg --detach-sign`, base64 in the
//! signature file) and armoured (`gpg --armor --detach-sign`) signatures over the payload
//! file `docs/trust.md` describes. Skipped, saying so, where `gpg` is not installed.

use std::path::Path;
use std::process::{Command, Output};

const TOOL: &str = env!("CARGO_BIN_EXE_cargo-faxbot");
const MANIFEST: &str = r#"id = "hello-plugin"
name = "Hello"
version = "1.0.0"
publisher = "acme"
min_core_version = "0.1.0"
entry = "bin/plugin"
hipaa_compliant = true

[capabilities]
subscribe = ["fax.job.*"]
"#;

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stops the gpg-agent a test's GNUPGHOME started, however the test ends.
struct Agent<'a>(&'a Path);

impl Drop for Agent<'_> {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.0)
            .args(["--kill", "all"])
            .output();
    }
}

fn gpg(home: &Path, args: &[&str]) -> Output {
    Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--no-tty", "--quiet"])
        .args(args)
        .output()
        .expect("gpg runs")
}

#[test]
fn real_gpg_binary_and_armoured_signatures_verify_through_the_documented_path() {
    if Command::new("gpg").arg("--version").output().is_err() {
        eprintln!("gpg is not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let home = d.join("gnupg");
    std::fs::create_dir(&home).expect("mkdir");
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    let _agent = Agent(&home);
    ok(
        gpg(
            &home,
            &[
                "--passphrase",
                "",
                "--quick-gen-key",
                "Acme Releases <release@acme.test>",
                "ed25519",
                "sign",
                "never",
            ],
        ),
        "gpg key",
    );

    std::fs::create_dir(d.join("proj")).expect("mkdir");
    std::fs::write(d.join("proj/faxbot-plugin.toml"), MANIFEST).expect("manifest");
    std::fs::write(
        d.join("plugin"),
        b"\x7fELF\x02\x01\x01\0 a stand-in for a native plugin binary (never run here)",
    )
    .expect("binary");
    let packed = ok(
        Command::new(TOOL)
            .current_dir(d)
            .args(["faxbot", "pack", "--project", "proj", "--binary", "plugin"])
            .args(["--out", "hello.fxp", "--json"])
            .output()
            .expect("pack"),
        "pack",
    );
    let packed: serde_json::Value = serde_json::from_str(&packed).expect("json");
    let digest = packed["digest"].as_str().expect("digest").to_string();
    std::fs::write(
        d.join("payload"),
        format!("faxbot-package-signature-v1\n{digest}\n"),
    )
    .expect("payload");

    let public = ok(
        gpg(&home, &["--armor", "--export", "release@acme.test"]),
        "export",
    );
    std::fs::write(
        d.join("trust.toml"),
        format!(
            "[[key]]\npublisher = \"acme\"\ntier = \"curated\"\nopenpgp = \"\"\"{public}\"\"\"\n"
        ),
    )
    .expect("trust store");
    // As `gpg --fingerprint` prints it: groups of four, spaces.
    let listing = ok(
        gpg(&home, &["--fingerprint", "release@acme.test"]),
        "fingerprint",
    );
    let fingerprint = listing
        .lines()
        .nth(1)
        .expect("fingerprint line")
        .trim()
        .to_string();

    let verify = || {
        Command::new(TOOL)
            .current_dir(d)
            .args([
                "faxbot",
                "verify",
                "hello.fxp",
                "--trust-store",
                "trust.toml",
            ])
            .output()
            .expect("verify")
    };
    let signature_file = |signature: &str| {
        format!(
            "format = \"faxbot-signature-v1\"\nscheme = \"openpgp\"\ndigest = \"{digest}\"\nkey = \"{fingerprint}\"\nsignature = {signature}\n"
        )
    };

    // Binary: `gpg --detach-sign -o payload.sig payload`, then `base64 -w0 payload.sig`.
    let payload = d.join("payload");
    let binary = d.join("payload.sig");
    ok(
        gpg(
            &home,
            &[
                "--detach-sign",
                "-o",
                binary.to_str().expect("utf-8"),
                payload.to_str().expect("utf-8"),
            ],
        ),
        "detach-sign",
    );
    use base64::Engine;
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&binary).expect("sig"));
    std::fs::write(
        d.join("hello.fxp.sig"),
        signature_file(&format!("\"{b64}\"")),
    )
    .expect("sig file");
    ok(verify(), "verify a binary gpg signature");

    // Armoured: `gpg --armor --detach-sign -o payload.asc payload`, the text as is.
    let armoured = d.join("payload.asc");
    ok(
        gpg(
            &home,
            &[
                "--armor",
                "--detach-sign",
                "-o",
                armoured.to_str().expect("utf-8"),
                payload.to_str().expect("utf-8"),
            ],
        ),
        "armor detach-sign",
    );
    let text = std::fs::read_to_string(&armoured).expect("asc");
    std::fs::write(
        d.join("hello.fxp.sig"),
        signature_file(&format!("\"\"\"{text}\"\"\"")),
    )
    .expect("sig file");
    ok(verify(), "verify an armoured gpg signature");

    // A signature over another payload is refused.
    std::fs::write(&payload, "faxbot-package-signature-v1\nsha256:0000\n").expect("payload");
    std::fs::remove_file(&binary).expect("rm");
    ok(
        gpg(
            &home,
            &[
                "--detach-sign",
                "-o",
                binary.to_str().expect("utf-8"),
                payload.to_str().expect("utf-8"),
            ],
        ),
        "detach-sign",
    );
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(&binary).expect("sig"));
    std::fs::write(
        d.join("hello.fxp.sig"),
        signature_file(&format!("\"{b64}\"")),
    )
    .expect("sig file");
    let refused = verify();
    assert_eq!(refused.status.code(), Some(1));
}
