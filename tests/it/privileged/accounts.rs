//! A tunnel account's whole life through the real helper, as root in the sandbox: create,
//! password, lock, unlock, shell access, kill, delete; and the accounts the helper did not
//! create stay out of its reach.

use super::sandbox::{self, helper, helper_list, helper_ok, passwd_entry, password_status, run};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};

const TOOLS: &[&str] = &[
    "unshare", "mount", "useradd", "usermod", "userdel", "chpasswd", "gpasswd", "groupadd", "pkill", "pgrep",
    "passwd",
];

#[test]
fn accounts_go_through_their_whole_life_in_a_private_etc() {
    sandbox::scenario_test(
        module_path!(),
        "accounts_go_through_their_whole_life_in_a_private_etc",
        false,
        TOOLS,
        inside_account_life,
    );
}

#[test]
fn accounts_the_helper_did_not_create_are_out_of_reach() {
    sandbox::scenario_test(
        module_path!(),
        "accounts_the_helper_did_not_create_are_out_of_reach",
        false,
        TOOLS,
        inside_foreign_accounts,
    );
}

fn shadow_hash(name: &str) -> String {
    std::fs::read_to_string("/etc/shadow")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
        .and_then(|rest| rest.split(':').next().map(str::to_owned))
        .unwrap()
}

fn groups_of(name: &str) -> Vec<String> {
    let out = run("id", &["-nG", name]);
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(str::to_owned).collect()
}

/// `sleep 300` running as the account.
fn process_of(name: &str) -> Child {
    let fields = passwd_entry(name).unwrap();
    let (uid, gid) = (fields[2].parse().unwrap(), fields[3].parse().unwrap());
    Command::new("sleep").arg("300").uid(uid).gid(gid).spawn().unwrap()
}

fn killed(mut child: Child) -> bool {
    child.wait().unwrap().signal() == Some(9)
}

fn inside_account_life() {
    sandbox::enter();
    helper_ok(&["create-user", "tun1"], None);
    let entry = passwd_entry("tun1").unwrap();
    assert_eq!(entry[6], "/usr/sbin/nologin");
    assert!(!std::path::Path::new(&entry[5]).exists(), "a home was created");
    assert_eq!(helper_list(), ["tun1"]);
    assert_eq!(helper(&["create-user", "tun1"], None).code, 65);

    let unset = shadow_hash("tun1");
    helper_ok(&["set-password", "tun1"], Some("Tun-Pass-1\n"));
    assert_ne!(shadow_hash("tun1"), unset);
    assert_eq!(password_status("tun1"), "P");
    helper_ok(&["lock", "tun1"], None);
    assert_eq!(password_status("tun1"), "L");
    helper_ok(&["unlock", "tun1"], None);
    assert_eq!(password_status("tun1"), "P");

    for _ in 0..2 {
        helper_ok(&["grant-shell", "tun1"], None);
        assert_eq!(passwd_entry("tun1").unwrap()[6], "/bin/bash");
        assert!(groups_of("tun1").contains(&"shell_users".to_owned()));
        // issue 16, defect 9: a shell user logs in to a home of its own.
        let home = std::fs::metadata("/home/tun1").expect("grant-shell made no home");
        let entry = passwd_entry("tun1").unwrap();
        assert_eq!(entry[5], "/home/tun1");
        assert_eq!(home.uid().to_string(), entry[2]);
        assert_eq!(home.mode() & 0o777, 0o700);
    }
    for _ in 0..2 {
        helper_ok(&["revoke-shell", "tun1"], None);
        assert_eq!(passwd_entry("tun1").unwrap()[6], "/usr/sbin/nologin");
        assert!(!groups_of("tun1").contains(&"shell_users".to_owned()));
    }

    helper_ok(&["kill-user", "tun1"], None);
    let sleeper = process_of("tun1");
    helper_ok(&["kill-user", "tun1"], None);
    assert!(killed(sleeper), "kill-user left the process alive");

    let sleeper = process_of("tun1");
    helper_ok(&["delete-user", "tun1"], None);
    assert!(killed(sleeper));
    assert_eq!(passwd_entry("tun1"), None);
    assert!(!std::fs::read_to_string("/etc/group").unwrap().contains("tun1"));
    assert!(helper_list().is_empty());
    assert_eq!(helper(&["lock", "tun1"], None).code, 65);

    // An account someone removed behind the helper's back is forgotten without error.
    helper_ok(&["create-user", "tun2"], None);
    run("userdel", &["tun2"]);
    helper_ok(&["delete-user", "tun2"], None);
    assert!(helper_list().is_empty());
}

fn inside_foreign_accounts() {
    sandbox::enter();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "preexist"]);
    run("useradd", &["--system", "-M", "sysacct"]);
    helper_ok(&["create-user", "mine"], None);
    let before = sandbox::snapshot(sandbox::ACCOUNT_FILES);
    for name in ["preexist", "sysacct"] {
        let out = helper(&["create-user", name], None);
        assert_eq!(out.code, 65, "{out:?}");
        assert!(out.stderr.contains("already exists"), "{}", out.stderr);
        for op in
            ["set-password", "lock", "unlock", "delete-user", "grant-shell", "revoke-shell", "kill-user"]
        {
            let out = helper(&[op, name], Some("Some-Pass-1\n"));
            assert_eq!(out.code, 65, "{op} {name}: {out:?}");
            assert!(out.stderr.contains("not created by wss-panel"), "{}", out.stderr);
        }
    }
    // Even on the list, a system uid is refused (the list is a second line of defence).
    std::fs::write(sandbox::STATE_FILE, "mine\nsysacct\n").unwrap();
    let out = helper(&["lock", "sysacct"], None);
    assert_eq!(out.code, 65, "{out:?}");
    assert!(out.stderr.contains("system uid"), "{}", out.stderr);
    // A tampered list stops the helper instead of being trusted.
    std::fs::write(sandbox::STATE_FILE, "mine\nroot\n").unwrap();
    assert_eq!(helper(&["lock", "mine"], None).code, 70);
    assert_eq!(sandbox::snapshot(sandbox::ACCOUNT_FILES), before);
}
