//! The acceptance table: hostile arguments against every operation of the real helper, run
//! as root in the sandbox. Every call is refused with 65 (64 for a wrong argument count)
//! and one clear line on stderr, and changes nothing: account files, the helper's list and
//! the firewall are byte-identical after each call.

use super::sandbox::{self, helper, helper_ok, run};
use std::collections::BTreeMap;

const OPERATIONS: &[&str] = &[
    "create-user",
    "set-password",
    "lock",
    "unlock",
    "delete-user",
    "grant-shell",
    "revoke-shell",
    "kill-user",
    "ban-ip",
    "unban-ip",
    "restart",
    "logs",
    "is-active",
    "guard-tunnels",
];

const TOOLS: &[&str] = &["unshare", "mount", "ip", "useradd", "nft"];

#[test]
fn hostile_arguments_are_refused_by_every_operation_and_change_nothing() {
    sandbox::scenario_test(
        module_path!(),
        "hostile_arguments_are_refused_by_every_operation_and_change_nothing",
        true,
        TOOLS,
        inside_hostile_table,
    );
}

#[test]
fn the_table_covers_every_operation_the_helper_has() {
    let known: Vec<&str> = wss_panel::system::command::OPERATIONS.iter().map(|(op, _)| *op).collect();
    assert_eq!(known, OPERATIONS);
}

#[test]
fn a_nul_byte_cannot_even_reach_the_helper() {
    let spawned =
        std::process::Command::new(sandbox::BIN).args(["privileged", "lock", "alice\0root"]).output();
    assert_eq!(spawned.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}

fn watched() -> BTreeMap<String, Vec<u8>> {
    let mut files = sandbox::snapshot(&[sandbox::ACCOUNT_FILES, &[sandbox::STATE_FILE]].concat());
    files.insert("nft".into(), run("nft", &["list", "ruleset"]).stdout);
    files
}

/// Every operand that no operation may accept.
fn hostile_operands() -> Vec<String> {
    let mut all: Vec<String> = [
        "-o",
        "root",
        "alice,root",
        "../x",
        "a b",
        "a\nb",
        "sysacct",
        "preexist",
        "daemon",
        "nobody",
        "0.0.0.0/0",
        "::/0",
        "127.0.0.1",
        "",
        "--help",
        "*",
        "$(id)",
        "wss;reboot",
    ]
    .map(str::to_owned)
    .to_vec();
    all.push("a".repeat(33));
    all
}

const REFUSED: i32 = 65;
const USAGE: i32 = 64;

fn assert_refused(expected: i32, args: &[&str], stdin: Option<&str>, before: &BTreeMap<String, Vec<u8>>) {
    let out = helper(args, stdin);
    assert_eq!(out.code, expected, "{args:?} was not refused: {out:?}");
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line expected: {:?}", out.stderr);
    let word = if expected == REFUSED { "refused: " } else { "usage: " };
    assert!(lines[0].contains(word), "{args:?}: {}", lines[0]);
    assert!(watched() == *before, "{args:?} changed something");
}

fn inside_hostile_table() {
    sandbox::enter();
    run("useradd", &["-M", "-s", "/usr/sbin/nologin", "preexist"]);
    run("useradd", &["--system", "-M", "sysacct"]);
    helper_ok(&["create-user", "victim"], None);
    helper_ok(&["set-password", "victim"], Some("Victim-Pass-1\n"));
    let before = watched();

    let mut calls = 0;
    for op in OPERATIONS {
        for bad in hostile_operands() {
            let args: Vec<&str> = if *op == "logs" { vec![op, &bad, "10"] } else { vec![op, &bad] };
            assert_refused(REFUSED, &args, Some("Fine-Pass-1\n"), &before);
            calls += 1;
        }
    }
    for lines in ["0", "1001", "-1", "+5", "1e3", "10 ", "ten", ""] {
        assert_refused(REFUSED, &["logs", "wss", lines], None, &before);
    }
    for port in ["65536", "-1", "+7300", "7300 ", "0x1c", "7300/tcp", "1e3"] {
        assert_refused(REFUSED, &["guard-tunnels", port], None, &before);
    }
    for pw in ["a\nroot:x:0:0::/:/bin/sh\n", "a\rb\n", "a\0b\n", "a:b\n", "\n", ""] {
        assert_refused(REFUSED, &["set-password", "victim"], Some(pw), &before);
    }
    for usage in [
        &[][..],
        &["lock"],
        &["lock", "victim", "extra"],
        &["shell"],
        &["exec", "/bin/sh"],
        &["sh", "-c", "id"],
        &["ban-ip", "203.0.113.7", "203.0.113.8"],
    ] {
        assert_refused(USAGE, usage, None, &before);
    }
    eprintln!("{calls} hostile calls refused");
}
