//! HTTP/1.1 requests from a chosen loopback source address (127.0.0.2, 127.0.0.3, ...), so
//! that one test plays several client IPs against the panel's per-IP limits.

use super::Panel;
use super::browser_session::RawReply;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// Sends one request from `src` and reads the whole answer (`Connection: close`).
pub fn request_from(
    src: IpAddr,
    panel: &Panel,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawReply {
    let host = panel.url.trim_start_matches("http://");
    let target: SocketAddr = host.parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(src, 0).into()).unwrap();
    socket.connect(&target.into()).unwrap();
    let mut s: TcpStream = socket.into();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    RawReply { status, headers, body: body.to_owned() }
}

/// `POST /api/login` as the login page sends it, from `src`, with an optional `Cookie`.
pub fn login_from(
    src: &str,
    panel: &Panel,
    username: &str,
    password: &str,
    cookie: Option<&str>,
) -> RawReply {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let mut headers = vec![
        ("Origin", panel.url.as_str()),
        ("X-Requested-With", "wss-panel"),
        ("Content-Type", "application/json"),
    ];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    request_from(src.parse().unwrap(), panel, "POST", "/api/login", &headers, &body)
}
