//! The Nodes view in real headless Chromium: a new enrolment token is shown once with its
//! install line; the node enrolled with it appears connected with its live tunnel count;
//! its health cell says OK, and another node's names its sshd not listening;
//! a rename shows in the view and in the Tunnels view's Node column; a revoke asks first and
//! cuts the node off.

use crate::helpers::browser::Browser;
use crate::helpers::net::EchoServer;
use crate::nodes::{TlsPanel, enrol, node_dir, stderr};
use crate::ui_browser::{busy_tunnel, log_in, runtime};
use serde_json::json;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(15);

#[test]
fn ui_nodes_token_install_line_connected_node_with_tunnels_rename_and_revoke() {
    let echo = EchoServer::start();
    let tls = TlsPanel::start(json!({}));
    assert_eq!(tls.panel.create_user("tun", "pw-tun-1", json!({})).status, 201);
    let url = tls.panel.url.clone();
    runtime().block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{url}/login.html")).await.unwrap();
        b.js("localStorage.setItem('lang', 'en');").await;
        log_in(&b, &url).await;
        b.client.goto(&format!("{url}/#nodes")).await.unwrap();
        b.wait_for("#view[data-view='nodes'] #nodes-table").await;

        b.click("#nd-new-token").await;
        b.type_into("#nd-token-name", "edge-ui").await;
        b.click("#nd-token-make").await;
        let token = b.wait_text("#nd-token", LIMIT, |t| t.starts_with("wssn1.edge-ui.")).await;
        let token = token.expect("the token is shown");
        let install = b.wait_text("#nd-install", LIMIT, |t| !t.is_empty()).await.unwrap();
        let port = tls.https.rsplit(':').next().unwrap();
        assert_eq!(install, format!("install.sh --node --panel https://127.0.0.1:{port} --token {token}"));
        b.wait_for("#nd-token-copy").await;
        b.screenshot("nodes-token.png").await;
        b.click("#nd-install-copy").await;
        let toast = b.wait_text("#toast", LIMIT, |t| t.starts_with("Run on the node")).await;
        assert!(toast.is_some_and(|t| t.contains("Copied")), "the install line is copied");
        b.click("#nd-token-close").await;
        let pending = b.wait_text("tr[data-node='edge-ui'] .c-state", LIMIT, |t| t.contains("waiting")).await;
        assert!(pending.is_some(), "the new node is listed as waiting for enrolment");

        // The node enrols with the token the page showed, connects and carries a tunnel.
        let node = node_dir("edge-ui", "127.0.0.2", echo.addr.port());
        let out = enrol(&node, &tls.https, &token);
        assert!(out.status.success(), "{}", stderr(&out));
        let proxy = node.start_proxy();
        let closed = busy_tunnel(proxy.http, "tun", "pw-tun-1");
        let row = "tr[data-node='edge-ui']";
        let tunnels = b.wait_text(&format!("{row} .c-tunnels"), LIMIT, |t| t == "1").await;
        assert!(tunnels.is_some(), "the connected node shows its tunnel");
        let state = b.wait_text(&format!("{row} .c-state"), LIMIT, |t| t.starts_with("connected")).await;
        assert!(state.is_some());
        let version =
            b.wait_text(&format!("{row} .c-version"), LIMIT, |t| t.contains(env!("CARGO_PKG_VERSION"))).await;
        assert!(version.is_some());
        let health = b.wait_text(&format!("{row} .c-health[data-ok='true']"), LIMIT, |t| t == "OK").await;
        assert!(health.is_some(), "a node whose sshd listens is OK");
        // A node whose sshd is not listening shows that problem, port included.
        let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let sick = node_dir("edge-down", "127.0.0.3", down);
        assert!(enrol(&sick, &tls.https, &tls.token("edge-down", "1h")).status.success());
        let _sick_proxy = sick.start_proxy();
        let want = format!("sshd port {down} not listening");
        let cell = "tr[data-node='edge-down'] .c-health[data-ok='false']";
        let shown = b.wait_text(cell, LIMIT, |t| t.contains(&want)).await;
        assert!(shown.is_some(), "the problem is named in the row");
        b.screenshot("nodes-health.png").await;

        b.click(&format!("{row} button[data-act='rename']")).await;
        b.type_into("#nd-rename-input", "Bad Name").await;
        b.click("#nd-rename-save").await;
        let refused = b.wait_text("#nd-rename-error", LIMIT, |t| t.contains("lowercase")).await;
        assert!(refused.is_some(), "an invalid name is refused in the dialog");
        b.type_into("#nd-rename-input", "paris").await;
        b.click("#nd-rename-save").await;
        let renamed = b.wait_text(&format!("{row} .c-name"), LIMIT, |t| t.contains("paris")).await;
        assert!(renamed.expect("renamed").contains("edge-ui"), "the node's own name stays visible");
        b.screenshot("nodes.png").await;

        b.client.goto(&format!("{url}/#tunnels")).await.unwrap();
        let cell = b.wait_text("#tunnels-body td.c-node", LIMIT, |t| t == "paris").await;
        assert!(cell.is_some(), "the Tunnels view names the node");

        b.client.goto(&format!("{url}/#nodes")).await.unwrap();
        b.click(&format!("{row} button[data-act='revoke']")).await;
        b.click("#confirm-ok").await;
        let cut = "tr[data-node='edge-ui'][data-state='revoked'][data-connected='false'] .c-state";
        assert!(b.wait_text(cut, LIMIT, |t| t.starts_with("revoked")).await.is_some(), "revoked and cut off");
        proxy.wait_for_log(&["IPC_WSC", "Unauthorized"]);
        drop(closed);
        b.quit().await;
    });
}
