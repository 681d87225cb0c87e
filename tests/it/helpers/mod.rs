//! Spawning the real `wss-panel` binary on `127.0.0.1:0` with a temp config and data dir.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_wss-panel");
pub const SECRET: &str = "test-internal-secret-0123456789";

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
        });
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        PanelDir { dir }
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.json")
    }

    pub fn store_path(&self) -> PathBuf {
        self.dir.path().join("data/wss_panel.redb")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("admin_token")).unwrap()
    }

    /// Starts `wss-panel panel` and waits for its `PANEL_LISTENING` line.
    pub fn start(&self) -> Panel {
        let mut child = Command::new(BIN)
            .arg("panel")
            .env("WSS_PANEL_CONFIG", self.config_path())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let addr = wait_for_listening(child.stdout.take().unwrap());
        Panel { child, url: format!("http://{addr}"), token: self.token(), config: self.config_path() }
    }
}

/// Reads stdout until the panel says where it listens; the rest is drained in the background.
fn wait_for_listening(stdout: std::process::ChildStdout) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let (Some(addr), Some(tx)) = (line.split("PANEL_LISTENING\" addr=").nth(1), tx.take()) {
                let _ = tx.send(addr.trim().to_owned());
            }
            if std::env::var_os("WSS_TEST_VERBOSE").is_some() {
                eprintln!("[panel] {line}");
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).expect("the panel did not start listening")
}

pub struct Panel {
    pub child: Child,
    pub url: String,
    pub token: String,
    pub config: PathBuf,
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
        let agent = agent();
        let result = match method {
            "GET" => agent.get(&url).header("Authorization", &auth).call(),
            "DELETE" => agent.delete(&url).header("Authorization", &auth).call(),
            "PATCH" => {
                agent.patch(&url).header("Authorization", &auth).send_json(body.unwrap_or(Value::Null))
            }
            _ => agent.post(&url).header("Authorization", &auth).send_json(body.unwrap_or(Value::Null)),
        };
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
