//! What the original's rows become: store records, or a reason why a row cannot be
//! imported. Every rule follows how the original itself read the value. No I/O.

use super::original::{BanRow, OriginalDb, UserRow};
use crate::domain::{Day, UserStatus, Username, day_of, parse_day};
use crate::store::ip_bans::IpBan;
use crate::store::users::User;
use crate::system::IpNet;
use crate::web::hosts::normalize_host;
use std::collections::{BTreeMap, BTreeSet};

const GIB: f64 = (1u64 << 30) as f64;
/// The port keys of the original's `config.json` that mean the same here.
pub const PORT_KEYS: [&str; 6] =
    ["panel_port", "wss_http_port", "wss_tls_port", "stunnel_port", "udpgw_port", "internal_forward_port"];

/// A row that is not imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub users: Vec<User>,
    /// (user, day) → bytes; duplicate rows of one day are summed.
    pub history: BTreeMap<(String, Day), u64>,
    pub bans: Vec<IpBan>,
    pub hosts: Vec<String>,
    pub fuse_threshold_kbps: Option<u32>,
    pub ports: Vec<(&'static str, u16)>,
    pub skipped: Vec<Skipped>,
    /// Values read the way the original read them, said out loud (e.g. an unparsable
    /// expiry that means "never").
    pub notes: Vec<String>,
}

/// The original's inputs: the database, `hosts.json` and `config.json` as parsed JSON.
pub fn make(db: &OriginalDb, hosts: &[serde_json::Value], config: &serde_json::Value, now: i64) -> Plan {
    let mut plan = Plan::default();
    for row in &db.users {
        match user(row, now, &mut plan.notes) {
            Ok(u) => plan.users.push(u),
            Err(why) => plan.skipped.push(Skipped { what: describe_user(row), why }),
        }
    }
    let names: BTreeSet<&str> = plan.users.iter().map(|u| u.username.as_str()).collect();
    let mut rows_per_day: BTreeMap<(String, Day), usize> = BTreeMap::new();
    for row in &db.history {
        let what = format!(
            "traffic_history {} {}",
            row.username.as_deref().unwrap_or("NULL"),
            row.date.as_deref().unwrap_or("NULL")
        );
        let Some(name) = row.username.as_deref().filter(|n| names.contains(n)) else {
            plan.skipped.push(Skipped { what, why: "no imported user of that name".into() });
            continue;
        };
        let Some(day) = row.date.as_deref().and_then(date_prefix) else {
            plan.skipped.push(Skipped { what, why: "the date is not YYYY-MM-DD".into() });
            continue;
        };
        let key = (name.to_owned(), day);
        *plan.history.entry(key.clone()).or_default() += gib_to_bytes(row.usage_gb);
        *rows_per_day.entry(key).or_default() += 1;
    }
    for ((name, day), rows) in rows_per_day.into_iter().filter(|(_, n)| *n > 1) {
        plan.notes.push(format!(
            "{name}: {rows} traffic_history rows for {}, summed",
            crate::domain::format_day(day)
        ));
    }
    for row in &db.bans {
        match ban(row, now) {
            Ok(b) if plan.bans.iter().any(|x| x.ip == b.ip) => plan.skipped.push(Skipped {
                what: format!("ip_bans {}", b.ip),
                why: "the same address appears twice".into(),
            }),
            Ok(b) => plan.bans.push(b),
            Err(why) => plan
                .skipped
                .push(Skipped { what: format!("ip_bans {}", row.ip.as_deref().unwrap_or("NULL")), why }),
        }
    }
    for entry in hosts {
        let shown = entry.to_string();
        match entry.as_str().map(strip_port).map(normalize_host) {
            Some(Ok(h)) if !plan.hosts.contains(&h) => plan.hosts.push(h),
            Some(Ok(_)) => {}
            Some(Err(why)) => plan.skipped.push(Skipped { what: format!("hosts.json {shown}"), why }),
            None => {
                plan.skipped.push(Skipped { what: format!("hosts.json {shown}"), why: "not a string".into() })
            }
        }
    }
    plan.hosts.sort();
    plan.fuse_threshold_kbps = db.fuse_threshold.as_deref().map(parse_int_like_js);
    for key in PORT_KEYS {
        match config.get(key) {
            None | Some(serde_json::Value::Null) => {}
            Some(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
                Some(p) if (1..=65535).contains(&p) => plan.ports.push((key, p as u16)),
                _ => plan.skipped.push(Skipped {
                    what: format!("config.json {key} {v}"),
                    why: "not a port number (1 to 65535)".into(),
                }),
            },
        }
    }
    plan
}

fn describe_user(row: &UserRow) -> String {
    format!("users {}", row.username.as_deref().map_or("NULL".into(), |n| format!("{n:?}")))
}

fn user(row: &UserRow, now: i64, notes: &mut Vec<String>) -> Result<User, String> {
    let raw_name = row.username.as_deref().ok_or("the username is NULL")?;
    let username = Username::parse(raw_name).map_err(|e| e.to_string())?;
    let name = username.as_str();
    let password_hash = match row.password_hash.as_deref() {
        Some(h) if is_bcrypt(h) => h.to_owned(),
        Some(_) => return Err("the password hash is not a bcrypt hash".into()),
        None => return Err("no password hash (NULL): the customer could never log in".into()),
    };
    let status = match row.status.as_deref().map(str::trim) {
        Some(s) => UserStatus::parse(s).unwrap_or_else(|_| {
            notes.push(format!("{name}: unknown status {s:?} read as active"));
            UserStatus::Active
        }),
        None => {
            notes.push(format!("{name}: status NULL read as active"));
            UserStatus::Active
        }
    };
    let expires_on = match row.expiration_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => date_prefix(raw).or_else(|| {
            notes.push(format!("{name}: expiry {raw:?} is no date: never expires, as the original read it"));
            None
        }),
    };
    let created_at = row.created_at.as_deref().and_then(parse_timestamp).unwrap_or_else(|| {
        notes.push(format!("{name}: created_at {:?} unreadable, set to the import time", row.created_at));
        now
    });
    Ok(User {
        username: name.to_owned(),
        password_hash,
        created_at,
        status,
        expires_on,
        quota_bytes: gib_to_bytes(row.quota_gb),
        used_up_bytes: 0,
        // The original kept one total; it is counted as download here.
        used_down_bytes: gib_to_bytes(row.usage_gb),
        rate_kbps: count(row.rate_kbps),
        max_connections: count(row.max_connections),
        require_auth_header: row.require_auth_header.is_none_or(|v| v != 0.0),
        allow_shell: row.allow_shell.is_some_and(|v| v != 0.0),
        note: String::new(),
        quota_reset: Default::default(),
        quota_reset_day: 0,
        period_started: None,
        period_base_bytes: 0,
        expire_after_first_use_days: None,
        first_used_at: None,
        crypt_hash: String::new(),
    })
}

fn ban(row: &BanRow, now: i64) -> Result<IpBan, String> {
    let raw = row.ip.as_deref().ok_or("the address is NULL")?;
    let net = IpNet::parse(raw.trim()).map_err(|e| e.to_string())?;
    Ok(IpBan {
        ip: net.to_string(),
        reason: row.reason.clone().unwrap_or_default(),
        created_at: row.timestamp.as_deref().and_then(parse_timestamp).unwrap_or(now),
        added_by: row.added_by.clone().unwrap_or_else(|| "original panel".into()),
    })
}

/// The original's proxy compared hosts without `:port`; an IPv6 literal keeps its colons.
fn strip_port(raw: &str) -> &str {
    let raw = raw.trim();
    match raw.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.parse::<u16>().is_ok() => host,
        _ => raw,
    }
}

/// `$2a$`, `$2b$` or `$2y$`, cost, 53 characters of salt and hash.
pub fn is_bcrypt(h: &str) -> bool {
    h.len() == 60 && ["$2a$", "$2b$", "$2y$"].iter().any(|p| h.starts_with(p))
}

/// GiB as a float (NULL, negative, NaN: 0) → bytes.
pub fn gib_to_bytes(gib: Option<f64>) -> u64 {
    match gib {
        Some(g) if g.is_finite() && g > 0.0 => (g * GIB).round().min(u64::MAX as f64) as u64,
        _ => 0,
    }
}

/// A count or rate: 0 (unlimited) for NULL and anything not positive, truncated like
/// `parseInt`.
fn count(v: Option<f64>) -> u32 {
    match v {
        Some(n) if n.is_finite() && n >= 1.0 => n.min(u32::MAX as f64) as u32,
        _ => 0,
    }
}

/// `parseInt(value) || 0`: leading digits, else 0.
fn parse_int_like_js(raw: &str) -> u32 {
    let digits: String = raw.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u64>().map_or(0, |n| n.min(u64::from(u32::MAX)) as u32)
}

/// `YYYY-MM-DD`, alone or followed by a time (`new Date(...)` read both).
fn date_prefix(raw: &str) -> Option<Day> {
    let raw = raw.trim();
    let (date, rest) = raw.split_at_checked(10)?;
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('T')) {
        return None;
    }
    parse_day(date).ok()
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) → unix seconds.
fn parse_timestamp(raw: &str) -> Option<i64> {
    let day = date_prefix(raw)?;
    let time = raw.trim().get(11..19).unwrap_or("00:00:00");
    let mut parts = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let secs = i64::from(day) * 86_400 + h * 3600 + m * 60 + s;
    (day_of(secs) == day).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_the_way_the_original_read_them() {
        assert_eq!(gib_to_bytes(Some(1.5)), 3 << 29);
        assert_eq!(gib_to_bytes(None), 0);
        assert_eq!(gib_to_bytes(Some(-2.0)), 0);
        assert_eq!(gib_to_bytes(Some(f64::NAN)), 0);
        assert_eq!(count(Some(2048.9)), 2048);
        assert_eq!(count(Some(-1.0)), 0);
        assert_eq!(parse_int_like_js(" 500kb"), 500);
        assert_eq!(parse_int_like_js("off"), 0);
        assert_eq!(date_prefix("2025-03-01"), parse_day("2025-03-01").ok());
        assert_eq!(date_prefix("2025-03-01 12:00:00"), parse_day("2025-03-01").ok());
        assert_eq!(date_prefix("soon"), None);
        assert_eq!(date_prefix("2025-03-01x"), None);
        assert_eq!(parse_timestamp("1970-01-02 00:00:10"), Some(86_410));
        assert_eq!(parse_timestamp("1970-01-02 25:00:00"), None);
        assert!(is_bcrypt("$2b$12$abcdefghijklmnopqrstuuJ2ZbYxS6oWmW0c3Y1k8P1a5yq2j1H1e"));
        assert!(!is_bcrypt("plain"));
    }
}
