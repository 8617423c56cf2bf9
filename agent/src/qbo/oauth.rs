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
        let body = resp.text().await;
        crate::metrics::quickbooks_request(
            "token",
            if body.is_ok() {
                crate::metrics::status_class(status)
            } else {
                "error"
            },
            started.elapsed(),
        );
        let body = body?;
        if status != 200 {
            drop(tx);
            if let Ok(err) = serde_json::from_str::<TokenErrorResponse>(&body) {
                if err.error == "invalid_grant" {
                    let message = format!(
                        "QuickBooks refused the refresh token (invalid_grant: {}); reconnect the company and store the new refresh token",
                        err.error_description
                    );
                    warn!(%message, "company needs re-consent");
                    client
                        .execute(
                            "UPDATE qbsync.company SET error = $2, error_at = now() WHERE id = $1",
                            &[&self.company_id, &message],
                        )
                        .await?;
                    return Err(QboError::InvalidGrant {
                        error: err.error,
                        description: err.error_description,
                    });
                }
            }
            return Err(if status >= 500 {
                QboError::Server {
                    status,
                    retry_after: None,
                    detail: body.chars().take(200).collect(),
                }
            } else {
                QboError::TokenEndpoint {
                    status,
                    body: body.chars().take(200).collect(),
                }
            });
        }
        // Never echo the body: it holds the new tokens.
        let token: TokenResponse = serde_json::from_str(&body)
            .map_err(|e| QboError::Decode(format!("token response: {e}")))?;
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
                    &(token.expires_in as f64),
                    &refresh_sealed,
                    &(token.x_refresh_token_expires_in.unwrap_or(8_726_400) as f64),
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
