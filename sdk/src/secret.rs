//! Secret handles and the templates they are used in. A plugin names a secret; the host's
//! HTTP broker fills in its value on the way out, so the value never enters the plugin.

use faxbot_plugin_abi::secret::{SecretTemplate, Segment};
use std::fmt;

/// A granted secret, by name. It holds no value and cannot reveal one: its only use is in a
/// [`Template`]. Obtain it with [`crate::Ctx::secret`], which checks the grant.
///
/// ```no_run
/// # fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// let token = ctx.secret("SLACK_WEBHOOK_PATH")?;
/// assert_eq!(token.name(), "SLACK_WEBHOOK_PATH");
/// assert_eq!(format!("{token:?}"), "Secret(SLACK_WEBHOOK_PATH)");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    name: String,
}

impl Secret {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }

    /// The secret's name (not its value: the plugin never has that).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.name)
    }
}

/// Text with secrets referenced by name: an outbound URL or header value.
///
/// ```
/// use faxbot_sdk::Template;
///
/// let url = Template::text("https://hooks.example.com/");
/// assert_eq!(url.to_string(), "https://hooks.example.com/");
/// ```
///
/// With a secret handle (from [`crate::Ctx::secret`]) the secret shows by name only:
///
/// ```no_run
/// # fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// use faxbot_sdk::Template;
/// let key = ctx.secret("RELAY_KEY")?;
/// let auth = Template::text("Bearer ").secret(&key);
/// assert_eq!(auth.to_string(), "Bearer {secret:RELAY_KEY}");
/// let signature = Template::text("sha256=").body_hmac_sha256(&key);
/// assert_eq!(signature.to_string(), "sha256={hmac-sha256:RELAY_KEY}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template(SecretTemplate);

impl Template {
    /// Literal text.
    pub fn text(text: impl Into<String>) -> Self {
        Self(SecretTemplate::text(text))
    }

    /// The template followed by literal text.
    pub fn and_text(self, text: impl Into<String>) -> Self {
        Self(self.0.and_text(text))
    }

    /// The template followed by the value of `secret` (filled in by the host).
    pub fn secret(self, secret: &Secret) -> Self {
        Self(self.0.and_secret(secret.name.clone()))
    }

    /// The template followed by the lower-case hex HMAC-SHA256 of the outgoing request
    /// body, keyed with `secret` (computed by the host): a signature header the plugin can
    /// add without ever holding the key.
    pub fn body_hmac_sha256(self, secret: &Secret) -> Self {
        Self(self.0.and_body_hmac(secret.name.clone()))
    }

    /// The names of the secrets the template uses.
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.0.secret_names()
    }

    pub(crate) fn into_wire(self) -> SecretTemplate {
        self.0
    }

    pub(crate) fn segments(&self) -> &[Segment] {
        &self.0.0
    }
}

impl fmt::Display for Template {
    /// The template with each secret shown as `{secret:NAME}`: safe to log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.display_redacted())
    }
}

impl From<&str> for Template {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for Template {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}
