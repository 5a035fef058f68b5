//! A token bucket per plugin: how `log.write` (and anything else a plugin can repeat cheaply)
//! is held to a sustained rate with a burst, and how many calls were dropped meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Rate and burst.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Sustained calls per second.
    pub per_second: f64,
    /// Calls allowed at once.
    pub burst: f64,
}

struct Bucket {
    tokens: f64,
    last: Instant,
    dropped: u64,
}

/// Buckets by plugin id.
pub struct RateLimiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// The verdict on one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Go ahead; `dropped_before` calls were refused since the last admitted one.
    Yes {
        /// Calls refused in between.
        dropped_before: u64,
    },
    /// Refused (counted).
    No,
}

impl RateLimiter {
    /// Buckets filling at `rate`.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::default(),
        }
    }

    /// Takes a token of `plugin_id`'s bucket at `now`.
    pub fn admit_at(&self, plugin_id: &str, now: Instant) -> Admit {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(plugin_id.to_owned()).or_insert(Bucket {
            tokens: self.rate.burst,
            last: now,
            dropped: 0,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            let dropped_before = std::mem::take(&mut bucket.dropped);
            Admit::Yes { dropped_before }
        } else {
            bucket.dropped += 1;
            Admit::No
        }
    }

    /// [`RateLimiter::admit_at`] now.
    pub fn admit(&self, plugin_id: &str) -> Admit {
        self.admit_at(plugin_id, Instant::now())
    }

    /// Forgets a plugin's bucket.
    pub fn forget(&self, plugin_id: &str) {
        if let Ok(mut b) = self.buckets.lock() {
            b.remove(plugin_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_holds_and_drops_are_counted() {
        let limiter = RateLimiter::new(Rate {
            per_second: 10.0,
            burst: 3.0,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.admit_at("p", t0), Admit::Yes { dropped_before: 0 });
        }
        assert_eq!(limiter.admit_at("p", t0), Admit::No);
        assert_eq!(limiter.admit_at("p", t0), Admit::No);
        // Another plugin is not affected.
        assert_eq!(limiter.admit_at("q", t0), Admit::Yes { dropped_before: 0 });
        // 100 ms later one token is back, and the two refused calls are reported.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(limiter.admit_at("p", t1), Admit::Yes { dropped_before: 2 });
        assert_eq!(limiter.admit_at("p", t1), Admit::No);
    }
}
