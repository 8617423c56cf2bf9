//! The operator web page (`run --web-bind`): companies with their flags, refresh and sync
//! buttons, recent activity, messages, and the sync results with filters and link/unlink.
//!
//! Server-rendered HTML (askama templates under `agent/templates/`, escaped by default), no
//! JavaScript. Loopback without a token needs no login; anywhere else a token is required (see
//! [`auth`]). Every POST form carries a CSRF field (see [`csrf`]).

mod actions;
mod auth;
mod cookies;
mod csrf;
mod database;
mod error;
mod filters;
mod flash;
mod layers;
mod page;
mod queries;
mod random;

pub use error::WebError;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// What the page needs: the database, and the token that protects it (None: loopback only).
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub database: tokio_postgres::Config,
    pub token: Option<String>,
}

struct WebState {
    db: database::Database,
    auth: auth::Auth,
    csrf: csrf::Csrf,
    flashes: flash::Flashes,
}

type SharedState = Arc<WebState>;

/// Refuses to serve the page on an address other machines can reach without a token.
pub fn check_exposure(addr: SocketAddr, token: Option<&str>) -> Result<(), WebError> {
    if addr.ip().is_loopback() || token.is_some_and(|t| !t.is_empty()) {
        Ok(())
    } else {
        Err(WebError::Unprotected { addr })
    }
}

fn router(config: WebConfig) -> Result<Router, WebError> {
    let state: SharedState = Arc::new(WebState {
        db: database::Database::new(config.database),
        auth: auth::Auth::new(config.token),
        csrf: csrf::Csrf::new()?,
        flashes: flash::Flashes::default(),
    });
    Ok(Router::new()
        .route("/", get(page::index))
        .route(auth::LOGIN_PATH, get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/refresh", post(actions::refresh))
        .route("/sync", post(actions::sync))
        .route("/results/link", post(actions::link))
        .route("/results/unlink", post(actions::unlink))
        .layer(from_fn_with_state(state.clone(), auth::require_access))
        .layer(from_fn(layers::security_headers))
        .layer(from_fn(layers::trace_request))
        .with_state(state))
}

/// Serves the page on `listener` until `shutdown` turns true.
pub async fn serve(
    config: WebConfig,
    listener: tokio::net::TcpListener,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), WebError> {
    check_exposure(listener.local_addr()?, config.token.as_deref())?;
    axum::serve(listener, router(config)?)
        .with_graceful_shutdown(async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::redirect::Policy;
    use reqwest::StatusCode;

    #[test]
    fn only_loopback_goes_without_a_token() {
        let public: SocketAddr = "0.0.0.0:8090".parse().unwrap();
        let lan: SocketAddr = "192.168.1.5:8090".parse().unwrap();
        for addr in ["127.0.0.1:8090", "[::1]:8090", "127.0.0.9:1"] {
            assert!(
                check_exposure(addr.parse().unwrap(), None).is_ok(),
                "{addr}"
            );
        }
        let e = check_exposure(public, None).unwrap_err();
        assert!(e.to_string().contains("--web-token"), "{e}");
        assert!(
            check_exposure(lan, Some("")).is_err(),
            "an empty token is no token"
        );
        assert!(check_exposure(lan, Some("long-random-token")).is_ok());
    }

    /// Serves the page against a database that cannot be reached; returns its base URL.
    async fn start(token: Option<&str>) -> (String, watch::Sender<bool>) {
        let mut database = tokio_postgres::Config::new();
        database
            .host_path("/nonexistent-qbsync-socket-dir")
            .dbname("none")
            .user("none");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = watch::channel(false);
        let config = WebConfig {
            database,
            token: token.map(str::to_string),
        };
        tokio::spawn(async move { serve(config, listener, rx).await });
        (base, stop)
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    fn csrf_of(html: &str) -> String {
        let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        html[at..at + 64].to_string()
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_gives_a_500_page_with_the_reason() {
        let (base, _stop) = start(None).await;
        let res = client().get(format!("{base}/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        let body = res.text().await.unwrap();
        assert!(body.contains("connecting to PostgreSQL"), "{body}");
        assert!(body.contains("/nonexistent-qbsync-socket-dir"), "{body}");
    }

    #[tokio::test]
    async fn login_with_the_token_and_csrf_on_every_post() {
        let (base, _stop) = start(Some("the-right-token")).await;
        let http = client();
        let res = http.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/login");
        let res = http
            .post(format!("{base}/refresh"))
            .form(&[("target_company", "acme")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        let form = http.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        let csrf = csrf_of(&form.text().await.unwrap());
        let res = http
            .post(format!("{base}/login"))
            .form(&[("csrf", csrf.as_str()), ("token", "the-wrong-token")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none());
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("That token is not right."));
        let res = http
            .post(format!("{base}/login"))
            .form(&[("token", "the-right-token")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "login needs the csrf field too"
        );

        let res = http
            .post(format!("{base}/login"))
            .form(&[("csrf", csrf.as_str()), ("token", "the-right-token")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/");
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("the-right-token"),
            "the cookie is a session id, not the token"
        );
        let session = cookie.split(';').next().unwrap().to_string();

        // Logged in (cookie or bearer), a POST without the csrf field is refused before any work.
        let res = http
            .post(format!("{base}/refresh"))
            .header("cookie", &session)
            .form(&[("target_company", "acme")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = http
            .post(format!("{base}/results/unlink"))
            .bearer_auth("the-right-token")
            .form(&[("result", "1"), ("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // And the page itself gets through to the (unreachable) database.
        let res = http
            .get(format!("{base}/"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn without_a_token_there_is_no_login_but_other_host_names_are_refused() {
        let (base, _stop) = start(None).await;
        let http = client();
        let res = http.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/");
        let res = http
            .get(format!("{base}/"))
            .header("host", "rebound.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}
