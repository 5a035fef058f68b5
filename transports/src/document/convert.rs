//! PDF → TIFF (G4, 204×196 dpi, the fax resolution) for the transports that send TIFF
//! (Asterisk, FreeSWITCH). An uploaded PDF is untrusted input, so it is never parsed in the
//! core's process: Ghostscript (`-dSAFER`) runs inside `faxbot-jail` with no network, a
//! memory, process and time limit, read-only binds of only its own program and resource
//! directories and of the one input file's directory, and writes the TIFF to its stdout,
//! which is a file the core opened (a TIFF writer needs a seekable output). Written to a
//! stream, each page is a TIFF of its own; [`super::tiff::join_pages`] makes one file of them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Why a conversion failed. Messages never carry the document's content or Ghostscript's
/// output (which could quote it).
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Setting up the work directory or files failed.
    #[error("document conversion: {step}: {source}")]
    Io {
        /// What was being done.
        step: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The jail could not be set up (a missing layer, no Ghostscript): fail closed.
    #[error(
        "document conversion: the converter jail could not start (exit {0}); see faxbot doctor"
    )]
    Jail(i32),
    /// Ghostscript refused or failed on the document (malformed, hostile, over a limit).
    #[error("document conversion: the document could not be converted ({0})")]
    Rejected(String),
}

/// The converter's settings.
#[derive(Clone, Debug)]
pub struct Converter {
    /// The `faxbot-jail` program.
    pub jail: PathBuf,
    /// The Ghostscript program.
    pub ghostscript: PathBuf,
    /// Directories Ghostscript reads (its resources, ICC profiles, fonts); missing ones are
    /// skipped.
    pub resource_dirs: Vec<PathBuf>,
    /// Memory limit of the jail, bytes.
    pub memory_bytes: u64,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Largest TIFF accepted back, bytes.
    pub max_output_bytes: u64,
}

impl Converter {
    /// Debian's Ghostscript layout, with limits for fax-sized documents.
    pub fn debian(jail: PathBuf) -> Self {
        Self {
            jail,
            ghostscript: "/usr/bin/gs".into(),
            resource_dirs: vec![
                "/usr/share/ghostscript".into(),
                "/usr/share/color".into(),
                "/usr/share/fonts".into(),
            ],
            memory_bytes: 256 << 20,
            timeout: Duration::from_secs(60),
            max_output_bytes: 64 << 20,
        }
    }

    /// Converts `pdf` to a multi-page TIFF G4, using a private directory under `work_dir`.
    pub async fn pdf_to_tiff(&self, pdf: &[u8], work_dir: &Path) -> Result<Vec<u8>, ConvertError> {
        let io = |step| move |source| ConvertError::Io { step, source };
        let dir = private_dir(work_dir).map_err(io("making the work directory"))?;
        let result = self.run(pdf, &dir).await;
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    async fn run(&self, pdf: &[u8], dir: &Path) -> Result<Vec<u8>, ConvertError> {
        let io = |step| move |source| ConvertError::Io { step, source };
        let input_dir = dir.join("in");
        std::fs::create_dir(&input_dir).map_err(io("making the input directory"))?;
        std::fs::write(input_dir.join("document.pdf"), pdf).map_err(io("writing the input"))?;
        set_mode(&input_dir, 0o755).map_err(io("opening the input directory to the jail"))?;
        set_mode(&input_dir.join("document.pdf"), 0o644)
            .map_err(io("opening the input to the jail"))?;
        let output_path = dir.join("out.tiff");
        let output = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&output_path)
            .map_err(io("creating the output"))?;
        let program_dir = self
            .ghostscript
            .parent()
            .ok_or_else(|| ConvertError::Rejected("no Ghostscript directory".into()))?;
        let mut command = tokio::process::Command::new(&self.jail);
        command.arg("--ro").arg(format!(
            "{}:{}",
            program_dir.display(),
            program_dir.display()
        ));
        for resource in self.resource_dirs.iter().filter(|d| d.is_dir()) {
            command.arg("--ro").arg(resource);
        }
        command
            .arg("--ro")
            .arg(format!("{}:/in", input_dir.display()))
            .arg("--memory")
            .arg(self.memory_bytes.to_string())
            .arg("--pids")
            .arg("16")
            .arg("--nofile")
            .arg("64")
            .arg("--scratch-size")
            .arg("64M")
            .arg("--timeout")
            .arg(self.timeout.as_secs().max(1).to_string())
            .arg("--")
            .arg(&self.ghostscript)
            .args([
                "-q",
                "-dSAFER",
                "-dBATCH",
                "-dNOPAUSE",
                "-dNOINTERPOLATE",
                "-sDEVICE=tiffg4",
                "-r204x196",
                "-dFIXEDMEDIA",
                "-sPAPERSIZE=letter",
                "-dPDFFitPage",
                "-sOutputFile=-",
                "/in/document.pdf",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::from(output))
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(io("starting faxbot-jail"))?;
        let finished = tokio::time::timeout(
            self.timeout + Duration::from_secs(5),
            child.wait_with_output(),
        )
        .await
        .map_err(|_| ConvertError::Rejected("time limit".into()))?
        .map_err(io("waiting for the converter"))?;
        match finished.status.code() {
            Some(0) => {}
            Some(125) => return Err(ConvertError::Jail(125)),
            Some(code) if code > 128 => {
                return Err(ConvertError::Rejected(format!(
                    "killed by signal {}",
                    code - 128
                )));
            }
            Some(code) => return Err(ConvertError::Rejected(format!("exit status {code}"))),
            None => return Err(ConvertError::Rejected("killed".into())),
        }
        let size = std::fs::metadata(&output_path)
            .map_err(io("reading the output"))?
            .len();
        if size > self.max_output_bytes {
            return Err(ConvertError::Rejected("output over the size limit".into()));
        }
        let stream = std::fs::read(&output_path).map_err(io("reading the output"))?;
        // Ghostscript writes one complete TIFF per page to a stream: join them.
        super::tiff::join_pages(&stream).map_err(ConvertError::Rejected)
    }
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// A fresh 0711 directory under `parent` (the jail's unprivileged user may pass through it
/// to the input directory, but not list it).
fn private_dir(parent: &Path) -> std::io::Result<PathBuf> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| std::io::Error::other("no randomness"))?;
    let dir = parent.join(format!("convert-{}", hex::encode(bytes)));
    std::fs::create_dir_all(parent)?;
    std::fs::create_dir(&dir)?;
    set_mode(&dir, 0o711)?;
    Ok(dir)
}

pub use super::tiff::page_count as tiff_pages;
