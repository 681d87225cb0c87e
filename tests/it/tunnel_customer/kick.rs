//! A kick ends everything the user has open (issue 12 §4, the original's `kill_all`): the
//! WSS tunnel and the SSH session it carried, and an SSH session that reached sshd without
//! any proxy (as the 444 stunnel door's shell sessions do), which only killing the
//! account's processes ends. The account stays usable: a kick is not a lock.

use super::{Host, Killed, TOOLS, TUNNEL_PASSWORD, TUNNEL_USER, text};
use crate::helpers::wait_for;
use crate::privileged::sandbox;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_kick_ends_the_tunnel_its_ssh_session_and_sessions_outside_the_proxy() {
    sandbox::scenario_test(
        module_path!(),
        "a_kick_ends_the_tunnel_its_ssh_session_and_sessions_outside_the_proxy",
        true,
        TOOLS,
        inside,
    );
}

/// Processes running as the account (sshd's per-session child runs as the user).
fn processes_of(user: &str) -> usize {
    let out = Command::new("pgrep").args(["-c", "-u", user]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

fn wait_processes(user: &str, at_least: usize) {
    let seen = wait_for(Duration::from_secs(20), || (processes_of(user) >= at_least).then_some(()));
    assert!(seen.is_some(), "{user} never had {at_least} processes");
}

/// `ssh -N` straight to the sshd, no proxy in between.
fn direct_session(host: &Host) -> Command {
    let askpass = host.work.path().join("askpass-direct");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{TUNNEL_PASSWORD}'\n")).unwrap();
    std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let mut ssh = Command::new("ssh");
    ssh.args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
        .args(["-o", "NumberOfPasswordPrompts=1", "-o", "PreferredAuthentications=password"])
        .args(["-o", "LogLevel=ERROR", "-N", "-p", &host.sshd_port.to_string()])
        .arg(format!("{TUNNEL_USER}@127.0.0.1"))
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("DISPLAY")
        .stdin(Stdio::null());
    ssh
}

fn inside() {
    sandbox::enter();
    let host = Host::start(7300);
    assert_eq!(processes_of(TUNNEL_USER), 0);
    let mut tunneled = Killed(host.ssh_command(TUNNEL_USER, TUNNEL_PASSWORD, &["-N"], &[]).spawn().unwrap());
    wait_processes(TUNNEL_USER, 1);
    let mut direct = Killed(direct_session(&host).spawn().unwrap());
    wait_processes(TUNNEL_USER, 2);

    let reply = host.panel.api("POST", &format!("/api/users/{TUNNEL_USER}/kick"), None);
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    for (name, child) in [("tunneled", &mut tunneled), ("direct", &mut direct)] {
        let ended = wait_for(Duration::from_secs(10), || child.0.try_wait().unwrap());
        assert!(ended.is_some(), "the {name} ssh session survived the kick");
    }
    let gone = wait_for(Duration::from_secs(10), || (processes_of(TUNNEL_USER) == 0).then_some(()));
    assert!(gone.is_some(), "processes of {TUNNEL_USER} survived the kick");

    // Not a lock: the customer connects again right away.
    let out = host.ssh(TUNNEL_USER, TUNNEL_PASSWORD, &[], &["id"]);
    assert!(text(&out).contains("This account is currently not available"), "{}", text(&out));
}
