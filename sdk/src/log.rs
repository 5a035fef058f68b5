//! Structured logs to the host's log.
//!
//! Records travel as `log.write` calls rather than notifications, so the host acknowledges
//! each one (and a refusal comes back as an error).

use crate::ctx::Ctx;
use crate::error::Error;
use faxbot_plugin_abi::methods::{Log as LogMethod, LogLevel, LogRecord};
use std::time::Duration;

/// How long a log record may wait for the host's acknowledgement.
const LOG_DEADLINE: Duration = Duration::from_secs(2);

/// The log client. Records are size-limited, rate-limited and redacted by the host.
///
/// ```no_run
/// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// ctx.log().info("digest sent").await?;
/// ctx.log()
///     .write(faxbot_sdk::LogLevel::Warn, "webhook slow", vec![("ms".into(), "950".into())])
///     .await?;
/// # Ok(()) }
/// ```
pub struct Log<'a> {
    ctx: &'a Ctx,
}

impl<'a> Log<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Self { ctx }
    }

    /// Writes one record with structured fields.
    pub async fn write(
        &self,
        level: LogLevel,
        message: impl Into<String>,
        fields: Vec<(String, String)>,
    ) -> Result<(), Error> {
        let record = LogRecord {
            level,
            message: message.into(),
            fields,
        };
        self.ctx
            .shared
            .conn
            .call::<LogMethod>(&record, self.ctx.call_deadline(LOG_DEADLINE))
            .await?;
        Ok(())
    }

    /// A debug record.
    pub async fn debug(&self, message: impl Into<String>) -> Result<(), Error> {
        self.write(LogLevel::Debug, message, Vec::new()).await
    }

    /// An info record.
    pub async fn info(&self, message: impl Into<String>) -> Result<(), Error> {
        self.write(LogLevel::Info, message, Vec::new()).await
    }

    /// A warning.
    pub async fn warn(&self, message: impl Into<String>) -> Result<(), Error> {
        self.write(LogLevel::Warn, message, Vec::new()).await
    }

    /// An error record.
    pub async fn error(&self, message: impl Into<String>) -> Result<(), Error> {
        self.write(LogLevel::Error, message, Vec::new()).await
    }
}
