//! The package format: a deterministic writer, the canonical digest, and a corpus of
//! hostile packages built here, each refused with a precise error.

mod common;

use common::{MANIFEST, Raw, gzip, noise, package_with, tar};
use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::path::PathProblem;
use faxbot_policy::package::{
    Package, PackageBuilder, PackageDigest, PackageError, PackageLimits, read_package,
    read_package_to_dir,
};
use std::cell::Cell;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::rc::Rc;

fn read(bytes: &[u8]) -> Result<Package, PackageError> {
    read_package(
        bytes,
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
}

fn read_limited(bytes: &[u8], limits: PackageLimits) -> Result<(), PackageError> {
    read_package(bytes, &limits, &ResourceCeilings::default()).map(drop)
}

fn built() -> PackageBuilder {
    let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    b.add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    b.add_file("share/readme.txt", b"hello".to_vec(), false)
        .expect("ok");
    b
}

#[test]
fn a_built_package_reads_back_with_the_same_digest() {
    let b = built();
    let bytes = b.build(&ResourceCeilings::default()).expect("builds");
    let p = read(&bytes).expect("reads");
    assert_eq!(p.digest(), b.digest());
    assert_eq!(p.manifest().id, "hello-plugin");
    assert_eq!(p.files().len(), 2);
    assert_eq!(p.entry().expect("entry").mode, 0o755);
    assert_eq!(p.files()["share/readme.txt"].mode, 0o644);
    assert_eq!(p.manifest_bytes(), MANIFEST.as_bytes());
}

#[test]
fn building_is_deterministic() {
    let a = built().build(&ResourceCeilings::default()).expect("builds");
    let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    b.add_file("share/readme.txt", b"hello".to_vec(), false)
        .expect("ok");
    b.add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    assert_eq!(a, b.build(&ResourceCeilings::default()).expect("builds"));
}

#[test]
fn long_paths_survive_the_round_trip() {
    let mut b = built();
    let long = format!("{}/{}", "d".repeat(120), "f".repeat(100));
    b.add_file(&long, b"x".to_vec(), false).expect("ok");
    let p = read(&b.build(&ResourceCeilings::default()).expect("builds")).expect("reads");
    assert!(p.files().contains_key(&long));
}

#[test]
fn the_digest_covers_manifest_path_mode_and_contents() {
    let base = built().digest();
    let mut other = PackageBuilder::new(MANIFEST.replace("Hello", "Hullo").into_bytes());
    other
        .add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    other
        .add_file("share/readme.txt", b"hello".to_vec(), false)
        .expect("ok");
    assert_ne!(other.digest(), base, "manifest");
    let mut other = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    other
        .add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    other
        .add_file("share/readme.txt", b"hello".to_vec(), true)
        .expect("ok");
    assert_ne!(other.digest(), base, "mode");
    let mut other = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    other
        .add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    other
        .add_file("share/readme.txd", b"hello".to_vec(), false)
        .expect("ok");
    assert_ne!(other.digest(), base, "path");
    let mut other = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    other
        .add_file("bin/plugin", b"\x7fELF pretend".to_vec(), true)
        .expect("ok");
    other
        .add_file("share/readme.txt", b"hellO".to_vec(), false)
        .expect("ok");
    assert_ne!(other.digest(), base, "contents");
}

#[test]
fn the_digest_string_round_trips_and_refuses_junk() {
    let d = built().digest();
    assert_eq!(PackageDigest::parse(&d.to_string()), Ok(d));
    assert!(PackageDigest::parse("sha256:abc").is_err());
    assert!(PackageDigest::parse(&d.to_string().to_uppercase()).is_err());
    assert!(PackageDigest::parse(&d.to_string().replace("sha256", "sha512")).is_err());
    let payload = String::from_utf8(d.signing_payload()).expect("ascii");
    assert_eq!(payload, format!("faxbot-package-signature-v1\n{d}\n"));
}

#[test]
fn a_raw_tar_of_the_same_content_has_the_builders_digest() {
    let raw = package_with(vec![Raw::file("files/share/readme.txt", b"hello")]);
    let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    b.add_file("bin/plugin", b"#!/bin/true\n".to_vec(), true)
        .expect("ok");
    b.add_file("share/readme.txt", b"hello".to_vec(), false)
        .expect("ok");
    assert_eq!(read(&raw).expect("reads").digest(), b.digest());
}

#[test]
fn directory_entries_are_tolerated() {
    let mut d = Raw::kind("files/share/", b'5');
    d.mode = 0o755;
    let p = read(&package_with(vec![d, Raw::file("files/share/a", b"a")])).expect("reads");
    assert_eq!(p.files().len(), 2);
}

// ---- the hostile corpus ----

fn refused(extra: Vec<Raw>) -> PackageError {
    read(&package_with(extra)).expect_err("hostile package must be refused")
}

#[test]
fn parent_directory_traversal_is_refused() {
    let e = refused(vec![Raw::file("files/../../etc/cron.d/x", b"x")]);
    assert!(
        matches!(
            e,
            PackageError::BadPath {
                problem: PathProblem::Parent,
                ..
            }
        ),
        "{e}"
    );
    let e = refused(vec![Raw::file("../x", b"x")]);
    assert!(
        matches!(
            e,
            PackageError::BadPath {
                problem: PathProblem::Parent,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn absolute_paths_are_refused() {
    let e = refused(vec![Raw::file("/etc/passwd", b"root::0:0::/:/bin/sh")]);
    assert_eq!(
        e,
        PackageError::BadPath {
            path: "/etc/passwd".into(),
            problem: PathProblem::Absolute
        }
    );
}

#[test]
fn symlinks_are_refused() {
    let e = refused(vec![Raw::link("files/lib", b'2', "/etc")]);
    assert_eq!(e, PackageError::Symlink("files/lib".into()));
}

#[test]
fn hardlinks_are_refused() {
    let e = refused(vec![Raw::link("files/shadow", b'1', "/etc/shadow")]);
    assert_eq!(e, PackageError::Hardlink("files/shadow".into()));
}

#[test]
fn devices_and_fifos_are_refused() {
    for kind in [b'3', b'4', b'6'] {
        let e = refused(vec![Raw::kind("files/dev", kind)]);
        assert_eq!(
            e,
            PackageError::Device("files/dev".into()),
            "type {}",
            char::from(kind)
        );
    }
}

#[test]
fn other_entry_types_are_refused() {
    for kind in [b'7', b'V', b'Z', b'g'] {
        let e = refused(vec![Raw::kind("files/odd", kind)]);
        assert!(matches!(e, PackageError::UnsupportedEntry { .. }), "{e}");
    }
    // A sparse entry in a ustar header is already refused by the tar parser.
    let e = refused(vec![Raw::kind("files/odd", b'S')]);
    assert!(matches!(e, PackageError::Corrupt(_)), "{e}");
}

#[test]
fn duplicate_paths_are_refused() {
    let e = refused(vec![Raw::exe("files/bin/plugin", b"#!/bin/false\n")]);
    assert_eq!(e, PackageError::DuplicatePath("files/bin/plugin".into()));
    let raw = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::file(
            "faxbot-plugin.toml",
            MANIFEST.replace("Hello", "Evil").as_bytes(),
        ),
        Raw::exe("files/bin/plugin", b"x"),
    ]));
    assert_eq!(
        read(&raw).expect_err("dup"),
        PackageError::DuplicatePath("faxbot-plugin.toml".into())
    );
}

#[test]
fn paths_differing_only_in_case_are_refused() {
    let e = refused(vec![Raw::exe("files/bin/Plugin", b"x")]);
    assert_eq!(
        e,
        PackageError::CaseCollision("files/bin/plugin".into(), "files/bin/Plugin".into())
    );
}

#[test]
fn a_file_that_is_also_a_directory_is_refused() {
    let e = refused(vec![Raw::file("files/bin/plugin/x", b"x")]);
    assert_eq!(e, PackageError::FileDirConflict("files/bin/plugin".into()));
}

#[test]
fn entries_outside_files_are_refused() {
    let e = refused(vec![Raw::file("evil.sh", b"x")]);
    assert_eq!(e, PackageError::OutsideFiles("evil.sh".into()));
}

#[test]
fn setuid_setgid_and_sticky_modes_are_refused() {
    for mode in [0o4755, 0o2755, 0o1755] {
        let mut r = Raw::exe("files/bin/su", b"x");
        r.mode = mode;
        let e = refused(vec![r]);
        assert_eq!(
            e,
            PackageError::SpecialMode {
                path: "files/bin/su".into(),
                mode
            },
            "{mode:o}"
        );
    }
}

#[test]
fn non_portable_names_are_refused_and_escaped_in_the_message() {
    let e = refused(vec![Raw::file("files/a\x1b[2Jb", b"x")]);
    let text = e.to_string();
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(matches!(
        e,
        PackageError::BadPath {
            problem: PathProblem::BadCharacter('\x1b'),
            ..
        }
    ));
    let mut r = Raw::file("files/x", b"x");
    r.name = b"files/\xff\xfe".to_vec();
    assert!(matches!(refused(vec![r]), PackageError::BadPath { .. }));
    let e = refused(vec![Raw::file("files/a\\..\\b", b"x")]);
    assert!(matches!(
        e,
        PackageError::BadPath {
            problem: PathProblem::BadCharacter('\\'),
            ..
        }
    ));
}

#[test]
fn a_pax_header_cannot_smuggle_a_traversal_path() {
    let record = "31 path=files/../../etc/passwd\n";
    assert_eq!(record.len(), 31);
    let pax = Raw::pax(record.as_bytes());
    let e = refused(vec![pax, Raw::file("files/innocent", b"x")]);
    assert!(
        matches!(
            e,
            PackageError::BadPath {
                problem: PathProblem::Parent,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_gnu_long_name_cannot_smuggle_a_traversal_path() {
    let long = Raw::long_name(b"/etc/passwd\0");
    let e = refused(vec![long, Raw::file("files/innocent", b"x")]);
    assert!(
        matches!(
            e,
            PackageError::BadPath {
                problem: PathProblem::Absolute,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn too_many_files_are_refused() {
    let extra: Vec<Raw> = (0..20)
        .map(|i| Raw::file(&format!("files/f{i}"), b"x"))
        .collect();
    let limits = PackageLimits {
        max_entries: 10,
        ..PackageLimits::default()
    };
    assert_eq!(
        read_limited(&package_with(extra), limits),
        Err(PackageError::TooManyFiles { limit: 10 })
    );
}

#[test]
fn too_many_bytes_are_refused_while_decompressing() {
    let extra = vec![Raw::file("files/big", &noise(3 << 20, 7))];
    let limits = PackageLimits {
        max_uncompressed_bytes: 2 << 20,
        ..PackageLimits::default()
    };
    assert_eq!(
        read_limited(&package_with(extra), limits),
        Err(PackageError::TooManyBytes { limit: 2 << 20 })
    );
}

#[test]
fn one_file_past_the_file_limit_is_refused() {
    let extra = vec![Raw::file("files/big", &noise(200_000, 3))];
    let limits = PackageLimits {
        max_file_bytes: 100_000,
        ..PackageLimits::default()
    };
    assert_eq!(
        read_limited(&package_with(extra), limits),
        Err(PackageError::FileTooLarge {
            path: "files/big".into(),
            limit: 100_000
        })
    );
}

#[test]
fn too_many_compressed_bytes_are_refused() {
    let bytes = package_with(vec![Raw::file("files/big", &noise(1 << 20, 5))]);
    let limits = PackageLimits {
        max_compressed_bytes: 100_000,
        ..PackageLimits::default()
    };
    assert_eq!(
        read_limited(&bytes, limits),
        Err(PackageError::CompressedTooLarge { limit: 100_000 })
    );
}

/// Counts what the reader pulled from its input.
struct Metered<'a> {
    bytes: &'a [u8],
    pulled: Rc<Cell<usize>>,
}

impl Read for Metered<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.bytes.read(buf)?;
        self.pulled.set(self.pulled.get() + n);
        Ok(n)
    }
}

#[test]
fn a_compression_bomb_is_stopped_long_before_it_is_inflated() {
    // 256 MiB of zeros compress to about 256 KiB: a ratio near 1000.
    let zeros = vec![0u8; 256 << 20];
    let bomb = package_with(vec![Raw::file("files/bomb", &zeros)]);
    drop(zeros);
    let pulled = Rc::new(Cell::new(0));
    let input = Metered {
        bytes: &bomb,
        pulled: pulled.clone(),
    };
    let e = read_package(
        input,
        &PackageLimits::default(),
        &ResourceCeilings::default(),
    )
    .expect_err("bomb");
    assert_eq!(e, PackageError::RatioExceeded { limit: 100 });
    assert!(
        pulled.get() < bomb.len() / 20,
        "the reader stopped after {} of {} compressed bytes",
        pulled.get(),
        bomb.len()
    );
}

#[test]
fn truncated_gzip_is_refused() {
    let whole = package_with(vec![Raw::file("files/data", &noise(50_000, 9))]);
    for cut in [whole.len() / 2, whole.len() - 4, 10] {
        let e = read(&whole[..cut]).expect_err("truncated");
        assert_eq!(e, PackageError::Truncated, "cut at {cut}");
    }
}

#[test]
fn a_corrupted_gzip_body_is_refused() {
    let mut bytes = package_with(vec![Raw::file("files/data", &noise(50_000, 9))]);
    let n = bytes.len();
    bytes[n - 8] ^= 0xff; // CRC32 in the trailer
    assert!(
        matches!(read(&bytes), Err(PackageError::Corrupt(_))),
        "{:?}",
        read(&bytes).err()
    );
}

#[test]
fn input_that_is_not_gzip_is_refused() {
    let zip = [b"PK\x03\x04".as_slice(), &[0u8; 200]].concat();
    assert!(
        matches!(read(&zip), Err(PackageError::Corrupt(_))),
        "{:?}",
        read(&zip).err()
    );
    assert!(matches!(
        read(&tar(&[Raw::file("faxbot-plugin.toml", b"x")])),
        Err(PackageError::Corrupt(_))
    ));
}

#[test]
fn a_tar_header_with_a_bad_checksum_is_refused() {
    let mut t = tar(&[Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes())]);
    t[0] = b'g';
    assert!(matches!(read(&gzip(&t)), Err(PackageError::Corrupt(_))));
}

#[test]
fn data_after_the_archive_is_refused() {
    let mut bytes = package_with(vec![]);
    bytes.extend_from_slice(b"trailing");
    assert_eq!(
        read(&bytes).expect_err("trailing"),
        PackageError::TrailingData
    );
    let mut two = package_with(vec![]);
    two.extend_from_slice(&gzip(b"second member"));
    assert_eq!(
        read(&two).expect_err("second member"),
        PackageError::TrailingData
    );
    let mut t = tar(&[
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::exe("files/bin/plugin", b"x"),
    ]);
    t.extend_from_slice(&tar(&[Raw::file("files/hidden", b"x")]));
    assert_eq!(
        read(&gzip(&t)).expect_err("hidden"),
        PackageError::TrailingData
    );
}

#[test]
fn a_missing_manifest_is_refused() {
    let bytes = gzip(&tar(&[Raw::exe("files/bin/plugin", b"x")]));
    assert_eq!(
        read(&bytes).expect_err("no manifest"),
        PackageError::ManifestMissing
    );
}

#[test]
fn an_invalid_manifest_is_refused_with_its_problems() {
    let bad = MANIFEST.replace("version = \"1.0.0\"", "version = \"one\"");
    let bytes = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", bad.as_bytes()),
        Raw::exe("files/bin/plugin", b"x"),
    ]));
    match read(&bytes).expect_err("bad manifest") {
        PackageError::ManifestInvalid(errors) => assert!(errors.has("version"), "{errors}"),
        other => panic!("{other}"),
    }
}

#[test]
fn a_missing_or_non_executable_entry_is_refused() {
    let bytes = gzip(&tar(&[Raw::file(
        "faxbot-plugin.toml",
        MANIFEST.as_bytes(),
    )]));
    assert_eq!(
        read(&bytes).expect_err("no entry"),
        PackageError::EntryMissing("bin/plugin".into())
    );
    let bytes = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::file("files/bin/plugin", b"x"),
    ]));
    assert_eq!(
        read(&bytes).expect_err("not exec"),
        PackageError::EntryNotExecutable("bin/plugin".into())
    );
}

#[test]
fn an_oversized_manifest_is_refused_before_it_is_read() {
    let big = format!("{MANIFEST}\n# {}\n", "x".repeat(70 * 1024));
    let bytes = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", big.as_bytes()),
        Raw::exe("files/bin/plugin", b"x"),
    ]));
    assert!(matches!(
        read(&bytes),
        Err(PackageError::FileTooLarge { .. })
    ));
}

#[test]
fn the_builder_refuses_what_the_reader_would_refuse() {
    let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    assert!(b.add_file("../x", vec![], false).is_err());
    assert!(b.add_file("/x", vec![], false).is_err());
    b.add_file("bin/plugin", vec![], true).expect("ok");
    assert!(matches!(
        b.add_file("bin/plugin", vec![], true),
        Err(PackageError::DuplicatePath(_))
    ));
    assert!(matches!(
        b.add_file("BIN/plugin", vec![], true),
        Err(PackageError::CaseCollision(..))
    ));
    let mut no_entry = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    no_entry.add_file("bin/other", vec![], true).expect("ok");
    assert_eq!(
        no_entry
            .build(&ResourceCeilings::default())
            .expect_err("no entry"),
        PackageError::EntryMissing("bin/plugin".into())
    );
    let bad = PackageBuilder::new(b"id = 1".to_vec());
    assert!(matches!(
        bad.build(&ResourceCeilings::default()),
        Err(PackageError::ManifestInvalid(_))
    ));
}

#[test]
fn a_package_is_staged_to_a_directory_with_its_modes_and_the_same_digest() {
    let bytes = built().build(&ResourceCeilings::default()).expect("builds");
    let dir = tempfile::tempdir().expect("tempdir");
    let staged = read_package_to_dir(
        &bytes[..],
        &PackageLimits::default(),
        &ResourceCeilings::default(),
        dir.path(),
    )
    .expect("stages");
    let in_memory = read(&bytes).expect("reads");
    assert_eq!(staged.digest(), in_memory.digest());
    assert_eq!(staged.digest(), built().digest());
    for (path, file) in in_memory.files() {
        let on_disk = dir.path().join(path);
        assert_eq!(
            std::fs::read(&on_disk).expect("staged"),
            file.contents,
            "{path}"
        );
        let mode = std::fs::metadata(&on_disk)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, file.mode, "{path}");
        assert_eq!(staged.entries()[path].sha256, file.sha256);
    }
}

#[test]
fn a_refused_package_leaves_the_staging_directory_empty() {
    // A large file is written before the symlink after it is found.
    let bytes = package_with(vec![
        Raw::file("files/data/big", &noise(300_000, 3)),
        Raw::link("files/data/link", b'2', "/etc/passwd"),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let e = read_package_to_dir(
        &bytes[..],
        &PackageLimits::default(),
        &ResourceCeilings::default(),
        dir.path(),
    )
    .expect_err("symlink");
    assert!(matches!(e, PackageError::Symlink(_)), "{e}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "nothing is left behind"
    );
}

#[test]
fn the_staging_directory_must_exist_and_be_empty() {
    let bytes = built().build(&ResourceCeilings::default()).expect("builds");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("planted"), b"x").expect("plant");
    let stage = |path: &std::path::Path| {
        read_package_to_dir(
            &bytes[..],
            &PackageLimits::default(),
            &ResourceCeilings::default(),
            path,
        )
    };
    assert!(matches!(
        stage(dir.path()),
        Err(PackageError::Staging { .. })
    ));
    assert!(
        dir.path().join("planted").exists(),
        "a directory the reader did not fill is not emptied"
    );
    assert!(matches!(
        stage(&dir.path().join("missing")),
        Err(PackageError::Staging { .. })
    ));
}

#[test]
fn a_huge_pax_header_is_refused_before_it_is_read() {
    let mut record = format!("path=files/{}", "a".repeat(1 << 20));
    record.push('\n');
    let len = record.len() + 8;
    let record = format!("{len} {record}");
    let pax = Raw::pax(record.as_bytes());
    let e = refused(vec![pax, Raw::file("files/innocent", b"x")]);
    assert!(
        matches!(&e, PackageError::Corrupt(why) if why.contains("64 KiB")),
        "{e}"
    );
}

#[test]
fn a_gnu_long_name_past_the_path_limit_is_refused_before_it_is_read() {
    let mut name = format!("files/{}", "b".repeat(2000)).into_bytes();
    name.push(0);
    let long = Raw::long_name(&name);
    let e = refused(vec![long, Raw::file("files/innocent", b"x")]);
    assert!(
        matches!(
            e,
            PackageError::BadPath {
                problem: PathProblem::TooLong,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_pax_size_record_is_refused() {
    let record = "12 size=999\n";
    assert_eq!(record.len(), 12);
    let pax = Raw::pax(record.as_bytes());
    let e = refused(vec![pax, Raw::file("files/innocent", b"x")]);
    assert!(matches!(e, PackageError::Corrupt(_)), "{e}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read(&bytes);
            let _ = read(&gzip(&bytes));
        }

        #[test]
        fn any_built_package_reads_back_identically(
            files in proptest::collection::btree_map("[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,2}", proptest::collection::vec(any::<u8>(), 0..256), 0..6),
        ) {
            let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
            b.add_file("bin/plugin", b"x".to_vec(), true).expect("ok");
            let mut added = 0;
            for (path, data) in &files {
                if path.starts_with("bin") { continue; }
                if b.add_file(path, data.clone(), false).is_ok() { added += 1; }
            }
            match b.build(&ResourceCeilings::default()) {
                Ok(bytes) => {
                    let p = read(&bytes).expect("reads back");
                    prop_assert_eq!(p.digest(), b.digest());
                    prop_assert_eq!(p.files().len(), added + 1);
                }
                Err(PackageError::FileDirConflict(_)) => {}
                Err(e) => prop_assert!(false, "{}", e),
            }
        }

        #[test]
        fn flipping_any_byte_of_a_package_never_yields_a_different_accepted_digest(pos in 0usize..10_000, bit in 0u8..8) {
            let b = built();
            let mut bytes = b.build(&ResourceCeilings::default()).expect("builds");
            let i = pos % bytes.len();
            bytes[i] ^= 1 << bit;
            if let Ok(p) = read(&bytes) {
                // Flips in gzip header fields the CRC does not cover (mtime, OS) are harmless;
                // anything that changes content must change the digest or be refused.
                prop_assert_eq!(p.digest(), b.digest());
            }
        }
    }
}

#[test]
fn a_file_and_a_directory_differing_only_in_case_are_refused() {
    // files/Bin is a file; files/bin is the directory files/bin/demo implies.
    let e = refused(vec![
        Raw::file("files/bin/demo", b"x"),
        Raw::file("files/Bin", b"y"),
    ]);
    assert_eq!(
        e,
        PackageError::CaseCollision("files/bin".into(), "files/Bin".into())
    );
    // The same, file first.
    let raw = gzip(&tar(&[
        Raw::file("faxbot-plugin.toml", MANIFEST.as_bytes()),
        Raw::file("files/Lib", b"y"),
        Raw::exe("files/bin/plugin", b"x"),
        Raw::file("files/lib/demo", b"x"),
    ]));
    assert_eq!(
        read(&raw).expect_err("collision"),
        PackageError::CaseCollision("files/Lib".into(), "files/lib".into())
    );
}

#[test]
fn a_directory_entry_and_a_file_differing_only_in_case_are_refused() {
    let e = refused(vec![
        Raw::kind("files/DATA/", b'5'),
        Raw::file("files/data", b"x"),
    ]);
    assert_eq!(
        e,
        PackageError::CaseCollision("files/DATA".into(), "files/data".into())
    );
    let e = refused(vec![
        Raw::file("files/data", b"x"),
        Raw::kind("files/DATA/", b'5'),
    ]);
    assert_eq!(
        e,
        PackageError::CaseCollision("files/data".into(), "files/DATA".into())
    );
    // Two directories differing only in case would merge on such a filesystem, too.
    let e = refused(vec![
        Raw::file("files/a/x", b"1"),
        Raw::file("files/A/y", b"2"),
    ]);
    assert_eq!(
        e,
        PackageError::CaseCollision("files/a".into(), "files/A".into())
    );
}

#[test]
fn the_builder_refuses_a_file_and_a_directory_differing_only_in_case() {
    let mut b = PackageBuilder::new(MANIFEST.as_bytes().to_vec());
    b.add_file("bin/plugin", vec![], true).expect("ok");
    assert!(matches!(
        b.add_file("Bin", vec![], false),
        Err(PackageError::CaseCollision(..))
    ));
    assert!(matches!(
        b.add_file("bin", vec![], false),
        Err(PackageError::FileDirConflict(_))
    ));
    b.add_file("share/readme", vec![], false)
        .expect("a refused add changes nothing");
    b.build(&ResourceCeilings::default()).expect("builds");
}
