//! The panel and proxy started the way the generated units start them, from the staged
//! install's files: the panel with `--config /etc/wss-panel/config.json panel`, the proxy with
//! `--config %d/config.json proxy`, where `%d` is the credentials directory into which
//! `LoadCredential=` copies config.json, cert.pem and key.pem. Only ports and the data dir are
//! moved into the test's reach.

use super::{BIN, Stage, TOOLS};
use crate::helpers::sshd::free_port;
use crate::helpers::wait_for;
use crate::privileged::sandbox::ready;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn unit_exec_start(stage: &Stage, unit: &str) -> Vec<String> {
    let text = std::fs::read_to_string(stage.path(&format!("/etc/systemd/system/{unit}"))).unwrap();
    let line = text.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    line.split_whitespace().skip(1).map(str::to_owned).collect()
}

#[test]
fn the_proxy_runs_from_the_credentials_directory_that_wss_service_gives_it() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));
    let work = stage.dir.path();
    let (panel, http, tls) = (free_port(), free_port(), free_port());
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stage.path("/etc/wss-panel/config.json")).unwrap())
            .unwrap();
    for (key, value) in [
        ("panel_port", serde_json::json!(panel)),
        ("wss_http_port", serde_json::json!(http)),
        ("wss_tls_port", serde_json::json!(tls)),
        ("data_dir", serde_json::json!(work.join("data"))),
        ("command_backend", serde_json::json!("recording")),
    ] {
        config[key] = value;
    }
    let etc = stage.path("/etc/wss-panel");
    std::fs::write(etc.join("config.json"), config.to_string()).unwrap();
    // What systemd does for LoadCredential=: copies into a private directory.
    let creds = work.join("credentials");
    std::fs::create_dir(&creds).unwrap();
    for file in ["config.json", "cert.pem", "key.pem"] {
        std::fs::copy(etc.join(file), creds.join(file)).unwrap();
    }

    let panel_args = unit_exec_start(&stage, "wss_panel.service");
    assert_eq!(panel_args, ["--config", "/etc/wss-panel/config.json", "panel"]);
    let proxy_args = unit_exec_start(&stage, "wss.service");
    assert_eq!(proxy_args, ["--config", "%d/config.json", "proxy"]);
    let spawn = |config: &Path, sub: &str| {
        Killed(
            Command::new(BIN)
                .arg("--config")
                .arg(config)
                .arg(sub)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _panel = spawn(&etc.join("config.json"), "panel");
    let up = |port: u16| {
        wait_for(Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).ok())
    };
    assert!(up(panel).is_some(), "panel did not listen");
    let _proxy = spawn(&creds.join("config.json"), "proxy");
    assert!(up(tls).is_some() && up(http).is_some(), "proxy did not listen");

    // TLS on the WSS port serves the installer's certificate.
    let served = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{tls}"), "-servername", "localhost"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let served = String::from_utf8_lossy(&served.stdout).into_owned();
    let staged_cert = std::fs::read_to_string(etc.join("cert.pem")).unwrap();
    let body = |pem: &str| pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    assert!(body(&served).contains(&body(&staged_cert)), "another certificate was served:\n{served}");

    // And the proxy reached the panel's /ipc with the secret from its credentials copy.
    let connected = wait_for(Duration::from_secs(20), || {
        let out =
            Command::new(BIN).arg("--config").arg(etc.join("config.json")).arg("doctor").output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().any(|l| l.starts_with("OK       ipc:")).then_some(())
    });
    assert!(connected.is_some(), "the proxy never connected to /ipc");
}

/// The panel shows and restarts exactly the units install.sh starts (issue 16, defect 2: it
/// named the SysV `stunnel4` while the installer runs `stunnel@wss`).
#[test]
fn the_panel_manages_exactly_the_units_the_installer_starts() {
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/install/install.sh")).unwrap();
    let line = script.lines().find_map(|l| l.strip_prefix("SERVICES=(")).expect("SERVICES=( in install.sh");
    let mut started: Vec<&str> = line.trim_end_matches(')').split_whitespace().collect();
    started.sort_unstable();
    let mut named: Vec<String> = wss_panel::system::Service::ALL.iter().map(|s| s.unit()).collect();
    named.sort_unstable();
    assert_eq!(named, started, "the panel's services and install.sh's SERVICES differ");
    // Every started unit is either written by install.sh or the stunnel4 package's template.
    for unit in started {
        let written =
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/install/templates")).join(unit).exists();
        assert!(written || unit == "stunnel@wss.service", "{unit} is neither a template nor stunnel@");
    }
}
