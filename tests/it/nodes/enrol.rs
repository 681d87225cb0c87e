//! Enrolment: a one-time token, refused when reused or expired; a token pinned to another
//! certificate fails at TLS, before the token is sent (it still works afterwards); what the
//! store keeps is hashes, never the token or the node secret.

use super::{TlsPanel, config_of, enrol, node_dir, stderr};
use serde_json::json;

#[test]
fn a_node_token_enrols_once_and_the_store_keeps_only_hashes() {
    let tls = TlsPanel::start(json!({}));
    let token = tls.token("edge-a", "1h");
    let node = node_dir("edge-a", "127.0.0.2", 22);
    let out = enrol(&node, &tls.https, &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = config_of(&node);
    assert_eq!(config["node_name"], "edge-a");
    assert_eq!(config["panel_url"], tls.https.as_str());
    assert_eq!(config["internal_api_secret"], "edge-a-own-local-secret-0123456789", "its own key kept");
    let secret = config["node_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    let pin = config["panel_cert_sha256"].as_str().unwrap();
    assert!(token.ends_with(pin), "the pin is the token's fingerprint");
    // The node secret is in it: nobody but the owner and, where the directory grants it (an
    // installed /etc/wss-panel: the panel's group), the group reads it.
    let mode = std::fs::metadata(node.config_path()).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o137, 0);

    let again = enrol(&node_dir("edge-a2", "127.0.0.2", 22), &tls.https, &token);
    assert!(!again.status.success(), "a used token enrolled again");
    assert!(stderr(&again).contains("refused the token (HTTP 401)"), "{}", stderr(&again));
    tls.panel.wait_for_log(&["NODE_ENROL_REFUSED", "no pending token"]);

    let listed = tls.panel.api("GET", "/api/nodes", None).json;
    assert_eq!(listed["nodes"][0]["name"], "edge-a");
    assert_eq!(listed["nodes"][0]["state"], "enrolled");
    let store = std::fs::read(tls.dir.store_path()).unwrap();
    for clear in [token.as_bytes(), secret.as_bytes()] {
        assert!(!store.windows(clear.len()).any(|w| w == clear), "a secret is in the store in the clear");
    }
}

#[test]
fn an_expired_token_is_refused() {
    let tls = TlsPanel::start(json!({}));
    let token = tls.token("edge-late", "60s");
    tls.advance_clock(61);
    let node = node_dir("edge-late", "127.0.0.2", 22);
    let out = enrol(&node, &tls.https, &token);
    assert!(!out.status.success(), "an expired token enrolled");
    assert!(stderr(&out).contains("refused the token"), "{}", stderr(&out));
    tls.panel.wait_for_log(&["NODE_ENROL_REFUSED", "token expired"]);
    assert!(config_of(&node).get("node_secret").is_none(), "config written after a refusal");
}

#[test]
fn a_wrong_fingerprint_fails_at_tls_and_the_token_is_never_sent() {
    let tls = TlsPanel::start(json!({}));
    let token = tls.token("edge-pin", "1h");
    let (head, fp) = token.rsplit_once('.').unwrap();
    let first = if fp.starts_with('0') { '1' } else { '0' };
    let flipped = format!("{first}{}", &fp[1..]);
    let node = node_dir("edge-pin", "127.0.0.2", 22);
    let out = enrol(&node, &tls.https, &format!("{head}.{flipped}"));
    assert!(!out.status.success(), "enrolled against an unpinned certificate");
    assert!(stderr(&out).contains("not the pinned panel_cert_sha256"), "{}", stderr(&out));
    assert!(config_of(&node).get("node_secret").is_none());
    // The panel never saw the token: it still enrols, once.
    let out = enrol(&node, &tls.https, &token);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = tls.panel.log.lock().unwrap().join("\n");
    assert!(!log.contains("NODE_ENROL_REFUSED"), "{log}");
}

#[test]
fn a_proxy_pinning_another_certificate_never_connects() {
    let tls = TlsPanel::start(json!({}));
    let node = node_dir("edge-x", "127.0.0.2", 22);
    let out = enrol(&node, &tls.https, &tls.token("edge-x", "1h"));
    assert!(out.status.success(), "{}", stderr(&out));
    node.set_config(json!({ "panel_cert_sha256": "ab".repeat(32) }));
    let proxy = node.start_proxy();
    proxy.wait_for_log(&["IPC_WSC", "TLS to the panel failed", "not the pinned panel_cert_sha256"]);
    let log = tls.panel.log.lock().unwrap().join("\n");
    assert!(!log.contains("NODE_CONNECTED"), "{log}");
}
