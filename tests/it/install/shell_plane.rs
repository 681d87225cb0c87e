//! The stunnel shell plane end to end, inside the privileged sandbox (private /etc, /var):
//! the staged install's `sshd_config_stunnel` and `/etc/stunnel/wss.conf` run as their units
//! run them (`sshd -t -f` then `sshd -D -f`, `stunnel4 CONF`), only the ports moved to free
//! loopback ports; accounts are made by the real helper. OpenSSH through TLS: a shell user gets
//! a shell, a user without "Allow Shell" and a paused (locked) user are refused.

use super::{BIN, Stage, text};
use crate::helpers::sshd::free_port;
use crate::helpers::wait_for;
use crate::privileged::sandbox::{self, helper_ok};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const TOOLS: &[&str] = &[
    "unshare",
    "mount",
    "useradd",
    "usermod",
    "chpasswd",
    "gpasswd",
    "groupadd",
    "sshd",
    "ssh",
    "ssh-keygen",
    "openssl",
    "stunnel4",
    "setsid",
    "visudo",
    "systemd-analyze",
    "ss",
];

#[test]
fn a_shell_user_logs_in_over_tls_and_others_are_refused() {
    sandbox::scenario_test(
        module_path!(),
        "a_shell_user_logs_in_over_tls_and_others_are_refused",
        false,
        TOOLS,
        inside,
    );
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(program: &str, args: &[&str], port: u16) -> Killed {
    let child = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let up = wait_for(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).ok());
    assert!(up.is_some(), "{program} did not listen on {port}");
    Killed(child)
}

fn inside() {
    sandbox::enter();
    let stage = Stage::new();
    stage.install_ok(Path::new(BIN));
    if !Path::new("/etc/ssh/ssh_host_ed25519_key").exists() {
        sandbox::run("ssh-keygen", &["-A"]);
    }
    let _ = std::fs::create_dir_all("/run/sshd");

    for (user, password) in
        [("shell1", "Shell-Pass-1"), ("plain1", "Plain-Pass-1"), ("paused1", "Pause-Pass-1")]
    {
        helper_ok(&["create-user", user], None);
        helper_ok(&["set-password", user], Some(&format!("{password}\n")));
    }
    helper_ok(&["grant-shell", "shell1"], None);
    helper_ok(&["grant-shell", "paused1"], None);
    helper_ok(&["lock", "paused1"], None);

    let (sshd_port, tls_port) = (free_port(), free_port());
    let dir = stage.dir.path();
    let sshd_config = std::fs::read_to_string(stage.path("/etc/ssh/sshd_config_stunnel"))
        .unwrap()
        .replace("Port 2222", &format!("Port {sshd_port}"))
        .replace("PidFile /run/sshd_stunnel.pid", &format!("PidFile {}/sshd.pid", dir.display()));
    let sshd_path = dir.join("sshd_config_stunnel");
    std::fs::write(&sshd_path, sshd_config).unwrap();
    let sshd_path = sshd_path.to_str().unwrap();
    sandbox::run("/usr/sbin/sshd", &["-t", "-f", sshd_path]);
    let _sshd = start("/usr/sbin/sshd", &["-D", "-f", sshd_path], sshd_port);

    let stunnel_config = std::fs::read_to_string(stage.path("/etc/stunnel/wss.conf"))
        .unwrap()
        .replace("accept = :::444", &format!("accept = 127.0.0.1:{tls_port}"))
        .replace("connect = 127.0.0.1:2222", &format!("connect = 127.0.0.1:{sshd_port}"))
        .replace("/etc/wss-panel/", &format!("{}/", stage.path("/etc/wss-panel").display()));
    let stunnel_path = dir.join("wss.conf");
    std::fs::write(&stunnel_path, stunnel_config).unwrap();
    let _stunnel = start("stunnel4", &[stunnel_path.to_str().unwrap()], tls_port);

    let login = |user: &str, password: &str| ssh_over_tls(dir, tls_port, user, password);
    let out = login("shell1", "Shell-Pass-1");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && said.contains("(shell1)") && said.contains("shell_users"),
        "{}",
        text(&out)
    );
    for (user, password) in
        [("plain1", "Plain-Pass-1"), ("paused1", "Pause-Pass-1"), ("shell1", "Wrong-Pass-1")]
    {
        let out = login(user, password);
        assert!(!out.status.success() && !text(&out).contains("uid="), "{user} got in:\n{}", text(&out));
        assert!(text(&out).contains("Permission denied"), "{user}: {}", text(&out));
    }
}

/// `ssh -o ProxyCommand='openssl s_client -quiet -connect 127.0.0.1:PORT' USER@host id`, the
/// password given by SSH_ASKPASS.
fn ssh_over_tls(dir: &Path, port: u16, user: &str, password: &str) -> Output {
    let askpass = dir.join(format!("askpass-{user}"));
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{password}'\n")).unwrap();
    std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    Command::new("setsid")
        .args(["-w", "ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "NumberOfPasswordPrompts=1"])
        .args(["-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"])
        .args(["-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR"])
        .arg("-o")
        .arg(format!("ProxyCommand=openssl s_client -quiet -verify_quiet -connect 127.0.0.1:{port}"))
        .arg(format!("{user}@shell-host"))
        .arg("id")
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}
