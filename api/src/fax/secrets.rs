//! Write-only secrets (transport credentials, plugins' secrets): sealed before they reach the
//! store, opened only by the core's own readers (the transports, the egress broker). The
//! scope and name are the sealing's associated data, so a sealed value cannot be replayed
//! under another name.

use super::sealer::Sealer;
use faxbot_store::FaxStore;

/// The scope of a transport's credentials.
pub fn transport_scope(name: &str) -> String {
    format!("transport:{name}")
}

/// The scope of a plugin's secrets.
pub fn plugin_scope(plugin_id: &str) -> String {
    format!("plugin:{plugin_id}")
}

/// The scope of an outbound webhook's signing secret.
pub fn webhook_scope(id: &str) -> String {
    format!("webhook:{id}")
}

/// The name of a webhook's signing secret in its scope.
pub const WEBHOOK_SECRET_NAME: &str = "signing_secret";

fn purpose(scope: &str, name: &str) -> String {
    format!("secret:{scope}:{name}")
}

/// Why a secret could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The value could not be sealed.
    #[error("the secret could not be sealed")]
    Seal,
    /// The store refused it.
    #[error("the secret store refused the value")]
    Store,
}

/// Seals `value` and stores it as `scope`'s secret `name`.
pub fn put(
    store: &dyn FaxStore,
    sealer: &Sealer,
    scope: &str,
    name: &str,
    value: &str,
    at_ms: u64,
) -> Result<(), SecretError> {
    let sealed = sealer
        .seal(&purpose(scope, name), value.as_bytes())
        .ok_or(SecretError::Seal)?;
    store
        .put_secret(scope, name, &sealed, at_ms)
        .map_err(|_| SecretError::Store)
}

/// `scope`'s secret `name`, opened; `None` when unset or when it does not open.
pub fn get(store: &dyn FaxStore, sealer: &Sealer, scope: &str, name: &str) -> Option<String> {
    let sealed = store.secret(scope, name).ok()??;
    String::from_utf8(sealer.open(&purpose(scope, name), &sealed)?).ok()
}
