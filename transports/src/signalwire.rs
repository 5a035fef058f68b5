//! SignalWire's compatibility (Twilio-style) Fax API: HTTP Basic with the project id and API
//! token, `MediaUrl` pointing at the daemon's tokenised document URL, callbacks signed with
//! `X-SignalWire-Signature` (or `X-Twilio-Signature`): for form callbacks base64 HMAC-SHA1,
//! keyed with the project's signing key, over the URL followed by every parameter sorted by
//! name as name+value; for JSON callbacks hex HMAC-SHA1 over the URL followed by the raw body.

use crate::callback::{CallbackEvent, CallbackKind, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::http::{self, Timeouts};
use crate::multipart;
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use base64::Engine;
use ring::hmac;

const NAME: &str = "signalwire";

/// Every documented SignalWire fax status, mapped.
pub fn map_status(status: &str) -> Option<FaxStatus> {
    Some(match status {
        "queued" | "processing" => FaxStatus::Queued,
        "sending" | "receiving" => FaxStatus::Sending,
        "delivered" => FaxStatus::Delivered,
        "received" => FaxStatus::Received,
        "no-answer" | "busy" | "failed" => FaxStatus::Failed,
        "canceled" => FaxStatus::Cancelled,
        _ => return None,
    })
}

/// Settings and credentials.
#[derive(Clone)]
pub struct SignalWireConfig {
    /// API base: `https://<space>.signalwire.com/api/laml/2010-04-01`.
    pub base_url: String,
    /// The project id (Basic auth user, and the account in paths).
    pub project_id: String,
    /// The API token (Basic auth password).
    pub api_token: String,
    /// The signing key callbacks are verified with.
    pub signing_key: String,
    /// The sending number.
    pub from: String,
    /// Time limits.
    pub timeouts: Timeouts,
}

/// The SignalWire transport.
pub struct SignalWire {
    config: SignalWireConfig,
    base: url::Url,
    client: reqwest::Client,
}

impl SignalWire {
    /// A transport for `config`.
    pub fn new(config: SignalWireConfig) -> Result<Self, String> {
        let base = http::base_url(NAME, &config.base_url)?;
        if config.project_id.is_empty() || config.api_token.is_empty() {
            return Err("signalwire: project_id and api_token are required".into());
        }
        let client = http::client(config.timeouts)?;
        Ok(Self {
            config,
            base,
            client,
        })
    }

    fn faxes(&self, rest: &[&str]) -> url::Url {
        let mut segments = vec!["Accounts", self.config.project_id.as_str()];
        segments.extend_from_slice(rest);
        http::endpoint(&self.base, &segments)
    }

    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(&self.config.project_id, Some(&self.config.api_token))
    }

    async fn do_send(&self, request: &SendRequest) -> Result<Sent, SendError> {
        let media_url = request
            .document
            .url
            .clone()
            .ok_or_else(|| SendError::NotConfigured {
                provider: NAME,
                reason: "SignalWire fetches the document: public_url must be set".into(),
            })?;
        let mut form = vec![
            ("To", request.to.as_str().to_owned()),
            ("From", self.config.from.clone()),
            ("MediaUrl", media_url),
        ];
        if let Some(callback) = &request.callback_url {
            form.push(("StatusCallback", callback.clone()));
        }
        let answer = http::exchange(
            self.authed(self.client.post(self.faxes(&["Faxes.json"])))
                .form(&form),
        )
        .await
        .map_err(|e| http::send_failure(NAME, &e))?;
        match answer.status {
            200..=299 => {
                let uncertain = |reason: &str| SendError::Uncertain {
                    provider: NAME,
                    reason: reason.into(),
                };
                let json = answer
                    .json()
                    .map_err(|_| uncertain("the acceptance is not JSON"))?;
                let sid = json["sid"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| uncertain("no sid in the acceptance"))?;
                let status = json["status"]
                    .as_str()
                    .and_then(map_status)
                    .unwrap_or(FaxStatus::Queued);
                Ok(Sent {
                    provider_id: sid.to_owned(),
                    status,
                })
            }
            // The compatibility API refuses invalid requests with a 4xx before queueing.
            400..=499 => Err(SendError::Refused {
                provider: NAME,
                reason: format!("HTTP {}", answer.status),
            }),
            other => Err(SendError::Uncertain {
                provider: NAME,
                reason: format!("HTTP {other}"),
            }),
        }
    }

    async fn do_status(&self, sid: &str) -> Result<StatusReport, TransportError> {
        let file = format!("{sid}.json");
        let answer = http::exchange(self.authed(self.client.get(self.faxes(&["Faxes", &file]))))
            .await
            .map_err(|e| http::call_failure(NAME, "status", &e))?;
        if !(200..300).contains(&answer.status) {
            return Err(http::status_failure(NAME, "status", answer.status));
        }
        let malformed = |reason: &str| TransportError::Malformed {
            provider: NAME,
            step: "status",
            reason: reason.into(),
        };
        let json = answer.json().map_err(|_| malformed("not JSON"))?;
        let status = json["status"]
            .as_str()
            .and_then(map_status)
            .ok_or_else(|| malformed("no documented status"))?;
        Ok(StatusReport {
            provider_id: sid.to_owned(),
            status,
            pages: json["num_pages"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok()),
            failure: failure_class(status, json["status"].as_str()),
        })
    }

    async fn do_cancel(&self, sid: &str) -> Result<(), TransportError> {
        let file = format!("{sid}.json");
        let answer = http::exchange(
            self.authed(self.client.post(self.faxes(&["Faxes", &file])))
                .form(&[("Status", "canceled")]),
        )
        .await
        .map_err(|e| http::call_failure(NAME, "cancel", &e))?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(http::status_failure(NAME, "cancel", answer.status))
        }
    }

    async fn do_health(&self) -> Result<Health, TransportError> {
        let answer = http::exchange(
            self.authed(self.client.get(self.faxes(&["Faxes.json"])))
                .query(&[("PageSize", "1")]),
        )
        .await
        .map_err(|e| http::call_failure(NAME, "health", &e))?;
        Ok(match answer.status {
            200..=299 => Health::Ok,
            401 | 403 => Health::Degraded("the project id or API token was refused".into()),
            other => Health::Degraded(format!("listing faxes answered HTTP {other}")),
        })
    }

    async fn do_callback(
        &self,
        request: &CallbackRequest,
    ) -> Result<Vec<CallbackEvent>, CallbackError> {
        if self.config.signing_key.is_empty() {
            return Err(CallbackError::NoSecret {
                provider: NAME,
                secret: "signing_key",
            });
        }
        let signature = request
            .header("x-signalwire-signature")
            .or_else(|| request.header("x-twilio-signature"))
            .ok_or(CallbackError::MissingSignature {
                provider: NAME,
                header: "X-SignalWire-Signature",
            })?
            .trim()
            .to_owned();
        let malformed = |reason: String| CallbackError::Malformed {
            provider: NAME,
            reason,
        };
        if request.media_type() == "application/json" {
            let ok = url_variants(&request.url).iter().any(|url| {
                http::constant_time_eq(
                    json_signature(&self.config.signing_key, url, &request.body).as_bytes(),
                    signature.to_ascii_lowercase().as_bytes(),
                )
            });
            if !ok {
                return Err(CallbackError::BadSignature { provider: NAME });
            }
            let json: serde_json::Value =
                serde_json::from_slice(&request.body).map_err(|_| malformed("not JSON".into()))?;
            let get = |a: &str, b: &str| {
                json[a]
                    .as_str()
                    .or_else(|| json[b].as_str())
                    .map(str::to_owned)
            };
            let fields = vec![
                (
                    "FaxSid".to_owned(),
                    get("FaxSid", "fax_sid").unwrap_or_default(),
                ),
                (
                    "FaxStatus".to_owned(),
                    get("FaxStatus", "status").unwrap_or_default(),
                ),
                (
                    "NumPages".to_owned(),
                    get("NumPages", "num_pages").unwrap_or_default(),
                ),
                ("From".to_owned(), get("From", "from").unwrap_or_default()),
                ("To".to_owned(), get("To", "to").unwrap_or_default()),
                (
                    "ErrorCode".to_owned(),
                    get("ErrorCode", "error_code").unwrap_or_default(),
                ),
            ];
            return parse(&fields).map(|e| vec![e]);
        }
        let form = multipart::urlencoded(&request.body).map_err(malformed)?;
        let ok = url_variants(&request.url).iter().any(|url| {
            http::constant_time_eq(
                form_signature(&self.config.signing_key, url, &form.fields).as_bytes(),
                signature.as_bytes(),
            )
        });
        if !ok {
            return Err(CallbackError::BadSignature { provider: NAME });
        }
        parse(&form.fields).map(|e| vec![e])
    }
}

fn failure_class(status: FaxStatus, provider_status: Option<&str>) -> Option<String> {
    (status == FaxStatus::Failed).then(|| match provider_status {
        Some("busy") => "busy".to_owned(),
        Some("no-answer") => "no_answer".to_owned(),
        _ => "failed".to_owned(),
    })
}

fn parse(fields: &[(String, String)]) -> Result<CallbackEvent, CallbackError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let malformed = |reason: &str| CallbackError::Malformed {
        provider: NAME,
        reason: reason.into(),
    };
    let sid = field("FaxSid").ok_or_else(|| malformed("no FaxSid"))?;
    let status_text = field("FaxStatus").ok_or_else(|| malformed("no FaxStatus"))?;
    let status = map_status(status_text).ok_or_else(|| malformed("an undocumented FaxStatus"))?;
    let pages = field("NumPages").and_then(|n| n.parse().ok());
    if status == FaxStatus::Received {
        return Ok(CallbackEvent {
            kind: CallbackKind::Inbound,
            pages,
            from: field("From").map(str::to_owned),
            to: field("To").map(str::to_owned),
            ..CallbackEvent::status(sid, status)
        });
    }
    Ok(CallbackEvent {
        pages,
        failure: failure_class(status, Some(status_text)),
        ..CallbackEvent::status(sid, status)
    })
}

/// The URL as given and with the scheme's default port added or removed: validators try
/// both, since a proxy may add or drop it.
fn url_variants(text: &str) -> Vec<String> {
    let mut out = vec![text.to_owned()];
    let Ok(url) = url::Url::parse(text) else {
        return out;
    };
    let default = match url.scheme() {
        "https" => 443,
        "http" => 80,
        _ => return out,
    };
    // The parser drops a default port, so `url` is the form without it.
    if url.port().is_none() {
        let without = url.to_string();
        if let Some(host) = url.host_str() {
            let authority = format!("{}://{host}", url.scheme());
            if let Some(rest) = without.strip_prefix(&authority) {
                out.push(format!("{authority}:{default}{rest}"));
            }
        }
        out.push(without);
    }
    out.dedup();
    out
}

/// Base64 HMAC-SHA1 of `url` and the parameters sorted by name, each as name+value.
pub fn form_signature(key: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut signed = url.to_owned();
    for (name, value) in sorted {
        signed.push_str(name);
        signed.push_str(value);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, signed.as_bytes()).as_ref())
}

/// Hex HMAC-SHA1 of `url` followed by the raw JSON body.
pub fn json_signature(key: &str, url: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(url.as_bytes());
    context.update(body);
    hex::encode(context.sign().as_ref())
}

impl FaxTransport for SignalWire {
    fn name(&self) -> &'static str {
        NAME
    }
    fn send<'a>(&'a self, request: &'a SendRequest) -> BoxFuture<'a, Result<Sent, SendError>> {
        Box::pin(self.do_send(request))
    }
    fn status<'a>(
        &'a self,
        provider_id: &'a str,
    ) -> BoxFuture<'a, Result<StatusReport, TransportError>> {
        Box::pin(self.do_status(provider_id))
    }
    fn cancel<'a>(&'a self, provider_id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        Box::pin(self.do_cancel(provider_id))
    }
    fn callback<'a>(
        &'a self,
        request: &'a CallbackRequest,
    ) -> BoxFuture<'a, Result<Vec<CallbackEvent>, CallbackError>> {
        Box::pin(self.do_callback(request))
    }
    fn health(&self) -> BoxFuture<'_, Result<Health, TransportError>> {
        Box::pin(self.do_health())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_signature_matches_the_vector_computed_from_signalwires_documentation() {
        let params = vec![
            ("FaxSid".to_owned(), "fx-1".to_owned()),
            ("FaxStatus".to_owned(), "delivered".to_owned()),
            ("NumPages".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            form_signature(
                "test-signing-key",
                "https://fax.example.test/signalwire-callback?job_id=job123",
                &params
            ),
            "uMPM4QgzeKN5MvFgxRCZ0ikWdSg="
        );
    }

    #[test]
    fn every_documented_status_is_mapped_and_nothing_else() {
        for status in [
            "queued",
            "processing",
            "sending",
            "delivered",
            "receiving",
            "received",
            "no-answer",
            "busy",
            "failed",
            "canceled",
        ] {
            assert!(map_status(status).is_some(), "{status}");
        }
        assert_eq!(map_status("success"), None);
    }

    #[test]
    fn the_default_port_is_tried_both_ways() {
        let v = url_variants("https://fax.example.test/cb?x=1");
        assert!(
            v.contains(&"https://fax.example.test:443/cb?x=1".to_owned()),
            "{v:?}"
        );
        let v = url_variants("https://fax.example.test:443/cb");
        assert!(
            v.contains(&"https://fax.example.test/cb".to_owned()),
            "{v:?}"
        );
    }
}
