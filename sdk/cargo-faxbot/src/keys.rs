//! `cargo faxbot keygen | sign | verify`: Ed25519 keys, detached signatures over a
//! package's canonical digest, and verification with the policy crate's own rules, so the
//! author sees exactly what a host will decide.

use crate::CheckFailed;
use anyhow::{Context, bail};
use faxbot_policy::package::{PackageLimits, PackageListing, inspect_package};
use faxbot_policy::signature::ed25519::{Ed25519Keypair, Ed25519PublicKey};
use faxbot_policy::signature::{Scheme, SignatureFile};
use faxbot_policy::trust::{TierRequirement, TrustStore};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Arguments of `cargo faxbot keygen`.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Base name of the key files: `<name>.key` (private, mode 0600) and `<name>.pub`.
    #[arg(long, default_value = "faxbot-signing")]
    pub out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `cargo faxbot sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The `.fxp` package.
    pub package: PathBuf,
    /// The private key (`cargo faxbot keygen`'s `.key`).
    #[arg(long)]
    pub key: PathBuf,
    /// Where to write the signature (default: `<package>.sig`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `cargo faxbot verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The `.fxp` package.
    pub package: PathBuf,
    /// The signature file (default: `<package>.sig`).
    #[arg(long)]
    pub sig: Option<PathBuf>,
    /// Verify against this public key (`.pub`, `ed25519:...`).
    #[arg(
        long,
        conflicts_with = "trust_store",
        required_unless_present = "trust_store"
    )]
    pub key: Option<PathBuf>,
    /// Verify as a host does: against an operator trust store file.
    #[arg(long)]
    pub trust_store: Option<PathBuf>,
    /// The lowest trust tier accepted with --trust-store (`curated_only` by default, as on a
    /// host): `curated_only`, `verified_or_curated` or `any`.
    #[arg(long, default_value = "curated_only")]
    pub require: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Generates a key pair; never overwrites an existing file.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let private = args.out.with_extension("key");
    let public = args.out.with_extension("pub");
    for path in [&private, &public] {
        if path.exists() {
            bail!("{} already exists; nothing was written", path.display());
        }
    }
    let pair = Ed25519Keypair::generate().context("generating a key")?;
    let pem = pair.to_pkcs8_pem().context("encoding the private key")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&private)
        .with_context(|| private.display().to_string())?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| private.display().to_string())?;
    let key = pair.public_key();
    std::fs::write(&public, format!("{key}\n")).with_context(|| public.display().to_string())?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "private_key": private,
                "public_key": public,
                "fingerprint": key.fingerprint(),
            })
        );
    } else {
        println!(
            "private key {} (mode 0600: keep it secret)",
            private.display()
        );
        println!("public key  {}: {key}", public.display());
        println!("fingerprint {}", key.fingerprint());
    }
    Ok(())
}

/// Reads a package as a host would, keeping none of its files' bytes (memory stays small
/// whatever it unpacks to).
fn read_checked(path: &Path) -> anyhow::Result<PackageListing> {
    let file = std::fs::File::open(path).with_context(|| path.display().to_string())?;
    inspect_package(
        std::io::BufReader::new(file),
        &PackageLimits::default(),
        &crate::project::ceilings(),
    )
    .map_err(|e| CheckFailed(format!("{}: {e}", path.display())).into())
}

fn signature_path(package: &Path) -> PathBuf {
    let mut name = package.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Signs a package (after reading it back as a host would: a package a host would refuse
/// is not signed).
pub fn sign(args: SignArgs) -> anyhow::Result<()> {
    let package = read_checked(&args.package)?;
    let pem = std::fs::read_to_string(&args.key).with_context(|| args.key.display().to_string())?;
    let pair = Ed25519Keypair::from_pkcs8_pem(&pem)
        .map_err(|e| CheckFailed(format!("{}: {e}", args.key.display())))?;
    let digest = package.digest();
    let signature = SignatureFile::ed25519(&pair, &digest);
    let out = args.out.unwrap_or_else(|| signature_path(&args.package));
    crate::pack::write_atomically(&out, signature.to_toml().as_bytes())?;
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "signature": out, "digest": digest.to_string(), "key": signature.key })
        );
    } else {
        println!("signed {} -> {}", args.package.display(), out.display());
        println!("digest {digest}");
        println!("key    {}", signature.key);
    }
    Ok(())
}

/// Verifies a package's signature; a bad one is a failed check with the precise reason.
pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let package = read_checked(&args.package)?;
    let sig_path = args.sig.unwrap_or_else(|| signature_path(&args.package));
    let bytes = std::fs::read(&sig_path).with_context(|| sig_path.display().to_string())?;
    let digest = package.digest();
    let signature = if bytes.trim_ascii_start().first() == Some(&b'{') {
        // A Sigstore bundle as the publisher's tool wrote it, over the signing payload: it
        // names no key (the trust store finds the publisher) and binds the digest itself.
        SignatureFile {
            scheme: Scheme::Sigstore,
            digest,
            key: String::new(),
            signature: bytes,
        }
    } else {
        SignatureFile::parse(&bytes)
            .map_err(|e| CheckFailed(format!("{}: {e}", sig_path.display())))?
    };
    let verdict = if let Some(key_path) = &args.key {
        let text =
            std::fs::read_to_string(key_path).with_context(|| key_path.display().to_string())?;
        let key = Ed25519PublicKey::parse(&text)
            .map_err(|e| CheckFailed(format!("{}: {e}", key_path.display())))?;
        if signature.digest != digest {
            return Err(CheckFailed(format!(
                "the signature is for {}, but the package is {digest}",
                signature.digest
            ))
            .into());
        }
        if signature.key != key.fingerprint() {
            return Err(CheckFailed(format!(
                "the signature names key {}, not {}",
                signature.key,
                key.fingerprint()
            ))
            .into());
        }
        key.verify(&digest, &signature.signature)
            .map_err(|e| CheckFailed(format!("bad signature: {e}")))?;
        serde_json::json!({ "valid": true, "digest": digest.to_string(), "key": signature.key })
    } else {
        let store_path = args
            .trust_store
            .as_ref()
            .context("--key or --trust-store")?;
        let text = std::fs::read_to_string(store_path)
            .with_context(|| store_path.display().to_string())?;
        // Files the store names (`[sigstore] trusted_root`) are relative to it.
        let dir = store_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let store =
            TrustStore::parse_with_files(&store_path.display().to_string(), &text, |relative| {
                std::fs::read(dir.join(relative)).map_err(|e| e.to_string())
            })
            .map_err(|e| CheckFailed(e.to_string()))?;
        let required: TierRequirement = serde_json::from_value(serde_json::Value::String(
            args.require.clone(),
        ))
        .map_err(|_| {
            anyhow::anyhow!(
                "--require {:?}: expected curated_only, verified_or_curated or any",
                args.require
            )
        })?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let verified = store
            .verify_digest(
                &digest,
                &package.manifest().publisher,
                Some(&signature),
                required,
                now,
            )
            .map_err(|e| CheckFailed(format!("not trusted: {e}")))?;
        serde_json::json!({
            "valid": true,
            "digest": verified.digest.to_string(),
            "key": verified.key,
            "publisher": verified.publisher,
            "tier": verified.tier,
            "scheme": verified.scheme,
        })
    };
    if args.json {
        println!("{verdict}");
    } else {
        println!(
            "OK: {} {} is signed by {}",
            package.manifest().id,
            package.manifest().version,
            verdict["key"].as_str().unwrap_or(&signature.key)
        );
        println!("digest {digest}");
    }
    Ok(())
}
