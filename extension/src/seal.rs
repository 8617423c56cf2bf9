//! `qbsync._seal(text)`: seals a secret to the agent's public key (`qbsync.agent_key`), so that
//! what `qb_add_company` stores can be opened by the agent only. The secret key never reaches
//! Postgres.

use pgrx::prelude::*;
use qbsync_secret::{seal, PublicKey, SecretError};

#[derive(Debug, thiserror::Error)]
enum SealError {
    #[error("qbsync: no agent key is registered; generate one with `qbsync-agent keygen --output <file>` and run the SQL it prints (SELECT qbsync.qb_set_agent_key('<public key>'))")]
    NoKey,
    #[error("qbsync: the registered agent key is unusable: {0}")]
    BadKey(SecretError),
    #[error("qbsync: {0}")]
    Seal(SecretError),
    #[error("qbsync: reading the agent key: {0}")]
    Spi(#[from] pgrx::spi::Error),
}

/// Seals `plaintext` to the registered agent key; the result differs at every call.
#[pg_extern(volatile, strict, parallel_unsafe)]
fn _seal(plaintext: &str) -> Result<Vec<u8>, SealError> {
    let registered: Option<String> =
        Spi::get_one("SELECT (SELECT k.public_key FROM qbsync.agent_key k)")?;
    let public =
        PublicKey::from_base64(&registered.ok_or(SealError::NoKey)?).map_err(SealError::BadKey)?;
    seal(&public, plaintext).map_err(SealError::Seal)
}
