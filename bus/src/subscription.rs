//! A subscription: who receives which topics of which tenant.

use faxbot_plugin_abi::event::topic_matches;

/// One subscriber's interest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The subscriber (`plugin:<id>`, `webhook:<id>`).
    pub subscriber: String,
    /// Only this tenant's events (`None`: every tenant, a platform plugin or webhook).
    pub tenant: Option<String>,
    /// Topic patterns, as approved (`fax.job.*`).
    pub patterns: Vec<String>,
}

impl Subscription {
    /// The subscriber name of a plugin.
    pub fn plugin_subscriber(plugin_id: &str) -> String {
        format!("plugin:{plugin_id}")
    }

    /// Whether an event on `topic` of `tenant` is for this subscription.
    pub fn wants(&self, topic: &str, tenant: &str) -> bool {
        self.tenant.as_deref().is_none_or(|t| t == tenant)
            && self.patterns.iter().any(|p| topic_matches(p, topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_subscription_hears_only_its_tenant_and_its_topics() {
        let s = Subscription {
            subscriber: "plugin:a".into(),
            tenant: Some("t1".into()),
            patterns: vec!["fax.job.*".into()],
        };
        assert!(s.wants("fax.job.delivered", "t1"));
        assert!(!s.wants("fax.job.delivered", "t2"));
        assert!(!s.wants("plugin.lifecycle", "t1"));
        let platform = Subscription { tenant: None, ..s };
        assert!(platform.wants("fax.job.failed", "t2"));
    }
}
