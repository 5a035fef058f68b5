//! PDF → TIFF in the real jail with the real Ghostscript (root and `gs` needed; without them
//! each test says so and returns).

use faxbot_transports::document::convert::{ConvertError, Converter, tiff_pages};
use faxbot_transports::document::text_to_pdf;
use std::path::Path;

fn converter() -> Option<Converter> {
    if !nix_root() {
        eprintln!("SKIP: the converter jail needs root");
        return None;
    }
    if !Path::new("/usr/bin/gs").exists() {
        eprintln!("SKIP: ghostscript is not installed (scripts/setup installs it)");
        return None;
    }
    let jail =
        faxbot_jail::binary::locate().expect("faxbot-jail is built (cargo build -p faxbot-jail)");
    Some(Converter::debian(jail))
}

fn nix_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn work() -> tempfile_dir::Dir {
    tempfile_dir::Dir::new()
}

mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "fxconvert-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::create_dir_all(&path).expect("work dir");
            Self(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[tokio::test]
async fn a_text_fax_becomes_a_multi_page_g4_tiff_in_the_jail() {
    let Some(converter) = converter() else { return };
    let text: String = (0..100).map(|i| format!("Referral line {i}\n")).collect();
    let pdf = text_to_pdf(&text);
    let dir = work();
    let tiff = converter
        .pdf_to_tiff(&pdf, &dir.0)
        .await
        .expect("converted");
    assert_eq!(tiff_pages(&tiff), Some(2));
    assert_eq!(
        std::fs::read_dir(&dir.0).expect("dir").count(),
        0,
        "the work directory is cleaned up"
    );
}

#[tokio::test]
async fn a_postscript_file_read_in_a_hostile_pdf_gets_nothing() {
    let Some(converter) = converter() else { return };
    // A PDF whose content stream is not valid drawing but a PostScript-style attempt, and a
    // file that is PostScript outright: SAFER and the jail both stand between them and /etc.
    let hostile_ps = b"%!PS\n(/etc/shadow) (r) file 100 string readstring pop print\nshowpage\n";
    let dir = work();
    match converter.pdf_to_tiff(hostile_ps, &dir.0).await {
        Err(ConvertError::Rejected(_)) => {}
        Ok(tiff) => {
            // Ghostscript may render an error page; it never carries the file's content.
            assert!(!String::from_utf8_lossy(&tiff).contains("root:"));
        }
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn garbage_is_rejected_without_quoting_it() {
    let Some(converter) = converter() else { return };
    let dir = work();
    let err = converter
        .pdf_to_tiff(
            b"%PDF-1.4\nPatient Quillthal Brixdro garbage\n%%EOF",
            &dir.0,
        )
        .await
        .expect_err("rejected");
    assert!(matches!(err, ConvertError::Rejected(_)), "{err}");
    assert!(!err.to_string().contains("Quillthal"), "{err}");
}
