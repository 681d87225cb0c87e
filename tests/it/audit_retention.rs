//! The audit log stays bounded, against the real panel: retention by count and by age at
//! the maintenance tick (configured small; the clock moved by the test hook), and anonymous
//! login noise aggregated per client IP and minute instead of one row per attempt.

use crate::helpers::from_ip::login_from;
use crate::helpers::{Panel, PanelDir, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

fn audit(panel: &Panel) -> Vec<Value> {
    panel.api("GET", "/api/audit?limit=500", None).json["items"].as_array().unwrap().clone()
}

fn targets(panel: &Panel, action: &str) -> Vec<String> {
    audit(panel)
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| r["target"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn retention_keeps_the_newest_rows_up_to_the_configured_count() {
    let dir = PanelDir::new(json!({ "audit_max_rows": 5, "maintenance_interval_secs": 1 }));
    let panel = dir.start();
    for i in 0..12 {
        assert_eq!(panel.create_user(&format!("kept{i}"), "pw-12345", json!({})).status, 201);
    }
    let pruned = wait_for(Duration::from_secs(10), || (panel.audit_total() <= 5).then_some(()));
    assert!(pruned.is_some(), "{} rows left", panel.audit_total());
    let left = targets(&panel, "USER_ADD");
    assert!(left.contains(&"kept11".to_owned()) && !left.contains(&"kept0".to_owned()), "{left:?}");
    panel.wait_for_log(&["AUDIT_PRUNED"]);
}

#[test]
fn retention_drops_rows_older_than_the_configured_age() {
    let dir = PanelDir::new(json!({ "audit_max_age_days": 30, "maintenance_interval_secs": 1 }));
    let clock = dir.dir.path().join("clock-offset");
    std::fs::write(&clock, "0").unwrap();
    let panel = dir.start_with_env(&[("WSS_PANEL_TEST_CLOCK_FILE", clock.to_str().unwrap())]);
    for name in ["aged1", "aged2", "aged3"] {
        assert_eq!(panel.create_user(name, "pw-12345", json!({})).status, 201);
    }
    std::fs::write(&clock, (29 * 86_400).to_string()).unwrap();
    // Two ticks after the move: the first tick's housekeeping has finished.
    let mark = panel.log.lock().unwrap().len();
    let tick = crate::helpers::wait_log(&panel.log, mark, &["SYNC\""]);
    let mark = panel.log.lock().unwrap().iter().position(|l| *l == tick).unwrap() + 1;
    crate::helpers::wait_log(&panel.log, mark, &["SYNC\""]);
    assert_eq!(targets(&panel, "USER_ADD").len(), 3, "29 days old: kept");
    std::fs::write(&clock, (31 * 86_400).to_string()).unwrap();
    let gone = wait_for(Duration::from_secs(10), || (targets(&panel, "USER_ADD") == ["aged3"]).then_some(()));
    assert!(gone.is_some(), "31 days old: only the newest row stays: {:?}", targets(&panel, "USER_ADD"));
}

#[test]
fn five_hundred_failed_logins_from_one_ip_make_one_counted_row_per_minute() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let mut answers = (0, 0);
    for i in 0..500 {
        match login_from("127.0.0.5", &panel, &format!("intruder-{i}\nX"), "guess", None).status {
            401 => answers.0 += 1,
            429 => answers.1 += 1,
            other => panic!("status {other}"),
        }
    }
    let rows: Vec<Value> = audit(&panel).into_iter().filter(|r| r["ip"] == "127.0.0.5").collect();
    assert!((1..=2).contains(&rows.len()), "{} rows: {rows:?}", rows.len());
    let counted = rows.iter().fold((0, 0), |(f, t), r| {
        let detail = r["detail"].as_str().unwrap();
        let numbers: Vec<u64> = detail.split(' ').filter_map(|w| w.parse().ok()).collect();
        (f + numbers[0], t + numbers[1])
    });
    assert_eq!(counted, answers, "{rows:?}");
    assert!(rows.iter().all(|r| r["action"] == "LOGIN_FAILURES" && r["target"] == ""), "{rows:?}");
}
