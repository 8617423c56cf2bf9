//! The agent's key pair, and its text form: one line of standard base64 per key.

use crate::SecretError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The agent's secret key. Its Debug output never shows the key.
#[derive(Clone)]
pub struct SecretKey(pub(crate) crypto_box::SecretKey);

/// The public half: registered in the database with `qbsync.qb_set_agent_key`.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(pub(crate) crypto_box::PublicKey);

/// A new random key pair (from the operating system's generator).
pub fn generate() -> SecretKey {
    SecretKey(crypto_box::SecretKey::generate(
        &mut crypto_box::aead::OsRng,
    ))
}

fn decode32(text: &str, what: &'static str) -> Result<[u8; 32], SecretError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| SecretError::BadKey {
            what,
            reason: e.to_string(),
        })?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| SecretError::BadKey {
        what,
        reason: format!("{} bytes", bytes.len()),
    })
}

impl SecretKey {
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key())
    }

    pub fn from_base64(text: &str) -> Result<SecretKey, SecretError> {
        Ok(SecretKey(crypto_box::SecretKey::from(decode32(
            text,
            "secret key",
        )?)))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretKey(redacted, public {})",
            self.public_key().fingerprint()
        )
    }
}

impl PublicKey {
    pub fn from_base64(text: &str) -> Result<PublicKey, SecretError> {
        Ok(PublicKey(crypto_box::PublicKey::from(decode32(
            text,
            "public key",
        )?)))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    /// A short name for the key in messages: `SHA256:` and the first 16 hex digits of the
    /// SHA-256 of the key bytes (the same in SQL: `qbsync.agent_key.fingerprint`).
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("SHA256:{hex}")
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_base64() {
        let secret = generate();
        let again = SecretKey::from_base64(&secret.to_base64()).unwrap();
        assert_eq!(again.public_key(), secret.public_key());
        let public = PublicKey::from_base64(&secret.public_key().to_base64()).unwrap();
        assert_eq!(public, secret.public_key());
    }

    #[test]
    fn bad_keys_are_refused_with_the_reason() {
        let e = PublicKey::from_base64("not base64!").unwrap_err();
        assert!(e.to_string().contains("public key"), "{e}");
        let e = SecretKey::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err();
        assert!(e.to_string().contains("16 bytes"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_secret_key() {
        let secret = generate();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.to_base64()), "{shown}");
        assert!(
            shown.contains("redacted") && shown.contains("SHA256:"),
            "{shown}"
        );
    }

    #[test]
    fn fingerprints_differ_between_keys() {
        let (a, b) = (generate().public_key(), generate().public_key());
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), "SHA256:".len() + 16);
    }
}
