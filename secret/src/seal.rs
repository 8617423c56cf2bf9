//! Sealing to the agent's public key and opening with its secret key.

use crate::{PublicKey, SecretError, SecretKey};

/// Seals `plaintext` so that only the holder of the secret key of `public` can read it. Each
/// call uses a fresh ephemeral key, so sealing the same text twice gives different bytes.
pub fn seal(public: &PublicKey, plaintext: &str) -> Result<Vec<u8>, SecretError> {
    public
        .0
        .seal(&mut crypto_box::aead::OsRng, plaintext.as_bytes())
        .map_err(|_| SecretError::Seal)
}

/// Opens what [`seal`] sealed to this key's public half.
pub fn open(secret: &SecretKey, sealed: &[u8]) -> Result<String, SecretError> {
    let bytes = secret.0.unseal(sealed).map_err(|_| SecretError::Open)?;
    String::from_utf8(bytes).map_err(|_| SecretError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate;

    #[test]
    fn sealed_text_opens_with_the_matching_key_only() {
        let key = generate();
        let sealed = seal(&key.public_key(), "refresh-token-123").unwrap();
        assert_eq!(open(&key, &sealed).unwrap(), "refresh-token-123");
        assert!(matches!(open(&generate(), &sealed), Err(SecretError::Open)));
    }

    #[test]
    fn sealed_bytes_do_not_contain_the_plaintext_and_differ_each_time() {
        let key = generate();
        let a = seal(&key.public_key(), "client-secret-xyz").unwrap();
        let b = seal(&key.public_key(), "client-secret-xyz").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(17).any(|w| w == b"client-secret-xyz"));
    }

    #[test]
    fn damaged_boxes_are_refused() {
        let key = generate();
        let mut sealed = seal(&key.public_key(), "token").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(open(&key, &sealed), Err(SecretError::Open)));
        assert!(matches!(open(&key, b"short"), Err(SecretError::Open)));
    }
}
