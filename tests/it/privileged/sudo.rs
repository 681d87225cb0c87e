//! The sudoers rule: `visudo` accepts it, and with it installed (in the sandbox's private
//! /etc) the panel user can run the helper's operations as root, and nothing else.

use super::sandbox::{self, BIN, helper_list, passwd_entry, password_status, run};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

fn print_sudoers(user: &str, helper_path: &str) -> Output {
    Command::new(BIN)
        .args(["privileged", "--print-sudoers", user, "--helper-path", helper_path])
        .output()
        .unwrap()
}

fn visudo_check(path: &std::path::Path) -> Output {
    Command::new("visudo").args(["-c", "-f"]).arg(path).output().unwrap()
}

#[test]
fn the_printed_sudoers_rule_passes_visudo() {
    if !sandbox::ready(&["visudo"]) {
        return;
    }
    let out = print_sudoers("admin", "/usr/local/bin/wss-panel");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rules: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(rules, ["admin ALL=(root) NOPASSWD: /usr/local/bin/wss-panel privileged *"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("99-wss-panel");
    std::fs::write(&file, &text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o440)).unwrap();
    let checked = visudo_check(&file);
    assert!(checked.status.success(), "{checked:?}");
    // visudo really checks: a broken rule fails.
    std::fs::write(&file, "admin ALL=(root NOPASSWD: /x\n").unwrap();
    assert!(!visudo_check(&file).status.success());
}

#[test]
fn print_sudoers_refuses_root_and_odd_paths() {
    for (user, path) in [
        ("root", "/usr/local/bin/wss-panel"),
        ("ALL", "/usr/local/bin/wss-panel"),
        ("admin", "/bin/sh, /usr/bin/x"),
        ("admin", "wss-panel"),
    ] {
        let out = print_sudoers(user, path);
        assert_eq!(out.status.code(), Some(65), "{user} {path}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_panel_user_reaches_the_helper_through_sudo_and_nothing_else() {
    sandbox::scenario_test(
        module_path!(),
        "the_panel_user_reaches_the_helper_through_sudo_and_nothing_else",
        false,
        &["unshare", "mount", "sudo", "visudo", "runuser", "useradd"],
        inside_sudo_rule,
    );
}

/// `runuser -u tunadmin -- ARGS` with `stdin`.
fn as_panel_user(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new("runuser")
        .args(["-u", "tunadmin", "--"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn inside_sudo_rule() {
    sandbox::enter();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    let rule = print_sudoers("tunadmin", BIN);
    assert!(rule.status.success(), "{rule:?}");
    std::fs::write("/etc/sudoers.d/99-wss-panel", &rule.stdout).unwrap();
    let mode = std::fs::Permissions::from_mode(0o440);
    std::fs::set_permissions("/etc/sudoers.d/99-wss-panel", mode).unwrap();
    run("visudo", &["-c"]);

    let ok = as_panel_user(&["sudo", "-n", "--", BIN, "privileged", "create-user", "viasudo"], "");
    assert!(ok.status.success(), "{ok:?}");
    assert!(passwd_entry("viasudo").is_some());
    assert_eq!(helper_list(), ["viasudo"]);
    let pw = as_panel_user(&["sudo", "-n", BIN, "privileged", "set-password", "viasudo"], "Via-Sudo-1\n");
    assert!(pw.status.success(), "{pw:?}");
    assert_eq!(password_status("viasudo"), "P");

    let refused = as_panel_user(&["sudo", "-n", BIN, "privileged", "lock", "root"], "");
    assert_eq!(refused.status.code(), Some(65), "{refused:?}");
    for escape in [
        &["sudo", "-n", "/bin/sh", "-c", "id"][..],
        &["sudo", "-n", BIN, "panel"],
        &["sudo", "-n", BIN, "--config", "/tmp/x", "privileged", "lock", "viasudo"],
        &["sudo", "-n", "-u", "root", "-s"],
        &["sudo", "-n", "-E", BIN, "privileged", "lock", "viasudo"],
    ] {
        let out = as_panel_user(escape, "");
        assert_eq!(out.status.code(), Some(1), "{escape:?} was allowed: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("sudo:"), "{out:?}");
    }
    // Without sudo the helper does nothing.
    let direct = as_panel_user(&[BIN, "privileged", "lock", "viasudo"], "");
    assert_eq!(direct.status.code(), Some(77), "{direct:?}");
    assert_eq!(password_status("viasudo"), "P");
}
