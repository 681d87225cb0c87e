//! Fuzzes the admin API's JSON bodies against a real panel on 127.0.0.1: every route that
//! takes a body gets mutated bodies (deserialization into its input struct and its
//! validation both run). No answer is a 5xx, the panel stays up, and a refused body (4xx)
//! changes nothing: no audit row, and users, settings, hosts, ports and bans read the same.
//! An input's first line names the route (`METHOD PATH`); the rest is the body.

use super::engine;
use crate::helpers::{Panel, PanelDir, agent};
use serde_json::json;

/// The routes with a JSON body; `fz1` and `fz2` exist when the run starts.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/users"),
    ("POST", "/api/users/batch"),
    ("PATCH", "/api/users/fz1"),
    ("POST", "/api/users/fz1/renew"),
    ("POST", "/api/users/fz1/password"),
    ("POST", "/api/qr"),
    ("PUT", "/api/hosts"),
    ("PUT", "/api/settings"),
    ("PUT", "/api/ports"),
    ("POST", "/api/bans"),
    ("PUT", "/api/admin/password"),
];

const DICT: &[&[u8]] = &[
    b"\"username\":",
    b"\"password\":",
    b"\"days\":",
    b"\"expires_on\":",
    b"\"quota_gb\":",
    b"\"quota_bytes\":",
    b"\"rate_kbps\":",
    b"\"max_connections\":",
    b"\"require_auth_header\":",
    b"\"allow_shell\":",
    b"\"note\":",
    b"\"action\":\"delete\"",
    b"\"usernames\":",
    b"\"hosts\":",
    b"\"fuse_threshold_kbps\":",
    b"\"panel_port\":",
    b"\"wss_http_port\":",
    b"\"dry_run\":true",
    b"\"dry_run\":false",
    b"\"ip\":",
    b"\"reason\":",
    b"\"current\":",
    b"\"new\":",
    b"\"text\":",
    b"\"2026-02-30\"",
    b"\"9999-12-31\"",
    b"\"0.0.0.0/0\"",
    b"\"::1\"",
    b"\"127.0.0.1\"",
    b"\"fz1\"",
    b"\"root\"",
    b"\"../etc\"",
    b"\"a\\u0000b\"",
    b"\"\\u202e\"",
    b"4294967295",
    b"4294967296",
    b"18446744073709551616",
    b"-1",
    b"1e309",
    b"NaN",
    b"null",
    b"true",
    b"[]",
    b"{}",
];

/// What must not change when a body is refused: users, settings, hosts, ports and bans.
fn state(panel: &Panel) -> String {
    let get = |path: &str| {
        let r = panel.api("GET", path, None);
        assert_eq!(r.status, 200, "GET {path}: {:?}", r.json);
        r.json.to_string()
    };
    ["/api/users", "/api/settings", "/api/hosts", "/api/ports", "/api/bans"]
        .iter()
        .map(|p| get(p))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Audit rows after `seq` (a refused body may add only `*_FAILED` rows), and the last seq.
fn audit_since(panel: &Panel, seq: u64) -> (Vec<String>, u64) {
    let items = panel.api("GET", "/api/audit?limit=20", None).json["items"].as_array().unwrap().clone();
    let last = items.iter().filter_map(|r| r["seq"].as_u64()).max().unwrap_or(seq);
    let new = items
        .iter()
        .filter(|r| r["seq"].as_u64().unwrap() > seq)
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect();
    (new, last.max(seq))
}

fn send(panel: &Panel, method: &str, path: &str, body: &[u8]) -> u16 {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", panel.url))
        .header("Authorization", format!("Bearer {}", panel.token))
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .unwrap();
    let mut response = agent().run(request).unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"));
    let _ = response.body_mut().read_to_vec();
    response.status().as_u16()
}

#[test]
fn fuzz_admin_api_bodies_never_5xx_and_refusals_change_nothing() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    for name in ["fz1", "fz2"] {
        assert_eq!(panel.create_user(name, "Fuzz-Pass-1", json!({})).status, 201);
    }
    let mut before = state(&panel);
    let mut seq = audit_since(&panel, 0).1;
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    let report = engine::run("admin_api", DICT, |input| {
        let (first, body) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (&input[..0], input),
        };
        let first = String::from_utf8_lossy(first);
        let (method, path) =
            ROUTES.iter().copied().find(|(m, p)| first == format!("{m} {p}")).unwrap_or_else(|| {
                ROUTES[first.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
                    % ROUTES.len()]
            });
        let status = send(&panel, method, path, body);
        *statuses.entry(status).or_default() += 1;
        assert!(status < 500, "{method} {path} answered {status} to {:?}", String::from_utf8_lossy(body));
        assert!(panel.child.try_wait().unwrap().is_none(), "the panel exited");
        let after = state(&panel);
        let (rows, last) = audit_since(&panel, seq);
        if status >= 400 {
            assert_eq!(after, before, "{method} {path} refused ({status}) yet changed state");
            assert!(
                rows.iter().all(|a| a.ends_with("_FAILED")),
                "{method} {path} refused ({status}) yet audited {rows:?}"
            );
        }
        (before, seq) = (after, last);
        format!("{method} {path} {status}")
    });
    eprintln!("FUZZ_STATUSES {statuses:?}");
    // Each input costs seven requests to a debug build: a few per second, never none.
    let floor = 3 * engine::budget().as_secs();
    assert!(report.execs > floor, "too few inputs ran to mean anything (floor {floor}): {report:?}");
    assert!(statuses.keys().any(|s| *s < 300) && statuses.keys().any(|s| *s >= 400), "{statuses:?}");
    panel.kill9();
}
