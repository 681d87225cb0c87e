//! `wss-panel user ...` end to end: the CLI binary finds the running panel and its token
//! from the config, prints JSON for scripts, and exits with codes scripts can test.

use crate::helpers::{PanelDir, cli_with_config};
use serde_json::{Value, json};

fn json_of(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn users_are_managed_end_to_end_through_the_cli() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let add = panel.cli(
        &[
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--quota-gb",
            "50",
            "--days",
            "30",
            "--rate-kbps",
            "2048",
            "--max-connections",
            "2",
            "--json",
        ],
        "s3cret-pw\n",
    );
    let alice = json_of(&add);
    assert_eq!(alice["quota_bytes"], 50u64 << 30);
    assert_eq!((alice["rate_kbps"].as_u64(), alice["max_connections"].as_u64()), (Some(2048), Some(2)));
    assert_eq!(panel.proxy_auth("alice", Some("s3cret-pw"))["verdict"], "allow");

    let human = panel.cli(&["user", "show", "alice"], "");
    assert!(String::from_utf8_lossy(&human.stdout).contains("status:          active"));

    let set = json_of(
        &panel.cli(&["user", "set", "alice", "--rate-kbps", "512", "--allow-shell", "true", "--json"], ""),
    );
    assert_eq!((set["rate_kbps"].as_u64(), set["allow_shell"].as_bool()), (Some(512), Some(true)));
    assert_eq!(json_of(&panel.cli(&["user", "pause", "alice", "--json"], ""))["status"], "paused");
    assert_eq!(json_of(&panel.cli(&["user", "resume", "alice", "--json"], ""))["status"], "active");
    let renewed = json_of(&panel.cli(&["user", "renew", "alice", "--days", "10", "--json"], ""));
    assert!(renewed["expires_on"].as_str().is_some());
    assert_eq!(json_of(&panel.cli(&["user", "reset-traffic", "alice", "--json"], ""))["used_bytes"], 0);

    assert!(panel.cli(&["user", "passwd", "alice", "--password-stdin"], "n3w-secret\n").status.success());
    assert_eq!(panel.proxy_auth("alice", Some("s3cret-pw"))["reason"], "bad_credentials");
    assert_eq!(panel.proxy_auth("alice", Some("n3w-secret"))["verdict"], "allow");

    json_of(&panel.cli(&["user", "add", "bob", "--password-stdin", "--json"], "pw-bob-1\n"));
    let list = json_of(&panel.cli(&["user", "list", "--json"], ""));
    let names: Vec<_> = list.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob"]);
    let paused_only = json_of(&panel.cli(&["user", "list", "--status", "paused", "--json"], ""));
    assert_eq!(paused_only, json!([]));

    json_of(&panel.cli(&["user", "delete", "bob", "--json"], ""));
    let list = json_of(&panel.cli(&["user", "list", "--json"], ""));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn cli_errors_have_distinct_exit_codes_and_clear_messages() {
    let dir = PanelDir::new(json!({}));
    let mut panel = dir.start();
    panel.cli(&["user", "add", "carl", "--password-stdin"], "pw-carl-1\n");
    let cases: Vec<(Vec<&str>, &str, i32, &str)> = vec![
        (vec!["user", "add", "carl", "--password-stdin"], "x1-long-pass\n", 73, "already exists"),
        (vec!["user", "show", "ghost"], "", 67, "does not exist"),
        (vec!["user", "add", "Bad", "--password-stdin"], "x1-long-pass\n", 65, "username must be"),
        (vec!["user", "add", "dina", "--password-stdin"], "\n", 65, "must not be empty"),
        (vec!["user", "renew", "carl", "--days", "0"], "", 65, "days must be"),
        (vec!["user", "set", "carl"], "", 64, "nothing to change"),
    ];
    for (args, stdin, code, message) in cases {
        let out = panel.cli(&args, stdin);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // No panel listening: "unavailable".
    panel.kill9();
    let out = panel.cli(&["user", "list"], "");
    assert_eq!(out.status.code(), Some(69), "{}", stderr(&out));
    assert!(stderr(&out).contains("not reachable"));
}

#[test]
fn a_bad_config_exits_64_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, "{\"internal_api_secret\": ").unwrap();
    let out = cli_with_config(&path, &["user", "list"], "");
    assert_eq!(out.status.code(), Some(64));
    assert!(stderr(&out).contains("not valid config JSON"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"internal_api_secret\": ");
    let panel = std::process::Command::new(crate::helpers::BIN)
        .args(["panel", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(panel.status.code(), Some(64));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"internal_api_secret\": ");
}

#[test]
fn without_the_admin_token_the_cli_says_so() {
    let dir = PanelDir::new(json!({}));
    let out = dir.config_path();
    // No panel has run yet, so there is no token file.
    let result = cli_with_config(&out, &["user", "list"], "");
    assert_eq!(result.status.code(), Some(77));
    assert!(stderr(&result).contains("admin token"), "{}", stderr(&result));
}

/// Issue 12 §4: sizes in and out in human units (`0.00 GiB` for 200 KB before), and a size
/// with an unknown unit is refused with exit 65 before anything changes.
#[test]
fn sizes_are_given_and_shown_in_human_units() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let add =
        panel.cli(&["user", "add", "sam", "--password-stdin", "--quota", "500M", "--json"], "pw-sam-1\n");
    assert_eq!(json_of(&add)["quota_bytes"], 500u64 << 20);
    for (given, bytes) in [("1.5G", 3u64 << 29), ("200K", 200 << 10), ("123456", 123_456)] {
        let set = panel.cli(&["user", "set", "sam", "--quota", given, "--json"], "");
        assert_eq!(json_of(&set)["quota_bytes"], bytes, "{given}");
    }
    panel.cli(&["user", "set", "sam", "--quota", "200K"], "");
    let show = String::from_utf8_lossy(&panel.cli(&["user", "show", "sam"], "").stdout).into_owned();
    assert!(show.contains("used / quota:    0 B / 200.00 KiB"), "{show}");
    let list = String::from_utf8_lossy(&panel.cli(&["user", "list"], "").stdout).into_owned();
    assert!(list.lines().any(|l| l.starts_with("sam ") && l.contains(" 0 B ")), "{list}");

    for bad in ["5X", "1.5", "1e3G", "G"] {
        let out = panel.cli(&["user", "set", "sam", "--quota", bad], "");
        assert_eq!(out.status.code(), Some(65), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("--quota: '{bad}' is not a size")), "{}", stderr(&out));
    }
    let out = panel.cli(&["user", "add", "tom", "--password-stdin", "--quota", "9Q"], "pw-tom-1\n");
    assert_eq!(out.status.code(), Some(65), "{}", stderr(&out));
    assert_eq!(json_of(&panel.cli(&["user", "show", "sam", "--json"], ""))["quota_bytes"], 200u64 << 10);
    assert_eq!(panel.cli(&["user", "show", "tom"], "").status.code(), Some(67), "tom was created");
}
