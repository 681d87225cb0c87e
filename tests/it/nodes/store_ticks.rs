//! The CI-sized companion of `cargo bench --bench nodes` (BENCHMARKS.md): two enrolled nodes
//! carrying traffic; `/metrics` counts every stored byte once, and the panel stores the nodes'
//! ticks in at most one traffic transaction per second.

use super::TlsPanel;
use super::two_nodes::enrolled_proxy;
use super::view::{carry, used};
use crate::helpers::net::EchoServer;
use crate::helpers::wait_for;
use serde_json::json;
use std::time::{Duration, Instant};

fn metric(tls: &TlsPanel, name: &str) -> u64 {
    let text = tls.panel.metrics();
    let line = text.lines().find(|l| l.starts_with(name) && !l.starts_with('#'));
    let value = line.and_then(|l| l.rsplit_once(' ')).map(|(_, v)| v.parse().unwrap());
    value.unwrap_or_else(|| panic!("{name} not in /metrics:\n{text}"))
}

#[test]
fn two_nodes_traffic_is_counted_once_and_stored_in_one_transaction_per_tick() {
    let echo = EchoServer::start();
    let tls = TlsPanel::start(json!({}));
    for user in ["tuna", "tunb"] {
        assert_eq!(tls.panel.create_user(user, "pw-tun-1", json!({})).status, 201);
    }
    let start = Instant::now();
    let before = metric(&tls, "wss_traffic_transactions_total");
    let (_node_a, proxy_a) = enrolled_proxy(&tls, "edge-a", "127.0.0.2", &echo);
    let (_node_b, proxy_b) = enrolled_proxy(&tls, "edge-b", "127.0.0.3", &echo);
    let _a = carry(proxy_a.http, "tuna", 20_000);
    let _b = carry(proxy_b.http, "tunb", 50_000);
    let total = || used(&tls, "tuna") + used(&tls, "tunb");
    assert!(
        wait_for(Duration::from_secs(10), || (total() >= 140_000).then_some(())).is_some(),
        "never stored"
    );
    std::thread::sleep(Duration::from_secs(2)); // a few more ticks, with nothing new to store
    let stored = metric(&tls, "wss_bytes_total{direction=\"up\"}")
        + metric(&tls, "wss_bytes_total{direction=\"down\"}");
    assert_eq!(stored, total(), "/metrics counts what the users were charged, once");
    let txns = metric(&tls, "wss_traffic_transactions_total") - before;
    let secs = start.elapsed().as_secs();
    assert!(txns >= 1 && txns <= secs + 1, "{txns} traffic transactions in {secs} s");
    assert!(metric(&tls, "wss_traffic_batches_total") >= txns, "each transaction held a batch or more");
}
