//! `/api/bans`: global IP bans. A ban is applied through the root helper first and stored
//! only if the firewall took it; at start every stored ban is applied again, so the
//! firewall and the list never drift apart. An admin cannot ban their own address.

use super::admin_auth::Admin;
use super::error::ApiError;
use super::{AppState, audited};
use crate::actors::command_runner::{CommandRunner, Run};
use crate::domain::now_unix;
use crate::store::ip_bans::{self, IpBan};
use crate::store::tables::IP_BANS;
use crate::store::{Record, Store, StoreError};
use crate::system::{IpNet, SystemCommand, validate};
use actix::Addr;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::net::IpAddr;

const MAX_REASON_CHARS: usize = 200;

pub fn load(store: &Store) -> Result<Vec<IpBan>, StoreError> {
    store.read(|txn| ip_bans::list(&txn.open_table(IP_BANS)?))
}

/// Applies every stored ban again (idempotent in the helper).
pub fn reapply(store: &Store, runner: &Addr<CommandRunner>) -> Result<(), StoreError> {
    for ban in load(store)? {
        match IpNet::parse(&ban.ip) {
            Ok(net) => runner.do_send(Run(SystemCommand::BanIp { net })),
            Err(e) => tracing::warn!(event = "BAN_SKIPPED", ip = %ban.ip, error = %e),
        }
    }
    Ok(())
}

pub async fn list(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let mut bans =
        web::block(move || load(&store)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    bans.sort_by_key(|b| std::cmp::Reverse(b.created_at));
    let items: Vec<_> = bans
        .into_iter()
        .map(|b| serde_json::json!({ "ip": b.ip, "reason": b.reason, "created_at": b.created_at, "added_by": b.added_by }))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanInput {
    pub ip: String,
    #[serde(default)]
    pub reason: String,
}

async fn run(state: &AppState, command: SystemCommand) -> Result<(), ApiError> {
    match state.runner.send(Run(command)).await? {
        Ok(_) => Ok(()),
        Err(e) => Err(ApiError::Unavailable(format!("firewall: {e}"))),
    }
}

pub async fn ban(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<BanInput>,
) -> Result<HttpResponse, ApiError> {
    let admin_ip: IpAddr = by.ip.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let net =
        validate::ban_target(body.ip.trim(), admin_ip).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let reason = body.reason.trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "reason: at most {MAX_REASON_CHARS} characters, no control characters"
        )));
    }
    run(&state, SystemCommand::BanIp { net }).await?;
    let key = net.to_string();
    let record =
        IpBan { ip: key.clone(), reason: reason.clone(), created_at: now_unix(), added_by: by.who.clone() };
    let saved = record.clone();
    audited::write(state.store.clone(), by, "IP_BAN", key.clone(), move |txn| {
        txn.open_table(IP_BANS)?.insert(key.as_str(), saved.encode().as_slice())?;
        Ok(Some(reason))
    })
    .await?;
    tracing::info!(event = "IP_BANNED", ip = %record.ip);
    Ok(HttpResponse::Created().json(
        serde_json::json!({ "ip": record.ip, "reason": record.reason, "created_at": record.created_at }),
    ))
}

pub async fn unban(
    Admin(by): Admin,
    state: web::Data<AppState>,
    ip: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let net = IpNet::parse(ip.trim()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let key = net.to_string();
    let known = audited::read(state.store.clone(), load).await?;
    if !known.iter().any(|b| b.ip == key) {
        return Err(ApiError::NotFound(format!("{key} is not banned")));
    }
    run(&state, SystemCommand::UnbanIp { net }).await?;
    let k = key.clone();
    audited::write(state.store.clone(), by, "IP_UNBAN", key.clone(), move |txn| {
        txn.open_table(IP_BANS)?.remove(k.as_str())?;
        Ok(Some(String::new()))
    })
    .await?;
    tracing::info!(event = "IP_UNBANNED", ip = %key);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "ip": key })))
}
