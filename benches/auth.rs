//! Tunnel auth rate at the panel (`POST /internal/auth`), with and without the verified-
//! password cache, bcrypt cost 12 (the default). `cargo bench --bench auth`.
//! Spawns the release `wss-panel panel` twice (cache on / off) on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-internal-secret-0123456789";
const RUN: Duration = Duration::from_secs(4);
const THREADS: usize = 4;

fn main() {
    let cached = rate(300);
    let uncached = rate(0);
    println!("auth/s with cache:    {cached:>10.0}");
    println!("auth/s without cache: {uncached:>10.0}");
    println!("ratio cached/uncached: {:.0}x", cached / uncached);
}

/// Verified tunnel auths per second for `THREADS` concurrent callers.
fn rate(cache_secs: u64) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({
        "internal_api_secret": SECRET, "panel_port": 0, "panel_bind": "127.0.0.1",
        "data_dir": dir.path().join("data"), "bcrypt_cost": 12, "auth_cache_secs": cache_secs,
        "command_backend": "recording",
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wss-panel"))
        .arg("panel")
        .env("WSS_PANEL_CONFIG", dir.path().join("config.json"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(a) = line.contains("PANEL_LISTENING").then(|| line.split("addr=").nth(1)).flatten() {
            break a.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let token = std::fs::read_to_string(dir.path().join("data/admin_token")).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = serde_json::json!({ "username": "bench", "password": "bench-pass-1" });
    let created = agent
        .post(&format!("http://{addr}/api/users"))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let url = format!("http://{addr}/internal/auth");
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (url, agent, body) = (url.clone(), agent.clone(), body.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while started.elapsed() < RUN {
                    let mut r =
                        agent.post(&url).header("x-internal-secret", SECRET).send_json(&body).unwrap();
                    assert!(r.body_mut().read_to_string().unwrap().contains("allow"));
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    rate
}
