//! `/api/public-address`: where customers reach this server (host or IP, SNI, the port of
//! each door). Used by the payload generator, the connection card and its QR instead of the
//! browser's address bar, which is the panel's address (often 127.0.0.1 or a LAN name).

use super::admin_auth::Admin;
use super::error::ApiError;
use super::{AppState, audited};
use crate::config::Config;
use crate::payload::address::check_public;
use crate::store::settings::{self, PublicAddress};
use crate::store::tables::SETTINGS;
use crate::store::{Store, StoreError};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub async fn load(state: &AppState) -> Result<PublicAddress, ApiError> {
    audited::read(state.store.clone(), |store| store.read(settings::read)).await.map(|s| s.public)
}

pub async fn get(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(load(&state).await?))
}

/// Every field, as `GET` returns them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicAddressInput {
    pub host: String,
    pub sni: String,
    pub wss_port: u16,
    pub wss_tls_port: u16,
    pub stunnel_port: u16,
    pub udpgw_port: u16,
}

pub async fn put(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<PublicAddressInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let new = PublicAddress {
        host: b.host.trim().to_ascii_lowercase(),
        sni: b.sni.trim().to_ascii_lowercase(),
        wss_port: b.wss_port,
        wss_tls_port: b.wss_tls_port,
        stunnel_port: b.stunnel_port,
        udpgw_port: b.udpgw_port,
    };
    check_public(&new).map_err(ApiError::BadRequest)?;
    let stored = new.clone();
    audited::write(state.store.clone(), by, "PUBLIC_ADDRESS_UPDATE", new.host.clone(), move |txn| {
        let mut s = settings::get(&txn.open_table(SETTINGS)?)?;
        if s.public == stored {
            return Ok(None);
        }
        let detail = format!("{:?} → {:?}", s.public, stored);
        s.public = stored;
        settings::put(&mut txn.open_table(SETTINGS)?, &s)?;
        Ok(Some(detail))
    })
    .await?;
    Ok(HttpResponse::Ok().json(new))
}

/// At start: while no public address is configured, take the installer's `public_host` and
/// the configured doors, so a fresh install's cards and payloads are right from the first
/// login. Once set (here or in Settings) the store's value wins and config.json is not read.
pub fn seed(store: &Store, config: &Config) -> Result<(), StoreError> {
    let Some(host) = config.public_host.clone() else { return Ok(()) };
    store.write(|txn| {
        let mut s = settings::get(&txn.open_table(SETTINGS)?)?;
        if !s.public.host.is_empty() {
            return Ok(());
        }
        s.public = PublicAddress {
            host,
            sni: String::new(),
            wss_port: config.wss_http_port,
            wss_tls_port: config.wss_tls_port,
            stunnel_port: config.stunnel_port,
            udpgw_port: config.udpgw_port,
        };
        tracing::info!(event = "PUBLIC_ADDRESS_SEEDED", host = ?s.public.host);
        settings::put(&mut txn.open_table(SETTINGS)?, &s)
    })
}
