//! Asking the panel whether a tunnel may start (`POST /internal/auth`). The proxy never
//! hashes passwords. The HTTP call is blocking (ureq, pooled keep-alive connections) and runs
//! on tokio's blocking pool; warm verdicts come from the node's cache and never get here.

use crate::config::PanelCredential;
use crate::pinned_tls::Fingerprint;
use crate::wire::{
    AuthRequest, NODE_NAME_HEADER, NODE_SECRET_HEADER, SECRET_HEADER, TunnelAuth, TunnelVerdict,
};
use std::sync::Arc;
use std::time::Duration;

const AUTH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("panel unreachable: {0}")]
    Unreachable(String),
    #[error("panel refused this proxy's secret (401): check internal_api_secret, or node_secret (revoked?)")]
    BadSecret,
    #[error("panel answered HTTP {0}")]
    Status(u16),
}

#[derive(Clone)]
pub struct PanelClient {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    auth_url: String,
    credential: PanelCredential,
}

impl PanelClient {
    /// With `pin`, `https://` trusts only that certificate (a remote node).
    pub fn new(panel_url: &str, credential: PanelCredential, pin: Option<Fingerprint>) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(AUTH_TIMEOUT))
            .build();
        let agent = match pin {
            Some(pin) => crate::pinned_tls::ureq_agent(pin, config),
            None => config.into(),
        };
        let auth_url = format!("{}/internal/auth", panel_url.trim_end_matches('/'));
        PanelClient { inner: Arc::new(Inner { agent, auth_url, credential }) }
    }

    pub async fn authorize(
        &self,
        username: &str,
        password: Option<&str>,
        node_id: &str,
    ) -> Result<TunnelVerdict, PanelError> {
        let body = TunnelAuth {
            auth: AuthRequest { username: username.to_owned(), password: password.map(str::to_owned) },
            node_id: node_id.to_owned(),
        };
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.post(&body))
            .await
            .map_err(|e| PanelError::Unreachable(e.to_string()))?
    }
}

impl Inner {
    fn post(&self, body: &TunnelAuth) -> Result<TunnelVerdict, PanelError> {
        let request = self.agent.post(&self.auth_url);
        let request = match &self.credential {
            PanelCredential::Internal(secret) => request.header(SECRET_HEADER, secret),
            PanelCredential::Node { name, secret } => {
                request.header(NODE_NAME_HEADER, name).header(NODE_SECRET_HEADER, secret)
            }
        };
        let mut response = request.send_json(body).map_err(|e| PanelError::Unreachable(e.to_string()))?;
        match response.status().as_u16() {
            200 => response.body_mut().read_json().map_err(|e| PanelError::Unreachable(e.to_string())),
            401 => Err(PanelError::BadSecret),
            other => Err(PanelError::Status(other)),
        }
    }
}
