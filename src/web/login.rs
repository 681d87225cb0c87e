//! `/api/login`, `/api/logout`, `/api/session`: the panel admin's browser session. One admin
//! account, named `admin`, whose bcrypt hash lives in `<data dir>/admin_password.hash`
//! (written by the installer or `up`; there is no default password: without the file nobody
//! logs in). Unknown names cost one bcrypt like the real one and get the same answer.
//! Every attempt passes the throttle (`throttle.rs`) before its bcrypt; a successful login
//! also remembers the browser (`devices.rs`), so that strangers' guesses cannot lock it out.

use super::AppState;
use super::admin_auth::{Admin, SESSION_ADMIN, client_ip, secrets_match};
use super::error::ApiError;
use super::login_failures::Kind;
use super::{audit, devices, session, throttle};
use crate::actors::user_registry::Origin;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::time::Instant;

/// Longest name or password looked at; longer input is a failed login, not an error.
const MAX_INPUT: usize = 128;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

/// `Secure` cookies whenever the panel itself speaks TLS.
pub fn is_tls(req: &HttpRequest) -> bool {
    req.app_config().secure()
}

/// bcrypt against the admin hash, or against the dummy hash when there is none, so that the
/// time taken says nothing. The hash file is read again each time, so a password set with
/// `wss-panel admin-password` counts at once.
pub async fn password_ok(state: &AppState, password: String) -> Result<bool, ApiError> {
    let path = state.admin_hash_path.clone();
    let from_file = web::block(move || super::load_admin_hash(&path)).await.map_err(ApiError::internal)?;
    let stored = match from_file {
        Ok(hash) => {
            *state.admin_hash.write().map_err(ApiError::internal)? = hash.clone();
            hash
        }
        Err(e) => {
            tracing::error!(event = "ADMIN_HASH_UNREADABLE", error = %e);
            state.admin_hash.read().map_err(ApiError::internal)?.clone()
        }
    };
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (state.dummy_hash.clone(), false),
    };
    state.metrics.admin_verifies.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ok = web::block(move || bcrypt::non_truncating_verify(password, &hash).unwrap_or(false))
        .await
        .map_err(ApiError::internal)?;
    Ok(ok && real)
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let LoginInput { username, password } = body.into_inner();
    let device = devices::cookie_token(&req);
    let remembered = match device.clone() {
        Some(token) => devices::trusted(&state, token).await?,
        None => false,
    };
    let admitted = {
        let mut throttle = state.throttle.lock().map_err(ApiError::internal)?;
        let trusted = remembered || throttle.known_ip(&ip);
        throttle.admit(&ip, &username, trusted, Instant::now())
    };
    let mut slot = match admitted {
        Ok(attempt) => throttle::Slot::new(&state.throttle, attempt),
        Err(refusal) => {
            tracing::warn!(event = "ADMIN_LOGIN_THROTTLED", %ip, ?refusal);
            state.login_failures.record(&state, &ip, Kind::Throttled).await?;
            return Err(ApiError::TooManyAttempts);
        }
    };
    let sane = username.len() <= MAX_INPUT && password.len() <= MAX_INPUT;
    let name_ok = secrets_match(username.as_bytes(), SESSION_ADMIN.as_bytes());
    let pw_ok = password_ok(&state, if sane { password } else { String::new() }).await?;
    let by = Origin { who: SESSION_ADMIN.into(), ip: ip.clone() };
    if !(sane && name_ok && pw_ok) {
        drop(slot);
        if sane && name_ok {
            audit::record(&state, &by, "LOGIN_FAILED", SESSION_ADMIN, "").await?;
        } else {
            // Strangers' names are not stored: one counted row per IP and minute.
            state.login_failures.record(&state, &ip, Kind::UnknownName).await?;
        }
        return Err(ApiError::BadLogin);
    }
    slot.succeeded();
    drop(slot);
    let sessions = state.sessions.clone();
    let old = session::cookie_id(&req);
    let session_ip = ip.clone();
    // A new id at every login; whatever id the browser brought is dropped (no fixation).
    let id = web::block(move || {
        if let Some(old) = old {
            sessions.revoke(&old)?;
        }
        sessions.create(&session_ip)
    })
    .await
    .map_err(ApiError::internal)?
    // A full disk says so on the login page (507), rather than "internal error".
    .map_err(ApiError::from)?;
    let device_cookie = devices::issue(&state, &ip, device, is_tls(&req)).await?;
    audit::record(
        &state,
        &by,
        "LOGIN_SUCCESS",
        SESSION_ADMIN,
        if remembered { "remembered device" } else { "" },
    )
    .await?;
    Ok(HttpResponse::Ok()
        .cookie(session::cookie(&id, is_tls(&req)))
        .cookie(device_cookie)
        .json(serde_json::json!({ "username": SESSION_ADMIN })))
}

/// Ends this browser's session (and closes its live sockets).
pub async fn logout(
    Admin(by): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(id) = session::cookie_id(&req) {
        let sessions = state.sessions.clone();
        let key = session::key_of(&id);
        web::block(move || sessions.revoke(&id))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        state.ui.do_send(crate::actors::ui_hub::CloseSessions { key: Some(key) });
    }
    audit::record(&state, &by, "LOGOUT", SESSION_ADMIN, "").await?;
    Ok(HttpResponse::Ok().cookie(session::removal(is_tls(&req))).json(serde_json::json!({})))
}

/// Who is logged in: the UI's first call on every page.
pub async fn whoami(Admin(by): Admin) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "username": by.who }))
}
