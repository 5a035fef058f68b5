//! Which policy action a plugin call is, so `faxbot_policy::capability::check` can decide it.

use faxbot_plugin_abi::Envelope;
use faxbot_plugin_abi::methods::{
    EmitEvent, HttpFetch, KvDelete, KvGet, KvList, KvPut, Log, Metric,
};
use faxbot_plugin_abi::{Method, methods::FaxJobStatus};
use faxbot_policy::capability::{Action, Decision, Grants, check};
use faxbot_policy::egress::NormalizedUrl;

/// Decides one call; `kv_bytes_after` is what a `kv.put` would bring the plugin's store to.
pub(crate) fn permits(
    grants: &Grants,
    call: &Envelope,
    kv_bytes_after: impl Fn(&str, usize) -> u64,
) -> Result<(), String> {
    let decide = |action: Action<'_>| match check(grants, &action, now_ms()) {
        Decision::Allow => Ok(()),
        Decision::Deny(denial) => Err(denial.to_string()),
    };
    let undecodable = |e: faxbot_plugin_abi::DecodeError| format!("{}: {e}", call.method);
    match call.method.as_str() {
        Log::NAME | Metric::NAME => Ok(()),
        KvGet::NAME | KvList::NAME | KvDelete::NAME => decide(Action::KvRead),
        KvPut::NAME => {
            let put = call.decode_request::<KvPut>().map_err(undecodable)?;
            decide(Action::KvWrite {
                total_bytes_after: kv_bytes_after(&put.key, put.value.len()),
            })
        }
        EmitEvent::NAME => {
            let emit = call.decode_request::<EmitEvent>().map_err(undecodable)?;
            decide(Action::EmitEvent { topic: &emit.topic })
        }
        FaxJobStatus::NAME => decide(Action::FaxJobStatus),
        HttpFetch::NAME => {
            let fetch = call.decode_request::<HttpFetch>().map_err(undecodable)?;
            let url = NormalizedUrl::parse(&fetch.url.display_redacted())
                .map_err(|e| format!("http.egress denied: {e}"))?;
            decide(Action::Egress { url: &url })?;
            for name in fetch
                .url
                .secret_names()
                .chain(fetch.headers.iter().flat_map(|h| h.value.secret_names()))
            {
                decide(Action::UseSecret { name })?;
            }
            Ok(())
        }
        other => Err(format!("{other} is not a capability")),
    }
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
