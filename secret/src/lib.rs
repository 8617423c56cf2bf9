//! Secrets at rest for qbsync: OAuth client secrets and tokens are stored as sealed boxes
//! (X25519 + XSalsa20-Poly1305, NaCl's `crypto_box_seal`) to the agent's public key. Anyone
//! holding the public key (the extension) can seal; only the agent, holding the secret key, can
//! open. Postgres never sees the secret key, so a dump, a backup or a role that can read the
//! table learns nothing.

mod file;
mod key;
mod seal;

pub use file::{read_secret_key, write_new_secret_key};
pub use key::{generate, PublicKey, SecretKey};
pub use seal::{open, seal};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("not a qbsync {what} (expected 32 bytes of base64): {reason}")]
    BadKey { what: &'static str, reason: String },
    #[error("could not seal the secret")]
    Seal,
    #[error("could not open a sealed secret: it was sealed to another key, or it is damaged")]
    Open,
    #[error("a sealed secret did not hold UTF-8 text")]
    NotText,
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} already exists; refusing to overwrite a secret key (move it away first)")]
    Exists { path: String },
}
