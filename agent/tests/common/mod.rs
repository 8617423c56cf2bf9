//! Shared by the tests that run the real agent binary: a fresh database with the extension,
//! the agent's key (secret half in a file, public half registered), a sandbox and a company.

use qbsync_agent::database_config;
use qbsync_sandbox::{RunningSandbox, SandboxConfig, SeedSize};
use tokio_postgres::{Client, NoTls};

pub async fn connect(cfg: &tokio_postgres::Config) -> Client {
    let (client, conn) = cfg
        .connect(NoTls)
        .await
        .expect("PostgreSQL (run scripts/setup.sh)");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

pub struct BinaryEnv {
    pub base: tokio_postgres::Config,
    pub admin: Client,
    pub db: Client,
    pub dbname: String,
    pub sandbox: RunningSandbox,
    pub key_file: std::path::PathBuf,
}

/// Database `qbsync_<company>_<pid>` with company `company` connected to a small sandbox.
pub async fn setup(company: &str) -> BinaryEnv {
    let mut base = database_config(None).unwrap();
    base.dbname("postgres");
    let admin = connect(&base).await;
    let dbname = format!("qbsync_{company}_{}", std::process::id());
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {dbname}"))
        .await
        .unwrap();
    let mut cfg = base.clone();
    cfg.dbname(&dbname);
    let db = connect(&cfg).await;
    db.batch_execute("CREATE EXTENSION qbsync CASCADE")
        .await
        .unwrap();
    let sandbox = qbsync_sandbox::start(SandboxConfig {
        seed: SeedSize::small(),
        ..Default::default()
    })
    .await
    .unwrap();
    // The agent's key: the secret half in a file for the agent process, the public half registered.
    let key = qbsync_secret::generate();
    let key_file = std::env::temp_dir().join(format!("{dbname}.key"));
    let _ = std::fs::remove_file(&key_file);
    qbsync_secret::write_new_secret_key(&key_file, &key).unwrap();
    db.execute(
        "SELECT qbsync.qb_set_agent_key($1)",
        &[&key.public_key().to_base64()],
    )
    .await
    .unwrap();
    let d = SandboxConfig::default();
    db.execute(
        &format!("SELECT qbsync.qb_add_company('{company}', $1, $2, $3, $4, api_base => $5, token_url => $6)"),
        &[
            &sandbox.realm_id(),
            &d.client_id,
            &d.client_secret,
            &d.refresh_token,
            &sandbox.api_base(),
            &sandbox.token_url(),
        ],
    )
    .await
    .unwrap();
    BinaryEnv {
        base,
        admin,
        db,
        dbname,
        sandbox,
        key_file,
    }
}
