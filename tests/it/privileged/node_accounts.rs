//! Issue 14, "accounts follow users on every node": an enrolled node B (its proxy on
//! 127.0.0.2, pinned TLS to the panel, its `node-agent` running the real root helper in the
//! sandbox's private /etc, which stands for B's own /etc) gets the panel's users as Linux
//! accounts. While B is down a user is created, paused and resumed, another is created and
//! left paused, and one is deleted; when B comes back it reconciles, and B's /etc/shadow
//! holds what the panel holds: the resumed user's `$6$` hash of its password, unlocked; the
//! paused one locked; the deleted one gone; an account the helper did not create untouched.
//! The resumed user then logs in through B's tunnel to a real sshd on B (password checked
//! against B's /etc/shadow), and a wrong password for the same account is refused there. The
//! panel itself records its own host's commands (recording backend): only B's accounts are
//! real here.

use super::sandbox::{self, BIN, helper_list, run};
use crate::helpers::sshd::spawn_sshd;
use crate::helpers::{PanelDir, ProxyProcess, spawn_command_until, wait_for};
use crate::nodes::{TlsPanel, enrol, node_dir, stderr};
use serde_json::json;
use std::process::{Child, Command};
use std::time::Duration;

const TOOLS: &[&str] = &[
    "unshare",
    "mount",
    "useradd",
    "usermod",
    "userdel",
    "chpasswd",
    "gpasswd",
    "groupadd",
    "pkill",
    "pgrep",
    "openssl",
    "ssh",
    "ssh-keygen",
];

#[test]
fn a_node_that_was_down_reconciles_to_the_accounts_the_panel_holds() {
    sandbox::scenario_test(
        module_path!(),
        "a_node_that_was_down_reconciles_to_the_accounts_the_panel_holds",
        false,
        TOOLS,
        inside_outage_and_reconcile,
    );
}

/// The shadow password field of `name`, if the account exists.
fn shadow(name: &str) -> Option<String> {
    let text = std::fs::read_to_string("/etc/shadow").unwrap();
    let prefix = format!("{name}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)?.split(':').next().map(str::to_owned))
}

/// `openssl passwd -6 -salt SALT PASSWORD` with the salt of `field` (a `$6$` hash, maybe
/// behind a lock's `!`): equal to the hash exactly when it is the hash of `password`.
fn matches_password(field: &str, password: &str) -> bool {
    let hash = field.trim_start_matches('!');
    let Some(salt) = hash.strip_prefix("$6$").and_then(|rest| rest.split('$').next()) else {
        return false;
    };
    let out = run("openssl", &["passwd", "-6", "-salt", salt, password]);
    String::from_utf8_lossy(&out.stdout).trim() == hash
}

/// B's agent, or its sshd; killed when dropped.
struct Agent(Child);

/// `ssh tun@tunnel id` through B's proxy: `tunnel_password` for the proxy (checked by the
/// panel), `account_password` for B's sshd (checked against B's /etc/shadow).
fn login_through_b(proxy: &ProxyProcess, work: &std::path::Path, account_password: &str) -> String {
    let (pw, askpass) = (work.join("tunnel-pw"), work.join("askpass"));
    std::fs::write(&pw, "Tun-Pass-1\n").unwrap();
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{account_password}'\n")).unwrap();
    std::fs::set_permissions(&askpass, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let proxy_command =
        format!("{BIN} connect ws://{} --user tun --password-file {}", proxy.http, pw.display());
    let out = Command::new("ssh")
        .args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
        .args(["-o", "NumberOfPasswordPrompts=1", "-o", "PreferredAuthentications=password"])
        .args(["-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR"])
        .arg("-o")
        .arg(format!("ProxyCommand={proxy_command}"))
        .args(["tun@tunnel", "id"])
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("DISPLAY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// B up: its agent and its proxy (which connects to the panel and gets `Reconcile`).
fn start_b(tls: &TlsPanel, node: &PanelDir) -> (Agent, ProxyProcess) {
    let mut command = Command::new(BIN);
    command.arg("node-agent");
    let (agent, _, _) =
        spawn_command_until(command, "node-agent", &node.config_path(), "NODE_AGENT_STARTED", &[]);
    let mark = tls.panel.log.lock().unwrap().len();
    let proxy = node.start_proxy();
    crate::helpers::wait_log(&tls.panel.log, mark, &["NODE_CONNECTED", "node=node-b-"]);
    (Agent(agent), proxy)
}

fn until(what: &str, check: impl Fn() -> bool) {
    let done = wait_for(Duration::from_secs(20), || check().then_some(()));
    assert!(done.is_some(), "{what}: not within 20 s; /etc/shadow tail:\n{}", shadow_tail());
}

fn shadow_tail() -> String {
    let text = std::fs::read_to_string("/etc/shadow").unwrap();
    text.lines().rev().take(5).map(|l| l.split(':').take(2).collect::<Vec<_>>().join(":") + "\n").collect()
}

fn inside_outage_and_reconcile() {
    sandbox::enter();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "preexist"]);
    let foreign = shadow("preexist");
    let work = tempfile::tempdir().unwrap();
    let (sshd, sshd_port) = spawn_sshd(work.path(), "PasswordAuthentication yes\n");
    let _sshd = Agent(sshd);
    let tls = TlsPanel::start(json!({}));
    let panel = &tls.panel;
    assert_eq!(panel.create_user("old", "Old-Pass-1", json!({})).status, 201);
    let node = node_dir("node-b", "127.0.0.2", sshd_port);
    let out = enrol(&node, &tls.https, &tls.token("node-b", "1h"));
    assert!(out.status.success(), "{}", stderr(&out));
    node.set_config(json!({ "command_backend": "direct", "helper_path": BIN }));

    let b = start_b(&tls, &node);
    until("the first reconcile makes old", || {
        shadow("old").is_some_and(|f| matches_password(&f, "Old-Pass-1"))
    });
    assert_eq!(helper_list(), ["old"]);
    // While B is up, a change arrives as it happens.
    assert_eq!(panel.api("POST", "/api/users/old/pause", None).status, 200);
    until("a pause locks old on B", || shadow("old").is_some_and(|f| f.starts_with('!')));
    assert_eq!(panel.api("POST", "/api/users/old/resume", None).status, 200);
    until("a resume unlocks old on B", || shadow("old").is_some_and(|f| f.starts_with("$6$")));

    drop(b);
    assert_eq!(panel.create_user("tun", "Tun-Pass-1", json!({})).status, 201);
    assert_eq!(panel.api("POST", "/api/users/tun/pause", None).status, 200);
    assert_eq!(panel.api("POST", "/api/users/tun/resume", None).status, 200);
    assert_eq!(panel.create_user("held", "Held-Pass-1", json!({ "allow_shell": true })).status, 201);
    assert_eq!(panel.api("POST", "/api/users/held/pause", None).status, 200);
    assert_eq!(panel.api("DELETE", "/api/users/old", None).status, 200);
    std::thread::sleep(Duration::from_millis(300));
    assert!(shadow("tun").is_none() && shadow("old").is_some(), "B changed while it was down");

    let (_agent, proxy_b) = start_b(&tls, &node);
    until("B reconciles", || shadow("old").is_none() && shadow("tun").is_some() && shadow("held").is_some());
    until("tun's hash is its password's, unlocked", || {
        shadow("tun").is_some_and(|f| f.starts_with("$6$") && matches_password(&f, "Tun-Pass-1"))
    });
    let held = shadow("held").unwrap();
    assert!(held.starts_with("!$6$") && matches_password(&held, "Held-Pass-1"), "held: {held}");
    assert!(!matches_password(&held, "Tun-Pass-1"));
    let groups = String::from_utf8_lossy(&run("id", &["-nG", "held"]).stdout).into_owned();
    assert!(groups.split_whitespace().any(|g| g == "shell_users"), "held's groups: {groups}");
    // delete-user takes the name off the helper's list last (after the scratch dirs' sweep).
    until("the helper's list is held and tun", || helper_list() == ["held", "tun"]);
    assert_eq!(shadow("preexist"), foreign, "an account the helper did not create changed");
    let ok = login_through_b(&proxy_b, work.path(), "Tun-Pass-1");
    assert!(ok.contains("This account is currently not available"), "tun's login through B: {ok}");
    let refused = login_through_b(&proxy_b, work.path(), "Held-Pass-1");
    assert!(refused.contains("Permission denied"), "a wrong account password through B: {refused}");
    let spool = std::fs::read_to_string(node.dir.path().join("data/node-accounts.json")).unwrap();
    assert!(!spool.contains("Tun-Pass-1") && !spool.contains("Held-Pass-1"), "a password reached the node");
}
