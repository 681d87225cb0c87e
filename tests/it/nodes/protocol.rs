//! The `/ipc` hello's protocol version: one release apart interoperates both ways; farther
//! apart is refused with `NODE_REFUSED` on the side that finds out (the panel answers 426
//! with its version, so the proxy logs it too).

use crate::helpers::net::{connect, read_head};
use crate::helpers::{PanelDir, SECRET};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// The upgrade to `/ipc` with the internal secret and `version` (None: no hello header):
/// the panel's status line and `x-wss-protocol` answer.
fn hello(addr: &str, version: Option<&str>) -> (String, Option<String>) {
    let mut s = connect(addr.parse().unwrap());
    let mut head = format!(
        "GET /ipc HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nx-internal-secret: {SECRET}\r\nx-node-id: test-00000001\r\n"
    );
    if let Some(v) = version {
        head.push_str(&format!("x-wss-protocol: {v}\r\n"));
    }
    s.write_all(format!("{head}\r\n").as_bytes()).unwrap();
    let answer = read_head(&mut s);
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let version = answer
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-wss-protocol:").map(|v| v.trim().to_owned()));
    (status, version)
}

#[test]
fn the_panel_takes_proxies_one_version_apart_and_refuses_the_rest() {
    let dir = PanelDir::new(json!({}));
    let panel = dir.start();
    let addr = panel.url.trim_start_matches("http://").to_owned();
    for ok in [None, Some("1"), Some("2"), Some("3")] {
        let (status, theirs) = hello(&addr, ok);
        assert!(status.starts_with("HTTP/1.1 101"), "{ok:?}: {status}");
        assert_eq!(theirs.as_deref(), Some("2"), "the panel's hello");
    }
    for refused in ["0", "4", "17", "two"] {
        let (status, theirs) = hello(&addr, Some(refused));
        assert!(status.starts_with("HTTP/1.1 426"), "{refused}: {status}");
        assert_eq!(theirs.as_deref(), Some("2"));
        panel.wait_for_log(&["NODE_REFUSED", "incompatible protocol", &format!("{refused:?}")]);
    }
}

/// A stand-in panel answering every `/ipc` upgrade with `status` and hello `version`.
fn fake_panel(status: u16, version: u32) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut key = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("sec-websocket-key:") {
                        key = line[line.len() - v.len()..].trim().to_owned();
                    }
                }
                let mut out = stream;
                let answer = match status {
                    101 => format!(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\nx-wss-protocol: {version}\r\n\r\n",
                        derive_accept_key(key.as_bytes())
                    ),
                    _ => format!(
                        "HTTP/1.1 {status} Refused\r\nx-wss-protocol: {version}\r\ncontent-length: 0\r\n\r\n"
                    ),
                };
                let _ = out.write_all(answer.as_bytes());
                // Hold the socket until the proxy drops it.
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_proxy_takes_a_panel_one_version_apart_and_refuses_the_rest() {
    for (status, version, expect) in [
        (101, 3, &["IPC_CONNECTED"][..]),
        (101, 1, &["IPC_CONNECTED"][..]),
        (101, 9, &["NODE_REFUSED", "protocol 9, this proxy 2"][..]),
        (426, 7, &["NODE_REFUSED", "protocol 7, this proxy 2"][..]),
    ] {
        let dir = PanelDir::new(json!({ "panel_url": fake_panel(status, version) }));
        let proxy = dir.start_proxy();
        proxy.wait_for_log(expect);
        let log = proxy.log.lock().unwrap().join("\n");
        let other = if expect[0] == "IPC_CONNECTED" { "NODE_REFUSED" } else { "IPC_CONNECTED" };
        assert!(!log.contains(other), "{status} {version}: {log}");
    }
}
