//! `faxbot doctor`'s transport checks: each transport configured in the state directory's
//! `faxbot.toml`, built with its stored credentials exactly as `faxbot serve` builds it, then
//! asked for its health (the provider's account status with the credentials; the AMI or ESL
//! login). A transport that cannot be built says why (a credential not set, a setting
//! refused); one that does not answer in time is reported as such. Never prints a credential.

use crate::config::Config;
use crate::serve::SEALED_VALUES_KEY_LABEL;
use crate::serve::transports::DaemonTransports;
use faxbot_api::fax::TransportSet;
use faxbot_audit::keys::{KEY_FILE_NAME, KeyMaterial};
use faxbot_store::{DATABASE_FILE_NAME, SqliteStore};
use faxbot_transports::Health;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a transport may take to become healthy (AMI and ESL log in in the background).
const HEALTH_WAIT: Duration = Duration::from_secs(8);

/// One transport's verdict.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TransportCheck {
    /// Its name.
    pub transport: String,
    /// Whether it is reachable with accepted credentials.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// Checks every transport of the state directory `dir`.
pub fn check(dir: &Path) -> anyhow::Result<Vec<TransportCheck>> {
    let config = Config::load(dir).map_err(anyhow::Error::new)?;
    let keys = KeyMaterial::load(&dir.join(KEY_FILE_NAME))
        .map_err(|e| anyhow::anyhow!("loading the core's key material: {e}"))?;
    let store = Arc::new(
        SqliteStore::open(&dir.join(DATABASE_FILE_NAME))
            .map_err(|e| anyhow::anyhow!("opening the state database: {e}"))?,
    );
    let sealer = faxbot_api::fax::sealer::Sealer::new(keys.derive(SEALED_VALUES_KEY_LABEL))
        .ok_or_else(|| anyhow::anyhow!("the sealing key could not be made"))?;
    let outbound = config.fax.outbound.clone();
    let transports = DaemonTransports::new(config.fax, store, sealer);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(async {
        let mut checks = Vec::new();
        for name in transports.names() {
            let mut check = probe(&transports, &name).await;
            if name == outbound {
                check.detail.push_str(" (outbound)");
            }
            checks.push(check);
        }
        checks
    }))
}

async fn probe(transports: &DaemonTransports, name: &str) -> TransportCheck {
    let verdict = |ok: bool, detail: String| TransportCheck {
        transport: name.to_owned(),
        ok,
        detail,
    };
    let transport = match transports.build_for_check(name) {
        Ok(t) => t,
        Err(why) => return verdict(false, why),
    };
    let started = Instant::now();
    loop {
        let left = HEALTH_WAIT.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, transport.health()).await {
            Ok(Ok(Health::Ok)) => return verdict(true, "reachable, credentials accepted".into()),
            Ok(Ok(Health::Degraded(why))) if started.elapsed() >= Duration::from_secs(2) => {
                return verdict(false, why);
            }
            Ok(Ok(Health::Degraded(_))) => {}
            Ok(Err(e)) => return verdict(false, e.to_string()),
            Err(_) => {
                return verdict(
                    false,
                    format!("no answer within {}s", HEALTH_WAIT.as_secs()),
                );
            }
        }
        if started.elapsed() >= HEALTH_WAIT {
            return verdict(
                false,
                format!("not healthy within {}s", HEALTH_WAIT.as_secs()),
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
