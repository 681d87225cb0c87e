//! `/ws/ui`, the admin page's live socket, against the real panel: who may open it, and that
//! it delivers one `live_update` per second and `users_changed` after a change.

use crate::helpers::PanelDir;
use crate::helpers::browser_session::BrowserSession;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str, origin: Option<&str>, cookie: Option<&str>) -> Result<Socket, u16> {
    let mut request = format!("{}/ws/ui", url.replace("http://", "ws://")).into_client_request().unwrap();
    if let Some(o) = origin {
        request.headers_mut().insert("Origin", o.parse().unwrap());
    }
    if let Some(c) = cookie {
        request.headers_mut().insert("Cookie", c.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// The next JSON text message of the given type, within `limit`.
async fn next_of(socket: &mut Socket, kind: &str, limit: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let msg = tokio::time::timeout_at(deadline, socket.next()).await.expect(kind).unwrap().unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    }
}

#[test]
fn the_ui_socket_needs_same_origin_and_a_session_and_pushes_live_updates() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let s = BrowserSession::login(&panel);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let url = panel.url.as_str();
        assert_eq!(open(url, None, Some(&s.cookie)).await.err(), Some(403), "no Origin");
        assert_eq!(open(url, Some("http://evil.example"), Some(&s.cookie)).await.err(), Some(403));
        assert_eq!(open(url, Some(url), None).await.err(), Some(401), "no session");
        let mut socket = open(url, Some(url), Some(&s.cookie)).await.unwrap();
        let first = next_of(&mut socket, "live_update", Duration::from_secs(3)).await;
        let second = next_of(&mut socket, "live_update", Duration::from_secs(3)).await;
        // Two ticks of the one-second live timer, stamped with the panel's clock.
        let (a, b) = (first["at"].as_i64().unwrap(), second["at"].as_i64().unwrap());
        let wall =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((1..=2).contains(&(b - a)), "consecutive ticks {a} and {b}");
        assert!((wall - 3..=wall).contains(&b), "tick stamped {b} at {wall}");
        assert_eq!(first["connections"], 0);
        assert_eq!(
            s.call("POST", "/api/users", Some(json!({"username": "liveone", "password": "pw-12345"}))).status,
            201
        );
        next_of(&mut socket, "users_changed", Duration::from_secs(3)).await;
        next_of(&mut socket, "system_update", Duration::from_secs(8)).await;
        // Logging out closes the socket of that session.
        assert_eq!(s.call("POST", "/api/logout", None).status, 200);
        let closed = tokio::time::timeout(Duration::from_secs(3), async {
            while let Some(Ok(msg)) = socket.next().await {
                if msg.is_close() {
                    return;
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the socket closes at logout");
    });
}

#[test]
fn ui_pages_hear_users_changed_when_the_panel_changes_a_user_by_itself() {
    use crate::helpers::net::EchoServer;
    let echo = EchoServer::start();
    let dir = PanelDir::new(json!({ "internal_forward_port": echo.addr.port() }));
    let panel = dir.start();
    let proxy = dir.start_proxy();
    assert_eq!(panel.create_user("quota", "pw-quota-1", json!({"quota_bytes": 4096})).status, 201);
    let s = BrowserSession::login(&panel);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let url = panel.url.as_str();
        let mut socket = open(url, Some(url), Some(&s.cookie)).await.unwrap();
        // The first system_update sets the baseline the hub compares with.
        next_of(&mut socket, "system_update", Duration::from_secs(8)).await;
        let _closed = crate::ui_browser::busy_tunnel(proxy.http, "quota", "pw-quota-1");
        // The first tunnel records the first use (a change of its own), then over quota the
        // panel marks the user exceeded: open pages are told of each.
        let mut heard = Vec::new();
        while heard.len() < 3 {
            next_of(&mut socket, "users_changed", Duration::from_secs(12)).await;
            let u = panel.api("GET", "/api/users/quota", None).json;
            heard.push(u["status"].as_str().unwrap().to_owned());
            if heard.last().unwrap() == "exceeded" {
                break;
            }
        }
        assert_eq!(heard.last().map(String::as_str), Some("exceeded"), "{heard:?}");
    });
}
