//! What can go wrong while serving the web page, and the 500 page it becomes.

use crate::error::describe_db_error;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(
        "the web page would listen on {addr}, which is not a loopback address, without a token: \
         give --web-token (or QBSYNC_WEB_TOKEN), or bind it to 127.0.0.1"
    )]
    Unprotected { addr: SocketAddr },
    #[error("connecting to PostgreSQL ({target}): {}", describe_db_error(.source))]
    Connect {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("{what}: {}", describe_db_error(.source))]
    Query {
        what: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("rendering the page: {0}")]
    Render(#[from] askama::Error),
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
    #[error("serving the web page: {0}")]
    Io(#[from] std::io::Error),
}

impl WebError {
    /// A closure for `map_err` that names the query that failed.
    pub fn query(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> WebError {
        move |source| WebError::Query { what, source }
    }

    /// Whether a query failed because the connection had closed (a new one may succeed).
    pub fn connection_lost(&self) -> bool {
        matches!(self, WebError::Query { source, .. } if source.is_closed())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        tracing::error!(error = %message, "web page request failed");
        let body = ErrorPage { message: &message }
            .render()
            .map(Html)
            .map_err(|e| format!("{message}\n(and the error page failed: {e})"));
        match body {
            Ok(page) => (StatusCode::INTERNAL_SERVER_ERROR, page).into_response(),
            Err(text) => (StatusCode::INTERNAL_SERVER_ERROR, text).into_response(),
        }
    }
}
