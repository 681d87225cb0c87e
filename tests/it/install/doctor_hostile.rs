//! A compromised panel rewrites config.json (its own file) and waits for the admin to run
//! `sudo wss-panel doctor`. Doctor must take neither the account it acts as nor the program it
//! runs from that file: with `panel_user: root` (or any uid-0 alias) the config is refused,
//! and with another account that has sudo rights plus a planted `helper_path`, doctor still
//! acts as the installer's recorded panel user and runs only the fixed helper path. Each case
//! checks that the planted program never ran (its victim file stays absent).

use super::doctor::{Doctor, record_panel_user, report_line};
use crate::helpers::{BIN, PanelDir};
use crate::privileged::sandbox;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const VICTIM: &str = "/etc/victim-of-doctor";
const PLANTED: &str = "/var/lib/wss-panel/x";

#[test]
fn doctor_takes_no_account_or_program_from_the_panel_owned_config() {
    sandbox::scenario_test(
        module_path!(),
        "doctor_takes_no_account_or_program_from_the_panel_owned_config",
        false,
        &["unshare", "mount", "useradd", "sudo", "visudo", "runuser"],
        inside_hostile_config,
    );
}

fn inside_hostile_config() {
    sandbox::enter();
    sandbox::run("useradd", &["--system", "-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    // A human admin account with full sudo, as on many VPSes; and a uid-0 alias.
    sandbox::run("useradd", &["-M", "-s", "/bin/sh", "alice"]);
    sandbox::run("useradd", &["-M", "-o", "-u", "0", "-s", "/bin/sh", "toor"]);
    std::fs::write("/etc/sudoers.d/alice", "alice ALL=(ALL) NOPASSWD: ALL\n").unwrap();
    std::fs::set_permissions("/etc/sudoers.d/alice", std::fs::Permissions::from_mode(0o440)).unwrap();
    sandbox::install_fixed_helper();
    record_panel_user("tunadmin");
    let rule = Command::new(BIN).args(["privileged", "--print-sudoers", "tunadmin"]).output().unwrap().stdout;
    std::fs::write("/etc/sudoers.d/99-wss-panel", rule).unwrap();
    std::fs::set_permissions("/etc/sudoers.d/99-wss-panel", std::fs::Permissions::from_mode(0o440)).unwrap();
    // The program a compromised panel would plant in its own data dir.
    std::fs::create_dir_all(Path::new(PLANTED).parent().unwrap()).unwrap();
    std::fs::write(PLANTED, format!("#!/bin/sh\nid > {VICTIM}\n")).unwrap();
    std::fs::set_permissions(PLANTED, std::fs::Permissions::from_mode(0o755)).unwrap();

    for root_alias in ["root", "toor"] {
        let dir = PanelDir::new(
            json!({ "command_backend": "sudo", "panel_user": root_alias, "helper_path": PLANTED }),
        );
        let report = Doctor { args: vec![], config: dir.config_path() }.run(&[]).1;
        let line = report_line(&report, "config");
        assert!(line.starts_with("PROBLEM") && line.contains("is root (uid 0)"), "{report}");
        assert!(!Path::new(VICTIM).exists(), "doctor ran the planted program as {root_alias}");
    }

    let dir =
        PanelDir::new(json!({ "command_backend": "sudo", "panel_user": "alice", "helper_path": PLANTED }));
    let doctor = Doctor { args: vec![], config: dir.config_path() };
    let report = doctor.run(&[]).1;
    let line = report_line(&report, "sudo helper");
    assert!(line.starts_with("OK") && line.contains("tunadmin reaches /usr/local/bin/wss-panel"), "{report}");
    assert!(!Path::new(VICTIM).exists(), "doctor ran the planted helper_path through alice's sudo");

    // A record someone other than root could have written is not trusted either.
    let answers = "/var/lib/wss-panel-installer/answers";
    std::fs::set_permissions(answers, std::fs::Permissions::from_mode(0o666)).unwrap();
    let report = doctor.run(&[]).1;
    let line = report_line(&report, "sudo helper");
    assert!(line.starts_with("PROBLEM") && line.contains("not root's alone"), "{report}");
    assert!(!Path::new(VICTIM).exists());
}
