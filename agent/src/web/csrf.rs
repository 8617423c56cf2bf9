//! The CSRF field: every POST form carries a random per-process value, so a page on another
//! origin (which cannot read ours) cannot make the browser enqueue tasks or unlink rows.

use super::{random, WebError};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use subtle::ConstantTimeEq;

/// Name of the hidden form field.
pub const FIELD: &str = "csrf";

pub struct Csrf {
    value: String,
}

impl Csrf {
    pub fn new() -> Result<Csrf, WebError> {
        Ok(Csrf {
            value: random::token()?,
        })
    }

    /// What the forms carry.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the submitted form fields carry the right value.
    pub fn accepts(&self, fields: &[(String, String)]) -> bool {
        fields
            .iter()
            .find(|(k, _)| k == FIELD)
            .is_some_and(|(_, v)| bool::from(v.as_bytes().ct_eq(self.value.as_bytes())))
    }
}

/// The 403 answer to a POST without the right CSRF field.
pub fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html(
            "<!doctype html><title>Refused</title><p>This form did not come from this page \
             (its csrf field is missing or stale). <a href=\"/\">Reload the page</a> and try again.</p>",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_value_passes() {
        let csrf = Csrf::new().unwrap();
        let with = |v: &str| {
            vec![
                ("company".to_string(), "acme".to_string()),
                (FIELD.to_string(), v.to_string()),
            ]
        };
        assert!(csrf.accepts(&with(csrf.value())));
        assert!(!csrf.accepts(&with("nope")));
        assert!(!csrf.accepts(&with("")));
        assert!(!csrf.accepts(&[("company".into(), "acme".into())]));
    }
}
