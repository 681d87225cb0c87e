//! Plans (issue 12 §5) end to end with the real panel and proxy: a periodic quota reset that
//! lets an exceeded user back in while the all-time totals and the history stay, an expiry
//! counted from the first tunnel, and the API and CLI shapes of both.

use crate::helpers::net::*;
use crate::helpers::{PanelDir, wait_for};
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;
use wss_panel::domain::{CLOCK_OFFSET_ENV, day_of, format_day};

fn user(panel: &crate::helpers::Panel) -> Value {
    panel.api("GET", "/api/users/tun", None).json
}

fn today() -> i32 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    day_of(secs as i64)
}

/// Pushes `n` bytes each way through a tunnel and waits until the panel stored them.
fn use_traffic(panel: &crate::helpers::Panel, proxy: std::net::SocketAddr, n: usize) -> u64 {
    let mut s = connect(proxy);
    s.write_all(upgrade_head("tun", "pw-tun-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    s.write_all(&noise(n, 5)).unwrap();
    read_exact(&mut s, n);
    wait_for(Duration::from_secs(10), || {
        let used = user(panel)["used_bytes"].as_u64().unwrap();
        (used >= 2 * n as u64).then_some(used)
    })
    .expect("the traffic reached the store")
}

#[test]
fn an_exceeded_user_is_active_again_after_the_daily_reset_with_totals_and_history_kept() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let mut panel = dir.start();
    let plan = json!({ "quota_bytes": 150_000, "quota_reset": "daily" });
    assert_eq!(panel.create_user("tun", "pw-tun-1", plan).status, 201);
    let proxy = dir.start_proxy();
    let used = use_traffic(&panel, proxy.http, 100_000);
    let before = wait_for(Duration::from_secs(5), || {
        let u = user(&panel);
        (u["status"] == "exceeded").then_some(u)
    })
    .expect("over the quota");
    assert_eq!(before["usage_period_bytes"].as_u64(), Some(used));
    // The store says "exceeded" a moment before the panel's kick (which also drops the
    // proxy's cached verdict) reaches the proxy over /ipc: measured from the store, not the proxy.
    let refused = wait_for(Duration::from_secs(3), || {
        let status = status_of(proxy.http, &upgrade_head("tun", "pw-tun-1"));
        (status == "HTTP/1.1 403 Quota Exceeded").then_some(())
    });
    assert!(refused.is_some(), "the proxy still lets an exceeded user in 3 s after the store said so");

    // The next day, as far as the panel can tell: its first settle starts a new period.
    panel.kill9();
    let panel = dir.start_with_env(&[(CLOCK_OFFSET_ENV, "86400")]);
    // The reset is the panel's first settle after start, which may follow its first answer.
    let after = wait_for(Duration::from_secs(5), || {
        let u = user(&panel);
        (u["status"] == "active").then_some(u)
    })
    .unwrap_or_else(|| panic!("still not active a day later: {}", user(&panel)));
    assert_eq!(after["usage_period_bytes"], 0);
    assert_eq!(after["used_bytes"].as_u64(), Some(used), "the all-time total stays");
    let history = panel.api("GET", "/api/users/tun/traffic", None).json;
    let kept: u64 = history["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["up_bytes"].as_u64().unwrap() + d["down_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(kept, used, "the history stays: {history}");
    let audit = panel.api("GET", "/api/audit?limit=10", None).json.to_string();
    assert!(audit.contains("USER_QUOTA_RESET"), "{audit}");
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
}

#[test]
fn expiry_from_first_use_starts_at_the_first_tunnel() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    let created = panel.create_user("tun", "pw-tun-1", json!({ "expire_after_first_use_days": 30 }));
    assert_eq!(created.status, 201, "{:?}", created.json);
    assert_eq!(created.json["expires_on"], Value::Null);
    assert_eq!(created.json["first_used_at"], Value::Null);
    assert_eq!(created.json["expire_after_first_use_days"], 30);
    // A refused password is no use.
    let proxy = dir.start_proxy();
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "wrong-pw")), "HTTP/1.1 401 Unauthorized");
    assert_eq!(user(&panel)["first_used_at"], Value::Null);

    let mut s = connect(proxy.http);
    s.write_all(upgrade_head("tun", "pw-tun-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    let first = user(&panel);
    assert_eq!(first["expires_on"], format_day(today() + 30), "{first}");
    let at = first["first_used_at"].as_i64().expect("first use recorded");
    panel.wait_for_log(&["USER_FIRST_USE", "tun"]);
    // A later tunnel changes nothing.
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
    assert_eq!(user(&panel)["first_used_at"].as_i64(), Some(at));
    assert_eq!(user(&panel)["expires_on"], first["expires_on"]);
}

#[test]
fn plan_fields_round_trip_through_the_api_and_bad_ones_change_nothing() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let plan = json!({ "quota_reset": "weekly", "quota_reset_day": 1, "expire_after_first_use_days": 7 });
    let created = panel.create_user("tun", "pw-tun-1", plan).json;
    assert_eq!(
        (created["quota_reset"].as_str(), created["quota_reset_day"].as_u64()),
        (Some("weekly"), Some(1))
    );
    assert_eq!(created["usage_period_bytes"], 0);
    let set = json!({ "quota_reset": "monthly", "quota_reset_day": 28, "expire_after_first_use_days": null });
    let changed = panel.api("PATCH", "/api/users/tun", Some(set)).json;
    assert_eq!(
        (changed["quota_reset"].as_str(), changed["quota_reset_day"].as_u64()),
        (Some("monthly"), Some(28))
    );
    assert_eq!(changed["expire_after_first_use_days"], Value::Null);
    for bad in [
        json!({ "quota_reset": "monthly", "quota_reset_day": 29 }),
        json!({ "quota_reset": "weekly" }),
        json!({ "quota_reset": "daily", "quota_reset_day": 3 }),
        json!({ "quota_reset": "yearly" }),
        json!({ "quota_reset_day": 5 }),
        json!({ "expire_after_first_use_days": 0 }),
        json!({ "expire_after_first_use_days": 5, "days": 3 }),
    ] {
        let reply = panel.api("PATCH", "/api/users/tun", Some(bad.clone()));
        assert_eq!(reply.status, 400, "{bad} → {:?}", reply.json);
    }
    assert_eq!(user(&panel), changed, "refused input changed nothing");
}

#[test]
fn the_cli_sets_plans_and_refuses_bad_reset_words() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let args =
        ["user", "add", "tun", "--password-stdin", "--reset", "weekly:3", "--days-from-first-use", "10"];
    let add = panel.cli(&[&args[..], &["--json"]].concat(), "pw-tun-1\n");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let added: Value = serde_json::from_slice(&add.stdout).unwrap();
    assert_eq!((added["quota_reset"].as_str(), added["quota_reset_day"].as_u64()), (Some("weekly"), Some(3)));
    assert_eq!(added["expire_after_first_use_days"], 10);
    let set = panel.cli(&["user", "set", "tun", "--reset", "monthly:28"], "");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert!(String::from_utf8_lossy(&set.stdout).contains("quota reset:     monthly:28"));
    let bad = panel.cli(&["user", "set", "tun", "--reset", "monthly:31"], "");
    assert_eq!(bad.status.code(), Some(65), "{}", String::from_utf8_lossy(&bad.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--reset"));
    assert_eq!(user(&panel)["quota_reset_day"], 28);
}

/// The reset happens at 00:00 UTC by the scheduler's midnight timer, without a restart and
/// without waiting for its 60 s tick: the panel's clock is set `LEAD` before a midnight.
#[test]
fn the_midnight_timer_lets_an_exceeded_user_back_within_two_seconds() {
    const LEAD: u64 = 12;
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let real = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let started = std::time::Instant::now();
    let offset = (86_400 - real.as_secs() % 86_400) as i64 - LEAD as i64;
    let moment = started + Duration::from_secs(LEAD) - Duration::from_nanos(real.subsec_nanos().into());
    let panel = dir.start_with_env(&[(CLOCK_OFFSET_ENV, &offset.to_string())]);
    let plan = json!({ "quota_bytes": 150_000, "quota_reset": "daily" });
    assert_eq!(panel.create_user("tun", "pw-tun-1", plan).status, 201);
    let proxy = dir.start_proxy();
    use_traffic(&panel, proxy.http, 100_000);
    wait_for(Duration::from_secs(5), || (user(&panel)["status"] == "exceeded").then_some(()))
        .expect("over the quota");
    assert!(
        std::time::Instant::now() + Duration::from_secs(1) < moment,
        "the setup took longer than {LEAD} s"
    );

    let back = wait_for(moment + Duration::from_secs(2) - std::time::Instant::now(), || {
        (user(&panel)["status"] == "active").then(std::time::Instant::now)
    })
    .expect("active again within 2 s of midnight");
    assert!(back + Duration::from_millis(200) >= moment, "reset before midnight");
    assert_eq!(user(&panel)["usage_period_bytes"], 0);
    assert_eq!(status_of(proxy.http, &upgrade_head("tun", "pw-tun-1")), "HTTP/1.1 101 Switching Protocols");
}
