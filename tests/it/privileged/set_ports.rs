//! `wss-panel privileged set-ports` for real, as root in the sandbox's private /etc: the one
//! way the panel changes its listen ports once `/etc/wss-panel` is root's. It writes only the
//! fixed `/etc/wss-panel/config.json`, only the three port keys, only when that file and its
//! directory are root's alone, and never through a link; refusals change nothing.

use super::sandbox::{self, BIN, helper, helper_ok, run};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown, symlink};
use std::path::Path;

const DIR: &str = "/etc/wss-panel";
const CONFIG: &str = "/etc/wss-panel/config.json";
const VICTIM: &str = "/etc/victim-file";

#[test]
fn set_ports_rewrites_only_roots_config_and_only_the_ports() {
    sandbox::scenario_test(
        module_path!(),
        "set_ports_rewrites_only_roots_config_and_only_the_ports",
        false,
        &["unshare", "mount", "useradd"],
        inside,
    );
}

fn write_config(gid: u32) {
    std::fs::create_dir(DIR).unwrap();
    chown(DIR, Some(0), Some(gid)).unwrap();
    std::fs::set_permissions(DIR, std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["install-helper", "write-config", "--out", CONFIG, "--panel-user", "tunadmin"])
        .args(["--panel-port", "54321", "--wss-http-port", "80", "--wss-tls-port", "443"])
        .args(["--stunnel-port", "444", "--internal-forward-port", "22", "--data-dir", "/var/lib/wss-panel"])
        .args(["--panel-local-port", "54320"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn config() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(CONFIG).unwrap()).unwrap()
}

/// Refused with `code` and a message containing `why`; config.json and the victim unchanged.
fn refused(args: &[&str], code: i32, why: &str) {
    let (config_before, victim_before) = (std::fs::read(CONFIG).ok(), std::fs::read(VICTIM).unwrap());
    let run = helper(args, None);
    assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    assert!(run.stderr.contains(why), "{args:?}: {}", run.stderr);
    assert_eq!(std::fs::read(CONFIG).ok(), config_before, "{args:?} changed config.json");
    assert_eq!(std::fs::read(VICTIM).unwrap(), victim_before, "{args:?} wrote through a link");
}

fn inside() {
    sandbox::enter();
    run("useradd", &["--system", "-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    let uid: u32 = sandbox::passwd_entry("tunadmin").unwrap()[2].parse().unwrap();
    let gid: u32 = sandbox::passwd_entry("tunadmin").unwrap()[3].parse().unwrap();
    std::fs::write(VICTIM, "root:x:0:0 must stay\n").unwrap();
    write_config(gid);
    let before = config();

    helper_ok(&["set-ports", "8443", "8080", "8444"], None);
    let after = config();
    assert_eq!(
        (&after["panel_port"], &after["wss_http_port"], &after["wss_tls_port"]),
        (&8443.into(), &8080.into(), &8444.into())
    );
    let mut expected = before.clone();
    for (k, v) in [("panel_port", 8443), ("wss_http_port", 8080), ("wss_tls_port", 8444)] {
        expected[k] = v.into();
    }
    assert_eq!(after, expected, "every other key is kept");
    let meta = std::fs::metadata(CONFIG).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (0, gid, 0o640),
        "root's, readable by the panel"
    );

    // Arguments: parsed again on the root side.
    refused(&["set-ports", "0", "80", "443"], 65, "port");
    refused(&["set-ports", "70000", "80", "443"], 65, "port");
    refused(&["set-ports", "80x", "80", "443"], 65, "port");
    refused(&["set-ports", "8443", "8080"], 64, "set-ports takes 3");
    refused(&["set-ports", "--out", "/etc/passwd", "1"], 65, "port");
    // The same validation as at start: two listeners on one port.
    refused(&["set-ports", "8080", "8080", "443"], 65, "each port must be different");

    // An install from before root owned the directory (or a file the panel swapped in).
    chown(CONFIG, Some(uid), Some(gid)).unwrap();
    refused(&["set-ports", "1", "2", "3"], 65, "not root's alone");
    chown(CONFIG, Some(0), Some(gid)).unwrap();
    chown(DIR, Some(uid), Some(gid)).unwrap();
    refused(&["set-ports", "1", "2", "3"], 65, "not root's alone");
    chown(DIR, Some(0), Some(gid)).unwrap();
    std::fs::set_permissions(DIR, std::fs::Permissions::from_mode(0o770)).unwrap();
    refused(&["set-ports", "1", "2", "3"], 65, "not root's alone");
    std::fs::set_permissions(DIR, std::fs::Permissions::from_mode(0o750)).unwrap();

    // A link at config.json is never followed.
    let kept = std::fs::read(CONFIG).unwrap();
    std::fs::remove_file(CONFIG).unwrap();
    symlink(VICTIM, CONFIG).unwrap();
    refused(&["set-ports", "1", "2", "3"], 65, "not root's alone");
    std::fs::remove_file(CONFIG).unwrap();
    std::fs::write(CONFIG, &kept).unwrap();
    assert!(Path::new(CONFIG).is_file());
    helper_ok(&["set-ports", "54321", "80", "443"], None);
    assert_eq!(config()["panel_port"], 54321);
}
