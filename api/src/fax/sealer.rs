//! Small values sealed at rest (fax numbers, secrets): AES-256-GCM under a key the daemon
//! derives from the core's key material, a fresh nonce each time, the value's purpose as
//! associated data so a sealed number cannot be replayed as a secret.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// Seals and opens small values.
pub struct Sealer {
    key: LessSafeKey,
    random: SystemRandom,
}

impl Sealer {
    /// A sealer under `key`.
    pub fn new(key: [u8; 32]) -> Option<Self> {
        Some(Self {
            key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).ok()?),
            random: SystemRandom::new(),
        })
    }

    /// `value` sealed for `purpose`, as hex.
    pub fn seal(&self, purpose: &str, value: &[u8]) -> Option<String> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = value.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut sealed,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(hex::encode(out))
    }

    /// The value sealed for `purpose`, or `None` when it does not open.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let raw = hex::decode(sealed).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let mut body = body.to_vec();
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut body,
            )
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_and_key() {
        let sealer = Sealer::new([3; 32]).expect("sealer");
        let sealed = sealer.seal("fax:remote", b"+15551230001").expect("sealed");
        assert!(!sealed.contains("5551230001"));
        assert_eq!(
            sealer.open("fax:remote", &sealed).as_deref(),
            Some(&b"+15551230001"[..])
        );
        assert_eq!(sealer.open("secret:x", &sealed), None);
        assert_eq!(
            Sealer::new([4; 32])
                .expect("other")
                .open("fax:remote", &sealed),
            None
        );
    }
}
