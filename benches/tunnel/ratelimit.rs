//! `cargo bench --bench tunnel -- ratelimit`: 100 users, each limited to 1 MiB/s
//! (`rate_kbps: 1024`), each pushing through its own tunnel as fast as it can for 20 s.
//! Reported: each user's rate as a share of 1 MiB/s (min, median, max; how many within
//! ±5%), and the proxy's CPU while it paces them. The count is the upstream's (bytes that
//! crossed the proxy) over the time from the first write until the upstream had the last
//! byte (what the sockets still buffered at the 20 s mark crosses after it), so the bucket's
//! initial burst is included.

use crate::peers;
use crate::rig;
use std::time::{Duration, Instant};

const USERS: usize = 100;
const RATE_KBPS: u32 = 1024;
const LENGTH: Duration = Duration::from_secs(20);

pub fn run(rt: &tokio::runtime::Runtime, upstream: std::net::SocketAddr) {
    let rig = rig::Rig::start(upstream);
    for i in 0..USERS {
        rig.add_user_limited(&format!("rl{i}"), "pw-rate-1", RATE_KBPS);
    }
    let proxy = rig.start_proxy();
    let addr = proxy.http;
    let tunnels: Vec<_> = (0..USERS)
        .map(|i| {
            rt.block_on(peers::open_sink_as(addr, &format!("rl{i}"), "pw-rate-1")).expect("a limited tunnel")
        })
        .collect();
    eprintln!("rate limits: {USERS} users at {RATE_KBPS} KiB/s for {LENGTH:?} ...");
    let cpu0 = (rig::cpu_seconds(proxy.pid()), Instant::now());
    let counts: Vec<(u64, Duration)> = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for s in tunnels {
            set.spawn(peers::push_on(s, LENGTH));
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            out.push(r.expect("task").expect("push"));
        }
        out
    });
    let cpu = (rig::cpu_seconds(proxy.pid()) - cpu0.0) / cpu0.1.elapsed().as_secs_f64();
    let target = f64::from(RATE_KBPS) * 1024.0;
    // The bucket starts full: a user may burst `BURST_WINDOW` worth on top of the rate.
    let burst = target * wss_panel::proxy::ratelimit::BURST_WINDOW.as_secs_f64();
    let mut raw: Vec<f64> = counts.iter().map(|(c, t)| *c as f64 / t.as_secs_f64() / target).collect();
    raw.sort_by(f64::total_cmp);
    let mut shares: Vec<f64> =
        counts.iter().map(|(c, t)| (*c as f64 - burst) / t.as_secs_f64() / target).collect();
    shares.sort_by(f64::total_cmp);
    let within = shares.iter().filter(|s| (0.95..=1.05).contains(*s)).count();
    let longest = counts.iter().map(|(_, t)| *t).max().unwrap_or(LENGTH);
    let total_mib_s =
        counts.iter().map(|(c, _)| c).sum::<u64>() as f64 / longest.as_secs_f64() / (1024.0 * 1024.0);
    println!("| rate-limit measure | value | target | met |");
    println!("|---|---:|---|---|");
    println!(
        "| each user's bytes ÷ (1 MiB/s × time), burst included: min / median / max | {:.3} / {:.3} / {:.3} | | |",
        raw[0],
        raw[raw.len() / 2],
        raw[raw.len() - 1],
    );
    println!(
        "| … after the 2 s burst the bucket allows: min / median / max | {:.3} / {:.3} / {:.3} | 0.95-1.05 | {} |",
        shares[0],
        shares[shares.len() / 2],
        shares[shares.len() - 1],
        if within == shares.len() { "yes" } else { "**no**" }
    );
    println!("| users within ±5% | {within} of {} | all | |", shares.len());
    println!(
        "| total through the proxy | {total_mib_s:.1} MiB/s over {:.1} s | {USERS} MiB/s | |",
        longest.as_secs_f64()
    );
    println!("| proxy CPU while pacing | {:.1}% of one core | reported | |", cpu * 100.0);
}
