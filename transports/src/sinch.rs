//! Sinch Fax API v3: OAuth2 client credentials (or HTTP Basic with key id and secret, which
//! Sinch offers for test accounts), the document as a multipart file part, callbacks in the
//! documented shapes (`event`, `eventTime`, `fax`, `file`; multipart or JSON). Sinch does not
//! sign callbacks: it offers credentials in the callback URL. The transport puts Basic
//! credentials derived from the key secret into every callback URL it hands Sinch, checks
//! them on arrival, and then confirms the fax by looking it up through the API: what the
//! callback claims is never taken on its word.

use crate::callback::{CallbackEvent, CallbackKind, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::http::{self, Timeouts};
use crate::multipart;
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use base64::Engine;
use ring::hmac;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const NAME: &str = "sinch";
/// The documented API base.
pub const DEFAULT_BASE_URL: &str = "https://fax.api.sinch.com/v3";
/// The documented OAuth2 token endpoint.
pub const DEFAULT_TOKEN_URL: &str = "https://auth.sinch.com/oauth2/token";
/// The user name in callback URLs.
pub const CALLBACK_USER: &str = "faxbot";

/// Every documented Sinch fax status, mapped.
pub fn map_status(status: &str) -> Option<FaxStatus> {
    Some(match status {
        "QUEUED" => FaxStatus::Queued,
        "IN_PROGRESS" => FaxStatus::Sending,
        "COMPLETED" => FaxStatus::Delivered,
        "FAILURE" => FaxStatus::Failed,
        _ => return None,
    })
}

/// The documented refusals of a create: nothing was sent.
pub fn is_refusal(status: u16) -> bool {
    matches!(status, 400 | 401 | 402 | 404 | 422 | 429)
}

/// How the transport authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinchAuth {
    /// OAuth2 client credentials (production).
    OAuth2,
    /// HTTP Basic with key id and secret (Sinch's test accounts).
    Basic,
}

/// Settings and credentials.
#[derive(Clone)]
pub struct SinchConfig {
    /// API base (`https://fax.api.sinch.com/v3`).
    pub base_url: String,
    /// OAuth2 token endpoint.
    pub token_url: String,
    /// The project.
    pub project_id: String,
    /// Access key id.
    pub key_id: String,
    /// Access key secret.
    pub key_secret: String,
    /// OAuth2 or Basic.
    pub auth: SinchAuth,
    /// Time limits.
    pub timeouts: Timeouts,
}

struct Token {
    value: String,
    expires: Instant,
}

/// The Sinch transport.
pub struct Sinch {
    config: SinchConfig,
    base: url::Url,
    token_url: url::Url,
    client: reqwest::Client,
    token: Mutex<Option<Token>>,
}

impl Sinch {
    /// A transport for `config`.
    pub fn new(config: SinchConfig) -> Result<Self, String> {
        let base = http::base_url(NAME, &config.base_url)?;
        let token_url = http::base_url(NAME, &config.token_url)?;
        if config.project_id.is_empty() || config.key_id.is_empty() || config.key_secret.is_empty()
        {
            return Err("sinch: project_id, key_id and key_secret are required".into());
        }
        let client = http::client(config.timeouts)?;
        Ok(Self {
            config,
            base,
            token_url,
            client,
            token: Mutex::new(None),
        })
    }

    /// The password of the Basic credentials put into callback URLs: derived from the key
    /// secret, so rotating the key rotates it.
    pub fn callback_password(&self) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.config.key_secret.as_bytes());
        hex::encode(&hmac::sign(&key, b"faxbot sinch callback v1").as_ref()[..16])
    }

    /// `url` with the callback credentials in its authority.
    pub fn callback_url_with_credentials(&self, url: &str) -> Result<String, String> {
        let mut url = url::Url::parse(url).map_err(|e| format!("callback url: {e}"))?;
        url.set_username(CALLBACK_USER)
            .and_then(|()| url.set_password(Some(&self.callback_password())))
            .map_err(|()| "callback url cannot carry credentials".to_owned())?;
        Ok(url.to_string())
    }

    fn faxes(&self, rest: &[&str]) -> url::Url {
        let mut segments = vec!["projects", self.config.project_id.as_str(), "faxes"];
        segments.extend_from_slice(rest);
        http::endpoint(&self.base, &segments)
    }

    async fn authed(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, TransportError> {
        match self.config.auth {
            SinchAuth::Basic => {
                Ok(request.basic_auth(&self.config.key_id, Some(&self.config.key_secret)))
            }
            SinchAuth::OAuth2 => Ok(request.bearer_auth(self.access_token().await?)),
        }
    }

    async fn access_token(&self) -> Result<String, TransportError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.expires > Instant::now()) {
            return Ok(token.value.clone());
        }
        let answer = http::exchange(
            self.client
                .post(self.token_url.clone())
                .basic_auth(&self.config.key_id, Some(&self.config.key_secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await
        .map_err(|e| http::call_failure(NAME, "oauth2 token", &e))?;
        if !(200..300).contains(&answer.status) {
            return Err(http::status_failure(NAME, "oauth2 token", answer.status));
        }
        let malformed = |reason: &str| TransportError::Malformed {
            provider: NAME,
            step: "oauth2 token",
            reason: reason.into(),
        };
        let json = answer.json().map_err(|_| malformed("not JSON"))?;
        let value = json["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("no access_token"))?
            .to_owned();
        let lifetime = json["expires_in"].as_u64().unwrap_or(3600);
        // Renew a minute early so a request never carries a token that expires in flight.
        let expires = Instant::now() + Duration::from_secs(lifetime.saturating_sub(60).max(1));
        *cached = Some(Token {
            value: value.clone(),
            expires,
        });
        Ok(value)
    }

    async fn do_send(&self, request: &SendRequest) -> Result<Sent, SendError> {
        let part = reqwest::multipart::Part::bytes(request.document.bytes.to_vec())
            .file_name("fax.pdf")
            .mime_str("application/pdf")
            .map_err(|_| SendError::NotConfigured {
                provider: NAME,
                reason: "the document part could not be built".into(),
            })?;
        let mut form = reqwest::multipart::Form::new()
            .text("to", request.to.as_str().to_owned())
            .part("file", part);
        if let Some(callback) = &request.callback_url {
            let with_credentials =
                self.callback_url_with_credentials(callback)
                    .map_err(|reason| SendError::NotConfigured {
                        provider: NAME,
                        reason,
                    })?;
            form = form
                .text("callbackUrl", with_credentials)
                .text("callbackUrlContentType", "multipart/form-data");
        }
        let builder = self
            .authed(self.client.post(self.faxes(&[])))
            .await
            .map_err(|e| SendError::Refused {
                provider: NAME,
                reason: format!("no access token, nothing was sent: {e}"),
            })?;
        let answer = http::exchange(builder.multipart(form))
            .await
            .map_err(|e| http::send_failure(NAME, &e))?;
        if is_refusal(answer.status) {
            return Err(SendError::Refused {
                provider: NAME,
                reason: format!("HTTP {}", answer.status),
            });
        }
        let uncertain = |reason: String| SendError::Uncertain {
            provider: NAME,
            reason,
        };
        if !(200..300).contains(&answer.status) {
            return Err(uncertain(format!("HTTP {}", answer.status)));
        }
        let json = answer
            .json()
            .map_err(|_| uncertain("the acceptance is not JSON".into()))?;
        let id = json["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| uncertain("no fax id in the acceptance".into()))?;
        Ok(Sent {
            provider_id: id.to_owned(),
            status: json["status"]
                .as_str()
                .and_then(map_status)
                .unwrap_or(FaxStatus::Queued),
        })
    }

    async fn fax(&self, id: &str, step: &'static str) -> Result<serde_json::Value, TransportError> {
        let builder = self.authed(self.client.get(self.faxes(&[id]))).await?;
        let answer = http::exchange(builder)
            .await
            .map_err(|e| http::call_failure(NAME, step, &e))?;
        if !(200..300).contains(&answer.status) {
            return Err(http::status_failure(NAME, step, answer.status));
        }
        answer.json().map_err(|reason| TransportError::Malformed {
            provider: NAME,
            step,
            reason,
        })
    }

    async fn do_status(&self, id: &str) -> Result<StatusReport, TransportError> {
        let fax = self.fax(id, "status").await?;
        report(id, &fax).map_err(|reason| TransportError::Malformed {
            provider: NAME,
            step: "status",
            reason,
        })
    }

    async fn do_health(&self) -> Result<Health, TransportError> {
        let builder = match self.authed(self.client.get(self.faxes(&[]))).await {
            Ok(builder) => builder,
            Err(TransportError::Status { .. }) => {
                return Ok(Health::Degraded("the access key was refused".into()));
            }
            Err(other) => return Err(other),
        };
        let answer = http::exchange(builder.query(&[("pageSize", "1")]))
            .await
            .map_err(|e| http::call_failure(NAME, "health", &e))?;
        Ok(match answer.status {
            200..=299 => Health::Ok,
            401 | 403 => Health::Degraded("the access key was refused".into()),
            404 => Health::Degraded("the project id is unknown".into()),
            other => Health::Degraded(format!("listing faxes answered HTTP {other}")),
        })
    }

    fn check_credentials(&self, request: &CallbackRequest) -> Result<(), CallbackError> {
        let header = request
            .header("authorization")
            .ok_or(CallbackError::MissingSignature {
                provider: NAME,
                header: "Authorization (the callback URL's credentials)",
            })?;
        let presented = header
            .strip_prefix("Basic ")
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .ok_or(CallbackError::BadSignature { provider: NAME })?;
        let expected = format!("{CALLBACK_USER}:{}", self.callback_password());
        if http::constant_time_eq(&presented, expected.as_bytes()) {
            Ok(())
        } else {
            Err(CallbackError::BadSignature { provider: NAME })
        }
    }

    async fn do_callback(
        &self,
        request: &CallbackRequest,
    ) -> Result<Vec<CallbackEvent>, CallbackError> {
        self.check_credentials(request)?;
        let malformed = |reason: String| CallbackError::Malformed {
            provider: NAME,
            reason,
        };
        let (event, fax, document) = match request.media_type().as_str() {
            "application/json" => {
                let json: serde_json::Value = serde_json::from_slice(&request.body)
                    .map_err(|_| malformed("not JSON".into()))?;
                let document = match json["file"].as_str() {
                    Some(b64) => Some(
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(|_| malformed("file is not base64".into()))?,
                    ),
                    None => None,
                };
                (
                    json["event"].as_str().unwrap_or("").to_owned(),
                    json["fax"].clone(),
                    document,
                )
            }
            "multipart/form-data" => {
                let form = multipart::multipart(
                    request.header("content-type").unwrap_or(""),
                    &request.body,
                )
                .await
                .map_err(malformed)?;
                let fax = match form.field("fax") {
                    Some(text) => serde_json::from_str(text)
                        .map_err(|_| malformed("the fax field is not JSON".into()))?,
                    None => return Err(malformed("no fax field".into())),
                };
                (
                    form.field("event").unwrap_or("").to_owned(),
                    fax,
                    form.file("file").map(<[u8]>::to_vec),
                )
            }
            other => return Err(malformed(format!("content type {other:?}"))),
        };
        let id = fax["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| malformed("no fax id".into()))?
            .to_owned();
        // Confirm with the API: the callback names a fax, the API says what it is.
        let confirmed =
            self.fax(&id, "callback confirmation")
                .await
                .map_err(|e| CallbackError::Malformed {
                    provider: NAME,
                    reason: format!("the fax could not be confirmed through the API ({e})"),
                })?;
        match event.as_str() {
            "INCOMING_FAX" => {
                if confirmed["direction"].as_str() != Some("INBOUND") {
                    return Err(malformed(
                        "the API does not know this fax as inbound".into(),
                    ));
                }
                Ok(vec![CallbackEvent {
                    kind: CallbackKind::Inbound,
                    pages: pages(&confirmed),
                    from: confirmed["from"].as_str().map(str::to_owned),
                    to: confirmed["to"].as_str().map(str::to_owned),
                    document,
                    ..CallbackEvent::status(id, FaxStatus::Received)
                }])
            }
            "FAX_COMPLETED" => {
                let report = report(&id, &confirmed).map_err(malformed)?;
                Ok(vec![CallbackEvent {
                    pages: report.pages,
                    failure: report.failure,
                    ..CallbackEvent::status(id, report.status)
                }])
            }
            _ => Err(malformed("an undocumented event".into())),
        }
    }
}

fn pages(fax: &serde_json::Value) -> Option<u32> {
    fax["numberOfPages"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
}

fn report(id: &str, fax: &serde_json::Value) -> Result<StatusReport, String> {
    let status = fax["status"]
        .as_str()
        .and_then(map_status)
        .ok_or("no documented status")?;
    Ok(StatusReport {
        provider_id: id.to_owned(),
        status,
        pages: pages(fax),
        failure: (status == FaxStatus::Failed).then(|| failure_class(fax)),
    })
}

/// FAILURE classified from `errorType` and `errorCode` as Sinch documents them.
fn failure_class(fax: &serde_json::Value) -> String {
    match (fax["errorType"].as_str(), fax["errorCode"].as_u64()) {
        (Some("DOCUMENT_CONVERSION_ERROR"), _) => "document",
        (Some("CALL_ERROR"), Some(17)) => "busy",
        (Some("CALL_ERROR"), Some(15 | 16)) => "no_answer",
        (Some("CALL_ERROR"), Some(30)) => "no_fax_machine",
        (Some("CALL_ERROR"), Some(34)) => "not_in_service",
        (Some("CALL_ERROR"), _) => "line_error",
        _ => "failed",
    }
    .to_owned()
}

impl FaxTransport for Sinch {
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
    fn cancel<'a>(&'a self, _provider_id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        // Fax API v3 documents no way to stop a fax in flight.
        Box::pin(async {
            Err(TransportError::Unsupported {
                provider: NAME,
                step: "cancel",
            })
        })
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
    fn every_documented_status_is_mapped_and_nothing_else() {
        for s in ["QUEUED", "IN_PROGRESS", "COMPLETED", "FAILURE"] {
            assert!(map_status(s).is_some(), "{s}");
        }
        assert_eq!(map_status("SUCCESS"), None);
        assert_eq!(map_status("completed"), None);
    }

    #[test]
    fn only_documented_refusals_mean_nothing_was_sent() {
        for s in [400, 401, 402, 404, 422, 429] {
            assert!(is_refusal(s));
        }
        for s in [200, 403, 408, 500, 502, 503] {
            assert!(!is_refusal(s), "{s}");
        }
    }
}
