//! `cargo bench --bench tunnel [-- PHASE...]` (phases: throughput, tls, opens, latency, idle,
//! ratelimit, flood; all by default; `--small` runs the flood at its reduced CI size): the data plane against direct TCP to the same upstream, in one run on this
//! machine. Runs the release `wss-panel panel` and `wss-panel proxy` as child processes on
//! 127.0.0.1 and reports ratios (proxy ÷ direct), because absolute numbers on a shared machine
//! move by ±40% between runs; direct, proxy and a bare splice relay (the ceiling, see
//! `ceiling.rs`) take turns so that all see the same background load. CPU time per unit moved
//! is reported too: unlike rates, it hardly depends on other load. Every loop is bounded in
//! count and time. Results and how to read them: BENCHMARKS.md.

mod ceiling;
mod flood;
mod peers;
mod ratelimit;
mod report;
mod rig;
mod tls_ceiling;

use peers::Route;
use report::{Compared, Latency, Report};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Turns per measure (each turn runs every route once; medians are reported).
const ROUNDS: usize = 3;
const PUSH_LENGTH: Duration = Duration::from_secs(2);
pub const PARALLEL_TUNNELS: usize = 64;
pub const OPENERS: usize = 32;
const OPEN_LENGTH: Duration = Duration::from_secs(3);
const OPEN_MAX: usize = 100_000;
const PING_BATCHES: usize = 10;
const PING_BATCH: usize = 2_000;
const PING_TIME_LIMIT: Duration = Duration::from_secs(30);
/// The window of the second proxy in the latency phase (`busy_poll_us`).
pub const BUSY_POLL_US: u64 = 100;
const IDLE_STEPS: [usize; 2] = [1_000, 5_000];
const IDLE_TLS: usize = 1_000;
/// Connections opened at once when filling the idle set (well under the accept backlog).
const OPEN_CONCURRENCY: usize = 64;
const SETTLE: Duration = Duration::from_millis(500);

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let small = std::env::args().any(|a| a == "--small");
    let phase = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let nofile = rig::raise_nofile_limit();
    assert!(nofile >= 2 * IDLE_STEPS[1] as u64 + 1_000, "open-files hard limit {nofile} is too low");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let upstream = rt.block_on(peers::start_upstream());
    let rig = rig::Rig::start(upstream);
    let proxy = rig.start_proxy();
    let direct = Route::Direct(upstream);
    let tunnel = Route::Tunnel(proxy.http);
    let bare = Route::Tunnel(ceiling::start(upstream));
    rt.block_on(peers::open_warm(tunnel)).expect("a first tunnel (warms the auth cache)");
    let cpu = || (rig::cpu_seconds(std::process::id()), rig::cpu_seconds(proxy.pid()));
    let mut report = Report::default();
    if phase("throughput") {
        eprintln!("throughput, 1 connection ...");
        let routes = [direct, tunnel, bare];
        report.single = Some(rt.block_on(compare(|r| aggregate(r, 1), &routes, &cpu)));
        eprintln!("throughput, {PARALLEL_TUNNELS} connections ...");
        report.parallel = Some(rt.block_on(compare(|r| aggregate(r, PARALLEL_TUNNELS), &routes, &cpu)));
    }
    if phase("tls") {
        let _ = peers::TLS.set(peers::tls_connector(&rig.cert_path()));
        let ceiling = tls_ceiling::start(upstream, &rig.cert_path(), &rig.key_path());
        let routes = [direct, Route::Tls(proxy.tls), Route::Tls(ceiling)];
        eprintln!("throughput over TLS, 1 connection ...");
        report.tls_single = Some(rt.block_on(compare(|r| aggregate(r, 1), &routes, &cpu)));
        eprintln!("throughput over TLS, {PARALLEL_TUNNELS} connections ...");
        report.tls_parallel = Some(rt.block_on(compare(|r| aggregate(r, PARALLEL_TUNNELS), &routes, &cpu)));
    }
    if phase("opens") {
        eprintln!("new connections per second ...");
        report.opens = Some(rt.block_on(compare(open_rate, &[direct, tunnel], &cpu)));
    }
    if phase("latency") {
        eprintln!("64-byte echo latency ...");
        rig.merge_config(serde_json::json!({ "busy_poll_us": BUSY_POLL_US }));
        let polling = rig.start_proxy();
        rig.merge_config(serde_json::json!({ "busy_poll_us": 0 }));
        let routes = [direct, tunnel, bare, Route::Tunnel(polling.http)];
        report.latency = Some(latency(&rt, &routes, &[None, Some(proxy.pid()), None, Some(polling.pid())]));
    }
    drop(proxy);
    if phase("idle") {
        eprintln!("idle tunnels ...");
        report.idle = idle_rss(&rt, &rig);
    }
    report.print();
    if phase("ratelimit") {
        ratelimit::run(&rt, upstream);
    }
    if phase("flood") {
        flood::run(&rt, upstream, if small { flood::SMALL } else { flood::FULL });
    }
}

/// What one run moved (bytes or connections) and how long it took.
struct Run {
    units: f64,
    secs: f64,
}

/// `ROUNDS` turns of `run` over `routes` (the first is direct TCP). `cpu` gives the CPU
/// seconds used so far by (the bench process, the proxy process).
async fn compare<F, Fut>(run: F, routes: &[Route], cpu: &dyn Fn() -> (f64, f64)) -> Compared
where
    F: Fn(Route) -> Fut,
    Fut: Future<Output = Run>,
{
    let mut c = Compared::new(routes.len());
    for _ in 0..ROUNDS {
        let mut direct_rate = None;
        for (i, &route) in routes.iter().enumerate() {
            warm(route).await;
            let (bench0, proxy0) = cpu();
            let r = run(route).await;
            let (bench1, proxy1) = cpu();
            let rate = r.units / r.secs;
            let direct = *direct_rate.get_or_insert(rate);
            c.rate[i].push(rate);
            c.ratio[i].push(rate / direct);
            c.cpu[i].push((bench1 - bench0 + proxy1 - proxy0) / r.units);
            c.proxy_cpu[i].push((proxy1 - proxy0) / r.units);
        }
    }
    c
}

/// One tunnel opened before a timed run, so that the proxy's auth cache (a minute) is warm:
/// a run of 64 connections at once would otherwise send them all to the panel, and the
/// proxy counts unanswered attempts per address (its failed-login throttle).
async fn warm(route: Route) {
    match route {
        Route::Direct(_) => {}
        Route::Tunnel(_) => drop(peers::open_warm(route).await.expect("a warm-up tunnel")),
        Route::Tls(_) => drop(peers::push(route, Duration::ZERO).await.expect("a warm-up TLS tunnel")),
    }
}

/// Bytes reaching the sink over `n` parallel connections for `PUSH_LENGTH`.
async fn aggregate(route: Route, n: usize) -> Run {
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
    Run { units: bytes as f64, secs: (end - start).as_secs_f64() }
}

/// Connections that complete (for a tunnel: the 101) and carry one small echo, from
/// `OPENERS` concurrent clients for `OPEN_LENGTH` (at most `OPEN_MAX`).
async fn open_rate(route: Route) -> Run {
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
    Run { units: opened.load(Ordering::Relaxed) as f64, secs: start.elapsed().as_secs_f64() }
}

/// Echo round trips on one connection per route, the routes taking turns in batches; and
/// the CPU time each route's proxy process (`pids`, where there is one) spent per echo.
fn latency(rt: &tokio::runtime::Runtime, routes: &[Route], pids: &[Option<u32>]) -> Latency {
    let open = |route| {
        rt.block_on(async { peers::open_warm(route).await.and_then(|s| s.into_std()) })
            .expect("echo connection")
    };
    let mut conns: Vec<_> = routes.iter().map(|&r| open(r)).collect();
    let mut samples = vec![vec![]; routes.len()];
    let mut cpu = vec![0.0; routes.len()];
    let start = Instant::now();
    for batch in 0..PING_BATCHES {
        let warmup = if batch == 0 { PING_BATCH / 4 } else { 0 };
        for (i, conn) in conns.iter_mut().enumerate() {
            let used = || pids[i].map_or(0.0, rig::cpu_seconds);
            let before = used();
            samples[i].extend(peers::ping(conn, warmup, PING_BATCH).expect("ping"));
            cpu[i] += used() - before;
        }
        if start.elapsed() > PING_TIME_LIMIT {
            break;
        }
    }
    Latency::from_samples(samples, &cpu)
}

/// Proxy RSS growth per idle tunnel at each of `IDLE_STEPS` tunnels on a fresh proxy; then
/// at `IDLE_TLS` tunnels through the TLS port, on another fresh proxy.
fn idle_rss(rt: &tokio::runtime::Runtime, rig: &rig::Rig) -> Vec<(String, f64)> {
    let proxy = rig.start_proxy();
    let route = Route::Tunnel(proxy.http);
    let plain = rt.block_on(fill(&proxy, &IDLE_STEPS, || peers::open_warm(route)));
    drop(proxy);
    let proxy = rig.start_proxy();
    let (addr, tls) = (proxy.tls, peers::tls_connector(&rig.cert_path()));
    let tls = rt.block_on(fill(&proxy, &[IDLE_TLS], || {
        let tls = tls.clone();
        async move { peers::open_warm_tls(addr, &tls).await }
    }));
    let plain = plain.into_iter().map(|(n, b)| (format!("{n} tunnels"), b));
    plain.chain(tls.into_iter().map(|(n, b)| (format!("{n} TLS tunnels"), b))).collect()
}

/// Opens connections with `open` and holds them, up to each of `steps`; after each step,
/// the proxy's RSS growth (since one warm-up tunnel came and went) per connection held.
async fn fill<S, F, Fut>(proxy: &rig::Proxy, steps: &[usize], open: F) -> Vec<(usize, f64)>
where
    S: Send + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = std::io::Result<S>> + Send + 'static,
{
    drop(open().await.expect("a first tunnel"));
    tokio::time::sleep(SETTLE).await;
    let before = proxy.rss_bytes();
    let (mut held, mut rows) = (Vec::new(), Vec::new());
    for &n in steps {
        while held.len() < n {
            let mut batch = JoinSet::new();
            for _ in 0..OPEN_CONCURRENCY.min(n - held.len()) {
                batch.spawn(open());
            }
            while let Some(s) = batch.join_next().await {
                held.push(s.expect("open task").expect("open an idle tunnel"));
            }
        }
        tokio::time::sleep(SETTLE).await;
        rows.push((n, proxy.rss_bytes().saturating_sub(before) as f64 / n as f64));
    }
    rows
}
