//! Spawning the real `wss-panel` binary on `127.0.0.1:0` with a temp config and data dir.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
pub const SECRET: &str = "test-internal-secret-0123456789";
/// The panel admin's password in every test panel dir.
pub const ADMIN_PASSWORD: &str = "admin-pass-0123";

/// The suite's one rule for a missing tool or privilege: a failure when
/// `WSS_REQUIRE_TOOLS=1` exactly (CI sets it), a noted skip otherwise.
pub fn tools_required() -> bool {
    std::env::var("WSS_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// A temp dir holding config.json and the data dir; outlives panel restarts.
pub struct PanelDir {
    pub dir: tempfile::TempDir,
}

impl PanelDir {
    pub fn new(extra: Value) -> PanelDir {
        let dir = tempfile::tempdir().unwrap();
        let mut config = serde_json::json!({
            "internal_api_secret": SECRET,
            "panel_port": 0,
            "panel_bind": "127.0.0.1",
            "panel_user": "tunadmin",
            "data_dir": dir.path().join("data"),
            "bcrypt_cost": 4,
            "wss_bind": "127.0.0.1",
            "wss_http_port": 0,
            "wss_tls_port": 0,
            "tls_cert": dir.path().join("cert.pem"),
            "tls_key": dir.path().join("key.pem"),
            "node_name": "test",
            "command_backend": "recording",
            // Off unless a test asks: parallel proxies cannot all have 127.0.0.1:7300.
            "udpgw_port": 0,
        });
        let (cert, key) = wss_panel::proxy::tls::self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
        std::fs::write(dir.path().join("key.pem"), key).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        let hash = bcrypt::non_truncating_hash(ADMIN_PASSWORD, 4).unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join("data/admin_password.hash"), hash).unwrap();
        PanelDir { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("data/wss_panel.redb")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/admin_token")).unwrap()
    }

    /// Starts `wss-panel panel` and waits for its `PANEL_LISTENING` line. The first start
    /// binds a free port and pins it in the config, so restarts and proxies find it.
    pub fn start(&self) -> Panel {
        self.start_with_env(&[])
    }

    /// `start` with extra environment variables for the panel process.
    pub fn start_with_env(&self, env: &[(&str, &str)]) -> Panel {
        let mut command = Command::new(BIN);
        command.arg("panel");
        self.start_panel_command(command, env)
    }

    /// `start` with a prepared command, e.g. under `prlimit`.
    pub fn start_panel_command(&self, command: Command, env: &[(&str, &str)]) -> Panel {
        let (child, line, log) =
            spawn_command_until(command, "panel", &self.config_path(), "PANEL_LISTENING", env);
        let addr = line.split("addr=").nth(1).unwrap().trim().to_owned();
        self.set_config(json!({
            "panel_port": addr.rsplit(':').next().unwrap().parse::<u16>().unwrap(),
            "panel_url": format!("http://{addr}"),
        }));
        Panel { child, url: format!("http://{addr}"), token: self.token(), config: self.config_path(), log }
    }

    /// Starts `wss-panel proxy` (after the panel) and reads where it listens.
    pub fn start_proxy(&self) -> ProxyProcess {
        let mut command = Command::new(BIN);
        command.arg("proxy");
        self.start_proxy_command(command)
    }

    /// `start_proxy` with a prepared command, e.g. run as another user.
    pub fn start_proxy_command(&self, command: Command) -> ProxyProcess {
        let (child, line, log) =
            spawn_command_until(command, "proxy", &self.config_path(), "PROXY_LISTENING", &[]);
        let field = |name: &str| {
            let rest = line.split(&format!("{name}=")).nth(1).unwrap();
            let addr = rest.trim_start_matches("Some(").split([' ', ')']).next().unwrap();
            addr.parse::<std::net::SocketAddr>().unwrap()
        };
        ProxyProcess { child, http: field("http"), tls: field("tls"), log }
    }

    /// Merges keys into config.json.
    pub fn set_config(&self, extra: Value) {
        let path = self.config_path();
        let mut config: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        std::fs::write(&path, config.to_string()).unwrap();
    }
}

/// Every line a child printed so far.
pub type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Spawns `wss-panel ARGS` and reads stdout until a line containing `marker`; the rest is
/// collected in the background.
pub fn spawn_until(
    args: &[&str],
    config: &Path,
    marker: &'static str,
    env: &[(&str, &str)],
) -> (Child, String, Log) {
    let mut command = Command::new(BIN);
    command.args(args);
    spawn_command_until(command, args[0], config, marker, env)
}

/// `spawn_until` for a prepared command (a wrapper such as `setpriv ... BIN proxy`).
pub fn spawn_command_until(
    mut command: Command,
    name: &str,
    config: &Path,
    marker: &'static str,
    env: &[(&str, &str)],
) -> (Child, String, Log) {
    let mut child = command
        .envs(env.iter().copied())
        .env("WSS_PANEL_CONFIG", config)
        .env("RUST_LOG", "info")
        // stderr is left as the command has it (inherited unless a test captures panics).
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let log: Log = Default::default();
    let lines = log.clone();
    let (tx, rx) = mpsc::channel();
    let name = name.to_owned();
    let thread_name = name.clone();
    std::thread::spawn(move || {
        let name = thread_name;
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(marker)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(line.clone());
            }
            if std::env::var_os("WSS_TEST_VERBOSE").is_some() {
                eprintln!("[{name}] {line}");
            }
            lines.lock().unwrap().push(line);
        }
    });
    let line =
        rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{name} never logged {marker}"));
    (child, line, log)
}

pub struct ProxyProcess {
    pub child: Child,
    pub http: std::net::SocketAddr,
    pub tls: std::net::SocketAddr,
    pub log: Log,
}

impl ProxyProcess {
    /// Waits (bounded) until the proxy logged a line containing all of `parts`.
    pub fn wait_for_log(&self, parts: &[&str]) -> String {
        self.wait_for_log_after(0, parts)
    }

    /// Lines logged so far; a mark for `wait_for_log_after`.
    pub fn log_len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Like `wait_for_log`, among the lines after the first `mark` ones.
    pub fn wait_for_log_after(&self, mark: usize, parts: &[&str]) -> String {
        wait_log(&self.log, mark, parts)
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits (bounded) for a line after the first `mark` ones that contains all of `parts`.
pub fn wait_log(log: &Log, mark: usize, parts: &[&str]) -> String {
    wait_for(Duration::from_secs(15), || {
        let log = log.lock().unwrap();
        log.iter().skip(mark).find(|l| parts.iter().all(|p| l.contains(p))).cloned()
    })
    .unwrap_or_else(|| panic!("never logged {parts:?}"))
}

/// Polls `check` every 20 ms until it answers or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct Panel {
    pub child: Child,
    pub url: String,
    pub token: String,
    pub config: PathBuf,
    pub log: Log,
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Panel {
    /// An admin API call with the bearer token.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.request(method, path, body, Some(&self.token))
    }

    pub fn request(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Reply {
        let url = format!("{}{path}", self.url);
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .body(body.map(|b| b.to_string()).unwrap_or_default())
            .unwrap();
        let result = agent().run(request);
        let mut response = result.unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        Reply { status, json: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
    }

    /// `POST /internal/auth` as a proxy would.
    pub fn proxy_auth(&self, username: &str, password: Option<&str>) -> Value {
        let mut response = agent()
            .post(&format!("{}/internal/auth", self.url))
            .header("x-internal-secret", SECRET)
            .send_json(serde_json::json!({ "username": username, "password": password }))
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.body_mut().read_json().unwrap()
    }

    pub fn create_user(&self, name: &str, password: &str, extra: Value) -> Reply {
        let mut body = serde_json::json!({ "username": name, "password": password });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.api("POST", "/api/users", Some(body))
    }

    /// `wss-panel user ...` against this panel, with `stdin` piped in.
    pub fn cli(&self, args: &[&str], stdin: &str) -> Output {
        cli_with_config(&self.config, args, stdin)
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits (bounded) until the panel logged a line containing all of `parts`.
    pub fn wait_for_log(&self, parts: &[&str]) -> String {
        wait_log(&self.log, 0, parts)
    }

    /// The bearer token Prometheus would use (`<data_dir>/metrics_token`).
    pub fn metrics_token(&self) -> String {
        std::fs::read_to_string(self.config.parent().unwrap().join("data/metrics_token")).unwrap()
    }

    /// `GET /metrics` with the metrics token: the Prometheus text.
    pub fn metrics(&self) -> String {
        let auth = format!("Bearer {}", self.metrics_token());
        let mut resp =
            agent().get(&format!("{}/metrics", self.url)).header("Authorization", &auth).call().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.body_mut().read_to_string().unwrap()
    }

    /// One unlabelled sample of the Prometheus text, e.g. `wss_tunnels`.
    pub fn metric(&self, name: &str) -> String {
        let text = self.metrics();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    }

    pub fn audit_total(&self) -> u64 {
        self.api("GET", "/api/audit?limit=1", None).json["total"].as_u64().unwrap()
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn cli_with_config(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("WSS_PANEL_CONFIG", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}
pub mod browser;
pub mod browser_session;
pub mod from_ip;
pub mod net;
pub mod sshd;
