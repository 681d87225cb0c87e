//! Slowloris: thousands of connections that send one byte of a never-ending head at a
//! time, held for longer than the handshake deadline, while 50 clients open tunnels
//! normally. The slow ones must be closed by the deadline + 1 s (counted from connect, the
//! TLS handshake included), and the normal clients' p99 must stay within 2× the quiet one.

use super::{PASSWORD, Rig, USER, percentile, size};
use crate::helpers::net::upgrade_head;
use serde_json::json;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Clients opening tunnels normally during the attack.
const NORMAL_CLIENTS: usize = 50;
/// Handshakes per normal client in each phase (quiet, under attack).
const ROUNDS: usize = 20;

/// Time from connect to `101` of one normal tunnel handshake.
fn handshake_latency(to: SocketAddr, src: [u8; 4]) -> Duration {
    let started = Instant::now();
    let mut s = super::connect_from(src, to).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(upgrade_head(USER, PASSWORD).as_bytes()).unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    started.elapsed()
}

/// `rounds` handshakes by each of the normal clients at once; all latencies.
fn normal_round(to: SocketAddr, rounds: usize) -> Vec<Duration> {
    let threads: Vec<_> = (0..NORMAL_CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                (0..rounds).map(|_| handshake_latency(to, [127, 0, 21, 2 + c as u8])).collect::<Vec<_>>()
            })
        })
        .collect();
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

/// One slow connection: sends a head byte by byte, one every `every`, until the proxy
/// closes it; how long it lived. `None` if it could not connect.
async fn slow_client(to: SocketAddr, src: [u8; 4], every: Duration) -> Option<Duration> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::from((src, 0))).ok()?;
    let mut s = socket.connect(to).await.ok()?;
    let started = Instant::now();
    let head = b"GET / HTTP/1.1\r\nHost: tunnel.example\r\nX-Pad: ";
    let mut sent = 0usize;
    let mut buf = [0u8; 512];
    loop {
        let byte = head.get(sent).copied().unwrap_or(b'a');
        if s.write_all(&[byte]).await.is_err() {
            return Some(started.elapsed());
        }
        sent += 1;
        tokio::select! {
            r = s.read(&mut buf) => match r {
                // The 400 or nothing, then the close.
                Ok(n) if n > 0 => continue,
                _ => return Some(started.elapsed()),
            },
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[test]
fn slowloris_connections_close_at_the_deadline_and_normal_clients_keep_their_p99() {
    super::raise_nofile_limit();
    let slow = size(300, 2_000);
    let every = Duration::from_secs(size(1, 5) as u64);
    let deadline = Duration::from_secs(size(3, 10) as u64);
    let mut rig =
        Rig::start(json!({ "handshake_timeout_secs": deadline.as_secs(), "preauth_per_ip": 128 }), &[]);
    let to = rig.proxy.http;
    // One login warms the verdict cache. (Fifty cold logins of one user at once would meet
    // the per-user throttle, which counts attempts when they start.)
    handshake_latency(to, [127, 0, 21, 1]);
    let mut quiet = normal_round(to, ROUNDS);
    let quiet_p99 = percentile(&mut quiet, 99);
    let quiet_p50 = percentile(&mut quiet, 50);

    // Each slow slot reconnects when closed, so the attack lasts as long as the measurement.
    let stop = Arc::new(AtomicBool::new(false));
    let attack = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let slots: Vec<_> = (0..slow)
                    .map(|i| {
                        let stop = stop.clone();
                        // 20 slow connections per source address: under the per-address cap.
                        let src = [127, 0, 22 + (i / 5000) as u8, 2 + ((i / 20) % 250) as u8];
                        // Starts spread over one interval, as connections of many clients arrive.
                        let stagger = every * i as u32 / slow as u32;
                        tokio::spawn(async move {
                            tokio::time::sleep(stagger).await;
                            let mut lives = Vec::new();
                            while !stop.load(Ordering::Relaxed) {
                                match slow_client(to, src, every).await {
                                    Some(lived) => lives.push(lived),
                                    None => tokio::time::sleep(Duration::from_millis(50)).await,
                                }
                            }
                            lives
                        })
                    })
                    .collect();
                let mut all = Vec::new();
                for s in slots {
                    all.extend(s.await.unwrap());
                }
                all
            })
        })
    };
    // Let every slot connect, then measure through at least one full deadline.
    let held = crate::helpers::wait_for(Duration::from_secs(30), || {
        (super::open_fds(rig.proxy_pid()) >= slow).then_some(())
    });
    assert!(held.is_some(), "the slow connections never all got in");
    let mut loaded = normal_round(to, ROUNDS);
    let loaded_p99 = percentile(&mut loaded, 99);
    let loaded_p50 = percentile(&mut loaded, 50);
    std::thread::sleep(deadline.saturating_sub(Duration::from_secs(1)));
    stop.store(true, Ordering::Relaxed);
    let mut lives = attack.join().unwrap();
    assert!(lives.len() >= slow, "every slot lived at least once: {}", lives.len());
    let longest = percentile(&mut lives, 100);
    eprintln!(
        "slowloris: {slow} slow connections ({} closed), one byte per {every:?}, deadline {deadline:?}: \
         longest life {longest:?}; normal p50/p99 quiet {quiet_p50:?}/{quiet_p99:?}, \
         under attack {loaded_p50:?}/{loaded_p99:?}",
        lives.len()
    );
    rig.assert_no_panic();
    assert!(longest <= deadline + Duration::from_secs(1), "a slow connection lived {longest:?}");
    assert!(loaded_p99 <= quiet_p99 * 2, "p99 {loaded_p99:?} under attack, {quiet_p99:?} quiet");
}

/// A TLS client that finishes its TLS handshake just before the deadline, then dribbles its
/// head: the deadline counts from accept, so it is closed then, not a whole deadline later.
#[test]
fn a_slow_tls_handshake_does_not_buy_a_second_handshake_deadline() {
    let deadline = Duration::from_secs(2);
    let rig = Rig::start(json!({ "handshake_timeout_secs": deadline.as_secs() }), &[]);
    let cert = rig.dir.dir.path().join("cert.pem");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for c in rustls::pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let started = Instant::now();
    let tcp = crate::helpers::net::connect(rig.proxy.tls);
    tcp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // Most of the deadline passes before the TLS handshake.
    std::thread::sleep(deadline - Duration::from_millis(500));
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    // Then one byte of a head every 200 ms (the read timeout) until the proxy closes.
    let head = b"GET / HTTP/1.1\r\nHost: tunnel.example\r\nX-Pad: ";
    let mut buf = [0u8; 512];
    let mut i = 0;
    let lived = loop {
        if tls.write_all(&[head.get(i).copied().unwrap_or(b'a')]).is_err() {
            break started.elapsed();
        }
        i += 1;
        match tls.read(&mut buf) {
            Ok(0) => break started.elapsed(),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break started.elapsed(),
        }
        assert!(started.elapsed() < deadline * 3, "never closed");
    };
    assert!(lived <= deadline + Duration::from_secs(1), "lived {lived:?} with a {deadline:?} deadline");
}
