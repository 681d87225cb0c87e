//! Nothing on the panel trusts a loopback peer: every tunnel customer reaches this host's
//! loopback through SSH port forwarding. `/metrics` needs its bearer token, `/internal/*`
//! and `/ipc` the internal secret, from 127.0.0.1 too. And client text reaches the panel's
//! log escaped: a newline in a tunnel user name or a login name never starts a journal line.

use crate::helpers::browser_session::{login_raw, raw};
use crate::helpers::{PanelDir, SECRET};
use serde_json::json;

#[test]
fn metrics_from_loopback_need_the_bearer_token() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let url = format!("{}/metrics", panel.url);
    let token = panel.metrics_token();
    let mode = std::fs::metadata(dir.dir.path().join("data/metrics_token")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777, 0o600);
    let admin = format!("Bearer {}", panel.token);
    let refused: [&[(&str, &str)]; 4] = [
        &[],
        &[("Authorization", "Bearer wrong-token")],
        &[("x-internal-secret", SECRET)],
        &[("Authorization", &admin)],
    ];
    for headers in refused {
        assert_eq!(raw("GET", &url, headers, "").status, 401, "{headers:?}");
    }
    let ok = raw("GET", &url, &[("Authorization", &format!("Bearer {token}"))], "");
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("# TYPE wss_tunnels gauge"), "{}", ok.body);
}

#[test]
fn internal_routes_and_ipc_from_loopback_need_the_secret() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let auth = json!({ "username": "nobody", "password": "x" }).to_string();
    let json = ("Content-Type", "application/json");
    let cases = [
        ("POST", "/internal/auth", vec![json]),
        ("POST", "/internal/auth", vec![json, ("x-internal-secret", "not-the-secret-0123456789")]),
        ("GET", "/internal/nodes", vec![]),
        (
            "GET",
            "/ipc",
            vec![
                ("Connection", "Upgrade"),
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ],
        ),
    ];
    for (method, path, headers) in cases {
        let reply = raw(method, &format!("{}{path}", panel.url), &headers, &auth);
        assert_eq!(reply.status, 401, "{method} {path} {headers:?}: {}", reply.body);
    }
    let with_secret =
        raw("POST", &format!("{}/internal/auth", panel.url), &[json, ("x-internal-secret", SECRET)], &auth);
    assert_eq!(with_secret.status, 200, "{}", with_secret.body);
}

#[test]
fn newlines_in_client_names_never_start_a_panel_log_line() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let forged = "ghost\nFORGED_EVENT event=\"ADMIN_LOGIN\" user=admin\r\nFORGED_TOO";
    // The name a proxy took from a `Proxy-Authorization` header, as it asks the panel.
    let verdict = panel.proxy_auth(forged, Some("pw"));
    assert_eq!(verdict["reason"], "no_such_user", "{verdict}");
    let line = panel.wait_for_log(&["PANEL_AUTH_DENIED"]);
    assert!(line.contains(r#"ghost\nFORGED_EVENT"#), "escaped in place: {line}");
    assert_eq!(login_raw(&panel, forged, "pw", None).status, 401);
    let status =
        raw("POST", &format!("{}/internal/auth", panel.url), &[("x-internal-secret", "x")], "").status;
    assert_eq!(status, 401);
    panel.wait_for_log(&["INTERNAL_UNAUTHORIZED"]);
    let log = panel.log.lock().unwrap();
    for l in log.iter() {
        assert!(!l.trim_start().starts_with("FORGED"), "a client started a log line: {l:?}");
        assert!(!l.contains('\r'), "a raw carriage return: {l:?}");
    }
}
