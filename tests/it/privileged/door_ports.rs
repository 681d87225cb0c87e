//! `wss-panel privileged set-door-ports` for real, as root in the sandbox's private /etc, /run
//! and network: the files install.sh renders from its templates, a real sshd and a real
//! stunnel. The service manager is a stand-in (no systemd as PID 1 here): a `systemctl` bound
//! over the real one in the sandbox only, which restarts the daemon of a unit detached and
//! answers 0 at once, as systemd does for `Type=simple` units such as `stunnel@.service`. So
//! the helper has to find out itself whether a door came up.

use super::sandbox::{self, BIN, helper, helper_ok, run};
use serde_json::json;
use std::io::Read;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STUNNEL_CONF: &str = "/etc/stunnel/wss.conf";
const SSHD_CONF: &str = "/etc/ssh/sshd_config_stunnel";
const CONFIG: &str = "/etc/wss-panel/config.json";
const VICTIM: &str = "/etc/victim-file";
const FILES: [&str; 4] = [STUNNEL_CONF, SSHD_CONF, CONFIG, VICTIM];
const PIDS: &str = "/run/fake-systemd";

/// Restarts `sshd_stunnel.service` or `stunnel@wss.service`: stops the daemon it started
/// before, starts the unit's command detached, exits 0 without waiting for it.
const FAKE_SYSTEMCTL: &str = r#"#!/bin/sh
[ "$1" = restart ] || { echo "sandbox systemctl: only restart" >&2; exit 1; }
unit=$2
case "$unit" in
  sshd_stunnel.service) set -- /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config_stunnel ;;
  stunnel@wss.service) set -- /usr/bin/stunnel4 /etc/stunnel/wss.conf ;;
  *) echo "sandbox systemctl: unit $unit not found" >&2; exit 5 ;;
esac
mkdir -p /run/fake-systemd
pidfile=/run/fake-systemd/$unit.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile"); kill "$pid" 2>/dev/null; n=0
  while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
fi
setsid "$@" </dev/null >>"/run/fake-systemd/$unit.log" 2>&1 &
echo $! > "$pidfile"
"#;

#[test]
fn set_door_ports_moves_stunnel_and_its_sshd_and_rolls_back_when_one_fails() {
    sandbox::scenario_test(
        module_path!(),
        "set_door_ports_moves_stunnel_and_its_sshd_and_rolls_back_when_one_fails",
        true,
        &["unshare", "mount", "useradd", "sshd", "stunnel4", "openssl", "ssh-keygen", "systemctl"],
        inside,
    );
}

/// The daemons the stand-in started end with the scenario, whatever its outcome.
struct Daemons;

impl Drop for Daemons {
    fn drop(&mut self) {
        for entry in std::fs::read_dir(PIDS).into_iter().flatten().flatten() {
            let pid = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if let Ok(pid) = pid.trim().parse::<i32>()
                && entry.path().extension().is_some_and(|e| e == "pid")
            {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }
}

fn setup() -> u32 {
    sandbox::private_tmpfs("/run", "755");
    std::fs::create_dir_all("/run/sshd").unwrap();
    run("ssh-keygen", &["-A"]);
    run("useradd", &["--system", "-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    let gid: u32 = sandbox::passwd_entry("tunadmin").unwrap()[3].parse().unwrap();
    std::fs::create_dir("/etc/wss-panel").unwrap();
    chown("/etc/wss-panel", Some(0), Some(gid)).unwrap();
    std::fs::set_permissions("/etc/wss-panel", std::fs::Permissions::from_mode(0o750)).unwrap();
    let (key, cert) = ("/etc/wss-panel/key.pem", "/etc/wss-panel/cert.pem");
    let subject = ["-days", "2", "-subj", "/CN=localhost"];
    run(
        "openssl",
        &[&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert][..], &subject]
            .concat(),
    );
    let out = Command::new(BIN)
        .args(["install-helper", "write-config", "--out", CONFIG, "--panel-user", "tunadmin"])
        .args(["--panel-port", "54321", "--wss-http-port", "80", "--wss-tls-port", "443"])
        .args(["--stunnel-port", "444", "--sshd-stunnel-port", "2222", "--internal-forward-port", "22"])
        .args(["--data-dir", "/var/lib/wss-panel", "--panel-local-port", "54320"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // What install.sh renders (its `render`), with the accept address it picks.
    let render = |t: &str| {
        t.replace("@STUNNEL_PORT@", "444")
            .replace("@SSHD_STUNNEL_PORT@", "2222")
            .replace("@STUNNEL_ACCEPT@", ":::444")
    };
    std::fs::create_dir_all("/etc/stunnel").unwrap();
    std::fs::write(STUNNEL_CONF, render(include_str!("../../../install/templates/stunnel-wss.conf")))
        .unwrap();
    std::fs::write(SSHD_CONF, render(include_str!("../../../install/templates/sshd_config_stunnel")))
        .unwrap();
    std::fs::set_permissions(SSHD_CONF, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write("/etc/fake-systemctl", FAKE_SYSTEMCTL).unwrap();
    std::fs::set_permissions("/etc/fake-systemctl", std::fs::Permissions::from_mode(0o755)).unwrap();
    let systemctl = sandbox::find_tool("systemctl").unwrap();
    run("mount", &["--bind", "/etc/fake-systemctl", systemctl.to_str().unwrap()]);
    std::fs::write(VICTIM, "must stay\n").unwrap();
    gid
}

fn read_all() -> Vec<Vec<u8>> {
    FILES.iter().map(|f| std::fs::read(f).unwrap_or_default()).collect()
}

/// The first bytes a client gets through stunnel (TLS) from the sshd behind it.
fn banner_through_stunnel(port: u16) -> String {
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 7];
    let got = child
        .stdout
        .take()
        .unwrap()
        .read_exact(&mut buf)
        .map(|()| String::from_utf8_lossy(&buf).into_owned());
    let _ = child.kill();
    let _ = child.wait();
    got.unwrap_or_default()
}

fn serves(stunnel: u16) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if banner_through_stunnel(stunnel) == "SSH-2.0" {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn listening(port: u16) -> bool {
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        wss_panel::web::host_metrics::parse_listening(&std::fs::read_to_string(f).unwrap()).contains(&port)
    })
}

/// Refused with `code` and `why`; no file changed (and no door moved).
fn refused(args: &[&str], code: i32, why: &str) {
    let before = read_all();
    let run = helper(args, None);
    assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    assert_eq!(read_all(), before, "{args:?} changed a file");
}

/// A socket bound to 127.0.0.1:`port` without listening (invisible in /proc/net/tcp's
/// listeners, so the helper's check passes) and without SO_REUSEADDR: a daemon's bind fails.
fn blocker(port: u16) -> tokio::net::TcpSocket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    socket
}

fn inside() {
    sandbox::enter();
    let gid = setup();
    let _daemons = Daemons;
    run("systemctl", &["restart", "sshd_stunnel.service"]);
    run("systemctl", &["restart", "stunnel@wss.service"]);
    assert!(serves(444), "the installer's doors did not come up");
    let (stunnel_before, sshd_before, config_before) = (
        std::fs::read_to_string(STUNNEL_CONF).unwrap(),
        std::fs::read_to_string(SSHD_CONF).unwrap(),
        config(),
    );

    helper_ok(&["set-door-ports", "8444", "8222"], None);
    let diff = |a: &str, b: &str| -> Vec<(String, String)> {
        a.lines().zip(b.lines()).filter(|(x, y)| x != y).map(|(x, y)| (x.into(), y.into())).collect()
    };
    let stunnel_after = std::fs::read_to_string(STUNNEL_CONF).unwrap();
    assert_eq!(
        diff(&stunnel_before, &stunnel_after),
        [("accept = :::444", "accept = :::8444"), ("connect = 127.0.0.1:2222", "connect = 127.0.0.1:8222")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(stunnel_before.lines().count(), stunnel_after.lines().count());
    let sshd_after = std::fs::read_to_string(SSHD_CONF).unwrap();
    assert_eq!(diff(&sshd_before, &sshd_after), [("Port 2222".to_owned(), "Port 8222".to_owned())]);
    let mut expected = config_before.clone();
    expected["stunnel_port"] = 8444.into();
    expected["sshd_stunnel_port"] = 8222.into();
    assert_eq!(config(), expected, "config.json: only the two door keys");
    assert!(serves(8444), "no SSH banner through stunnel on the new port");
    assert!(!listening(444) && !listening(2222), "the old ports still listen");

    // Hostile arguments, and ports the panel, the proxy or another program hold.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = other.local_addr().unwrap().port().to_string();
    refused(&["set-door-ports", "0", "8222"], 65, "port");
    refused(&["set-door-ports", "8444x", "8222"], 65, "port");
    refused(&["set-door-ports", "8445", "8445"], 65, "twice");
    refused(&["set-door-ports", "8445"], 64, "set-door-ports takes 2");
    refused(&["set-door-ports", "--conf", "/etc/passwd"], 65, "port");
    refused(&["set-door-ports", "54321", "8223"], 65, "each port must be different");
    refused(&["set-door-ports", "8445", "80"], 65, "each port must be different");
    refused(&["set-door-ports", &taken, "8223"], 65, "in use by another program");
    refused(&["set-door-ports", "8222", "8444"], 65, "in use by another program");
    drop(other);

    // A planted link, a file or a directory the panel could have written.
    let kept = std::fs::read(STUNNEL_CONF).unwrap();
    std::fs::remove_file(STUNNEL_CONF).unwrap();
    symlink(VICTIM, STUNNEL_CONF).unwrap();
    refused(&["set-door-ports", "8445", "8223"], 65, "not root's alone");
    std::fs::remove_file(STUNNEL_CONF).unwrap();
    std::fs::write(STUNNEL_CONF, &kept).unwrap();
    let uid: u32 = sandbox::passwd_entry("tunadmin").unwrap()[2].parse().unwrap();
    chown(SSHD_CONF, Some(uid), Some(gid)).unwrap();
    refused(&["set-door-ports", "8445", "8223"], 65, "not root's alone");
    chown(SSHD_CONF, Some(0), Some(0)).unwrap();
    std::fs::set_permissions("/etc/stunnel", std::fs::Permissions::from_mode(0o775)).unwrap();
    refused(&["set-door-ports", "8445", "8223"], 65, "not root's alone");
    std::fs::set_permissions("/etc/stunnel", std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(serves(8444), "a refusal disturbed the doors");

    // A door that cannot bind its new port: everything goes back and serves again.
    for (stunnel, sshd, failing) in [("9444", "9223", 9444), ("9445", "9222", 9222)] {
        let before = read_all();
        let _held = blocker(failing);
        let run = helper(&["set-door-ports", stunnel, sshd], None);
        assert_eq!(run.code, 70, "{}", run.stderr);
        assert!(run.stderr.contains(&format!("does not listen on port {failing}")), "{}", run.stderr);
        assert!(run.stderr.contains("rolled back") && run.stderr.contains("serve again"), "{}", run.stderr);
        assert_eq!(read_all(), before, "not rolled back");
        assert!(serves(8444), "the old doors do not serve after the roll-back");
        assert!(!listening(9223) && !listening(9222), "a door still listens on its new port");
    }
    assert!(Path::new(VICTIM).is_file() && std::fs::read(VICTIM).unwrap() == b"must stay\n");
    through_the_panel();
}

/// The whole road from Settings: `PUT /api/ports` on a real panel (as root with the `direct`
/// backend, on the installed config.json) → the helper → the daemons; a failure comes back
/// as 502 with the helper's roll-back message, and the old doors serve again.
fn through_the_panel() {
    let data = tempfile::Builder::new().prefix("wss-door-data").tempdir_in("/tmp").unwrap();
    let hash = bcrypt::non_truncating_hash(crate::helpers::ADMIN_PASSWORD, 4).unwrap();
    std::fs::write(data.path().join("admin_password.hash"), hash).unwrap();
    let mut c = config();
    for (key, value) in [
        ("data_dir", json!(data.path())),
        ("command_backend", json!("direct")),
        ("helper_path", json!(BIN)),
        ("panel_port", json!(0)),
        ("panel_bind", json!("127.0.0.1")),
        ("panel_tls", json!(false)),
        ("bcrypt_cost", json!(4)),
    ] {
        c[key] = value;
    }
    std::fs::write(CONFIG, c.to_string()).unwrap();
    let (child, line, log) =
        crate::helpers::spawn_until(&["panel"], Path::new(CONFIG), "PANEL_LISTENING", &[]);
    let url = format!("http://{}", line.split("addr=").nth(1).unwrap().trim());
    let token = std::fs::read_to_string(data.path().join("admin_token")).unwrap();
    let panel = crate::helpers::Panel { child, url, token, config: CONFIG.into(), log };
    assert_eq!(panel.api("GET", "/api/ports", None).json["doors_editable"], true);
    let public = json!({ "host": "vps.example.net", "sni": "", "wss_port": 80, "wss_tls_port": 443,
        "stunnel_port": 8444, "udpgw_port": 7300 });
    assert_eq!(panel.api("PUT", "/api/public-address", Some(public)).status, 200);

    let moved =
        panel.api("PUT", "/api/ports", Some(json!({"stunnel_port": 7444, "sshd_stunnel_port": 7222})));
    assert_eq!(moved.json, json!({"restart": ["stunnel@wss", "sshd_stunnel"], "applied": true}));
    assert!(serves(7444), "no SSH banner through stunnel after the change from the panel");
    let got = panel.api("GET", "/api/ports", None).json;
    assert_eq!((got["stunnel_port"].as_u64(), got["sshd_stunnel_port"].as_u64()), (Some(7444), Some(7222)));
    assert_eq!(panel.api("GET", "/api/public-address", None).json["stunnel_port"], 7444);

    let before = read_all();
    let _held = blocker(6222);
    let failed =
        panel.api("PUT", "/api/ports", Some(json!({"stunnel_port": 6444, "sshd_stunnel_port": 6222})));
    assert_eq!(failed.status, 502, "{:?}", failed.json);
    let error = failed.json["error"].as_str().unwrap();
    assert!(error.contains("still 7444 / 7222") && error.contains("rolled back"), "{error}");
    assert_eq!(read_all(), before, "the panel's failed change left a file changed");
    assert!(serves(7444), "the doors do not serve after the panel's failed change");
    assert_eq!(panel.api("GET", "/api/ports", None).json["stunnel_port"], 7444);
}

fn config() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(CONFIG).unwrap()).unwrap()
}
