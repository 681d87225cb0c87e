//! Two enrolled proxies on their own addresses (127.0.0.2, 127.0.0.3), each with its own
//! name and secret, both connected to one panel over pinned TLS and both serving tunnels;
//! revoking one closes its `/ipc` session and refuses its secret, the other carries on.

use super::{TlsPanel, enrol, node_dir, stderr};
use crate::helpers::net::{EchoServer, status_of, upgrade_head};
use crate::helpers::{PanelDir, ProxyProcess, wait_for};
use serde_json::json;
use std::time::Duration;

pub(super) fn enrolled_proxy(
    tls: &TlsPanel,
    name: &str,
    bind: &str,
    echo: &EchoServer,
) -> (PanelDir, ProxyProcess) {
    let node = node_dir(name, bind, echo.addr.port());
    let out = enrol(&node, &tls.https, &tls.token(name, "1h"));
    assert!(out.status.success(), "{}", stderr(&out));
    let proxy = node.start_proxy();
    assert_eq!(proxy.http.ip().to_string(), bind);
    tls.panel.wait_for_log(&["NODE_CONNECTED", &format!("node={name}-")]);
    (node, proxy)
}

fn connected(tls: &TlsPanel) -> Vec<(String, bool)> {
    let listed = tls.panel.api("GET", "/api/nodes", None).json;
    let nodes = listed["nodes"].as_array().unwrap();
    nodes.iter().map(|n| (n["name"].as_str().unwrap().to_owned(), n["connected"] == true)).collect()
}

#[test]
fn two_nodes_serve_with_their_own_secrets_and_a_revoked_one_is_refused() {
    let echo = EchoServer::start();
    let tls = TlsPanel::start(json!({}));
    for user in ["tun1", "tun2", "tun3"] {
        assert_eq!(tls.panel.create_user(user, "pw-tun-1", json!({})).status, 201);
    }
    let (node_a, proxy_a) = enrolled_proxy(&tls, "edge-a", "127.0.0.2", &echo);
    let (node_b, proxy_b) = enrolled_proxy(&tls, "edge-b", "127.0.0.3", &echo);
    let secret = |d: &PanelDir| super::config_of(d)["node_secret"].as_str().unwrap().to_owned();
    assert_ne!(secret(&node_a), secret(&node_b));
    assert_eq!(connected(&tls), [("edge-a".to_owned(), true), ("edge-b".to_owned(), true)]);
    for proxy in [&proxy_a, &proxy_b] {
        assert_eq!(
            status_of(proxy.http, &upgrade_head("tun1", "pw-tun-1")),
            "HTTP/1.1 101 Switching Protocols"
        );
    }

    let out = tls.panel.cli(&["node", "revoke", "edge-a"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    tls.panel.wait_for_log(&["NODE_REFUSED", "node=edge-a-", "revoked"]);
    let a_gone = wait_for(Duration::from_secs(5), || {
        (connected(&tls) == [("edge-a".to_owned(), false), ("edge-b".to_owned(), true)]).then_some(())
    });
    assert!(a_gone.is_some(), "edge-a still connected: {:?}", connected(&tls));
    // A tunnel the revoked node has no cached verdict for: its secret no longer opens auth.
    assert_eq!(
        status_of(proxy_a.http, &upgrade_head("tun2", "pw-tun-1")),
        "HTTP/1.1 503 Service Unavailable"
    );
    proxy_a.wait_for_log(&["IPC_UNAUTHORIZED"]);
    proxy_a.wait_for_log(&["IPC_WSC", "Unauthorized"]);
    assert_eq!(
        status_of(proxy_b.http, &upgrade_head("tun3", "pw-tun-1")),
        "HTTP/1.1 101 Switching Protocols"
    );
    assert_eq!(tls.panel.api("GET", "/api/nodes", None).json["nodes"][0]["state"], "revoked");
}
