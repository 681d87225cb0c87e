//! Admin sessions against the real panel: a new id at login (no fixation), the cookie's
//! flags (Secure over HTTPS), logout and password change revoke, sessions survive a restart,
//! idle and absolute timeouts with an injected clock, the `admin-password` command.

use crate::helpers::browser_session::{BrowserSession, cookie_pair, login_raw};
use crate::helpers::{ADMIN_PASSWORD, PanelDir, agent};
use serde_json::json;

#[test]
fn login_issues_a_new_strict_http_only_session_and_drops_the_old_one() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let first = BrowserSession::login(&panel);
    // The browser brings its current cookie to the next login (fixation attempt).
    let reply = login_raw(&panel, "admin", ADMIN_PASSWORD, Some(&first.cookie));
    assert_eq!(reply.status, 200);
    let set = reply.header("set-cookie").unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag ({set})");
    let second = BrowserSession { url: panel.url.clone(), cookie: cookie_pair(&set) };
    assert_ne!(second.cookie, first.cookie);
    assert_eq!(first.call("GET", "/api/session", None).status, 401, "the old id is dead");
    assert_eq!(second.call("GET", "/api/session", None).status, 200);
    // A cookie value the attacker chose is never adopted.
    let chosen = format!("wss_session={}", "cd".repeat(32));
    let reply = login_raw(&panel, "admin", ADMIN_PASSWORD, Some(&chosen));
    assert_ne!(cookie_pair(reply.header("set-cookie").unwrap()), chosen);
}

#[test]
fn logout_and_password_change_revoke_sessions() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let a = BrowserSession::login(&panel);
    let b = BrowserSession::login(&panel);
    assert_eq!(a.call("POST", "/api/logout", None).status, 200);
    assert_eq!(a.call("GET", "/api/users", None).status, 401);
    assert_eq!(b.call("GET", "/api/users", None).status, 200, "logout ends only its own session");
    let c = BrowserSession::login(&panel);
    let wrong =
        b.call("PUT", "/api/admin/password", Some(json!({"current": "nope", "new": "new-pass-4567"})));
    assert_eq!(wrong.status, 403);
    let short =
        b.call("PUT", "/api/admin/password", Some(json!({"current": ADMIN_PASSWORD, "new": "short"})));
    assert_eq!(short.status, 400);
    let ok = b.call(
        "PUT",
        "/api/admin/password",
        Some(json!({"current": ADMIN_PASSWORD, "new": "new-pass-4567"})),
    );
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    assert_eq!(b.call("GET", "/api/users", None).status, 401);
    assert_eq!(c.call("GET", "/api/users", None).status, 401, "every session ends");
    assert_eq!(login_raw(&panel, "admin", ADMIN_PASSWORD, None).status, 401);
    assert_eq!(login_raw(&panel, "admin", "new-pass-4567", None).status, 200);
    let hash = std::fs::read_to_string(dir.dir.path().join("data/admin_password.hash")).unwrap();
    assert!(bcrypt::verify("new-pass-4567", &hash).unwrap(), "the file holds the new hash");
    assert_eq!(panel.api("GET", "/api/users", None).status, 200, "the CLI token still works");
}

#[test]
fn sessions_survive_a_panel_restart() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    let s = BrowserSession::login(&panel);
    panel.kill9();
    let panel = dir.start();
    let s = BrowserSession { url: panel.url.clone(), cookie: s.cookie };
    assert_eq!(s.call("GET", "/api/session", None).status, 200);
}

#[test]
fn sessions_end_after_30_idle_minutes_or_12_hours_with_an_injected_clock() {
    let dir = PanelDir::new(json!({}));
    let clock = dir.dir.path().join("clock-offset");
    std::fs::write(&clock, "0").unwrap();
    let panel = dir.start_with_env(&[("WSS_PANEL_TEST_CLOCK_FILE", clock.to_str().unwrap())]);
    let idle = BrowserSession::login(&panel);
    let busy = BrowserSession::login(&panel);
    // 29 minutes on: both valid; `busy` is used (and touched) every 20 minutes.
    std::fs::write(&clock, (29 * 60).to_string()).unwrap();
    assert_eq!(busy.call("GET", "/api/session", None).status, 200);
    std::fs::write(&clock, (31 * 60).to_string()).unwrap();
    assert_eq!(idle.call("GET", "/api/session", None).status, 401, "idle for 31 minutes");
    let mut minutes = 31;
    while minutes < 12 * 60 - 20 {
        minutes += 20;
        std::fs::write(&clock, (minutes * 60).to_string()).unwrap();
        assert_eq!(busy.call("GET", "/api/session", None).status, 200, "active at {minutes} min");
    }
    std::fs::write(&clock, (12 * 3600).to_string()).unwrap();
    assert_eq!(busy.call("GET", "/api/session", None).status, 401, "12 hours after login");
}

#[test]
fn over_https_the_session_cookie_is_secure() {
    if !crate::helpers::sshd::have_tool("curl") {
        return;
    }
    let dir = PanelDir::new(json!({ "panel_tls": true }));
    let panel = dir.start();
    let addr = panel.url.trim_start_matches("http://");
    let origin = format!("https://{addr}");
    let body = json!({ "username": "admin", "password": ADMIN_PASSWORD }).to_string();
    let out = std::process::Command::new("curl")
        .args(["-sk", "-i", "-X", "POST", &format!("{origin}/api/login")])
        .args(["-H", &format!("Origin: {origin}"), "-H", "X-Requested-With: wss-panel"])
        .args(["-H", "Content-Type: application/json", "--data", &body])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(text.starts_with("http/1.1 200") || text.starts_with("http/2 200"), "{text}");
    let cookie = text.lines().find(|l| l.starts_with("set-cookie:")).unwrap_or_default();
    assert!(cookie.contains("; secure") && cookie.contains("httponly"), "{cookie}");
    assert!(text.contains("content-security-policy:"), "{text}");
    // Plain HTTP to the TLS port is not served.
    assert!(agent().get(&format!("http://{addr}/api/session")).call().is_err());
}

#[test]
fn the_admin_password_command_sets_a_password_the_running_panel_accepts() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let out = panel.cli(&["admin-password"], "short\n");
    assert!(!out.status.success(), "too short is refused");
    let out = panel.cli(&["admin-password"], "cli-set-password-1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(login_raw(&panel, "admin", ADMIN_PASSWORD, None).status, 401);
    assert_eq!(login_raw(&panel, "admin", "cli-set-password-1", None).status, 200);
    let out = panel.cli(&["admin-password", "--generate"], "");
    let printed =
        String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("admin password: ").to_owned();
    assert_eq!(login_raw(&panel, "admin", &printed, None).status, 200);
}
