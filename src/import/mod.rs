//! `wss-panel import-original`: moves an operator over from the original panel in one
//! command. It reads the original's `wss_panel.db`, `hosts.json` and `config.json` (never
//! writing them), writes users, traffic history, IP bans, the host whitelist and the fuse
//! threshold into the store in one transaction, the ports into config.json, and takes over
//! the users' Linux accounts. The panel must be stopped: the import opens the store itself,
//! as `restore` does (redb's file lock refuses it otherwise), so there is no second writer
//! and no admin API for bulk writes to secure.

pub mod accounts;
pub mod apply;
pub mod original;
pub mod plan;
mod report;

use crate::config::{Config, RawConfig};
use crate::domain::{Username, now_unix};
use crate::store::Store;
use accounts::{Account, Accounts};
use std::path::{Path, PathBuf};

pub const DEFAULT_FROM: &str = "/etc/wss-panel";
pub const DB_FILE: &str = "wss_panel.db";

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The original panel's directory (wss_panel.db, hosts.json, config.json).
    #[arg(long, default_value = DEFAULT_FROM)]
    pub from: PathBuf,
    /// Print what would be imported and every row that cannot be; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Leave the Linux accounts alone (for trying the import without root).
    #[arg(long)]
    pub skip_accounts: bool,
}

/// Runs the import against the store and config.json of `config`; returns the report.
pub fn run(config: &Config, args: &ImportArgs, accounts: &mut dyn Accounts) -> anyhow::Result<String> {
    let db = original::read(&args.from.join(DB_FILE))?;
    let hosts = read_json(&args.from.join("hosts.json"), serde_json::json!([]))?;
    let original_config = read_json(&args.from.join("config.json"), serde_json::json!({}))?;
    let plan = plan::make(&db, hosts.as_array().map_or(&[][..], Vec::as_slice), &original_config, now_unix());
    let mut notes = plan.notes.clone();
    for t in &db.other_tables {
        notes.push(format!("table {t} is not the original's: not imported"));
    }
    let mut eligible = Vec::new();
    for user in &plan.users {
        match accounts.check(&user.username) {
            Account::Eligible => eligible.push(Username::parse(&user.username)?),
            Account::Missing => notes.push(format!(
                "{}: no Linux account: imported, but SSH refuses its tunnels; give the customer \
                 a new password with `wss-panel user delete {0}` and `wss-panel user add {0}`",
                user.username
            )),
            Account::Refused(why) => {
                notes.push(format!("{}: Linux account not taken over: {why}", user.username))
            }
        }
    }
    let port_changes = port_changes(config, &plan.ports);
    let store_path = config.store_path();
    let outcome = if args.dry_run && !store_path.exists() {
        // Nothing to compare with: a throwaway empty store, so a dry run creates no file.
        let scratch = crate::backup::file::temp_path(&std::env::temp_dir(), "dry-run");
        let result = Store::open(&scratch)
            .map_err(anyhow::Error::from)
            .and_then(|store| Ok(store.write_discarded(|txn| apply::apply(txn, &plan))?));
        let _ = std::fs::remove_file(&scratch);
        result?
    } else if args.dry_run {
        Store::open_offline(&store_path)?.write_discarded(|txn| apply::apply(txn, &plan))?
    } else {
        crate::secure_files::create_private_dir(&config.data_dir)?;
        Store::open_offline(&store_path)?.write(|txn| apply::apply(txn, &plan))?
    };
    let mut tail = Vec::new();
    let names: Vec<&str> = eligible.iter().map(Username::as_str).collect();
    if args.dry_run && !args.skip_accounts && !names.is_empty() {
        tail.push(format!("Linux accounts: would take over {}: {}", names.len(), names.join(", ")));
    }
    if !args.dry_run {
        hand_to_data_dir_owner(&config.data_dir, &store_path)?;
        if !port_changes.is_empty() {
            write_ports(&config.path, &port_changes)?;
        }
        if args.skip_accounts {
            tail.push("Linux accounts: left alone (--skip-accounts)".to_owned());
        } else if !eligible.is_empty() {
            tail.push(format!("Linux accounts: {}", accounts.take_over(&eligible)?.trim_end()));
        }
        tracing::info!(
            event = "IMPORT_ORIGINAL",
            users = outcome.users_added.len(),
            bans = outcome.bans_added.len(),
            hosts = outcome.hosts_added.len()
        );
    }
    Ok(report::render(&args.from, args.dry_run, &plan, &outcome, &port_changes, &notes, &tail))
}

/// A missing file reads as `default` (the original created both lazily).
fn read_json(path: &Path, default: serde_json::Value) -> anyhow::Result<serde_json::Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not valid JSON: {e}; nothing was imported", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(default),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// (key, old, new) for each original port that differs from this panel's config.
fn port_changes(config: &Config, ports: &[(&'static str, u16)]) -> Vec<(&'static str, u16, u16)> {
    ports
        .iter()
        .filter_map(|&(key, new)| {
            let old = match key {
                "panel_port" => config.panel_port,
                "wss_http_port" => config.wss_http_port,
                "wss_tls_port" => config.wss_tls_port,
                "stunnel_port" => config.stunnel_port,
                "udpgw_port" => config.udpgw_port,
                _ => config.internal_forward_port,
            };
            (old != new).then_some((key, old, new))
        })
        .collect()
}

/// Sets the keys in config.json (every other key kept), validated as at start, atomically.
fn write_ports(path: &Path, changes: &[(&'static str, u16, u16)]) -> anyhow::Result<()> {
    let mut raw: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path)?)?;
    for (key, _, new) in changes {
        raw.insert((*key).to_owned(), (*new).into());
    }
    let text = serde_json::to_string_pretty(&raw)?;
    let parsed: RawConfig = serde_json::from_str(&text)?;
    parsed.validate(path)?;
    crate::web::admin_password::write_atomically(path, &text)?;
    Ok(())
}

/// Run as root, the import may have created the store: it belongs to whoever owns the data
/// directory (the panel user), or the panel could not open it; owner only (password hashes).
pub fn hand_to_data_dir_owner(data_dir: &Path, file: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    let dir = std::fs::metadata(data_dir)?;
    let meta = std::fs::metadata(file)?;
    if (meta.uid(), meta.gid()) != (dir.uid(), dir.gid()) {
        nix::unistd::chown(
            file,
            Some(nix::unistd::Uid::from_raw(dir.uid())),
            Some(nix::unistd::Gid::from_raw(dir.gid())),
        )?;
    }
    Ok(())
}
