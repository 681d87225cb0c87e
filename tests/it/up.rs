//! `wss-panel up` as a new user tries it: one command, a printed admin URL and password, the
//! `user` CLI against it, a working tunnel, and a restart that keeps everything.

use crate::helpers::net::{EchoServer, connect, read_exact, read_head, upgrade_head};
use crate::helpers::sshd::free_port;
use crate::helpers::{BIN, cli_with_config, wait_for};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Up {
    child: Child,
    out: Arc<Mutex<Vec<String>>>,
}

impl Up {
    fn start(data: &std::path::Path, ports: (u16, u16, u16), forward: std::net::SocketAddr) -> Up {
        let mut child = Command::new(BIN)
            .arg("up")
            .arg("--data-dir")
            .arg(data)
            .args(["--panel-port", &ports.0.to_string(), "--http-port", &ports.1.to_string()])
            .args(["--tls-port", &ports.2.to_string(), "--forward", &forward.to_string()])
            .env_remove("WSS_PANEL_CONFIG")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out: Arc<Mutex<Vec<String>>> = Default::default();
        let lines = out.clone();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let up = Up { child, out };
        up.wait_line("IPC_CONNECTED");
        up
    }

    fn wait_line(&self, needle: &str) -> String {
        wait_for(Duration::from_secs(30), || {
            self.out.lock().unwrap().iter().find(|l| l.contains(needle)).cloned()
        })
        .unwrap_or_else(|| panic!("`up` never printed {needle:?}: {:?}", self.out.lock().unwrap()))
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn up_prints_the_admin_url_and_password_once_and_serves_tunnels() {
    let echo = EchoServer::start();
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join(".wss-panel-up");
    let ports = (free_port(), free_port(), free_port());
    let up = Up::start(&data, ports, echo.addr);
    let url = up.wait_line("admin panel:");
    assert!(url.contains(&format!("http://127.0.0.1:{}/", ports.0)), "{url}");
    let password = up.wait_line("admin password (shown once):");
    assert!(password.split(':').nth(1).is_some_and(|p| p.trim().len() >= 12), "{password}");
    let hash = std::fs::read_to_string(data.join("admin_password.hash")).unwrap();
    assert!(hash.starts_with("$2b$"));

    let config = data.join("config.json");
    let add =
        cli_with_config(&config, &["user", "add", "trial", "--password-stdin", "--json"], "trial-pass-1\n");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let mut s = connect(format!("127.0.0.1:{}", ports.1).parse().unwrap());
    s.write_all(upgrade_head("trial", "trial-pass-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    s.write_all(b"SSH-2.0-up\r\n").unwrap();
    assert_eq!(read_exact(&mut s, 12), b"SSH-2.0-up\r\n");
    drop(s);
    drop(up);

    // Second start: same config and data, no new password.
    let before = std::fs::read_to_string(&config).unwrap();
    let again = Up::start(&data, ports, echo.addr);
    again.wait_line("admin password: as printed on the first run");
    assert!(!again.out.lock().unwrap().iter().any(|l| l.contains("shown once")));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    let list = cli_with_config(&config, &["user", "list", "--json"], "");
    assert!(String::from_utf8_lossy(&list.stdout).contains("\"trial\""));
}

/// Issue 12 §4: a second `up` with other ports and another `--forward` serves on them (it
/// kept the first run's config silently before) and says which file it changed.
#[test]
fn up_run_again_with_other_ports_applies_them_and_names_the_config() {
    let (first_echo, second_echo) = (EchoServer::start(), EchoServer::start());
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join(".wss-panel-up");
    let first = Up::start(&data, (free_port(), free_port(), free_port()), first_echo.addr);
    drop(first);

    let ports = (free_port(), free_port(), free_port());
    let again = Up::start(&data, ports, second_echo.addr);
    let config = data.canonicalize().unwrap().join("config.json");
    let applied = again.wait_line("applied to");
    assert!(applied.contains(&config.display().to_string()), "{applied}");
    assert!(applied.contains(&format!("-> {}", ports.1)), "{applied}");
    let url = again.wait_line("admin panel:");
    assert!(url.contains(&format!("http://127.0.0.1:{}/", ports.0)), "{url}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(written["wss_http_port"], ports.1);
    assert_eq!(written["internal_forward_port"], second_echo.addr.port());

    // The CLI follows the new panel port; the tunnel goes through the new port to the new sshd.
    let add =
        cli_with_config(&config, &["user", "add", "again", "--password-stdin", "--json"], "again-pass-1\n");
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let mut s = connect(format!("127.0.0.1:{}", ports.1).parse().unwrap());
    s.write_all(upgrade_head("again", "again-pass-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    s.write_all(b"SSH-2.0-up\r\n").unwrap();
    assert_eq!(read_exact(&mut s, 12), b"SSH-2.0-up\r\n");
    drop(s);
    drop(again);

    // The same flags once more: nothing to apply, nothing rewritten.
    let before = std::fs::read_to_string(&config).unwrap();
    let third = Up::start(&data, ports, second_echo.addr);
    assert!(!third.out.lock().unwrap().iter().any(|l| l.contains("applied to")));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
}
