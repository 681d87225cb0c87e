//! Admin login under attack, against the real panel: a burst of concurrent guesses reaches
//! bcrypt only as often as the throttle allows, and strangers who lock the name `admin`
//! do not lock out the admin's remembered device or an IP that logged in before.

use crate::helpers::browser_session::{BrowserSession, RawReply, cookie_pair};
use crate::helpers::from_ip::login_from;
use crate::helpers::{ADMIN_PASSWORD, PanelDir};
use serde_json::json;
use std::sync::{Arc, Barrier};
use wss_panel::web::throttle::MAX_FAILURES;

/// Every `Set-Cookie` value of a reply whose cookie is `name`.
fn set_cookie<'a>(reply: &'a RawReply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with(&format!("{name}=")))
}

#[test]
fn two_hundred_concurrent_wrong_guesses_from_one_ip_reach_bcrypt_at_most_ten_times() {
    // A real cost, so that on the old code every guess passes the check before any failed.
    let dir = PanelDir::new(json!({ "bcrypt_cost": 10 }));
    let hash = bcrypt::non_truncating_hash(ADMIN_PASSWORD, 10).unwrap();
    std::fs::write(dir.dir.path().join("data/admin_password.hash"), hash).unwrap();
    let panel = Arc::new(dir.start());
    let barrier = Arc::new(Barrier::new(200));
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let (panel, barrier) = (panel.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                login_from("127.0.0.1", &panel, "admin", &format!("guess-{i}"), None).status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(refused + wrong, 200, "{statuses:?}");
    assert!(wrong <= MAX_FAILURES as usize, "{wrong} guesses were checked");
    let verifies: u64 = panel.metric("wss_admin_login_verifies_total").parse().unwrap();
    assert!(verifies <= u64::from(MAX_FAILURES), "{verifies} bcrypt verifies for one IP's burst");
    assert_eq!(verifies, wrong as u64, "every verify answered 401; the rest never reached bcrypt");
    eprintln!("200 concurrent guesses: {wrong} checked (401), {refused} refused (429), {verifies} verifies");
}

#[test]
fn a_locked_admin_name_still_admits_a_remembered_device_and_a_known_ip_but_not_a_stranger() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let first = login_from("127.0.0.2", &panel, "admin", ADMIN_PASSWORD, None);
    assert_eq!(first.status, 200, "{}", first.body);
    let device_set = set_cookie(&first, "wss_device").expect("a remembered-device cookie").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/login", "Max-Age="] {
        assert!(device_set.contains(attr), "{device_set}");
    }
    let device = cookie_pair(&device_set);
    // Ten strangers, one wrong guess each: the name `admin` is locked, no IP is.
    for i in 10..10 + MAX_FAILURES {
        assert_eq!(login_from(&format!("127.0.0.{i}"), &panel, "admin", "guess", None).status, 401);
    }
    let stranger = login_from("127.0.0.50", &panel, "admin", ADMIN_PASSWORD, None);
    assert_eq!(stranger.status, 429, "an unknown IP with the right password is locked out");
    let known = login_from("127.0.0.2", &panel, "admin", ADMIN_PASSWORD, None);
    assert_eq!(known.status, 200, "the IP that logged in before: {}", known.body);
    let roaming = login_from("127.0.0.60", &panel, "admin", ADMIN_PASSWORD, Some(&device));
    assert_eq!(roaming.status, 200, "the remembered device from a new IP: {}", roaming.body);
    let fresh_device = cookie_pair(set_cookie(&roaming, "wss_device").unwrap());
    assert_ne!(fresh_device, device, "a new token at every login");
    let replaced = login_from("127.0.0.61", &panel, "admin", ADMIN_PASSWORD, Some(&device));
    assert_eq!(replaced.status, 429, "the token it replaced is dead");
    let forged = format!("wss_device={}", "ab".repeat(32));
    assert_eq!(login_from("127.0.0.62", &panel, "admin", ADMIN_PASSWORD, Some(&forged)).status, 429);
    // The device does not lift its IP's own limit.
    for _ in 0..MAX_FAILURES {
        assert_eq!(login_from("127.0.0.63", &panel, "admin", "guess", Some(&fresh_device)).status, 401);
    }
    assert_eq!(login_from("127.0.0.63", &panel, "admin", ADMIN_PASSWORD, Some(&fresh_device)).status, 429);
    // A password change revokes every remembered device.
    let session = cookie_pair(set_cookie(&known, "wss_session").unwrap());
    let s = BrowserSession { url: panel.url.clone(), cookie: session };
    let change = json!({"current": ADMIN_PASSWORD, "new": "new-pass-4567"});
    assert_eq!(s.call("PUT", "/api/admin/password", Some(change)).status, 200);
    let revoked = login_from("127.0.0.64", &panel, "admin", "new-pass-4567", Some(&fresh_device));
    assert_eq!(revoked.status, 429, "a device from before the password change means nothing");
}

#[test]
fn an_ip_the_admin_logged_in_from_stays_trusted_after_a_panel_restart() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    assert_eq!(login_from("127.0.0.2", &panel, "admin", ADMIN_PASSWORD, None).status, 200);
    panel.kill9();
    let panel = dir.start();
    for i in 10..10 + MAX_FAILURES {
        assert_eq!(login_from(&format!("127.0.0.{i}"), &panel, "admin", "guess", None).status, 401);
    }
    assert_eq!(login_from("127.0.0.50", &panel, "admin", ADMIN_PASSWORD, None).status, 429);
    let known = login_from("127.0.0.2", &panel, "admin", ADMIN_PASSWORD, None);
    assert_eq!(known.status, 200, "remembered through its device record: {}", known.body);
}
