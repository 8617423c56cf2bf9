//! Per-realm request budget: a token bucket (500/min by default), a separate one for batch
//! calls (40/min) and a cap on requests in flight (10). Shared by every worker of a realm in
//! this process, so a restarted worker does not get a fresh budget.
//!
//! Buckets refill in scaled time (`time_scale` simulated seconds per real second, like the
//! sandbox's knob), so a benchmark can run many simulated minutes of budget in seconds. Their
//! burst is a little under QuickBooks' (see [`burst`]), so that nothing sent is throttled.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// What the budget granted a caller that asked for a request token (see [`RealmLimits::slot`]).
/// It is paid for: hand it to the request that uses it (the `*_with` calls of `QboClient`),
/// which then does not pay again on its first attempt. Dropped unused, its tokens are lost.
/// Not `Clone`: one slot pays for one request.
#[must_use = "a slot is a paid request token; dropping it wastes budget"]
#[derive(Debug, PartialEq, Eq)]
pub enum Slot {
    /// A request token and a batch token: enough for one `/batch` call.
    Batch,
    /// A request token only: a single request, or a batch call that still waits for its batch
    /// token when it is sent.
    Single,
}

impl Slot {
    /// Whether this slot also paid for a batch call.
    pub fn is_batch(&self) -> bool {
        matches!(self, Slot::Batch)
    }
}

/// The limits of one realm, as the agent enforces them on itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub requests_per_minute: u32,
    pub batch_per_minute: u32,
    pub max_in_flight: usize,
    /// Simulated seconds per real second (1 = real time).
    pub time_scale: f64,
}

pub struct RealmLimits {
    pub requests: DefaultDirectRateLimiter,
    pub batches: DefaultDirectRateLimiter,
    pub in_flight: Semaphore,
    max_in_flight: usize,
}

/// The longest we allow between a request paying its token and QuickBooks counting it (body
/// built, a place in flight, the trip). See [`burst`].
const PAY_TO_ARRIVAL: Duration = Duration::from_millis(500);

/// The burst the agent allows itself out of QuickBooks' `n`: `n` less what QuickBooks refills
/// in [`PAY_TO_ARRIVAL`] (at least one token). QuickBooks counts a request when it arrives,
/// the agent when it pays. While QuickBooks' bucket is full, its refill between the two is
/// lost, whereas the agent's bucket, already short of the token, keeps refilling: with equal
/// buckets the agent would end up that much ahead of QuickBooks, and a request sent on its
/// last token would come back 429, which costs a whole minute (Retry-After). Only the burst is
/// smaller, not the rate: the margin is paid once, after an idle spell.
pub fn burst(n: u32, time_scale: f64) -> u32 {
    let per_sec = f64::from(n) / 60.0 * time_scale;
    let margin = (per_sec * PAY_TO_ARRIVAL.as_secs_f64()).ceil().max(1.0);
    // The cast saturates; a margin of the whole bucket leaves one token.
    n.saturating_sub(margin as u32).max(1)
}

/// `n` per simulated minute with a burst of [`burst`], refilled `time_scale` times faster
/// than real time. Built from the period, not `Quota::per_minute`: that one (burst `n`) cannot
/// be scaled, and scaling `n` instead would grow the burst with it.
pub fn scaled_quota(n: u32, time_scale: f64) -> Quota {
    let n = n.max(1);
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    let burst = NonZeroU32::new(burst(n, scale)).unwrap_or(NonZeroU32::MIN);
    // At least a nanosecond: a zero period has no quota (`with_period` returns None).
    let period =
        Duration::from_secs_f64(60.0 / (f64::from(n) * scale)).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .map(|q| q.allow_burst(burst))
        .unwrap_or_else(|| Quota::per_minute(burst))
}

impl RealmLimits {
    pub fn new(budget: Budget) -> Self {
        let max_in_flight = budget.max_in_flight.max(1);
        RealmLimits {
            requests: RateLimiter::direct(scaled_quota(
                budget.requests_per_minute,
                budget.time_scale,
            )),
            batches: RateLimiter::direct(scaled_quota(budget.batch_per_minute, budget.time_scale)),
            in_flight: Semaphore::new(max_in_flight),
            max_in_flight,
        }
    }

    /// Requests this realm may have in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Waits for a request token, and takes a batch token too if one is free right now (never
    /// waits for it). The caller sends a batch call on [`Slot::Batch`] and a single request on
    /// [`Slot::Single`], so neither bucket sits idle while the other has tokens.
    pub async fn slot(&self) -> Slot {
        self.requests.until_ready().await;
        if self.batches.check().is_ok() {
            Slot::Batch
        } else {
            Slot::Single
        }
    }

    /// Pays what `prepaid` does not cover for one attempt of a request (a batch call needs a
    /// batch token as well). Retries come with `None` and pay in full.
    pub async fn pay(&self, batch: bool, prepaid: Option<Slot>) {
        match prepaid {
            Some(Slot::Batch) => {}
            Some(Slot::Single) if !batch => {}
            Some(Slot::Single) => self.batches.until_ready().await,
            None => {
                // The scarcer token first, so the request token is not held while waiting.
                if batch {
                    self.batches.until_ready().await;
                }
                self.requests.until_ready().await;
            }
        }
    }
}

#[derive(Default)]
pub struct RealmLimitsRegistry {
    realms: Mutex<HashMap<String, Arc<RealmLimits>>>,
}

impl RealmLimitsRegistry {
    /// The limits of `realm`, made with `budget` the first time it is asked for.
    pub fn get(&self, realm: &str, budget: Budget) -> Arc<RealmLimits> {
        let mut realms = self.realms.lock().unwrap_or_else(|p| p.into_inner());
        realms
            .entry(realm.to_string())
            .or_insert_with(|| Arc::new(RealmLimits::new(budget)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn budget(per_minute: u32, batch: u32, time_scale: f64) -> Budget {
        Budget {
            requests_per_minute: per_minute,
            batch_per_minute: batch,
            max_in_flight: 10,
            time_scale,
        }
    }

    fn burst_margin(n: u32, scale: f64) -> usize {
        (n - burst(n, scale)) as usize
    }

    fn drain(l: &DefaultDirectRateLimiter) -> usize {
        std::iter::from_fn(|| l.check().ok()).take(100_000).count()
    }

    #[test]
    fn burst_is_the_per_minute_count_less_a_margin_for_the_trip() {
        // 500/min refills 4.2 tokens in 500 ms (5 kept back), 40/min 0.33 (1 kept back).
        let l = RealmLimits::new(budget(500, 40, 1.0));
        assert_eq!(drain(&l.requests), 495);
        assert_eq!(drain(&l.batches), 39);
        // Ten times faster, ten times the margin; the rate is scaled, the burst barely.
        let l = RealmLimits::new(budget(500, 40, 10.0));
        assert_eq!(drain(&l.requests), 500 - 42);
        assert_eq!(drain(&l.batches), 40 - 4);
        assert_eq!(burst(1, 1.0), 1);
        assert_eq!(burst(40, 1e9), 1);
    }

    #[test]
    fn refill_is_scaled() {
        // 600/min at scale 60 is 600 tokens per real second: 100 ms refills about 60.
        let l = RealmLimits::new(budget(600, 40, 60.0));
        assert_eq!(drain(&l.requests), 600 - burst_margin(600, 60.0));
        let began = Instant::now();
        std::thread::sleep(Duration::from_millis(100));
        let refilled = drain(&l.requests);
        let expected = began.elapsed().as_secs_f64() * 600.0;
        assert!(
            (refilled as f64) <= expected + 1.0 && refilled >= 50,
            "refilled {refilled}, expected about {expected:.0}"
        );
        // Real time: 100 ms refills less than one token of 60/min (one a second).
        let slow = RealmLimits::new(budget(60, 40, 1.0));
        assert_eq!(drain(&slow.requests), 59);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(drain(&slow.requests), 0);
    }

    #[test]
    fn nonsense_scale_is_real_time() {
        for scale in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let l = RealmLimits::new(budget(500, 40, scale));
            assert_eq!(drain(&l.requests), 495, "scale {scale}");
        }
    }

    #[tokio::test]
    async fn slot_takes_a_batch_token_only_when_one_is_free() {
        // Bursts of 9 requests and 2 batch calls (a margin of one each).
        let l = RealmLimits::new(budget(10, 3, 1.0));
        assert_eq!(l.slot().await, Slot::Batch);
        assert_eq!(l.slot().await, Slot::Batch);
        assert_eq!(l.slot().await, Slot::Single);
        // 3 request tokens and 2 batch tokens are gone.
        assert_eq!(drain(&l.requests), 6);
        assert_eq!(drain(&l.batches), 0);
    }

    #[tokio::test]
    async fn prepaid_slots_are_not_paid_twice() {
        // Bursts of 3 requests and 1 batch call.
        let l = RealmLimits::new(budget(4, 2, 1.0));
        let slot = l.slot().await;
        assert!(slot.is_batch());
        // A batch call on its batch slot pays nothing more; a single on a single slot neither.
        tokio::time::timeout(Duration::from_millis(50), l.pay(true, Some(slot)))
            .await
            .expect("a prepaid batch call does not wait");
        let slot = l.slot().await;
        assert_eq!(slot, Slot::Single);
        tokio::time::timeout(Duration::from_millis(50), l.pay(false, Some(slot)))
            .await
            .expect("a prepaid single does not wait");
        // One request token is left; an unpaid single takes it, the next one must wait.
        l.pay(false, None).await;
        assert!(
            tokio::time::timeout(Duration::from_millis(50), l.pay(false, None))
                .await
                .is_err(),
            "the bucket is empty"
        );
    }

    #[test]
    fn registry_shares_one_budget_per_realm() {
        let r = RealmLimitsRegistry::default();
        let a = r.get("1", budget(6, 1, 1.0));
        let b = r.get("1", budget(500, 40, 1.0));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(drain(&b.requests), 5, "the first budget stays");
        assert!(!Arc::ptr_eq(&a, &r.get("2", budget(5, 1, 1.0))));
    }
}
