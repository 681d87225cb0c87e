//! `/metrics`: Prometheus text for the operator's monitoring: tunnels, users online, bytes,
//! UDPGW flows and datagrams, auth results by reason, fuse trips, connected proxy nodes, admin
//! login verifies. Every caller needs `Authorization: Bearer <data_dir>/metrics_token`,
//! loopback peers too: a tunnel customer reaches this host's loopback through SSH port
//! forwarding.

use super::AppState;
use super::admin_auth::{bearer, client_ip, secrets_match};
use super::error::ApiError;
use crate::actors::node_hub::ListNodes;
use crate::actors::stats_aggregator::GetLiveView;
use actix_web::{HttpRequest, HttpResponse, web};
use std::fmt::Write;
use std::sync::atomic::Ordering;

pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let given = bearer(&req).unwrap_or_default();
    if !secrets_match(given.as_bytes(), state.metrics_token.as_bytes()) {
        tracing::warn!(event = "METRICS_UNAUTHORIZED", peer = %client_ip(&req));
        return Err(ApiError::Unauthorized);
    }
    let view = state.aggregator.send(GetLiveView).await?;
    let nodes = state.hub.send(ListNodes).await?;
    let m = &state.metrics;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, kind: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    gauge("wss_tunnels", "Live tunnels on all nodes.", "gauge", view.connections.to_string());
    gauge(
        "wss_store_writable",
        "1 while the store's writes go through; 0 after a failed write (disk full) until one works again.",
        "gauge",
        u8::from(state.store.writable()).to_string(),
    );
    gauge(
        "wss_store_write_failures_total",
        "Store writes that failed since the panel started.",
        "counter",
        state.store.write_failures().to_string(),
    );
    gauge("wss_udp_flows", "Live UDPGW flows on all nodes.", "gauge", view.udp_flows.to_string());
    gauge("wss_users_online", "Users with at least one live tunnel.", "gauge", view.users.len().to_string());
    gauge("wss_ipc_nodes", "Proxy nodes connected to /ipc.", "gauge", nodes.len().to_string());
    gauge(
        "wss_stats_reports_settled_total",
        "Node reports whose traffic the store has taken since the panel started.",
        "counter",
        m.stats_reports_settled.load(Ordering::Relaxed).to_string(),
    );
    gauge(
        "wss_fuse_trips_total",
        "Users fused since the panel started.",
        "counter",
        m.fuse_trips.load(Ordering::Relaxed).to_string(),
    );
    gauge("wss_speed_up_kbps", "Summed upload speed, KiB/s.", "gauge", format!("{:.1}", view.speed_up_kbps));
    gauge(
        "wss_speed_down_kbps",
        "Summed download speed, KiB/s.",
        "gauge",
        format!("{:.1}", view.speed_down_kbps),
    );
    let g = view.guard;
    gauge(
        "wss_preauth_connections",
        "Connections not yet authenticated, all nodes.",
        "gauge",
        g.pending.to_string(),
    );
    gauge(
        "wss_preauth_refused_total",
        "Connections refused at the per-address pre-auth cap since each proxy started.",
        "counter",
        g.refused_per_ip.to_string(),
    );
    gauge(
        "wss_preauth_shed_total",
        "Unauthenticated connections shed at the global cap since each proxy started.",
        "counter",
        g.shed.to_string(),
    );
    gauge(
        "wss_auth_throttled_total",
        "Tunnel auth attempts refused by the failure throttle since each proxy started.",
        "counter",
        g.throttled.to_string(),
    );
    gauge(
        "wss_traffic_transactions_total",
        "Store transactions that applied the nodes' traffic (one per tick with traffic).",
        "counter",
        m.traffic_writes.load(Ordering::Relaxed).to_string(),
    );
    gauge(
        "wss_traffic_batches_total",
        "Node traffic batches stored by those transactions.",
        "counter",
        m.traffic_batches.load(Ordering::Relaxed).to_string(),
    );
    gauge(
        "wss_admin_login_verifies_total",
        "Admin password verifies (bcrypt) run for logins and password changes.",
        "counter",
        m.admin_verifies.load(Ordering::Relaxed).to_string(),
    );
    let _ = writeln!(
        out,
        "# HELP wss_bytes_total Tunnel bytes stored since the panel started.\n# TYPE wss_bytes_total counter"
    );
    let _ = writeln!(out, "wss_bytes_total{{direction=\"up\"}} {}", m.bytes_up.load(Ordering::Relaxed));
    let _ = writeln!(out, "wss_bytes_total{{direction=\"down\"}} {}", m.bytes_down.load(Ordering::Relaxed));
    let _ = writeln!(
        out,
        "# HELP wss_udp_datagrams_total UDPGW datagrams reported since the panel started.\n# TYPE wss_udp_datagrams_total counter"
    );
    let _ = writeln!(
        out,
        "wss_udp_datagrams_total{{direction=\"up\"}} {}",
        m.udp_datagrams_up.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "wss_udp_datagrams_total{{direction=\"down\"}} {}",
        m.udp_datagrams_down.load(Ordering::Relaxed)
    );
    let _ =
        writeln!(out, "# HELP wss_auth_total Tunnel auth answers by result.\n# TYPE wss_auth_total counter");
    for (result, n) in m.auth_results.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "wss_auth_total{{result=\"{result}\"}} {n}");
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(out))
}
