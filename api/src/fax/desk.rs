//! The fax desk's operations.

use super::sealer::Sealer;
use crate::time::now_ms;
use faxbot_events::{CoreEvent, FaxJobRecord as CoreFaxJob};
use faxbot_plugin_abi::event::{FaxDirection, FaxJobState};
use faxbot_store::{FaxJobRecord, FaxQuery, FaxStore};
use faxbot_transports::document::convert::Converter;
use faxbot_transports::document::{DocumentVault, Sniffed, sniff, text_to_pdf};
use faxbot_transports::{
    CallbackError, CallbackEvent, CallbackKind, CallbackRequest, Document, DocumentKind, E164,
    FaxStatus, FaxTransport, SendError, SendRequest,
};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::path::PathBuf;
use std::sync::Arc;

/// Where the core publishes fax events (the event bus; plugins see them projected).
pub trait FaxEvents: Send + Sync {
    /// Publishes one event.
    fn publish(&self, event: CoreEvent);
}

/// Publishes nothing (a daemon without an event bus, tests).
pub struct NoEvents;

impl FaxEvents for NoEvents {
    fn publish(&self, _event: CoreEvent) {}
}

/// The transports the daemon has, built from `faxbot.toml` and the stored credentials.
pub trait TransportSet: Send + Sync {
    /// The transport outbound faxes go through.
    fn outbound(&self) -> Option<Arc<dyn FaxTransport>>;
    /// A transport by name (callbacks name theirs).
    fn get(&self, name: &str) -> Option<Arc<dyn FaxTransport>>;
    /// Every configured transport's name.
    fn names(&self) -> Vec<String>;
    /// The credential keys a transport takes (`api_key`, `signing_key`, ...), or `None`
    /// when there is no such transport.
    fn secret_keys(&self, name: &str) -> Option<Vec<&'static str>>;
    /// Whether a transport sends TIFF (Asterisk, FreeSWITCH) rather than PDF.
    fn needs_tiff(&self, name: &str) -> bool;
    /// Rebuilds a transport after its credentials changed.
    fn reload(&self, name: &str);
}

/// The desk's settings.
#[derive(Clone, Debug)]
pub struct DeskSettings {
    /// The base URL providers call back and fetch documents from (`https://fax.example.com`).
    pub public_url: Option<String>,
    /// Largest document accepted, bytes.
    pub max_document_bytes: usize,
    /// How long a document URL token lives, ms.
    pub document_token_ttl_ms: u64,
    /// How long jobs and documents are kept, ms.
    pub retention_ms: u64,
    /// Where TIFFs for the PBX transports and the converter's work go.
    pub spool_dir: PathBuf,
}

/// Why a fax request failed. Messages carry no number and no document content.
#[derive(Debug, thiserror::Error)]
pub enum FaxError {
    /// The number is not E.164.
    #[error("{0}")]
    BadNumber(String),
    /// The document is neither a PDF nor UTF-8 text.
    #[error("the document must be a PDF or UTF-8 text (decided by its content)")]
    UnsupportedDocument,
    /// The document is over the limit.
    #[error("the document is larger than {0} bytes")]
    TooLarge(usize),
    /// No transport can send.
    #[error("no fax transport is configured")]
    NoTransport,
    /// No such job.
    #[error("no such fax")]
    NotFound,
    /// The job belongs to another tenant.
    #[error("this fax belongs to another tenant")]
    Forbidden,
    /// The job's state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The token is missing, wrong or expired.
    #[error("the document link is not valid")]
    BadToken,
    /// A callback for a transport that has no credentials to verify it with.
    #[error("this transport's credentials are not set, so no callback can be verified")]
    Unverifiable,
    /// A callback that does not verify.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// Storage failed.
    #[error("fax storage failed")]
    Storage,
}

/// A job as the API shows it to its owner: the number masked to its last four digits.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FaxJobView {
    /// The job id.
    pub id: String,
    /// `queued`, `sending`, `sent`, `delivered`, `failed`, `cancelled` or `received`.
    pub status: String,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// The transport.
    pub transport: String,
    /// The remote number with all but the last four digits masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Pages, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// The failure class, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Created, ms since the Unix epoch.
    pub created_at_ms: u64,
    /// Last change, ms since the Unix epoch.
    pub updated_at_ms: u64,
}

const REMOTE: &str = "fax:remote";
const LOCAL: &str = "fax:local";

fn random_hex(bytes: usize) -> Option<String> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new().fill(&mut buf).ok()?;
    Some(hex::encode(buf))
}

fn mask(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().saturating_sub(4);
    let tail: String = digits[keep..].iter().collect();
    format!("{}{tail}", "*".repeat(keep))
}

fn state_of(status: FaxStatus) -> FaxJobState {
    match status {
        FaxStatus::Queued => FaxJobState::Queued,
        FaxStatus::Sending => FaxJobState::Sending,
        FaxStatus::Sent => FaxJobState::Sent,
        FaxStatus::Delivered => FaxJobState::Delivered,
        FaxStatus::Failed => FaxJobState::Failed,
        FaxStatus::Cancelled => FaxJobState::Cancelled,
        FaxStatus::Received => FaxJobState::Received,
    }
}

/// The fax desk.
pub struct FaxDesk {
    store: Arc<dyn FaxStore>,
    transports: Arc<dyn TransportSet>,
    vault: DocumentVault,
    sealer: Sealer,
    token_key: hmac::Key,
    converter: Option<Converter>,
    events: Arc<dyn FaxEvents>,
    settings: DeskSettings,
}

impl FaxDesk {
    /// A desk over its parts. `token_key` keys the document-token hashes.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn FaxStore>,
        transports: Arc<dyn TransportSet>,
        vault: DocumentVault,
        sealer: Sealer,
        token_key: [u8; 32],
        converter: Option<Converter>,
        events: Arc<dyn FaxEvents>,
        settings: DeskSettings,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            transports,
            vault,
            sealer,
            token_key: hmac::Key::new(hmac::HMAC_SHA256, &token_key),
            converter,
            events,
            settings,
        })
    }

    /// The transports.
    pub fn transports(&self) -> &dyn TransportSet {
        self.transports.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &dyn FaxStore {
        self.store.as_ref()
    }

    /// The sealer (secrets use it too).
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// The settings.
    pub fn settings(&self) -> &DeskSettings {
        &self.settings
    }

    /// `job` as its owner sees it.
    pub fn view(&self, job: &FaxJobRecord) -> FaxJobView {
        let remote = job
            .remote_sealed
            .as_deref()
            .and_then(|s| self.sealer.open(REMOTE, s))
            .map(|n| mask(&String::from_utf8_lossy(&n)));
        FaxJobView {
            id: job.id.clone(),
            status: job.status.clone(),
            direction: job.direction.clone(),
            transport: job.transport.clone(),
            remote,
            pages: job.pages,
            failure: job.failure.clone(),
            created_at_ms: job.created_at_ms,
            updated_at_ms: job.updated_at_ms,
        }
    }

    fn publish(&self, job: &FaxJobRecord) {
        if let Some(record) = self.core_record(job) {
            self.events.publish(CoreEvent::FaxJob(record));
        }
    }

    /// A job as the core's event record (the number opened from its seal: the projection
    /// turns it into a keyed token). `None` for a status outside the vocabulary.
    pub fn core_record(&self, job: &FaxJobRecord) -> Option<CoreFaxJob> {
        let status = FaxStatus::from_name(&job.status)?;
        let remote = job
            .remote_sealed
            .as_deref()
            .and_then(|s| self.sealer.open(REMOTE, s))
            .map(|n| String::from_utf8_lossy(&n).into_owned());
        let direction = if job.direction == "inbound" {
            FaxDirection::Inbound
        } else {
            FaxDirection::Outbound
        };
        Some(CoreFaxJob {
            job_id: job.id.clone(),
            tenant: job.tenant_id.clone().unwrap_or_else(|| "platform".into()),
            direction,
            state: state_of(status),
            provider: job.transport.clone(),
            pages: job.pages,
            attempt: job.attempt.max(1),
            queued_at_ms: job.created_at_ms,
            occurred_at_ms: job.updated_at_ms,
            duration_ms: None,
            failure_detail: job.failure.clone(),
            remote_number: remote,
            patient_name: None,
            file_name: None,
        })
    }

    /// Accepts a fax to `to` of `document` (a PDF, or UTF-8 text rendered to one) for
    /// `tenant`: stores the document encrypted and the job, answers at once, and sends in
    /// the background.
    pub fn submit(
        self: &Arc<Self>,
        tenant: Option<String>,
        to: &str,
        document: &[u8],
    ) -> Result<FaxJobRecord, FaxError> {
        let to = E164::parse(to).map_err(|e| FaxError::BadNumber(e.to_string()))?;
        if document.len() > self.settings.max_document_bytes {
            return Err(FaxError::TooLarge(self.settings.max_document_bytes));
        }
        let pdf = match sniff(document) {
            Sniffed::Pdf => document.to_vec(),
            Sniffed::Text => text_to_pdf(&String::from_utf8_lossy(document)),
            Sniffed::Other => return Err(FaxError::UnsupportedDocument),
        };
        let transport = self.transports.outbound().ok_or(FaxError::NoTransport)?;
        let id = format!("fx_{}", random_hex(12).ok_or(FaxError::Storage)?);
        self.vault.put(&id, &pdf).map_err(|_| FaxError::Storage)?;
        let (token, token_hash) = match self.settings.public_url {
            Some(_) => {
                let token = random_hex(32).ok_or(FaxError::Storage)?;
                let hash = hex::encode(hmac::sign(&self.token_key, token.as_bytes()).as_ref());
                (Some(token), Some(hash))
            }
            None => (None, None),
        };
        let now = now_ms();
        let job = FaxJobRecord {
            id: id.clone(),
            tenant_id: tenant,
            direction: "outbound".into(),
            transport: transport.name().to_owned(),
            remote_sealed: Some(
                self.sealer
                    .seal(REMOTE, to.as_str().as_bytes())
                    .ok_or(FaxError::Storage)?,
            ),
            local_sealed: None,
            status: FaxStatus::Queued.name().into(),
            provider_id: None,
            pages: None,
            failure: None,
            attempt: 1,
            document_id: Some(id.clone()),
            token_hash,
            token_expires_ms: token
                .as_ref()
                .map(|_| now + self.settings.document_token_ttl_ms),
            created_at_ms: now,
            updated_at_ms: now,
        };
        if self.store.create_fax_job(&job).is_err() {
            let _ = self.vault.delete(&id);
            return Err(FaxError::Storage);
        }
        self.publish(&job);
        let desk = Arc::clone(self);
        tokio::spawn(async move {
            desk.dispatch(id, transport, to, pdf, token).await;
        });
        Ok(job)
    }

    async fn dispatch(
        &self,
        id: String,
        transport: Arc<dyn FaxTransport>,
        to: E164,
        pdf: Vec<u8>,
        token: Option<String>,
    ) {
        let public = self
            .settings
            .public_url
            .as_deref()
            .map(|u| u.trim_end_matches('/'));
        let mut document = Document {
            kind: DocumentKind::Pdf,
            bytes: Arc::from(pdf.clone().into_boxed_slice()),
            path: None,
            url: public
                .zip(token.as_deref())
                .map(|(base, t)| format!("{base}/v1/faxes/{id}/document?token={t}")),
        };
        if self.transports.needs_tiff(transport.name()) {
            match self.tiff(&id, &pdf).await {
                Ok(path) => {
                    document.kind = DocumentKind::Tiff;
                    document.path = Some(path);
                }
                Err(failure) => {
                    self.advance(&id, FaxStatus::Failed, None, None, Some(failure));
                    return;
                }
            }
        }
        let request = SendRequest {
            job_id: id.clone(),
            to,
            document,
            callback_url: public
                .map(|base| format!("{base}/v1/callbacks/{}?job_id={id}", transport.name())),
            attempt: 1,
        };
        match transport.send(&request).await {
            Ok(sent) => {
                self.set_provider(&id, &sent.provider_id);
                if sent.status != FaxStatus::Queued {
                    self.advance(&id, sent.status, None, None, None);
                }
            }
            Err(error @ (SendError::Refused { .. } | SendError::NotConfigured { .. })) => {
                tracing::warn!(job = %id, error = %error, "fax refused; nothing was sent");
                self.advance(&id, FaxStatus::Failed, None, None, Some("refused".into()));
            }
            Err(error @ SendError::Uncertain { .. }) => {
                // The fax may be on its way: never sent again automatically. The job shows
                // `sending` until a callback or a status look-up says more.
                tracing::warn!(job = %id, error = %error, "fax outcome uncertain; not resent");
                self.advance(&id, FaxStatus::Sending, None, None, None);
            }
        }
    }

    async fn tiff(&self, id: &str, pdf: &[u8]) -> Result<PathBuf, String> {
        let converter = self
            .converter
            .as_ref()
            .ok_or_else(|| "no_converter".to_owned())?;
        let tiff = converter
            .pdf_to_tiff(pdf, &self.settings.spool_dir.join("work"))
            .await
            .map_err(|e| {
                tracing::warn!(job = %id, error = %e, "document conversion failed");
                "document".to_owned()
            })?;
        let path = self.settings.spool_dir.join(format!("{id}.tiff"));
        std::fs::write(&path, tiff).map_err(|_| "spool".to_owned())?;
        Ok(path)
    }

    fn set_provider(&self, id: &str, provider_id: &str) {
        for _ in 0..5 {
            let Ok(Some(mut job)) = self.store.fax_job(id) else {
                return;
            };
            let expected = job.status.clone();
            job.provider_id = Some(provider_id.to_owned());
            if self.store.update_fax_job(&job, &expected).unwrap_or(true) {
                return;
            }
        }
    }

    /// Moves job `id` forward to `status` (never back; a final status never changes) and
    /// publishes the change. Returns whether it changed.
    fn advance(
        &self,
        id: &str,
        status: FaxStatus,
        pages: Option<u32>,
        provider_id: Option<&str>,
        failure: Option<String>,
    ) -> bool {
        for _ in 0..5 {
            let Ok(Some(mut job)) = self.store.fax_job(id) else {
                return false;
            };
            let Some(current) = FaxStatus::from_name(&job.status) else {
                return false;
            };
            if !current.may_become(status) {
                return false;
            }
            let expected = job.status.clone();
            job.status = status.name().into();
            job.pages = pages.or(job.pages);
            if let Some(provider) = provider_id {
                job.provider_id = Some(provider.to_owned());
            }
            job.failure = if status == FaxStatus::Failed {
                failure.clone().or(job.failure)
            } else {
                None
            };
            job.updated_at_ms = now_ms();
            match self.store.update_fax_job(&job, &expected) {
                Ok(true) => {
                    self.publish(&job);
                    if status.is_final() {
                        let _ = std::fs::remove_file(
                            self.settings.spool_dir.join(format!("{id}.tiff")),
                        );
                    }
                    return true;
                }
                Ok(false) => continue,
                Err(_) => return false,
            }
        }
        false
    }

    /// Applies one event a transport reported (a callback or its own connection).
    /// Duplicates (same provider id, kind and status) are recognised and change nothing.
    pub fn apply(&self, transport: &str, event: &CallbackEvent) -> Result<(), FaxError> {
        let fresh = self
            .store
            .record_callback(&event.idempotency_key(transport), now_ms())
            .map_err(|_| FaxError::Storage)?;
        if !fresh {
            return Ok(());
        }
        match event.kind {
            CallbackKind::Status => {
                let job = match &event.job_id {
                    Some(job_id) => self
                        .store
                        .fax_job(job_id)
                        .map_err(|_| FaxError::Storage)?
                        .filter(|j| j.transport == transport),
                    None => None,
                };
                let job = match job {
                    Some(job) => Some(job),
                    None => self
                        .store
                        .fax_job_by_provider(transport, &event.provider_id)
                        .map_err(|_| FaxError::Storage)?,
                };
                let job = job.ok_or(FaxError::NotFound)?;
                self.advance(
                    &job.id,
                    event.status,
                    event.pages,
                    Some(&event.provider_id),
                    event.failure.clone(),
                );
                Ok(())
            }
            CallbackKind::Inbound => self.receive(transport, event),
        }
    }

    fn receive(&self, transport: &str, event: &CallbackEvent) -> Result<(), FaxError> {
        let id = format!("fx_{}", random_hex(12).ok_or(FaxError::Storage)?);
        let document_id = match &event.document {
            Some(bytes) => {
                self.vault.put(&id, bytes).map_err(|_| FaxError::Storage)?;
                Some(id.clone())
            }
            None => None,
        };
        let seal = |purpose, number: &Option<String>| {
            number
                .as_deref()
                .and_then(|n| self.sealer.seal(purpose, n.as_bytes()))
        };
        let now = now_ms();
        let job = FaxJobRecord {
            id: id.clone(),
            tenant_id: None,
            direction: "inbound".into(),
            transport: transport.to_owned(),
            remote_sealed: seal(REMOTE, &event.from),
            local_sealed: seal(LOCAL, &event.to),
            status: FaxStatus::Received.name().into(),
            provider_id: Some(event.provider_id.clone()),
            pages: event.pages,
            failure: None,
            attempt: 1,
            document_id,
            token_hash: None,
            token_expires_ms: None,
            created_at_ms: now,
            updated_at_ms: now,
        };
        self.store
            .create_fax_job(&job)
            .map_err(|_| FaxError::Storage)?;
        self.publish(&job);
        Ok(())
    }

    /// Verifies and applies a provider callback to `transport`. Nothing is stored when the
    /// check fails.
    pub async fn callback(
        &self,
        transport: &str,
        request: &CallbackRequest,
    ) -> Result<usize, FaxError> {
        // A configured transport that cannot be built (its credentials are incomplete) cannot
        // verify anything: the callback is refused as unverified, never accepted.
        let handler = self
            .transports
            .get(transport)
            .ok_or(FaxError::Unverifiable)?;
        let events = handler.callback(request).await?;
        let mut applied = 0;
        for event in &events {
            match self.apply(transport, event) {
                Ok(()) => applied += 1,
                Err(FaxError::NotFound) => {
                    tracing::info!(transport, "a verified callback names no known job");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(applied)
    }

    /// Follows the transports that report on their own connection (the test transport,
    /// Asterisk, FreeSWITCH).
    pub fn follow_transports(self: &Arc<Self>) {
        for name in self.transports.names() {
            let Some(transport) = self.transports.get(&name) else {
                continue;
            };
            let Some(mut events) = transport.subscribe() else {
                continue;
            };
            let desk = Arc::clone(self);
            tokio::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            if let Err(e) = desk.apply(&name, &event) {
                                tracing::debug!(transport = %name, error = %e, "transport event not applied");
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(transport = %name, missed = n, "transport events lagged");
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
        }
    }

    /// One job, if `tenant` may see it (`None`: a platform key sees all).
    pub fn job(&self, tenant: Option<&str>, id: &str) -> Result<FaxJobRecord, FaxError> {
        let job = self
            .store
            .fax_job(id)
            .map_err(|_| FaxError::Storage)?
            .ok_or(FaxError::NotFound)?;
        match tenant {
            Some(t) if job.tenant_id.as_deref() != Some(t) => Err(FaxError::Forbidden),
            _ => Ok(job),
        }
    }

    /// A page of jobs.
    pub fn jobs(&self, query: &FaxQuery) -> Result<Vec<FaxJobRecord>, FaxError> {
        self.store.fax_jobs(query).map_err(|_| FaxError::Storage)
    }

    /// Cancels a job not yet final.
    pub async fn cancel(&self, tenant: Option<&str>, id: &str) -> Result<FaxJobRecord, FaxError> {
        let job = self.job(tenant, id)?;
        let status = FaxStatus::from_name(&job.status).ok_or(FaxError::Storage)?;
        if status.is_final() {
            return Err(FaxError::Conflict(format!("the fax is already {status}")));
        }
        let transport = self
            .transports
            .get(&job.transport)
            .ok_or(FaxError::NoTransport)?;
        if let Some(provider_id) = &job.provider_id {
            transport.cancel(provider_id).await.map_err(|e| {
                FaxError::Conflict(format!("the transport could not cancel it ({e})"))
            })?;
        }
        self.advance(id, FaxStatus::Cancelled, None, None, None);
        self.job(tenant, id)
    }

    /// The document of job `id` for a provider presenting `token`.
    pub fn document(&self, id: &str, token: &str) -> Result<Vec<u8>, FaxError> {
        let job = self
            .store
            .fax_job(id)
            .map_err(|_| FaxError::Storage)?
            .ok_or(FaxError::BadToken)?;
        let (Some(hash), Some(expires)) = (&job.token_hash, job.token_expires_ms) else {
            return Err(FaxError::BadToken);
        };
        let expected = hex::decode(hash).map_err(|_| FaxError::BadToken)?;
        if hmac::verify(&self.token_key, token.as_bytes(), &expected).is_err() || now_ms() > expires
        {
            return Err(FaxError::BadToken);
        }
        let document_id = job.document_id.ok_or(FaxError::NotFound)?;
        self.vault.get(&document_id).map_err(|_| FaxError::NotFound)
    }

    /// Deletes jobs (and their documents) past the retention period; returns how many.
    pub fn purge_expired(&self) -> usize {
        let cutoff = now_ms().saturating_sub(self.settings.retention_ms);
        let Ok(jobs) = self.store.fax_jobs_before(cutoff, 500) else {
            return 0;
        };
        let mut purged = 0;
        for job in jobs {
            if let Some(document) = &job.document_id {
                let _ = self.vault.delete(document);
            }
            if self.store.delete_fax_job(&job.id).unwrap_or(false) {
                purged += 1;
            }
        }
        purged
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn a_number_is_shown_with_only_its_last_four_digits() {
        assert_eq!(mask("+15551230001"), "*******0001");
        assert_eq!(mask("123"), "123");
    }
}
