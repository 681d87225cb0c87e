//! The acceptance table: hostile arguments against every operation of the real helper, run
//! as root in the sandbox. Every call is refused with 65 (64 for a wrong argument count)
//! and one clear line on stderr, and changes nothing: account files, the helper's list and
//! the firewall are byte-identical after each call.

use super::sandbox::{self, helper, helper_ok, run};
use std::collections::BTreeMap;

const OPERATIONS: &[&str] = &[
    "create-user",
    "set-password",
    "set-crypt-hash",
    "list-accounts",
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
    "set-ports",
    "set-door-ports",
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
fn a_nul_byte_is_refused_by_the_helper_in_every_operand_and_on_stdin() {
    // An argv cannot carry a NUL (the OS refuses it), but the helper's own parser must
    // refuse one wherever it could arrive: in each operation's operand, and in the
    // password read from stdin.
    use wss_panel::system::helper::command_from;
    let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (op, _) in wss_panel::system::command::OPERATIONS {
        let parsed = command_from(&argv(&[op, "alice\0root"]), &mut std::io::empty());
        assert!(parsed.is_err(), "{op} accepted an operand with a NUL: {parsed:?}");
    }
    for password in ["Pass\0word-1", "Pass\0word-1\n", "\0"] {
        let parsed = command_from(&argv(&["set-password", "alice"]), &mut password.as_bytes());
        assert!(parsed.is_err(), "set-password accepted {password:?} on stdin: {parsed:?}");
    }
    let ok = command_from(&argv(&["set-password", "alice"]), &mut "Pass-word-1\n".as_bytes());
    assert!(ok.is_ok(), "the same password without the NUL is accepted: {ok:?}");
    let spawned =
        std::process::Command::new(sandbox::BIN).args(["privileged", "lock", "alice\0root"]).output();
    assert_eq!(spawned.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}

fn watched() -> BTreeMap<String, Vec<u8>> {
    let mut files = sandbox::snapshot(&[sandbox::ACCOUNT_FILES, &[sandbox::STATE_FILE]].concat());
    files.extend(sandbox::our_nft_tables());
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

/// `openssl passwd -6 -salt saltsaltsaltsalt Tun-Pass-1`: well-formed.
const FINE_HASH: &str = "$6$saltsaltsaltsalt$QazxR1tOI9Gx0vZJQTpffVk8TJLRzBnFBfztqaSYeS/H7mVBGPTgNh8LVqZO3BKbTfX6pg3cxG0vUvDWu2ujI0\n";

/// What `set-crypt-hash` must refuse on stdin: anything but one strict `$6$` hash.
fn hostile_hashes() -> Vec<String> {
    let good = FINE_HASH.trim_end();
    let body = &good[good.len() - 86..];
    vec![
        format!("{good}\nroot:{good}\n"),
        format!("!{good}"),
        good.replacen("$6$", "$1$", 1),
        good.replacen("$6$", "$5$", 1),
        format!("$6$rounds=999999999$salt${body}"),
        format!("$6$sa:t${body}"),
        format!("$6$salt${}:0:0::/:/bin/sh", &body[..80]),
        format!("$6$salt${}\0", &body[1..]),
        format!("$6$salt${body}x"),
        format!("$6$${body}"),
        "*".into(),
        "!".into(),
        "".into(),
        "\n".into(),
        "Fine-Pass-1\n".into(),
        "$6$".repeat(500),
    ]
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
            let args: Vec<&str> = match *op {
                "logs" => vec![op, &bad, "10"],
                "set-ports" => vec![op, &bad, "80", "443"],
                "set-door-ports" => vec![op, &bad, "2222"],
                _ => vec![op, &bad],
            };
            // list-accounts takes no operand at all.
            let expected = if *op == "list-accounts" { USAGE } else { REFUSED };
            let stdin = if *op == "set-crypt-hash" { FINE_HASH } else { "Fine-Pass-1\n" };
            assert_refused(expected, &args, Some(stdin), &before);
            calls += 1;
        }
    }
    for lines in ["0", "1001", "-1", "+5", "1e3", "10 ", "ten", ""] {
        assert_refused(REFUSED, &["logs", "wss", lines], None, &before);
    }
    for port in ["65536", "-1", "+7300", "7300 ", "0x1c", "7300/tcp", "1e3"] {
        assert_refused(REFUSED, &["guard-tunnels", port], None, &before);
        assert_refused(REFUSED, &["set-ports", "8443", port, "443"], None, &before);
        assert_refused(REFUSED, &["set-door-ports", "8444", port], None, &before);
    }
    assert_refused(REFUSED, &["set-door-ports", "8444", "8444"], None, &before);
    assert_refused(USAGE, &["set-door-ports", "8444", "8222", "/etc/passwd"], None, &before);
    assert_refused(REFUSED, &["set-ports", "0", "80", "443"], None, &before);
    for pw in ["a\nroot:x:0:0::/:/bin/sh\n", "a\rb\n", "a\0b\n", "a:b\n", "\n", ""] {
        assert_refused(REFUSED, &["set-password", "victim"], Some(pw), &before);
    }
    for hash in hostile_hashes() {
        assert_refused(REFUSED, &["set-crypt-hash", "victim"], Some(&hash), &before);
    }
    // A well-formed hash for an account the helper did not create is refused all the same.
    for name in ["preexist", "sysacct", "root"] {
        assert_refused(REFUSED, &["set-crypt-hash", name], Some(FINE_HASH), &before);
    }
    let listed = helper_ok(&["list-accounts"], None);
    assert_eq!(listed.stdout.lines().map(|l| l.split(' ').next().unwrap()).collect::<Vec<_>>(), ["victim"]);
    assert!(!listed.stdout.contains('$'), "list-accounts shows a hash: {}", listed.stdout);
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
