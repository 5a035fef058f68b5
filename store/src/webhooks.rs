//! The platform's outbound webhooks: an admin-subscribed HTTPS endpoint and the core event
//! topics it receives. The signing secret is not here: it is sealed in the secret store.

use crate::Result;

/// One webhook subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRecord {
    /// `wh_…`.
    pub id: String,
    /// Only this tenant's events (`None`: every tenant; platform keys only).
    pub tenant_id: Option<String>,
    /// The HTTPS endpoint.
    pub url: String,
    /// Topic patterns (`fax.job.*`).
    pub events: Vec<String>,
    /// Created, ms.
    pub created_at_ms: u64,
}

/// The webhook side of the state store.
pub trait WebhookStore: Send + Sync {
    /// Stores a new subscription.
    fn create_webhook(&self, webhook: &WebhookRecord) -> Result<()>;
    /// Every subscription.
    fn webhooks(&self) -> Result<Vec<WebhookRecord>>;
    /// One subscription.
    fn webhook(&self, id: &str) -> Result<Option<WebhookRecord>>;
    /// Removes one (and the deliveries it is still owed); whether it existed.
    fn delete_webhook(&self, id: &str) -> Result<bool>;
}
