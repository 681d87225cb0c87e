//! What every connection task of a node shares: the node's state, the panel client, the
//! upstream address, and the pre-auth guards. A leaf of the session and auth modules.

use super::admission::Admission;
use super::panel_client::PanelClient;
use super::state::NodeState;
use super::throttle::AuthThrottle;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything a connection task needs.
pub struct Proxy {
    pub node: Arc<NodeState>,
    pub panel: PanelClient,
    pub upstream: SocketAddr,
    /// Header lines one request head may have.
    pub max_header_lines: usize,
    /// From accept to the `101` (TLS handshake included); then the connection is closed.
    pub handshake_timeout: std::time::Duration,
    /// Each tunnel's busy-polling window (`busy_poll_us`; zero: off).
    pub busy_poll: std::time::Duration,
    pub admission: Arc<Admission>,
    pub throttle: Mutex<AuthThrottle>,
}

impl Proxy {
    /// The auth failure throttle; its critical sections are a few map operations.
    pub fn throttle(&self) -> MutexGuard<'_, AuthThrottle> {
        self.throttle.lock().unwrap_or_else(|p| p.into_inner())
    }
}
