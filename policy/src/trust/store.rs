//! The trust store: its file format, and verification against it.
//!
//! ```toml
//! [[key]]
//! publisher = "acme"
//! tier = "curated"                     # curated | verified | community
//! ed25519 = "ed25519:…"                # exactly one of ed25519, openpgp, sigstore,
//! # openpgp = """-----BEGIN PGP PUBLIC KEY BLOCK-----…"""   # or sigstore_identity
//! # sigstore = """-----BEGIN PUBLIC KEY-----…"""
//! # sigstore_identity = "https://github.com/acme/plugin/.github/workflows/release.yml@refs/heads/main"
//! # sigstore_issuer = "https://token.actions.githubusercontent.com"   # with sigstore_identity
//! note = "release key 2026"
//!
//! [sigstore]
//! trusted_root = "trusted_root.json"   # keyless publishers: relative to this file
//!
//! [revoked]
//! keys = ["ed25519:…"]                 # any spelling of a key (see `KeyIdentity`), or a
//!                                      # keyless publisher's exact sigstore_identity
//! packages = ["sha256:…"]              # package digests
//! ```
//!
//! Revocations are parsed into canonical [`KeyIdentity`] values when the store is loaded, so
//! an upper-case fingerprint, the `ed25519:<base64>` public key, an OpenPGP fingerprint in
//! any case or with spaces, its 16-digit key id, or a subkey's fingerprint all match; an
//! entry that names no key refuses the whole store.

use super::{KeyIdentity, KeyIdentityError, TierRequirement, TrustError, TrustTier, Verified};
use crate::package::{Package, PackageDigest};
use crate::signature::ed25519::Ed25519PublicKey;
#[cfg(feature = "openpgp")]
use crate::signature::openpgp::OpenPgpCert;
#[cfg(feature = "sigstore")]
use crate::signature::sigstore::SigstoreKey;
#[cfg(feature = "sigstore")]
use crate::signature::sigstore::{KeylessIdentity, TrustedRoot};
use crate::signature::{Scheme, SignatureError, SignatureFile};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
#[cfg(feature = "sigstore")]
use std::sync::Arc;

/// A trusted public key of one scheme.
#[derive(Clone, Debug)]
pub enum PublicKey {
    /// Ed25519.
    Ed25519(Ed25519PublicKey),
    /// An OpenPGP certificate (feature `openpgp`).
    #[cfg(feature = "openpgp")]
    Openpgp(Box<OpenPgpCert>),
    /// A Sigstore/cosign public key (feature `sigstore`).
    #[cfg(feature = "sigstore")]
    Sigstore(Box<SigstoreKey>),
    /// A keyless Sigstore publisher: a certificate identity and OIDC issuer, verified
    /// against the store's `[sigstore] trusted_root` (feature `sigstore`).
    #[cfg(feature = "sigstore")]
    SigstoreKeyless(Box<KeylessIdentity>),
}

impl PublicKey {
    /// The key's fingerprint, as signature files name it.
    pub fn fingerprint(&self) -> String {
        match self {
            PublicKey::Ed25519(k) => k.fingerprint(),
            #[cfg(feature = "openpgp")]
            PublicKey::Openpgp(c) => c.fingerprint(),
            #[cfg(feature = "sigstore")]
            PublicKey::Sigstore(k) => k.fingerprint().to_string(),
            #[cfg(feature = "sigstore")]
            PublicKey::SigstoreKeyless(id) => id.identity.clone(),
        }
    }

    /// Every identity this key answers to: its fingerprint, and for an OpenPGP
    /// certificate the fingerprint and key id of the primary key and of every subkey.
    pub fn identities(&self) -> Vec<KeyIdentity> {
        match self {
            PublicKey::Ed25519(_) => KeyIdentity::parse(&self.fingerprint())
                .into_iter()
                .collect(),
            #[cfg(feature = "openpgp")]
            PublicKey::Openpgp(c) => c.key_identities(),
            #[cfg(feature = "sigstore")]
            PublicKey::Sigstore(k) => KeyIdentity::parse(k.fingerprint()).into_iter().collect(),
            #[cfg(feature = "sigstore")]
            PublicKey::SigstoreKeyless(id) => {
                vec![KeyIdentity::SigstoreIdentity(id.identity.clone())]
            }
        }
    }

    /// The key's scheme.
    pub fn scheme(&self) -> Scheme {
        match self {
            PublicKey::Ed25519(_) => Scheme::Ed25519,
            #[cfg(feature = "openpgp")]
            PublicKey::Openpgp(_) => Scheme::Openpgp,
            #[cfg(feature = "sigstore")]
            PublicKey::Sigstore(_) | PublicKey::SigstoreKeyless(_) => Scheme::Sigstore,
        }
    }

    fn verify(
        &self,
        digest: &PackageDigest,
        signature: &[u8],
        now_ms: u64,
    ) -> Result<(), SignatureError> {
        let _ = now_ms;
        match self {
            PublicKey::Ed25519(k) => k.verify(digest, signature),
            #[cfg(feature = "openpgp")]
            PublicKey::Openpgp(c) => c.verify(digest, signature, now_ms),
            #[cfg(feature = "sigstore")]
            PublicKey::Sigstore(k) => k.verify(digest, signature),
            // A keyless bundle is verified by the store, which holds the trusted root;
            // anything reaching here is a key-based signature for a keyless publisher.
            #[cfg(feature = "sigstore")]
            PublicKey::SigstoreKeyless(_) => Err(SignatureError::Keyless(
                crate::signature::sigstore::KeylessError::NotKeyless,
            )),
        }
    }

    /// Whether this is a keyless Sigstore publisher (named by its certificate identity).
    pub fn is_keyless(&self) -> bool {
        #[cfg(feature = "sigstore")]
        if let PublicKey::SigstoreKeyless(_) = self {
            return true;
        }
        false
    }
}

/// A key the operator trusts.
#[derive(Clone, Debug)]
pub struct TrustedKey {
    /// The publisher id the key signs for (a manifest's `publisher`).
    pub publisher: String,
    /// How far it is trusted.
    pub tier: TrustTier,
    /// The key.
    pub key: PublicKey,
    /// The operator's note.
    pub note: String,
}

/// The operator's trust store.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    keys: BTreeMap<String, TrustedKey>,
    revoked_keys: BTreeSet<KeyIdentity>,
    revoked_packages: BTreeSet<PackageDigest>,
    /// `[sigstore] trusted_root`, as written (relative to the trust store file).
    sigstore_root_path: Option<String>,
    /// The loaded trusted root keyless publishers verify against.
    #[cfg(feature = "sigstore")]
    sigstore_root: Option<Arc<TrustedRoot>>,
}

/// A trust store file that does not parse; every problem is listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trust store is invalid:{}", .0.iter().map(|p| format!("\n  {p}")).collect::<String>())]
pub struct TrustStoreError(pub Vec<String>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    key: Vec<WireKey>,
    #[serde(default)]
    revoked: WireRevoked,
    sigstore: Option<WireSigstore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSigstore {
    trusted_root: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireKey {
    publisher: String,
    tier: TrustTier,
    ed25519: Option<String>,
    openpgp: Option<String>,
    sigstore: Option<String>,
    sigstore_identity: Option<String>,
    sigstore_issuer: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WireRevoked {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    packages: Vec<String>,
}

impl TrustStore {
    /// An empty store: trusts nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the operator's trust store file without reading any other file: a
    /// `[sigstore] trusted_root` is recorded but not loaded, so keyless publishers are
    /// refused until [`TrustStore::set_sigstore_root`] (or use
    /// [`TrustStore::parse_with_files`]).
    pub fn parse(text: &str) -> Result<Self, TrustStoreError> {
        let wire: Wire =
            toml::from_str(text).map_err(|e| TrustStoreError(vec![e.message().to_string()]))?;
        let mut store = TrustStore::new();
        let mut problems = Vec::new();
        store.sigstore_root_path = wire.sigstore.map(|s| s.trusted_root);
        if store
            .sigstore_root_path
            .as_deref()
            .is_some_and(|p| p.trim().is_empty())
        {
            problems.push("sigstore.trusted_root: give the path of a trusted_root.json".into());
        }
        for (i, k) in wire.key.into_iter().enumerate() {
            let path = format!("key[{i}]");
            let keyless = match (k.sigstore_identity, k.sigstore_issuer) {
                (None, None) => None,
                (Some(identity), Some(issuer))
                    if !identity.trim().is_empty() && !issuer.trim().is_empty() =>
                {
                    Some((identity, issuer))
                }
                _ => {
                    problems.push(format!(
                        "{path}: sigstore_identity and sigstore_issuer go together, both non-empty"
                    ));
                    continue;
                }
            };
            let key = match (k.ed25519, k.openpgp, k.sigstore, keyless) {
                (Some(e), None, None, None) => Ed25519PublicKey::parse(&e).map(PublicKey::Ed25519),
                (None, Some(p), None, None) => openpgp_key(&p),
                (None, None, Some(s), None) => sigstore_key(&s),
                (None, None, None, Some((identity, issuer))) => {
                    if store.sigstore_root_path.is_none() {
                        problems.push(format!(
                            "{path}: a keyless publisher (sigstore_identity) needs [sigstore] trusted_root"
                        ));
                        continue;
                    }
                    keyless_key(identity, issuer)
                }
                _ => {
                    problems.push(format!(
                        "{path}: give exactly one of ed25519, openpgp, sigstore, sigstore_identity"
                    ));
                    continue;
                }
            };
            match key {
                Ok(key) => {
                    if let Err(e) = store.add_key(TrustedKey {
                        publisher: k.publisher,
                        tier: k.tier,
                        key,
                        note: k.note,
                    }) {
                        problems.extend(e.0.into_iter().map(|p| format!("{path}: {p}")));
                    }
                }
                Err(e) => problems.push(format!("{path}: {e}")),
            }
        }
        for (i, key) in wire.revoked.keys.iter().enumerate() {
            // A keyless publisher's identity, written exactly as its `sigstore_identity`.
            if store.keys.get(key).is_some_and(|k| k.key.is_keyless()) {
                store.revoke_identity(KeyIdentity::SigstoreIdentity(key.clone()));
                continue;
            }
            if let Err(e) = store.revoke_key(key) {
                problems.push(format!("revoked.keys[{i}]: {e}"));
            }
        }
        for (i, d) in wire.revoked.packages.iter().enumerate() {
            match PackageDigest::parse(d) {
                Ok(d) => store.revoke_package(d),
                Err(e) => problems.push(format!("revoked.packages[{i}]: {e}")),
            }
        }
        if problems.is_empty() {
            Ok(store)
        } else {
            Err(TrustStoreError(problems))
        }
    }

    /// Parses the trust store file and loads the files it names (`[sigstore]
    /// trusted_root`) with `read`, which gets the path as written (relative to the trust
    /// store file: the caller resolves it). Every problem names `file`.
    pub fn parse_with_files(
        file: &str,
        text: &str,
        read: impl Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Self, TrustStoreError> {
        #[cfg_attr(not(feature = "sigstore"), allow(unused_mut))]
        let mut store = Self::parse_named(file, text)?;
        if let Some(path) = store.sigstore_root_path.clone() {
            let shown = shown(&path);
            let bytes = read(&path).map_err(|e| {
                TrustStoreError(vec![format!("{file} sigstore.trusted_root {shown}: {e}")])
            })?;
            #[cfg(feature = "sigstore")]
            {
                let root = TrustedRoot::parse(&bytes).map_err(|e| {
                    TrustStoreError(vec![format!("{file} sigstore.trusted_root {shown}: {e}")])
                })?;
                store.set_sigstore_root(root);
            }
            #[cfg(not(feature = "sigstore"))]
            {
                let _ = bytes;
                return Err(TrustStoreError(vec![format!(
                    "{file} sigstore.trusted_root: {}",
                    SignatureError::SchemeNotBuilt {
                        scheme: Scheme::Sigstore,
                        feature: "sigstore",
                    }
                )]));
            }
        }
        Ok(store)
    }

    /// `[sigstore] trusted_root` as the file writes it, if any.
    pub fn sigstore_root_path(&self) -> Option<&str> {
        self.sigstore_root_path.as_deref()
    }

    /// Sets the trusted root keyless Sigstore publishers are verified against.
    #[cfg(feature = "sigstore")]
    pub fn set_sigstore_root(&mut self, root: TrustedRoot) {
        self.sigstore_root = Some(Arc::new(root));
    }

    /// Adds a key; a fingerprint already present is refused.
    pub fn add_key(&mut self, key: TrustedKey) -> Result<(), TrustStoreError> {
        let fp = key.key.fingerprint();
        let fp = if key.key.is_keyless() {
            fp
        } else {
            KeyIdentity::parse(&fp).map_or(fp, |id| id.to_string())
        };
        if self.keys.contains_key(&fp) {
            return Err(TrustStoreError(vec![format!("key {fp} is listed twice")]));
        }
        crate::manifest::check_publisher(&key.publisher).map_err(|e| TrustStoreError(vec![e]))?;
        self.keys.insert(fp, key);
        Ok(())
    }

    /// Parses the operator's trust store file, naming the file in every problem
    /// (`trust.toml revoked.keys[2]: …`).
    pub fn parse_named(file: &str, text: &str) -> Result<Self, TrustStoreError> {
        Self::parse(text)
            .map_err(|e| TrustStoreError(e.0.into_iter().map(|p| format!("{file} {p}")).collect()))
    }

    /// Revokes a key, written in any spelling [`KeyIdentity::parse`] accepts; signatures
    /// by it (for an OpenPGP subkey or key id: by its whole certificate) are refused from
    /// now on. A spelling that names no key is an error, never a revocation that matches
    /// nothing.
    pub fn revoke_key(&mut self, key: &str) -> Result<KeyIdentity, KeyIdentityError> {
        let identity = KeyIdentity::parse(key)?;
        self.revoke_identity(identity.clone());
        Ok(identity)
    }

    /// Revokes a key by its canonical identity.
    pub fn revoke_identity(&mut self, identity: KeyIdentity) {
        self.revoked_keys.insert(identity);
    }

    /// Whether any identity of `key` is revoked.
    pub fn is_revoked(&self, key: &PublicKey) -> bool {
        key.identities()
            .iter()
            .any(|id| self.revoked_keys.contains(id))
    }

    /// The revoked key identities, canonical.
    pub fn revoked_keys(&self) -> &BTreeSet<KeyIdentity> {
        &self.revoked_keys
    }

    /// Revokes a package digest.
    pub fn revoke_package(&mut self, digest: PackageDigest) {
        self.revoked_packages.insert(digest);
    }

    /// The trusted keys, by fingerprint.
    pub fn keys(&self) -> &BTreeMap<String, TrustedKey> {
        &self.keys
    }

    /// The trusted key a signature file or an install record names, in any accepted
    /// spelling; refused if any identity of it (any subkey or key id of an OpenPGP
    /// certificate) is revoked.
    fn live_key(&self, named: &str) -> Result<&TrustedKey, TrustError> {
        if let Some(keyless) = self.keys.get(named).filter(|k| k.key.is_keyless()) {
            if self.is_revoked(&keyless.key) {
                return Err(TrustError::RevokedKey(shown(named)));
            }
            return Ok(keyless);
        }
        let Ok(identity) = KeyIdentity::parse(named) else {
            return Err(TrustError::UnknownKey(shown(named)));
        };
        let revoked = |id: &KeyIdentity| {
            self.revoked_keys.contains(id)
                || id
                    .openpgp_key_id()
                    .is_some_and(|short| self.revoked_keys.contains(&short))
        };
        if revoked(&identity) {
            return Err(TrustError::RevokedKey(shown(named)));
        }
        let trusted = self
            .keys
            .get(&identity.to_string())
            .ok_or_else(|| TrustError::UnknownKey(shown(named)))?;
        if self.is_revoked(&trusted.key) {
            return Err(TrustError::RevokedKey(shown(named)));
        }
        Ok(trusted)
    }

    /// The install-time verdict: is this package, with this signature, trusted at
    /// `required`? Checks, in order: revoked package, the signature names this package,
    /// this build verifies the scheme, the key is known and not revoked, the scheme matches the key, the key belongs to
    /// the manifest's publisher, the tier is allowed, and the signature verifies.
    pub fn verify(
        &self,
        package: &Package,
        signature: Option<&SignatureFile>,
        required: TierRequirement,
        now_ms: u64,
    ) -> Result<Verified, TrustError> {
        self.verify_digest(
            &package.digest(),
            &package.manifest().publisher,
            signature,
            required,
            now_ms,
        )
    }

    /// [`TrustStore::verify`] for a digest and publisher already known.
    pub fn verify_digest(
        &self,
        digest: &PackageDigest,
        publisher: &str,
        signature: Option<&SignatureFile>,
        required: TierRequirement,
        now_ms: u64,
    ) -> Result<Verified, TrustError> {
        let digest = *digest;
        if self.revoked_packages.contains(&digest) {
            return Err(TrustError::RevokedPackage(digest));
        }
        let sig = signature.ok_or(TrustError::Unsigned(digest))?;
        if sig.digest != digest {
            return Err(TrustError::DigestMismatch {
                signed: sig.digest,
                actual: digest,
            });
        }
        // A scheme this build cannot verify is refused by name, before any key lookup
        // could call it an unknown key.
        sig.scheme.ensure_built()?;
        #[cfg(feature = "sigstore")]
        if sig.scheme == Scheme::Sigstore
            && crate::signature::sigstore::is_keyless_bundle(&sig.signature)
        {
            return self.verify_keyless(&digest, publisher, sig, required);
        }
        let trusted = self.live_key(&sig.key)?;
        if trusted.key.scheme() != sig.scheme {
            return Err(TrustError::SchemeMismatch {
                scheme: sig.scheme,
                key: sig.key.clone(),
            });
        }
        if trusted.publisher != publisher {
            return Err(TrustError::PublisherMismatch {
                key: sig.key.clone(),
                key_publisher: trusted.publisher.clone(),
                manifest_publisher: shown(publisher),
            });
        }
        if !required.allows(trusted.tier) {
            return Err(TrustError::TierNotAllowed {
                key: sig.key.clone(),
                tier: trusted.tier,
                required,
            });
        }
        trusted.key.verify(&digest, &sig.signature, now_ms)?;
        Ok(Verified {
            digest,
            key: sig.key.clone(),
            publisher: trusted.publisher.clone(),
            tier: trusted.tier,
            scheme: sig.scheme,
        })
    }

    /// A keyless bundle: the keyless publisher the signature file names (its certificate
    /// identity), or, when it names none known, each keyless publisher of the manifest's
    /// publisher in turn; verified against the store's trusted root.
    #[cfg(feature = "sigstore")]
    fn verify_keyless(
        &self,
        digest: &PackageDigest,
        publisher: &str,
        sig: &SignatureFile,
        required: TierRequirement,
    ) -> Result<Verified, TrustError> {
        let candidates: Vec<(&String, &TrustedKey)> = match self.keys.get_key_value(&sig.key) {
            Some((name, k)) if k.key.is_keyless() => vec![(name, k)],
            Some(_) => {
                return Err(TrustError::Signature(SignatureError::KeylessUnsupported));
            }
            None => self
                .keys
                .iter()
                .filter(|(_, k)| k.key.is_keyless() && k.publisher == publisher)
                .collect(),
        };
        if candidates.is_empty() {
            return Err(TrustError::UnknownKey(format!(
                "{} (a keyless sigstore bundle, and publisher `{}` has no sigstore_identity entry)",
                shown(&sig.key),
                shown(publisher)
            )));
        }
        let root = self.sigstore_root.as_ref().ok_or_else(|| {
            TrustError::Signature(SignatureError::Keyless(
                crate::signature::sigstore::KeylessError::TrustedRoot(format!(
                    "the trust store's [sigstore] trusted_root ({}) was not loaded",
                    self.sigstore_root_path
                        .as_deref()
                        .map_or_else(|| "not configured".into(), shown)
                )),
            ))
        })?;
        let payload = digest.signing_payload();
        let mut first_error = None;
        for (name, trusted) in &candidates {
            let PublicKey::SigstoreKeyless(identity) = &trusted.key else {
                continue;
            };
            if self.is_revoked(&trusted.key) {
                return Err(TrustError::RevokedKey((*name).clone()));
            }
            if trusted.publisher != publisher {
                return Err(TrustError::PublisherMismatch {
                    key: (*name).clone(),
                    key_publisher: trusted.publisher.clone(),
                    manifest_publisher: shown(publisher),
                });
            }
            if !required.allows(trusted.tier) {
                return Err(TrustError::TierNotAllowed {
                    key: (*name).clone(),
                    tier: trusted.tier,
                    required,
                });
            }
            match crate::signature::sigstore::verify_keyless(
                &payload,
                &sig.signature,
                root,
                identity,
            ) {
                Ok(_) => {
                    return Ok(Verified {
                        digest: *digest,
                        key: (*name).clone(),
                        publisher: trusted.publisher.clone(),
                        tier: trusted.tier,
                        scheme: Scheme::Sigstore,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(TrustError::Signature(SignatureError::Keyless(
            first_error.unwrap_or(crate::signature::sigstore::KeylessError::NoTime(
                String::new(),
            )),
        )))
    }

    /// The before-every-start check of an installed plugin: its digest and key are not
    /// revoked, the key is still in the store, for the same publisher, at a tier the
    /// current requirement allows. The caller also confirms the files on disk still hash
    /// to `verified.digest`.
    pub fn recheck(
        &self,
        verified: &Verified,
        required: TierRequirement,
    ) -> Result<(), TrustError> {
        if self.revoked_packages.contains(&verified.digest) {
            return Err(TrustError::RevokedPackage(verified.digest));
        }
        let trusted = self.live_key(&verified.key)?;
        if trusted.publisher != verified.publisher {
            return Err(TrustError::PublisherMismatch {
                key: verified.key.clone(),
                key_publisher: trusted.publisher.clone(),
                manifest_publisher: verified.publisher.clone(),
            });
        }
        if !required.allows(trusted.tier) {
            return Err(TrustError::TierNotAllowed {
                key: verified.key.clone(),
                tier: trusted.tier,
                required,
            });
        }
        Ok(())
    }
}

#[cfg(feature = "openpgp")]
fn openpgp_key(armored: &str) -> Result<PublicKey, SignatureError> {
    OpenPgpCert::parse(armored.as_bytes()).map(|c| PublicKey::Openpgp(Box::new(c)))
}

#[cfg(not(feature = "openpgp"))]
fn openpgp_key(_: &str) -> Result<PublicKey, SignatureError> {
    Err(SignatureError::SchemeNotBuilt {
        scheme: Scheme::Openpgp,
        feature: "openpgp",
    })
}

#[cfg(feature = "sigstore")]
fn keyless_key(identity: String, issuer: String) -> Result<PublicKey, SignatureError> {
    Ok(PublicKey::SigstoreKeyless(Box::new(KeylessIdentity {
        identity,
        issuer,
    })))
}

#[cfg(not(feature = "sigstore"))]
fn keyless_key(_: String, _: String) -> Result<PublicKey, SignatureError> {
    Err(SignatureError::SchemeNotBuilt {
        scheme: Scheme::Sigstore,
        feature: "sigstore",
    })
}

#[cfg(feature = "sigstore")]
fn sigstore_key(pem: &str) -> Result<PublicKey, SignatureError> {
    SigstoreKey::from_pem(pem).map(|k| PublicKey::Sigstore(Box::new(k)))
}

#[cfg(not(feature = "sigstore"))]
fn sigstore_key(_: &str) -> Result<PublicKey, SignatureError> {
    Err(SignatureError::SchemeNotBuilt {
        scheme: Scheme::Sigstore,
        feature: "sigstore",
    })
}

fn shown(s: &str) -> String {
    s.chars().take(100).flat_map(char::escape_debug).collect()
}
