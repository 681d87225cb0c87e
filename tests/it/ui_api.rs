//! The routes the admin UI added, against the real panel: ports (validated, dry run, written
//! into config.json), system status, traffic history, batch actions, QR codes.

use crate::helpers::PanelDir;
use crate::helpers::browser_session::BrowserSession;
use serde_json::{Value, json};

#[test]
fn ui_port_changes_are_validated_previewed_and_written_atomically() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let config_before = std::fs::read_to_string(dir.config_path()).unwrap();
    let audit_before = panel.audit_total();
    for bad in [json!({"wss_http_port": 0}), json!({"wss_http_port": 70000}), json!({"wss_tls_port": "x"})] {
        assert_eq!(s.call("PUT", "/api/ports", Some(bad.clone())).status, 400, "{bad}");
    }
    let port = panel.url.rsplit(':').next().unwrap().parse::<u64>().unwrap();
    let clash = s.call("PUT", "/api/ports", Some(json!({"wss_http_port": port})));
    assert_eq!(clash.status, 400, "the panel's own port");
    let preview = s.call("PUT", "/api/ports", Some(json!({"wss_http_port": 18080, "dry_run": true})));
    assert_eq!(preview.json, json!({"restart": ["wss"], "applied": false}));
    assert_eq!(std::fs::read_to_string(dir.config_path()).unwrap(), config_before, "nothing written yet");
    assert_eq!(panel.audit_total(), audit_before);
    let applied = s.call("PUT", "/api/ports", Some(json!({"wss_http_port": 18080, "wss_tls_port": 18443})));
    assert_eq!(applied.json, json!({"restart": ["wss"], "applied": true}));
    let config: Value = serde_json::from_str(&std::fs::read_to_string(dir.config_path()).unwrap()).unwrap();
    assert_eq!(
        (config["wss_http_port"].as_u64(), config["wss_tls_port"].as_u64()),
        (Some(18080), Some(18443))
    );
    assert_eq!(config["internal_api_secret"], crate::helpers::SECRET, "other keys are kept");
    let got = s.call("GET", "/api/ports", None).json;
    assert_eq!(got["wss_http_port"], 18080);
    let audit = panel.api("GET", "/api/audit?limit=1", None).json;
    assert_eq!(audit["items"][0]["action"], "PORTS_UPDATE");
}

#[test]
fn ui_a_port_another_program_listens_on_is_refused_by_the_dry_run() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let config_before = std::fs::read_to_string(dir.config_path()).unwrap();
    // Another program (here: this test) listens on a port; sshd's port is taken by config.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = other.local_addr().unwrap().port();
    let sshd = s.call("GET", "/api/ports", None).json["internal_forward_port"].as_u64().unwrap();
    for port in [u64::from(taken), sshd] {
        let reply = s.call("PUT", "/api/ports", Some(json!({"wss_http_port": port, "dry_run": true})));
        assert_eq!(reply.status, 409, "port {port}: {:?}", reply.json);
        assert!(
            reply.json["error"].as_str().unwrap().contains("in use by another program"),
            "{:?}",
            reply.json
        );
    }
    assert_eq!(std::fs::read_to_string(dir.config_path()).unwrap(), config_before, "nothing written");
    drop(other);
}

#[test]
fn ui_system_status_history_batch_and_qr() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    for name in ["ba", "bb", "bc"] {
        assert_eq!(panel.create_user(name, "pw-12345", json!({"days": 1})).status, 201);
    }
    let status = s.call("GET", "/api/system/status", None).json;
    assert_eq!(status["accounts"]["total"], 3);
    assert_eq!(status["accounts"]["by_status"]["active"], 3);
    // The recording backend has no service manager: every status is "unknown".
    for svc in ["wss", "wss_panel", "stunnel@wss", "sshd_stunnel"] {
        assert_eq!(status["services"][svc], "unknown", "{svc}");
    }
    assert!(status["mem"]["total"].as_u64().unwrap() > 0);
    let history = s.call("GET", "/api/users/ba/traffic", None).json;
    let days = history["days"].as_array().unwrap();
    assert_eq!(days.len(), 30, "30 calendar days");
    assert!(days.iter().all(|d| d["up_bytes"] == 0 && d["down_bytes"] == 0), "missing days are zero");
    assert!(days[0]["date"].as_str() < days[29]["date"].as_str());
    let batch = |body: Value| s.call("POST", "/api/users/batch", Some(body)).json;
    let paused = batch(json!({"action": "pause", "usernames": ["ba", "bb", "ghost"]}));
    assert_eq!(paused["done"], json!(["ba", "bb"]));
    assert_eq!(paused["failed"][0]["username"], "ghost");
    assert_eq!(panel.api("GET", "/api/users/bb", None).json["status"], "paused");
    assert_eq!(batch(json!({"action": "resume", "usernames": ["ba", "bb"]}))["done"], json!(["ba", "bb"]));
    let renewed = batch(json!({"action": "renew", "usernames": ["bc"], "days": 10}));
    assert_eq!(renewed["done"], json!(["bc"]));
    assert_eq!(
        s.call("POST", "/api/users/batch", Some(json!({"action": "renew", "usernames": ["bc"]}))).status,
        400
    );
    assert_eq!(batch(json!({"action": "delete", "usernames": ["ba", "bc"]}))["done"], json!(["ba", "bc"]));
    assert_eq!(panel.api("GET", "/api/users", None).json.as_array().unwrap().len(), 1);
    let qr = s.call("POST", "/api/qr", Some(json!({"text": "GET / HTTP/1.1[crlf]Host: x[crlf][crlf]"}))).json;
    let width = qr["width"].as_u64().unwrap() as usize;
    assert_eq!(qr["modules"].as_str().unwrap().len(), width * width);
    assert_eq!(s.call("POST", "/api/qr", Some(json!({"text": ""}))).status, 400);
    let logs = s.call("GET", "/api/system/services/wss/logs?lines=20", None);
    assert_eq!(logs.status, 200);
    assert_eq!(
        s.call("GET", "/api/system/services/sshd/logs", None).status,
        404,
        "only the project's services"
    );
}

/// The shell door (stunnel and the sshd behind it): shown but refused in the trial (`up`:
/// the recording backend and config.json the panel's own), validated like the other ports
/// once installed (config.json root's), and handed to the helper's `set-door-ports`; the
/// connection card's stunnel port follows the door.
#[test]
fn ui_door_ports_are_refused_in_trial_validated_and_sent_to_the_helper_once_installed() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let got = s.call("GET", "/api/ports", None).json;
    assert_eq!((got["stunnel_port"].as_u64(), got["sshd_stunnel_port"].as_u64()), (Some(444), Some(2222)));
    assert_eq!(got["doors_editable"], false, "{got}");
    assert!(got["doors_note"].as_str().unwrap().contains("trial mode"), "{got}");
    let trial = s.call("PUT", "/api/ports", Some(json!({"stunnel_port": 18444, "dry_run": true})));
    assert_eq!(trial.status, 409, "{:?}", trial.json);
    assert!(trial.json["error"].as_str().unwrap().contains("trial mode"), "{:?}", trial.json);
    let same = s.call("PUT", "/api/ports", Some(json!({"stunnel_port": 444, "sshd_stunnel_port": 2222})));
    assert_eq!(same.json, json!({"restart": [], "applied": false}), "unchanged values are no change");

    // Installed: config.json is root's (here `nobody`'s), changes go through the helper.
    std::os::unix::fs::chown(dir.config_path(), Some(65534), Some(65534)).unwrap();
    assert_eq!(s.call("GET", "/api/ports", None).json["doors_editable"], true);
    let config_before = std::fs::read(dir.config_path()).unwrap();
    let audit_before = panel.audit_total();
    let panel_port = panel.url.rsplit(':').next().unwrap().parse::<u64>().unwrap();
    for bad in [
        json!({"stunnel_port": 0}),
        json!({"sshd_stunnel_port": 70000}),
        json!({"stunnel_port": "x"}),
        json!({"stunnel_port": 18444, "sshd_stunnel_port": 18444}),
        json!({"stunnel_port": 18444, "wss_http_port": 18444}),
    ] {
        let reply = s.call("PUT", "/api/ports", Some(bad.clone()));
        assert_eq!(reply.status, 400, "{bad}: {:?}", reply.json);
    }
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = u64::from(other.local_addr().unwrap().port());
    // Another program's port, the tunnels' sshd, the panel's own port.
    for bad in [
        json!({"stunnel_port": taken}),
        json!({"sshd_stunnel_port": 22}),
        json!({"sshd_stunnel_port": panel_port}),
    ] {
        let reply = s.call("PUT", "/api/ports", Some(bad.clone()));
        assert_eq!(reply.status, 409, "{bad}: {:?}", reply.json);
        assert!(
            reply.json["error"].as_str().unwrap().contains("in use by another program"),
            "{:?}",
            reply.json
        );
    }
    drop(other);
    let body = json!({"stunnel_port": 18444, "sshd_stunnel_port": 18222});
    let preview = s.call(
        "PUT",
        "/api/ports",
        Some(json!({"stunnel_port": 18444, "sshd_stunnel_port": 18222, "dry_run": true})),
    );
    assert_eq!(preview.json, json!({"restart": ["stunnel@wss", "sshd_stunnel"], "applied": false}));
    assert_eq!(panel.audit_total(), audit_before, "refusals and the dry run change nothing");
    let applied = s.call("PUT", "/api/ports", Some(body));
    assert_eq!(applied.json, json!({"restart": ["stunnel@wss", "sshd_stunnel"], "applied": true}));
    let line = panel.wait_for_log(&["SYSTEM_COMMAND", "set-door-ports"]);
    assert!(line.contains("set-door-ports 18444 18222"), "{line}");
    assert_eq!(
        std::fs::read(dir.config_path()).unwrap(),
        config_before,
        "the panel wrote root's file itself"
    );
    assert_eq!(s.call("GET", "/api/public-address", None).json["stunnel_port"], 18444, "the card follows");
    let audit = panel.api("GET", "/api/audit?limit=2", None).json;
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["PUBLIC_ADDRESS_UPDATE", "PORTS_UPDATE"]);
}
