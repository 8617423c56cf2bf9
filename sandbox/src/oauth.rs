//! The OAuth 2.0 token endpoint (reference sheet §14): refresh with rotation, the
//! authorization-code grant, access-token validation.

use base64::Engine;
use std::collections::HashMap;

/// Refresh tokens live 101 days, renewed on every use.
pub const REFRESH_TTL_SECS: i64 = 8_726_400;
/// The one authorization code the sandbox accepts.
pub const AUTH_CODE: &str = "sandbox-auth-code";

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    Missing,
    Unknown,
    Expired(String),
}

impl BearerError {
    /// The `detail` of the 401 envelope.
    pub fn detail(&self) -> String {
        match self {
            BearerError::Missing | BearerError::Unknown => {
                "Malformed bearer token: too short or too long".to_string()
            }
            BearerError::Expired(t) => {
                format!("Token expired: {}", t.chars().take(12).collect::<String>())
            }
        }
    }
}

/// A token endpoint answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenReply {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Debug)]
pub struct OAuth {
    client_id: String,
    client_secret: String,
    /// The one valid refresh token, if any (None after revocation).
    refresh: Option<String>,
    refresh_expires: i64,
    last_rotation: i64,
    serial: u64,
    access: HashMap<String, i64>,
    pub refreshes: u64,
}

fn error(status: u16, error: &str, description: Option<&str>) -> TokenReply {
    let mut body = serde_json::json!({ "error": error });
    if let Some(d) = description {
        body["error_description"] = serde_json::Value::from(d);
    }
    TokenReply { status, body }
}

impl OAuth {
    pub fn new(client_id: &str, client_secret: &str, refresh: &str, now: i64) -> Self {
        OAuth {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            refresh: Some(refresh.to_string()),
            refresh_expires: now + REFRESH_TTL_SECS,
            last_rotation: now,
            serial: 0,
            access: HashMap::new(),
            refreshes: 0,
        }
    }

    pub fn current_refresh_token(&self) -> Option<String> {
        self.refresh.clone()
    }

    pub fn revoke(&mut self) {
        self.refresh = None;
    }

    /// Every access token issued so far stops working (QuickBooks may invalidate one before
    /// its `expires_in`); the next API call gets 401.
    pub fn expire_access_tokens(&mut self) {
        self.access.clear();
    }

    /// A new refresh token, as the company's owner reconnecting the app (re-consent) gets.
    pub fn reconnect(&mut self, now: i64) -> String {
        self.serial += 1;
        let token = format!(
            "sandbox-refresh-{}-{}",
            self.serial,
            uuid::Uuid::new_v4().simple()
        );
        self.refresh = Some(token.clone());
        self.refresh_expires = now + REFRESH_TTL_SECS;
        self.last_rotation = now;
        token
    }

    /// Client authentication: the Basic header (`client_secret_basic`), or, as Intuit's
    /// discovery document also lists and requests-oauthlib clients send, `client_id` and
    /// `client_secret` in the form body (`client_secret_post`, RFC 6749 §2.3.1).
    fn client_ok(&self, authorization: Option<&str>, form: &HashMap<String, String>) -> bool {
        if authorization.is_none() {
            return form.get("client_id").map(String::as_str) == Some(self.client_id.as_str())
                && form.get("client_secret").map(String::as_str)
                    == Some(self.client_secret.as_str());
        }
        let Some(h) = authorization else { return false };
        let Some(b64) = h
            .strip_prefix("Basic ")
            .or_else(|| h.strip_prefix("basic "))
        else {
            return false;
        };
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else {
            return false;
        };
        let Ok(s) = String::from_utf8(raw) else {
            return false;
        };
        s.split_once(':')
            .is_some_and(|(id, secret)| id == self.client_id && secret == self.client_secret)
    }

    fn issue(&mut self, now: i64, ttl: i64, rotate: bool) -> TokenReply {
        self.serial += 1;
        if rotate || self.refresh.is_none() {
            self.refresh = Some(format!(
                "sandbox-refresh-{}-{}",
                self.serial,
                uuid::Uuid::new_v4().simple()
            ));
            self.last_rotation = now;
        }
        self.refresh_expires = now + REFRESH_TTL_SECS;
        let access = format!("sbx-at-{}-{}", self.serial, uuid::Uuid::new_v4().simple());
        self.access.retain(|_, exp| *exp > now - 86_400);
        self.access.insert(access.clone(), now + ttl);
        self.refreshes += 1;
        TokenReply {
            status: 200,
            body: serde_json::json!({
                "access_token": access,
                "refresh_token": self.refresh.clone().unwrap_or_default(),
                "token_type": "bearer",
                "expires_in": ttl,
                "x_refresh_token_expires_in": REFRESH_TTL_SECS,
            }),
        }
    }

    /// Handles `POST /oauth2/v1/tokens/bearer` with the decoded form fields.
    pub fn token(
        &mut self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
        now: i64,
        ttl: i64,
        rotate_every: i64,
    ) -> TokenReply {
        if !self.client_ok(authorization, form) {
            return error(401, "invalid_client", None);
        }
        match form.get("grant_type").map(String::as_str) {
            Some("refresh_token") => {
                let Some(given) = form.get("refresh_token") else {
                    return error(400, "invalid_request", None);
                };
                let valid =
                    self.refresh.as_deref() == Some(given.as_str()) && now < self.refresh_expires;
                if !valid {
                    return error(400, "invalid_grant", Some("Token invalid"));
                }
                let rotate = rotate_every <= 0 || now - self.last_rotation >= rotate_every;
                self.issue(now, ttl, rotate)
            }
            Some("authorization_code") => {
                if form.get("code").map(String::as_str) != Some(AUTH_CODE) {
                    return error(400, "invalid_grant", Some("Token invalid"));
                }
                self.issue(now, ttl, true)
            }
            _ => error(400, "unsupported_grant_type", None),
        }
    }

    /// Checks an `Authorization` header for a live access token.
    pub fn check_bearer(&self, authorization: Option<&str>, now: i64) -> Result<(), BearerError> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(BearerError::Missing)?;
        match self.access.get(token) {
            None => Err(BearerError::Unknown),
            Some(exp) if *exp <= now => Err(BearerError::Expired(token.to_string())),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:secret")
        )
    }

    fn refresh_form(t: &str) -> HashMap<String, String> {
        HashMap::from([
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".to_string(), t.to_string()),
        ])
    }

    #[test]
    fn rotation_and_invalid_grant() {
        let mut o = OAuth::new("id", "secret", "r0", 0);
        let b = basic();
        // Within the rotation period the same refresh token comes back.
        let r = o.token(Some(&b), &refresh_form("r0"), 10, 3600, 86_400);
        assert_eq!(r.status, 200);
        assert_eq!(r.body["refresh_token"], "r0");
        assert_eq!(r.body["x_refresh_token_expires_in"], 8_726_400);
        let access = r.body["access_token"].as_str().unwrap_or("").to_string();
        assert!(o
            .check_bearer(Some(&format!("Bearer {access}")), 20)
            .is_ok());
        assert!(matches!(
            o.check_bearer(Some(&format!("Bearer {access}")), 10 + 3600),
            Err(BearerError::Expired(_))
        ));
        // After a day it rotates and the old value is dead.
        let r = o.token(Some(&b), &refresh_form("r0"), 86_401, 3600, 86_400);
        let new = r.body["refresh_token"].as_str().unwrap_or("").to_string();
        assert_ne!(new, "r0");
        let dead = o.token(Some(&b), &refresh_form("r0"), 86_402, 3600, 86_400);
        assert_eq!(dead.status, 400);
        assert_eq!(
            dead.body,
            serde_json::json!({"error":"invalid_grant","error_description":"Token invalid"})
        );
        o.revoke();
        assert_eq!(
            o.token(Some(&b), &refresh_form(&new), 86_403, 3600, 86_400)
                .status,
            400
        );
        let code = HashMap::from([
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".to_string(), AUTH_CODE.to_string()),
        ]);
        assert_eq!(o.token(Some(&b), &code, 86_404, 3600, 86_400).status, 200);
    }

    #[test]
    fn client_auth_and_expiry() {
        let mut o = OAuth::new("id", "secret", "r0", 0);
        assert_eq!(o.token(None, &refresh_form("r0"), 1, 3600, 0).status, 401);
        let bad = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:nope")
        );
        assert_eq!(
            o.token(Some(&bad), &refresh_form("r0"), 1, 3600, 0).status,
            401
        );
        // Credentials in the form body instead of the header (client_secret_post).
        let mut post = refresh_form("r0");
        post.insert("client_id".into(), "id".into());
        post.insert("client_secret".into(), "nope".into());
        assert_eq!(o.token(None, &post, 1, 3600, 0).status, 401);
        post.insert("client_secret".into(), "secret".into());
        assert_eq!(o.token(None, &post, 1, 3600, 0).status, 200);
        let mut o = OAuth::new("id", "secret", "r0", 0);
        // An unused refresh token dies after 101 days.
        assert_eq!(
            o.token(
                Some(&basic()),
                &refresh_form("r0"),
                REFRESH_TTL_SECS + 1,
                3600,
                0
            )
            .status,
            400
        );
        assert_eq!(o.check_bearer(None, 0), Err(BearerError::Missing));
        assert_eq!(
            o.check_bearer(Some("Bearer nope"), 0),
            Err(BearerError::Unknown)
        );
    }
}
