//! `set-door-ports`: root moves the shell door, stunnel's public port and the dedicated sshd
//! behind it. The files are fixed (never a path from the panel or from a file the panel can
//! write): the stunnel config and the sshd config install.sh writes, and the two keys in the
//! installed config.json the UI and the connection card read. Each file and its directory
//! must be root's alone; only the `accept`/`connect` ports and the `Port` line change (every
//! other byte is kept); files are replaced without following links. Then both units restart
//! (sshd first: stunnel forwards to it) and must listen on their new ports within
//! [`LISTEN_WAIT`]; if either does not, the three old files go back, both units restart
//! again, and the failure is reported.

use super::command::DoorPorts;
use super::config_file::INSTALLED_CONFIG;
use super::error::HelperError;
use super::tool;
use super::validate::Service;
use crate::config::RawConfig;
use crate::secure_files::{check_root_only, read_nofollow, replace_file};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// The stunnel config install.sh writes (run by `stunnel@wss.service`).
pub const STUNNEL_CONF: &str = "/etc/stunnel/wss.conf";
/// The dedicated sshd's config install.sh writes (run by `sshd_stunnel.service`).
pub const SSHD_STUNNEL_CONF: &str = "/etc/ssh/sshd_config_stunnel";
/// How long a restarted door has to listen on its port. `stunnel@.service` is `Type=simple`:
/// `systemctl restart` succeeds before stunnel has read its config, so listening is the test.
pub const LISTEN_WAIT: Duration = Duration::from_secs(5);
/// Per restart: four restarts and their waits stay inside the panel's runner timeout.
const DOOR_RESTART_TIMEOUT: Duration = Duration::from_secs(25);

/// The doors' ports as the files say now: stunnel's `accept` and the sshd's `Port`. No I/O.
pub fn current(stunnel_conf: &str, sshd_conf: &str) -> Result<DoorPorts, String> {
    let stunnel = port_after_colon(&only_line(stunnel_conf, "accept", stunnel_key)?.1)?;
    let sshd = sshd_port(sshd_conf)?;
    Ok(DoorPorts { stunnel, sshd })
}

/// The stunnel config with `accept` on `doors.stunnel` (its address part kept) and `connect`
/// to `doors.sshd`; every other line unchanged. No I/O.
pub fn rewrite_stunnel(text: &str, doors: DoorPorts) -> Result<String, String> {
    let (accept, value) = only_line(text, "accept", stunnel_key)?;
    let (connect, target) = only_line(text, "connect", stunnel_key)?;
    port_after_colon(&value)?;
    let host = target.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!("connect = {target}: expected the dedicated sshd on 127.0.0.1"));
    }
    let accept_value = match value.rsplit_once(':') {
        Some((address, _)) => format!("{address}:{}", doors.stunnel),
        None => doors.stunnel.to_string(),
    };
    let lines =
        [(accept, format!("accept = {accept_value}")), (connect, format!("connect = {host}:{}", doors.sshd))];
    Ok(replace_lines(text, &lines))
}

/// The sshd config with `Port` set to `port`; refused when a `ListenAddress` carries its own
/// port (it would win over `Port`). No I/O.
pub fn rewrite_sshd(text: &str, port: u16) -> Result<String, String> {
    let (line, _) = only_line(text, "port", sshd_key)?;
    sshd_port(text)?;
    Ok(replace_lines(text, &[(line, format!("Port {port}"))]))
}

fn sshd_port(text: &str) -> Result<u16, String> {
    for (_, key, value) in entries(text, sshd_key) {
        let with_port = value.starts_with('[') || value.matches(':').count() == 1;
        if key == "listenaddress" && with_port {
            return Err(format!("ListenAddress {value} names its own port: not the file install.sh writes"));
        }
    }
    let value = only_line(text, "port", sshd_key)?.1;
    digits(&value).ok_or_else(|| format!("Port {value}: not a port"))
}

/// `key = value` (stunnel; `;` and `#` comments, `[section]` headers).
fn stunnel_key(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.starts_with([';', '#', '[']) {
        return None;
    }
    let (key, value) = line.split_once('=')?;
    Some((key.trim().to_ascii_lowercase(), value.trim().to_owned()))
}

/// `Keyword value` or `Keyword=value` (sshd; keywords are case-insensitive).
fn sshd_key(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let cut = line.find(|c: char| c.is_whitespace() || c == '=')?;
    let value = line[cut..].trim_start().trim_start_matches('=').trim();
    Some((line[..cut].to_ascii_lowercase(), value.to_owned()))
}

type KeyOf = fn(&str) -> Option<(String, String)>;

fn entries(text: &str, key_of: KeyOf) -> impl Iterator<Item = (usize, String, String)> + '_ {
    text.lines().enumerate().filter_map(move |(i, l)| key_of(l).map(|(k, v)| (i, k, v)))
}

/// The one line setting `key` (its index and value); none or several are refused.
fn only_line(text: &str, key: &str, key_of: KeyOf) -> Result<(usize, String), String> {
    let mut found = entries(text, key_of).filter(|(_, k, _)| k == key);
    match (found.next(), found.next()) {
        (Some((i, _, value)), None) => Ok((i, value)),
        (None, _) => Err(format!("no {key} line: not the file install.sh writes")),
        (Some(_), Some(_)) => Err(format!("more than one {key} line: not the file install.sh writes")),
    }
}

fn port_after_colon(value: &str) -> Result<u16, String> {
    let port = value.rsplit_once(':').map_or(value, |(_, p)| p);
    digits(port).ok_or_else(|| format!("{value}: no port at its end"))
}

fn digits(raw: &str) -> Option<u16> {
    let ok = !raw.is_empty() && raw.len() <= 5 && raw.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| raw.parse().ok()).flatten().filter(|p| *p != 0)
}

/// `text` with the given lines replaced, line endings and every other byte kept.
fn replace_lines(text: &str, new: &[(usize, String)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        match new.iter().find(|(at, _)| *at == i) {
            Some((_, replacement)) => {
                out.push_str(replacement);
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

/// config.json with the two door keys, validated exactly as at start (distinct from the
/// panel's and the proxy's ports). No I/O.
pub fn config_with_doors(text: &str, doors: DoorPorts) -> Result<String, String> {
    let Ok(Value::Object(mut raw)) = serde_json::from_str::<Value>(text) else {
        return Err("config.json is not a JSON object".into());
    };
    raw.insert("stunnel_port".into(), doors.stunnel.into());
    raw.insert("sshd_stunnel_port".into(), doors.sshd.into());
    let text = serde_json::to_string_pretty(&raw).map_err(|e| e.to_string())?;
    let parsed: RawConfig = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    parsed.validate(Path::new(INSTALLED_CONFIG)).map_err(|e| e.to_string())?;
    Ok(text)
}

/// The root side of `set-door-ports`; see the module doc.
pub fn set_door_ports(doors: DoorPorts) -> Result<String, HelperError> {
    let refused = HelperError::Refused;
    let paths = [STUNNEL_CONF, SSHD_STUNNEL_CONF, INSTALLED_CONFIG].map(Path::new);
    let old = [read_root_only(paths[0])?, read_root_only(paths[1])?, read_root_only(paths[2])?];
    let now = current(&old[0], &old[1]).map_err(refused)?;
    let new = [
        rewrite_stunnel(&old[0], doors).map_err(refused)?,
        rewrite_sshd(&old[1], doors.sshd).map_err(refused)?,
        config_with_doors(&old[2], doors).map_err(refused)?,
    ];
    refuse_taken(doors, now, &crate::web::host_metrics::listening_ports())?;
    write_all(&paths, &new, &old)?;
    let Err(why) = restart_doors(doors) else { return Ok(String::new()) };
    write_all(&paths, &old, &new)?;
    let again = match restart_doors(now) {
        Ok(()) => format!("the old ports {} and {} serve again", now.stunnel, now.sshd),
        Err(e) => format!("and after the roll-back: {e}"),
    };
    Err(HelperError::State(format!("{why}; rolled back the three files, {again}")))
}

/// A port another program listens on is refused; the doors' own current ports are not,
/// unless the other door would take it (a swap: move one at a time).
fn refuse_taken(doors: DoorPorts, now: DoorPorts, busy: &HashSet<u16>) -> Result<(), HelperError> {
    let checks = [
        ("stunnel", doors.stunnel, now.stunnel, now.sshd),
        ("sshd_stunnel", doors.sshd, now.sshd, now.stunnel),
    ];
    for (name, port, own, other_door) in checks {
        if port == other_door || (busy.contains(&port) && port != own) {
            return Err(HelperError::Refused(format!("{name} port {port} is in use by another program")));
        }
    }
    Ok(())
}

fn read_root_only(path: &Path) -> Result<String, HelperError> {
    let refused = |e: std::io::Error| HelperError::Refused(format!("{e}; re-run install.sh"));
    check_root_only(path.parent().unwrap_or(Path::new("/")), true).map_err(refused)?;
    check_root_only(path, false).map_err(refused)?;
    read_nofollow(path)
        .map_err(refused)?
        .ok_or_else(|| HelperError::Refused(format!("{} does not exist", path.display())))
}

/// Writes every file; if one fails, the ones already written get their `before` back.
fn write_all(paths: &[&Path; 3], texts: &[String; 3], before: &[String; 3]) -> Result<(), HelperError> {
    for (i, path) in paths.iter().enumerate() {
        if let Err(e) = replace_file(path, texts[i].as_bytes()) {
            for j in 0..i {
                let _ = replace_file(paths[j], before[j].as_bytes());
            }
            return Err(HelperError::State(e.to_string()));
        }
    }
    Ok(())
}

/// Restarts the sshd, then stunnel; each must listen on its port within [`LISTEN_WAIT`].
fn restart_doors(doors: DoorPorts) -> Result<(), String> {
    for (service, port) in [(Service::SshdStunnel, doors.sshd), (Service::StunnelWss, doors.stunnel)] {
        tool::run_ok_with("systemctl", &["restart", &service.unit()], None, DOOR_RESTART_TIMEOUT)
            .map_err(|e| format!("{service}: {e}"))?;
        if !listening_within(port, LISTEN_WAIT) {
            return Err(format!("{service} does not listen on port {port}"));
        }
    }
    Ok(())
}

fn listening_within(port: u16, wait: Duration) -> bool {
    let until = Instant::now() + wait;
    loop {
        if crate::web::host_metrics::listening_ports().contains(&port) {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests;
