//! The payload generator: the request heads a tunnel app (HTTP Injector, HTTP Custom,
//! NapsternetV) sends before SSH, written in the apps' marker language (`[host_port]`,
//! `[protocol]`, `[crlf]`, `[split]`, `[ua]`). One generator for the admin API, the UI and
//! the tests, so what an operator copies is what the tests push through the real proxy.
//!
//! R1 (front query, the "payload eater") is a dummy head the proxy answers `200` and eats;
//! R2 (bug host) is the upgrade head the proxy authenticates and answers `101`. No I/O.

pub mod address;
mod expand;
mod spec;

pub use expand::{USER_AGENT, expand};
pub use spec::{
    AuthMode, Headers, MAX_HOST_CHARS, MAX_PASSWORD_CHARS, PayloadSpec, Preset, R1Method, R2Method, SpecError,
};

use base64::Engine;

/// The generated payload for `spec`. `host_port` is the configured public `host:port` of
/// the door the app connects to; presets that do not speak the markers get it literally.
pub fn generate(spec: &PayloadSpec, host_port: &str) -> String {
    let mut out = String::new();
    if spec.split {
        out.push_str(&format!(
            "{} {} [protocol][crlf]Connection: close[crlf][crlf][split][crlf]",
            spec.r1_method.as_str(),
            spec.r1_host
        ));
    }
    out.push_str(&r2(spec));
    if spec.preset.speaks_markers() { out } else { literal(&out, host_port) }
}

/// The upgrade head: absolute-form target as the original wrote it, then the ticked headers.
fn r2(spec: &PayloadSpec) -> String {
    let host = &spec.r2_host;
    let query = match spec.auth {
        AuthMode::Uri => format!("?user={}", spec.user),
        AuthMode::Proxy | AuthMode::None => String::new(),
    };
    let mut lines = vec![format!("{} http://{host}/{query} [protocol]", spec.r2_method.as_str())];
    let h = &spec.headers;
    if h.host {
        lines.push(format!("Host: {host}"));
    }
    if h.online_host {
        lines.push(format!("X-Online-Host: {host}"));
    }
    if h.user_agent {
        lines.push("User-Agent: [ua]".to_owned());
    }
    if spec.auth == AuthMode::Proxy {
        lines.push(format!("Proxy-Authorization: Basic {}", basic_token(&spec.user, &spec.password)));
    }
    // The proxy opens the tunnel on either half of the upgrade pair; Keep-Alive alone is a
    // dummy head (answered 200), as in the original.
    if h.websocket {
        lines.push("Upgrade: websocket".to_owned());
        lines.push("Connection: Upgrade".to_owned());
    } else if h.keep_alive {
        lines.push("Connection: Keep-Alive".to_owned());
    }
    let mut text = lines.join("[crlf]");
    text.push_str("[crlf][crlf]");
    text
}

/// base64 of `user:password` in UTF-8, what `Proxy-Authorization: Basic` carries.
pub fn basic_token(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// For apps that only know `[crlf]` and `[split]`: the other markers written out.
fn literal(text: &str, host_port: &str) -> String {
    text.replace("[host_port]", host_port).replace("[protocol]", "HTTP/1.1").replace("[ua]", USER_AGENT)
}

#[cfg(test)]
mod tests;
