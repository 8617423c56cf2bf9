//! One API operation against the store, independent of HTTP: entity writes, reads, queries.
//! Returns bodies without the envelope `time` so that `/batch` can reuse them.

use crate::capability::{self, Operation};
use crate::entities;
use crate::fault::Fault;
use crate::query::{self, QueryError};
use crate::store::{QueryOutput, Store};
use qbsync_catalog::VoidStyle;
use serde_json::{Map, Value};

/// Result of a write: the entity name (the wrapper key), the object JSON, whether it created.
#[derive(Debug)]
pub struct WriteResult {
    pub entity: &'static str,
    pub json: String,
    pub created: bool,
}

/// What a write request asks for, from `operation` / `include` / `optionsData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// Create, or update when the body carries an Id.
    Save,
    Delete,
    Void(VoidStyle),
}

impl WriteKind {
    /// From the query parameters of `POST /{resource}`.
    pub fn from_params(operation: Option<&str>, include: Option<&str>) -> Result<Self, Fault> {
        let include_void =
            include.is_some_and(|i| i.split(',').any(|p| p.trim().eq_ignore_ascii_case("void")));
        match operation.map(str::to_ascii_lowercase).as_deref() {
            Some("delete") => Ok(WriteKind::Delete),
            Some("void") => Ok(WriteKind::Void(VoidStyle::OperationVoid)),
            Some("update") if include_void => Ok(WriteKind::Void(VoidStyle::UpdateIncludeVoid)),
            None | Some("update") | Some("create") if !include_void => Ok(WriteKind::Save),
            None => Err(Fault::unsupported_operation("include=void")),
            Some(other) => Err(Fault::unsupported_operation(other)),
        }
    }

    /// From a batch item's `operation` and `optionsData`.
    pub fn from_batch(operation: Option<&str>, options: Option<&str>) -> Result<Self, Fault> {
        let void_opt = options.is_some_and(|o| o.eq_ignore_ascii_case("void"));
        match operation.map(str::to_ascii_lowercase).as_deref() {
            Some("delete") => Ok(WriteKind::Delete),
            Some("void") => Ok(WriteKind::Void(VoidStyle::OperationVoid)),
            Some("update") if void_opt => Ok(WriteKind::Void(VoidStyle::UpdateIncludeVoid)),
            None | Some("update") | Some("create") => Ok(WriteKind::Save),
            Some(other) => Err(Fault::unsupported_operation(other)),
        }
    }
}

/// Parses a JSON request body into an object (2010 when it is not one).
pub fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Fault> {
    let text = std::str::from_utf8(body).map_err(|_| Fault::invalid_utf8())?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Fault::unsupported_property("(root)")),
        Err(e) => Err(Fault::unsupported_property(&format!(
            "(unparseable JSON: {e})"
        ))),
    }
}

/// Executes a write from an API client (REST route or batch item) on table `ti`, after the
/// catalogue's capability check.
pub fn write(
    store: &mut Store,
    ti: usize,
    kind: WriteKind,
    body: Map<String, Value>,
    now: i64,
) -> Result<WriteResult, Fault> {
    let op = match kind {
        WriteKind::Save => Some(Operation::of_save(&body)),
        WriteKind::Delete => Some(Operation::Delete),
        WriteKind::Void(_) => None,
    };
    if let Some(op) = op {
        capability::check(store.entity(ti), op)?;
    }
    let entity = store.entity(ti).name;
    let (obj, created) = match kind {
        WriteKind::Delete => {
            let stub = entities::delete(store, ti, body, now)?;
            return Ok(WriteResult {
                entity,
                json: stub.to_string(),
                created: false,
            });
        }
        WriteKind::Void(style) => (entities::void(store, ti, body, style, now)?, false),
        WriteKind::Save => match Operation::of_save(&body) {
            Operation::Update => (entities::update(store, ti, body, now)?, false),
            _ => (entities::create(store, ti, body, now)?, true),
        },
    };
    Ok(WriteResult {
        entity,
        json: serde_json::to_string(&obj).unwrap_or_default(),
        created,
    })
}

/// Reads one object: `(entity name, object JSON)`.
pub fn read(store: &Store, ti: usize, id: &str) -> Result<(&'static str, String), Fault> {
    let obj = entities::read(store, ti, id)?;
    Ok((
        store.entity(ti).name,
        serde_json::to_string(&obj).unwrap_or_default(),
    ))
}

fn query_fault(e: QueryError) -> Fault {
    match e {
        QueryError::Parse(d) => Fault::parse_query(format!("QueryParserError: {d}")),
        QueryError::Invalid(d) => Fault::invalid_query(d),
    }
}

/// Runs a query and returns the `QueryResponse` object JSON.
pub fn run_query(store: &Store, text: &str) -> Result<String, Fault> {
    let mut q = query::parse(text).map_err(query_fault)?;
    let Some(ti) = store.table_index(&q.entity) else {
        return Err(Fault::invalid_query(format!(
            "invalid context declaration: {}",
            q.entity
        )));
    };
    let entity = store.entity(ti);
    if entity.name == "Preferences" {
        // §13: Preferences has no paging; STARTPOSITION/MAXRESULTS (still validated by the
        // parser) are ignored and the one object comes back.
        q.start_position = 1;
        q.max_results = usize::MAX;
    }
    let active_only = entity.active_filter && !q.mentions_active();
    Ok(match store.query(ti, &q, active_only) {
        QueryOutput::Count(n) => format!("{{\"totalCount\":{n}}}"),
        QueryOutput::Rows(_, 0) => "{}".to_string(),
        QueryOutput::Rows(rows, n) => {
            format!(
                "{{\"{}\":[{rows}],\"startPosition\":{},\"maxResults\":{n}}}",
                entity.name, q.start_position
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_kinds_from_params() {
        assert_eq!(WriteKind::from_params(None, None), Ok(WriteKind::Save));
        assert_eq!(
            WriteKind::from_params(Some("delete"), None),
            Ok(WriteKind::Delete)
        );
        assert_eq!(
            WriteKind::from_params(Some("void"), None),
            Ok(WriteKind::Void(VoidStyle::OperationVoid))
        );
        assert_eq!(
            WriteKind::from_params(Some("update"), Some("void")),
            Ok(WriteKind::Void(VoidStyle::UpdateIncludeVoid))
        );
        assert_eq!(
            WriteKind::from_params(Some("merge"), None).map_err(|f| f.code().to_string()),
            Err("500".to_string())
        );
        assert_eq!(
            WriteKind::from_batch(Some("update"), Some("void")),
            Ok(WriteKind::Void(VoidStyle::UpdateIncludeVoid))
        );
    }

    #[test]
    fn query_errors_and_shapes() {
        let s = Store::new();
        let e = run_query(&s, "select * from Custmoer").unwrap_err();
        assert_eq!(
            e.errors[0].detail,
            "QueryValidationError: invalid context declaration: Custmoer"
        );
        assert_eq!(e.code(), "4001");
        assert_eq!(
            run_query(&s, "select * from Customer where a = 'b' or c = 'd'")
                .unwrap_err()
                .code(),
            "4000"
        );
        assert_eq!(
            run_query(&s, "select * from Customer").expect("empty"),
            "{}"
        );
        assert_eq!(
            run_query(&s, "select count(*) from Customer").expect("count"),
            "{\"totalCount\":0}"
        );
    }
}
