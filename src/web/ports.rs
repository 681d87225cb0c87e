//! `/api/ports`: the ports the panel and the proxy listen on. Changes are validated exactly
//! as at start (`RawConfig::validate`), written into config.json atomically (every other key
//! kept), audited, and applied by restarting the affected services through the helper. The
//! UI asks first with `dry_run` to show which services will restart. The stunnel and sshd
//! ports live in files the installer writes, so they are shown but not edited here.

use super::AppState;
use super::admin_auth::Admin;
use super::admin_password::write_atomically;
use super::audit;
use super::error::ApiError;
use crate::actors::command_runner::Run;
use crate::config::{Config, RawConfig};
use crate::system::{Service, SystemCommand};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Editable keys and the service that must restart when one changes.
pub const EDITABLE: [(&str, Service); 3] =
    [("panel_port", Service::WssPanel), ("wss_http_port", Service::Wss), ("wss_tls_port", Service::Wss)];
/// Lets the answer reach the browser before the panel restarts itself.
const RESTART_DELAY: Duration = Duration::from_millis(500);

fn read_raw(config: &Config) -> Result<serde_json::Map<String, Value>, ApiError> {
    let text = std::fs::read_to_string(&config.path).map_err(ApiError::internal)?;
    match serde_json::from_str(&text).map_err(ApiError::internal)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::internal("config.json is not an object")),
    }
}

pub async fn get(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let c = Config::load(&state.system.config.path).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({
        "panel_port": c.panel_port, "wss_http_port": c.wss_http_port, "wss_tls_port": c.wss_tls_port,
        "stunnel_port": c.stunnel_port, "internal_forward_port": c.internal_forward_port,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortsInput {
    pub panel_port: Option<u32>,
    pub wss_http_port: Option<u32>,
    pub wss_tls_port: Option<u32>,
    #[serde(default)]
    pub dry_run: bool,
}

pub async fn put(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<PortsInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let config = &state.system.config;
    let mut raw = read_raw(config)?;
    let current = Config::load(&config.path).map_err(ApiError::internal)?;
    let old = [current.panel_port, current.wss_http_port, current.wss_tls_port];
    let new = [input.panel_port, input.wss_http_port, input.wss_tls_port];
    let mut restart: Vec<Service> = Vec::new();
    let mut changes = Vec::new();
    for (((key, service), old), new) in EDITABLE.iter().zip(old).zip(new) {
        let Some(port) = new else { continue };
        if !(1..=65535).contains(&port) {
            return Err(ApiError::BadRequest(format!("{key} {port}: a port is 1 to 65535")));
        }
        if port != u32::from(old) {
            raw.insert((*key).into(), port.into());
            changes.push(format!("{key} {old} -> {port}"));
            if !restart.contains(service) {
                restart.push(*service);
            }
        }
    }
    let text = serde_json::to_string_pretty(&raw).map_err(ApiError::internal)?;
    let parsed: RawConfig = serde_json::from_str(&text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    parsed.validate(&config.path).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The panel restarts last: it is the one answering.
    restart.sort_by_key(|s| *s == Service::WssPanel);
    let names: Vec<&str> = restart.iter().map(|s| s.as_str()).collect();
    if input.dry_run || changes.is_empty() {
        return Ok(HttpResponse::Ok().json(json!({ "restart": names, "applied": false })));
    }
    let path = config.path.clone();
    web::block(move || write_atomically(&path, &text))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    audit::record(&state, &by, "PORTS_UPDATE", "config.json", &changes.join(", ")).await?;
    let runner = state.runner.clone();
    actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(RESTART_DELAY).await;
        for service in restart {
            if let Ok(Err(e)) = runner.send(Run(SystemCommand::RestartService { service })).await {
                tracing::error!(event = "SERVICE_RESTART_FAILED", %service, error = %e);
            }
        }
    });
    Ok(HttpResponse::Ok().json(json!({ "restart": names, "applied": true })))
}
