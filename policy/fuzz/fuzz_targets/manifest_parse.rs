//! Arbitrary bytes as `faxbot-plugin.toml`: the parser must return a manifest or a list of
//! problems, never panic. Accepted manifests must survive every derived use: the
//! capability list, grants, the ABI form, risk text and config validation with defaults.
#![no_main]

use faxbot_policy::capability::Grants;
use faxbot_policy::manifest::{Manifest, ResourceCeilings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Manifest::parse_bytes(data, &ResourceCeilings::default()) else {
        return;
    };
    let requested = m.capabilities.to_capabilities();
    for c in &requested {
        let _ = c.risk_summary(&m.id);
        assert!(c.is_covered_by(c), "a capability must cover itself: {c}");
    }
    let grants = Grants::approve_all(m.id.clone(), m.version.clone(), requested, None);
    let _ = grants.to_abi(0);
    for rule in &m.capabilities.egress {
        let again = faxbot_policy::egress::EgressRule::parse(&rule.to_string());
        assert_eq!(again.as_ref(), Ok(rule), "egress rules must round-trip");
    }
    let _ = m.config.validate(&[]);
});
