//! Phaxio, Sinch and SignalWire against fake providers on loopback that check auth and
//! request shapes as the providers document them, sign callbacks as the providers sign them,
//! and fail in the ways real services fail.

mod support;

use faxbot_transports::http::Timeouts;
use faxbot_transports::multipart::{self, Form};
use faxbot_transports::phaxio::{self, Phaxio, PhaxioConfig};
use faxbot_transports::signalwire::{self, SignalWire, SignalWireConfig};
use faxbot_transports::sinch::{Sinch, SinchAuth, SinchConfig};
use faxbot_transports::{
    CallbackError, CallbackKind, CallbackRequest, Document, DocumentKind, E164, FaxStatus,
    FaxTransport, SendError, SendRequest,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{FakeHttp, Reply};

const PDF: &[u8] = b"%PDF-1.4\n%%EOF";
const PUBLIC: &str = "https://fax.example.test";

fn request(url: Option<&str>) -> SendRequest {
    SendRequest {
        job_id: "fx_job1".into(),
        to: E164::parse("+15551230001").expect("number"),
        document: Document {
            kind: DocumentKind::Pdf,
            bytes: Arc::from(PDF),
            path: None,
            url: url.map(str::to_owned),
        },
        callback_url: Some(format!("{PUBLIC}/v1/callbacks/x?job_id=fx_job1")),
        attempt: 1,
    }
}

fn fast() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_millis(800),
    }
}

fn phaxio_at(base: &str) -> Phaxio {
    Phaxio::new(PhaxioConfig {
        base_url: format!("{base}/v2"),
        api_key: "key".into(),
        api_secret: "secret".into(),
        callback_token: "cb-token".into(),
        fetch_document_by_url: false,
        timeouts: fast(),
    })
    .expect("phaxio")
}

// ---- Phaxio -------------------------------------------------------------------------------

#[tokio::test]
async fn phaxio_send_uploads_the_document_with_basic_auth() {
    let fake = FakeHttp::start(|r| {
        if r.basic().as_deref() != Some("key:secret") {
            return Reply::json(401, json!({"success": false, "message": "auth"}));
        }
        Reply::json(
            200,
            json!({"success": true, "message": "queued", "data": {"id": 4321}}),
        )
    })
    .await;
    let sent = phaxio_at(&fake.base)
        .send(&request(None))
        .await
        .expect("sent");
    assert_eq!(sent.provider_id, "4321");
    assert_eq!(sent.status, FaxStatus::Queued);
    let r = &fake.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v2/faxes"));
    let form = multipart::multipart(r.header("content-type").expect("ct"), &r.body)
        .await
        .expect("multipart");
    assert_eq!(form.field("to"), Some("+15551230001"));
    assert_eq!(form.file("file"), Some(PDF));
    assert_eq!(
        form.field("callback_url"),
        Some("https://fax.example.test/v1/callbacks/x?job_id=fx_job1")
    );
}

#[tokio::test]
async fn phaxio_refusal_4xx_means_nothing_was_sent_and_5xx_is_uncertain() {
    let refusing = FakeHttp::start(|_| Reply::json(422, json!({"success": false}))).await;
    let err = phaxio_at(&refusing.base)
        .send(&request(None))
        .await
        .expect_err("refused");
    assert!(err.nothing_was_sent(), "{err}");
    let failing = FakeHttp::start(|_| Reply::json(502, json!({}))).await;
    let err = phaxio_at(&failing.base)
        .send(&request(None))
        .await
        .expect_err("5xx");
    assert!(matches!(err, SendError::Uncertain { .. }), "{err}");
    assert_eq!(
        failing.requests().len(),
        1,
        "an uncertain create is never resent"
    );
}

#[tokio::test]
async fn phaxio_timeout_cut_answer_and_malformed_acceptance_are_uncertain() {
    let slow = FakeHttp::start(|_| {
        Reply::json(200, json!({"success": true, "data": {"id": 1}})).slow(Duration::from_secs(3))
    })
    .await;
    let err = phaxio_at(&slow.base)
        .send(&request(None))
        .await
        .expect_err("timeout");
    assert!(matches!(err, SendError::Uncertain { .. }), "{err}");

    let (cut, _task) = support::cutting_server().await;
    let err = phaxio_at(&cut).send(&request(None)).await.expect_err("cut");
    assert!(matches!(err, SendError::Uncertain { .. }), "{err}");

    let odd = FakeHttp::start(|_| Reply::json(200, json!({"success": true, "data": {}}))).await;
    let err = phaxio_at(&odd.base)
        .send(&request(None))
        .await
        .expect_err("no id");
    assert!(matches!(err, SendError::Uncertain { .. }), "{err}");
    assert!(!err.to_string().contains("5551230001"), "{err}");
}

#[tokio::test]
async fn phaxio_nobody_listening_means_nothing_was_sent() {
    let port = support::closed_port().await;
    let err = phaxio_at(&format!("http://127.0.0.1:{port}"))
        .send(&request(None))
        .await
        .expect_err("refused");
    assert!(err.nothing_was_sent(), "{err}");
}

#[tokio::test]
async fn phaxio_status_maps_the_fax_object() {
    let fake = FakeHttp::start(|r| {
        assert_eq!(r.path, "/v2/faxes/77");
        Reply::json(
            200,
            json!({"success": true, "data": {"id": 77, "status": "failure", "num_pages": 3, "error_type": "lineError"}}),
        )
    })
    .await;
    let report = phaxio_at(&fake.base).status("77").await.expect("status");
    assert_eq!(report.status, FaxStatus::Failed);
    assert_eq!(report.pages, Some(3));
    assert_eq!(report.failure.as_deref(), Some("lineError"));
}

fn signed_phaxio_callback(token: &str, form: &Form) -> CallbackRequest {
    let url = format!("{PUBLIC}/v1/callbacks/phaxio?job_id=fx_job1");
    let fields: Vec<(&str, &str)> = form
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let files: Vec<(&str, &[u8])> = form
        .files
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    CallbackRequest {
        headers: vec![
            (
                "content-type".into(),
                "multipart/form-data; boundary=b0und".into(),
            ),
            (
                "x-phaxio-signature".into(),
                phaxio::signature_of(token, &url, form),
            ),
        ],
        body: multipart::encode("b0und", &fields, &files),
        url,
    }
}

fn inbound_form() -> Form {
    Form {
        fields: vec![
            ("direction".into(), "received".into()),
            ("is_test".into(), "false".into()),
            (
                "fax".into(),
                json!({"id": 900, "direction": "received", "num_pages": 1, "status": "success",
                       "from_number": "+15557654321", "to_number": "+15551230001"})
                .to_string(),
            ),
        ],
        files: vec![("file".into(), PDF.to_vec())],
    }
}

#[tokio::test]
async fn phaxio_signed_inbound_callback_carries_the_document() {
    let phaxio = phaxio_at("http://127.0.0.1:9");
    let events = phaxio
        .callback(&signed_phaxio_callback("cb-token", &inbound_form()))
        .await
        .expect("verified");
    assert_eq!(events[0].kind, CallbackKind::Inbound);
    assert_eq!(events[0].provider_id, "900");
    assert_eq!(events[0].document.as_deref(), Some(PDF));
}

#[tokio::test]
async fn phaxio_callback_with_a_bad_missing_or_replayed_signature_is_refused() {
    let phaxio = phaxio_at("http://127.0.0.1:9");
    let wrong_key = signed_phaxio_callback("other-token", &inbound_form());
    assert!(matches!(
        phaxio.callback(&wrong_key).await,
        Err(CallbackError::BadSignature { .. })
    ));
    let mut missing = signed_phaxio_callback("cb-token", &inbound_form());
    missing.headers.retain(|(n, _)| n != "x-phaxio-signature");
    let err = phaxio.callback(&missing).await.expect_err("missing");
    assert!(err.is_authentication(), "{err}");
    // A signature replayed onto another URL (another job) does not verify.
    let mut replayed = signed_phaxio_callback("cb-token", &inbound_form());
    replayed.url = format!("{PUBLIC}/v1/callbacks/phaxio?job_id=fx_other");
    assert!(matches!(
        phaxio.callback(&replayed).await,
        Err(CallbackError::BadSignature { .. })
    ));
    // A swapped document does not verify.
    let mut swapped = inbound_form();
    swapped.files[0].1 = b"%PDF-1.4 evil".to_vec();
    let mut tampered = signed_phaxio_callback("cb-token", &inbound_form());
    tampered.body = {
        let fields: Vec<(&str, &str)> = swapped
            .fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        multipart::encode("b0und", &fields, &[("file", &swapped.files[0].1)])
    };
    assert!(matches!(
        phaxio.callback(&tampered).await,
        Err(CallbackError::BadSignature { .. })
    ));
}

// ---- SignalWire ---------------------------------------------------------------------------

fn signalwire_at(base: &str) -> SignalWire {
    SignalWire::new(SignalWireConfig {
        base_url: format!("{base}/api/laml/2010-04-01"),
        project_id: "proj-1".into(),
        api_token: "tok".into(),
        signing_key: "sign-key".into(),
        from: "+15550000001".into(),
        timeouts: fast(),
    })
    .expect("signalwire")
}

#[tokio::test]
async fn signalwire_send_posts_the_documented_form_with_the_media_url() {
    let fake = FakeHttp::start(|r| {
        if r.basic().as_deref() != Some("proj-1:tok") {
            return Reply::json(401, json!({"message": "auth"}));
        }
        Reply::json(201, json!({"sid": "FX123", "status": "queued"}))
    })
    .await;
    let sw = signalwire_at(&fake.base);
    let sent = sw
        .send(&request(Some(
            "https://fax.example.test/v1/faxes/fx_job1/document?token=t",
        )))
        .await
        .expect("sent");
    assert_eq!(sent.provider_id, "FX123");
    let r = &fake.requests()[0];
    assert_eq!(r.path, "/api/laml/2010-04-01/Accounts/proj-1/Faxes.json");
    let form = multipart::urlencoded(&r.body).expect("form");
    assert_eq!(form.field("To"), Some("+15551230001"));
    assert_eq!(form.field("From"), Some("+15550000001"));
    assert!(
        form.field("MediaUrl")
            .is_some_and(|u| u.contains("token=t"))
    );
    assert!(form.field("StatusCallback").is_some());
    // Without a document URL SignalWire cannot fetch anything: refused before any request.
    let err = sw.send(&request(None)).await.expect_err("no url");
    assert!(err.nothing_was_sent());
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn signalwire_form_and_json_callbacks_verify_with_either_header() {
    let sw = signalwire_at("http://127.0.0.1:9");
    let url = format!("{PUBLIC}/v1/callbacks/signalwire?job_id=fx_job1");
    let params = vec![
        ("FaxSid".to_owned(), "FX123".to_owned()),
        ("FaxStatus".to_owned(), "busy".to_owned()),
        ("NumPages".to_owned(), "0".to_owned()),
    ];
    let body = form_urlencoded_body(&params);
    for header in ["x-signalwire-signature", "x-twilio-signature"] {
        let request = CallbackRequest {
            url: url.clone(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                (
                    header.into(),
                    signalwire::form_signature("sign-key", &url, &params),
                ),
            ],
            body: body.clone(),
        };
        let events = sw.callback(&request).await.expect("verified");
        assert_eq!(events[0].status, FaxStatus::Failed);
        assert_eq!(events[0].failure.as_deref(), Some("busy"));
    }
    let json_body = br#"{"FaxSid":"FX123","FaxStatus":"delivered","NumPages":"2"}"#.to_vec();
    let request = CallbackRequest {
        url: url.clone(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                "x-signalwire-signature".into(),
                signalwire::json_signature("sign-key", &url, &json_body),
            ),
        ],
        body: json_body,
    };
    let events = sw.callback(&request).await.expect("json verified");
    assert_eq!(events[0].status, FaxStatus::Delivered);
    let mut forged = request.clone();
    forged.body = br#"{"FaxSid":"FX123","FaxStatus":"failed","NumPages":"2"}"#.to_vec();
    assert!(matches!(
        sw.callback(&forged).await,
        Err(CallbackError::BadSignature { .. })
    ));
}

fn form_urlencoded_body(params: &[(String, String)]) -> Vec<u8> {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

// ---- Sinch --------------------------------------------------------------------------------

fn sinch_at(base: &str, auth: SinchAuth) -> Sinch {
    Sinch::new(SinchConfig {
        base_url: format!("{base}/v3"),
        token_url: format!("{base}/oauth2/token"),
        project_id: "p1".into(),
        key_id: "kid".into(),
        key_secret: "ksecret".into(),
        auth,
        timeouts: fast(),
    })
    .expect("sinch")
}

fn sinch_fake() -> impl Fn(&support::Recorded) -> Reply + Send + Sync + 'static {
    |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/oauth2/token") => {
            if r.basic().as_deref() != Some("kid:ksecret")
                || !r.body_text().contains("grant_type=client_credentials")
            {
                return Reply::json(401, json!({}));
            }
            Reply::json(
                200,
                json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600}),
            )
        }
        ("POST", "/v3/projects/p1/faxes") => {
            if r.header("authorization") != Some("Bearer at-1") {
                return Reply::json(401, json!({}));
            }
            Reply::json(
                200,
                json!({"id": "01SINCH", "status": "QUEUED", "direction": "OUTBOUND"}),
            )
        }
        ("GET", "/v3/projects/p1/faxes/01SINCH") => Reply::json(
            200,
            json!({"id": "01SINCH", "status": "FAILURE", "direction": "OUTBOUND",
                   "errorType": "CALL_ERROR", "errorCode": 17, "numberOfPages": 1}),
        ),
        ("GET", "/v3/projects/p1/faxes/01IN") => Reply::json(
            200,
            json!({"id": "01IN", "status": "COMPLETED", "direction": "INBOUND",
                   "from": "+15557654321", "to": "+15551230001", "numberOfPages": 2}),
        ),
        _ => Reply::json(404, json!({})),
    }
}

#[tokio::test]
async fn sinch_sends_with_an_oauth2_token_fetched_once() {
    let fake = FakeHttp::start(sinch_fake()).await;
    let sinch = sinch_at(&fake.base, SinchAuth::OAuth2);
    for _ in 0..2 {
        let sent = sinch.send(&request(None)).await.expect("sent");
        assert_eq!(sent.provider_id, "01SINCH");
    }
    let tokens = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/oauth2/token")
        .count();
    assert_eq!(tokens, 1, "the token is cached until it nears expiry");
    let create = fake
        .requests()
        .into_iter()
        .find(|r| r.path == "/v3/projects/p1/faxes")
        .expect("create");
    let form = multipart::multipart(create.header("content-type").expect("ct"), &create.body)
        .await
        .expect("multipart");
    assert_eq!(form.file("file"), Some(PDF));
    let callback = form.field("callbackUrl").expect("callback url");
    assert!(
        callback.starts_with("https://faxbot:"),
        "credentials in the callback URL"
    );
}

#[tokio::test]
async fn sinch_documented_refusals_mean_nothing_was_sent() {
    for status in [400u16, 402, 422, 429] {
        let fake = FakeHttp::start(move |_| Reply::json(status, json!({}))).await;
        let err = sinch_at(&fake.base, SinchAuth::Basic)
            .send(&request(None))
            .await
            .expect_err("refused");
        assert!(err.nothing_was_sent(), "{status}: {err}");
    }
    let fake = FakeHttp::start(|_| Reply::json(503, json!({}))).await;
    let err = sinch_at(&fake.base, SinchAuth::Basic)
        .send(&request(None))
        .await
        .expect_err("uncertain");
    assert!(matches!(err, SendError::Uncertain { .. }), "{err}");
}

fn sinch_callback(
    sinch: &Sinch,
    event: &str,
    fax: serde_json::Value,
    with_creds: bool,
) -> CallbackRequest {
    use base64::Engine;
    let body = multipart::encode(
        "sb",
        &[
            ("event", event),
            ("eventTime", "2026-12-05T00:00:00Z"),
            ("fax", &fax.to_string()),
        ],
        &[("file", PDF)],
    );
    let mut headers = vec![(
        "content-type".to_owned(),
        "multipart/form-data; boundary=sb".to_owned(),
    )];
    if with_creds {
        let creds = format!("faxbot:{}", sinch.callback_password());
        headers.push((
            "authorization".into(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(creds)
            ),
        ));
    }
    CallbackRequest {
        url: format!("{PUBLIC}/v1/callbacks/sinch"),
        headers,
        body,
    }
}

#[tokio::test]
async fn sinch_callback_is_authenticated_then_confirmed_through_the_api() {
    let fake = FakeHttp::start(sinch_fake()).await;
    let sinch = sinch_at(&fake.base, SinchAuth::Basic);
    // The callback claims success; the API says the call failed busy: the API wins.
    let claim = json!({"id": "01SINCH", "status": "COMPLETED"});
    let events = sinch
        .callback(&sinch_callback(
            &sinch,
            "FAX_COMPLETED",
            claim.clone(),
            true,
        ))
        .await
        .expect("verified");
    assert_eq!(events[0].status, FaxStatus::Failed);
    assert_eq!(events[0].failure.as_deref(), Some("busy"));
    let err = sinch
        .callback(&sinch_callback(&sinch, "FAX_COMPLETED", claim, false))
        .await
        .expect_err("no credentials");
    assert!(err.is_authentication());
    let inbound = sinch
        .callback(&sinch_callback(
            &sinch,
            "INCOMING_FAX",
            json!({"id": "01IN"}),
            true,
        ))
        .await
        .expect("inbound");
    assert_eq!(inbound[0].kind, CallbackKind::Inbound);
    assert_eq!(inbound[0].document.as_deref(), Some(PDF));
    // An unknown fax cannot be confirmed: refused, nothing stored.
    assert!(
        sinch
            .callback(&sinch_callback(
                &sinch,
                "FAX_COMPLETED",
                json!({"id": "01NOPE"}),
                true
            ))
            .await
            .is_err()
    );
}
