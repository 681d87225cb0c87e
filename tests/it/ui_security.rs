//! The admin panel's own security, against the real panel process: who may call what,
//! login throttling, CSRF, response headers, what is never served, the audit trail.

use crate::helpers::browser_session::{BrowserSession, login_raw, raw};
use crate::helpers::{ADMIN_PASSWORD, Panel, PanelDir};
use serde_json::json;
use std::time::{Duration, Instant};
use wss_panel::web::{Access, ROUTE_TABLE};

fn concrete(path: &str) -> String {
    path.replace("{name}", "nobody").replace("{ip}", "10.9.9.9")
}

#[test]
fn every_route_refuses_anonymous_callers_except_the_login() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let public: Vec<_> = ROUTE_TABLE.iter().filter(|r| r.access == Access::Public).map(|r| r.path).collect();
    assert_eq!(public, ["/api/login"], "a new public route needs a reason and this list");
    let metrics: Vec<_> =
        ROUTE_TABLE.iter().filter(|r| r.access == Access::MetricsToken).map(|r| r.path).collect();
    assert_eq!(metrics, ["/metrics"], "a new token-guarded route needs a reason and this list");
    for route in ROUTE_TABLE {
        let url = format!("{}{}", panel.url, concrete(route.path));
        // Same-origin headers, so the answer is about authentication, not CSRF.
        let headers = [
            ("Origin", panel.url.as_str()),
            ("X-Requested-With", "wss-panel"),
            ("Content-Type", "application/json"),
        ];
        let reply = raw(route.method, &url, &headers, "{}");
        let expected = match route.access {
            Access::Public => continue,
            // A loopback peer is trusted nowhere: tunnel users reach loopback by forwarding.
            Access::Admin
            | Access::Internal
            | Access::AdminSocket
            | Access::MetricsToken
            | Access::NodeToken => 401,
        };
        assert_eq!(reply.status, expected, "{} {} answered {}", route.method, route.path, reply.body);
        // A made-up session cookie is no better than none.
        let forged = format!("wss_session={}", "ab".repeat(32));
        let mut with_cookie = headers.to_vec();
        with_cookie.push(("Cookie", &forged));
        assert_eq!(raw(route.method, &url, &with_cookie, "{}").status, expected, "{}", route.path);
    }
}

#[test]
fn logins_are_throttled_per_ip_with_the_same_answer_for_unknown_names() {
    let dir = PanelDir::new(json!({}));
    // A production-like cost, so that the verify dominates a login's time: a name that
    // skipped it would answer many times faster.
    let hash = bcrypt::non_truncating_hash(ADMIN_PASSWORD, 10).unwrap();
    std::fs::write(dir.dir.path().join("data/admin_password.hash"), hash).unwrap();
    let panel = dir.start();
    let time = |name: &str| {
        let t = Instant::now();
        let r = login_raw(&panel, name, "wrong-password", None);
        (r.status, r.json(), t.elapsed())
    };
    // Both names are checked against the same bcrypt hash: medians of interleaved tries.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (s1, a, t1) = time("admin");
        let (s2, b, t2) = time("ghost");
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(a, b, "the same answer for a wrong password and an unknown name");
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    let ratio = known[1..3].iter().sum::<Duration>().as_secs_f64()
        / unknown[1..3].iter().sum::<Duration>().as_secs_f64();
    assert!((0.7..1.43).contains(&ratio), "similar timing: {known:?} vs {unknown:?}");
    assert!(unknown[0] > Duration::from_millis(10), "the unknown name ran a cost-10 verify: {unknown:?}");
    for _ in 0..2 {
        assert_eq!(login_raw(&panel, "someone", "x", None).status, 401);
    }
    let blocked = login_raw(&panel, "admin", ADMIN_PASSWORD, None);
    assert_eq!(blocked.status, 429, "the 11th attempt from this IP is refused, even the right one");
    assert_eq!(login_raw(&panel, "ghost", "x", None).json(), blocked.json());
    let audit = panel.api("GET", "/api/audit?limit=20", None).json;
    let rows = audit["items"].as_array().unwrap();
    let failed = rows.iter().filter(|r| r["action"] == "LOGIN_FAILED").count();
    assert_eq!(failed, 4, "one row per wrong admin password");
    let anonymous: Vec<_> = rows.iter().filter(|r| r["action"] == "LOGIN_FAILURES").collect();
    assert!((1..=2).contains(&anonymous.len()), "unknown names: counted rows per minute: {anonymous:?}");
    assert!(rows.iter().all(|r| !r.to_string().contains("ghost")), "strangers' names are not stored");
}

fn user_count(panel: &Panel) -> usize {
    panel.api("GET", "/api/users", None).json.as_array().unwrap().len()
}

#[test]
fn cross_site_requests_get_403_and_change_nothing() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let before = (user_count(&panel), panel.audit_total());
    let body = Some(json!({"username": "csrfvictim", "password": "pw-12345"}));
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("X-Requested-With", "")],
        vec![("Origin", "http://evil.example"), ("Sec-Fetch-Site", "cross-site")],
        vec![("Origin", "http://evil.example"), ("Sec-Fetch-Site", "")],
        vec![("Origin", ""), ("Sec-Fetch-Site", "same-site")],
        vec![("Origin", ""), ("Sec-Fetch-Site", "")],
        vec![("Origin", "null")],
    ];
    for tweak in &cases {
        let r = s.call_with("POST", "/api/users", body.clone(), tweak);
        assert_eq!(r.status, 403, "{tweak:?}: {}", r.body);
    }
    // What an HTML form on another site can send.
    let form = s.call_with(
        "POST",
        "/api/users",
        None,
        &[
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
            ("X-Requested-With", ""),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
    );
    assert_eq!(form.status, 403);
    for (method, path) in [("POST", "/api/logout"), ("PUT", "/api/settings"), ("DELETE", "/api/users/x")] {
        let r = s.call_with(method, path, Some(json!({})), &[("Origin", "http://evil.example")]);
        assert_eq!(r.status, 403, "{method} {path}");
    }
    assert_eq!((user_count(&panel), panel.audit_total()), before, "nothing changed");
    assert_eq!(s.call("GET", "/api/session", None).status, 200, "the refused logout did not log out");
    assert_eq!(s.call("POST", "/api/users", body).status, 201, "the page's own request works");
    assert_eq!(panel.create_user("viacli", "pw-12345", json!({})).status, 201, "bearer token (CLI) works");
}

#[test]
fn security_headers_are_on_every_response() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let replies = [
        raw("GET", &format!("{}/", panel.url), &[], ""),
        raw("GET", &format!("{}/index.html", panel.url), &[], ""),
        raw("GET", &format!("{}/no/such/file", panel.url), &[], ""),
        raw("GET", &format!("{}/api/users", panel.url), &[], ""),
        raw("GET", &format!("{}/config.json", panel.url), &[], ""),
        s.call_with("POST", "/api/users", Some(json!({})), &[("Origin", "http://evil.example")]),
        s.call_with("POST", "/api/users", Some(json!({"bad": 1})), &[]),
    ];
    for r in &replies {
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
    assert_eq!(replies[0].status, 200);
    assert!(replies[0].header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(replies[2].status, 404);
}

#[test]
fn the_config_dir_and_the_store_are_never_served() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let paths = [
        "/config.json",
        "/wss_panel.redb",
        "/data/wss_panel.redb",
        "/admin_token",
        "/admin_password.hash",
        "/key.pem",
        "/../config.json",
        "/%2e%2e/config.json",
        "/static/../config.json",
        "/js/%2e%2e/%2e%2e/config.json",
        "/..%2fconfig.json",
        "/.%2e/data/wss_panel.redb",
        "/etc/passwd",
    ];
    for path in paths {
        let r = raw("GET", &format!("{}{path}", panel.url), &[], "");
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("internal_api_secret") && !r.body.contains("$2"), "{path}");
    }
}

#[test]
fn without_a_password_file_nobody_logs_in() {
    let dir = PanelDir::new(json!({}));
    std::fs::remove_file(dir.dir.path().join("data/admin_password.hash")).unwrap();
    let panel = dir.start();
    for pw in ["", "admin", "password", ADMIN_PASSWORD] {
        assert_eq!(login_raw(&panel, "admin", pw, None).status, 401, "{pw:?}");
    }
    panel.wait_for_log(&["ADMIN_PASSWORD_NOT_SET"]);
}

#[test]
fn admin_actions_are_audited_with_the_client_ip() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    assert_eq!(
        s.call("POST", "/api/users", Some(json!({"username": "audited", "password": "pw-12345"}))).status,
        201
    );
    assert_eq!(s.call("POST", "/api/users/audited/kick", None).status, 200);
    assert_eq!(s.call("POST", "/api/system/services/wss/restart", None).status, 200);
    let items = s.call("GET", "/api/audit?limit=10", None).json["items"].as_array().unwrap().clone();
    for action in ["LOGIN_SUCCESS", "USER_ADD", "USER_KICK", "SERVICE_RESTART"] {
        let rec =
            items.iter().find(|r| r["action"] == action).unwrap_or_else(|| panic!("{action}: {items:?}"));
        assert_eq!(rec["ip"], "127.0.0.1", "{action}");
        assert_eq!(rec["who"], "admin", "{action}");
    }
}
