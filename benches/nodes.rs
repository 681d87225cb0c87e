//! The panel under many nodes: the release `wss-panel panel` with N users, and M simulated
//! proxy nodes on `/ipc` (the real protocol: the hello headers, one `StatsUpdate` a second with
//! every user's live numbers and a traffic batch for each, acks read back). Reports the
//! panel's CPU (% of one core, from `/proc/PID/stat`), its memory (VmRSS, VmHWM), and how
//! the ticks were stored (`wss_traffic_transactions_total`, `wss_traffic_batches_total` on
//! `/metrics`), and checks that every byte sent was stored exactly once.
//!
//! `cargo bench --bench nodes`: 8 nodes, 10,000 users, 300 s (`--secs 60` for a shorter run).
//! `cargo bench --bench nodes -- --small`: 2 nodes, 500 users, 15 s (the CI size).

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::BTreeMap;
use std::fs::File;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
use wss_panel::wire::{
    NODE_HEADER, NODE_RELEASE_HEADER, NODE_STARTED_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, ProxyToPanel,
    SECRET_HEADER, StatsReport, TrafficBatch, UserStats,
};

const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
const SECRET: &str = "bench-internal-secret-0123456789";
/// Bytes each user moves per report, each way (up, down).
const PER_TICK: (u64, u64) = (1_000, 3_000);
/// Not measured: connections settle and the first ticks fill the caches.
const WARM_UP: Duration = Duration::from_secs(5);

struct Args {
    nodes: usize,
    users: usize,
    secs: u64,
}

fn args() -> Args {
    let argv: Vec<String> = std::env::args().collect();
    let value = |flag: &str| argv.iter().position(|a| a == flag).and_then(|i| argv.get(i + 1)?.parse().ok());
    let small = argv.iter().any(|a| a == "--small");
    let (nodes, users, secs) = if small { (2, 500, 15) } else { (8, 10_000, 300) };
    Args {
        nodes: value("--nodes").unwrap_or(nodes as u64) as usize,
        users: value("--users").unwrap_or(users as u64) as usize,
        secs: value("--secs").unwrap_or(secs),
    }
}

struct Panel {
    child: Child,
    dir: tempfile::TempDir,
    addr: String,
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_panel() -> Panel {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = json!({
        "internal_api_secret": SECRET, "panel_port": 0, "panel_bind": "127.0.0.1",
        "panel_user": "benchadmin", "data_dir": dir.path().join("data"), "bcrypt_cost": 4,
        "node_name": "bench", "command_backend": "recording",
    });
    std::fs::write(dir.path().join("config.json"), config.to_string()).expect("config");
    let log = dir.path().join("panel.log");
    let child = Command::new(BIN)
        .arg("panel")
        .env("WSS_PANEL_CONFIG", dir.path().join("config.json"))
        .env("RUST_LOG", "warn,wss_panel=info")
        .stdout(Stdio::from(File::create(&log).expect("log")))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the panel");
    // Owned at once: a panic below kills it (Drop).
    let mut panel = Panel { child, dir, addr: String::new() };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("PANEL_LISTENING")) {
            let addr = line.split("addr=").nth(1).expect("addr=").split_whitespace().next().unwrap();
            panel.addr = addr.to_owned();
            return panel;
        }
        assert!(Instant::now() < deadline, "the panel never listened:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Panel {
    fn token(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("data").join(name)).expect(name).trim().to_owned()
    }

    /// The users, created through the admin API by four threads.
    fn create_users(&self, names: &[String]) {
        let token = self.token("admin_token");
        std::thread::scope(|s| {
            for chunk in names.chunks(names.len().div_ceil(4)) {
                let (token, addr) = (&token, &self.addr);
                s.spawn(move || {
                    for name in chunk {
                        let body = json!({ "username": name, "password": "pw-bench-1", "rate_kbps": 0, "max_connections": 0 });
                        let status = ureq::post(&format!("http://{addr}/api/users"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .send_json(body)
                            .expect("create a user")
                            .status();
                        assert_eq!(status.as_u16(), 201, "create {name}");
                    }
                });
            }
        });
    }

    fn metrics(&self) -> BTreeMap<String, f64> {
        let text = ureq::get(&format!("http://{}/metrics", self.addr))
            .header("Authorization", &format!("Bearer {}", self.token("metrics_token")))
            .call()
            .expect("/metrics")
            .body_mut()
            .read_to_string()
            .expect("/metrics body");
        let numbers = text.lines().filter(|l| !l.starts_with('#'));
        numbers
            .filter_map(|l| l.rsplit_once(' ').map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(0.0))))
            .collect()
    }

    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("stat");
        let fields: Vec<&str> = stat.rsplit_once(')').expect("stat").1.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        ticks as f64
            / nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().unwrap_or(100) as f64
    }

    /// (VmRSS, VmHWM) in bytes.
    fn memory(&self) -> (u64, u64) {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        let kib = |key: &str| {
            let line = text.lines().find_map(|l| l.strip_prefix(key)).expect(key);
            line.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap() * 1024
        };
        (kib("VmRSS:"), kib("VmHWM:"))
    }
}

/// One simulated node: connects, then sends a report every second until `stop`; counts
/// the reports it sent and the acks it got.
async fn node(
    addr: String,
    id: String,
    users: Vec<String>,
    stop: Instant,
    sent: Arc<AtomicU64>,
    acks: Arc<AtomicU64>,
) {
    let mut request = format!("ws://{addr}/ipc").into_client_request().expect("request");
    let h = request.headers_mut();
    h.insert(SECRET_HEADER, SECRET.parse().unwrap());
    h.insert(NODE_HEADER, id.parse().unwrap());
    h.insert(PROTOCOL_HEADER, PROTOCOL_VERSION.into());
    h.insert(NODE_RELEASE_HEADER, env!("CARGO_PKG_VERSION").parse().unwrap());
    h.insert(NODE_STARTED_HEADER, wss_panel::domain::now_unix().into());
    let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("connect /ipc");
    let (mut sink, mut stream) = ws.split();
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            if let Message::Text(text) = msg
                && text.contains("\"ack\"")
            {
                acks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let since = wss_panel::domain::now_unix();
    let stats: BTreeMap<String, UserStats> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let ip = format!("10.{}.{}.{}", i / 65_536 % 256, i / 256 % 256, i % 256);
            let s = UserStats {
                speed_up_kbps: 1.0,
                speed_down_kbps: 3.0,
                connections: 1,
                ips: vec![(ip, since)],
                ..Default::default()
            };
            (u.clone(), s)
        })
        .collect();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut seq = 0;
    while Instant::now() < stop {
        ticker.tick().await;
        seq += 1;
        let bytes = users.iter().map(|u| (u.clone(), PER_TICK)).collect();
        let report = StatsReport {
            node_id: id.clone(),
            users: stats.clone(),
            batches: vec![TrafficBatch { seq, bytes }],
            ..Default::default()
        };
        let text = serde_json::to_string(&ProxyToPanel::StatsUpdate(report)).unwrap();
        sink.send(Message::Text(text.into())).await.expect("send a report");
        sent.fetch_add(1, Ordering::Relaxed);
    }
    // The last acks, then close.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = sink.send(Message::Close(None)).await;
    reader.abort();
}

fn main() {
    let a = args();
    let panel = start_panel();
    let names: Vec<String> = (0..a.users).map(|i| format!("u{i:05}")).collect();
    let t = Instant::now();
    panel.create_users(&names);
    println!("{} users created in {:.1} s", a.users, t.elapsed().as_secs_f64());
    let (rss_idle, _) = panel.memory();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let stop = Instant::now() + WARM_UP + Duration::from_secs(a.secs);
    let (sent, acks) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let per_node = a.users.div_ceil(a.nodes);
    let tasks: Vec<_> = names
        .chunks(per_node)
        .enumerate()
        .map(|(i, users)| {
            let id = format!("sim{i}-{}", wss_panel::secure_files::random_hex(4));
            rt.spawn(node(panel.addr.clone(), id, users.to_vec(), stop, sent.clone(), acks.clone()))
        })
        .collect();
    std::thread::sleep(WARM_UP);
    let (cpu0, t0, m0) = (panel.cpu_seconds(), Instant::now(), panel.metrics());
    let mut rss_max = 0;
    while Instant::now() < stop {
        std::thread::sleep(Duration::from_secs(1));
        rss_max = rss_max.max(panel.memory().0);
    }
    let (cpu1, wall) = (panel.cpu_seconds(), t0.elapsed().as_secs_f64());
    let m1 = panel.metrics();
    rt.block_on(async {
        for t in tasks {
            t.await.expect("a node task");
        }
    });
    let end = panel.metrics();
    let (rss_end, hwm) = panel.memory();
    let delta = |k: &str| m1.get(k).copied().unwrap_or(0.0) - m0.get(k).copied().unwrap_or(0.0);
    let (txns, batches) = (delta("wss_traffic_transactions_total"), delta("wss_traffic_batches_total"));
    let reports = sent.load(Ordering::Relaxed);
    let expected = reports * (PER_TICK.0 + PER_TICK.1) * per_node as u64;
    let stored = end["wss_bytes_total{direction=\"up\"}"] + end["wss_bytes_total{direction=\"down\"}"];
    let mib = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "nodes {} x {} users each, {} users, measured {wall:.0} s after a {} s warm-up",
        a.nodes,
        per_node,
        a.users,
        WARM_UP.as_secs()
    );
    println!("panel CPU: {:.1} % of one core", 100.0 * (cpu1 - cpu0) / wall);
    println!(
        "panel memory: VmRSS idle {:.1} MiB, max {:.1} MiB, end {:.1} MiB; VmHWM {:.1} MiB",
        mib(rss_idle),
        mib(rss_max),
        mib(rss_end),
        mib(hwm)
    );
    println!(
        "store: {txns:.0} traffic transactions in {wall:.0} s ({:.2} per second), {batches:.0} node batches ({:.2} per transaction)",
        txns / wall,
        batches / txns.max(1.0)
    );
    println!(
        "reports sent {reports}, acks {}, bytes stored {stored:.0} of {expected} sent",
        acks.load(Ordering::Relaxed)
    );
    assert_eq!(stored as u64, expected, "every byte sent is stored exactly once");
    assert!(txns <= wall + 2.0, "more than one traffic transaction per tick");
}
