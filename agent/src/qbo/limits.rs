//! Per-realm request budget: a token bucket (500/min by default), a separate one for batch
//! calls (40/min) and a cap on requests in flight (10). Shared by every worker of a realm in
//! this process, so a restarted worker does not get a fresh budget.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

pub struct RealmLimits {
    pub requests: DefaultDirectRateLimiter,
    pub batches: DefaultDirectRateLimiter,
    pub in_flight: Semaphore,
}

impl RealmLimits {
    pub fn new(per_minute: u32, batch_per_minute: u32, max_in_flight: usize) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        RealmLimits {
            requests: RateLimiter::direct(quota(per_minute)),
            batches: RateLimiter::direct(quota(batch_per_minute)),
            in_flight: Semaphore::new(max_in_flight.max(1)),
        }
    }
}

#[derive(Default)]
pub struct RealmLimitsRegistry {
    realms: Mutex<HashMap<String, Arc<RealmLimits>>>,
}

impl RealmLimitsRegistry {
    pub fn get(
        &self,
        realm: &str,
        per_minute: u32,
        batch_per_minute: u32,
        max_in_flight: usize,
    ) -> Arc<RealmLimits> {
        let mut realms = self.realms.lock().unwrap_or_else(|p| p.into_inner());
        realms
            .entry(realm.to_string())
            .or_insert_with(|| {
                Arc::new(RealmLimits::new(
                    per_minute,
                    batch_per_minute,
                    max_in_flight,
                ))
            })
            .clone()
    }
}
