//! `faxbot init --dir DIR`: the state directory (0700), `faxbot.toml` (every setting
//! commented), the core's key material, an empty trust store, the state database, the audit
//! trail, and a first platform admin key with every scope, printed once as
//! `admin key: KEY` and stored only hashed. Idempotent: nothing that exists is overwritten,
//! and a second run makes no second key.

use crate::config::{CONFIG_FILE_NAME, DEFAULT_CONFIG};
use crate::serve::{PLUGINS_DIR_NAME, TRUST_FILE_NAME};
use anyhow::{Context, Result, bail};
use clap::Args;
use faxbot_api::auth::{KeyHasher, Scope};
use faxbot_api::time::now_ms;
use faxbot_audit::keys::KeyMaterial;
use faxbot_audit::{
    AUDIT_DIR_NAME, Action, Actor, AuditEvent, AuditTrail, Outcome, PhiRedactor, Target,
};
use faxbot_store::{ApiKeyRecord, DATABASE_FILE_NAME, PackageArea, SqliteStore, Store};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Options of `faxbot init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The state directory to create.
    #[arg(long, env = "FAXBOT_STATE_DIR", default_value = "/var/lib/faxbot")]
    dir: PathBuf,
}

const EMPTY_TRUST_STORE: &str = "# Publisher keys this core trusts, and revocations (format: docs/trust.md).\n\
# Changed through the API (POST /v1/trust/keys, POST /v1/trust/revocations) or by hand\n\
# followed by SIGHUP. Empty: no package is trusted.\n";

fn write_new(path: &Path, text: &str, mode: u32) -> Result<bool> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// Runs `faxbot init`.
pub fn run(args: InitArgs) -> Result<ExitCode> {
    let dir = args.dir;
    match fs::symlink_metadata(&dir) {
        Ok(meta) if meta.is_dir() => {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                bail!(
                    "{} exists with mode {mode:04o}; the state directory must be 0700 (chmod 700 it after checking who could read it)",
                    dir.display()
                );
            }
        }
        Ok(_) => bail!("{} exists and is not a directory", dir.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .with_context(|| format!("creating {}", dir.display()))?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                .with_context(|| format!("setting {} to 0700", dir.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", dir.display())),
    }
    write_new(&dir.join(CONFIG_FILE_NAME), DEFAULT_CONFIG, 0o600)?;
    write_new(&dir.join(TRUST_FILE_NAME), EMPTY_TRUST_STORE, 0o600)?;
    let keys = KeyMaterial::load_or_create(&dir).context("the core's key material")?;
    PackageArea::open(&dir.join(PLUGINS_DIR_NAME)).context("the package area")?;
    let store = SqliteStore::open(&dir.join(DATABASE_FILE_NAME)).context("the state database")?;
    let (trail, _) = AuditTrail::open(
        &dir.join(AUDIT_DIR_NAME),
        &keys,
        Arc::new(PhiRedactor::new(&keys)),
    )
    .context("the audit trail (is a daemon running on this directory?)")?;
    if !store.api_keys()?.is_empty() {
        eprintln!(
            "faxbot: {} is already initialised; nothing was overwritten (the admin key was shown when it was made; \
             `faxbot key create` makes more)",
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let hasher = KeyHasher::new(&keys);
    let new = hasher.generate().context("making the admin key")?;
    let record = ApiKeyRecord {
        id: new.id.clone(),
        name: "first admin (faxbot init)".to_owned(),
        tenant: None,
        scopes: Scope::ALL.iter().map(|s| s.name().to_owned()).collect(),
        secret_hash: new.secret_hash.clone(),
        created_at_ms: now_ms(),
        created_by: None,
        expires_at_ms: None,
        revoked_at_ms: None,
    };
    let event = AuditEvent::new(Actor::System, Action::new("key.create")?, Outcome::Success)
        .with_target(Target::new("api_key", &new.id)?)
        .with_details(serde_json::json!({"first_admin": true, "scopes": record.scopes}));
    trail
        .record_blocking(event)
        .context("the audit trail refused the record")?;
    store.create_api_key(&record)?;
    drop(trail);
    println!("admin key: {}", new.token);
    Ok(ExitCode::SUCCESS)
}
