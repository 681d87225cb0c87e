//! `/api/system/*`: the dashboard's host view (CPU, memory, disk, services, listening ports,
//! account counts, live totals), service restarts and journal lines, both through the
//! `CommandRunner` (the root helper). A status the helper cannot give is "unknown".

use super::AppState;
use super::admin_auth::Admin;
use super::error::ApiError;
use super::{audit, host_metrics};
use crate::actors::command_runner::{CommandRunner, Run};
use crate::actors::stats_aggregator::{GetLiveView, StatsAggregator};
use crate::actors::user_registry::{ListUsers, UserRegistry};
use crate::config::Config;
use crate::domain::UserStatus;
use crate::system::{LogLines, Service, SystemCommand};
use actix::Addr;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// What the system view is gathered from; cloned into the `UiHub`'s periodic push.
#[derive(Clone)]
pub struct SystemSources {
    pub registry: Addr<UserRegistry>,
    pub aggregator: Addr<StatsAggregator>,
    pub runner: Addr<CommandRunner>,
    pub config: Config,
    pub store: std::sync::Arc<crate::store::Store>,
    /// The served certificate's expiry (`tls_cert`), re-read when it changes.
    pub cert: super::cert_expiry::CertWatch,
}

async fn service_states(runner: &Addr<CommandRunner>) -> Value {
    let mut out = serde_json::Map::new();
    for service in Service::ALL {
        let status = match runner.send(Run(SystemCommand::IsActive { service })).await {
            Ok(Ok(o)) if !o.stdout.trim().is_empty() => o.stdout.trim().to_owned(),
            _ => "unknown".to_owned(),
        };
        out.insert(service.as_str().to_owned(), Value::String(status));
    }
    Value::Object(out)
}

fn ports(config: &Config) -> Value {
    let open = host_metrics::listening_ports();
    let list = [
        ("panel", config.panel_port),
        ("wss_http", config.wss_http_port),
        ("wss_tls", config.wss_tls_port),
        ("stunnel", config.stunnel_port),
        ("ssh_internal", config.internal_forward_port),
        ("udpgw", config.udpgw_port),
    ];
    list.iter()
        .filter(|(_, port)| *port != 0) // udpgw_port 0: no UDPGW
        .map(|(name, port)| json!({ "name": name, "port": port, "listening": open.contains(port) }))
        .collect()
}

/// What the dashboard's alerts depend on that can change between two `system_update`s and
/// is cheap to read (`/proc/net/tcp*`, the store's last write): the `UiHub` pushes a fresh
/// status as soon as it changes.
pub fn alert_fingerprint(src: &SystemSources) -> String {
    format!("{} {}", ports(&src.config), src.store.writable())
}

/// The whole dashboard payload (also the `system_update` push).
pub async fn gather(src: SystemSources) -> Value {
    let cpu = host_metrics::sample_cpu().await;
    let mem = host_metrics::sample_mem();
    let disk = host_metrics::sample_disk();
    let users = src.registry.send(ListUsers).await.ok().and_then(Result::ok).unwrap_or_default();
    let mut counts = serde_json::Map::new();
    for s in UserStatus::ALL {
        let n = users.iter().filter(|u| u.status == s).count();
        counts.insert(s.as_str().to_owned(), n.into());
    }
    let live = src.aggregator.send(GetLiveView).await.unwrap_or_default();
    json!({
        "cpu_percent": cpu,
        "mem": mem.map(|(total, avail)| json!({ "total": total, "used": total - avail })),
        "disk": disk.map(|(total, avail)| json!({ "total": total, "used": total - avail })),
        "services": service_states(&src.runner).await,
        "ports": ports(&src.config),
        "accounts": { "total": users.len(), "by_status": counts },
        "traffic_bytes": users.iter().map(|u| u.used_bytes()).sum::<u64>(),
        "online_users": live.users.values().filter(|u| u.connections > 0).count(),
        "tunnels": live.connections,
        "nodes": live.nodes,
        "cert": src.cert.status(crate::domain::now_unix()),
        // Trial mode (`up`, the recording backend): accounts and services are simulated, so
        // the UI says so and offers no restart that would only pretend to work.
        // A failed write (disk full): the dashboard's alert row says so and how to fix it.
        "store": store_state(&src),
        "simulated": src.config.command_backend == crate::config::CommandBackend::Recording,
    })
}

/// The store's health for the alert row: its last write, and the room left under it (a
/// full disk can still commit a write that fits in the file's free pages, so the last
/// write alone would flap).
fn store_state(src: &SystemSources) -> Value {
    use crate::store::health::{space_is_low, space_under};
    let space = space_under(&src.config.data_dir).ok();
    json!({
        "writable": src.store.writable(),
        "error": src.store.last_failure(),
        "free_bytes": space.map(|(_, free)| free),
        "low": space.is_some_and(|(total, free)| space_is_low(total, free)),
    })
}

pub async fn status(_: Admin, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(gather(state.system.clone()).await)
}

fn service(name: &str) -> Result<Service, ApiError> {
    Service::parse(name).map_err(|e| ApiError::NotFound(e.to_string()))
}

pub async fn restart(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let service = service(&name)?;
    let result = state.runner.send(Run(SystemCommand::RestartService { service })).await?;
    let detail = match &result {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    let action = if result.is_ok() { "SERVICE_RESTART" } else { "SERVICE_RESTART_FAILED" };
    audit::record(&state, &by, action, service.as_str(), &detail).await?;
    match result {
        Ok(_) => Ok(HttpResponse::Ok().json(json!({ "service": service.as_str() }))),
        Err(e) => Err(ApiError::Unavailable(format!("restart {service}: {e}"))),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogsQuery {
    pub lines: Option<u16>,
}

/// The last lines of the service's journal, as plain text in JSON (the UI shows it as text).
pub async fn logs(
    _: Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    let service = service(&name)?;
    let lines = LogLines::new(query.lines.unwrap_or(100)).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    match state.runner.send(Run(SystemCommand::ServiceLogs { service, lines })).await? {
        Ok(out) => Ok(HttpResponse::Ok().json(json!({ "service": service.as_str(), "text": out.stdout }))),
        Err(e) => Err(ApiError::Unavailable(format!("logs of {service}: {e}"))),
    }
}
