//! Phaxio (API v2): HTTP Basic auth, the document uploaded as a file part (or fetched by
//! Phaxio from the daemon's tokenised URL), callbacks signed with `X-Phaxio-Signature`:
//! lower-case hex HMAC-SHA1, keyed with the account's callback token, over the callback URL,
//! then each POST field (sorted by name) as name+value, then each file part (sorted by name)
//! as name + hex SHA-1 of its bytes.

use crate::callback::{CallbackEvent, CallbackKind, CallbackRequest};
use crate::error::{CallbackError, SendError, TransportError};
use crate::http::{self, Timeouts};
use crate::multipart::{self, Form};
use crate::status::FaxStatus;
use crate::transport::{BoxFuture, FaxTransport, Health, SendRequest, Sent, StatusReport};
use ring::{digest, hmac};

const NAME: &str = "phaxio";
/// The documented API base.
pub const DEFAULT_BASE_URL: &str = "https://api.phaxio.com/v2";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-phaxio-signature";

/// Every documented Phaxio fax status (and the recipient-level ones), mapped.
pub fn map_status(status: &str) -> Option<FaxStatus> {
    Some(match status {
        "queued" | "pendingbatch" => FaxStatus::Queued,
        "inprogress" | "ringing" | "callactive" | "willretry" => FaxStatus::Sending,
        "success" => FaxStatus::Delivered,
        // One recipient per job: a partial success did not reach it.
        "failure" | "partialsuccess" => FaxStatus::Failed,
        _ => return None,
    })
}

/// Settings and credentials.
#[derive(Clone)]
pub struct PhaxioConfig {
    /// API base (`https://api.phaxio.com/v2`).
    pub base_url: String,
    /// API key (Basic auth user).
    pub api_key: String,
    /// API secret (Basic auth password).
    pub api_secret: String,
    /// The callback token callbacks are signed with (not the API secret).
    pub callback_token: String,
    /// Let Phaxio fetch the document from the daemon's URL instead of uploading it.
    pub fetch_document_by_url: bool,
    /// Time limits.
    pub timeouts: Timeouts,
}

/// The Phaxio transport.
pub struct Phaxio {
    config: PhaxioConfig,
    base: url::Url,
    client: reqwest::Client,
}

impl Phaxio {
    /// A transport for `config`; refuses a bad base URL or missing credentials.
    pub fn new(config: PhaxioConfig) -> Result<Self, String> {
        let base = http::base_url(NAME, &config.base_url)?;
        if config.api_key.is_empty() || config.api_secret.is_empty() {
            return Err("phaxio: api_key and api_secret are required".into());
        }
        let client = http::client(config.timeouts)?;
        Ok(Self {
            config,
            base,
            client,
        })
    }

    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.basic_auth(&self.config.api_key, Some(&self.config.api_secret))
    }

    async fn do_send(&self, request: &SendRequest) -> Result<Sent, SendError> {
        let url = http::endpoint(&self.base, &["faxes"]);
        let mut form = reqwest::multipart::Form::new().text("to", request.to.as_str().to_owned());
        match (&request.document.url, self.config.fetch_document_by_url) {
            (Some(document_url), true) => form = form.text("content_url", document_url.clone()),
            _ => {
                let part = reqwest::multipart::Part::bytes(request.document.bytes.to_vec())
                    .file_name("fax.pdf")
                    .mime_str("application/pdf")
                    .map_err(|_| SendError::NotConfigured {
                        provider: NAME,
                        reason: "the document part could not be built".into(),
                    })?;
                form = form.part("file", part);
            }
        }
        if let Some(callback) = &request.callback_url {
            form = form.text("callback_url", callback.clone());
        }
        let answer = http::exchange(self.authed(self.client.post(url)).multipart(form))
            .await
            .map_err(|e| http::send_failure(NAME, &e))?;
        accepted(&answer)
    }

    async fn do_status(&self, provider_id: &str) -> Result<StatusReport, TransportError> {
        let url = http::endpoint(&self.base, &["faxes", provider_id]);
        let answer = http::exchange(self.authed(self.client.get(url)))
            .await
            .map_err(|e| http::call_failure(NAME, "status", &e))?;
        if !(200..300).contains(&answer.status) {
            return Err(http::status_failure(NAME, "status", answer.status));
        }
        let malformed = |reason: String| TransportError::Malformed {
            provider: NAME,
            step: "status",
            reason,
        };
        let json = answer.json().map_err(malformed)?;
        let fax = &json["data"];
        let report = fax_report(fax).map_err(malformed)?;
        Ok(report)
    }

    async fn do_cancel(&self, provider_id: &str) -> Result<(), TransportError> {
        let url = http::endpoint(&self.base, &["faxes", provider_id, "cancel"]);
        let answer = http::exchange(self.authed(self.client.post(url)))
            .await
            .map_err(|e| http::call_failure(NAME, "cancel", &e))?;
        if (200..300).contains(&answer.status) {
            Ok(())
        } else {
            Err(http::status_failure(NAME, "cancel", answer.status))
        }
    }

    async fn do_health(&self) -> Result<Health, TransportError> {
        let url = http::endpoint(&self.base, &["account", "status"]);
        let answer = http::exchange(self.authed(self.client.get(url)))
            .await
            .map_err(|e| http::call_failure(NAME, "health", &e))?;
        Ok(match answer.status {
            200..=299 => Health::Ok,
            401 | 403 => Health::Degraded("the API key or secret was refused".into()),
            other => Health::Degraded(format!("the account status answered HTTP {other}")),
        })
    }

    async fn do_callback(
        &self,
        request: &CallbackRequest,
    ) -> Result<Vec<CallbackEvent>, CallbackError> {
        if self.config.callback_token.is_empty() {
            return Err(CallbackError::NoSecret {
                provider: NAME,
                secret: "callback_token",
            });
        }
        let signature =
            request
                .header(SIGNATURE_HEADER)
                .ok_or(CallbackError::MissingSignature {
                    provider: NAME,
                    header: "X-Phaxio-Signature",
                })?;
        let form = read_form(request).await?;
        let expected = signature_of(&self.config.callback_token, &request.url, &form);
        if !http::constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
            return Err(CallbackError::BadSignature { provider: NAME });
        }
        parse_callback(&form).map(|event| vec![event])
    }
}

fn accepted(answer: &http::Answer) -> Result<Sent, SendError> {
    match answer.status {
        200..=299 => {
            let uncertain = |reason: &str| SendError::Uncertain {
                provider: NAME,
                reason: reason.into(),
            };
            let json = answer
                .json()
                .map_err(|_| uncertain("the acceptance is not JSON"))?;
            if json["success"] != serde_json::Value::Bool(true) {
                return Err(uncertain("a 2xx answer without success=true"));
            }
            let id =
                id_text(&json["data"]["id"]).ok_or_else(|| uncertain("no fax id in data.id"))?;
            let status = json["data"]["status"]
                .as_str()
                .and_then(map_status)
                .unwrap_or(FaxStatus::Queued);
            Ok(Sent {
                provider_id: id,
                status,
            })
        }
        // Phaxio answers a refused request with a 4xx and success=false: nothing was sent.
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

fn id_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn fax_report(fax: &serde_json::Value) -> Result<StatusReport, String> {
    let id = id_text(&fax["id"]).ok_or("no fax id")?;
    let status_text = fax["status"].as_str().ok_or("no status")?;
    let status = map_status(status_text).ok_or("an undocumented status")?;
    Ok(StatusReport {
        provider_id: id,
        status,
        pages: fax["num_pages"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok()),
        failure: (status == FaxStatus::Failed).then(|| {
            fax["error_type"]
                .as_str()
                .filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or("failure")
                .to_owned()
        }),
    })
}

async fn read_form(request: &CallbackRequest) -> Result<Form, CallbackError> {
    let malformed = |reason: String| CallbackError::Malformed {
        provider: NAME,
        reason,
    };
    match request.media_type().as_str() {
        "multipart/form-data" => {
            let content_type = request.header("content-type").unwrap_or("");
            multipart::multipart(content_type, &request.body)
                .await
                .map_err(malformed)
        }
        "application/x-www-form-urlencoded" => {
            multipart::urlencoded(&request.body).map_err(malformed)
        }
        other => Err(malformed(format!("content type {other:?} is not a form"))),
    }
}

/// The documented signature of a callback: hex HMAC-SHA1 keyed with `token` over the URL,
/// the fields sorted by name (stable: repeated names keep their wire order) as name+value,
/// and the file parts sorted by name as name + hex SHA-1 of the bytes.
pub fn signature_of(token: &str, url: &str, form: &Form) -> String {
    let mut signed = url.as_bytes().to_vec();
    let mut fields: Vec<&(String, String)> = form.fields.iter().collect();
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in fields {
        signed.extend_from_slice(name.as_bytes());
        signed.extend_from_slice(value.as_bytes());
    }
    let mut files: Vec<&(String, Vec<u8>)> = form.files.iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, bytes) in files {
        signed.extend_from_slice(name.as_bytes());
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
        signed.extend_from_slice(hex::encode(sha1.as_ref()).as_bytes());
    }
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes());
    hex::encode(hmac::sign(&key, &signed).as_ref())
}

/// A verified callback's form as an event: the `fax` field holding the Fax Object as JSON
/// (or bracketed `fax[...]` fields), `direction` sent or received.
fn parse_callback(form: &Form) -> Result<CallbackEvent, CallbackError> {
    let malformed = |reason: &str| CallbackError::Malformed {
        provider: NAME,
        reason: reason.into(),
    };
    let fax: serde_json::Value = match form.field("fax") {
        Some(json) => {
            serde_json::from_str(json).map_err(|_| malformed("the fax field is not JSON"))?
        }
        None => {
            let mut object = serde_json::Map::new();
            for (name, value) in &form.fields {
                if let Some(key) = name.strip_prefix("fax[").and_then(|k| k.strip_suffix(']')) {
                    let value = match key {
                        "id" | "num_pages" => value
                            .parse::<u64>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(value.clone())),
                        _ => serde_json::Value::from(value.clone()),
                    };
                    object.insert(key.to_owned(), value);
                }
            }
            if object.is_empty() {
                return Err(malformed("no fax object"));
            }
            serde_json::Value::Object(object)
        }
    };
    let direction = form
        .field("direction")
        .or_else(|| fax["direction"].as_str())
        .unwrap_or("sent");
    let id = id_text(&fax["id"]).ok_or_else(|| malformed("no fax id"))?;
    let pages = fax["num_pages"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok());
    match direction {
        "received" => Ok(CallbackEvent {
            kind: CallbackKind::Inbound,
            provider_id: id,
            job_id: None,
            status: FaxStatus::Received,
            pages,
            failure: None,
            from: fax["from_number"].as_str().map(str::to_owned),
            to: fax["to_number"].as_str().map(str::to_owned),
            document: form
                .file("file")
                .or_else(|| form.file("filename"))
                .map(<[u8]>::to_vec),
        }),
        "sent" => {
            let report = fax_report(&fax).map_err(|e| malformed(e.as_str()))?;
            Ok(CallbackEvent {
                pages: report.pages,
                failure: report.failure,
                ..CallbackEvent::status(report.provider_id, report.status)
            })
        }
        _ => Err(malformed("direction is neither sent nor received")),
    }
}

impl FaxTransport for Phaxio {
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

    const URL: &str = "https://fax.example.test/phaxio-callback?job_id=job123";

    fn sent_form() -> Form {
        Form {
            fields: vec![
                ("direction".into(), "sent".into()),
                (
                    "fax".into(),
                    r#"{"id":1234,"status":"success","num_pages":2}"#.into(),
                ),
                ("is_test".into(), "true".into()),
                ("success".into(), "true".into()),
            ],
            files: vec![],
        }
    }

    #[test]
    fn signature_matches_the_vector_computed_from_phaxios_documentation() {
        assert_eq!(
            signature_of("test-callback-token", URL, &sent_form()),
            "596998ea3d747b443cfa477512f27835b1e8f5ec"
        );
        let mut with_file = sent_form();
        with_file
            .files
            .push(("file".into(), b"%PDF-1.4\n%%EOF".to_vec()));
        assert_eq!(
            signature_of("test-callback-token", URL, &with_file),
            "c3f5a226e666133b2ed06b96251929456396397f"
        );
    }

    #[test]
    fn the_field_order_on_the_wire_does_not_change_the_signature() {
        let mut shuffled = sent_form();
        shuffled.fields.reverse();
        assert_eq!(
            signature_of("test-callback-token", URL, &shuffled),
            signature_of("test-callback-token", URL, &sent_form())
        );
    }

    #[test]
    fn every_documented_status_is_mapped_and_nothing_else() {
        for status in [
            "queued",
            "pendingbatch",
            "inprogress",
            "success",
            "failure",
            "partialsuccess",
            "ringing",
            "callactive",
            "willretry",
        ] {
            assert!(map_status(status).is_some(), "{status}");
        }
        assert_eq!(map_status("SUCCESS"), None);
        assert_eq!(map_status("in_progress"), None);
    }

    #[test]
    fn a_sent_callback_parses_into_a_status_event() {
        let event = parse_callback(&sent_form()).expect("parses");
        assert_eq!(event.provider_id, "1234");
        assert_eq!(event.status, FaxStatus::Delivered);
        assert_eq!(event.pages, Some(2));
    }
}
