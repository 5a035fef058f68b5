//! Arbitrary bytes as a `.fxp`, raw and wrapped in gzip so the fuzzer reaches the tar
//! reader quickly. The reader must refuse or accept, never panic, and never return a
//! package whose digest does not match its own contents.
#![no_main]

use faxbot_policy::manifest::ResourceCeilings;
use faxbot_policy::package::{PackageLimits, canonical_digest, read_package};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fn check(bytes: &[u8]) {
    let limits = PackageLimits {
        max_uncompressed_bytes: 8 << 20,
        max_file_bytes: 4 << 20,
        ..PackageLimits::default()
    };
    if let Ok(p) = read_package(bytes, &limits, &ResourceCeilings::default()) {
        assert_eq!(p.digest(), canonical_digest(p.manifest_bytes(), p.files()));
        assert!(p.entry().is_some_and(|e| e.is_executable()));
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(data).is_ok()
        && let Ok(wrapped) = gz.finish()
    {
        check(&wrapped);
    }
});
