//! One retry policy for every retryable failure: a lost commit race in the pipeline, a 429/5xx or a broken
//! connection in the client. Attempts back off exponentially with jitter, so racing writers spread out.

use std::time::Duration;

use lakefeed_core::Result;

/// How often and how patiently an operation is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles with each attempt after.
    pub base: Duration,
    /// The longest wait (before jitter).
    pub max: Duration,
}

impl Backoff {
    /// Commits that lost a race: 8 attempts, 100 ms doubling up to 2 s. Lance itself retries a conflicting
    /// commit up to 20 times before it reports one, so this covers heavy contention.
    pub const COMMITS: Self = Self {
        attempts: 8,
        base: Duration::from_millis(100),
        max: Duration::from_secs(2),
    };

    /// Requests to a service: 4 attempts, 200 ms doubling.
    pub const REQUESTS: Self = Self {
        attempts: 4,
        base: Duration::from_millis(200),
        max: Duration::from_secs(10),
    };

    /// The wait after failed attempt `attempt` (from 1): `base × 2^(attempt-1)`, at most `max`, plus up to
    /// half of it again at random.
    pub fn delay(&self, attempt: u32) -> Duration {
        let wait = self
            .base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let half = wait.as_millis() as u64 / 2 + 1;
        wait + Duration::from_millis(u64::from(nanos) % half)
    }

    /// Runs a blocking operation, trying again (after [`Backoff::delay`]) while its error is retryable. For
    /// commits: a failed commit wrote nothing, so trying again cannot duplicate rows.
    pub fn run<T>(&self, what: &str, mut op: impl FnMut() -> Result<T>) -> Result<T> {
        let mut attempt = 1;
        loop {
            match op() {
                Err(e) if e.is_retryable() && attempt < self.attempts => {
                    tracing::debug!(what, attempt, error = %e.chain(), "retrying");
                    std::thread::sleep(self.delay(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_limit_with_bounded_jitter() {
        let b = Backoff::COMMITS;
        for (attempt, want) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (5, 1600),
            (6, 2000),
            (30, 2000),
        ] {
            let d = b.delay(attempt).as_millis() as u64;
            assert!(
                (want..=want + want / 2 + 1).contains(&d),
                "attempt {attempt}: {d} ms"
            );
        }
    }

    #[test]
    fn only_retryable_errors_are_tried_again() {
        let quick = Backoff {
            attempts: 3,
            base: Duration::from_millis(1),
            max: Duration::from_millis(1),
        };
        let mut n = 0;
        let r: Result<()> = quick.run("t", || {
            n += 1;
            Err(lakefeed_core::Error::Network("reset".into()))
        });
        assert!(r.is_err() && n == 3);
        n = 0;
        let r: Result<()> = quick.run("t", || {
            n += 1;
            Err(lakefeed_core::Error::Other("bad".into()))
        });
        assert!(r.is_err() && n == 1);
    }
}
