//! The import's report: one line per user to import, every row that is not imported with
//! its reason, and what was read in an unusual way. The same text for a dry run and a real
//! one, so the dry run shows exactly what the real run will do. No I/O.

use super::apply::Outcome;
use super::plan::Plan;
use crate::domain::format_day;
use std::fmt::Write;
use std::path::Path;

pub fn render(
    from: &Path,
    dry_run: bool,
    plan: &Plan,
    outcome: &Outcome,
    ports: &[(&str, u16, u16)],
    notes: &[String],
    tail: &[String],
) -> String {
    let mut s = String::new();
    let verb = if dry_run { "would import" } else { "imported" };
    let _ = writeln!(
        s,
        "import-original from {}{}",
        from.display(),
        if dry_run { " (dry run: nothing written)" } else { "" }
    );
    let _ = writeln!(
        s,
        "users: {verb} {}; already imported {}; kept as the store has them {}",
        outcome.users_added.len(),
        outcome.users_same.len(),
        outcome.users_kept.len()
    );
    let added: std::collections::HashSet<&str> = outcome.users_added.iter().map(String::as_str).collect();
    for user in plan.users.iter().filter(|u| added.contains(u.username.as_str())) {
        let _ = writeln!(
            s,
            "  + {} status={} expires={} quota={} used={} rate_kbps={} max_connections={} \
             require_auth_header={} allow_shell={}",
            user.username,
            user.status,
            user.expires_on.map_or("never".into(), format_day),
            if user.quota_bytes == 0 { "unlimited".into() } else { user.quota_bytes.to_string() },
            user.used_bytes(),
            user.rate_kbps,
            user.max_connections,
            user.require_auth_header,
            user.allow_shell,
        );
    }
    for name in &outcome.users_kept {
        let _ = writeln!(s, "  = {name}: the store already has this user with other values; kept");
    }
    let _ = writeln!(s, "traffic history: {verb} {} user-days", outcome.history_days);
    list(&mut s, &format!("ip bans: {verb}"), &outcome.bans_added);
    list(&mut s, &format!("host whitelist: {verb}"), &outcome.hosts_added);
    match outcome.fuse_change {
        Some((old, new)) => {
            let _ = writeln!(s, "fuse threshold: {old} -> {new} KiB/s");
        }
        None => {
            let _ = writeln!(s, "fuse threshold: unchanged");
        }
    }
    if ports.is_empty() {
        let _ = writeln!(s, "ports: unchanged");
    }
    for (key, old, new) in ports {
        let _ = writeln!(s, "ports: {key} {old} -> {new} (config.json)");
    }
    let _ = writeln!(s, "not imported: {}", plan.skipped.len());
    for skipped in &plan.skipped {
        let _ = writeln!(s, "  - {}: {}", skipped.what, skipped.why);
    }
    if !notes.is_empty() {
        let _ = writeln!(s, "notes:");
        for note in notes {
            let _ = writeln!(s, "  * {note}");
        }
    }
    for line in tail {
        let _ = writeln!(s, "{line}");
    }
    let changed = outcome.changes_anything() || !ports.is_empty();
    let _ = writeln!(s, "{}", if changed { "result: changes" } else { "result: nothing to change" });
    s
}

fn list(s: &mut String, title: &str, items: &[String]) {
    let _ = writeln!(s, "{title} {}{}", items.len(), if items.is_empty() { "" } else { ":" });
    for item in items {
        let _ = writeln!(s, "  + {item}");
    }
}
