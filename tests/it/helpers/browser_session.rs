//! An HTTP client that behaves like the panel's own page in a browser: it logs in with the
//! admin password, keeps the session cookie, and sends the same-origin headers the UI sends.
//! Tests drop or change single headers to play a cross-site attacker.

use super::{ADMIN_PASSWORD, Panel, Reply, agent};
use serde_json::{Value, json};

pub struct BrowserSession {
    pub url: String,
    /// `wss_session=...`, or empty when logged out.
    pub cookie: String,
}

/// A raw answer: status, headers and body text.
pub struct RawReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::String(self.body.clone()))
    }
}

/// Sends a request with exactly these headers (and nothing else but Host).
pub fn raw(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> RawReply {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let mut response = agent().run(builder.body(body.to_owned()).unwrap()).unwrap();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let status = response.status().as_u16();
    RawReply { status, headers, body: response.body_mut().read_to_string().unwrap_or_default() }
}

/// `POST /api/login` as the login page sends it; the raw answer.
pub fn login_raw(panel: &Panel, username: &str, password: &str, cookie: Option<&str>) -> RawReply {
    let body = json!({ "username": username, "password": password }).to_string();
    let mut headers = vec![
        ("Origin", panel.url.as_str()),
        ("X-Requested-With", "wss-panel"),
        ("Content-Type", "application/json"),
    ];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    raw("POST", &format!("{}/api/login", panel.url), &headers, &body)
}

/// The `name=value` part of a Set-Cookie header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

impl BrowserSession {
    /// Logs in as the admin; panics if that fails.
    pub fn login(panel: &Panel) -> BrowserSession {
        let reply = login_raw(panel, "admin", ADMIN_PASSWORD, None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let cookie = cookie_pair(reply.header("set-cookie").expect("a session cookie"));
        BrowserSession { url: panel.url.clone(), cookie }
    }

    /// A same-origin call from the panel's page.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let r = self.call_with(method, path, body, &[]);
        Reply { status: r.status, json: r.json() }
    }

    /// Like `call`, with headers added or (with an empty value) removed.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        tweak: &[(&str, &str)],
    ) -> RawReply {
        let mut headers: Vec<(&str, &str)> = vec![
            ("Origin", self.url.as_str()),
            ("Sec-Fetch-Site", "same-origin"),
            ("X-Requested-With", "wss-panel"),
            ("Content-Type", "application/json"),
            ("Cookie", self.cookie.as_str()),
        ];
        for (k, v) in tweak {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            if !v.is_empty() {
                headers.push((k, v));
            }
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        raw(method, &format!("{}{path}", self.url), &headers, &body)
    }
}
