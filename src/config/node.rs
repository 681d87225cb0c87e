//! The keys that make a proxy a remote node of a panel on another host: `node_secret` (its
//! own secret from enrolment) and `panel_cert_sha256` (the panel certificate it pins). A node
//! reaches its panel over `https://` only, pinned; a secret never goes out in the clear.

use crate::pinned_tls::{Fingerprint, parse_fingerprint};

/// How a proxy proves itself to its panel.
#[derive(Clone, PartialEq, Eq)]
pub enum PanelCredential {
    /// The internal secret (the panel's own host).
    Internal(String),
    /// An enrolled node: its name and its own secret.
    Node { name: String, secret: String },
}

impl super::Config {
    /// What the proxy shows the panel: its node secret if enrolled, else the internal one.
    pub fn panel_credential(&self) -> PanelCredential {
        match &self.node_secret {
            Some(secret) => PanelCredential::Node { name: self.node_name.clone(), secret: secret.clone() },
            None => PanelCredential::Internal(self.internal_api_secret.clone()),
        }
    }
}

/// Checks the node keys against `panel_url`: answers the pin (if any).
pub fn check_link(
    panel_url: &str,
    node_secret: Option<&str>,
    pin: Option<&str>,
) -> Result<Option<Fingerprint>, String> {
    let pin = pin.map(parse_fingerprint).transpose().map_err(|e| format!("panel_cert_sha256: {e}"))?;
    let https = panel_url.starts_with("https://");
    if https && pin.is_none() {
        return Err(format!(
            "panel_url '{panel_url}' is https:// but panel_cert_sha256 is missing: nodes pin the panel's certificate (`wss-panel node enrol` writes both)"
        ));
    }
    if let Some(secret) = node_secret {
        if secret.len() < 16 {
            return Err("node_secret is shorter than 16 characters".into());
        }
        if !https {
            return Err(format!("node_secret needs an https:// panel_url, not '{panel_url}'"));
        }
    }
    Ok(pin)
}
