//! The proxy as the unit runs it: an unprivileged user with only CAP_NET_BIND_SERVICE,
//! serving ports 80 and 443. Inside a private network namespace (so the host's ports are
//! never touched) and the privileged sandbox.

use crate::helpers::net::{EchoServer, connect, read_exact, read_head, upgrade_head};
use crate::helpers::{BIN, PanelDir};
use crate::privileged::sandbox;
use serde_json::json;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const NOBODY: &[&str] = &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

#[test]
fn an_unprivileged_proxy_with_cap_net_bind_service_serves_ports_80_and_443() {
    sandbox::scenario_test(
        module_path!(),
        "an_unprivileged_proxy_with_cap_net_bind_service_serves_ports_80_and_443",
        true,
        &["unshare", "mount", "ip", "setpriv"],
        inside_low_ports,
    );
}

fn inside_low_ports() {
    sandbox::enter();
    let echo = EchoServer::start();
    let dir = PanelDir::new(
        json!({ "internal_forward_port": echo.addr.port(), "wss_http_port": 80, "wss_tls_port": 443 }),
    );
    // The proxy's user must read its config, key and certificate (the installer does this).
    for (path, mode) in [
        (dir.dir.path().to_owned(), 0o755),
        (dir.config_path(), 0o644),
        (dir.dir.path().join("key.pem"), 0o644),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let panel = dir.start();
    assert_eq!(panel.create_user("tun", "pw-tun-1", json!({})).status, 201);

    // Without the capability the ports are refused.
    let denied = Command::new(NOBODY[0])
        .args(&NOBODY[1..])
        .args([BIN, "proxy"])
        .env("WSS_PANEL_CONFIG", dir.config_path())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&denied.stderr)
    );

    let mut command = Command::new(NOBODY[0]);
    command.args(&NOBODY[1..]).args([
        "--inh-caps=+net_bind_service",
        "--ambient-caps=+net_bind_service",
        BIN,
        "proxy",
    ]);
    let proxy = dir.start_proxy_command(command);
    assert_eq!((proxy.http.port(), proxy.tls.port()), (80, 443));
    let status = std::fs::read_to_string(format!("/proc/{}/status", proxy.child.id())).unwrap();
    assert!(
        status.lines().any(|l| l.starts_with("Uid:") && l.contains("65534")),
        "runs as nobody:\n{status}"
    );
    let mut s = connect(proxy.http);
    s.write_all(upgrade_head("tun", "pw-tun-1").as_bytes()).unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 101"));
    s.write_all(b"SSH-2.0-caps\r\n").unwrap();
    assert_eq!(read_exact(&mut s, 14), b"SSH-2.0-caps\r\n");
}
