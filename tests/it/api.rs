//! The admin API and the proxies' auth endpoint against the real panel process.

use crate::helpers::{PanelDir, agent};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn usernames(panel: &crate::helpers::Panel) -> Vec<String> {
    let list = panel.api("GET", "/api/users", None);
    assert_eq!(list.status, 200);
    list.json.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn each_validation_rule_rejects_with_a_clear_message_and_changes_nothing() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    assert_eq!(panel.create_user("keeper", "pw-keeper-1", json!({})).status, 201);
    let audit_before = panel.audit_total();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"username": "Bad Name", "password": "x1"}), "username must be"),
        (json!({"username": "-o", "password": "x1"}), "username must be"),
        (json!({"username": "a".repeat(33), "password": "x1"}), "username must be"),
        (json!({"username": "root", "password": "x1"}), "reserved"),
        (json!({"username": "tunadmin", "password": "x1-long-pass"}), "panel's own"),
        (json!({"username": "eve", "password": ""}), "must not be empty"),
        (json!({"username": "eve", "password": "x".repeat(73)}), "longer than 72"),
        (json!({"username": "eve", "password": "x\nroot:pw"}), "control characters"),
        (json!({"username": "eve"}), "password is required"),
        (json!({"username": "eve", "password": "abc"}), "at least 8 characters"),
        (json!({"username": "eve", "password": "7-chars"}), "at least 8 characters"),
        (json!({"username": "eve", "password": "x1-long-pass", "days": 0}), "days must be"),
        (json!({"username": "eve", "password": "x1-long-pass", "expires_on": "2026-13-01"}), "not a date"),
        (
            json!({"username": "eve", "password": "x1-long-pass", "days": 3, "expires_on": "2030-01-01"}),
            "either",
        ),
        (json!({"username": "eve", "password": "x1-long-pass", "quota_gb": -1}), "quota_gb"),
        (json!({"username": "eve", "password": "x1-long-pass", "rate_kbps": -5}), "invalid value"),
        (json!({"username": "eve", "password": "x1-long-pass", "quota": 5}), "unknown field `quota`"),
        (json!({"username": "eve", "password": "x1-long-pass", "note": "a\u{1b}[31m"}), "note must be"),
    ];
    for (body, expected) in cases {
        let reply = panel.api("POST", "/api/users", Some(body.clone()));
        assert_eq!(reply.status, 400, "{body}");
        let msg = reply.json["error"].as_str().unwrap_or_default();
        assert!(msg.contains(expected), "{body}: {msg}");
    }
    let patch = panel.api("PATCH", "/api/users/keeper", Some(json!({"max_connections": "two"})));
    assert_eq!(patch.status, 400);
    let renew = panel.api("POST", "/api/users/keeper/renew", Some(json!({"days": 0})));
    assert_eq!(renew.status, 400);
    assert_eq!(usernames(&panel), ["keeper"]);
    assert_eq!(panel.audit_total(), audit_before, "a refused change writes no audit record");
    let keeper = panel.api("GET", "/api/users/keeper", None).json;
    assert_eq!((keeper["max_connections"].as_u64(), keeper["expires_on"].as_str()), (Some(0), None));
}

#[test]
fn malformed_json_is_a_400_in_the_error_shape() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let mut response = agent()
        .post(&format!("{}/api/users", panel.url))
        .header("Authorization", &format!("Bearer {}", panel.token))
        .header("Content-Type", "application/json")
        .send("{\"username\": ")
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.body_mut().read_json().unwrap();
    assert!(body["error"].as_str().is_some());
}

#[test]
fn duplicates_are_409_unknown_users_404_and_no_token_401() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    assert_eq!(panel.create_user("frank", "pw-frank-1", json!({})).status, 201);
    let dup = panel.create_user("frank", "other-pw", json!({}));
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json["error"], "user 'frank' already exists");
    for (method, path) in
        [("GET", "/api/users/ghost"), ("DELETE", "/api/users/ghost"), ("POST", "/api/users/ghost/pause")]
    {
        let reply = panel.api(method, path, None);
        assert_eq!(reply.status, 404, "{method} {path}");
        assert_eq!(reply.json["error"], "user 'ghost' does not exist");
    }
    for token in [None, Some("wrong"), Some("")] {
        let reply = panel.request("GET", "/api/users", None, token);
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json["error"], "authentication required");
    }
    assert_eq!(panel.api("GET", "/nope", None).status, 404);
}

#[test]
fn the_api_never_shows_password_hashes() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    panel.create_user("gina", "pw-gina-1", json!({}));
    let text = panel.api("GET", "/api/users", None).json.to_string();
    assert!(text.contains("gina") && !text.contains("$2b$") && !text.contains("password"), "{text}");
}

#[test]
fn status_moves_through_pause_resume_expiry_and_renewal() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let status = |r: crate::helpers::Reply| r.json["status"].as_str().unwrap().to_owned();
    assert_eq!(status(panel.create_user("hank", "pw-hank-1", json!({"days": 30}))), "active");
    assert_eq!(status(panel.api("POST", "/api/users/hank/pause", None)), "paused");
    assert_eq!(status(panel.api("POST", "/api/users/hank/resume", None)), "active");
    let past = json!({"expires_on": "2020-01-01"});
    assert_eq!(status(panel.api("PATCH", "/api/users/hank", Some(past))), "expired");
    assert_eq!(panel.proxy_auth("hank", Some("pw-hank-1"))["reason"], "expired");
    assert_eq!(status(panel.api("POST", "/api/users/hank/pause", None)), "paused");
    // Resuming lands where the facts put it: still expired.
    assert_eq!(status(panel.api("POST", "/api/users/hank/resume", None)), "expired");
    let renewed = panel.api("POST", "/api/users/hank/renew", Some(json!({"days": 7})));
    assert_eq!(renewed.json["status"], "active");
    let today = wss_panel::domain::day_of(wss_panel::domain::now_unix());
    assert_eq!(renewed.json["expires_on"], wss_panel::domain::format_day(today + 7));
    assert_eq!(panel.proxy_auth("hank", Some("pw-hank-1"))["verdict"], "allow");
    let cleared = panel.api("PATCH", "/api/users/hank", Some(json!({"expires_on": null})));
    assert_eq!(cleared.json["expires_on"], Value::Null);
    assert_eq!(panel.api("DELETE", "/api/users/hank", None).status, 200);
    assert_eq!(panel.proxy_auth("hank", Some("pw-hank-1"))["reason"], "no_such_user");
}

#[test]
fn a_password_change_invalidates_the_old_password() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    panel.create_user("ivy", "old-pass-1", json!({}));
    assert_eq!(panel.proxy_auth("ivy", Some("old-pass-1"))["verdict"], "allow");
    let changed = panel.api("POST", "/api/users/ivy/password", Some(json!({"password": "new-pass-2"})));
    assert_eq!(changed.status, 200);
    assert_eq!(panel.proxy_auth("ivy", Some("old-pass-1"))["reason"], "bad_credentials");
    assert_eq!(panel.proxy_auth("ivy", Some("new-pass-2"))["verdict"], "allow");
    let bad = panel.api("POST", "/api/users/ivy/password", Some(json!({"password": "a\nb"})));
    assert_eq!(bad.status, 400);
    assert_eq!(panel.proxy_auth("ivy", Some("new-pass-2"))["verdict"], "allow");
    // Too short: refused with the rule, and the password in force stays.
    let short = panel.api("POST", "/api/users/ivy/password", Some(json!({"password": "short12"})));
    assert_eq!(short.status, 400);
    assert!(short.json["error"].as_str().unwrap().contains("at least 8 characters"), "{:?}", short.json);
    assert_eq!(panel.proxy_auth("ivy", Some("new-pass-2"))["verdict"], "allow");
}

#[test]
fn the_lite_path_only_serves_users_who_opted_out_of_the_auth_header() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    panel.create_user("jack", "pw-jack-1", json!({}));
    panel.create_user("kim", "pw-kim-1", json!({"require_auth_header": false, "rate_kbps": 64}));
    assert_eq!(panel.proxy_auth("jack", None)["reason"], "auth_header_required");
    let kim = panel.proxy_auth("kim", None);
    assert_eq!((kim["verdict"].as_str(), kim["limits"]["rate_kbps"].as_u64()), (Some("allow"), Some(64)));
    panel.api("POST", "/api/users/kim/pause", None);
    assert_eq!(panel.proxy_auth("kim", None)["reason"], "paused");
}

#[test]
fn the_internal_api_refuses_a_wrong_secret() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    for secret in ["", "test-internal-secret-012345678", "x"] {
        let response = agent()
            .post(&format!("{}/internal/auth", panel.url))
            .header("x-internal-secret", secret)
            .send_json(json!({"username": "a", "password": "b"}))
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
    }
    panel.wait_for_log(&["INTERNAL_UNAUTHORIZED", "/internal/auth"]);
}

#[test]
fn a_slow_password_check_does_not_block_other_requests() {
    // Cost 14 makes a verify take about a second here. One at a time: the panel's verify gate
    // runs (cores - 1) at once and turns away what queues longer than a second (503, by
    // design; `web::auth_cache` tests that), so more would test the gate, not this.
    let dir = PanelDir::new(json!({ "bcrypt_cost": 14 }));
    let panel = std::sync::Arc::new(dir.start());
    assert_eq!(panel.create_user("slow", "pw-slow-1", json!({})).status, 201);
    let started = Instant::now();
    let verifies: Vec<_> = (0..1)
        .map(|_| {
            let p = panel.clone();
            std::thread::spawn(move || {
                assert_eq!(p.proxy_auth("slow", Some("pw-slow-1"))["verdict"], "allow");
                started.elapsed()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let list_started = Instant::now();
    assert_eq!(usernames(&panel), ["slow"]);
    let list_done = started.elapsed();
    let first_verify_done = verifies.into_iter().map(|h| h.join().unwrap()).min().unwrap();
    assert!(
        list_done < first_verify_done,
        "GET /api/users took {:?} and finished at {list_done:?}, after a verify finished at {first_verify_done:?}",
        list_started.elapsed()
    );
}

#[test]
fn metrics_count_tunnel_auth_results_and_speak_prometheus_text() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    panel.create_user("mia", "pw-mia-1", json!({}));
    panel.proxy_auth("mia", Some("pw-mia-1"));
    panel.proxy_auth("mia", Some("pw-mia-1"));
    panel.proxy_auth("mia", Some("wrong"));
    let text = panel.metrics();
    for line in [
        "wss_auth_total{result=\"allow\"} 2",
        "wss_auth_total{result=\"bad_credentials\"} 1",
        "wss_tunnels 0",
        "wss_ipc_nodes 0",
        "# TYPE wss_fuse_trips_total counter",
        "# TYPE wss_stats_reports_settled_total counter",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn bans_are_validated_stored_listed_and_lifted() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let ban = panel.api("POST", "/api/bans", Some(json!({"ip": "203.0.113.0/24", "reason": "abuse <b>"})));
    assert_eq!(ban.status, 201, "{:?}", ban.json);
    for (ip, expected) in
        [("0.0.0.0/0", 400), ("127.0.0.1", 400), ("10.0.0.0/4", 400), ("not-an-ip", 400), ("-o", 400)]
    {
        let reply = panel.api("POST", "/api/bans", Some(json!({"ip": ip})));
        assert_eq!(reply.status, expected, "{ip}: {:?}", reply.json);
    }
    let list = panel.api("GET", "/api/bans", None).json;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        (list[0]["ip"].as_str(), list[0]["reason"].as_str()),
        (Some("203.0.113.0/24"), Some("abuse <b>"))
    );
    assert_eq!(panel.api("DELETE", "/api/bans/203.0.113.0%2F24", None).status, 200);
    assert_eq!(panel.api("DELETE", "/api/bans/203.0.113.0%2F24", None).status, 404);
    assert_eq!(panel.api("GET", "/api/bans", None).json, json!([]));
    let audit = panel.api("GET", "/api/audit?limit=5", None).json.to_string();
    assert!(audit.contains("IP_BAN") && audit.contains("IP_UNBAN"), "{audit}");
}

#[test]
fn hosts_and_settings_are_validated_and_audited() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    assert_eq!(panel.api("PUT", "/api/hosts", Some(json!({"hosts": ["a b"]}))).status, 400);
    let saved =
        panel.api("PUT", "/api/hosts", Some(json!({"hosts": ["B.example.", "b.example", "a.example"]})));
    assert_eq!(saved.json, json!({"hosts": ["a.example", "b.example"]}));
    assert_eq!(panel.api("GET", "/api/hosts", None).json, json!({"hosts": ["a.example", "b.example"]}));
    assert_eq!(
        panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 99_999_999}))).status,
        400
    );
    assert_eq!(panel.api("PUT", "/api/settings", Some(json!({"fuse_threshold_kbps": 4096}))).status, 200);
    assert_eq!(panel.api("GET", "/api/settings", None).json["fuse_threshold_kbps"], 4096);
    let audit = panel.api("GET", "/api/audit?limit=5", None).json.to_string();
    assert!(audit.contains("HOSTS_UPDATE") && audit.contains("SETTINGS_UPDATE"), "{audit}");
}
