//! The agent's key pair as the database sees it: checked against the registered public key
//! before any work, and `rekey`, which re-seals every stored secret to a new key.

use crate::error::describe_db_error;
use qbsync_secret::{open, seal, SecretError, SecretKey};
use tokio_postgres::{Client, GenericClient};
use tracing::info;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no secret key: pass --secret-key-file (or set QBSYNC_SECRET_KEY_FILE); make one with `qbsync-agent keygen --output <file>`")]
    Missing,
    #[error("no agent key is registered in the database; register this agent's key ({ours}) with: SELECT qbsync.qb_set_agent_key('{public}');")]
    NotRegistered { ours: String, public: String },
    #[error("the secret key file does not belong to the agent key registered in the database: the file's key is {ours}, the registered key is {registered} (set by {set_by}); start the agent with the matching key file, or re-seal the secrets with `qbsync-agent rekey`")]
    Mismatch {
        ours: String,
        registered: String,
        set_by: String,
    },
    #[error("database: {}", describe_db_error(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error("company {company}: {source}")]
    Secret {
        company: i64,
        #[source]
        source: SecretError,
    },
}

/// Fails unless `key` is the secret half of the key registered with `qb_set_agent_key`.
pub async fn check_registered<C: GenericClient>(db: &C, key: &SecretKey) -> Result<(), KeyError> {
    let ours = key.public_key();
    let row = db
        .query_opt(
            "SELECT public_key, fingerprint, set_by FROM qbsync.agent_key",
            &[],
        )
        .await?;
    let Some(row) = row else {
        return Err(KeyError::NotRegistered {
            ours: ours.fingerprint(),
            public: ours.to_base64(),
        });
    };
    let registered: String = row.get(0);
    if registered.trim() != ours.to_base64() {
        return Err(KeyError::Mismatch {
            ours: ours.fingerprint(),
            registered: row.get(1),
            set_by: row.get(2),
        });
    }
    Ok(())
}

/// Re-seals every company secret from `old` to `new` and registers `new`, in one transaction:
/// either every secret moves to the new key or none does. Returns the companies re-sealed.
pub async fn rekey(db: &mut Client, old: &SecretKey, new: &SecretKey) -> Result<u64, KeyError> {
    let tx = db.transaction().await?;
    // The lock keeps a token refresh from writing a secret sealed to the old key meanwhile.
    tx.batch_execute("LOCK TABLE qbsync.agent_key, qbsync.company_secret IN EXCLUSIVE MODE")
        .await?;
    check_registered(&tx, old).await?;
    let public = new.public_key();
    let rows = tx
        .query(
            "SELECT company_id, client_secret_sealed, refresh_token_sealed, access_token_sealed \
             FROM qbsync.company_secret ORDER BY company_id",
            &[],
        )
        .await?;
    let reseal = |company: i64, sealed: &[u8]| {
        open(old, sealed)
            .and_then(|plain| seal(&public, &plain))
            .map_err(|source| KeyError::Secret { company, source })
    };
    for row in &rows {
        let company: i64 = row.get(0);
        let client_secret = reseal(company, row.get(1))?;
        let refresh_token = reseal(company, row.get(2))?;
        let access_token = row
            .get::<_, Option<&[u8]>>(3)
            .map(|s| reseal(company, s))
            .transpose()?;
        tx.execute(
            "UPDATE qbsync.company_secret SET client_secret_sealed = $2, refresh_token_sealed = $3, \
             access_token_sealed = $4 WHERE company_id = $1",
            &[&company, &client_secret, &refresh_token, &access_token],
        )
        .await?;
    }
    tx.execute(
        "SELECT qbsync.qb_set_agent_key($1, replace => true)",
        &[&public.to_base64()],
    )
    .await?;
    tx.commit().await?;
    info!(companies = rows.len(), from = %old.public_key().fingerprint(), to = %public.fingerprint(), "secrets re-sealed");
    Ok(rows.len() as u64)
}
