//! Keyed pseudonymous tokens: the same value in the same tenant always gives the same token,
//! so plugins can correlate records ("the same fax number as yesterday") without learning
//! the value; another tenant, or anyone without the core's key, cannot link or reverse them.

use std::fmt;

use ring::hmac;

use crate::PhiKind;

/// The label under which the core's key material derives the pseudonym key
/// (`KeyMaterial::derive(PSEUDONYM_KEY_LABEL)` in the host).
pub const PSEUDONYM_KEY_LABEL: &str = "faxbot pseudonyms v1";

/// Hex digits of the HMAC kept in a token: 48 bits, so a tenant needs about 16 million
/// distinct values of one kind before two are likely to share a token.
pub const TOKEN_HEX_LEN: usize = 12;

/// The secret behind every token: an HMAC-SHA256 key, from which one key per tenant is
/// derived. Its bytes never appear in `Debug` output.
pub struct PseudonymKey {
    master: hmac::Key,
}

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

impl PseudonymKey {
    /// A key from 32 secret bytes (derived from the core's key material, never a constant
    /// outside tests).
    pub fn new(secret: [u8; 32]) -> Self {
        PseudonymKey {
            master: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    fn tenant_key(&self, tenant: Option<&str>) -> hmac::Key {
        let mut ctx = hmac::Context::with_key(&self.master);
        match tenant {
            // Length-prefixed so no tenant id can collide with another's or with "none".
            Some(t) => {
                ctx.update(b"tenant\0");
                ctx.update(&(t.len() as u64).to_be_bytes());
                ctx.update(t.as_bytes());
            }
            None => ctx.update(b"no tenant\0"),
        }
        hmac::Key::new(hmac::HMAC_SHA256, ctx.sign().as_ref())
    }

    /// The token for `value` of `kind` in `tenant`: `tok_` and [`TOKEN_HEX_LEN`] hex digits.
    /// The value is normalised first, so `(555) 867-5309` and `555.867.5309` share a token.
    pub fn token(&self, tenant: Option<&str>, kind: PhiKind, value: &str) -> String {
        let key = self.tenant_key(tenant);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(kind.label().as_bytes());
        ctx.update(b"\0");
        ctx.update(normalise(kind, value).as_bytes());
        let tag = ctx.sign();
        let mut out = String::with_capacity(4 + TOKEN_HEX_LEN);
        out.push_str("tok_");
        for b in &tag.as_ref()[..TOKEN_HEX_LEN / 2] {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The canonical form of a value, so formatting differences do not split one identity into
/// several tokens.
fn normalise(kind: PhiKind, value: &str) -> String {
    let v = value.trim();
    match kind {
        PhiKind::Phone | PhiKind::Fax => {
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            // +1 555 867 5309 and 555-867-5309 are one number.
            match digits.strip_prefix('1') {
                Some(rest) if digits.len() == 11 => rest.to_owned(),
                _ => digits,
            }
        }
        PhiKind::Ssn
        | PhiKind::Mrn
        | PhiKind::HealthPlan
        | PhiKind::Account
        | PhiKind::License
        | PhiKind::Zip
        | PhiKind::Vehicle
        | PhiKind::Device
        | PhiKind::Id
        | PhiKind::Age => v
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        PhiKind::Email | PhiKind::Url | PhiKind::Ip => v.to_lowercase(),
        PhiKind::Name | PhiKind::Address | PhiKind::Date => v
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_tenant_and_normalised_value() {
        let key = PseudonymKey::new([7; 32]);
        let a = key.token(Some("clinic-1"), PhiKind::Phone, "(555) 867-5309");
        let b = key.token(Some("clinic-1"), PhiKind::Phone, "+1 555.867.5309");
        assert_eq!(a, b);
        assert!(a.starts_with("tok_") && a.len() == 4 + TOKEN_HEX_LEN, "{a}");
        assert_ne!(
            a,
            key.token(Some("clinic-2"), PhiKind::Phone, "555-867-5309")
        );
        assert_ne!(a, key.token(None, PhiKind::Phone, "555-867-5309"));
        assert_ne!(a, key.token(Some("clinic-1"), PhiKind::Fax, "555-867-5309"));
        let other = PseudonymKey::new([8; 32]);
        assert_ne!(
            a,
            other.token(Some("clinic-1"), PhiKind::Phone, "555-867-5309")
        );
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        assert_eq!(
            format!("{:?}", PseudonymKey::new([7; 32])),
            "PseudonymKey(<redacted>)"
        );
    }
}
