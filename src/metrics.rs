//! Counters the panel keeps since it started, shared by the actors and the web handlers and
//! rendered by `web::metrics` for Prometheus. No I/O.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

/// Counters the panel keeps since it started.
#[derive(Default)]
pub struct Metrics {
    pub auth_results: Mutex<BTreeMap<&'static str, u64>>,
    pub fuse_trips: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    /// bcrypt verifies of the admin password: what a login flood costs the panel.
    pub admin_verifies: AtomicU64,
    /// UDPGW datagrams the nodes reported (client → destination, destination → client).
    pub udp_datagrams_up: AtomicU64,
    pub udp_datagrams_down: AtomicU64,
    /// Node reports whose traffic batches the store has taken (applied or found already
    /// applied): after it moves on, a report received earlier can no longer change a count.
    pub stats_reports_settled: AtomicU64,
    /// Store transactions that applied the nodes' traffic (one per tick that had any), and
    /// the node batches they held: what the nodes bench reads.
    pub traffic_writes: AtomicU64,
    pub traffic_batches: AtomicU64,
}

impl Metrics {
    pub fn count_auth(&self, result: &'static str) {
        *self.auth_results.lock().unwrap_or_else(|p| p.into_inner()).entry(result).or_default() += 1;
    }
}
