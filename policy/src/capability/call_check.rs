//! The one check of a plugin call against its grants: each ABI method is mapped to the
//! actions it needs (`http.fetch` needs each secret it names and the egress rule for its
//! destination; `kv.put` needs a quota holding the total after the write, ...) and each
//! action is decided by [`check`] at `now_ms`.
//!
//! The supervisor's `GrantCheck`, the examples' test host and `cargo faxbot test` all call
//! this function, so what a plugin author tests is what the host enforces.

use super::{Action, CapabilityKind, Denial, DenialRule, Grants, check};
use crate::egress::NormalizedUrl;
use faxbot_plugin_abi::methods::{
    EmitEvent, FaxJobStatus, HttpFetch, KvDelete, KvGet, KvList, KvPut, Log, Metric,
};
use faxbot_plugin_abi::{Envelope, Method};

/// The capability a plugin-to-host method needs; `None` for `log.write` and
/// `metric.record` (no grant needed) and for methods no capability covers.
pub fn method_capability(method: &str) -> Option<CapabilityKind> {
    match method {
        m if m == KvGet::NAME || m == KvList::NAME || m == KvDelete::NAME || m == KvPut::NAME => {
            Some(CapabilityKind::KvQuota)
        }
        m if m == EmitEvent::NAME => Some(CapabilityKind::Emit),
        m if m == FaxJobStatus::NAME => Some(CapabilityKind::FaxJobStatus),
        m if m == HttpFetch::NAME => Some(CapabilityKind::Egress),
        _ => None,
    }
}

/// Checks one plugin call against `grants` at `now_ms`. `kv_total_after(key, len)` is the
/// number of bytes the plugin's kv data would hold after writing `len` bytes at `key`
/// (the host's kv store knows; the quota needs it). A [`Denial`] names the capability and
/// the rule, never a request value (paths, queries, keys and topics may carry
/// identifiers).
pub fn check_call(
    grants: &Grants,
    call: &Envelope,
    now_ms: u64,
    kv_total_after: &dyn Fn(&str, usize) -> u64,
) -> Result<(), Denial> {
    let decide = |action: Action<'_>| check(grants, &action, now_ms).into_result();
    let undecodable = |_: faxbot_plugin_abi::DecodeError| Denial {
        capability: method_capability(&call.method),
        rule: DenialRule::Undecodable,
    };
    match call.method.as_str() {
        m if m == Log::NAME || m == Metric::NAME => Ok(()),
        m if m == KvGet::NAME || m == KvList::NAME || m == KvDelete::NAME => decide(Action::KvRead),
        m if m == KvPut::NAME => {
            let put = call.decode_request::<KvPut>().map_err(undecodable)?;
            decide(Action::KvWrite {
                total_bytes_after: kv_total_after(&put.key, put.value.len()),
            })
        }
        m if m == EmitEvent::NAME => {
            let emit = call.decode_request::<EmitEvent>().map_err(undecodable)?;
            decide(Action::EmitEvent { topic: &emit.topic })
        }
        m if m == FaxJobStatus::NAME => decide(Action::FaxJobStatus),
        m if m == HttpFetch::NAME => {
            let request = call.decode_request::<HttpFetch>().map_err(undecodable)?;
            let names = request
                .url
                .secret_names()
                .chain(request.headers.iter().flat_map(|h| h.value.secret_names()));
            for name in names {
                decide(Action::UseSecret { name })?;
            }
            // The destination is checked with secrets as placeholders: a secret value can
            // never steer where the request goes.
            let url = NormalizedUrl::parse_template(&request.url).map_err(|problem| {
                Denial::new(CapabilityKind::Egress, DenialRule::url_refused(problem))
            })?;
            decide(Action::Egress { url: &url })
        }
        _ => Err(Denial {
            capability: None,
            rule: DenialRule::NoCapabilityCovers,
        }),
    }
}
