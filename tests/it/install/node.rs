//! `install.sh --node --panel URL --token T`, staged: the data plane only (no panel unit, no
//! admin password), enrolled with a real panel on 127.0.0.1 serving TLS; bad or missing
//! arguments are refused before anything changes.

use super::{BIN, Stage, TOOLS, changed, text, tree};
use crate::nodes::TlsPanel;
use crate::privileged::sandbox::ready;
use serde_json::{Value, json};
use std::path::Path;

fn config(stage: &Stage) -> Value {
    serde_json::from_str(&std::fs::read_to_string(stage.path("/etc/wss-panel/config.json")).unwrap()).unwrap()
}

#[test]
fn a_node_install_writes_only_the_data_plane_and_enrols_with_the_panel() {
    if !ready(TOOLS) {
        return;
    }
    let tls = TlsPanel::start(json!({}));
    let token = tls.token("fra-1", "1h");
    let stage = Stage::new();
    std::fs::remove_file(&stage.password_file).unwrap(); // a node needs no admin password
    let out =
        stage.install(Path::new(BIN), &["--node", "--panel", &format!("{}/", tls.https), "--token", &token]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("enrolled as node fra-1"), "{}", text(&out));

    for unit in ["wss.service", "sshd_stunnel.service", "wss-node-agent.service"] {
        assert!(stage.path(&format!("/etc/systemd/system/{unit}")).is_file(), "{unit} missing");
    }
    // The node agent runs as the panel account and reads the account spool the proxy writes:
    // the proxy's directory, setgid to the panel's group, and writable through wss.service's
    // ProtectSystem=strict.
    let agent = std::fs::read_to_string(stage.path("/etc/systemd/system/wss-node-agent.service")).unwrap();
    assert!(agent.contains("User=wss-panel\n") && agent.contains(" node-agent\n"), "{agent}");
    let proxy = std::fs::read_to_string(stage.path("/etc/systemd/system/wss.service")).unwrap();
    assert!(proxy.contains("ReadWritePaths=-/var/lib/wss-panel-node\n"), "{proxy}");
    let account_id = |name: &str, field: usize| -> u32 {
        let passwd = std::fs::read_to_string(stage.path("/etc/passwd")).unwrap();
        let line = passwd
            .lines()
            .find(|l| l.starts_with(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name}"));
        line.split(':').nth(field).unwrap().parse().unwrap()
    };
    let spool = std::fs::metadata(stage.path("/var/lib/wss-panel-node")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (spool.mode() & 0o7777, spool.uid(), spool.gid()),
        (0o2750, account_id("wss", 2), account_id("wss-panel", 3)),
        "the spool directory's mode and owners"
    );
    assert!(!stage.path("/etc/systemd/system/wss_panel.service").exists(), "a panel unit on a node");
    for file in [
        "/usr/local/bin/wss-panel",
        "/etc/ssh/sshd_config_stunnel",
        "/etc/ssh/sshd_config.d/50-wss-panel.conf",
        "/etc/stunnel/wss.conf",
        "/etc/sudoers.d/99-wss-panel",
        "/etc/wss-panel/cert.pem",
    ] {
        assert!(stage.path(file).is_file(), "{file} missing");
    }
    assert!(!stage.path("/var/lib/wss-panel/admin_password.hash").exists(), "an admin password on a node");

    // Enrolled: the node's own secret and the pin, beside the installer's keys.
    let node = config(&stage);
    assert_eq!(
        (node["node_name"].as_str(), node["panel_url"].as_str()),
        (Some("fra-1"), Some(tls.https.as_str()))
    );
    assert_eq!(node["node_secret"].as_str().map(str::len), Some(64));
    assert!(token.ends_with(node["panel_cert_sha256"].as_str().unwrap()));
    assert_eq!(node["wss_http_port"], 80);
    assert_eq!(node["node_spool_dir"], "/var/lib/wss-panel-node");
    wss_panel::config::Config::load(&stage.path("/etc/wss-panel/config.json")).expect("a valid node config");
    let listed = tls.panel.api("GET", "/api/nodes", None).json;
    assert_eq!(
        (listed["nodes"][0]["name"].as_str(), listed["nodes"][0]["state"].as_str()),
        (Some("fra-1"), Some("enrolled"))
    );

    // The token was used: a second node install with it fails at enrolment, starting nothing.
    let again = Stage::new();
    let out = again.install(Path::new(BIN), &["--node", "--panel", &tls.https, "--token", &token]);
    assert!(!out.status.success(), "a used token installed a node");
    assert!(
        text(&out).contains("refused the token (HTTP 401)") && text(&out).contains("enrolment failed"),
        "{}",
        text(&out)
    );
    assert!(config(&again)["node_secret"].is_null(), "a secret written after a refusal");
}

#[test]
fn node_arguments_are_refused_before_anything_changes() {
    if !ready(TOOLS) {
        return;
    }
    let stage = Stage::new();
    let before = tree(&stage.root());
    let token = format!("wssn1.fra-1.{}.{}", "ab".repeat(16), "cd".repeat(32));
    let cases: &[(&[&str], &str)] = &[
        (&["--node"], "--node needs --panel"),
        (&["--node", "--panel", "https://p.example:54321"], "--node needs --panel"),
        (&["--node", "--token", &token], "--node needs --panel"),
        (&["--panel", "https://p.example:54321", "--token", &token], "go with --node"),
        (&["--node", "--panel", "http://p.example:54321", "--token", &token], "https:// URL"),
        (&["--node", "--panel", "https://p.example:54321/x;y", "--token", &token], "https:// URL"),
        (
            &["--node", "--panel", "https://p.example:54321", "--token", "wssn1.x.y.z"],
            "not a wss-panel node token",
        ),
    ];
    for (args, expected) in cases {
        let out = stage.install(Path::new(BIN), args);
        assert!(!out.status.success() && text(&out).contains(expected), "{args:?}:\n{}", text(&out));
        assert_eq!(changed(&before, &tree(&stage.root())), Vec::<String>::new(), "{args:?} changed files");
    }
}
