//! `PUT /api/admin/password`: the panel admin changes their password. The current password
//! is required (and throttled like a login); the new hash replaces the file atomically; every
//! session ends, this one included, every live socket closes, every remembered device is
//! forgotten.

use super::AppState;
use super::admin_auth::{Admin, SESSION_ADMIN};
use super::error::ApiError;
use super::{audit, login, throttle};
use crate::actors::ui_hub::CloseSessions;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::path::Path;
use std::time::Instant;

pub const MIN_PASSWORD_CHARS: usize = 10;
/// bcrypt's input limit.
pub const MAX_PASSWORD_BYTES: usize = 72;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Writes `text` to `path` atomically without following links: `wss-panel admin-password`
/// runs this as root in the panel's directory (see `secure_files::replace_file`).
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    crate::secure_files::replace_file(path, text.as_bytes())
}

/// Why a new admin password is refused, or `None`.
pub fn refuse(new: &str) -> Option<String> {
    let n = new.chars().count();
    (n < MIN_PASSWORD_CHARS || new.len() > MAX_PASSWORD_BYTES || new.chars().any(char::is_control)).then(|| {
        format!("the new password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_BYTES} bytes, no control characters")
    })
}

/// `wss-panel admin-password`: writes the hash file for `password` (on a host without the
/// installer, or to recover access). A running panel uses it at the next login.
pub fn set_from_cli(config: &crate::config::Config, password: &str) -> anyhow::Result<()> {
    if let Some(why) = refuse(password) {
        anyhow::bail!(why);
    }
    let hash = bcrypt::non_truncating_hash(password, config.bcrypt_cost)?;
    write_atomically(&config.admin_password_path(), &hash)?;
    Ok(())
}

pub async fn change(
    Admin(by): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange { current, new } = body.into_inner();
    if let Some(why) = refuse(&new) {
        return Err(ApiError::BadRequest(why));
    }
    // A session holder is not held by strangers' lock on the name; its IP's limits hold.
    let admitted =
        state.throttle.lock().map_err(ApiError::internal)?.admit(&by.ip, SESSION_ADMIN, true, Instant::now());
    let Ok(attempt) = admitted else { return Err(ApiError::TooManyAttempts) };
    let mut slot = throttle::Slot::new(&state.throttle, attempt);
    if !login::password_ok(&state, current).await? {
        drop(slot);
        audit::record(&state, &by, "ADMIN_PASSWORD_CHANGE_FAILED", SESSION_ADMIN, "wrong current password")
            .await?;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    slot.succeeded();
    drop(slot);
    let cost = state.bcrypt_cost;
    let hash = web::block(move || bcrypt::non_truncating_hash(new, cost))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let path = state.admin_hash_path.clone();
    let written = hash.clone();
    web::block(move || write_atomically(&path, &written))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    *state.admin_hash.write().map_err(ApiError::internal)? = Some(hash);
    let sessions = state.sessions.clone();
    let ended = web::block(move || sessions.revoke_all())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    state.ui.do_send(CloseSessions { key: None });
    super::devices::revoke_all(&state).await?;
    audit::record(&state, &by, "ADMIN_PASSWORD_CHANGED", SESSION_ADMIN, &format!("{ended} sessions ended"))
        .await?;
    Ok(HttpResponse::Ok()
        .cookie(super::session::removal(login::is_tls(&req)))
        .json(serde_json::json!({ "sessions_ended": ended })))
}
