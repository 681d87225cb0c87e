//! The whole system with real parts: `wss-panel panel` (direct backend: the real root helper
//! creates and locks Linux accounts) + `wss-panel proxy` + a real sshd with password logins +
//! OpenSSH through `wss-panel connect`. Runs inside the private /etc, /var and network
//! namespace of the privileged sandbox, so the host's accounts and firewall are never touched.

use crate::helpers::net::{status_of, upgrade_head};
use crate::helpers::sshd::spawn_sshd;
use crate::helpers::{PanelDir, wait_for};
use crate::privileged::sandbox;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOOLS: &[&str] = &[
    "unshare", "mount", "ip", "nft", "useradd", "usermod", "chpasswd", "passwd", "pkill", "sshd", "ssh",
    "setsid",
];

/// An sshd for password logins on a loopback port (the tunnel customers' sshd).
fn start_sshd(dir: &Path) -> (KillOnDrop, u16) {
    let (child, port) = spawn_sshd(dir, "PasswordAuthentication yes\nPubkeyAuthentication no\n");
    (KillOnDrop(child), port)
}

/// sshd must not outlive a failed test: the sandbox waits for its output to close.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ssh USER@tunnel COMMAND` through `wss-panel connect`, the password from SSH_ASKPASS.
fn ssh(dir: &Path, proxy_port: u16, user: &str, password: &str, command: &str) -> Output {
    let askpass = dir.join("askpass");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{password}'\n")).unwrap();
    std::fs::write(dir.join("pw"), format!("{password}\n")).unwrap();
    Command::new("chmod").arg("700").arg(&askpass).status().unwrap();
    let proxy_command = format!(
        "{} connect ws://127.0.0.1:{proxy_port} --user {user} --password-file {}",
        crate::helpers::BIN,
        dir.join("pw").display()
    );
    Command::new("setsid")
        .args([
            "-w",
            "ssh",
            "-F",
            "/dev/null",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args([
            "-o",
            "NumberOfPasswordPrompts=1",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "LogLevel=ERROR",
        ])
        .arg("-o")
        .arg(format!("ProxyCommand={proxy_command}"))
        .arg(format!("{user}@tunnel"))
        .arg(command)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `passwd -S`'s second field: P (usable password), L (locked), NP.
fn passwd_status(user: &str) -> String {
    let out = Command::new("passwd").args(["-S", user]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).unwrap_or("").to_owned()
}

fn wait_passwd(user: &str, want: &str) {
    let ok = wait_for(Duration::from_secs(10), || (passwd_status(user) == want).then_some(()));
    assert!(ok.is_some(), "passwd -S {user} is {:?}, expected {want}", passwd_status(user));
}

#[test]
fn a_user_created_through_the_api_logs_in_over_the_tunnel_and_the_limits_bite() {
    sandbox::scenario_test(
        module_path!(),
        "a_user_created_through_the_api_logs_in_over_the_tunnel_and_the_limits_bite",
        // The panel applies the tunnel firewall at start: in a private network namespace.
        true,
        TOOLS,
        inside_whole_system,
    );
}

fn inside_whole_system() {
    sandbox::enter();
    let work = tempfile::tempdir().unwrap();
    let (_sshd, sshd_port) = start_sshd(work.path());
    let dir = PanelDir::new(json!({
        "internal_forward_port": sshd_port, "command_backend": "direct", "helper_path": crate::helpers::BIN,
    }));
    let panel = dir.start();
    let proxy = dir.start_proxy();
    let port = proxy.http.port();
    let created = panel.create_user("e2euser", "E2e-pass-1", json!({ "allow_shell": true }));
    assert_eq!(created.status, 201, "{:?}", created.json);
    // Created, password set, shell granted: the last step shows in /etc/passwd.
    let shell = || {
        let out = Command::new("getent").args(["passwd", "e2euser"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().ends_with(":/bin/bash").then_some(())
    };
    assert!(wait_for(Duration::from_secs(10), shell).is_some(), "the account got its shell");
    wait_passwd("e2euser", "P");

    let out = ssh(work.path(), port, "e2euser", "E2e-pass-1", "id -un");
    assert!(out.status.success(), "ssh failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "e2euser");
    // Wait until every batch of that session is stored: the total stops moving.
    let used_now = || panel.api("GET", "/api/users/e2euser", None).json["used_bytes"].as_u64().unwrap();
    let mut last = 0;
    let used = wait_for(Duration::from_secs(20), || {
        std::thread::sleep(Duration::from_millis(1500));
        let now = used_now();
        let settled = now > 1000 && now == last;
        last = now;
        settled.then_some(now)
    })
    .expect("the SSH session's bytes reached the store");

    // Quota below usage: exceeded, locked, refused with the reason.
    let reply = panel.api("PATCH", "/api/users/e2euser", Some(json!({ "quota_bytes": used / 2 })));
    assert_eq!(reply.json["status"], "exceeded");
    wait_passwd("e2euser", "L");
    assert_eq!(status_of(proxy.http, &upgrade_head("e2euser", "E2e-pass-1")), "HTTP/1.1 403 Quota Exceeded");
    // Reset (and lift the quota): active and unlocked, logs in again.
    assert_eq!(panel.api("POST", "/api/users/e2euser/reset-traffic", None).json["status"], "active");
    panel.api("PATCH", "/api/users/e2euser", Some(json!({ "quota_bytes": 0 })));
    wait_passwd("e2euser", "P");
    assert!(ssh(work.path(), port, "e2euser", "E2e-pass-1", "true").status.success());

    // The fuse: a fast download trips it within two seconds; the account is locked.
    panel.api("PUT", "/api/settings", Some(json!({ "fuse_threshold_kbps": 1024 })));
    let started = Instant::now();
    let out = ssh(work.path(), port, "e2euser", "E2e-pass-1", "head -c 400000000 /dev/zero");
    let took = started.elapsed();
    assert!(!out.status.success() || out.stdout.len() < 400_000_000, "the transfer was cut");
    let fused = wait_for(Duration::from_secs(5), || {
        (panel.api("GET", "/api/users/e2euser", None).json["status"] == "fused").then_some(())
    });
    assert!(fused.is_some(), "fused");
    assert!(took < Duration::from_secs(10), "the tunnel was closed after {took:?}");
    wait_passwd("e2euser", "L");
    panel.wait_for_log(&["USER_FUSED", "e2euser"]);
}
