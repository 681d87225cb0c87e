//! Proxy nodes on other "hosts": a panel serving HTTPS with its own certificate, and proxies
//! each bound to its own loopback address (127.0.0.2, 127.0.0.3), with its own config dir,
//! node name and node secret from `wss-panel node enrol`, pinning the panel's certificate.

mod enrol;
mod health;
mod kick;
mod limits;
mod protocol;
mod skew;
mod store_ticks;
mod two_nodes;
mod view;

use crate::helpers::{Panel, PanelDir, cli_with_config, spawn_until};
use serde_json::{Value, json};
use std::process::Output;

/// A panel on TLS (its listener on 127.0.0.1) plus the plain loopback listener the admin
/// CLI uses; its clock can be moved with `clock_file`.
pub struct TlsPanel {
    pub dir: PanelDir,
    pub panel: Panel,
    /// `https://127.0.0.1:PORT`, what nodes enrol with.
    pub https: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl TlsPanel {
    pub fn start(extra: Value) -> TlsPanel {
        let local = free_port();
        let mut config = json!({ "panel_tls": true, "panel_local_port": local });
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        let dir = PanelDir::new(config);
        let clock = dir.dir.path().join("clock");
        std::fs::write(&clock, "0").unwrap();
        let clock_env = [("WSS_PANEL_TEST_CLOCK_FILE", clock.to_str().unwrap())];
        let (child, line, log) = spawn_until(&["panel"], &dir.config_path(), "PANEL_LISTENING", &clock_env);
        let addr = line.split("addr=").nth(1).unwrap().trim().to_owned();
        let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
        let local_url = format!("http://127.0.0.1:{local}");
        dir.set_config(json!({ "panel_port": port, "panel_url": local_url }));
        let panel = Panel { child, url: local_url, token: dir.token(), config: dir.config_path(), log };
        TlsPanel { dir, panel, https: format!("https://{addr}") }
    }

    /// Moves the panel's clock `secs` ahead.
    pub fn advance_clock(&self, secs: i64) {
        std::fs::write(self.dir.dir.path().join("clock"), secs.to_string()).unwrap();
    }

    /// `wss-panel node token --name NAME --expires EXPIRES` on the panel's host: the token.
    pub fn token(&self, name: &str, expires: &str) -> String {
        let out = self.panel.cli(&["node", "--json", "token", "--name", name, "--expires", expires], "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        answer["token"].as_str().unwrap().to_owned()
    }
}

/// A node's own config dir: its proxy on `bind` (an address of its own), forwarding to
/// `forward_port`, with a local internal secret that is not the panel's.
pub fn node_dir(name: &str, bind: &str, forward_port: u16) -> PanelDir {
    PanelDir::new(json!({
        "node_name": name,
        "wss_bind": bind,
        "internal_forward_port": forward_port,
        "internal_api_secret": format!("{name}-own-local-secret-0123456789"),
        "panel_url": "http://127.0.0.1:9",
    }))
}

/// `wss-panel node enrol --panel URL --token T` with the node's config.
pub fn enrol(node: &PanelDir, panel_url: &str, token: &str) -> Output {
    cli_with_config(&node.config_path(), &["node", "enrol", "--panel", panel_url, "--token", token], "")
}

pub fn config_of(dir: &PanelDir) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.config_path()).unwrap()).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
