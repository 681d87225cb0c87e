//! Fuzzes every decoder in `wire.rs` (the JSON between proxies and the panel): no input
//! panics any of them, and whatever one accepts re-encodes to JSON that decodes to the
//! same value (so a message relayed or resent after a reconnect means the same thing).

use super::engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use wss_panel::wire::*;

/// Field names, tags and the numbers at the edges of the wire's integer types.
const DICT: &[&[u8]] = &[
    b"\"type\":\"stats_update\"",
    b"\"action\":\"ack\"",
    b"\"action\":\"kick\"",
    b"\"action\":\"update_limits\"",
    b"\"action\":\"reset_traffic\"",
    b"\"action\":\"delete\"",
    b"\"action\":\"reload_hosts\"",
    b"\"verdict\":\"allow\"",
    b"\"verdict\":\"deny\"",
    b"\"reason\":\"fused\"",
    b"\"username\":",
    b"\"password\":null",
    b"\"node_id\":",
    b"\"seq\":",
    b"\"limits\":",
    b"\"batches\":",
    b"\"bytes\":",
    b"\"users\":",
    b"\"ips\":",
    b"\"guard\":",
    b"\"hosts\":",
    b"\"connections_elsewhere\":",
    b"\"rate_kbps\":",
    b"\"max_connections\":",
    b"\"require_auth_header\":true",
    b"\"speed_up_kbps\":",
    b"18446744073709551615",
    b"18446744073709551616",
    b"4294967296",
    b"-1",
    b"1e308",
    b"1e309",
    b"-0.0",
    b"0.5",
    b"null",
    b"[]",
    b"{}",
    b"\"\\u0000\"",
    b"\"\\ud800\"",
    b"[[\"1.2.3.4\",1]]",
    b"[0,0]",
];

/// Decodes `data` as `T`; if it is accepted, checks the round trip. Answers whether it was.
fn one<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) -> bool {
    let Ok(value) = serde_json::from_slice::<T>(data) else { return false };
    let text = serde_json::to_vec(&value).expect("an accepted value always encodes");
    let again: T = serde_json::from_slice(&text)
        .unwrap_or_else(|e| panic!("{} does not decode its own encoding: {e}", std::any::type_name::<T>()));
    assert_eq!(again, value, "{} changed in a round trip", std::any::type_name::<T>());
    true
}

fn check(data: &[u8]) -> String {
    let accepted = [
        one::<AuthRequest>(data),
        one::<TunnelAuth>(data),
        one::<UserLimits>(data),
        one::<DenyReason>(data),
        one::<AuthVerdict>(data),
        one::<TunnelVerdict>(data),
        one::<UserStats>(data),
        one::<TrafficBatch>(data),
        one::<GuardStats>(data),
        one::<StatsReport>(data),
        one::<ProxyToPanel>(data),
        one::<PanelToProxy>(data),
    ];
    accepted.iter().map(|&a| if a { '1' } else { '0' }).collect()
}

#[test]
fn fuzz_every_wire_decoder_never_panics_and_round_trips() {
    let report = engine::run("wire", DICT, check);
    assert!(report.execs > 1000, "too few inputs ran to mean anything: {report:?}");
    assert!(report.outcomes >= 8, "the corpus reaches too few decoders: {report:?}");
}
