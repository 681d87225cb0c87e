//! The installed panel is HTTPS by default: the staged config has `panel_tls` on with the
//! installer's certificate on every address and a plain-HTTP listener on 127.0.0.1 for the
//! proxy; the summary prints the `https://` URL and the certificate's SHA-256 fingerprint;
//! `--panel-http` gives plain HTTP bound to loopback only. The panel run from the staged
//! config sends HSTS over TLS (and not on its loopback listener), where the proxies' API
//! answers.

use super::{BIN, Stage, TOOLS, text};
use crate::helpers::spawn_until;
use crate::helpers::sshd::free_port;
use crate::privileged::sandbox::ready;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use wss_panel::config::Config;

/// The staged config.json as written (and valid).
fn staged_config(stage: &Stage) -> Value {
    let path = stage.path("/etc/wss-panel/config.json");
    Config::load(&path).unwrap();
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(["-s", "-i", "--max-time", "10"]).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

#[test]
fn the_installed_panel_is_https_by_default_and_plain_http_only_on_loopback() {
    if !ready(&[TOOLS, &["curl"]].concat()) {
        return;
    }
    let stage = Stage::new();
    let out = stage.install(Path::new(BIN), &[]);
    assert!(out.status.success(), "install.sh failed:\n{}", text(&out));
    let config = staged_config(&stage);
    assert_eq!(config["panel_tls"], true, "the panel is not on TLS: {config}");
    assert_eq!(
        (&config["panel_bind"], &config["panel_local_port"]),
        (&json!(wss_panel::config::any_address().to_string()), &json!(54320))
    );
    let loaded = Config::load(&stage.path("/etc/wss-panel/config.json")).unwrap();
    assert_eq!(loaded.panel_url, "http://127.0.0.1:54320");
    let cert = stage.path("/etc/wss-panel/cert.pem");
    let openssl = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    let fingerprint = String::from_utf8_lossy(&openssl.stdout).trim().rsplit('=').next().unwrap().to_owned();
    let summary = text(&out);
    assert!(summary.contains("https://") && summary.contains(":54321/"), "{summary}");
    assert!(fingerprint.len() == 95 && summary.contains(&fingerprint), "{fingerprint}:\n{summary}");

    serve_the_staged_panel(&stage);

    let plain = Stage::new();
    let out = plain.install(Path::new(BIN), &["--panel-http"]);
    assert!(out.status.success(), "install.sh --panel-http failed:\n{}", text(&out));
    let config = staged_config(&plain);
    assert_eq!(config["panel_tls"], false, "{config}");
    assert_eq!((&config["panel_bind"], &config["panel_local_port"]), (&json!("127.0.0.1"), &Value::Null));
    assert!(text(&out).contains("http://127.0.0.1:54321/"), "{}", text(&out));
    // A re-run keeps the answer.
    let out = plain.install(Path::new(BIN), &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(staged_config(&plain)["panel_tls"], false, "a re-run turned the --panel-http answer around");
    let out = plain.install(Path::new(BIN), &["--panel-https"]);
    assert!(out.status.success(), "{}", text(&out));
    let config = staged_config(&plain);
    assert_eq!(
        (&config["panel_tls"], &config["panel_bind"]),
        (&json!(true), &json!(wss_panel::config::any_address().to_string()))
    );
}

/// The staged config on free loopback ports: HSTS over TLS, and the proxies' plain listener.
fn serve_the_staged_panel(stage: &Stage) {
    let path = stage.path("/etc/wss-panel/config.json");
    let mut raw: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let (tls_port, local_port) = (free_port(), free_port());
    for (k, v) in [
        ("panel_port", json!(tls_port)),
        ("panel_local_port", json!(local_port)),
        ("panel_bind", json!("127.0.0.1")),
        ("data_dir", json!(stage.path("/var/lib/wss-panel"))),
        ("command_backend", json!("recording")),
        ("bcrypt_cost", json!(4)),
    ] {
        raw[k] = v;
    }
    std::fs::write(&path, raw.to_string()).unwrap();
    let (mut panel, _, _) = spawn_until(&["panel"], &path, "PANEL_LISTENING", &[]);

    let https = curl(&["-k", &format!("https://127.0.0.1:{tls_port}/api/session")]);
    assert!(https.starts_with("http/1.1 401"), "{https}");
    assert!(https.contains("strict-transport-security: max-age=31536000"), "{https}");
    let local = curl(&[&format!("http://127.0.0.1:{local_port}/api/session")]);
    assert!(local.starts_with("http/1.1 401") && !local.contains("strict-transport"), "{local}");
    let secret = raw["internal_api_secret"].as_str().unwrap();
    let header = format!("{}: {secret}", wss_panel::wire::SECRET_HEADER);
    let nodes = curl(&["-H", &header, &format!("http://127.0.0.1:{local_port}/internal/nodes")]);
    assert!(nodes.starts_with("http/1.1 200"), "{nodes}");
    // Plain HTTP to the public (TLS) port is not served.
    assert!(!curl(&[&format!("http://127.0.0.1:{tls_port}/api/session")]).starts_with("http/1.1"));
    panel.kill().unwrap();
    panel.wait().unwrap();
}
