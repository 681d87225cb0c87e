//! `config.json`: the raw serde shape (keys compatible with the original panel), `validate()`
//! with plain-English errors, and the typed `Config` the processes run with. A missing or
//! corrupt file is reported, never rewritten. Secrets are masked in `Debug`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

mod listen;
mod node;
mod udpgw;
pub use listen::any_address;
use listen::check_ports;
pub use node::PanelCredential;
pub use udpgw::{RawUdpgw, UdpgwConfig};

pub const DEFAULT_CONFIG_PATH: &str = "/etc/wss-panel/config.json";
pub const DEFAULT_DATA_DIR: &str = "/var/lib/wss-panel";
/// The secret the original shipped in its repository: never accepted.
const ORIGINAL_DEFAULT_SECRET: &str = "default-secret-key-please-change";
const MIN_SECRET_LEN: usize = 16;
pub const DEFAULT_BCRYPT_COST: u32 = 12;
/// The dedicated sshd behind stunnel, as install.sh sets it up by default.
pub const DEFAULT_SSHD_STUNNEL_PORT: u16 = 2222;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid config JSON: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{0}")]
    Invalid(String),
}

/// The file as written on disk. Unknown keys are refused so that a typo is an error rather
/// than a silently ignored setting; the original's obsolete keys are accepted and ignored.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub panel_user: Option<String>,
    pub panel_port: Option<i64>,
    pub wss_http_port: Option<i64>,
    pub wss_tls_port: Option<i64>,
    pub stunnel_port: Option<i64>,
    /// The dedicated sshd behind stunnel (`Port` in sshd_config_stunnel; default 2222).
    /// Written by install.sh and by the helper's `set-door-ports`; the panel only shows it.
    pub sshd_stunnel_port: Option<i64>,
    pub udpgw_port: Option<i64>,
    pub internal_forward_port: Option<i64>,
    pub internal_api_secret: Option<String>,
    /// Where the store and runtime files live.
    pub data_dir: Option<PathBuf>,
    /// On an enrolled node: the directory where the proxy spools the panel's account
    /// messages for the node agent (default: `data_dir`). install.sh --node makes it the
    /// proxy's, group-readable by the panel account (setgid), since the agent runs as that.
    pub node_spool_dir: Option<PathBuf>,
    /// Address the admin panel listens on.
    pub panel_bind: Option<IpAddr>,
    /// Serve the admin panel over HTTPS with `tls_cert` / `tls_key` (default false: plain
    /// HTTP, for loopback and `up`).
    pub panel_tls: Option<bool>,
    /// With `panel_tls`: a second, plain-HTTP listener on 127.0.0.1 at this port for the
    /// proxies and the `user` CLI (the default `panel_url` points there).
    pub panel_local_port: Option<i64>,
    /// Address the proxy's WSS ports listen on.
    pub wss_bind: Option<IpAddr>,
    /// Address of the sshd the proxy forwards tunnels to.
    pub forward_host: Option<IpAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Panel base URL as the proxy reaches it (`http://127.0.0.1:54321`).
    pub panel_url: Option<String>,
    pub bcrypt_cost: Option<u32>,
    /// This proxy's name in the panel (default: the host name).
    pub node_name: Option<String>,
    /// A remote node's own secret (from `wss-panel node enrol`), used instead of the
    /// internal secret; needs an `https://` `panel_url`.
    pub node_secret: Option<String>,
    /// SHA-256 of the panel's certificate: the only one an `https://` `panel_url` accepts.
    pub panel_cert_sha256: Option<String>,
    /// How often expiry and quota are enforced (default 60).
    pub maintenance_interval_secs: Option<u64>,
    /// How the panel reaches the OS: `sudo` (default), `direct` (panel runs as root) or
    /// `recording` (nothing is run; for `up` and tests).
    pub command_backend: Option<String>,
    /// The root helper binary (`wss-panel privileged ...`).
    pub helper_path: Option<PathBuf>,
    /// Seconds one root-helper command may take before the panel ends it and reports
    /// `SYSTEM_COMMAND_FAILED` (default 150, 1..=3600).
    pub helper_timeout_secs: Option<u64>,
    /// How long a verified tunnel password is remembered (default 300 s, 0 = off).
    pub auth_cache_secs: Option<u64>,
    /// Accept `/internal` and `/ipc` from other hosts (remote proxy nodes); the secret is
    /// required either way. Default: loopback only.
    pub internal_allow_remote: Option<bool>,
    /// Audit log retention: at most this many records (default 100000); the oldest go first,
    /// pruned at each maintenance tick.
    pub audit_max_rows: Option<u64>,
    /// Audit log retention: records older than this many days are pruned (default 365).
    pub audit_max_age_days: Option<u64>,
    /// Header lines one tunnel request head may have (default 100, 8..=1000).
    pub max_header_lines: Option<usize>,
    /// Seconds a tunnel connection has from accept to its `101` (TLS, heads, auth; default
    /// 10, 1..=120): slow or silent clients are closed then.
    pub handshake_timeout_secs: Option<u64>,
    /// µs a tunnel's relay keeps polling its sockets after a small message instead of
    /// sleeping until woken (default 0 = off, 0..=1000): cuts the wake-ups an interactive
    /// answer pays on a VM, for CPU spent spinning. See `proxy::busy_poll`.
    pub busy_poll_us: Option<u64>,
    /// Unauthenticated connections one source address (IPv6: one /64) may hold at once;
    /// more are closed at accept (default 128).
    pub preauth_per_ip: Option<usize>,
    /// Unauthenticated connections in all; at the cap the oldest is shed (default 4096).
    pub preauth_global: Option<usize>,
    /// Scheduled backups into `<data_dir>/backups`: one when the newest is this old
    /// (default 86400, a day; 0 = off).
    pub backup_interval_secs: Option<u64>,
    /// Scheduled backups kept (default 7); the oldest go first.
    pub backup_keep: Option<u32>,
    /// The public host or IP customers connect to; the installer's guess, copied into the
    /// store's public address at start while that is not configured (Settings owns it after).
    pub public_host: Option<String>,
    // The UDPGW's limits; documented on [`RawUdpgw`]. (Listed here, not flattened: serde
    // cannot refuse unknown keys through `flatten`.)
    pub udpgw_max_clients: Option<u32>,
    pub udpgw_max_flows_per_client: Option<u32>,
    pub udpgw_max_flows_per_user: Option<u32>,
    pub udpgw_flow_idle_secs: Option<u64>,
    pub udpgw_client_timeout_secs: Option<u64>,
    pub udpgw_udp_mtu: Option<u32>,
    pub udpgw_resolv_conf: Option<PathBuf>,
    pub udpgw_allow_local: Option<Vec<std::net::SocketAddr>>,
    // Keys of the original that no longer mean anything; kept readable for upgrades.
    pub internal_api_port: Option<u16>,
    pub panel_api_url: Option<String>,
    pub proxy_api_url: Option<String>,
}

/// A validated configuration. Field docs live on `RawConfig`.
#[derive(Clone)]
pub struct Config {
    pub path: PathBuf,
    pub panel_user: String,
    pub panel_port: u16,
    pub wss_http_port: u16,
    pub wss_tls_port: u16,
    pub stunnel_port: u16,
    pub sshd_stunnel_port: u16,
    pub udpgw_port: u16,
    pub internal_forward_port: u16,
    pub internal_api_secret: String,
    pub data_dir: PathBuf,
    /// Where an enrolled node's proxy writes, and its node agent reads, the account spool.
    pub node_spool_dir: PathBuf,
    pub panel_bind: IpAddr,
    pub panel_tls: bool,
    pub panel_local_port: Option<u16>,
    pub wss_bind: IpAddr,
    pub forward_host: IpAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub panel_url: String,
    pub bcrypt_cost: u32,
    pub node_name: String,
    pub node_secret: Option<String>,
    pub panel_cert_sha256: Option<crate::pinned_tls::Fingerprint>,
    pub maintenance_interval_secs: u64,
    pub command_backend: CommandBackend,
    pub helper_path: PathBuf,
    pub helper_timeout: std::time::Duration,
    pub auth_cache_secs: u64,
    pub internal_allow_remote: bool,
    pub audit_max_rows: u64,
    pub audit_max_age_days: u64,
    pub max_header_lines: usize,
    pub handshake_timeout: std::time::Duration,
    pub busy_poll: std::time::Duration,
    pub preauth_per_ip: usize,
    pub preauth_global: usize,
    pub backup_interval_secs: u64,
    pub backup_keep: u32,
    pub public_host: Option<String>,
    pub udpgw: UdpgwConfig,
}

/// How system commands are run; see `RawConfig::command_backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandBackend {
    Sudo,
    Direct,
    Recording,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("path", &self.path)
            .field("panel_user", &self.panel_user)
            .field("panel_port", &self.panel_port)
            .field("wss_http_port", &self.wss_http_port)
            .field("wss_tls_port", &self.wss_tls_port)
            .field("internal_forward_port", &self.internal_forward_port)
            .field("internal_api_secret", &"***")
            .field("data_dir", &self.data_dir)
            .field("node_spool_dir", &self.node_spool_dir)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads and validates; never writes.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let raw: RawConfig = serde_json::from_str(&text)
            .map_err(|source| ConfigError::Parse { path: path.to_owned(), source })?;
        raw.validate(path)
    }

    /// The directory holding config.json and the TLS key: root's in an installed system
    /// (`/etc/wss-panel`, group-readable by the panel), never served.
    pub fn config_dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_owned).unwrap_or_else(|| PathBuf::from("."))
    }

    /// The `user` CLI's bearer token, created by the panel in its own data dir.
    pub fn admin_token_path(&self) -> PathBuf {
        self.data_dir.join("admin_token")
    }

    /// bcrypt hash of the panel admin's password, written by the installer or `up`, rewritten
    /// by the panel when the admin changes it: so it lives in the panel's data dir. Without it
    /// nobody can log in to the panel: there is no default password.
    pub fn admin_password_path(&self) -> PathBuf {
        self.data_dir.join("admin_password.hash")
    }

    /// Where releases before the root-owned `/etc/wss-panel` kept `admin_password.hash` and
    /// `admin_token`; the panel adopts them at start (see `web::server`).
    pub fn legacy_state_paths(&self) -> [(PathBuf, PathBuf); 2] {
        let dir = self.config_dir();
        [
            (dir.join("admin_password.hash"), self.admin_password_path()),
            (dir.join("admin_token"), self.admin_token_path()),
        ]
    }

    /// Bearer token Prometheus sends to `/metrics`; created 0600 by the panel at first start.
    pub fn metrics_token_path(&self) -> PathBuf {
        self.data_dir.join("metrics_token")
    }

    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("wss_panel.redb")
    }

    /// Written by a panel that listens on port 0, so that local clients find it.
    pub fn panel_addr_path(&self) -> PathBuf {
        self.data_dir.join("panel.addr")
    }

    /// An enrolled node's account spool: written by its proxy, read by its node agent.
    pub fn account_spool_path(&self) -> PathBuf {
        self.node_spool_dir.join(crate::wire::ACCOUNT_SPOOL_FILE)
    }
}

impl RawConfig {
    pub fn validate(self, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |msg: String| Err(ConfigError::Invalid(format!("{}: {msg}", path.display())));
        let secret = self.internal_api_secret.unwrap_or_default();
        if secret.is_empty() {
            return invalid(
                "internal_api_secret is missing or empty; generate one with `openssl rand -hex 32`".into(),
            );
        }
        if secret == ORIGINAL_DEFAULT_SECRET {
            return invalid("internal_api_secret is the published default; generate a new one with `openssl rand -hex 32`".into());
        }
        if secret.len() < MIN_SECRET_LEN {
            return invalid(format!("internal_api_secret is shorter than {MIN_SECRET_LEN} characters"));
        }
        let panel_user = self.panel_user.unwrap_or_else(|| "wss-panel".into());
        if !crate::domain::is_valid_username_shape(&panel_user) {
            return invalid(format!("panel_user '{panel_user}' is not a valid account name"));
        }
        // Root runs tools as the panel user (doctor): that account must never be root.
        if panel_user == "root"
            || matches!(nix::unistd::User::from_name(&panel_user), Ok(Some(u)) if u.uid.is_root())
        {
            return invalid(format!(
                "panel_user '{panel_user}' is root (uid 0); the panel never runs as root"
            ));
        }
        let bcrypt_cost = self.bcrypt_cost.unwrap_or(DEFAULT_BCRYPT_COST);
        if !(4..=15).contains(&bcrypt_cost) {
            return invalid(format!("bcrypt_cost {bcrypt_cost} is out of range 4..=15"));
        }
        let node_name = self.node_name.unwrap_or_else(default_node_name);
        if node_name.is_empty()
            || node_name.len() > 64
            || !node_name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return invalid(format!("node_name '{node_name}' must be 1-64 letters, digits, '-', '_' or '.'"));
        }
        let maintenance_interval_secs = self.maintenance_interval_secs.unwrap_or(60);
        if !(1..=3600).contains(&maintenance_interval_secs) {
            return invalid(format!(
                "maintenance_interval_secs {maintenance_interval_secs} is out of range 1..=3600"
            ));
        }
        let command_backend = match self.command_backend.as_deref().unwrap_or("sudo") {
            "sudo" => CommandBackend::Sudo,
            "direct" => CommandBackend::Direct,
            "recording" => CommandBackend::Recording,
            other => return invalid(format!("command_backend '{other}' must be sudo, direct or recording")),
        };
        let audit_max_rows = self.audit_max_rows.unwrap_or(100_000);
        if !(1..=100_000_000).contains(&audit_max_rows) {
            return invalid(format!("audit_max_rows {audit_max_rows} is out of range 1..=100000000"));
        }
        let audit_max_age_days = self.audit_max_age_days.unwrap_or(365);
        if !(1..=36_500).contains(&audit_max_age_days) {
            return invalid(format!("audit_max_age_days {audit_max_age_days} is out of range 1..=36500"));
        }
        let backup_keep = self.backup_keep.unwrap_or(7);
        if !(1..=1000).contains(&backup_keep) {
            return invalid(format!("backup_keep {backup_keep} is out of range 1..=1000"));
        }
        let public_host = self.public_host.filter(|h| !h.is_empty());
        if public_host.as_deref().is_some_and(|h| !crate::payload::address::is_host(h)) {
            return invalid("public_host must be a DNS name or an IP address (no port)".into());
        }
        let data_dir = self.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        if let Some(dir) = self.node_spool_dir.as_ref().filter(|d| !d.is_absolute()) {
            return invalid(format!("node_spool_dir {} must be an absolute path", dir.display()));
        }
        let node_spool_dir = self.node_spool_dir.unwrap_or_else(|| data_dir.clone());
        let ports = [
            ("panel_port", self.panel_port.unwrap_or(54321)),
            ("wss_http_port", self.wss_http_port.unwrap_or(80)),
            ("wss_tls_port", self.wss_tls_port.unwrap_or(443)),
            ("stunnel_port", self.stunnel_port.unwrap_or(444)),
            ("udpgw_port", self.udpgw_port.unwrap_or(7300)),
            ("internal_forward_port", self.internal_forward_port.unwrap_or(22)),
        ];
        let ports = match check_ports(&ports) {
            Ok(ports) => ports,
            Err(msg) => return invalid(msg),
        };
        let [panel, http, tls, stunnel, udpgw, forward] = ports;
        // Checked only when written: configs from before the key keep starting.
        let sshd_stunnel_port = match self.sshd_stunnel_port {
            None => DEFAULT_SSHD_STUNNEL_PORT,
            Some(p) => {
                let named = |name, port: u16| (name, i64::from(port));
                let all = [
                    named("panel_port", panel),
                    named("wss_http_port", http),
                    named("wss_tls_port", tls),
                    named("stunnel_port", stunnel),
                    named("udpgw_port", udpgw),
                    named("internal_forward_port", forward),
                    ("sshd_stunnel_port", p),
                ];
                match check_ports(&all) {
                    Ok(ports) if ports[6] != 0 => ports[6],
                    Ok(_) => return invalid("sshd_stunnel_port 0: a port is 1 to 65535".into()),
                    Err(msg) => return invalid(msg),
                }
            }
        };
        let raw_udpgw = RawUdpgw {
            udpgw_max_clients: self.udpgw_max_clients,
            udpgw_max_flows_per_client: self.udpgw_max_flows_per_client,
            udpgw_max_flows_per_user: self.udpgw_max_flows_per_user,
            udpgw_flow_idle_secs: self.udpgw_flow_idle_secs,
            udpgw_client_timeout_secs: self.udpgw_client_timeout_secs,
            udpgw_udp_mtu: self.udpgw_udp_mtu,
            udpgw_resolv_conf: self.udpgw_resolv_conf,
            udpgw_allow_local: self.udpgw_allow_local,
        };
        let udpgw_config = match raw_udpgw.validate(udpgw) {
            Ok(u) => u,
            Err(msg) => return invalid(msg),
        };
        let config_dir = path.parent().unwrap_or(Path::new("."));
        let panel_bind = self.panel_bind.unwrap_or_else(any_address);
        let panel_tls = self.panel_tls.unwrap_or(false);
        let panel_local_port = match self.panel_local_port.filter(|_| panel_tls) {
            None => None,
            Some(p) => match check_ports(&[("panel_local_port", p)]) {
                Ok([p]) if p != panel && p != 0 => Some(p),
                Ok(_) => return invalid("panel_local_port must be a port other than panel_port".into()),
                Err(msg) => return invalid(msg),
            },
        };
        let panel_url = self
            .panel_url
            .unwrap_or_else(|| format!("http://127.0.0.1:{}", panel_local_port.unwrap_or(panel)));
        if !(panel_url.starts_with("http://") || panel_url.starts_with("https://")) {
            return invalid(format!("panel_url '{panel_url}' must start with http:// or https://"));
        }
        let node_secret = self.node_secret.filter(|s| !s.is_empty());
        let pin = self.panel_cert_sha256.as_deref();
        let panel_cert_sha256 = match node::check_link(&panel_url, node_secret.as_deref(), pin) {
            Ok(pin) => pin,
            Err(msg) => return invalid(msg),
        };
        let max_header_lines =
            self.max_header_lines.unwrap_or(crate::proxy::handshake::DEFAULT_MAX_HEADER_LINES);
        if !(8..=1000).contains(&max_header_lines) {
            return invalid(format!("max_header_lines {max_header_lines} is out of range 8..=1000"));
        }
        let handshake_secs = self.handshake_timeout_secs.unwrap_or(10);
        if !(1..=120).contains(&handshake_secs) {
            return invalid(format!("handshake_timeout_secs {handshake_secs} is out of range 1..=120"));
        }
        let busy_poll_us = self.busy_poll_us.unwrap_or(0);
        if busy_poll_us > 1000 {
            return invalid(format!("busy_poll_us {busy_poll_us} is out of range 0..=1000"));
        }
        let helper_secs =
            self.helper_timeout_secs.unwrap_or(crate::actors::command_runner::DEFAULT_RUN_TIMEOUT.as_secs());
        if !(1..=3600).contains(&helper_secs) {
            return invalid(format!("helper_timeout_secs {helper_secs} is out of range 1..=3600"));
        }
        let preauth_per_ip = self.preauth_per_ip.unwrap_or(crate::proxy::admission::DEFAULT_PER_IP);
        let preauth_global = self.preauth_global.unwrap_or(crate::proxy::admission::DEFAULT_GLOBAL);
        if !(1..=1_000_000).contains(&preauth_global) {
            return invalid(format!("preauth_global {preauth_global} is out of range 1..=1000000"));
        }
        if !(1..=preauth_global).contains(&preauth_per_ip) {
            return invalid(format!(
                "preauth_per_ip {preauth_per_ip} must be at least 1 and at most preauth_global ({preauth_global})"
            ));
        }
        Ok(Config {
            path: path.to_owned(),
            panel_user,
            panel_port: panel,
            wss_http_port: http,
            wss_tls_port: tls,
            stunnel_port: stunnel,
            sshd_stunnel_port,
            udpgw_port: udpgw,
            internal_forward_port: forward,
            internal_api_secret: secret,
            data_dir,
            node_spool_dir,
            panel_bind,
            panel_tls,
            panel_local_port,
            wss_bind: self.wss_bind.unwrap_or_else(any_address),
            forward_host: self.forward_host.unwrap_or(IpAddr::from([127, 0, 0, 1])),
            tls_cert: self.tls_cert.unwrap_or_else(|| config_dir.join("cert.pem")),
            tls_key: self.tls_key.unwrap_or_else(|| config_dir.join("key.pem")),
            panel_url,
            bcrypt_cost,
            node_name,
            node_secret,
            panel_cert_sha256,
            maintenance_interval_secs,
            command_backend,
            helper_path: self
                .helper_path
                .unwrap_or_else(|| crate::system::sudoers::DEFAULT_HELPER_PATH.into()),
            helper_timeout: std::time::Duration::from_secs(helper_secs),
            auth_cache_secs: self.auth_cache_secs.unwrap_or(300).min(3600),
            internal_allow_remote: self.internal_allow_remote.unwrap_or(false),
            audit_max_rows,
            audit_max_age_days,
            max_header_lines,
            handshake_timeout: std::time::Duration::from_secs(handshake_secs),
            busy_poll: std::time::Duration::from_micros(busy_poll_us),
            preauth_per_ip,
            preauth_global,
            backup_interval_secs: self.backup_interval_secs.unwrap_or(86_400),
            backup_keep,
            public_host: public_host.map(|h| h.to_ascii_lowercase()),
            udpgw: udpgw_config,
        })
    }
}

fn default_node_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or_else(|| "node".into())
}

#[cfg(test)]
mod tests;
