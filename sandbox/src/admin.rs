//! The test/demo control surface: act as a QuickBooks user behind the agent's back and turn
//! knobs. Available in-process ([`Admin`]) and over HTTP under `/admin` (JSON, no auth, no throttle).

use crate::entities;
use crate::fault::Fault;
use crate::state::{lock, FailRule, KnobPatch, Knobs, Shared, Stats};
use crate::store::Store;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use qbsync_catalog::{qbo_entity, VoidStyle};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Errors of admin actions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AdminError {
    #[error("unknown entity {0}")]
    UnknownEntity(String),
    #[error("no {0} with Id {1}")]
    NotFound(String, String),
    #[error("QuickBooks refused: {0}")]
    Fault(#[from] Fault),
}

/// Cheap-clone handle on a running sandbox's state.
#[derive(Clone)]
pub struct Admin {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("realm", &self.shared.cfg.realm_id)
            .finish()
    }
}

fn table(store: &Store, entity: &str) -> Result<usize, AdminError> {
    qbo_entity(entity)
        .and_then(|e| store.table_index(e.name))
        .ok_or_else(|| AdminError::UnknownEntity(entity.to_string()))
}

/// Whether the catalogue gives the entity an `Active` field.
fn has_active(entity: &str, op: &str) -> Result<(), AdminError> {
    let e = qbo_entity(entity).ok_or_else(|| AdminError::UnknownEntity(entity.to_string()))?;
    if e.column("active").is_some() {
        Ok(())
    } else {
        Err(Fault::unsupported_entity_operation(op, e.name).into())
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Admin {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Admin { shared }
    }

    fn now(&self) -> i64 {
        self.shared.clock.now_secs()
    }

    /// Current `{Id, SyncToken}` of a live object.
    fn current(
        &self,
        store: &Store,
        ti: usize,
        entity: &str,
        id: &str,
    ) -> Result<Map<String, Value>, AdminError> {
        let n = id
            .trim()
            .parse::<u64>()
            .map_err(|_| AdminError::NotFound(entity.to_string(), id.to_string()))?;
        let rec = store
            .live(ti, n)
            .ok_or_else(|| AdminError::NotFound(entity.to_string(), id.to_string()))?;
        Ok(object(
            json!({"Id": id, "SyncToken": rec.obj.get("SyncToken").cloned().unwrap_or(Value::from("0"))}),
        ))
    }

    /// Creates an object as a user would (business rules apply; not counted as an API create).
    pub fn create(&self, entity: &str, body: Value) -> Result<Value, AdminError> {
        let mut store = lock(&self.shared.store);
        let ti = table(&store, entity)?;
        Ok(Value::Object(entities::create(
            &mut store,
            ti,
            object(body),
            self.now(),
        )?))
    }

    /// Sparse-updates the given fields (the current SyncToken is filled in).
    pub fn sparse_update(
        &self,
        entity: &str,
        id: &str,
        fields: Value,
    ) -> Result<Value, AdminError> {
        let mut store = lock(&self.shared.store);
        let ti = table(&store, entity)?;
        let mut body = self.current(&store, ti, entity, id)?;
        for (k, v) in object(fields) {
            if k != "Id" && k != "SyncToken" {
                body.insert(k, v);
            }
        }
        body.insert("sparse".into(), Value::Bool(true));
        Ok(Value::Object(entities::update(
            &mut store,
            ti,
            body,
            self.now(),
        )?))
    }

    /// Deletes a transaction; returns the `{"domain","status":"Deleted","Id"}` stub.
    pub fn delete(&self, entity: &str, id: &str) -> Result<Value, AdminError> {
        let mut store = lock(&self.shared.store);
        let ti = table(&store, entity)?;
        let body = self.current(&store, ti, entity, id)?;
        Ok(entities::delete(&mut store, ti, body, self.now())?)
    }

    /// Voids a transaction the way its entity is voided.
    pub fn void(&self, entity: &str, id: &str) -> Result<Value, AdminError> {
        let mut store = lock(&self.shared.store);
        let ti = table(&store, entity)?;
        let style = match store.entity(ti).void {
            VoidStyle::None => {
                return Err(
                    Fault::unsupported_entity_operation("Void", store.entity(ti).name).into(),
                )
            }
            s => s,
        };
        let body = self.current(&store, ti, entity, id)?;
        Ok(Value::Object(entities::void(
            &mut store,
            ti,
            body,
            style,
            self.now(),
        )?))
    }

    /// Makes a name-list record inactive (" (deleted)" is appended where QuickBooks renames).
    /// A QuickBooks user may switch off tax codes and rates too; entities without an `Active`
    /// field (TaxAgency, transactions) refuse.
    pub fn deactivate(&self, entity: &str, id: &str) -> Result<Value, AdminError> {
        has_active(entity, "Deactivate")?;
        self.sparse_update(entity, id, json!({"Active": false}))
    }

    /// Makes a name-list record active again (the suffix is removed).
    pub fn reactivate(&self, entity: &str, id: &str) -> Result<Value, AdminError> {
        has_active(entity, "Reactivate")?;
        self.sparse_update(entity, id, json!({"Active": true}))
    }

    /// Turns multicurrency on, as a QuickBooks user does in Account and Settings (Preferences
    /// `CurrencyPrefs.MultiCurrencyEnabled`; once on it cannot be turned off). Returns the
    /// Preferences object; a no-op when it is already on.
    pub fn enable_multicurrency(&self) -> Result<Value, AdminError> {
        self.sparse_update(
            "Preferences",
            "1",
            json!({"CurrencyPrefs": {"MultiCurrencyEnabled": true}}),
        )
    }

    /// Sets the exchange rate of `code` (home-currency units per unit of `code`) from
    /// `as_of` (`YYYY-MM-DD`; today when empty) on, as a QuickBooks user does in the currency
    /// list (works with multicurrency off too). Returns the `ExchangeRate` object.
    pub fn set_exchange_rate(
        &self,
        code: &str,
        as_of: &str,
        rate: f64,
    ) -> Result<Value, AdminError> {
        let mut store = lock(&self.shared.store);
        let body = object(json!({"SourceCurrencyCode": code, "AsOfDate": as_of, "Rate": rate}));
        Ok(entities::write_exchange_rate(
            &mut store,
            &body,
            self.now(),
        )?)
    }

    /// The `ExchangeRate` object QuickBooks uses for `code` on `as_of` (`YYYY-MM-DD`; today
    /// when empty): the latest rate set on or before that date.
    pub fn exchange_rate(&self, code: &str, as_of: &str) -> Result<Value, AdminError> {
        let store = lock(&self.shared.store);
        Ok(entities::admin_read_exchange_rate(
            &store,
            code,
            as_of,
            self.now(),
        )?)
    }

    /// Reads a live object (None if missing or deleted).
    pub fn read(&self, entity: &str, id: &str) -> Option<Value> {
        let store = lock(&self.shared.store);
        let ti = table(&store, entity).ok()?;
        let n = id.trim().parse::<u64>().ok()?;
        store.live(ti, n).map(|r| Value::Object(r.obj.clone()))
    }

    /// Live objects of an entity, inactive included, deleted excluded.
    pub fn count(&self, entity: &str) -> usize {
        let store = lock(&self.shared.store);
        table(&store, entity).map(|ti| store.count(ti)).unwrap_or(0)
    }

    /// Creates of this entity received through the API (HTTP and batch items).
    pub fn api_creates(&self, entity: &str) -> u64 {
        let name = qbo_entity(entity).map(|e| e.name).unwrap_or(entity);
        lock(&self.shared.stats)
            .creates_by_entity
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    /// Ids of live objects whose field equals `value` (e.g. DocNumber), inactive included.
    pub fn find(&self, entity: &str, field: &str, value: &str) -> Vec<String> {
        let store = lock(&self.shared.store);
        let Ok(ti) = table(&store, entity) else {
            return Vec::new();
        };
        store.tables[ti]
            .rows
            .iter()
            .filter(|(_, r)| !r.deleted && r.obj.get(field).and_then(Value::as_str) == Some(value))
            .map(|(id, _)| id.to_string())
            .collect()
    }

    pub fn knobs(&self) -> Knobs {
        self.shared.knobs()
    }

    /// Applies a partial knob update; returns the result.
    pub fn set_knobs(&self, patch: KnobPatch) -> Knobs {
        let mut k = lock(&self.shared.knobs);
        if let Some(v) = patch.time_scale.filter(|v| v.is_finite() && *v > 0.0) {
            k.time_scale = v;
        }
        if let Some(v) = patch.ignore_request_id {
            k.ignore_request_id = v;
        }
        if let Some(v) = patch.xml_throttle {
            k.xml_throttle = v;
        }
        if let Some(v) = patch.strict_cdc {
            k.strict_cdc = v;
        }
        if let Some(v) = patch.latency_ms {
            k.latency_ms = v;
        }
        if let Some(v) = patch.rotate_refresh_every_secs {
            k.rotate_refresh_every_secs = v;
        }
        if let Some(v) = patch.force_throttle_next {
            k.force_throttle_next = v;
        }
        k.clone()
    }

    pub fn set_time_scale(&self, v: f64) {
        self.set_knobs(KnobPatch {
            time_scale: Some(v),
            ..KnobPatch::default()
        });
    }

    pub fn set_ignore_request_id(&self, v: bool) {
        self.set_knobs(KnobPatch {
            ignore_request_id: Some(v),
            ..KnobPatch::default()
        });
    }

    pub fn set_xml_throttle(&self, v: bool) {
        self.set_knobs(KnobPatch {
            xml_throttle: Some(v),
            ..KnobPatch::default()
        });
    }

    pub fn set_strict_cdc(&self, v: bool) {
        self.set_knobs(KnobPatch {
            strict_cdc: Some(v),
            ..KnobPatch::default()
        });
    }

    pub fn set_latency_ms(&self, v: u64) {
        self.set_knobs(KnobPatch {
            latency_ms: Some(v),
            ..KnobPatch::default()
        });
    }

    pub fn set_rotate_refresh_every_secs(&self, v: i64) {
        self.set_knobs(KnobPatch {
            rotate_refresh_every_secs: Some(v),
            ..KnobPatch::default()
        });
    }

    /// The next `n` API requests get 429.
    pub fn force_throttle_next(&self, n: u32) {
        self.set_knobs(KnobPatch {
            force_throttle_next: Some(n),
            ..KnobPatch::default()
        });
    }

    /// Queues a fault injection rule (see [`FailRule`]).
    pub fn fail_next(&self, rule: FailRule) {
        if rule.count > 0 {
            lock(&self.shared.knobs).fail_next.push(rule);
        }
    }

    /// Moves the sandbox clock forward (token expiry, CDC window, LastUpdatedTime).
    pub fn advance_clock(&self, secs: i64) {
        self.shared.clock.advance(secs);
    }

    /// Sandbox time, epoch seconds.
    pub fn now_secs(&self) -> i64 {
        self.now()
    }

    /// Invalidates every refresh token: the next refresh gets `invalid_grant`.
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.shared.oauth).revoke();
    }

    /// Invalidates every access token issued so far: the next API call gets 401.
    pub fn expire_access_tokens(&self) {
        lock(&self.shared.oauth).expire_access_tokens();
    }

    /// Reconnects the app (re-consent): returns the new refresh token the sandbox accepts.
    pub fn reconnect(&self) -> String {
        let now = self.now();
        lock(&self.shared.oauth).reconnect(now)
    }

    /// The refresh token the sandbox currently accepts (None after revocation).
    pub fn current_refresh_token(&self) -> Option<String> {
        lock(&self.shared.oauth).current_refresh_token()
    }

    pub fn stats(&self) -> Stats {
        let mut s = lock(&self.shared.stats).clone();
        s.max_in_flight_observed = s.max_in_flight_observed.max(self.shared.in_flight.peak());
        s
    }

    /// Forgets stored `requestid` responses.
    pub fn clear_request_ids(&self) {
        lock(&self.shared.replies).clear();
    }

    /// Runs a report as `GET /reports/{name}?{params}` would, without HTTP, auth or throttle:
    /// the report JSON, or the fault the API would answer with.
    pub fn report(&self, name: &str, params: &[(&str, &str)]) -> Result<Value, AdminError> {
        let raw: std::collections::HashMap<String, String> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let store = lock(&self.shared.store);
        Ok(crate::reports::run_value(&store, name, &raw, self.now())?)
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP.

fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

fn err(e: AdminError) -> Response {
    let status = match &e {
        AdminError::UnknownEntity(_) | AdminError::NotFound(..) => StatusCode::NOT_FOUND,
        AdminError::Fault(_) => StatusCode::BAD_REQUEST,
    };
    let body = match &e {
        AdminError::Fault(f) => json!({"error": e.to_string(), "Fault": f.body_value()}),
        _ => json!({"error": e.to_string()}),
    };
    (status, Json(body)).into_response()
}

fn result(r: Result<Value, AdminError>) -> Response {
    r.map(ok).unwrap_or_else(err)
}

type S = State<Arc<Shared>>;

fn admin(sh: Arc<Shared>) -> Admin {
    Admin::new(sh)
}

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/stats", get(|State(sh): S| async move { ok(serde_json::to_value(admin(sh).stats()).unwrap_or_default()) }))
        .route(
            "/knobs",
            get(|State(sh): S| async move { ok(serde_json::to_value(admin(sh).knobs()).unwrap_or_default()) }).post(
                |State(sh): S, Json(p): Json<KnobPatch>| async move { ok(serde_json::to_value(admin(sh).set_knobs(p)).unwrap_or_default()) },
            ),
        )
        .route(
            "/fail_next",
            post(|State(sh): S, Json(r): Json<FailRule>| async move {
                let a = admin(sh);
                a.fail_next(r);
                ok(serde_json::to_value(a.knobs().fail_next).unwrap_or_default())
            }),
        )
        .route(
            "/force_throttle_next",
            post(|State(sh): S, Json(v): Json<Value>| async move {
                let n = v.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
                admin(sh).force_throttle_next(n);
                ok(json!({"force_throttle_next": n}))
            }),
        )
        .route(
            "/advance_clock",
            post(|State(sh): S, Json(v): Json<Value>| async move {
                let a = admin(sh);
                a.advance_clock(v.get("secs").and_then(Value::as_i64).unwrap_or(0));
                ok(json!({"now": crate::clock::meta_time(a.now_secs())}))
            }),
        )
        .route(
            "/revoke_refresh_tokens",
            post(|State(sh): S| async move {
                admin(sh).revoke_refresh_tokens();
                ok(json!({"revoked": true}))
            }),
        )
        .route(
            "/expire_access_tokens",
            post(|State(sh): S| async move {
                admin(sh).expire_access_tokens();
                ok(json!({"expired": true}))
            }),
        )
        .route("/reconnect", post(|State(sh): S| async move { ok(json!({"refresh_token": admin(sh).reconnect()})) }))
        .route("/refresh_token", get(|State(sh): S| async move { ok(json!({"refresh_token": admin(sh).current_refresh_token()})) }))
        .route(
            "/clear_request_ids",
            post(|State(sh): S| async move {
                admin(sh).clear_request_ids();
                ok(json!({"cleared": true}))
            }),
        )
        .route(
            "/count/{entity}",
            get(|State(sh): S, Path(e): Path<String>| async move {
                let a = admin(sh);
                ok(json!({"entity": e, "count": a.count(&e), "api_creates": a.api_creates(&e)}))
            }),
        )
        .route(
            "/creates",
            get(|State(sh): S| async move {
                let m: BTreeMap<String, u64> = admin(sh).stats().creates_by_entity;
                ok(serde_json::to_value(m).unwrap_or_default())
            }),
        )
        .route("/enable_multicurrency", post(|State(sh): S| async move { result(admin(sh).enable_multicurrency()) }))
        .route(
            "/exchange_rate",
            get(|State(sh): S, Query(q): Query<HashMap<String, String>>| async move {
                let p = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
                result(admin(sh).exchange_rate(p("code"), p("as_of")))
            })
            .post(|State(sh): S, Json(v): Json<Value>| async move {
                let code = v.get("code").and_then(Value::as_str).unwrap_or("");
                let as_of = v.get("as_of").and_then(Value::as_str).unwrap_or("");
                match v.get("rate").and_then(Value::as_f64) {
                    Some(rate) => result(admin(sh).set_exchange_rate(code, as_of, rate)),
                    None => err(AdminError::Fault(Fault::required_param("rate"))),
                }
            }),
        )
        .route("/entities/{entity}", post(|State(sh): S, Path(e): Path<String>, Json(b): Json<Value>| async move { result(admin(sh).create(&e, b)) }))
        .route(
            "/entities/{entity}/{id}",
            get(|State(sh): S, Path((e, id)): Path<(String, String)>| async move {
                match admin(sh).read(&e, &id) {
                    Some(v) => ok(v),
                    None => err(AdminError::NotFound(e, id)),
                }
            }),
        )
        .route(
            "/entities/{entity}/{id}/update",
            post(|State(sh): S, Path((e, id)): Path<(String, String)>, Json(b): Json<Value>| async move { result(admin(sh).sparse_update(&e, &id, b)) }),
        )
        .route("/entities/{entity}/{id}/delete", post(|State(sh): S, Path((e, id)): Path<(String, String)>| async move { result(admin(sh).delete(&e, &id)) }))
        .route("/entities/{entity}/{id}/void", post(|State(sh): S, Path((e, id)): Path<(String, String)>| async move { result(admin(sh).void(&e, &id)) }))
        .route(
            "/entities/{entity}/{id}/deactivate",
            post(|State(sh): S, Path((e, id)): Path<(String, String)>| async move { result(admin(sh).deactivate(&e, &id)) }),
        )
        .route(
            "/entities/{entity}/{id}/reactivate",
            post(|State(sh): S, Path((e, id)): Path<(String, String)>| async move { result(admin(sh).reactivate(&e, &id)) }),
        )
}
