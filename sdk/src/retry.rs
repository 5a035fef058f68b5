//! Retries with exponential backoff and jitter, bounded by the deadline of the call being
//! served: a retry that could not finish in time is not started.

use crate::ctx::Ctx;
use crate::error::Error;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// A retry policy: up to `attempts` tries, waiting `initial`, then twice as long each time up
/// to `max`, plus up to a quarter of the wait as jitter.
///
/// ```no_run
/// # async fn f(ctx: faxbot_sdk::Ctx) -> faxbot_sdk::Result<()> {
/// use faxbot_sdk::{Backoff, Error};
/// use std::time::Duration;
///
/// let policy = Backoff::new(4, Duration::from_millis(200), Duration::from_secs(2));
/// policy
///     .retry(&ctx, |_attempt| async {
///         let response = ctx.http().post("https://hooks.example.com/x").send().await?;
///         if response.is_retryable() {
///             return Err(Error::Unavailable(format!("webhook answered {}", response.status)));
///         }
///         Ok(response)
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// Wait before the second try.
    pub initial: Duration,
    /// Longest wait between tries.
    pub max: Duration,
}

impl Default for Backoff {
    /// 5 tries, 250 ms doubling to at most 4 s.
    fn default() -> Self {
        Self::new(5, Duration::from_millis(250), Duration::from_secs(4))
    }
}

impl Backoff {
    /// A policy of `attempts` tries waiting from `initial` up to `max`.
    pub fn new(attempts: u32, initial: Duration, max: Duration) -> Self {
        Self {
            attempts: attempts.max(1),
            initial,
            max,
        }
    }

    /// The wait after failed try `attempt` (from 1), without jitter.
    ///
    /// ```
    /// # use faxbot_sdk::Backoff;
    /// # use std::time::Duration;
    /// let b = Backoff::new(5, Duration::from_millis(100), Duration::from_millis(350));
    /// assert_eq!(b.base_delay(1), Duration::from_millis(100));
    /// assert_eq!(b.base_delay(2), Duration::from_millis(200));
    /// assert_eq!(b.base_delay(3), Duration::from_millis(350));
    /// ```
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max)
    }

    fn delay(&self, attempt: u32) -> Duration {
        let base = self.base_delay(attempt);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let quarter = base.as_nanos() / 4;
        let extra = if quarter == 0 {
            0
        } else {
            u128::from(nanos) % quarter
        };
        base + Duration::from_nanos(u64::try_from(extra).unwrap_or(0))
    }

    /// Runs `op` (given the try number, from 1) until it succeeds, fails with an error that
    /// is not [retryable](Error::is_retryable), the tries run out, or the next wait would
    /// pass the deadline of the call `ctx` is serving. Returns the last error then.
    pub async fn retry<T, F, Fut>(&self, ctx: &Ctx, op: F) -> Result<T, Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let deadline = ctx.remaining().map(|left| Instant::now() + left);
        self.retry_until(deadline, op).await
    }

    /// As [`Backoff::retry`], with an explicit deadline (`None`: only the tries limit).
    pub async fn retry_until<T, F, Fut>(
        &self,
        deadline: Option<Instant>,
        mut op: F,
    ) -> Result<T, Error>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 1;
        loop {
            let error = match op(attempt).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= self.attempts {
                return Err(error);
            }
            let wait = self.delay(attempt);
            if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                return Err(error);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> Backoff {
        Backoff::new(4, Duration::from_millis(1), Duration::from_millis(4))
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let tries = AtomicU32::new(0);
        let value = quick()
            .retry_until(None, |attempt| {
                tries.fetch_add(1, Ordering::SeqCst);
                async move {
                    if attempt < 3 {
                        Err(Error::Unavailable("down".into()))
                    } else {
                        Ok(attempt)
                    }
                }
            })
            .await;
        assert_eq!(value, Ok(3));
        assert_eq!(tries.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_denial_is_never_retried() {
        let tries = AtomicU32::new(0);
        let result: Result<(), _> = quick()
            .retry_until(None, |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::denied("kv")) }
            })
            .await;
        assert_eq!(result, Err(Error::denied("kv")));
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn tries_run_out_with_the_last_error() {
        let tries = AtomicU32::new(0);
        let result: Result<(), _> = quick()
            .retry_until(None, |attempt| {
                tries.fetch_add(1, Ordering::SeqCst);
                async move { Err(Error::Timeout(format!("try {attempt}"))) }
            })
            .await;
        assert_eq!(result, Err(Error::Timeout("try 4".into())));
        assert_eq!(tries.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn no_retry_starts_that_would_pass_the_deadline() {
        let policy = Backoff::new(10, Duration::from_millis(50), Duration::from_secs(1));
        let begun = Instant::now();
        let tries = AtomicU32::new(0);
        let result: Result<(), _> = policy
            .retry_until(Some(begun + Duration::from_millis(120)), |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::Unavailable("down".into())) }
            })
            .await;
        assert!(result.is_err());
        assert!(
            begun.elapsed() < Duration::from_millis(120),
            "{:?}",
            begun.elapsed()
        );
        assert!(
            tries.load(Ordering::SeqCst) <= 2,
            "{}",
            tries.load(Ordering::SeqCst)
        );
    }
}
