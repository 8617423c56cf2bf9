//! State shared by every request: config, clock, data, tokens, knobs, limits, stats.

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::oauth::OAuth;
use crate::store::Store;
use crate::throttle::{InFlight, TokenBucket};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Locks a mutex, recovering the data if a panicking thread poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Inject a fault into the next `count` requests whose path (with query string) contains `path_contains`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailRule {
    #[serde(default)]
    pub path_contains: String,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default = "five_hundred")]
    pub status: u16,
    /// Fault code; default `10000` for 5xx, `6000` otherwise.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// Execute the request first, then answer with the fault (a lost response).
    #[serde(default)]
    pub after_execute: bool,
    /// With `after_execute`: hold the answer this long (ms) after executing. A client that dies
    /// meanwhile never sees it, which is a crash after QuickBooks applied the request.
    #[serde(default)]
    pub hold_ms: u64,
    /// Execute the request, then answer with its real body made invalid UTF-8 (two stray bytes
    /// inside the first string value), as a corrupted answer from QuickBooks would be.
    #[serde(default)]
    pub invalid_utf8: bool,
    /// Execute the request, then answer 200 with the first half of its real body only (a
    /// connection cut mid-answer): the client cannot tell what QuickBooks did.
    #[serde(default)]
    pub truncate_body: bool,
}

fn one() -> u32 {
    1
}

fn five_hundred() -> u16 {
    500
}

impl FailRule {
    pub fn new(path_contains: &str, count: u32, status: u16) -> Self {
        FailRule {
            path_contains: path_contains.to_string(),
            count,
            status,
            code: None,
            message: None,
            detail: None,
            after_execute: false,
            hold_ms: 0,
            invalid_utf8: false,
            truncate_body: false,
        }
    }

    pub fn fault(&self) -> crate::fault::Fault {
        let code = self.code.clone().unwrap_or_else(|| {
            if self.status >= 500 {
                "10000".to_string()
            } else {
                "6000".to_string()
            }
        });
        let kind = if self.status >= 500 {
            "SystemFault"
        } else {
            "ValidationFault"
        };
        let message = self
            .message
            .clone()
            .unwrap_or_else(|| crate::fault::default_message(&code).to_string());
        let detail = self
            .detail
            .clone()
            .unwrap_or_else(|| format!("{message} (injected by the sandbox)"));
        crate::fault::Fault::new(self.status, kind, &code, &message, detail, Some(""))
    }
}

/// Runtime switches (all settable through [`crate::Admin`] and `POST /admin/knobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knobs {
    pub time_scale: f64,
    pub ignore_request_id: bool,
    pub xml_throttle: bool,
    pub strict_cdc: bool,
    pub latency_ms: u64,
    pub rotate_refresh_every_secs: i64,
    pub force_throttle_next: u32,
    pub fail_next: Vec<FailRule>,
}

/// A partial update of [`Knobs`] (`POST /admin/knobs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KnobPatch {
    pub time_scale: Option<f64>,
    pub ignore_request_id: Option<bool>,
    pub xml_throttle: Option<bool>,
    pub strict_cdc: Option<bool>,
    pub latency_ms: Option<u64>,
    pub rotate_refresh_every_secs: Option<i64>,
    pub force_throttle_next: Option<u32>,
}

/// Counters (`GET /admin/stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests_total: u64,
    pub requests_by_route: BTreeMap<String, u64>,
    pub throttled_429: u64,
    /// API answers with an error status other than 429 (faults, 401s, 5xx): requests that
    /// spent budget without doing anything (a batch's item faults are inside a 200, not here).
    #[serde(default)]
    pub error_answers: u64,
    pub max_in_flight_observed: u32,
    pub token_refreshes: u64,
    /// Creates received through the API (HTTP and batch), per entity.
    pub creates_by_entity: BTreeMap<String, u64>,
    pub request_id_replays: u64,
    pub injected_faults: u64,
    pub unauthorized_401: u64,
}

/// A stored response for `requestid` replay.
#[derive(Debug, Clone)]
pub struct StoredReply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

pub struct Buckets {
    pub api: TokenBucket,
    pub batch: TokenBucket,
}

pub struct Shared {
    pub cfg: SandboxConfig,
    pub clock: Clock,
    pub store: Mutex<Store>,
    pub oauth: Mutex<OAuth>,
    pub knobs: Mutex<Knobs>,
    pub buckets: Mutex<Buckets>,
    pub in_flight: Arc<InFlight>,
    pub stats: Mutex<Stats>,
    pub replies: Mutex<HashMap<String, StoredReply>>,
    pub epoch: Instant,
}

impl Shared {
    pub fn new(cfg: SandboxConfig, store: Store, clock: Clock) -> Self {
        let now = clock.now_secs();
        let knobs = Knobs {
            time_scale: cfg.time_scale,
            ignore_request_id: false,
            xml_throttle: false,
            strict_cdc: false,
            latency_ms: 0,
            rotate_refresh_every_secs: cfg.rotate_refresh_every_secs,
            force_throttle_next: 0,
            fail_next: Vec::new(),
        };
        Shared {
            oauth: Mutex::new(OAuth::new(
                &cfg.client_id,
                &cfg.client_secret,
                &cfg.refresh_token,
                now,
            )),
            buckets: Mutex::new(Buckets {
                api: TokenBucket::new(cfg.requests_per_minute, 0.0),
                batch: TokenBucket::new(cfg.batch_per_minute, 0.0),
            }),
            knobs: Mutex::new(knobs),
            store: Mutex::new(store),
            in_flight: Arc::new(InFlight::default()),
            stats: Mutex::new(Stats::default()),
            replies: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
            clock,
            cfg,
        }
    }

    /// Real seconds since start (the throttle's time base).
    pub fn real_secs(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    pub fn knobs(&self) -> Knobs {
        lock(&self.knobs).clone()
    }

    pub fn count_route(&self, route: &str) {
        let mut s = lock(&self.stats);
        s.requests_total += 1;
        *s.requests_by_route.entry(route.to_string()).or_insert(0) += 1;
    }

    /// Takes the first fail rule matching `path` (with query), if any.
    pub fn take_fail_rule(&self, path: &str) -> Option<FailRule> {
        let mut k = lock(&self.knobs);
        let pos = k
            .fail_next
            .iter()
            .position(|r| r.count > 0 && path.contains(&r.path_contains))?;
        let rule = k.fail_next[pos].clone();
        k.fail_next[pos].count -= 1;
        if k.fail_next[pos].count == 0 {
            k.fail_next.remove(pos);
        }
        lock(&self.stats).injected_faults += 1;
        Some(rule)
    }
}
