//! What a payload is made of: the preset, R1/R2 methods and hosts, the header checkboxes,
//! the auth mode and the user. A request names a preset and overrides any field; the
//! result is validated once (no CR/LF or control bytes can reach a header). No I/O.

use crate::domain::Username;
use serde::{Deserialize, Serialize};

/// Longest host (or marker) accepted for R1 and R2: a DNS name plus a port.
pub const MAX_HOST_CHARS: usize = 260;
/// Longest password accepted into a payload (the proxy's own limit is larger than any real one).
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    HttpInjector,
    HttpCustom,
    Napsternetv,
}

impl Preset {
    /// HTTP Injector and HTTP Custom expand `[host_port]`, `[protocol]` and `[ua]`
    /// themselves; for NapsternetV they are written out (it keeps `[crlf]` and `[split]`).
    pub fn speaks_markers(self) -> bool {
        !matches!(self, Preset::Napsternetv)
    }

    /// The starting form of each app's usual payload.
    pub fn defaults(self) -> PayloadSpec {
        let all =
            Headers { host: true, keep_alive: true, user_agent: true, websocket: true, online_host: true };
        let plain =
            Headers { host: true, keep_alive: false, user_agent: true, websocket: true, online_host: false };
        let (split, headers) = match self {
            Preset::HttpInjector => (true, all),
            Preset::HttpCustom => (false, plain),
            Preset::Napsternetv => (false, Headers { user_agent: false, ..plain }),
        };
        PayloadSpec {
            preset: self,
            split,
            r1_method: R1Method::Connect,
            r1_host: "[host_port]".to_owned(),
            r2_method: R2Method::Get,
            r2_host: String::new(),
            headers,
            auth: AuthMode::Proxy,
            user: String::new(),
            password: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum R1Method {
    Connect,
    Get,
    Post,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum R2Method {
    Get,
    Connect,
    Post,
    Put,
    Head,
    Trace,
    Options,
    Patch,
    Delete,
}

impl R1Method {
    pub fn as_str(self) -> &'static str {
        match self {
            R1Method::Connect => "CONNECT",
            R1Method::Get => "GET",
            R1Method::Post => "POST",
        }
    }
}

impl R2Method {
    pub const ALL: [R2Method; 9] = [
        R2Method::Get,
        R2Method::Connect,
        R2Method::Post,
        R2Method::Put,
        R2Method::Head,
        R2Method::Trace,
        R2Method::Options,
        R2Method::Patch,
        R2Method::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            R2Method::Get => "GET",
            R2Method::Connect => "CONNECT",
            R2Method::Post => "POST",
            R2Method::Put => "PUT",
            R2Method::Head => "HEAD",
            R2Method::Trace => "TRACE",
            R2Method::Options => "OPTIONS",
            R2Method::Patch => "PATCH",
            R2Method::Delete => "DELETE",
        }
    }
}

/// The original's R2 header checkboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Headers {
    pub host: bool,
    pub keep_alive: bool,
    pub user_agent: bool,
    pub websocket: bool,
    pub online_host: bool,
}

/// `proxy`: `Proxy-Authorization: Basic`; `uri`: `/?user=NAME` (users who opted out of the
/// header); `none`: no credentials (the app adds its own, or the proxy answers 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    None,
    Proxy,
    Uri,
}

/// A complete, validated payload description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadSpec {
    pub preset: Preset,
    pub split: bool,
    pub r1_method: R1Method,
    pub r1_host: String,
    pub r2_method: R2Method,
    pub r2_host: String,
    pub headers: Headers,
    pub auth: AuthMode,
    pub user: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("{field}: 1 to {MAX_HOST_CHARS} characters of a host name, address, port or [marker]")]
    BadHost { field: &'static str },
    #[error("r2_host: no public address is configured (Settings) and none was given")]
    NoHost,
    #[error("user: {0}")]
    BadUser(String),
    #[error("password: at most {MAX_PASSWORD_CHARS} characters, no control characters")]
    BadPassword,
}

impl PayloadSpec {
    /// Fills an empty R2 host with the configured public host and checks every field.
    pub fn validated(mut self, public_host: &str) -> Result<PayloadSpec, SpecError> {
        if self.r2_host.is_empty() {
            if public_host.is_empty() {
                return Err(SpecError::NoHost);
            }
            self.r2_host = public_host.to_owned();
        }
        check_host("r1_host", &self.r1_host)?;
        check_host("r2_host", &self.r2_host)?;
        // `none` needs no user; a user given anyway must still be a valid name.
        if self.auth != AuthMode::None || !self.user.is_empty() {
            Username::parse(&self.user).map_err(|e| SpecError::BadUser(e.to_string()))?;
        }
        if self.password.chars().count() > MAX_PASSWORD_CHARS || self.password.chars().any(char::is_control) {
            return Err(SpecError::BadPassword);
        }
        Ok(self)
    }
}

/// Host names, IPv4/IPv6 literals, ports and the apps' `[markers]`; nothing that could end
/// a line or a request-line field.
fn check_host(field: &'static str, host: &str) -> Result<(), SpecError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || ".-_:[]".contains(c);
    if host.is_empty() || host.len() > MAX_HOST_CHARS || !host.chars().all(ok_char) {
        return Err(SpecError::BadHost { field });
    }
    Ok(())
}
