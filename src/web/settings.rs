//! `/api/settings`: global settings (the fuse threshold). Saved, audited, and handed to the
//! `FuseDecider` at once.

use super::admin_auth::Admin;
use super::error::ApiError;
use super::{AppState, audited};
use crate::actors::fuse_decider::SetFuseThreshold;
use crate::store::settings::{self, Settings};
use crate::store::tables::SETTINGS;
use crate::store::{Store, StoreError};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub const MAX_FUSE_KBPS: u32 = 10_000_000;

pub fn load(store: &Store) -> Result<Settings, StoreError> {
    store.read(settings::read)
}

pub async fn get(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let s =
        web::block(move || load(&store)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "fuse_threshold_kbps": s.fuse_threshold_kbps })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub fuse_threshold_kbps: u32,
}

pub async fn put(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<SettingsInput>,
) -> Result<HttpResponse, ApiError> {
    let threshold = body.fuse_threshold_kbps;
    if threshold > MAX_FUSE_KBPS {
        return Err(ApiError::BadRequest(format!("fuse_threshold_kbps must be 0 (off) to {MAX_FUSE_KBPS}")));
    }
    audited::write(state.store.clone(), by, "SETTINGS_UPDATE", String::new(), move |txn| {
        let mut s = settings::get(&txn.open_table(SETTINGS)?)?;
        if s.fuse_threshold_kbps == threshold {
            return Ok(None);
        }
        let detail = format!("fuse_threshold_kbps {} → {threshold}", s.fuse_threshold_kbps);
        s.fuse_threshold_kbps = threshold;
        settings::put(&mut txn.open_table(SETTINGS)?, &s)?;
        Ok(Some(detail))
    })
    .await?;
    state.fuse.do_send(SetFuseThreshold(threshold));
    Ok(HttpResponse::Ok().json(serde_json::json!({ "fuse_threshold_kbps": threshold })))
}
