//! `cargo bench --bench tunnel`: the data plane against direct TCP to the same upstream, in
//! one run on this machine. Runs the release `wss-panel panel` and `wss-panel proxy` as
//! child processes on 127.0.0.1 and reports ratios (tunnel ÷ direct), because absolute
//! numbers on a shared machine move by ±40% between runs. Direct and tunnelled runs alternate
//! so that both see the same background load. Every loop is bounded in count and time.
//! Results and how to read them: BENCHMARKS.md.

mod peers;
mod rig;

use peers::Route;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Direct/tunnel pairs per throughput measurement (the median pair is reported).
const ROUNDS: usize = 3;
const PUSH_LENGTH: Duration = Duration::from_secs(2);
const PARALLEL_TUNNELS: usize = 64;
const OPENERS: usize = 32;
const OPEN_LENGTH: Duration = Duration::from_secs(3);
const OPEN_MAX: usize = 100_000;
const PING_BATCHES: usize = 10;
const PING_BATCH: usize = 2_000;
const PING_TIME_LIMIT: Duration = Duration::from_secs(30);
const IDLE_STEPS: [usize; 2] = [1_000, 5_000];
/// Connections opened at once when filling the idle set (well under the accept backlog).
const OPEN_CONCURRENCY: usize = 64;
const SETTLE: Duration = Duration::from_millis(500);

fn main() {
    let nofile = rig::raise_nofile_limit();
    assert!(nofile >= 2 * IDLE_STEPS[1] as u64 + 1_000, "open-files hard limit {nofile} is too low");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let upstream = rt.block_on(peers::start_upstream());
    let rig = rig::Rig::start(upstream);
    let proxy = rig.start_proxy();
    let (direct, tunnel) = (Route::Direct(upstream), Route::Tunnel(proxy.http));
    rt.block_on(peers::open_warm(tunnel)).expect("a first tunnel (warms the auth cache)");

    eprintln!("throughput, 1 connection ...");
    let single = rt.block_on(paired(|route| aggregate(route, 1), direct, tunnel));
    eprintln!("throughput, {PARALLEL_TUNNELS} connections ...");
    let parallel = rt.block_on(paired(|route| aggregate(route, PARALLEL_TUNNELS), direct, tunnel));
    eprintln!("new connections per second ...");
    let opens = rt.block_on(paired(open_rate, direct, tunnel));
    eprintln!("64-byte echo latency ...");
    let latency = latency(&rt, direct, tunnel);
    drop(proxy);
    eprintln!("idle tunnels ...");
    let idle = idle_rss(&rt, &rig);
    print_report(&Report { single, parallel, opens, latency, idle });
}

/// Median direct and tunnel value of `ROUNDS` alternating runs, and the median ratio of the
/// pairs (each pair ran back to back, so it saw the same load).
#[derive(Clone, Copy)]
struct Paired {
    direct: f64,
    tunnel: f64,
    ratio: f64,
}

async fn paired<F, Fut>(run: F, direct: Route, tunnel: Route) -> Paired
where
    F: Fn(Route) -> Fut,
    Fut: Future<Output = f64>,
{
    let (mut d, mut t, mut r) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let a = run(direct).await;
        let b = run(tunnel).await;
        d.push(a);
        t.push(b);
        r.push(b / a);
    }
    Paired { direct: median(d), tunnel: median(t), ratio: median(r) }
}

/// Bytes per second reaching the sink over `n` parallel connections for `PUSH_LENGTH`.
async fn aggregate(route: Route, n: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..n {
        tasks.spawn(peers::push(route, PUSH_LENGTH));
    }
    let (mut bytes, mut end) = (0u64, start);
    while let Some(done) = tasks.join_next().await {
        let (b, at) = done.expect("push task").expect("push");
        bytes += b;
        end = end.max(at);
    }
    bytes as f64 / (end - start).as_secs_f64()
}

/// Connections per second that complete (for a tunnel: the 101) and carry one echoed
/// byte, from `OPENERS` concurrent clients for `OPEN_LENGTH` (at most `OPEN_MAX`).
async fn open_rate(route: Route) -> f64 {
    let opened = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + OPEN_LENGTH;
    let mut tasks = JoinSet::new();
    for _ in 0..OPENERS {
        let opened = opened.clone();
        tasks.spawn(async move {
            while Instant::now() < deadline && opened.load(Ordering::Relaxed) < OPEN_MAX {
                peers::open_warm(route).await.expect("open a connection");
                opened.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    opened.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// p50 and p99 round-trip times, direct and through the tunnel, in microseconds.
struct Latency {
    direct: (f64, f64),
    tunnel: (f64, f64),
}

/// Alternating batches of 64-byte round trips on one direct and one tunnelled connection.
fn latency(rt: &tokio::runtime::Runtime, direct: Route, tunnel: Route) -> Latency {
    let std_stream = |route| {
        rt.block_on(async { peers::open_warm(route).await.and_then(|s| s.into_std()) })
            .expect("echo connection")
    };
    let (mut d, mut t) = (std_stream(direct), std_stream(tunnel));
    let (mut ds, mut ts) = (vec![], vec![]);
    let start = Instant::now();
    for i in 0..PING_BATCHES {
        let warmup = if i == 0 { PING_BATCH / 4 } else { 0 };
        ds.extend(peers::ping(&mut d, warmup, PING_BATCH).expect("direct ping"));
        ts.extend(peers::ping(&mut t, warmup, PING_BATCH).expect("tunnel ping"));
        if start.elapsed() > PING_TIME_LIMIT {
            break;
        }
    }
    Latency { direct: percentiles(ds), tunnel: percentiles(ts) }
}

/// Proxy RSS growth per idle tunnel, at each of `IDLE_STEPS` tunnels, on a fresh proxy.
fn idle_rss(rt: &tokio::runtime::Runtime, rig: &rig::Rig) -> Vec<(usize, f64)> {
    let proxy = rig.start_proxy();
    let route = Route::Tunnel(proxy.http);
    rt.block_on(async {
        drop(peers::open_warm(route).await.expect("a first tunnel"));
        tokio::time::sleep(SETTLE).await;
        let before = proxy.rss_bytes();
        let mut open = Vec::new();
        let mut per_tunnel = Vec::new();
        for n in IDLE_STEPS {
            while open.len() < n {
                let mut batch = JoinSet::new();
                for _ in 0..OPEN_CONCURRENCY.min(n - open.len()) {
                    batch.spawn(peers::open_warm(route));
                }
                while let Some(s) = batch.join_next().await {
                    open.push(s.expect("open task").expect("open an idle tunnel"));
                }
            }
            tokio::time::sleep(SETTLE).await;
            per_tunnel.push((n, proxy.rss_bytes().saturating_sub(before) as f64 / n as f64));
        }
        per_tunnel
    })
}

struct Report {
    single: Paired,
    parallel: Paired,
    opens: Paired,
    latency: Latency,
    idle: Vec<(usize, f64)>,
}

fn print_report(r: &Report) {
    const MIB: f64 = 1024.0 * 1024.0;
    let met = |ok: bool| if ok { "yes" } else { "NO" };
    println!("| measure | direct TCP | through the proxy | tunnel ÷ direct | target | met |");
    println!("|---|---:|---:|---:|---|---|");
    for (name, p) in [("throughput, 1 connection", r.single), ("throughput, 64 connections", r.parallel)] {
        println!(
            "| {name} | {:.0} MiB/s | {:.0} MiB/s | {:.2} × | ≥ 0.80 × | {} |",
            p.direct / MIB,
            p.tunnel / MIB,
            p.ratio,
            met(p.ratio >= 0.8)
        );
    }
    let o = r.opens;
    println!(
        "| new connections/s (open + 1-byte echo, warm auth, {OPENERS} clients) | {:.0} /s | {:.0} /s | {:.2} × | ≥ 5,000 /s | {} |",
        o.direct,
        o.tunnel,
        o.ratio,
        met(o.tunnel >= 5000.0)
    );
    let l = &r.latency;
    let added_p50 = l.tunnel.0 - l.direct.0;
    println!(
        "| 64-byte echo RTT p50 | {:.1} µs | {:.1} µs | +{added_p50:.1} µs | ≤ +10 µs | {} |",
        l.direct.0,
        l.tunnel.0,
        met(added_p50 <= 10.0)
    );
    println!(
        "| 64-byte echo RTT p99 | {:.1} µs | {:.1} µs | +{:.1} µs | — | |",
        l.direct.1,
        l.tunnel.1,
        l.tunnel.1 - l.direct.1
    );
    for (n, bytes) in &r.idle {
        println!(
            "| proxy RSS per idle tunnel, {n} tunnels | | {:.1} KiB | | ≤ 16 KiB | {} |",
            bytes / 1024.0,
            met(*bytes <= 16.0 * 1024.0)
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (p50, p99) in microseconds.
fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    (at(0.50), at(0.99))
}
