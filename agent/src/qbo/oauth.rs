//! OAuth2 access tokens for one company: refreshed before they expire (or after a 401),
//! one refresh at a time per company across every agent (row lock on the secret), and the
//! rotated refresh token stored in the same transaction that used the old one. Every secret is
//! stored sealed to the agent's key and opened in memory only.

use super::fault::QboError;
use crate::db;
use chrono::{DateTime, Utc};
use qbsync_secret::{open, seal, SecretKey};
use serde::Deserialize;
use tokio::sync::Mutex;
use tracing::{info, instrument, warn};

/// Refresh this long before the access token expires.
const EXPIRY_MARGIN_SECS: i64 = 300;

#[derive(Clone)]
struct Cached {
    access: String,
    expires_at: DateTime<Utc>,
}

pub struct TokenSource {
    db: tokio_postgres::Config,
    company_id: i64,
    token_url: String,
    http: reqwest::Client,
    key: SecretKey,
    cache: Mutex<Option<Cached>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    #[serde(default)]
    x_refresh_token_expires_in: Option<i64>,
}

/// Refresh tokens live 100 days unless the answer says otherwise.
const DEFAULT_REFRESH_LIFETIME_SECS: i64 = 8_726_400;
/// Lifetimes are clamped to this (ten years): the interval `make_interval` builds from them
/// must stay in range, or the statement storing the rotated refresh token would fail.
const MAX_LIFETIME_SECS: i64 = 10 * 366 * 86_400;

/// The tokens of a successful refresh, checked, with their lifetimes in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: f64,
    pub refresh_expires_in: f64,
}

/// OAuth tokens are 1*VSCHAR (RFC 6749, appendix A.12 and A.17): anything else cannot go in an
/// `Authorization` header (reqwest would fail every request with a builder error) or be sent
/// back as a refresh token, so the answer is refused rather than stored.
fn is_token(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Reads the token endpoint's answer: the new tokens, `InvalidGrant` when QuickBooks refused
/// the refresh token, or the error the answer stands for. Never echoes a 200 body: it holds
/// the tokens.
pub(super) fn read_token_answer(status: u16, body: &[u8]) -> Result<Tokens, QboError> {
    if status != 200 {
        // An error answer holds no secret; lossy is fine for showing it.
        let body = String::from_utf8_lossy(body);
        if let Ok(err) = serde_json::from_str::<TokenErrorResponse>(&body) {
            if err.error == "invalid_grant" {
                return Err(QboError::InvalidGrant {
                    error: err.error,
                    description: err.error_description,
                });
            }
        }
        let body: String = body.chars().take(200).collect();
        return Err(if status >= 500 {
            QboError::Server {
                status,
                retry_after: None,
                detail: body,
            }
        } else {
            QboError::TokenEndpoint { status, body }
        });
    }
    let body = std::str::from_utf8(body).map_err(|e| {
        QboError::Decode(format!(
            "token response is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    let token: TokenResponse =
        serde_json::from_str(body).map_err(|e| QboError::Decode(format!("token response: {e}")))?;
    if !is_token(&token.access_token) || !is_token(&token.refresh_token) {
        return Err(QboError::Decode(
            "token response: a token is empty or has characters a token cannot have".into(),
        ));
    }
    let lifetime = |secs: i64| secs.clamp(0, MAX_LIFETIME_SECS) as f64;
    Ok(Tokens {
        expires_in: lifetime(token.expires_in),
        refresh_expires_in: lifetime(
            token
                .x_refresh_token_expires_in
                .unwrap_or(DEFAULT_REFRESH_LIFETIME_SECS),
        ),
        access_token: token.access_token,
        refresh_token: token.refresh_token,
    })
}

#[derive(Deserialize)]
struct TokenErrorResponse {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl TokenSource {
    pub fn new(
        db: tokio_postgres::Config,
        company_id: i64,
        token_url: String,
        http: reqwest::Client,
        key: SecretKey,
    ) -> Self {
        TokenSource {
            db,
            company_id,
            token_url,
            http,
            key,
            cache: Mutex::new(None),
        }
    }

    /// The token endpoint this source refreshes at.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// A valid access token, refreshing it first when it is missing or about to expire.
    pub async fn access_token(&self) -> Result<String, QboError> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            if (c.expires_at - Utc::now()).num_seconds() > EXPIRY_MARGIN_SECS {
                return Ok(c.access.clone());
            }
        }
        let rejected = cache.as_ref().map(|c| c.access.clone());
        let fresh = self.refresh(rejected).await?;
        let access = fresh.access.clone();
        *cache = Some(fresh);
        Ok(access)
    }

    /// Forgets `rejected` after QuickBooks answered 401 to it, so the next call refreshes.
    pub async fn reject(&self, rejected: &str) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| c.access == rejected) {
            *cache = Some(Cached {
                access: rejected.to_string(),
                expires_at: DateTime::<Utc>::MIN_UTC,
            });
        }
    }

    #[instrument(skip_all, fields(company = self.company_id))]
    async fn refresh(&self, rejected: Option<String>) -> Result<Cached, QboError> {
        let mut client = db::connect(&self.db).await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_one(
                "SELECT client_id, client_secret_sealed, refresh_token_sealed, access_token_sealed, access_token_expires_at \
                 FROM qbsync.company_secret WHERE company_id = $1 FOR UPDATE",
                &[&self.company_id],
            )
            .await?;
        let client_id: String = row.get(0);
        let client_secret = open(&self.key, row.get(1))?;
        let refresh_token = open(&self.key, row.get(2))?;
        let stored = row
            .get::<_, Option<&[u8]>>(3)
            .map(|sealed| open(&self.key, sealed))
            .transpose()?;
        let stored_expiry: Option<DateTime<Utc>> = row.get(4);
        // Another agent (or an earlier run) may have refreshed already: use its token.
        if let (Some(access), Some(expires_at)) = (stored, stored_expiry) {
            if (expires_at - Utc::now()).num_seconds() > EXPIRY_MARGIN_SECS
                && rejected.as_deref() != Some(access.as_str())
            {
                tx.commit().await?;
                return Ok(Cached { access, expires_at });
            }
        }
        let started = std::time::Instant::now();
        let resp = self
            .http
            .post(&self.token_url)
            .basic_auth(&client_id, Some(&client_secret))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                crate::metrics::quickbooks_request("token", "error", started.elapsed());
                return Err(e.into());
            }
        };
        let status = resp.status().as_u16();
        // Bytes, not text(): a token with U+FFFD in it would be stored and fail later.
        let body = resp.bytes().await;
        crate::metrics::quickbooks_request(
            "token",
            if body.is_ok() {
                crate::metrics::status_class(status)
            } else {
                "error"
            },
            started.elapsed(),
        );
        let token = match read_token_answer(status, &body?) {
            Ok(t) => t,
            Err(e) => {
                drop(tx);
                if let QboError::InvalidGrant { description, .. } = &e {
                    let message = format!(
                        "QuickBooks refused the refresh token (invalid_grant: {description}); reconnect the company and store the new refresh token"
                    );
                    warn!(%message, "company needs re-consent");
                    client
                        .execute(
                            "UPDATE qbsync.company SET error = $2, error_at = now() WHERE id = $1",
                            &[&self.company_id, &message],
                        )
                        .await?;
                }
                return Err(e);
            }
        };
        let public = self.key.public_key();
        let access_sealed = seal(&public, &token.access_token)?;
        let refresh_sealed = seal(&public, &token.refresh_token)?;
        let row = tx
            .query_one(
                "UPDATE qbsync.company_secret SET access_token_sealed = $2, \
                 access_token_expires_at = now() + make_interval(secs => $3::float8), \
                 refresh_token_sealed = $4, \
                 refresh_token_expires_at = now() + make_interval(secs => $5::float8), \
                 refreshed_at = now(), refresh_count = refresh_count + 1 \
                 WHERE company_id = $1 RETURNING access_token_expires_at",
                &[
                    &self.company_id,
                    &access_sealed,
                    &token.expires_in,
                    &refresh_sealed,
                    &token.refresh_expires_in,
                ],
            )
            .await?;
        tx.commit().await?;
        info!(
            rotated = token.refresh_token != refresh_token,
            "access token refreshed"
        );
        Ok(Cached {
            access: token.access_token,
            expires_at: row.get(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> Result<Tokens, QboError> {
        read_token_answer(200, body.as_bytes())
    }

    #[test]
    fn a_token_answer_is_read_with_its_lifetimes() {
        let t = answer(r#"{"access_token":"eyJ.a-b_c","refresh_token":"AB11x","token_type":"bearer","expires_in":3600,"x_refresh_token_expires_in":8726400}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (t.access_token.as_str(), t.refresh_token.as_str()),
            ("eyJ.a-b_c", "AB11x")
        );
        assert_eq!((t.expires_in, t.refresh_expires_in), (3600.0, 8_726_400.0));
        let t = answer(r#"{"access_token":"a","refresh_token":"r","expires_in":60}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.refresh_expires_in, DEFAULT_REFRESH_LIFETIME_SECS as f64);
    }

    #[test]
    fn tokens_that_cannot_be_sent_back_are_refused_not_stored() {
        // Invalid UTF-8 used to become U+FFFD (text()), and control or non-ASCII characters
        // were stored: every later request then failed to build its Authorization header.
        let ok = r#"{"access_token":"a","refresh_token":"r","expires_in":60}"#;
        let mut bytes = ok.replace("\"a\"", "\"a\u{1}\"").into_bytes();
        assert!(matches!(
            read_token_answer(200, &bytes),
            Err(QboError::Decode(_))
        ));
        bytes = ok.as_bytes().to_vec();
        bytes.splice(17..18, [0xff]);
        assert!(matches!(
            read_token_answer(200, &bytes),
            Err(QboError::Decode(_))
        ));
        for bad in ["", "a\u{e9}", "a\nb", "a\u{7f}"] {
            let body =
                serde_json::json!({"access_token": "a", "refresh_token": bad, "expires_in": 60});
            assert!(answer(&body.to_string()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lifetimes_out_of_range_are_clamped() {
        // i64::MAX seconds would overflow make_interval and lose the rotated refresh token.
        let t = answer(&format!(
            r#"{{"access_token":"a","refresh_token":"r","expires_in":{},"x_refresh_token_expires_in":-5}}"#,
            i64::MAX
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.expires_in, MAX_LIFETIME_SECS as f64);
        assert_eq!(t.refresh_expires_in, 0.0);
    }

    #[test]
    fn error_answers_by_status() {
        let grant = br#"{"error":"invalid_grant","error_description":"Token expired"}"#;
        match read_token_answer(400, grant) {
            Err(QboError::InvalidGrant { description, .. }) => {
                assert_eq!(description, "Token expired")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_token_answer(503, b"\xffdown"),
            Err(QboError::Server { status: 503, .. })
        ));
        assert!(matches!(
            read_token_answer(401, br#"{"error":"invalid_client"}"#),
            Err(QboError::TokenEndpoint { status: 401, .. })
        ));
    }
}
