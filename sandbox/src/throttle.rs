//! Per-realm request limits (reference sheet §9): token buckets refilled in scaled time and an
//! in-flight cap.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// A token bucket holding `per_minute` tokens, refilled at `per_minute` per simulated minute.
/// Real time is passed in (seconds, monotonic) so tests can drive it.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last: f64,
}

impl TokenBucket {
    pub fn new(per_minute: u32, now: f64) -> Self {
        TokenBucket {
            tokens: f64::from(per_minute),
            last: now,
        }
    }

    /// Takes one token if available. `scale` is simulated seconds per real second.
    pub fn try_take(&mut self, per_minute: u32, scale: f64, now: f64) -> bool {
        let cap = f64::from(per_minute);
        let elapsed = (now - self.last).max(0.0);
        self.last = now;
        self.tokens = (self.tokens + elapsed * scale.max(0.0) * cap / 60.0).min(cap);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    #[cfg(test)]
    pub fn available(&self) -> f64 {
        self.tokens
    }
}

/// `Retry-After` in whole real seconds: one simulated minute, at least 1.
pub fn retry_after_secs(scale: f64) -> u64 {
    if !scale.is_finite() || scale <= 0.0 {
        return 60;
    }
    ((60.0 / scale).ceil() as u64).max(1)
}

/// Counts requests in flight; `try_enter` refuses past the cap and records the peak.
#[derive(Debug, Default)]
pub struct InFlight {
    current: AtomicU32,
    peak: AtomicU32,
}

/// Decrements the in-flight count when dropped.
#[derive(Debug)]
pub struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::SeqCst);
    }
}

impl InFlight {
    pub fn try_enter(self: &Arc<Self>, max: u32) -> Option<InFlightGuard> {
        let mut cur = self.current.load(Ordering::SeqCst);
        loop {
            if cur >= max {
                return None;
            }
            match self
                .current
                .compare_exchange(cur, cur + 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    self.peak.fetch_max(cur + 1, Ordering::SeqCst);
                    return Some(InFlightGuard(Arc::clone(self)));
                }
                Err(actual) => cur = actual,
            }
        }
    }

    pub fn peak(&self) -> u32 {
        self.peak.load(Ordering::SeqCst)
    }

    #[cfg(test)]
    pub fn current(&self) -> u32 {
        self.current.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills_in_real_time() {
        let mut b = TokenBucket::new(500, 0.0);
        let taken = (0..600).filter(|_| b.try_take(500, 1.0, 0.0)).count();
        assert_eq!(taken, 500);
        assert!(
            !b.try_take(500, 1.0, 0.05),
            "0.05 s refills less than one token"
        );
        assert!(b.try_take(500, 1.0, 0.2), "0.2 s refills about 1.67 tokens");
        // A full real minute refills everything, capped at the bucket size.
        let _ = b.try_take(500, 1.0, 100.0);
        assert!(b.available() <= 500.0 && b.available() >= 498.0);
    }

    #[test]
    fn bucket_refills_faster_with_time_scale() {
        let mut b = TokenBucket::new(500, 0.0);
        for _ in 0..500 {
            assert!(b.try_take(500, 60.0, 0.0));
        }
        assert!(!b.try_take(500, 60.0, 0.0));
        // One real second at scale 60 is one simulated minute: full again.
        let n = (0..600).filter(|_| b.try_take(500, 60.0, 1.0)).count();
        assert_eq!(n, 500);
        // Same real second at scale 1 would have refilled only ~8 tokens.
        let mut c = TokenBucket::new(500, 0.0);
        for _ in 0..500 {
            c.try_take(500, 1.0, 0.0);
        }
        let n = (0..600).filter(|_| c.try_take(500, 1.0, 1.0)).count();
        assert_eq!(n, 8);
    }

    #[test]
    fn retry_after_follows_scale() {
        assert_eq!(retry_after_secs(1.0), 60);
        assert_eq!(retry_after_secs(60.0), 1);
        assert_eq!(retry_after_secs(7.0), 9);
        assert_eq!(retry_after_secs(10_000.0), 1);
        assert_eq!(retry_after_secs(0.0), 60);
    }

    #[test]
    fn in_flight_cap_and_peak() {
        let f = Arc::new(InFlight::default());
        let a = f.try_enter(2).expect("first");
        let b = f.try_enter(2).expect("second");
        assert!(f.try_enter(2).is_none());
        drop(a);
        assert!(f.try_enter(2).is_some());
        drop(b);
        assert_eq!(f.current(), 0);
        assert_eq!(f.peak(), 2);
    }
}
