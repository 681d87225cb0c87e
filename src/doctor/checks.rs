//! The checks behind `wss-panel doctor`, in the order of the original troubleshooting table:
//! config, services, ports (and who holds them), the panel's internal API (secret, connected
//! proxies), then the file checks in [`super::files`]. Each runs a read-only tool or request; a
//! missing tool is reported, not skipped silently.

use super::files::{clock, config_dir, sshd_config, store, sudo_helper, sudoers, tls_cert};
use super::probe::{one_line, run};
use super::{Check, DoctorArgs};
use crate::config::{CommandBackend, Config};
use std::path::Path;
use std::time::Duration;

const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
const SYSTEMD_UNITS: &[&str] = &["wss_panel", "wss", "sshd_stunnel", "stunnel@wss"];

pub fn all(config_path: &Path, args: &DoctorArgs) -> Vec<Check> {
    let config = match Config::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::problem(
                "config",
                e.to_string(),
                format!(
                    "correct {} (or re-run install.sh), then systemctl restart wss_panel wss",
                    config_path.display()
                ),
            )];
        }
    };
    let mut checks = vec![Check::ok("config", format!("{} is valid", config_path.display()))];
    if Path::new("/run/systemd/system").exists() {
        checks.extend(SYSTEMD_UNITS.iter().map(|u| service(u)));
    } else {
        checks.push(Check::ok(
            "services",
            "systemd is not PID 1 here: each service is judged by its port below",
        ));
    }
    checks.extend(ports(&config, args));
    checks.extend(internal_api(&config));
    checks.push(sudoers(&config, &args.sudoers_file));
    if config.command_backend == CommandBackend::Sudo {
        checks.push(sudo_helper());
        checks.push(config_dir(&config));
    }
    checks.push(sshd_config("sshd config", &args.sshd_config, "ssh"));
    checks.push(sshd_config("sshd_stunnel config", &args.sshd_stunnel_config, "sshd_stunnel"));
    checks.push(super::tunnel_guard::tunnel_guard(&config));
    checks.push(super::udpgw::udpgw_dns(&config));
    checks.push(tls_cert(&config));
    checks.push(store(&config));
    checks.push(super::files::store_disk(&config));
    checks.push(clock());
    checks
}

fn service(unit: &str) -> Check {
    let name = format!("service {unit}");
    match run("systemctl", &["is-active", unit]) {
        Ok(r) if r.ok => Check::ok(name, "active"),
        Ok(r) => Check::problem(
            name,
            format!("not active ({})", one_line(&r.output)),
            format!("systemctl restart {unit}; journalctl -u {unit} -n 50"),
        ),
        Err(e) => Check::problem(name, e, "install systemd's systemctl"),
    }
}

/// Who listens on `port`: the process names `ss` reports (empty if nobody).
fn listeners(port: u16) -> Result<Vec<String>, String> {
    let r = run("ss", &["-Hltnp", &format!("sport = :{port}")])?;
    Ok(parse_ss_names(&r.output))
}

/// Process names in `ss -p` output: `users:(("nginx",pid=1,fd=6),...)`. No I/O.
pub fn parse_ss_names(ss: &str) -> Vec<String> {
    let mut names: Vec<String> = ss
        .split("((\"")
        .skip(1)
        .chain(ss.split("),(\"").skip(1))
        .filter_map(|rest| rest.split('"').next().map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The `Port` line of an sshd config.
fn sshd_port(path: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| l.trim().strip_prefix("Port ").and_then(|p| p.trim().parse().ok()))
}

fn ports(config: &Config, args: &DoctorArgs) -> Vec<Check> {
    let mut wanted = vec![
        ("panel", config.panel_port, "wss-panel", "wss_panel", "panel_port"),
        ("wss-http", config.wss_http_port, "wss-panel", "wss", "wss_http_port"),
        ("wss-tls", config.wss_tls_port, "wss-panel", "wss", "wss_tls_port"),
    ];
    if args.stunnel_config.exists() {
        wanted.push(("stunnel", config.stunnel_port, "stunnel", "stunnel@wss", "stunnel_port"));
    }
    if let Some(port) = sshd_port(&args.sshd_stunnel_config) {
        wanted.push(("sshd_stunnel", port, "sshd", "sshd_stunnel", "Port in sshd_config_stunnel"));
    }
    wanted
        .into_iter()
        .map(|(what, port, owner, unit, key)| port_check(what, port, owner, unit, key))
        .collect()
}

fn port_check(what: &str, port: u16, expected: &str, unit: &str, key: &str) -> Check {
    let name = format!("port {what}");
    if port == 0 {
        return Check::ok(name, "port 0 (any free port): not checked");
    }
    let restart = format!("systemctl restart {unit}; journalctl -u {unit} -n 50");
    match listeners(port) {
        Err(e) => Check::problem(name, e, "install iproute2 (ss)"),
        Ok(names) if names.is_empty() => Check::problem(name, format!("nothing listens on {port}"), restart),
        Ok(names) if names.iter().any(|n| n.starts_with(expected)) => {
            Check::ok(name, format!("{port} held by {}", names.join(", ")))
        }
        Ok(names) => {
            let web =
                names.iter().any(|n| ["nginx", "apache", "httpd", "caddy"].iter().any(|w| n.starts_with(w)));
            let who = names.join(", ");
            let fix = if web {
                format!(
                    "a web server holds {port}: move it off this port (or stop it: systemctl disable --now {who}), or choose another {key}; then {restart}"
                )
            } else {
                format!("stop {who}, or choose another {key} (install.sh re-run); then {restart}")
            };
            Check::problem(name, format!("{port} is taken by {who}, not {expected}"), fix)
        }
    }
}

/// `GET /internal/nodes` with config.json's secret: proves the running panel uses the same
/// secret as the file the proxy reads, and lists the proxies connected to `/ipc`.
fn internal_api(config: &Config) -> Vec<Check> {
    let url = format!("{}/internal/nodes", config.panel_url.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(HTTP_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent.get(&url).header(crate::wire::SECRET_HEADER, &config.internal_api_secret).call();
    let mut response = match answer {
        Ok(r) => r,
        Err(e) => {
            return vec![Check::problem(
                "panel api",
                format!("{url}: {e}"),
                "systemctl restart wss_panel; journalctl -u wss_panel -n 50 (check panel_url and panel_port)",
            )];
        }
    };
    if response.status() == 401 {
        return vec![Check::problem(
            "secret",
            "the running panel refuses internal_api_secret from config.json (changed since it started?)",
            "both processes read config.json at start: systemctl restart wss_panel wss",
        )];
    }
    let nodes: Vec<String> = response
        .body_mut()
        .read_json::<serde_json::Value>()
        .ok()
        .and_then(|v| serde_json::from_value(v["nodes"].clone()).ok())
        .unwrap_or_default();
    let mut checks = vec![Check::ok("secret", "panel and config.json agree on internal_api_secret")];
    // A proxy's node id is its node_name plus a per-process suffix.
    let mine = |n: &String| n == &config.node_name || n.starts_with(&format!("{}-", config.node_name));
    checks.push(if nodes.iter().any(mine) {
        Check::ok("ipc", format!("proxy '{}' is connected to /ipc", config.node_name))
    } else {
        Check::problem(
            "ipc",
            format!(
                "proxy '{}' is not connected to /ipc (connected: {})",
                config.node_name,
                nodes.join(", ")
            ),
            "systemctl restart wss; journalctl -u wss | grep IPC_WSC (Unauthorized = secret mismatch)",
        )
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_output_gives_the_process_names() {
        let ss = r#"LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=12,fd=6),("nginx",pid=11,fd=6))"#;
        assert_eq!(parse_ss_names(ss), ["nginx"]);
        assert!(parse_ss_names("").is_empty());
    }
}
