//! `wss-panel up`: the whole system for trying it without root. Panel and proxy in one
//! process on unprivileged ports, everything in one local directory (config.json, store,
//! admin token, self-signed certificate), system accounts only recorded, not created.
//! A later run reuses that directory; the port and `--forward` flags it is given are
//! written into its config.json (and said so), the others keep what is there.

use crate::config::{Config, RawConfig};
use crate::secure_files::{create_private_dir, open_private, random_hex, replace_file};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Where config.json, the store and the certificate live.
    #[arg(long, default_value = ".wss-panel-up")]
    pub data_dir: PathBuf,
    /// The admin panel's port [default: 54321].
    #[arg(long)]
    pub panel_port: Option<u16>,
    /// The proxy's ws:// port [default: 8080].
    #[arg(long)]
    pub http_port: Option<u16>,
    /// The proxy's wss:// port [default: 8443].
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// The sshd tunnels go to [default: 127.0.0.1:22].
    #[arg(long)]
    pub forward: Option<SocketAddr>,
    /// Create real Linux accounts for tunnel users (needs root, or sudo and the helper).
    /// Without it, system commands are only recorded in the log.
    #[arg(long)]
    pub system_accounts: bool,
}

const DEFAULT_FORWARD: SocketAddr =
    SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 22));

impl UpArgs {
    /// The config.json keys the flags given on this run set, in file order.
    fn given(&self) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        if let Some(port) = self.panel_port {
            out.push(("panel_port", json!(port)));
            out.push(("panel_url", json!(format!("http://127.0.0.1:{port}"))));
        }
        if let Some(port) = self.http_port {
            out.push(("wss_http_port", json!(port)));
        }
        if let Some(port) = self.tls_port {
            out.push(("wss_tls_port", json!(port)));
        }
        if let Some(forward) = self.forward {
            out.push(("internal_forward_port", json!(forward.port())));
            out.push(("forward_host", json!(forward.ip())));
        }
        out
    }
}

/// Writes the flags given on a later run into the existing config.json, validated first;
/// answers what changed (`key old -> new`), nothing when the flags match the file.
pub fn apply_flags(config_path: &Path, args: &UpArgs) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(config_path)?;
    let mut fields: serde_json::Map<String, Value> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not valid config JSON: {e}", config_path.display()))?;
    let mut changed = Vec::new();
    for (key, value) in args.given() {
        let old = fields.get(key).cloned().unwrap_or(Value::Null);
        if old != value {
            changed.push(format!("{key} {old} -> {value}"));
            fields.insert(key.to_owned(), value);
        }
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    let raw: RawConfig = serde_json::from_value(Value::Object(fields.clone()))?;
    raw.validate(config_path).map_err(|e| {
        anyhow::anyhow!("these flags would make {} invalid, nothing changed: {e}", config_path.display())
    })?;
    replace_file(config_path, serde_json::to_string_pretty(&fields)?.as_bytes())?;
    Ok(changed)
}

/// Writes a config on first run; on a later run applies the flags given to it. Returns its
/// path and, on first run only, the generated admin password.
pub fn prepare(args: &UpArgs) -> anyhow::Result<(PathBuf, Option<String>)> {
    let dir = &args.data_dir;
    create_private_dir(dir)?;
    let dir = dir.canonicalize()?;
    let config_path = dir.join("config.json");
    if config_path.exists() {
        let changed = apply_flags(&config_path, args)?;
        if !changed.is_empty() {
            println!("applied to {}: {}", config_path.display(), changed.join(", "));
            tracing::info!(event = "UP_CONFIG_UPDATED", path = %config_path.display(), changed = ?changed);
        }
        return Ok((config_path, None));
    }
    let panel_port = args.panel_port.unwrap_or(54321);
    let forward = args.forward.unwrap_or(DEFAULT_FORWARD);
    let raw = RawConfig {
        panel_port: Some(panel_port.into()),
        panel_bind: Some([127, 0, 0, 1].into()),
        wss_http_port: Some(args.http_port.unwrap_or(8080).into()),
        wss_tls_port: Some(args.tls_port.unwrap_or(8443).into()),
        wss_bind: Some([0, 0, 0, 0].into()),
        internal_forward_port: Some(forward.port().into()),
        forward_host: Some(forward.ip()),
        internal_api_secret: Some(random_hex(32)),
        data_dir: Some(dir.clone()),
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        panel_url: Some(format!("http://127.0.0.1:{panel_port}")),
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
            config.admin_password_path().display()
        ),
    }
    println!(
        "  tunnels:      ws://<this host>:{}  wss://<this host>:{} -> sshd {}",
        config.wss_http_port,
        config.wss_tls_port,
        SocketAddr::new(config.forward_host, config.internal_forward_port)
    );
    println!("  config:       {} (flags given to a later `up` are written there)", config_path.display());
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
