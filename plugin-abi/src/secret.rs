//! Secret handles: how a plugin uses a credential it can never read.
//!
//! A plugin writes a [`SecretTemplate`] wherever the host accepts one (an outbound URL, a
//! header value). The template names secrets; the host's HTTP broker fills in their values
//! after every check, on the way out of the core. The values never enter the plugin's
//! process, its logs or any response it receives.

use serde::{Deserialize, Serialize};

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub enum Segment {
    /// Literal text, sent as is.
    Text(String),
    /// The value of the named secret (for example `SLACK_TOKEN`).
    Secret(String),
    /// Lower-case hex HMAC-SHA256 of the outgoing request body, keyed with the named
    /// secret: a signature header a plugin can add without holding the key.
    BodyHmacSha256Hex(String),
}

/// Text with secrets referenced by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(proptest_derive::Arbitrary))]
pub struct SecretTemplate(pub Vec<Segment>);

impl SecretTemplate {
    /// A template of plain text only.
    pub fn text(text: impl Into<String>) -> Self {
        Self(vec![Segment::Text(text.into())])
    }

    /// Appends literal text.
    pub fn and_text(mut self, text: impl Into<String>) -> Self {
        self.0.push(Segment::Text(text.into()));
        self
    }

    /// Appends the value of a secret.
    pub fn and_secret(mut self, name: impl Into<String>) -> Self {
        self.0.push(Segment::Secret(name.into()));
        self
    }

    /// Appends the body HMAC keyed with a secret.
    pub fn and_body_hmac(mut self, secret: impl Into<String>) -> Self {
        self.0.push(Segment::BodyHmacSha256Hex(secret.into()));
        self
    }

    /// Every secret the template names, in order, possibly repeated.
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|s| match s {
            Segment::Secret(n) | Segment::BodyHmacSha256Hex(n) => Some(n.as_str()),
            Segment::Text(_) => None,
        })
    }

    /// The template with every secret shown as `{secret:NAME}`: safe to log or audit.
    pub fn display_redacted(&self) -> String {
        let mut out = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Secret(n) => {
                    out.push_str("{secret:");
                    out.push_str(n);
                    out.push('}');
                }
                Segment::BodyHmacSha256Hex(n) => {
                    out.push_str("{hmac-sha256:");
                    out.push_str(n);
                    out.push('}');
                }
            }
        }
        out
    }

    /// The literal text if the template names no secret.
    pub fn as_plain_text(&self) -> Option<String> {
        let mut out = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Text(t) => out.push_str(t),
                _ => return None,
            }
        }
        Some(out)
    }
}

impl From<&str> for SecretTemplate {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_display_names_secrets_but_never_holds_values() {
        let t = SecretTemplate::text("Bearer ").and_secret("SLACK_TOKEN");
        assert_eq!(t.display_redacted(), "Bearer {secret:SLACK_TOKEN}");
        assert_eq!(t.secret_names().collect::<Vec<_>>(), vec!["SLACK_TOKEN"]);
        assert_eq!(t.as_plain_text(), None);
    }
}
