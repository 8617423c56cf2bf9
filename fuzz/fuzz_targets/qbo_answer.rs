//! Arbitrary bytes as a QuickBooks Online HTTP answer, read by the agent's own code
//! (`qbsync_agent::qbo::fuzzing`): the UTF-8 check and fault classification of `send_once`,
//! then the reader of the call that was made: a query page (as populate and as lookups read
//! it), a CDC answer (split per entity as refresh does), a single entity read or written, a
//! batch (with each item's fault as `push_batch` reads it), or the OAuth token endpoint.
//!
//! Input: byte 0 picks the reader, byte 1 the HTTP status (mostly 200) and whether a
//! Retry-After came with it, byte 2 the entity, byte 3 whether CDC is asked for one entity or
//! all of them; the rest is the body, as bytes.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use qbsync_agent::qbo::fuzzing::{self, Endpoint};
use qbsync_agent::qbo::{parse_fault_body, parse_fault_value, QboError};
use qbsync_agent::sync::refresh::Changes;
use qbsync_catalog::{qbo_entity, Entity, QBO_ENTITIES};
use serde_json::Value;
use std::time::Duration;

const STATUSES: [u16; 16] = [
    200, 200, 200, 200, 200, 200, 200, 201, 400, 401, 403, 404, 429, 500, 503, 302,
];

/// The error a non-2xx answer must give, by status alone (never by its content).
fn check_classified(status: u16, retry_after: Option<Duration>, e: &QboError, utf8: bool) {
    let ok = match (utf8, status) {
        (false, _) => matches!(e, QboError::Decode(_)),
        (true, 401) => matches!(e, QboError::Unauthorized { .. }),
        (true, 429) => matches!(e, QboError::Throttled { retry_after: r } if *r == retry_after),
        (true, 500..=599) => matches!(e, QboError::Server { status: s, .. } if *s == status),
        (true, _) => {
            matches!(e, QboError::Fault { status: s, errors, .. } if *s == status && !errors.is_empty())
        }
    };
    assert!(ok, "HTTP {status} (UTF-8: {utf8}) read as {e:?}");
    // Transient exactly for what is worth trying again.
    let transient = matches!(e, QboError::Throttled { .. } | QboError::Server { .. });
    assert_eq!(e.is_transient(), transient, "{e:?}");
}

/// Objects of `entity` in a CDC answer, counted independently of `parse_cdc`.
fn cdc_count(resp: &Value, entity: &str) -> usize {
    let groups = resp
        .get("CDCResponse")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("QueryResponse").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object);
    groups
        .flat_map(|g| g.iter())
        .filter(|(k, _)| qbo_entity(k).is_some_and(|e| e.name == entity))
        .filter_map(|(_, v)| v.as_array())
        .map(Vec::len)
        .sum()
}

fn check_cdc(body: &str, entity: &'static Entity, all: bool) {
    let entities: Vec<&'static Entity> = if all {
        QBO_ENTITIES.iter().filter(|e| e.cdc).collect()
    } else {
        vec![entity]
    };
    let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("constant");
    let Ok((resp, changes)) = fuzzing::cdc(body, &entities, now) else {
        return;
    };
    for e in &entities {
        let count = cdc_count(&resp, e.name);
        match changes.get(e.name) {
            Some(Changes::Cdc {
                changed, deleted, ..
            }) => {
                assert!(
                    changed.len() + deleted.len() <= count,
                    "{}: {} changed + {} deleted of {count}",
                    e.name,
                    changed.len(),
                    deleted.len()
                );
                assert!(changed
                    .iter()
                    .all(|o| o.get("status").and_then(Value::as_str) != Some("Deleted")));
            }
            Some(Changes::Fallback { .. }) => {}
            None => panic!("no changes for {}", e.name),
        }
    }
}

/// An entity answer's object: the value of a key other than `time`.
fn check_entity(body: &str, got: Result<Value, QboError>) {
    let Ok(obj) = got else { return };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else {
        panic!("an entity was read from a body that is not an object: {body}");
    };
    assert!(
        map.iter().any(|(k, v)| k != "time" && *v == obj),
        "{obj} is not in {body}"
    );
}

fn check_token(status: u16, body: &[u8]) {
    match fuzzing::token(status, body) {
        Ok(t) => {
            assert_eq!(status, 200);
            for tok in [&t.access_token, &t.refresh_token] {
                assert!(
                    !tok.is_empty() && tok.bytes().all(|b| (0x20..=0x7e).contains(&b)),
                    "token {tok:?}"
                );
            }
            for secs in [t.expires_in, t.refresh_expires_in] {
                assert!((0.0..=400_000_000.0).contains(&secs), "lifetime {secs}");
            }
        }
        Err(e) => {
            let _ = e.to_string();
            if status != 200 {
                assert!(matches!(
                    e,
                    QboError::InvalidGrant { .. }
                        | QboError::Server { .. }
                        | QboError::TokenEndpoint { .. }
                ));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [reader, status, entity, flags, body @ ..] = data else {
        return;
    };
    let status_code = STATUSES[usize::from(*status % 16)];
    let retry_after = (status & 0x10 != 0).then(|| Duration::from_secs(u64::from(*flags)));
    let entity = &QBO_ENTITIES[usize::from(*entity) % QBO_ENTITIES.len()];

    // Fault bodies are also read where no status decides (batch items, logs).
    if let Ok(text) = std::str::from_utf8(body) {
        if let Some((_, errors)) = parse_fault_body(text) {
            for e in &errors {
                let _ = (e.to_string(), e.text());
            }
        }
    }

    let endpoint = match reader % 6 {
        0 => Endpoint::Query,
        1 => Endpoint::Cdc,
        2 => Endpoint::Read,
        3 => Endpoint::Write,
        4 => Endpoint::Batch,
        _ => return check_token(status_code, body),
    };
    let utf8 = std::str::from_utf8(body).is_ok();
    let text = match fuzzing::answer(endpoint, status_code, retry_after, body) {
        Ok(text) => {
            assert!((200..300).contains(&status_code) && utf8);
            text
        }
        Err(e) => {
            let _ = (
                e.to_string(),
                e.fault(),
                e.needs_a_person(),
                e.retry_after(),
            );
            if (200..300).contains(&status_code) {
                // A success whose body cannot be read: its outcome is unknown.
                assert!(!utf8 && matches!(e, QboError::Garbled(_)), "{e:?}");
            } else {
                check_classified(status_code, retry_after, &e, utf8);
            }
            return;
        }
    };

    match endpoint {
        Endpoint::Query => {
            if let Ok(page) = fuzzing::query_page(text, entity.name) {
                if let Ok(decoded) = &page.decoded {
                    assert_eq!(decoded.len(), page.raw.len());
                    for (raw, v) in page.raw.iter().zip(decoded) {
                        assert_eq!(serde_json::from_str::<Value>(raw).ok().as_ref(), Some(v));
                    }
                }
            }
        }
        Endpoint::Cdc => check_cdc(&text, entity, flags & 1 != 0),
        Endpoint::Read => check_entity(&text, fuzzing::entity_read(&text)),
        Endpoint::Write => check_entity(&text, fuzzing::entity_written(&text)),
        Endpoint::Batch => {
            // As push_batch: items by bId, a Fault read with parse_fault_value.
            for item in fuzzing::batch(&text).into_iter().flatten() {
                let _ = item.get("bId").and_then(Value::as_str);
                if let Some(fault) = item.get("Fault") {
                    if let Some((_, errors)) = parse_fault_value(fault) {
                        for e in &errors {
                            let _ = (e.to_string(), e.text());
                        }
                    }
                }
            }
        }
        Endpoint::Report => unreachable!("reports have their own target"),
    }
});
