//! `/api/ports`: the ports the panel and the proxy listen on, and the shell door (stunnel's
//! public port, the dedicated sshd behind it). Changes are validated exactly as at start
//! (`RawConfig::validate`) and against ports other programs listen on. The panel's and the
//! proxy's ports are written into config.json atomically (every other key kept; by the root
//! helper's `set-ports` when config.json is root's, as installed, directly when it is the
//! panel's own, as with `up`), audited, and applied by restarting the affected services
//! through the helper. The door ports live in files install.sh writes: the helper's
//! `set-door-ports` rewrites them, restarts both units and rolls back when one does not come
//! up; the trial (`up`) runs no door, so there they are shown but not edited. The UI asks
//! first with `dry_run` to show which services will restart.

use super::AppState;
use super::admin_auth::Admin;
use super::admin_password::write_atomically;
use super::audit;
use super::error::ApiError;
use crate::actors::command_runner::Run;
use crate::config::{CommandBackend, Config, RawConfig};
use crate::store::settings;
use crate::store::tables::SETTINGS;
use crate::system::{DoorPorts, ListenPorts, Service, SystemCommand};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

/// Editable keys and the service that must restart when one changes.
pub const EDITABLE: [(&str, Service); 3] =
    [("panel_port", Service::WssPanel), ("wss_http_port", Service::Wss), ("wss_tls_port", Service::Wss)];
/// The door keys; the helper restarts both units itself (sshd first).
pub const DOORS: [(&str, Service); 2] =
    [("stunnel_port", Service::StunnelWss), ("sshd_stunnel_port", Service::SshdStunnel)];
/// Why the door ports are not editable in the trial.
const TRIAL_DOORS: &str =
    "trial mode (wss-panel up) runs no stunnel and no sshd_stunnel: their ports are set when installed";
/// Lets the answer reach the browser before the panel restarts itself.
const RESTART_DELAY: Duration = Duration::from_millis(500);

fn read_raw(config: &Config) -> Result<serde_json::Map<String, Value>, ApiError> {
    let text = std::fs::read_to_string(&config.path).map_err(ApiError::internal)?;
    match serde_json::from_str(&text).map_err(ApiError::internal)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::internal("config.json is not an object")),
    }
}

/// config.json is this process's own file (`up`, tests); installed, it is root's.
fn owned_by_this_process(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).is_ok_and(|m| m.uid() == nix::unistd::geteuid().as_raw())
}

/// The trial (`up`: the recording backend and config.json the panel's own) has no doors.
fn doors_editable(config: &Config) -> bool {
    !(config.command_backend == CommandBackend::Recording && owned_by_this_process(&config.path))
}

/// A new port another program already listens on (sshd on 22, a web server on 80) would
/// leave the restarted service unable to bind: refused, in the dry run too. Ports this
/// panel's own services hold now are fine (they are let go by the restart).
fn refuse_taken(key: &str, port: u32, current: &Config, busy: &HashSet<u16>) -> Result<(), ApiError> {
    let doors = DOORS.iter().any(|(k, _)| *k == key);
    let own = if doors {
        vec![current.stunnel_port, current.sshd_stunnel_port]
    } else {
        vec![current.panel_port, current.wss_http_port, current.wss_tls_port, current.udpgw_port]
    };
    let Ok(port16) = u16::try_from(port) else { return Ok(()) };
    let mut fixed = vec![current.internal_forward_port];
    if !doors {
        fixed.extend([current.stunnel_port, current.sshd_stunnel_port]);
    }
    if fixed.contains(&port16) || (busy.contains(&port16) && !own.contains(&port16)) {
        return Err(ApiError::Conflict(format!("{key} {port}: the port is in use by another program")));
    }
    Ok(())
}

pub async fn get(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let c = Config::load(&state.system.config.path).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({
        "panel_port": c.panel_port, "wss_http_port": c.wss_http_port, "wss_tls_port": c.wss_tls_port,
        "stunnel_port": c.stunnel_port, "sshd_stunnel_port": c.sshd_stunnel_port,
        "internal_forward_port": c.internal_forward_port,
        "doors_editable": doors_editable(&c), "doors_note": (!doors_editable(&c)).then_some(TRIAL_DOORS),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortsInput {
    pub panel_port: Option<u32>,
    pub wss_http_port: Option<u32>,
    pub wss_tls_port: Option<u32>,
    pub stunnel_port: Option<u32>,
    pub sshd_stunnel_port: Option<u32>,
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
    let c = &current;
    let asked = [
        (EDITABLE[0], c.panel_port, input.panel_port),
        (EDITABLE[1], c.wss_http_port, input.wss_http_port),
        (EDITABLE[2], c.wss_tls_port, input.wss_tls_port),
        (DOORS[0], c.stunnel_port, input.stunnel_port),
        (DOORS[1], c.sshd_stunnel_port, input.sshd_stunnel_port),
    ];
    let mut restart: Vec<Service> = Vec::new();
    let mut changes = Vec::new();
    let busy = super::host_metrics::listening_ports();
    for ((key, service), old, new) in asked {
        let Some(port) = new else { continue };
        if !(1..=65535).contains(&port) {
            return Err(ApiError::BadRequest(format!("{key} {port}: a port is 1 to 65535")));
        }
        if port == u32::from(old) {
            continue;
        }
        if is_door(service) && !doors_editable(c) {
            return Err(ApiError::Conflict(TRIAL_DOORS.into()));
        }
        refuse_taken(key, port, c, &busy)?;
        raw.insert(key.into(), port.into());
        changes.push(format!("{key} {old} -> {port}"));
        if !restart.contains(&service) {
            restart.push(service);
        }
    }
    let text = serde_json::to_string_pretty(&raw).map_err(ApiError::internal)?;
    let parsed: RawConfig = serde_json::from_str(&text).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let next = parsed.validate(&config.path).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The panel restarts last: it is the one answering.
    restart.sort_by_key(|s| *s == Service::WssPanel);
    let names: Vec<&str> = restart.iter().map(|s| s.as_str()).collect();
    if input.dry_run || changes.is_empty() {
        return Ok(HttpResponse::Ok().json(json!({ "restart": names, "applied": false })));
    }
    if restart.iter().any(|s| is_door(*s)) {
        move_doors(&state, c, DoorPorts { stunnel: next.stunnel_port, sshd: next.sshd_stunnel_port }).await?;
    }
    restart.retain(|s| !is_door(*s));
    write_listen_ports(&state, &next, text, !restart.is_empty()).await?;
    audit::record(&state, &by, "PORTS_UPDATE", "config.json", &changes.join(", ")).await?;
    if next.stunnel_port != c.stunnel_port {
        follow_public_stunnel_port(&state, by, c.stunnel_port, next.stunnel_port).await?;
    }
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

fn is_door(service: Service) -> bool {
    DOORS.iter().any(|(_, s)| *s == service)
}

/// config.json with the new ports: written here when it is the panel's own file, else (when
/// a listen port changed) by the helper's `set-ports`.
async fn write_listen_ports(
    state: &AppState,
    next: &Config,
    text: String,
    listen: bool,
) -> Result<(), ApiError> {
    let path = state.system.config.path.clone();
    if owned_by_this_process(&path) {
        return web::block(move || write_atomically(&path, &text))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal);
    }
    if !listen {
        return Ok(());
    }
    let ports =
        ListenPorts { panel: next.panel_port, wss_http: next.wss_http_port, wss_tls: next.wss_tls_port };
    state.runner.send(Run(SystemCommand::SetPorts { ports })).await?.map_err(|e| {
        tracing::error!(event = "PORTS_UPDATE_FAILED", error = %e);
        ApiError::Unavailable(format!("the helper could not write config.json: {e}"))
    })?;
    Ok(())
}

/// The helper rewrites the door configs (and their keys in config.json) and restarts both
/// units; when one does not come up it has put the old files back before answering.
async fn move_doors(state: &AppState, current: &Config, doors: DoorPorts) -> Result<(), ApiError> {
    state.runner.send(Run(SystemCommand::SetDoorPorts { doors })).await?.map_err(|e| {
        tracing::error!(event = "PORTS_UPDATE_FAILED", error = %e);
        ApiError::Unavailable(format!(
            "stunnel {} / sshd_stunnel {} were not applied (still {} / {}): {e}",
            doors.stunnel, doors.sshd, current.stunnel_port, current.sshd_stunnel_port
        ))
    })?;
    Ok(())
}

/// The connection card's stunnel port follows the door when it named the old one (behind
/// NAT it may be another port: then the operator's value stays).
async fn follow_public_stunnel_port(
    state: &AppState,
    by: crate::actors::user_registry::Origin,
    old: u16,
    new: u16,
) -> Result<(), ApiError> {
    let public = super::public_address::load(state).await?;
    if public.stunnel_port != old {
        return Ok(());
    }
    super::audited::write(state.store.clone(), by, "PUBLIC_ADDRESS_UPDATE", public.host, move |txn| {
        let table = txn.open_table(SETTINGS)?;
        let mut s = settings::get(&table)?;
        drop(table);
        s.public.stunnel_port = new;
        settings::put(&mut txn.open_table(SETTINGS)?, &s)?;
        Ok((old != new).then(|| format!("stunnel_port {old} → {new} (followed the door)")))
    })
    .await
}
