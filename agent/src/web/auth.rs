//! Who may use the page. Without a token (loopback only) everyone on the machine may; with one,
//! a browser logs in once on /login and gets a session cookie (a random id kept in memory, never
//! the token), and scripts send `Authorization: Bearer <token>`.

use super::{cookies, csrf, random, SharedState, WebError};
use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

pub const LOGIN_PATH: &str = "/login";
pub const SESSION_COOKIE: &str = "qbsync_session";
/// A browser logs in again after this long.
const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Logins kept at most; the oldest goes first (memory stays bounded whatever clients do).
const MAX_SESSIONS: usize = 1024;

pub struct Auth {
    token: Option<String>,
    /// Session id -> when it was started.
    sessions: Mutex<HashMap<String, Instant>>,
}

impl Auth {
    /// An empty token counts as none.
    pub fn new(token: Option<String>) -> Auth {
        Auth {
            token: token.filter(|t| !t.is_empty()),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a token is configured, so requests must prove they know it.
    pub fn required(&self) -> bool {
        self.token.is_some()
    }

    /// Compares in constant time (only the length can leak), so timing does not reveal how
    /// much of a guess was right.
    pub fn token_matches(&self, given: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| bool::from(t.as_bytes().ct_eq(given.as_bytes())))
    }

    pub fn start_session(&self) -> Result<String, WebError> {
        let id = random::token()?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, started| started.elapsed() < SESSION_LIFETIME);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| **s)
                .map(|(k, _)| k.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(id.clone(), Instant::now());
        Ok(id)
    }

    pub fn session_valid(&self, id: &str) -> bool {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .get(id)
            .is_some_and(|started| started.elapsed() < SESSION_LIFETIME)
    }

    pub fn end_session(&self, id: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

/// What to do with a request before it reaches its handler.
#[derive(Debug, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// A browser page without a session: go to the login form (303).
    LoginFirst,
    /// Anything else without credentials: 401.
    Unauthorized,
    /// No token is set and the request names a host that is not loopback: another site's
    /// name resolving to 127.0.0.1 (DNS rebinding) must not get the page and its CSRF value.
    WrongHost,
}

pub fn decide(auth: &Auth, method: &Method, path: &str, headers: &HeaderMap) -> Access {
    if !auth.required() {
        return if host_is_loopback(headers) {
            Access::Allowed
        } else {
            Access::WrongHost
        };
    }
    if path == LOGIN_PATH {
        return Access::Allowed;
    }
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if bearer.is_some_and(|t| auth.token_matches(t))
        || cookies::read(headers, SESSION_COOKIE).is_some_and(|id| auth.session_valid(id))
    {
        return Access::Allowed;
    }
    if method == Method::GET || method == Method::HEAD {
        Access::LoginFirst
    } else {
        Access::Unauthorized
    }
}

/// Whether the Host header names loopback (127.0.0.0/8, ::1, localhost); no header passes,
/// since browsers always send one.
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return headers.get(HOST).is_none();
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Middleware: lets a request through or answers it as [`decide`] says.
pub async fn require_access(
    State(state): State<SharedState>,
    req: Request,
    next: Next,
) -> Response {
    match decide(&state.auth, req.method(), req.uri().path(), req.headers()) {
        Access::Allowed => next.run(req).await,
        Access::LoginFirst => (StatusCode::SEE_OTHER, [(LOCATION, LOGIN_PATH)]).into_response(),
        Access::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer")],
            "log in on /login or send Authorization: Bearer <token>\n",
        )
            .into_response(),
        Access::WrongHost => (
            StatusCode::FORBIDDEN,
            "this page answers to 127.0.0.1 or localhost only; set a token (--web-token) to serve it under another name\n",
        )
            .into_response(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    refused: bool,
}

fn login_page(state: &SharedState, refused: bool) -> Result<Html<String>, WebError> {
    Ok(Html(
        LoginPage {
            csrf: state.csrf.value(),
            refused,
        }
        .render()?,
    ))
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// GET /login: the form (or the page itself when no token is set).
pub async fn login_form(State(state): State<SharedState>) -> Result<Response, WebError> {
    if !state.auth.required() {
        return Ok(see_other("/"));
    }
    Ok(login_page(&state, false)?.into_response())
}

/// POST /login: the right token starts a session and goes to the page.
pub async fn login(
    State(state): State<SharedState>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !state.csrf.accepts(&fields) {
        return Ok(csrf::refused());
    }
    if !state.auth.required() {
        return Ok(see_other("/"));
    }
    let given = fields
        .iter()
        .find(|(k, _)| k == "token")
        .map_or("", |(_, v)| v.as_str());
    if !state.auth.token_matches(given) {
        tracing::warn!("web page login with a wrong token");
        return Ok((StatusCode::UNAUTHORIZED, login_page(&state, true)?).into_response());
    }
    let session = state.auth.start_session()?;
    tracing::info!("web page login");
    Ok((
        StatusCode::SEE_OTHER,
        [
            (LOCATION, "/".to_string()),
            (SET_COOKIE, cookies::set(SESSION_COOKIE, &session)),
        ],
    )
        .into_response())
}

/// POST /logout: ends the browser's session.
pub async fn logout(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !state.csrf.accepts(&fields) {
        return csrf::refused();
    }
    if let Some(id) = cookies::read(&headers, SESSION_COOKIE) {
        state.auth.end_session(id);
    }
    (
        StatusCode::SEE_OTHER,
        [
            (LOCATION, LOGIN_PATH.to_string()),
            (SET_COOKIE, cookies::clear(SESSION_COOKIE)),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn without_a_token_loopback_hosts_get_in_and_other_names_do_not() {
        let auth = Auth::new(None);
        let get = Method::GET;
        for host in [
            "127.0.0.1:8090",
            "localhost:8090",
            "[::1]:8090",
            "127.0.0.2",
            "LOCALHOST",
        ] {
            assert_eq!(
                decide(&auth, &get, "/", &headers(&[("host", host)])),
                Access::Allowed,
                "{host}"
            );
        }
        for host in ["evil.example:8090", "10.0.0.1:8090", "[2001:db8::1]:80"] {
            assert_eq!(
                decide(&auth, &get, "/", &headers(&[("host", host)])),
                Access::WrongHost,
                "{host}"
            );
        }
        assert_eq!(
            decide(&auth, &Method::POST, "/refresh", &headers(&[])),
            Access::Allowed
        );
        assert!(
            !Auth::new(Some(String::new())).required(),
            "an empty token is no token"
        );
    }

    #[test]
    fn with_a_token_a_session_or_the_bearer_token_is_needed() {
        let auth = Auth::new(Some("s3cret-token".into()));
        let host = ("host", "sync.example:443");
        assert_eq!(
            decide(&auth, &Method::GET, "/", &headers(&[host])),
            Access::LoginFirst
        );
        assert_eq!(
            decide(&auth, &Method::POST, "/refresh", &headers(&[host])),
            Access::Unauthorized
        );
        assert_eq!(
            decide(&auth, &Method::GET, LOGIN_PATH, &headers(&[host])),
            Access::Allowed
        );
        assert_eq!(
            decide(&auth, &Method::POST, LOGIN_PATH, &headers(&[host])),
            Access::Allowed
        );
        let bearer = headers(&[host, ("authorization", "Bearer s3cret-token")]);
        assert_eq!(
            decide(&auth, &Method::POST, "/refresh", &bearer),
            Access::Allowed
        );
        let wrong = headers(&[host, ("authorization", "Bearer s3cret-tokeN")]);
        assert_eq!(decide(&auth, &Method::GET, "/", &wrong), Access::LoginFirst);
        let basic = headers(&[host, ("authorization", "Basic s3cret-token")]);
        assert_eq!(decide(&auth, &Method::GET, "/", &basic), Access::LoginFirst);

        let id = auth.start_session().unwrap();
        let mut with_cookie = headers(&[host]);
        with_cookie.append(
            "cookie",
            HeaderValue::from_str(&format!("{SESSION_COOKIE}={id}")).unwrap(),
        );
        assert_eq!(
            decide(&auth, &Method::GET, "/", &with_cookie),
            Access::Allowed
        );
        let forged = headers(&[host, ("cookie", "qbsync_session=s3cret-token")]);
        assert_eq!(
            decide(&auth, &Method::GET, "/", &forged),
            Access::LoginFirst,
            "the token is not a session id"
        );
        auth.end_session(&id);
        assert_eq!(
            decide(&auth, &Method::GET, "/", &with_cookie),
            Access::LoginFirst
        );
    }

    #[test]
    fn token_comparison() {
        let auth = Auth::new(Some("abc".into()));
        assert!(auth.token_matches("abc"));
        assert!(!auth.token_matches("abd"));
        assert!(!auth.token_matches("ab"));
        assert!(!auth.token_matches(""));
        assert!(!Auth::new(None).token_matches(""));
    }
}
