//! What a tunnel customer can reach, with real parts inside the privileged sandbox (private
//! /etc, /var and network namespace): the sshd drop-in and the stunnel sshd config come from a
//! staged `install.sh` run, the main sshd runs with the host's base `PasswordAuthentication no`
//! plus that drop-in, the panel (direct backend: the real root helper makes the accounts and
//! applies the tunnel firewall at start) and the proxy run as in production, and OpenSSH logs
//! in through `wss-panel connect`.
//!
//! - [`logins`]: only tunnel accounts get password logins through the tunnel (issue 9, item 3).
//! - [`kick`]: a kick ends the tunnels, their SSH sessions and sessions outside the proxy.
//! - [`loopback`]: a tunnel account cannot open this host's own services, only UDPGW and the
//!   outside (item 12).

mod kick;
mod logins;
mod loopback;
mod outside;

use crate::helpers::sshd::spawn_sshd;
use crate::helpers::{BIN, Panel, PanelDir, ProxyProcess, wait_for};
use crate::install::Stage;
use crate::privileged::sandbox;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const TOOLS: &[&str] = &[
    "unshare",
    "mount",
    "ip",
    "nft",
    "nsenter",
    "useradd",
    "usermod",
    "groupadd",
    "gpasswd",
    "chpasswd",
    "passwd",
    "sshd",
    "ssh",
    "ssh-keygen",
    "visudo",
    "systemd-analyze",
    "stunnel4",
    "openssl",
    "pgrep",
];
/// The group install.sh and the helper give every tunnel account.
pub const TUNNEL_GROUP: &str = "wss_tunnel";
pub const TUNNEL_USER: &str = "tun1";
pub const TUNNEL_PASSWORD: &str = "Tun-Pass-1";

/// A child process killed (and reaped) when the test ends, failed or not.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The installed system in the sandbox, with one tunnel account made through the panel.
pub struct Host {
    pub work: tempfile::TempDir,
    pub stage: Stage,
    pub sshd_port: u16,
    pub panel: Panel,
    pub proxy: ProxyProcess,
    _sshd: Killed,
    _panel_dir: PanelDir,
}

impl Host {
    /// `udpgw_port` goes into config.json (the panel passes it to the helper at start).
    pub fn start(udpgw_port: u16) -> Host {
        Host::start_with(udpgw_port, json!({}))
    }

    /// `start` with more config.json keys (the proxy reads them too).
    pub fn start_with(udpgw_port: u16, extra: serde_json::Value) -> Host {
        let work = tempfile::tempdir().unwrap();
        let stage = Stage::new();
        stage.install_ok(Path::new(BIN));
        if !Path::new("/etc/ssh/ssh_host_ed25519_key").exists() {
            sandbox::run("ssh-keygen", &["-A"]);
        }
        let dropin = std::fs::read_to_string(stage.path("/etc/ssh/sshd_config.d/50-wss-panel.conf")).unwrap();
        // The host's own rules first (passwords off, root allowed with one), then the drop-in.
        let base = "PasswordAuthentication no\nPermitRootLogin yes\nPubkeyAuthentication no\n";
        let (sshd, sshd_port) = spawn_sshd(work.path(), &format!("{base}{dropin}"));
        let mut config = json!({
            "internal_forward_port": sshd_port, "command_backend": "direct", "helper_path": BIN,
            "udpgw_port": udpgw_port,
        });
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        let panel_dir = PanelDir::new(config);
        let panel = panel_dir.start();
        let table = || {
            let out =
                Command::new("nft").args(["list", "table", "inet", "wss_panel_tunnel"]).output().unwrap();
            out.status.success().then_some(())
        };
        assert!(
            wait_for(Duration::from_secs(10), table).is_some(),
            "the panel did not apply the tunnel guard"
        );
        let proxy = panel_dir.start_proxy();
        let created = panel.create_user(TUNNEL_USER, TUNNEL_PASSWORD, json!({}));
        assert_eq!(created.status, 201, "{:?}", created.json);
        // The runner makes the account after the API answers: `passwd -S` fails until then.
        let usable = || {
            let out = Command::new("passwd").args(["-S", TUNNEL_USER]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).filter(|s| *s == "P").map(drop)
        };
        assert!(wait_for(Duration::from_secs(10), usable).is_some(), "the account got its password");
        Host { work, stage, sshd_port, panel, proxy, _sshd: Killed(sshd), _panel_dir: panel_dir }
    }

    pub fn panel_port(&self) -> u16 {
        self.panel.url.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap()
    }

    /// The `ProxyCommand` of a tunnel customer: the proxy authenticates `TUNNEL_USER`.
    fn proxy_command(&self) -> String {
        let pw = self.work.path().join("proxy-pw");
        std::fs::write(&pw, format!("{TUNNEL_PASSWORD}\n")).unwrap();
        format!(
            "{BIN} connect ws://127.0.0.1:{} --user {TUNNEL_USER} --password-file {}",
            self.proxy.http.port(),
            pw.display()
        )
    }

    /// `ssh OPTIONS LOGIN@tunnel COMMAND...` through the tunnel, `password` given by SSH_ASKPASS.
    pub fn ssh_command(&self, login: &str, password: &str, options: &[&str], command: &[&str]) -> Command {
        let askpass = self.work.path().join(format!("askpass-{login}"));
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{password}'\n")).unwrap();
        std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let mut ssh = Command::new("ssh");
        ssh.args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
            .args(["-o", "NumberOfPasswordPrompts=1", "-o", "PreferredAuthentications=password"])
            .args(["-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR"])
            .arg("-o")
            .arg(format!("ProxyCommand={}", self.proxy_command()))
            .args(options)
            .arg(format!("{login}@tunnel"))
            .args(command)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env_remove("DISPLAY")
            .stdin(Stdio::null());
        ssh
    }

    pub fn ssh(&self, login: &str, password: &str, options: &[&str], command: &[&str]) -> Output {
        self.ssh_command(login, password, options, command).output().unwrap()
    }
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
