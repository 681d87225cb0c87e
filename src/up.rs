//! `wss-panel up`: the whole system for trying it without root. Panel and proxy in one
//! process on unprivileged ports, everything in one local directory (config.json, store,
//! admin token, self-signed certificate), system accounts only recorded, not created.

use crate::config::{Config, RawConfig};
use crate::secure_files::{create_private_dir, open_private, random_hex};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Where config.json, the store and the certificate live.
    #[arg(long, default_value = ".wss-panel-up")]
    pub data_dir: PathBuf,
    #[arg(long, default_value_t = 54321)]
    pub panel_port: u16,
    #[arg(long, default_value_t = 8080)]
    pub http_port: u16,
    #[arg(long, default_value_t = 8443)]
    pub tls_port: u16,
    /// The sshd tunnels go to.
    #[arg(long, default_value = "127.0.0.1:22")]
    pub forward: SocketAddr,
    /// Create real Linux accounts for tunnel users (needs root, or sudo and the helper).
    /// Without it, system commands are only recorded in the log.
    #[arg(long)]
    pub system_accounts: bool,
}

/// Writes a config on first run (never overwrites one); returns its path and, on first run
/// only, the generated admin password.
pub fn prepare(args: &UpArgs) -> anyhow::Result<(PathBuf, Option<String>)> {
    let dir = &args.data_dir;
    create_private_dir(dir)?;
    let dir = dir.canonicalize()?;
    let config_path = dir.join("config.json");
    if config_path.exists() {
        return Ok((config_path, None));
    }
    let raw = RawConfig {
        panel_port: Some(args.panel_port.into()),
        panel_bind: Some([127, 0, 0, 1].into()),
        wss_http_port: Some(args.http_port.into()),
        wss_tls_port: Some(args.tls_port.into()),
        wss_bind: Some([0, 0, 0, 0].into()),
        internal_forward_port: Some(args.forward.port().into()),
        forward_host: Some(args.forward.ip()),
        internal_api_secret: Some(random_hex(32)),
        data_dir: Some(dir.clone()),
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        panel_url: Some(format!("http://127.0.0.1:{}", args.panel_port)),
        bcrypt_cost: Some(10),
        node_name: Some("local".into()),
        command_backend: Some(backend(args.system_accounts).into()),
        helper_path: args.system_accounts.then(|| std::env::current_exe().ok()).flatten(),
        ..RawConfig::default()
    };
    write_cert(&dir)?;
    let password = random_hex(9);
    let hash = bcrypt::non_truncating_hash(&password, 10)?;
    open_private(&dir.join("admin_password.hash"))?.write_all(hash.as_bytes())?;
    open_private(&config_path)?.write_all(serde_json::to_string_pretty(&raw)?.as_bytes())?;
    Ok((config_path, Some(password)))
}

/// `recording` unless real accounts are wanted: then `direct` as root, else `sudo`.
fn backend(system_accounts: bool) -> &'static str {
    match (system_accounts, nix::unistd::geteuid().is_root()) {
        (false, _) => "recording",
        (true, true) => "direct",
        (true, false) => "sudo",
    }
}

fn write_cert(dir: &Path) -> anyhow::Result<()> {
    let (cert, key) = crate::proxy::tls::self_signed(vec!["localhost".into(), "127.0.0.1".into()])?;
    std::fs::write(dir.join("cert.pem"), cert)?;
    open_private(&dir.join("key.pem"))?.write_all(key.as_bytes())?;
    Ok(())
}

/// Runs panel and proxy until Ctrl-C.
pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let (config_path, password) = prepare(&args)?;
    let config = Config::load(&config_path)?;
    println!("wss-panel is up.");
    println!("  admin panel:  http://127.0.0.1:{}/  (user: admin)", config.panel_port);
    match password {
        Some(p) => println!("  admin password (shown once): {p}"),
        None => println!(
            "  admin password: as printed on the first run (hash in {})",
            config.config_dir().join("admin_password.hash").display()
        ),
    }
    println!(
        "  tunnels:      ws://<this host>:{}  wss://<this host>:{} -> sshd {}",
        config.wss_http_port, config.wss_tls_port, args.forward
    );
    println!("  users:        WSS_PANEL_CONFIG={} wss-panel user add NAME", config_path.display());
    let proxy_config = config.clone();
    std::thread::spawn(move || {
        if let Err(e) = crate::proxy::main(proxy_config) {
            tracing::error!(event = "PROXY_FAILED", error = %e);
            std::process::exit(1);
        }
    });
    actix_web::rt::System::new().block_on(crate::web::run_panel(config))
}
