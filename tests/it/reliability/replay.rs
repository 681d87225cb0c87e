//! Replay of malformed and oversized handshakes: mutations of real payloads (NULs, lone CRs,
//! huge lines, invalid UTF-8, conflicting and repeated headers, truncated heads, tiny-line
//! floods) sent to the running proxy by many clients at once. Every connection must end
//! (closed, or answered `101` and closed by us) within the handshake deadline + 1 s, the
//! proxy must not panic, and its RSS must come back within +10% of the warmed-up baseline.

use super::{PASSWORD, Rig, USER, connect_from, rss_bytes, size};
use crate::helpers::net::{basic, noise};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The handshake deadline the proxy gets here (`handshake_timeout_secs`).
const DEADLINE: Duration = Duration::from_secs(2);
/// Clients at once; each has its own source address (127.0.20.x, apart from other tests'), below the per-address cap.
const WORKERS: usize = 96;

/// Payloads as tunnel apps send them, with the rig's real credentials: mutations of these
/// reach every branch of the parser, and unmutated ones open tunnels.
fn seeds() -> Vec<Vec<u8>> {
    let auth = format!("Proxy-Authorization: Basic {}", basic(USER, PASSWORD));
    [
        format!("GET / HTTP/1.1\r\nHost: tunnel.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{auth}\r\n\r\n"),
        format!("CONNECT bug.example:443 HTTP/1.1\r\nHost: bug.example\r\n\r\nGET ws://tunnel.example/ HTTP/1.1\r\nHost: tunnel.example\r\nUpgrade: websocket\r\n{auth}\r\n\r\nSSH-2.0-OpenSSH_9.2\r\n"),
        format!("GET /cdn-cgi/trace HTTP/1.1\nHost: cdn.example\nX-Online-Host: tunnel.example\nUpgrade: websocket\nConnection: Keep-Alive\n{auth}\n\n"),
        format!("\r\n\r\nPATCH / HTTP/1.1\r\nHost: a\r\nUser-Agent: [ua]\r\nUpgrade: websocket\r\n{auth}\r\nContent-Length: 9999\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n{auth}\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        "GET /?user=tun HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n".to_owned(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

/// Deterministic xorshift, so that a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to three mutations of a seed.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut p = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(p.len() + 1);
        match rng.below(11) {
            0 => p.insert(at, 0),
            // A lone CR, or every LF made a CR: no line ever ends.
            1 => p.insert(at, b'\r'),
            2 => p.iter_mut().filter(|b| **b == b'\n').for_each(|b| *b = b'\r'),
            // A line longer than the 16 KiB head cap.
            3 => p.splice(at..at, std::iter::repeat_n(b'a', 17_000 + rng.below(8_000))).for_each(drop),
            4 => p.splice(at..at, [0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]).for_each(drop),
            // Repeated and conflicting headers.
            5 => {
                let extra = match rng.below(4) {
                    0 => "Upgrade: websocket\r\nUpgrade: h2c\r\n",
                    1 => "Host: a\r\nHost: b\r\nHost: c\r\n",
                    2 => "Proxy-Authorization: Basic Z2hvc3Q6eA==\r\nProxy-Authorization: Bearer x\r\n",
                    _ => "Content-Length: 5\r\nContent-Length: -1\r\nTransfer-Encoding: chunked\r\n",
                };
                let line = p.windows(2).position(|w| w == b"\r\n").map_or(0, |i| i + 2);
                p.splice(line..line, extra.bytes()).for_each(drop);
            }
            // A truncated head: the client then waits, so the proxy's deadline must end it.
            6 => p.truncate(at),
            7 => {
                let lines = "a:b\r\n".repeat(50 + rng.below(200));
                let line = p.windows(2).position(|w| w == b"\r\n").map_or(0, |i| i + 2);
                p.splice(line..line, lines.bytes()).for_each(drop);
            }
            8 => {
                let flips = noise(1 + rng.below(8), rng.next());
                for f in flips {
                    if !p.is_empty() {
                        let i = rng.below(p.len());
                        p[i] ^= f;
                    }
                }
            }
            9 => {
                let end = (at + rng.below(64)).min(p.len());
                p.drain(at..end);
            }
            _ => p.splice(at..at, noise(rng.below(512), rng.next())).for_each(drop),
        }
    }
    p
}

/// How one replayed connection ended, and after how long (from connect).
#[derive(Debug, Default)]
struct Tally {
    upgraded: usize,
    answered: usize,
    closed_silently: usize,
    /// Cases still open after the deadline + 3 s, or that could not connect (first few).
    stuck: Vec<(usize, &'static str, String)>,
    slowest: Duration,
    slowest_case: usize,
}

/// Sends payload `case` and waits for the end: EOF or reset, or a `101` (we then close).
fn replay_one(src: [u8; 4], to: std::net::SocketAddr, payload: &[u8]) -> (Duration, &'static str) {
    let started = Instant::now();
    let Ok(mut s) = connect_from(src, to) else { return (started.elapsed(), "connect failed") };
    s.set_read_timeout(Some(DEADLINE + Duration::from_secs(3))).unwrap();
    // The proxy may close before all is written (a refused head): not a failure.
    let _ = s.write_all(payload);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                const UPGRADED: &[u8] = b"HTTP/1.1 101 ";
                if seen.windows(UPGRADED.len()).any(|w| w == UPGRADED) {
                    return (started.elapsed(), "upgraded");
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (started.elapsed(), "still open");
            }
            Err(_) => break,
        }
    }
    (started.elapsed(), if seen.is_empty() { "closed" } else { "answered" })
}

#[test]
fn replayed_malformed_handshakes_all_end_by_the_deadline_without_panics_or_lasting_memory() {
    super::raise_nofile_limit();
    let total = size(10_000, 100_000);
    let mut rig = Rig::start(json!({ "handshake_timeout_secs": DEADLINE.as_secs() }), &[]);
    let pid = rig.proxy_pid();
    let seeds = Arc::new(seeds());
    // Baseline after a warm-up of the same traffic, so that runtime and allocator start-up
    // costs are not counted as growth.
    let run = |from: usize, count: usize| {
        let next = Arc::new(AtomicUsize::new(from));
        let tally = Arc::new(Mutex::new(Tally::default()));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (next, tally, seeds, to) = (next.clone(), tally.clone(), seeds.clone(), rig.proxy.http);
                std::thread::spawn(move || {
                    let src = [127, 0, 20, 2 + w as u8];
                    loop {
                        let case = next.fetch_add(1, Ordering::Relaxed);
                        if case >= from + count {
                            return;
                        }
                        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (case as u64 + 1));
                        let seed = &seeds[rng.below(seeds.len())];
                        let payload = if case % 50 == 0 { seed.clone() } else { mutate(seed, &mut rng) };
                        let (took, how) = replay_one(src, to, &payload);
                        let mut t = tally.lock().unwrap();
                        match how {
                            "upgraded" => t.upgraded += 1,
                            "answered" => t.answered += 1,
                            "closed" => t.closed_silently += 1,
                            other if t.stuck.len() < 5 => {
                                t.stuck.push((case, other, String::from_utf8_lossy(&payload).into_owned()))
                            }
                            _ => {}
                        }
                        if took > t.slowest {
                            (t.slowest, t.slowest_case) = (took, case);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        Arc::try_unwrap(tally).unwrap().into_inner().unwrap()
    };
    let warm = total / 10;
    run(0, warm);
    let baseline = rss_bytes(pid);
    let started = Instant::now();
    let tally = run(warm, total);
    let elapsed = started.elapsed();
    let peak_after = rss_bytes(pid);
    eprintln!(
        "replay: {total} handshakes in {elapsed:?}; {tally:?}; RSS baseline {} KiB, after {} KiB",
        baseline / 1024,
        peak_after / 1024
    );
    rig.assert_no_panic();
    assert!(tally.stuck.is_empty(), "not ended by the deadline + 3 s: {:?}", tally.stuck);
    assert!(
        tally.slowest <= DEADLINE + Duration::from_secs(1),
        "case {} took {:?} to end",
        tally.slowest_case,
        tally.slowest
    );
    assert!(tally.upgraded > 0 && tally.answered > 0, "the mix reaches tunnels and refusals: {tally:?}");
    // Every connection has ended on our side; the proxy frees its side within the deadline.
    let settled = crate::helpers::wait_for(DEADLINE + Duration::from_secs(5), || {
        let rss = rss_bytes(pid);
        (rss <= baseline + baseline / 10).then_some(rss)
    });
    assert!(
        settled.is_some(),
        "proxy RSS {} KiB stayed above baseline {} KiB + 10%",
        rss_bytes(pid) / 1024,
        baseline / 1024
    );
}
