//! The retry policy for queued jobs: given the attempt that just failed and why, retry after
//! a delay, or give up to the dead-letter store. Pure: the jitter comes in as a number.

use std::time::Duration;

/// Delays after attempts 1, 2, … (before jitter): 8 attempts spread over about 21 hours, so a
/// day-long outage of Bitrix or Supabase is survived. The last entry is Cloudflare Queues' cap
/// on a message delay (12 h).
pub const SCHEDULE_SECONDS: [u64; 7] = [10, 60, 300, 1_800, 7_200, 21_600, 43_200];

/// Attempts in all, the first included.
pub const MAX_ATTEMPTS: u32 = SCHEDULE_SECONDS.len() as u32 + 1;

/// Cloudflare Queues refuses delays above 12 hours.
const MAX_DELAY_SECONDS: u64 = 43_200;

/// Why an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// May succeed later: a network error, a timeout, a 5xx, 408, 429.
    Transient {
        /// The peer's own wait (Telegram's `parameters.retry_after`, HTTP `Retry-After`).
        retry_after: Option<Duration>,
        reason: String,
    },
    /// Cannot succeed by trying again: any other 4xx, an answer that makes no sense.
    Permanent { reason: String },
}

/// Whether an HTTP status may succeed if the same request is sent later: 408, 429 and 5xx.
/// The one rule for every peer: the Bitrix gateway, Telegram and the store (PostgREST).
#[must_use]
pub fn is_transient_status(status: u16) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// The longest wait that the whole schedule can add up to: every delay at its +20 % jitter.
/// Anything that must outlast the retries of a job (the status echo window) is measured by it.
#[must_use]
pub fn longest_schedule() -> Duration {
    let mut total = Duration::ZERO;
    for attempt in 1..MAX_ATTEMPTS {
        if let Decision::Retry { delay, .. } = decide(attempt, &Failure::transient("-"), 1.0) {
            total += delay;
        }
    }
    total
}

impl Failure {
    /// A failure that may pass, with no wait asked by the peer.
    #[must_use]
    pub fn transient(reason: impl Into<String>) -> Failure {
        Failure::Transient { retry_after: None, reason: reason.into() }
    }

    /// Classifies an HTTP status by [`is_transient_status`].
    #[must_use]
    pub fn from_http_status(status: u16, retry_after: Option<Duration>, reason: String) -> Failure {
        if is_transient_status(status) {
            Failure::Transient { retry_after, reason }
        } else {
            Failure::Permanent { reason }
        }
    }

    /// What went wrong, for the job's `last_error`.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Failure::Transient { reason, .. } | Failure::Permanent { reason } => reason,
        }
    }
}

/// What to do with a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again as attempt `next_attempt`, after `delay`.
    Retry { next_attempt: u32, delay: Duration },
    /// Stop: store the job as a dead letter.
    DeadLetter,
}

/// Decides after attempt `attempt` (1-based) failed. `jitter` is a number in [0, 1) that spreads
/// the delay over ±20 % so that jobs failing together do not come back together.
#[must_use]
pub fn decide(attempt: u32, failure: &Failure, jitter: f64) -> Decision {
    let Failure::Transient { retry_after, .. } = failure else {
        return Decision::DeadLetter;
    };
    if attempt >= MAX_ATTEMPTS {
        return Decision::DeadLetter;
    }
    let index = usize::try_from(attempt.max(1) - 1).unwrap_or(usize::MAX).min(SCHEDULE_SECONDS.len() - 1);
    let base_ms = SCHEDULE_SECONDS[index] * 1000;
    let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let scheduled = Duration::from_millis((base_ms as f64 * spread) as u64);
    // The peer's own wait wins when it is longer; never shorter than what it asked for.
    let delay = retry_after.map_or(scheduled, |asked| asked.max(Duration::from_secs(1)));
    let delay = delay.min(Duration::from_secs(MAX_DELAY_SECONDS));
    Decision::Retry { next_attempt: attempt + 1, delay }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> Failure {
        Failure::Transient { retry_after: None, reason: "HTTP 502".into() }
    }

    #[test]
    fn the_schedule_grows_from_ten_seconds_to_twelve_hours_over_eight_attempts() {
        let delays: Vec<u64> = (1..MAX_ATTEMPTS)
            .map(|attempt| match decide(attempt, &transient(), 0.5) {
                Decision::Retry { delay, .. } => delay.as_secs(),
                Decision::DeadLetter => panic!("attempt {attempt} gave up"),
            })
            .collect();
        assert_eq!(delays, SCHEDULE_SECONDS.to_vec());
        assert_eq!(MAX_ATTEMPTS, 8);
        let total_hours: u64 = SCHEDULE_SECONDS.iter().sum::<u64>() / 3600;
        assert_eq!(total_hours, 20);
    }

    #[test]
    fn the_last_attempt_goes_to_the_dead_letter_store() {
        assert_eq!(decide(MAX_ATTEMPTS, &transient(), 0.5), Decision::DeadLetter);
    }

    #[test]
    fn a_permanent_failure_is_never_retried() {
        let failure = Failure::from_http_status(400, None, "bad request".into());
        assert_eq!(decide(1, &failure, 0.5), Decision::DeadLetter);
    }

    #[test]
    fn only_408_429_and_5xx_are_transient() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(Failure::from_http_status(status, None, String::new()), Failure::Transient { .. }),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(
                matches!(Failure::from_http_status(status, None, String::new()), Failure::Permanent { .. }),
                "{status}"
            );
        }
    }

    #[test]
    fn jitter_spreads_the_delay_over_plus_minus_twenty_percent() {
        let delay = |jitter| match decide(1, &transient(), jitter) {
            Decision::Retry { delay, .. } => delay,
            Decision::DeadLetter => unreachable!(),
        };
        assert_eq!(delay(0.0), Duration::from_secs(8));
        assert_eq!(delay(0.999_999), Duration::from_millis(11_999));
    }

    #[test]
    fn the_longest_schedule_is_every_delay_at_its_highest_jitter() {
        let seconds: u64 = SCHEDULE_SECONDS.iter().map(|s| (s * 12 / 10).min(MAX_DELAY_SECONDS)).sum();
        let longest = longest_schedule().as_secs();
        assert!(longest.abs_diff(seconds) <= 1, "{longest} s against {seconds} s");
        assert_eq!(longest / 3600, 22, "about 22 hours");
    }

    #[test]
    fn telegrams_retry_after_is_honoured_exactly() {
        let failure = Failure::Transient { retry_after: Some(Duration::from_secs(3)), reason: "429".into() };
        assert_eq!(decide(1, &failure, 0.9), Decision::Retry { next_attempt: 2, delay: Duration::from_secs(3) });
        let huge = Failure::Transient { retry_after: Some(Duration::from_secs(90_000)), reason: "429".into() };
        assert_eq!(decide(1, &huge, 0.9), Decision::Retry { next_attempt: 2, delay: Duration::from_secs(43_200) });
    }
}
