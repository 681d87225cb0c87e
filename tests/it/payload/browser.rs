//! The generator view and the connection card in real headless Chromium, opened at
//! `http://127.0.0.1:PORT` (the panel's address): both use the configured public host, and
//! what they show is accepted by the real proxy with the whitelist set to that host.

use super::{PUBLIC_HOST, configure_public};
use crate::helpers::browser::Browser;
use crate::helpers::net::{EchoServer, connect, read_head};
use crate::helpers::{ADMIN_PASSWORD, PanelDir};
use serde_json::json;
use std::io::Write;
use std::time::Duration;
use wss_panel::payload::{basic_token, expand};

/// The status line the real proxy answers to the last head of `payload` sent as an app
/// would (one head per `[split]` part; R1's is answered 200 and eaten).
fn proxy_status(proxy: std::net::SocketAddr, payload: &str, host_port: &str) -> String {
    let mut s = connect(proxy);
    let parts = expand(payload, host_port);
    for part in &parts {
        s.write_all(part).unwrap();
    }
    let heads: Vec<String> =
        parts.iter().map(|_| read_head(&mut s).lines().next().unwrap_or_default().to_owned()).collect();
    heads.last().cloned().unwrap_or_default()
}

#[test]
fn ui_browser_generator_and_card_use_the_public_host_and_the_proxy_accepts_them() {
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    assert_eq!(panel.create_user("cardu", "pw-card-1", json!({})).status, 201);
    let proxy = dir.start_proxy();
    configure_public(&panel, &proxy);
    let host_port = format!("{PUBLIC_HOST}:{}", proxy.http.port());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let Some(b) = Browser::start().await else { return };
        b.client.goto(&format!("{}/login.html", panel.url)).await.unwrap();
        b.type_into("#login-password", ADMIN_PASSWORD).await;
        b.click("#login-submit").await;
        b.wait_for("#view[data-view='dashboard']").await;

        // The generator: the R2 host and [host_port] are the public address, not 127.0.0.1.
        b.client.goto(&format!("{}/#payload", panel.url)).await.unwrap();
        b.wait_for("#p-user option[value='cardu']").await;
        b.js("const u = document.querySelector('#p-user'); u.value = 'cardu'; u.dispatchEvent(new Event('change'));
              const p = document.querySelector('#p-pass'); p.value = 'pw-card-1'; p.dispatchEvent(new Event('change'));")
            .await;
        let token = basic_token("cardu", "pw-card-1");
        let shown = b.wait_text("#p-out", Duration::from_secs(5), |t| t.contains(&token)).await.expect("a payload for cardu");
        assert!(shown.contains(&format!("Host: {PUBLIC_HOST}[crlf]")) && !shown.contains("127.0.0.1"), "{shown}");
        assert!(shown.starts_with("CONNECT [host_port]") && shown.contains("[split]"), "the HTTP Injector preset: {shown}");
        let target = b.wait_text("#p-target", Duration::from_secs(2), |t| !t.is_empty()).await.unwrap();
        assert_eq!(target, format!("[host_port] = {host_port}"));
        b.screenshot("payload-generator.png").await;
        assert_eq!(proxy_status(proxy.http, &shown, &host_port), "HTTP/1.1 101 Switching Protocols");

        // The card (opened as the users table opens it): public host, no QR without a password.
        b.js("import('/js/user_dialogs.js').then((m) => m.cardDialog({ username: 'cardu', require_auth_header: true }));").await;
        let ports = b.wait_text("#card-ports", Duration::from_secs(5), |t| t.contains(PUBLIC_HOST)).await;
        let ports = ports.expect("the card shows the public host");
        assert!(ports.contains(&format!("HTTP {}", proxy.http.port())), "{ports}");
        let hidden = b.js("return document.querySelector('#card-qr').hidden;").await;
        assert_eq!(hidden, json!(true), "no password typed: no QR");
        let text = b.wait_text("#card-payload", Duration::from_secs(2), |t| !t.is_empty()).await.unwrap();
        assert!(!text.contains("PASSWORD") && !text.contains("Proxy-Authorization"), "{text}");
        b.type_into("#card-password", "pw-card-1").await;
        let card = b.wait_text("#card-payload", Duration::from_secs(5), |t| t.contains(&token)).await.expect("the card's payload");
        assert!(card.contains(&format!("Host: {PUBLIC_HOST}[crlf]")), "{card}");
        let mut shown_qr = false;
        for _ in 0..50 {
            if drawn_ok(&b).await {
                shown_qr = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(shown_qr, "a password typed: the QR is drawn");
        b.screenshot("connection-card.png").await;
        assert_eq!(proxy_status(proxy.http, &card, &host_port), "HTTP/1.1 101 Switching Protocols");
        b.quit().await;
    });
}

async fn drawn_ok(b: &Browser) -> bool {
    b.js("const c = document.querySelector('#card-qr'); return !c.hidden && c.width > 0;").await
        == json!(true)
}
