//! `kill -9` on the panel, again and again, while it applies tunnel traffic and admin
//! writes: no acknowledged commit may be lost and every reopen of the store must pass
//! redb's integrity check. The proxy keeps its unacknowledged traffic batches across the
//! outages, so the bytes counted at the end are exactly the bytes the tunnel moved.

use super::{PASSWORD, USER, size};
use crate::helpers::net::{EchoServer, connect, noise, read_exact, read_head, upgrade_head};
use crate::helpers::{PanelDir, agent, wait_for};
use serde_json::json;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One admin write as a client would send it; `None` when the panel was not there to
/// answer (refused, reset, or killed mid-request).
fn try_create(url: &str, token: &str, name: &str) -> Option<u16> {
    let body = json!({ "username": name, "password": "kill-loop-pw-1" }).to_string();
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{url}/api/users"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(body)
        .unwrap();
    agent().run(request).ok().map(|r| r.status().as_u16())
}

/// Opens the store file the way the panel would after a crash and runs redb's full check.
fn assert_store_intact(path: &std::path::Path, kill: usize) {
    let mut db =
        redb::Database::open(path).unwrap_or_else(|e| panic!("kill {kill}: the store does not open: {e}"));
    let intact = db.check_integrity().unwrap_or_else(|e| panic!("kill {kill}: integrity check failed: {e}"));
    assert!(intact, "kill {kill}: the store needed repair after an unclean stop");
}

#[test]
fn two_hundred_panel_kills_lose_no_acknowledged_write_and_every_reopen_is_intact() {
    let kills = size(200, 200);
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let mut panel = dir.start();
    assert_eq!(panel.create_user(USER, PASSWORD, json!({})).status, 201);
    let proxy = dir.start_proxy();
    let (url, token) = (panel.url.clone(), panel.token.clone());

    // Traffic: one tunnel streaming through the echo the whole time.
    let mut s = connect(proxy.http);
    s.write_all(upgrade_head(USER, PASSWORD).as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    let stop = Arc::new(AtomicBool::new(false));
    let streamer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut w, mut r) = (s.try_clone().unwrap(), s);
            let (mut moved, mut i) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let chunk = noise(8 * 1024 + (i as usize % 977), i);
                w.write_all(&chunk).unwrap();
                assert_eq!(read_exact(&mut r, chunk.len()), chunk);
                moved += chunk.len() as u64;
                i += 1;
            }
            moved
        })
    };
    // Admin writes: users created one after another; those answered 201 were committed.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writer = {
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        std::thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let name = format!("kl{n}");
                match try_create(&url, &token, &name) {
                    Some(201) => {
                        acknowledged.lock().unwrap().push(name);
                        n += 1;
                    }
                    // Created before the kill, answer lost: the name is taken, move on.
                    Some(409) => n += 1,
                    Some(other) => panic!("{name}: unexpected {other}"),
                    None => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        })
    };

    let started = Instant::now();
    let mut rng = 0x9e37_79b9_u64;
    for kill in 1..=kills {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(20 + (rng >> 33) % 80));
        panel.kill9();
        assert_store_intact(&dir.store_path(), kill);
        panel = dir.start();
    }
    let outages = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let moved = streamer.join().unwrap();

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= kills / 4, "only {} writes in {kills} runs", acknowledged.len());
    for name in &acknowledged {
        assert_eq!(
            panel.api("GET", &format!("/api/users/{name}"), None).status,
            200,
            "{name} was acknowledged, then lost"
        );
    }
    let expected = 2 * moved;
    let used = || panel.api("GET", &format!("/api/users/{USER}"), None).json["used_bytes"].as_u64().unwrap();
    let settled = wait_for(Duration::from_secs(30), || (used() == expected).then_some(()));
    assert!(settled.is_some(), "store has {} bytes, the tunnel moved {expected}", used());
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(used(), expected, "nothing counted twice later");
    eprintln!(
        "KILL_LOOP kills={kills} in {:.1} s, acknowledged_writes={}, tunnel_bytes={expected}",
        outages.as_secs_f64(),
        acknowledged.len()
    );
}
