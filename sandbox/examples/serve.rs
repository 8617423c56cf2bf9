//! Runs the sandbox in the foreground: `cargo run -p qbsync-sandbox --example serve -- 127.0.0.1:8085 [customers]`.

use qbsync_sandbox::{start, SandboxConfig, SeedSize};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bind = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8085".to_string())
        .parse()?;
    let seed = match args.next() {
        Some(n) => SeedSize::scaled(n.parse()?),
        None => SeedSize::small(),
    };
    let sb = start(SandboxConfig {
        bind,
        seed,
        ..SandboxConfig::default()
    })
    .await?;
    println!(
        "QuickBooks sandbox on {} (realm {})",
        sb.base_url(),
        sb.realm_id()
    );
    println!("token url: {}", sb.token_url());
    println!("api base:  {}", sb.api_base());
    tokio::signal::ctrl_c().await?;
    sb.shutdown().await;
    Ok(())
}
