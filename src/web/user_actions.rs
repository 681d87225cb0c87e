//! User actions beyond plain CRUD: kick (end every tunnel now), traffic history (30 calendar
//! days, missing days as zero), batch renew/pause/resume/delete, and the QR code of a
//! connection payload (modules as a string; the UI draws them on a canvas, so no markup from
//! the server is ever inserted into the page).

use super::AppState;
use super::admin_auth::Admin;
use super::error::ApiError;
use super::users::target;
use crate::actors::user_registry::*;
use crate::domain::{Days, Username, day_of, format_day};
use crate::store::tables::TRAFFIC;
use crate::store::traffic;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub const HISTORY_DAYS: i32 = 30;
pub const MAX_BATCH: usize = 10_000;
/// Longer payloads do not fit a scannable code.
pub const MAX_QR_BYTES: usize = 1200;

async fn existing(state: &AppState, username: String) -> Result<crate::store::users::User, ApiError> {
    match state.registry.send(GetUser { username: username.clone() }).await?? {
        Some(u) => Ok(u),
        None => Err(RegistryError::NotFound(username).into()),
    }
}

pub async fn kick(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = state.registry.send(KickUser { username: target(name)?, by }).await??;
    Ok(HttpResponse::Ok().json(json!({ "username": user.username })))
}

pub async fn history(
    _: Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = existing(&state, name.into_inner()).await?;
    let last = day_of(state.sessions.clock.now());
    let store = state.store.clone();
    let name = user.username.clone();
    let days = web::block(move || {
        store.read(|txn| traffic::range(&txn.open_table(TRAFFIC)?, &name, last - HISTORY_DAYS + 1, last))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let items: Vec<_> = days
        .into_iter()
        .map(|(d, t)| json!({ "date": format_day(d), "up_bytes": t.up_bytes, "down_bytes": t.down_bytes }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "username": user.username, "days": items })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "lowercase")]
pub enum BatchAction {
    Renew,
    Pause,
    Resume,
    Delete,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchInput {
    pub action: BatchAction,
    pub usernames: Vec<String>,
    pub days: Option<u32>,
}

/// Applies one action to each named user; one failure does not stop the rest.
pub async fn batch(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<BatchInput>,
) -> Result<HttpResponse, ApiError> {
    let BatchInput { action, usernames, days } = body.into_inner();
    if usernames.is_empty() || usernames.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!("usernames: 1 to {MAX_BATCH} names")));
    }
    let days = match (&action, days) {
        (BatchAction::Renew, None) => return Err(ApiError::BadRequest("renew needs days".into())),
        (BatchAction::Renew, Some(d)) => Some(Days::new(d)?),
        _ => None,
    };
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for raw in usernames {
        match apply(&state, &action, &raw, days, by.clone()).await {
            Ok(user) => done.push(user.username),
            Err(e) => failed.push(json!({ "username": raw, "error": e.to_string() })),
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "done": done, "failed": failed })))
}

/// One batch action on one user.
async fn apply(
    state: &AppState,
    action: &BatchAction,
    raw: &str,
    days: Option<Days>,
    by: Origin,
) -> Result<crate::store::users::User, ApiError> {
    let username = Username::parse(raw).map_err(|_| RegistryError::NotFound(raw.to_owned()))?;
    let result = match (action, days) {
        (BatchAction::Renew, Some(days)) => state.registry.send(RenewUser { username, days, by }).await?,
        (BatchAction::Renew, None) => return Err(ApiError::BadRequest("renew needs days".into())),
        (BatchAction::Pause, _) => {
            state.registry.send(SetUserStatus { username, action: StatusAction::Pause, by }).await?
        }
        (BatchAction::Resume, _) => {
            state.registry.send(SetUserStatus { username, action: StatusAction::Resume, by }).await?
        }
        (BatchAction::Delete, _) => state.registry.send(DeleteUser { username, by }).await?,
    };
    Ok(result?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrInput {
    pub text: String,
}

/// `{"width": n, "modules": "0101..."}`, row by row, `1` = dark.
/// The live view right now, in the `live_update` shape: what a page shows before its socket
/// delivers the first tick.
pub async fn live(_: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let view = state.aggregator.send(crate::actors::stats_aggregator::GetLiveView).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(crate::actors::ui_hub::live_json(&view)))
}

pub async fn qr(_: Admin, body: web::Json<QrInput>) -> Result<HttpResponse, ApiError> {
    if body.text.is_empty() || body.text.len() > MAX_QR_BYTES {
        return Err(ApiError::BadRequest(format!("text: 1 to {MAX_QR_BYTES} bytes")));
    }
    let code = qrcode::QrCode::new(body.text.as_bytes()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let modules: String =
        code.to_colors().iter().map(|c| if *c == qrcode::Color::Dark { '1' } else { '0' }).collect();
    Ok(HttpResponse::Ok().json(json!({ "width": code.width(), "modules": modules })))
}
