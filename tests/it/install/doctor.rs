//! `wss-panel doctor` against a real panel and proxy (and a real sshd standing in for
//! sshd_stunnel): all checks pass, then each planted fault is found with its fix: a missing or
//! wrong tunnel firewall, a broken sudoers file, an expiring certificate, a secret that no
//! longer matches the running panel, a stopped proxy, a port taken by another process.

use crate::helpers::sshd::{Sshd, free_port, have_tool};
use crate::helpers::{BIN, PanelDir, wait_for};
use crate::privileged::sandbox;
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub struct Doctor {
    pub args: Vec<String>,
    pub config: std::path::PathBuf,
}

impl Doctor {
    /// (exit code, stdout)
    pub fn run(&self, extra: &[&str]) -> (i32, String) {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .arg("doctor")
            .args(&self.args)
            .args(extra)
            .current_dir("/")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The line of `check`, waiting (bounded) until it starts with `status`.
    fn line(&self, check: &str, status: &str) -> String {
        let prefix = format!("{status:<8} {check}:");
        let found = wait_for(Duration::from_secs(15), || {
            self.run(&[]).1.lines().find(|l| l.starts_with(&prefix)).map(str::to_owned)
        });
        found.unwrap_or_else(|| panic!("no `{prefix}` line; last report:\n{}", self.run(&[]).1))
    }
}

#[test]
fn doctor_passes_a_healthy_system_and_names_each_planted_fault_with_its_fix() {
    // In a private network namespace: a healthy system has the tunnel customers' firewall.
    sandbox::scenario_test(
        module_path!(),
        "doctor_passes_a_healthy_system_and_names_each_planted_fault_with_its_fix",
        true,
        &["unshare", "mount", "ip", "nft", "groupadd"],
        inside_healthy,
    );
}

fn inside_healthy() {
    sandbox::enter();
    if !["visudo", "/usr/sbin/sshd", "ss", "openssl"].iter().all(|t| have_tool(t)) {
        return;
    }
    sandbox::helper_ok(&["guard-tunnels", "7300"], None);
    let (http, tls) = (free_port(), free_port());
    // A private network has no resolver: the UDPGW's DNS goes to a test one.
    let resolv_dir = tempfile::tempdir().unwrap();
    let resolv = crate::udpgw::app::test_resolver(resolv_dir.path());
    let dir = PanelDir::new(json!({
        "wss_http_port": http, "wss_tls_port": tls, "udpgw_port": 7300, "udpgw_resolv_conf": resolv,
    }));
    let _panel = dir.start();
    let mut proxy = dir.start_proxy();
    let sshd_dir = tempfile::tempdir().unwrap();
    let _sshd = Sshd::start(sshd_dir.path()).unwrap();
    let sshd_config = sshd_dir.path().join("sshd_config").display().to_string();
    let sudoers = dir.dir.path().join("99-wss-panel");
    let rule = Command::new(BIN).args(["privileged", "--print-sudoers", "tunadmin"]).output().unwrap().stdout;
    std::fs::write(&sudoers, rule).unwrap();
    let doctor = Doctor {
        args: [
            "--sudoers-file",
            sudoers.to_str().unwrap(),
            "--sshd-config",
            &sshd_config,
            "--sshd-stunnel-config",
            &sshd_config,
            "--stunnel-config",
            "/nonexistent/wss.conf",
        ]
        .map(str::to_owned)
        .to_vec(),
        config: dir.config_path(),
    };

    doctor.line("ipc", "OK");
    let (code, report) = doctor.run(&[]);
    assert_eq!(code, 0, "{report}");
    for check in [
        "config",
        "port panel",
        "port wss-http",
        "port wss-tls",
        "port sshd_stunnel",
        "secret",
        "sudoers",
        "tunnel guard",
    ] {
        assert!(report.lines().any(|l| l.starts_with(&format!("OK       {check}:"))), "{check}:\n{report}");
    }
    let (_, json) = doctor.run(&["--json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["ok"], true);

    // The tunnel guard: gone, or letting a different UDPGW port through.
    sandbox::run("nft", &["delete", "table", "inet", "wss_panel_tunnel"]);
    let line = doctor.line("tunnel guard", "PROBLEM");
    assert!(line.contains("wss_panel_tunnel") && line.contains("guard-tunnels 7300"), "{line}");
    sandbox::helper_ok(&["guard-tunnels", "7301"], None);
    assert!(doctor.line("tunnel guard", "PROBLEM").contains("udpgw_port 7300"));
    sandbox::helper_ok(&["guard-tunnels", "7300"], None);
    doctor.line("tunnel guard", "OK");

    std::fs::write(&sudoers, "tunadmin ALL=(root) NOPASSWD /usr/local/bin/wss-panel privileged *\n").unwrap();
    let line = doctor.line("sudoers", "PROBLEM");
    assert!(line.contains("visudo rejects") && line.contains("--print-sudoers tunadmin"), "{line}");
    assert_ne!(doctor.run(&[]).0, 0);
    std::fs::write(&sudoers, "# commented out\n").unwrap();
    assert!(doctor.line("sudoers", "PROBLEM").contains("not the rule wss-panel prints"));

    let cert = dir.dir.path().join("cert.pem");
    let key = dir.dir.path().join("key.pem");
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success());
    let line = doctor.line("tls cert", "PROBLEM");
    assert!(line.contains("expires within 14 days") && line.contains("--cert/--key"), "{line}");

    let secret = std::fs::read_to_string(dir.config_path()).unwrap();
    dir.set_config(json!({ "internal_api_secret": "a-different-secret-0123456789" }));
    let line = doctor.line("secret", "PROBLEM");
    assert!(
        line.contains("refuses internal_api_secret") && line.contains("systemctl restart wss_panel wss"),
        "{line}"
    );
    std::fs::write(dir.config_path(), secret).unwrap();
    doctor.line("secret", "OK");

    proxy.child.kill().unwrap();
    proxy.child.wait().unwrap();
    let line = doctor.line("port wss-http", "PROBLEM");
    assert!(
        line.contains(&format!("nothing listens on {http}")) && line.contains("systemctl restart wss;"),
        "{line}"
    );
    let line = doctor.line("ipc", "PROBLEM");
    assert!(line.contains("not connected to /ipc") && line.contains("IPC_WSC"), "{line}");

    let _squatter = std::net::TcpListener::bind(("0.0.0.0", http)).unwrap();
    let line = doctor.line("port wss-http", "PROBLEM");
    let me =
        Path::new(&std::env::current_exe().unwrap()).file_name().unwrap().to_string_lossy()[..8].to_owned();
    assert!(
        line.contains(&format!("{http} is taken by {me}")) && line.contains("choose another wss_http_port"),
        "{line}"
    );
}

#[test]
fn doctor_calls_the_helper_through_sudo_as_the_panel_user() {
    sandbox::scenario_test(
        module_path!(),
        "doctor_calls_the_helper_through_sudo_as_the_panel_user",
        false,
        &["unshare", "mount", "useradd", "sudo", "visudo", "runuser"],
        inside_sudo,
    );
}

fn inside_sudo() {
    sandbox::enter();
    sandbox::run("useradd", &["--system", "-M", "-s", "/usr/sbin/nologin", "tunadmin"]);
    sandbox::install_fixed_helper();
    record_panel_user("tunadmin");
    let dir = PanelDir::new(json!({ "command_backend": "sudo" }));
    let rule = Command::new(BIN).args(["privileged", "--print-sudoers", "tunadmin"]).output().unwrap().stdout;
    let sudoers = Path::new("/etc/sudoers.d/99-wss-panel");
    let write = |text: &[u8]| {
        std::fs::write(sudoers, text).unwrap();
        std::fs::set_permissions(sudoers, std::os::unix::fs::PermissionsExt::from_mode(0o440)).unwrap();
    };
    write(&rule);
    let doctor = Doctor { args: vec![], config: dir.config_path() };
    let report = doctor.run(&[]).1;
    let line = |check: &str| report_line(&report, check);
    assert!(line("sudo helper").starts_with("OK "), "{report}");
    assert!(line("sudoers").starts_with("OK "), "{report}");

    // issue 16, defect 3: with a host name that does not resolve, sudo warns on stderr and
    // still runs the helper: doctor judges by the helper's answer, not by sudo's words.
    std::fs::write("/etc/hosts", "127.0.0.1 localhost\n").unwrap();
    std::fs::write("/etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
        .unwrap();
    let helper =
        ["-u", "tunadmin", "--", "sudo", "-n", "/usr/local/bin/wss-panel", "privileged", "is-active", "wss"];
    let warned = Command::new("runuser").args(helper).output().unwrap();
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(stderr.contains("unable to resolve host"), "sudo did not warn: {stderr}");
    let report = doctor.run(&[]).1;
    assert!(report_line(&report, "sudo helper").starts_with("OK "), "{report}");

    // A syntax error in the file: visudo says so, and sudo refuses everything.
    write(b"tunadmin ALL=(root) NOPASSWD /usr/local/bin/wss-panel privileged *\n");
    let report = doctor.run(&[]).1;
    let sudoers_line = report_line(&report, "sudoers");
    assert!(
        sudoers_line.starts_with("PROBLEM") && sudoers_line.contains("--print-sudoers tunadmin"),
        "{report}"
    );
    assert!(report_line(&report, "sudo helper").starts_with("PROBLEM"), "{report}");

    // Valid but without the rule: the panel user gets "a password is required".
    write(b"# nothing\n");
    let report = doctor.run(&[]).1;
    let helper_line = report_line(&report, "sudo helper");
    assert!(helper_line.contains("cannot run") && helper_line.contains("re-run install.sh"), "{report}");
}

/// What install.sh records: the panel account in root's own answers file.
pub fn record_panel_user(name: &str) {
    use std::os::unix::fs::PermissionsExt;
    let dir = Path::new("/var/lib/wss-panel-installer");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let answers = dir.join("answers");
    std::fs::write(&answers, format!("panel_port=54321\npanel_user={name}\n")).unwrap();
    std::fs::set_permissions(&answers, std::fs::Permissions::from_mode(0o600)).unwrap();
}

pub fn report_line(report: &str, check: &str) -> String {
    report
        .lines()
        .find(|l| l.split_whitespace().nth(1).is_some() && l[9..].starts_with(&format!("{check}:")))
        .unwrap_or_else(|| panic!("no {check} line in:\n{report}"))
        .to_owned()
}
