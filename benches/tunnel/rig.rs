//! The system under test: the release `wss-panel panel` and `wss-panel proxy` as child
//! processes with a temp config on 127.0.0.1, one unlimited user, and what the bench reads
//! from them (listening addresses, VmRSS). Children are killed when dropped.

use serde_json::{Value, json};
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
const SECRET: &str = "bench-internal-secret-0123456789";
pub const USER: &str = "bench";
pub const PASSWORD: &str = "pw-bench-1";
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A temp dir with config.json (forwarding to `upstream`), TLS files and the data dir.
pub struct Rig {
    dir: tempfile::TempDir,
    panel: Option<Child>,
    panel_addr: String,
}

/// A running proxy: where it listens and its pid (for /proc).
pub struct Proxy {
    child: Child,
    pub http: SocketAddr,
    pub tls: SocketAddr,
}

impl Rig {
    /// Writes the config, starts the panel, creates the bench user.
    pub fn start(upstream: SocketAddr) -> Rig {
        Rig::start_with(upstream, json!({}))
    }

    /// `start` with config keys merged over the bench's own (e.g. a real bcrypt cost).
    pub fn start_with(upstream: SocketAddr, extra: Value) -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path();
        let (cert, key) = wss_panel::proxy::tls::self_signed(vec!["localhost".into()]).expect("cert");
        std::fs::write(path.join("cert.pem"), cert).expect("write cert");
        std::fs::write(path.join("key.pem"), key).expect("write key");
        let config = json!({
            "internal_api_secret": SECRET,
            "panel_port": 0,
            "panel_bind": "127.0.0.1",
            "panel_user": "benchadmin",
            "data_dir": path.join("data"),
            "bcrypt_cost": 4,
            "wss_bind": "127.0.0.1",
            "wss_http_port": 0,
            "wss_tls_port": 0,
            "tls_cert": path.join("cert.pem"),
            "tls_key": path.join("key.pem"),
            "node_name": "bench",
            "internal_forward_port": upstream.port(),
            // Panel user changes are recorded, never applied to this machine's accounts.
            "command_backend": "recording",
        });
        std::fs::write(path.join("config.json"), config.to_string()).expect("write config");
        let mut rig = Rig { dir, panel: None, panel_addr: String::new() };
        rig.merge_config(extra);
        let (child, line) = rig.spawn("panel", "PANEL_LISTENING");
        rig.panel = Some(child);
        let addr = field(&line, "addr").to_owned();
        let port: u16 = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("panel port");
        rig.merge_config(json!({ "panel_port": port, "panel_url": format!("http://{addr}") }));
        rig.panel_addr = addr;
        rig.add_user(USER, PASSWORD);
        rig
    }

    /// Starts a fresh `wss-panel proxy` and waits until it listens.
    pub fn start_proxy(&self) -> Proxy {
        let (child, line) = self.spawn("proxy", "PROXY_LISTENING");
        let http = field(&line, "http").parse().expect("proxy http address");
        let tls = field(&line, "tls").parse().expect("proxy tls address");
        Proxy { child, http, tls }
    }

    /// The proxy's self-signed certificate (PEM).
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// The proxy's key (PEM), for the TLS ceiling relay.
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    /// `wss-panel NAME` with stdout in `NAME-N.log`; returns once a line contains `marker`.
    fn spawn(&self, name: &str, marker: &str) -> (Child, String) {
        let log = (0..).map(|i| self.dir.path().join(format!("{name}-{i}.log"))).find(|p| !p.exists());
        let log = log.expect("a free log name");
        let mut child = Command::new(BIN)
            .arg(name)
            .env("WSS_PANEL_CONFIG", self.config_path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(File::create(&log).expect("log file")))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn wss-panel");
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.contains(marker)) {
                return (child, line.to_owned());
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Already reaped by try_wait.
                panic!("wss-panel {name} exited with {status}:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("wss-panel {name} never logged {marker}");
    }

    pub fn merge_config(&self, extra: Value) {
        let path = self.config_path();
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("config")).expect("config json");
        for (k, v) in extra.as_object().expect("object") {
            config[k] = v.clone();
        }
        std::fs::write(&path, config.to_string()).expect("write config");
    }

    /// `POST /api/users` with the admin token: no rate limit, no connection limit.
    pub fn add_user(&self, name: &str, password: &str) {
        self.add_user_limited(name, password, 0);
    }

    /// `add_user` with a rate limit of `rate_kbps` KiB/s (0: none).
    pub fn add_user_limited(&self, name: &str, password: &str, rate_kbps: u32) {
        let token = std::fs::read_to_string(self.dir.path().join("data/admin_token")).expect("admin token");
        let body =
            json!({ "username": name, "password": password, "rate_kbps": rate_kbps, "max_connections": 0 });
        let status = ureq::post(&format!("http://{}/api/users", self.panel_addr))
            .header("Authorization", &format!("Bearer {}", token.trim()))
            .send_json(body)
            .expect("create the bench user")
            .status();
        assert_eq!(status.as_u16(), 201, "create the bench user");
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(mut child) = self.panel.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Proxy {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the proxy process, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        rss_bytes(format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU time of process `pid` (all its threads) so far, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = stat.rsplit_once(')').expect("stat format").1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    let per_sec = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().unwrap_or(100);
    ticks as f64 / per_sec as f64
}

fn rss_bytes(status: impl AsRef<Path>) -> u64 {
    let text = std::fs::read_to_string(status).expect("/proc status");
    let kib = text.lines().find_map(|l| l.strip_prefix("VmRSS:")).expect("VmRSS line");
    kib.trim().trim_end_matches("kB").trim().parse::<u64>().expect("VmRSS kB") * 1024
}

/// `name=value` in a log line (value up to the next space; `Some(...)` unwrapped).
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let rest = line.split(&format!("{name}=")).nth(1).unwrap_or_else(|| panic!("no {name}= in {line}"));
    rest.trim_start_matches("Some(").split([' ', ')']).next().unwrap_or_default()
}

/// Raises the soft open-files limit to the hard one; returns the new soft limit.
pub fn raise_nofile_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    hard
}
