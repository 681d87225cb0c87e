//! `wss-panel install-helper ...`: what `install/install.sh` asks of the binary so that the
//! shell script does no crypto and writes no JSON: the TLS certificate, the admin password
//! hash, config.json. Each step keeps what is already there (re-running the installer
//! must not change secrets, the certificate or the password) and says what it did on stdout
//! (`kept PATH` / `wrote PATH`) so the installer can record created files in its manifest.

use crate::config::{DEFAULT_BCRYPT_COST, RawConfig};
use crate::secure_files::{random_hex, read_nofollow, replace_file};
use std::path::{Path, PathBuf};

/// Bytes bcrypt looks at; a longer admin password is refused rather than cut.
const MAX_PASSWORD_BYTES: usize = 72;
const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, clap::Subcommand)]
pub enum InstallCmd {
    /// Writes DIR/cert.pem and DIR/key.pem (0600), self-signed for the given names, unless
    /// both exist.
    GenCert {
        #[arg(long)]
        dir: PathBuf,
        /// Host names and IP addresses for the subjectAltName.
        #[arg(long = "san", required = true)]
        sans: Vec<String>,
    },
    /// Hashes the first line of PASSWORD_FILE with bcrypt into OUT (0600), unless OUT exists.
    HashPassword {
        #[arg(long)]
        password_file: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Creates or updates config.json (0600): the given keys are set, every other key and the
    /// internal secret are kept; a new secret is generated only when there is none.
    WriteConfig(WriteConfigArgs),
    /// Copies an operator's certificate and key into DIR/cert.pem and DIR/key.pem (0600).
    UseCert {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Prints the SHA-256 fingerprint of a PEM certificate (`AB:CD:...`).
    Fingerprint {
        #[arg(long)]
        cert: PathBuf,
    },
    /// Checks `node enrol`'s arguments without connecting (`install.sh --node`, before it
    /// changes anything).
    CheckNode {
        #[arg(long)]
        panel: String,
        #[arg(long)]
        token: String,
    },
    /// Validates a config.json and prints its ports as `key=value` lines.
    ShowConfig {
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct WriteConfigArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    panel_user: String,
    #[arg(long)]
    panel_port: u16,
    #[arg(long)]
    wss_http_port: u16,
    #[arg(long)]
    wss_tls_port: u16,
    #[arg(long)]
    stunnel_port: u16,
    /// The dedicated sshd behind stunnel (`Port` in sshd_config_stunnel).
    #[arg(long)]
    sshd_stunnel_port: Option<u16>,
    #[arg(long)]
    internal_forward_port: u16,
    /// The data dir as the running panel sees it (the installer's `--root` is not part of it).
    #[arg(long)]
    data_dir: PathBuf,
    /// Serve the panel over plain HTTP on 127.0.0.1 only (default: HTTPS on every address
    /// with the installer's certificate).
    #[arg(long)]
    panel_http: bool,
    /// With HTTPS: the plain-HTTP port on 127.0.0.1 for the proxies and the `user` CLI.
    #[arg(long)]
    panel_local_port: Option<u16>,
    /// The public host or IP customers connect to (seeds the panel's public address).
    #[arg(long)]
    public_host: Option<String>,
    /// On a node: where the proxy spools account messages for the node agent.
    #[arg(long)]
    node_spool_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io { path: path.to_owned(), source }
}

/// Runs one step; the returned text goes to stdout.
pub fn run(cmd: InstallCmd) -> Result<String, InstallError> {
    match cmd {
        InstallCmd::GenCert { dir, sans } => gen_cert(&dir, sans),
        InstallCmd::HashPassword { password_file, out } => hash_password(&password_file, &out),
        InstallCmd::WriteConfig(args) => write_config(&args),
        InstallCmd::UseCert { dir, cert, key } => use_cert(&dir, &cert, &key),
        InstallCmd::Fingerprint { cert } => fingerprint(&cert),
        InstallCmd::ShowConfig { file } => show_config(&file),
        InstallCmd::CheckNode { panel, token } => crate::node_cmd::check_args(&panel, &token)
            .map(|(panel, _)| format!("panel={panel}\n"))
            .map_err(|e| InstallError::Refused(e.to_string())),
    }
}

fn gen_cert(dir: &Path, sans: Vec<String>) -> Result<String, InstallError> {
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if existing_file(&cert_path)? && existing_file(&key_path)? {
        return Ok(format!("kept {}\nkept {}\n", cert_path.display(), key_path.display()));
    }
    let (cert, key) = crate::proxy::tls::self_signed(sans)
        .map_err(|e| InstallError::Refused(format!("cannot make a certificate: {e}")))?;
    replace_file(&key_path, key.as_bytes()).map_err(io(&key_path))?;
    replace_file(&cert_path, cert.as_bytes()).map_err(io(&cert_path))?;
    Ok(format!("wrote {}\nwrote {}\n", cert_path.display(), key_path.display()))
}

fn use_cert(dir: &Path, cert: &Path, key: &Path) -> Result<String, InstallError> {
    let mut said = String::new();
    for (from, name) in [(key, "key.pem"), (cert, "cert.pem")] {
        let bytes = std::fs::read(from).map_err(io(from))?;
        let to = dir.join(name);
        if std::fs::read(&to).is_ok_and(|old| old == bytes)
            && !std::fs::symlink_metadata(&to).is_ok_and(|m| m.is_symlink())
        {
            said += &format!("kept {}\n", to.display());
            continue;
        }
        replace_file(&to, &bytes).map_err(io(&to))?;
        said += &format!("wrote {}\n", to.display());
    }
    Ok(said)
}

fn fingerprint(cert: &Path) -> Result<String, InstallError> {
    let pem = std::fs::read(cert).map_err(io(cert))?;
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    use sha2::Digest;
    let der = CertificateDer::from_pem_slice(&pem)
        .map_err(|e| InstallError::Refused(format!("{}: no PEM certificate in it: {e}", cert.display())))?;
    let hex: Vec<String> = sha2::Sha256::digest(der.as_ref()).iter().map(|b| format!("{b:02X}")).collect();
    Ok(hex.join(":") + "\n")
}

/// Is there a regular file at `path`? A symbolic link (planted by whoever owns the
/// directory) is refused, never followed.
fn existing_file(path: &Path) -> Result<bool, InstallError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_symlink() => Err(InstallError::Refused(format!(
            "{} is a symbolic link: refusing to follow it (remove it and retry)",
            path.display()
        ))),
        Ok(m) => Ok(m.is_file() && m.len() > 0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

fn hash_password(password_file: &Path, out: &Path) -> Result<String, InstallError> {
    if existing_file(out)? {
        return Ok(format!("kept {}\n", out.display()));
    }
    let text = std::fs::read_to_string(password_file).map_err(io(password_file))?;
    let password = text.lines().next().unwrap_or("");
    check_admin_password(password)?;
    let hash = bcrypt::non_truncating_hash(password, DEFAULT_BCRYPT_COST)
        .map_err(|e| InstallError::Refused(format!("cannot hash the password: {e}")))?;
    replace_file(out, hash.as_bytes()).map_err(io(out))?;
    Ok(format!("wrote {}\n", out.display()))
}

/// At least 8 characters, at most 72 bytes, no control characters.
pub fn check_admin_password(password: &str) -> Result<(), InstallError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(InstallError::Refused(format!(
            "the admin password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(InstallError::Refused(format!(
            "the admin password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.chars().any(char::is_control) {
        return Err(InstallError::Refused("the admin password contains a control character".into()));
    }
    Ok(())
}

fn write_config(a: &WriteConfigArgs) -> Result<String, InstallError> {
    // Never through a link: the directory belongs to the panel account.
    let old_text = read_nofollow(&a.out).map_err(io(&a.out))?;
    let mut raw: RawConfig = match &old_text {
        // A config that does not parse is the operator's to fix: never overwritten.
        Some(text) => serde_json::from_str(text)
            .map_err(|source| crate::config::ConfigError::Parse { path: a.out.clone(), source })?,
        None => RawConfig::default(),
    };
    raw.panel_user = Some(a.panel_user.clone());
    raw.panel_port = Some(a.panel_port.into());
    raw.wss_http_port = Some(a.wss_http_port.into());
    raw.wss_tls_port = Some(a.wss_tls_port.into());
    raw.stunnel_port = Some(a.stunnel_port.into());
    if let Some(port) = a.sshd_stunnel_port {
        raw.sshd_stunnel_port = Some(port.into());
    }
    raw.internal_forward_port = Some(a.internal_forward_port.into());
    raw.data_dir = Some(a.data_dir.clone());
    if let Some(dir) = &a.node_spool_dir {
        raw.node_spool_dir = Some(dir.clone());
    }
    raw.panel_tls = Some(!a.panel_http);
    // An address the operator chose is kept for HTTPS; loopback (an earlier --panel-http) is
    // not, and neither is 0.0.0.0, the IPv4-only default of earlier installs: dual-stack now.
    raw.panel_bind = Some(match raw.panel_bind {
        _ if a.panel_http => [127, 0, 0, 1].into(),
        Some(ip) if !ip.is_loopback() && !ip.is_unspecified() => ip,
        _ => crate::config::any_address(),
    });
    raw.panel_local_port = if a.panel_http { None } else { a.panel_local_port.map(i64::from) };
    if let Some(host) = a.public_host.as_ref().filter(|h| !h.is_empty()) {
        raw.public_host = Some(host.clone());
    }
    if raw.internal_api_secret.as_deref().is_none_or(str::is_empty) {
        raw.internal_api_secret = Some(random_hex(32));
    }
    raw.clone().validate(&a.out)?;
    let text = serde_json::to_string_pretty(&raw).expect("a config serializes") + "\n";
    if old_text.as_deref() == Some(text.as_str()) {
        return Ok(format!("kept {}\n", a.out.display()));
    }
    // Written beside and renamed, so a crash never leaves half a config.
    replace_file(&a.out, text.as_bytes()).map_err(io(&a.out))?;
    Ok(format!("wrote {}\n", a.out.display()))
}

fn show_config(file: &Path) -> Result<String, InstallError> {
    let c = crate::config::Config::load(file)?;
    Ok(format!(
        "panel_user={}\npanel_port={}\nwss_http_port={}\nwss_tls_port={}\nstunnel_port={}\n\
         sshd_stunnel_port={}\ninternal_forward_port={}\nudpgw_port={}\n",
        c.panel_user,
        c.panel_port,
        c.wss_http_port,
        c.wss_tls_port,
        c.stunnel_port,
        c.sshd_stunnel_port,
        c.internal_forward_port,
        c.udpgw_port
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(out: &Path) -> WriteConfigArgs {
        WriteConfigArgs {
            out: out.to_owned(),
            panel_user: "admin".into(),
            panel_port: 54321,
            wss_http_port: 80,
            wss_tls_port: 443,
            stunnel_port: 444,
            sshd_stunnel_port: Some(2222),
            internal_forward_port: 22,
            data_dir: "/var/lib/wss-panel".into(),
            panel_http: false,
            panel_local_port: Some(54320),
            public_host: None,
            node_spool_dir: None,
        }
    }

    #[test]
    fn a_second_write_keeps_the_secret_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("config.json");
        assert!(write_config(&args(&out)).unwrap().starts_with("wrote"));
        let first = std::fs::read_to_string(&out).unwrap();
        assert!(write_config(&args(&out)).unwrap().starts_with("kept"));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), first);
        let mut changed = args(&out);
        changed.panel_port = 54000;
        write_config(&changed).unwrap();
        let secret =
            |t: &str| serde_json::from_str::<serde_json::Value>(t).unwrap()["internal_api_secret"].clone();
        assert_eq!(secret(&std::fs::read_to_string(&out).unwrap()), secret(&first));
    }

    #[test]
    fn a_broken_config_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("config.json");
        std::fs::write(&out, "{broken").unwrap();
        assert!(write_config(&args(&out)).is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "{broken");
    }

    #[test]
    fn weak_admin_passwords_are_refused() {
        for bad in ["short", "", "tab\there-long", &"x".repeat(73)] {
            assert!(check_admin_password(bad).is_err(), "{bad:?}");
        }
        assert!(check_admin_password("Long-Enough-1").is_ok());
    }
}
