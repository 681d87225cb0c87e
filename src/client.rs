//! The admin API client behind `wss-panel user ...`: finds the running panel and its admin
//! token from the config, and maps answers to exit codes scripts can test.

use crate::config::{Config, ConfigError};
use serde_json::Value;

/// sysexits(3) codes, so scripts can tell failures apart.
pub mod exit {
    pub const USAGE_OR_CONFIG: i32 = 64;
    pub const DATA: i32 = 65;
    pub const NO_USER: i32 = 67;
    pub const UNAVAILABLE: i32 = 69;
    pub const CANT_CREATE: i32 = 73;
    pub const NO_PERMISSION: i32 = 77;
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read the admin token {path}: {source} (run as root or the panel user)")]
    Token { path: String, source: std::io::Error },
    #[error("the panel at {url} is not reachable: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{message}")]
    Api { status: u16, message: String },
    #[error("{0}")]
    Usage(String),
    /// A value the user gave is malformed (a size with an unknown unit).
    #[error("{0}")]
    Data(String),
}

impl ClientError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::Config(_) | ClientError::Usage(_) => exit::USAGE_OR_CONFIG,
            ClientError::Data(_) => exit::DATA,
            ClientError::Token { .. } => exit::NO_PERMISSION,
            ClientError::Unreachable { .. } => exit::UNAVAILABLE,
            ClientError::Api { status, .. } => match status {
                400 => exit::DATA,
                401 | 403 => exit::NO_PERMISSION,
                404 => exit::NO_USER,
                409 => exit::CANT_CREATE,
                _ => exit::UNAVAILABLE,
            },
        }
    }
}

pub struct PanelClient {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl PanelClient {
    /// The panel's loopback URL from the config (or the address file a port-0 panel wrote).
    pub fn from_config(config: &Config) -> Result<Self, ClientError> {
        let token_path = config.admin_token_path();
        // Root runs this CLI and the token lives in the panel account's directory: a link
        // planted there must not make root send another file's contents as the bearer.
        let token = crate::secure_files::read_nofollow(&token_path)
            .and_then(|t| t.ok_or_else(|| std::io::ErrorKind::NotFound.into()))
            .map_err(|source| ClientError::Token { path: token_path.display().to_string(), source })?
            .trim()
            .to_owned();
        let addr = if config.panel_port == 0 {
            std::fs::read_to_string(config.panel_addr_path()).map_err(|e| ClientError::Unreachable {
                url: config.panel_addr_path().display().to_string(),
                detail: e.to_string(),
            })?
        } else {
            format!("127.0.0.1:{}", config.panel_local_port.unwrap_or(config.panel_port))
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        Ok(PanelClient { base: format!("http://{}", addr.trim()), token, agent })
    }

    /// Sends one request; a non-2xx answer becomes `ClientError::Api` with the server's message.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => self.agent.delete(&url).header("Authorization", &auth).call(),
            ("PATCH", b) => {
                self.agent.patch(&url).header("Authorization", &auth).send_json(b.unwrap_or(&Value::Null))
            }
            ("PUT", b) => {
                self.agent.put(&url).header("Authorization", &auth).send_json(b.unwrap_or(&Value::Null))
            }
            (_, b) => {
                self.agent.post(&url).header("Authorization", &auth).send_json(b.unwrap_or(&Value::Null))
            }
        };
        let mut response =
            result.map_err(|e| ClientError::Unreachable { url: url.clone(), detail: e.to_string() })?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let message = value["error"].as_str().map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}"));
        Err(ClientError::Api { status, message })
    }
}

impl PanelClient {
    /// GETs `path` and copies the body into `to` as it arrives (backups are large): no
    /// overall timeout, an answer other than 200 becomes `ClientError::Api`.
    pub fn download(&self, path: &str, to: &mut dyn std::io::Write) -> Result<u64, ClientError> {
        let url = format!("{}{path}", self.base);
        let unreachable = |detail: String| ClientError::Unreachable { url: url.clone(), detail };
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .config()
            .timeout_global(None)
            .build()
            .call()
            .map_err(|e| unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let message =
                value["error"].as_str().map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}"));
            return Err(ClientError::Api { status, message });
        }
        std::io::copy(&mut response.body_mut().as_reader(), to).map_err(|e| unreachable(e.to_string()))
    }
}

/// Escapes a path segment so that no input can change the route.
pub fn path_segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
