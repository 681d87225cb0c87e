//! `wss-panel doctor`: the original design's troubleshooting table, run automatically. Each
//! check gives one line, `OK` or `PROBLEM` with the fix an operator would type; `--json` for
//! machines; exit code 0 only if every check passed. Read-only: it never changes anything.
//!
//! The checks live in [`checks`], [`files`], [`tunnel_guard`] and [`udpgw`] (they run tools and open
//! sockets); this file holds the report model and its two renderings (no I/O).

pub mod checks;
pub mod files;
mod probe;
pub mod tunnel_guard;
pub mod udpgw;

use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Print the checks as JSON.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = "/etc/sudoers.d/99-wss-panel")]
    pub sudoers_file: PathBuf,
    #[arg(long, default_value = "/etc/ssh/sshd_config")]
    pub sshd_config: PathBuf,
    #[arg(long, default_value = "/etc/ssh/sshd_config_stunnel")]
    pub sshd_stunnel_config: PathBuf,
    #[arg(long, default_value = "/etc/stunnel/wss.conf")]
    pub stunnel_config: PathBuf,
}

/// One line of the report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Check {
    pub check: String,
    pub ok: bool,
    pub detail: String,
    /// What to do about it; empty when `ok`.
    pub fix: String,
}

impl Check {
    pub fn ok(check: impl Into<String>, detail: impl Into<String>) -> Check {
        Check { check: check.into(), ok: true, detail: detail.into(), fix: String::new() }
    }

    pub fn problem(check: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check: check.into(), ok: false, detail: detail.into(), fix: fix.into() }
    }
}

/// The human report: one line per check.
pub fn render_text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        if c.ok {
            out.push_str(&format!("OK       {}: {}\n", c.check, c.detail));
        } else {
            out.push_str(&format!("PROBLEM  {}: {} -- fix: {}\n", c.check, c.detail, c.fix));
        }
    }
    let problems = checks.iter().filter(|c| !c.ok).count();
    out.push_str(&match problems {
        0 => format!("all {} checks passed\n", checks.len()),
        n => format!("{n} of {} checks found a problem\n", checks.len()),
    });
    out
}

pub fn render_json(checks: &[Check]) -> String {
    let all_ok = checks.iter().all(|c| c.ok);
    serde_json::to_string_pretty(&serde_json::json!({ "ok": all_ok, "checks": checks }))
        .expect("checks serialize")
}

/// Runs every check; returns the report and whether all passed.
pub fn run(config_path: &std::path::Path, args: &DoctorArgs) -> (String, bool) {
    let checks = checks::all(config_path, args);
    let all_ok = checks.iter().all(|c| c.ok);
    let text = if args.json { render_json(&checks) } else { render_text(&checks) };
    (text, all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_carry_their_fix_on_the_same_line() {
        let text = render_text(&[
            Check::ok("config", "valid"),
            Check::problem("port wss-http", "nothing listens on 80", "systemctl restart wss"),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "OK       config: valid");
        assert_eq!(lines[1], "PROBLEM  port wss-http: nothing listens on 80 -- fix: systemctl restart wss");
        assert_eq!(lines[2], "1 of 2 checks found a problem");
    }

    #[test]
    fn json_says_whether_all_passed() {
        let v: serde_json::Value = serde_json::from_str(&render_json(&[Check::ok("clock", "sane")])).unwrap();
        assert_eq!(v["ok"], true);
        assert_eq!(v["checks"][0]["check"], "clock");
    }
}
