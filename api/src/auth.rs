//! API keys and who a request acts as.
//!
//! A key is `fxb_<id>_<secret>`: a 64-bit public id (shown in lists and audit records) and a
//! 256-bit secret from the system RNG, shown once. The store keeps only
//! HMAC-SHA256(id ":" secret) under a key derived from the core's key material, so a copy of
//! the database alone cannot be used to test guesses; the check is `ring::hmac::verify`,
//! which compares in constant time.
//!
//! A key belongs to one tenant or is a platform key (`tenant = None`), carries scopes, may
//! expire and may be revoked. [`RateLimiter`] holds each key to a token bucket.

use crate::error::ApiError;
use faxbot_audit::keys::KeyMaterial;
use faxbot_store::ApiKeyRecord;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::time::Instant;

/// The HKDF label of the API key hashing key.
const KEY_HASH_LABEL: &str = "faxbot api keys v1";
/// The token's prefix.
pub const TOKEN_PREFIX: &str = "fxb_";
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// List and read plugins and their logs.
    PluginsRead,
    /// Upload (install, upgrade) and uninstall plugins.
    PluginsInstall,
    /// Approve or reject installs and upgrades; force a downgrade.
    PluginsApprove,
    /// Start, stop, restart plugins; clear a quarantine.
    PluginsOperate,
    /// Read and change the trust store (platform keys only).
    TrustManage,
    /// Read the audit trail.
    AuditRead,
    /// Create, list and revoke keys; manage tenants (platform keys only).
    KeysManage,
    /// Send faxes (the fax API).
    FaxSend,
    /// Read fax jobs (the fax API).
    FaxRead,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 9] = [
        Scope::PluginsRead,
        Scope::PluginsInstall,
        Scope::PluginsApprove,
        Scope::PluginsOperate,
        Scope::TrustManage,
        Scope::AuditRead,
        Scope::KeysManage,
        Scope::FaxSend,
        Scope::FaxRead,
    ];

    /// The scope's name on the API.
    pub fn name(self) -> &'static str {
        match self {
            Scope::PluginsRead => "plugins:read",
            Scope::PluginsInstall => "plugins:install",
            Scope::PluginsApprove => "plugins:approve",
            Scope::PluginsOperate => "plugins:operate",
            Scope::TrustManage => "trust:manage",
            Scope::AuditRead => "audit:read",
            Scope::KeysManage => "keys:manage",
            Scope::FaxSend => "fax:send",
            Scope::FaxRead => "fax:read",
        }
    }

    /// Parses a scope name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The key's public id.
    pub key_id: String,
    /// Its tenant; `None` for a platform key.
    pub tenant: Option<String>,
    /// Its scopes.
    pub scopes: BTreeSet<Scope>,
}

impl Principal {
    /// Whether the key has `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// A platform key (no tenant).
    pub fn is_platform(&self) -> bool {
        self.tenant.is_none()
    }

    /// Whether the key may see and act on an object owned by `owner` (a tenant, or the
    /// platform when `None`): platform keys see everything; a tenant key only its own.
    pub fn may_access(&self, owner: Option<&str>) -> bool {
        match &self.tenant {
            None => true,
            Some(mine) => owner == Some(mine.as_str()),
        }
    }

    /// `Err(403 missing_scope)` unless the key has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scope.name()))
        }
    }

    /// The audit actor.
    pub fn actor(&self) -> faxbot_audit::Actor {
        faxbot_audit::Actor::api_key(self.key_id.clone()).unwrap_or(faxbot_audit::Actor::System)
    }
}

/// Hashes and checks key secrets.
pub struct KeyHasher {
    key: hmac::Key,
}

impl fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHasher(<redacted>)")
    }
}

/// A freshly made key: the record to store and the token to show once.
pub struct NewKey {
    /// The key's public id.
    pub id: String,
    /// `fxb_<id>_<secret>`: shown once, never stored.
    pub token: String,
    /// The keyed hash to store.
    pub secret_hash: Vec<u8>,
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Why a key could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed while making an API key")]
pub struct RandomFailed;

impl KeyHasher {
    /// The hasher of this core (its key derived from the key material).
    pub fn new(keys: &KeyMaterial) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &keys.derive(KEY_HASH_LABEL)),
        }
    }

    fn message(id: &str, secret: &str) -> Vec<u8> {
        let mut m = Vec::with_capacity(id.len() + 1 + secret.len());
        m.extend_from_slice(id.as_bytes());
        m.push(b':');
        m.extend_from_slice(secret.as_bytes());
        m
    }

    /// The stored hash of a secret.
    pub fn hash(&self, id: &str, secret: &str) -> Vec<u8> {
        hmac::sign(&self.key, &Self::message(id, secret))
            .as_ref()
            .to_vec()
    }

    /// Whether `secret` matches the stored hash, compared in constant time.
    pub fn verify(&self, id: &str, secret: &str, stored: &[u8]) -> bool {
        hmac::verify(&self.key, &Self::message(id, secret), stored).is_ok()
    }

    /// Makes a new key.
    pub fn generate(&self) -> Result<NewKey, RandomFailed> {
        let rng = SystemRandom::new();
        let mut id = [0u8; ID_BYTES];
        let mut secret = [0u8; SECRET_BYTES];
        rng.fill(&mut id).map_err(|_| RandomFailed)?;
        rng.fill(&mut secret).map_err(|_| RandomFailed)?;
        let id = hex::encode(id);
        let secret = hex::encode(secret);
        Ok(NewKey {
            secret_hash: self.hash(&id, &secret),
            token: format!("{TOKEN_PREFIX}{id}_{secret}"),
            id,
        })
    }
}

/// Splits a token into its id and secret; `None` unless it has exactly the key's shape.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex_of = |s: &str, bytes: usize| {
        s.len() == bytes * 2
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (hex_of(id, ID_BYTES) && hex_of(secret, SECRET_BYTES)).then_some((id, secret))
}

/// Why a request did not authenticate; recorded in the audit trail (never the secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No `Authorization` header.
    Missing,
    /// Not `Bearer <key>`, or not a key's shape.
    Malformed,
    /// No key with that id.
    UnknownKey,
    /// The secret does not match.
    WrongSecret,
    /// The key is revoked.
    Revoked,
    /// The key has expired.
    Expired,
}

impl AuthFailure {
    /// The reason, for the audit record and the 401 message.
    pub fn reason(self) -> &'static str {
        match self {
            AuthFailure::Missing => "no Authorization: Bearer header",
            AuthFailure::Malformed => "the Authorization header does not hold an API key",
            AuthFailure::UnknownKey | AuthFailure::WrongSecret => "the API key is not valid",
            AuthFailure::Revoked => "the API key is revoked",
            AuthFailure::Expired => "the API key has expired",
        }
    }

    /// A short name for the audit record.
    pub fn name(self) -> &'static str {
        match self {
            AuthFailure::Missing => "missing",
            AuthFailure::Malformed => "malformed",
            AuthFailure::UnknownKey => "unknown_key",
            AuthFailure::WrongSecret => "wrong_secret",
            AuthFailure::Revoked => "revoked",
            AuthFailure::Expired => "expired",
        }
    }
}

/// Checks a stored key against a presented secret at `now_ms`.
pub fn check_key(
    hasher: &KeyHasher,
    record: &ApiKeyRecord,
    secret: &str,
    now_ms: u64,
) -> Result<Principal, AuthFailure> {
    // The secret is checked first, so a revoked or expired key's state is told only to
    // someone who holds it.
    if !hasher.verify(&record.id, secret, &record.secret_hash) {
        return Err(AuthFailure::WrongSecret);
    }
    if record.revoked_at_ms.is_some() {
        return Err(AuthFailure::Revoked);
    }
    if record.expires_at_ms.is_some_and(|t| now_ms >= t) {
        return Err(AuthFailure::Expired);
    }
    Ok(Principal {
        key_id: record.id.clone(),
        tenant: record.tenant.clone(),
        scopes: record
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s))
            .collect(),
    })
}

/// Per-key token buckets: `per_second` requests a second on average, bursts of `burst`.
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    limits: Mutex<(f64, f64)>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Most keys tracked; past this, idle buckets are dropped (a full bucket is the default).
const MAX_BUCKETS: usize = 10_000;

impl RateLimiter {
    /// A limiter of `per_second` with bursts of `burst` (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            limits: Mutex::new((f64::from(per_second.max(1)), f64::from(burst.max(1)))),
        }
    }

    /// Changes the limits (SIGHUP).
    pub fn set_limits(&self, per_second: u32, burst: u32) {
        *self
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            (f64::from(per_second.max(1)), f64::from(burst.max(1)));
    }

    /// Takes one token for `key_id`; `Err(seconds to wait)` when the bucket is empty.
    pub fn take(&self, key_id: &str) -> Result<(), u64> {
        let (rate, burst) = *self
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key_id) {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        if !buckets.contains_key(key_id) {
            buckets.insert(
                key_id.to_owned(),
                Bucket {
                    tokens: burst,
                    at: now,
                },
            );
        }
        let Some(bucket) = buckets.get_mut(key_id) else {
            return Err(1);
        };
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> KeyHasher {
        KeyHasher {
            key: hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]),
        }
    }

    #[test]
    fn a_generated_key_parses_verifies_and_holds_256_secret_bits() {
        let h = hasher();
        let key = h.generate().expect("key");
        let (id, secret) = parse_token(&key.token).expect("shape");
        assert_eq!(id, key.id);
        assert_eq!(secret.len(), 64, "32 random bytes, hex");
        assert!(h.verify(id, secret, &key.secret_hash));
        assert!(!h.verify(id, &"0".repeat(64), &key.secret_hash));
        assert!(!key.token.is_empty() && !format!("{key:?}").contains(secret));
        let other = h.generate().expect("key");
        assert_ne!(other.token, key.token);
    }

    #[test]
    fn tokens_of_any_other_shape_are_refused() {
        for bad in [
            "",
            "fxb_",
            "fxb_00_00",
            "Bearer fxb_0011223344556677_00",
            &format!("fxb_0011223344556677_{}", "G".repeat(64)),
            &format!("fxb_0011223344556677_{}X", "a".repeat(64)),
            &format!("FXB_0011223344556677_{}", "a".repeat(64)),
        ] {
            assert!(parse_token(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn revoked_and_expired_keys_fail_only_for_the_holder_of_the_secret() {
        let h = hasher();
        let key = h.generate().expect("key");
        let (_, secret) = parse_token(&key.token).expect("shape");
        let mut record = ApiKeyRecord {
            id: key.id.clone(),
            name: "k".into(),
            tenant: None,
            scopes: vec!["plugins:read".into(), "bogus".into()],
            secret_hash: key.secret_hash.clone(),
            created_at_ms: 0,
            created_by: None,
            expires_at_ms: Some(100),
            revoked_at_ms: None,
        };
        let p = check_key(&h, &record, secret, 99).expect("valid");
        assert_eq!(p.scopes, BTreeSet::from([Scope::PluginsRead]));
        assert_eq!(
            check_key(&h, &record, secret, 100),
            Err(AuthFailure::Expired)
        );
        record.revoked_at_ms = Some(1);
        assert_eq!(check_key(&h, &record, secret, 0), Err(AuthFailure::Revoked));
        assert_eq!(
            check_key(&h, &record, &"1".repeat(64), 0),
            Err(AuthFailure::WrongSecret)
        );
    }

    #[test]
    fn a_key_past_its_burst_waits_and_other_keys_do_not() {
        let limiter = RateLimiter::new(1, 3);
        for _ in 0..3 {
            assert_eq!(limiter.take("a"), Ok(()));
        }
        assert_eq!(limiter.take("a"), Err(1));
        assert_eq!(limiter.take("b"), Ok(()));
    }

    #[test]
    fn tenant_keys_reach_only_their_tenant() {
        let tenant = Principal {
            key_id: "k".into(),
            tenant: Some("a".into()),
            scopes: BTreeSet::new(),
        };
        assert!(tenant.may_access(Some("a")));
        assert!(!tenant.may_access(Some("b")));
        assert!(!tenant.may_access(None));
        let platform = Principal {
            tenant: None,
            ..tenant
        };
        assert!(platform.may_access(Some("b")) && platform.may_access(None));
    }
}
