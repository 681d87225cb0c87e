//! `cargo bench --bench tunnel -- flood [--small]`: tunnel opens under a password-guessing
//! flood. A panel at bcrypt cost 12 (the default) and a fresh proxy; `FLOOD_SOURCES` source
//! addresses (127.0.0.2 and up: every 127/8 address is local) send wrong-password upgrade
//! heads at `FLOOD_RATE` per second in all, half of them naming the bench user, half made-up
//! names. Measured: one client of the bench user (its verdict cached at the proxy) opening
//! tunnels one after another, quiet and during the flood; and how long a user whose
//! verdict is cached nowhere takes to get its 101 during the flood (retrying a 503/429
//! after 250 ms, as an app would). `--small` is the reduced size for CI. Bounded in time.

use crate::peers::{self, Route};
use crate::rig;
use base64::Engine;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How big the flood is.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub rate: u32,
    pub sources: u8,
}

pub const FULL: Size = Size { rate: 1_000, sources: 50 };
pub const SMALL: Size = Size { rate: 200, sources: 10 };
const WINDOW: Duration = Duration::from_secs(3);
const ROUNDS: usize = 3;
/// The flood runs this long before the first measurement (throttles engage).
const WARMUP: Duration = Duration::from_secs(2);
const COLD_USER: &str = "coldbench";
const COLD_PASSWORD: &str = "pw-cold-1";
const COLD_LIMIT: Duration = Duration::from_secs(10);
const RETRY_AFTER: Duration = Duration::from_millis(250);
/// Flood handshakes in flight per source at most; more are skipped (and counted).
const IN_FLIGHT_PER_SOURCE: u64 = 256;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn head(user: &str, password: &str) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!(
        "GET / HTTP/1.1\r\nHost: bench.example\r\nUpgrade: websocket\r\nProxy-Authorization: Basic {basic}\r\n\r\n"
    )
}

/// The status code of the proxy's answer to `payload` sent from `src`.
async fn status(src: IpAddr, to: SocketAddr, payload: &str) -> std::io::Result<u16> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(src, 0))?;
    let mut s = socket.connect(to).await?;
    s.write_all(payload.as_bytes()).await?;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(IO_TIMEOUT, s.read(&mut buf))
        .await
        .map_err(|_| std::io::ErrorKind::TimedOut)??;
    let text = String::from_utf8_lossy(&buf[..n]);
    Ok(text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0))
}

/// Answers the flood got, by status (0: no answer or a connection error).
type Tally = Arc<Mutex<BTreeMap<u16, u64>>>;

/// Floods until `stop`; returns the number of handshakes sent and skipped.
async fn flood(size: Size, proxy: SocketAddr, stop: Arc<AtomicBool>, tally: Tally) -> (u64, u64) {
    let per_source = Duration::from_secs_f64(f64::from(size.sources) / f64::from(size.rate));
    let (sent, skipped) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut sources = tokio::task::JoinSet::new();
    for i in 0..size.sources {
        let (stop, tally, sent, skipped) = (stop.clone(), tally.clone(), sent.clone(), skipped.clone());
        sources.spawn(async move {
            let src = IpAddr::from([127, 0, 0, 2 + i]);
            let in_flight = Arc::new(AtomicU64::new(0));
            let mut ticker = tokio::time::interval(per_source);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                ticker.tick().await;
                if in_flight.load(Ordering::Relaxed) >= IN_FLIGHT_PER_SOURCE {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                n += 1;
                let name =
                    if n.is_multiple_of(2) { rig::USER.to_owned() } else { format!("ghost{}", n % 97) };
                let payload = head(&name, &format!("wrong-{n}"));
                let (tally, in_flight) = (tally.clone(), in_flight.clone());
                in_flight.fetch_add(1, Ordering::Relaxed);
                sent.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let code = status(src, proxy, &payload).await.unwrap_or(0);
                    *tally.lock().expect("tally").entry(code).or_default() += 1;
                    in_flight.fetch_sub(1, Ordering::Relaxed);
                });
            }
        });
    }
    while sources.join_next().await.is_some() {}
    (sent.load(Ordering::Relaxed), skipped.load(Ordering::Relaxed))
}

/// Tunnels one client opens one after another in `WINDOW` (open + 1 echo + close), per second.
async fn sequential_opens(route: Route) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < WINDOW {
        drop(peers::open_warm(route).await.expect("a cached user's tunnel"));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// How long the cold user takes to get its 101, and the answers it got on the way.
async fn cold_login(proxy: SocketAddr) -> (Option<Duration>, Vec<String>) {
    let start = Instant::now();
    let payload = head(COLD_USER, COLD_PASSWORD);
    let mut tries = Vec::new();
    while start.elapsed() < COLD_LIMIT {
        let t = Instant::now();
        let code = status(IpAddr::from([127, 0, 0, 200]), proxy, &payload).await.unwrap_or(0);
        tries.push(format!("{code} after {:.2} s", t.elapsed().as_secs_f64()));
        if code == 101 {
            return (Some(start.elapsed()), tries);
        }
        tokio::time::sleep(RETRY_AFTER).await;
    }
    (None, tries)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the flood phase and prints its table.
pub fn run(rt: &tokio::runtime::Runtime, upstream: SocketAddr, size: Size) {
    let rig = rig::Rig::start_with(upstream, serde_json::json!({ "bcrypt_cost": 12 }));
    rig.add_user(COLD_USER, COLD_PASSWORD);
    let proxy = rig.start_proxy();
    let route = Route::Tunnel(proxy.http);
    rt.block_on(peers::open_warm(route)).expect("a first tunnel (caches the verdict)");
    eprintln!("flood: quiet opens ...");
    let quiet: Vec<f64> = (0..ROUNDS).map(|_| rt.block_on(sequential_opens(route))).collect();
    eprintln!("flood: {} wrong passwords/s from {} addresses ...", size.rate, size.sources);
    let stop = Arc::new(AtomicBool::new(false));
    let tally: Tally = Arc::default();
    // The flood has a runtime and an OS thread of its own: on the bench's runtime its
    // thousands of tasks would queue the measured client's wake-ups behind them, a cost of
    // the bench, not of the proxy. (Its CPU still comes from the same two cores.)
    let flooding = {
        let (stop, tally, to) = (stop.clone(), tally.clone(), proxy.http);
        std::thread::spawn(move || {
            let own =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("flood runtime");
            own.block_on(flood(size, to, stop, tally))
        })
    };
    let started = Instant::now();
    rt.block_on(async { tokio::time::sleep(WARMUP).await });
    let loaded: Vec<f64> = (0..ROUNDS).map(|_| rt.block_on(sequential_opens(route))).collect();
    let (cold, tries) = rt.block_on(cold_login(proxy.http));
    stop.store(true, Ordering::Relaxed);
    let (sent, skipped) = flooding.join().expect("flood thread");
    let secs = started.elapsed().as_secs_f64();
    let (quiet, loaded) = (median(quiet), median(loaded));
    let ratio = loaded / quiet;
    let answers: Vec<String> =
        tally.lock().expect("tally").iter().map(|(c, n)| format!("{c}: {n}")).collect();
    println!("| flood measure | value | target | met |");
    println!("|---|---:|---|---|");
    println!(
        "| flood sent (wrong passwords, {} addresses) | {:.0} /s ({sent} in {secs:.1} s, {skipped} skipped) | {} /s | |",
        size.sources,
        sent as f64 / secs,
        size.rate
    );
    println!("| flood answers by status (0 = none) | {} | | |", answers.join(", "));
    println!("| cached user, tunnels/s one after another, quiet | {quiet:.0} /s | | |");
    println!("| cached user, tunnels/s one after another, during the flood | {loaded:.0} /s | | |");
    println!(
        "| … during ÷ quiet | {ratio:.2} × | ≥ 0.90 × | {} |",
        if ratio >= 0.9 { "yes" } else { "**no**" }
    );
    match cold {
        Some(t) => println!(
            "| cold-cache user: time to its 101 during the flood | {:.2} s (answers: {}) | ≤ 2 s | {} |",
            t.as_secs_f64(),
            tries.join("; "),
            if t <= Duration::from_secs(2) { "yes" } else { "**no**" }
        ),
        None => println!(
            "| cold-cache user: time to its 101 during the flood | not within {COLD_LIMIT:?} (answers: {}) | ≤ 2 s | **no** |",
            tries.join("; ")
        ),
    }
}
