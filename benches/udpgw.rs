//! `cargo bench --bench udpgw`: the built-in UDPGW against direct UDP on loopback, in one run.
//! The gateway runs in-process (every client attributed to one user, as the proxy does after
//! the uid lookup) on a 2-worker tokio runtime; a UDP echo server answers on 127.0.0.1.
//!
//! - Round trips: one client, one flow, blocking 64-byte datagram round trips; round trips per
//!   second and p50/p99, against the same loop with a connected UDP socket. "Added" = UDPGW
//!   percentile minus direct.
//! - Memory: VmRSS growth of the process for 1,000 clients (connected, attributed) and then
//!   8 flows each (8,000 connected UDP sockets, each flow used once).
//!
//! With `CI` set, sizes shrink (100 clients, fewer round trips). Results: BENCHMARKS.md.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wss_panel::config::UdpgwConfig;
use wss_panel::proxy::state::NodeState;
use wss_panel::proxy::udpgw::{self, Attribution, Gateway, codec};
use wss_panel::wire::UserLimits;

const PAYLOAD: usize = 64;
const FLOWS_PER_CLIENT: u16 = 8;

fn main() {
    let ci = std::env::var_os("CI").is_some();
    let (round_trips, clients) = if ci { (2_000, 100) } else { (20_000, 1_000) };
    let echo = echo_server();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (gw, addr) = start(&rt, clients as u32);
    println!("UDPGW bench: {round_trips} round trips, {clients} clients x {FLOWS_PER_CLIENT} flows");

    let direct = direct_round_trips(echo, round_trips);
    let via = udpgw_round_trips(addr, echo, round_trips);
    report("direct UDP", &direct);
    report("UDPGW", &via);
    let (d, v) = (percentiles(&direct), percentiles(&via));
    println!("added latency: p50 {:.1} us, p99 {:.1} us", v.0 - d.0, v.1 - d.1);

    let base = rss_kib();
    let mut held = Vec::with_capacity(clients);
    for _ in 0..clients {
        let mut s = TcpStream::connect(addr).unwrap();
        // A keepalive: the client is accepted and attributed once the frame is read.
        let mut frame = Vec::new();
        codec::encode_keepalive(0, &mut frame);
        s.write_all(&frame).unwrap();
        held.push(s);
    }
    // A round trip on the last client proves every earlier accept has been served.
    settle(&mut held, echo, 0);
    let with_clients = rss_kib();
    for s in &mut held {
        for conid in 0..FLOWS_PER_CLIENT {
            send(s, conid, echo, &[0; PAYLOAD]);
        }
    }
    for s in &mut held {
        for _ in 0..FLOWS_PER_CLIENT {
            recv(s);
        }
    }
    let flows = gw.live_flows();
    let with_flows = rss_kib();
    println!("live flows: {flows} (max {})", gw.max_flows());
    println!(
        "memory: {:.1} KiB per client, {:.2} KiB per flow (VmRSS {base} -> {with_clients} -> {with_flows} KiB)",
        (with_clients - base) as f64 / clients as f64,
        (with_flows - with_clients) as f64 / flows.max(1) as f64,
    );
}

fn start(rt: &tokio::runtime::Runtime, clients: u32) -> (Arc<Gateway>, SocketAddr) {
    let config = UdpgwConfig {
        port: 0,
        max_clients: clients + 1,
        max_flows_per_client: u32::from(FLOWS_PER_CLIENT),
        max_flows_per_user: 0,
        flow_idle: Duration::from_secs(600),
        client_timeout: Duration::from_secs(600),
        udp_mtu: codec::DEFAULT_UDP_MTU,
        resolv_conf: "/etc/resolv.conf".into(),
        allow_local: vec!["127.0.0.1:0".parse().unwrap()],
    };
    let node = Arc::new(NodeState::new("bench".into()));
    let limits = UserLimits { rate_kbps: 0, max_connections: 0, require_auth_header: false };
    let user = node.user("bench", limits);
    let stop = tokio_util::sync::CancellationToken::new();
    let gw = Arc::new(Gateway::new(config, node, Attribution::Fixed(user), stop));
    let listener = rt.block_on(async { udpgw::bind(0) }).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(udpgw::serve(listener, gw.clone()));
    (gw, addr)
}

fn echo_server() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    addr
}

fn direct_round_trips(echo: SocketAddr, n: usize) -> Vec<Duration> {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.connect(echo).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 2048];
    (0..n)
        .map(|_| {
            let t = Instant::now();
            s.send(&[7; PAYLOAD]).unwrap();
            s.recv(&mut buf).unwrap();
            t.elapsed()
        })
        .collect()
}

fn udpgw_round_trips(addr: SocketAddr, echo: SocketAddr, n: usize) -> Vec<Duration> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (0..n)
        .map(|_| {
            let t = Instant::now();
            send(&mut s, 1, echo, &[7; PAYLOAD]);
            recv(&mut s);
            t.elapsed()
        })
        .collect()
}

fn settle(held: &mut [TcpStream], echo: SocketAddr, conid: u16) {
    let last = held.last_mut().unwrap();
    send(last, conid, echo, &[0; PAYLOAD]);
    recv(last);
}

fn send(s: &mut TcpStream, conid: u16, to: SocketAddr, data: &[u8]) {
    let mut frame = Vec::new();
    codec::encode(0, conid, to, data, &mut frame).unwrap();
    s.write_all(&frame).unwrap();
}

fn recv(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut payload = vec![0; usize::from(u16::from_le_bytes(len))];
    s.read_exact(&mut payload).unwrap();
    payload
}

/// (p50, p99) in microseconds.
fn percentiles(samples: &[Duration]) -> (f64, f64) {
    let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() - 1) as f64 * q) as usize];
    (at(0.50), at(0.99))
}

fn report(name: &str, samples: &[Duration]) {
    let total: Duration = samples.iter().sum();
    let (p50, p99) = percentiles(samples);
    println!(
        "{name}: {:.0} round trips/s, p50 {p50:.1} us, p99 {p99:.1} us",
        samples.len() as f64 / total.as_secs_f64()
    );
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
