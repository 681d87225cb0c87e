//! The admin's remembered devices: at each successful login the browser gets a new random
//! token in the `wss_device` cookie (`HttpOnly`, `SameSite=Strict`, `Secure` over TLS, sent
//! only to `/api/login`, 30 days). A login that presents a valid one is not held by the lock
//! that strangers' failures put on the name `admin` (its IP's limits still hold). Stored
//! hashed (`store::devices`), bound to the current admin password hash, so a password change
//! by the panel or by `wss-panel admin-password` revokes every device.

use super::AppState;
use super::error::ApiError;
use super::session::key_of;
use crate::store::devices::{self, RememberedDevice};
use crate::store::tables::ADMIN_DEVICES;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, web};
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "wss_device";
pub const LIFETIME_SECS: i64 = 30 * 24 * 3600;
/// Devices kept at most; a new one pushes out the oldest.
pub const MAX_DEVICES: u64 = 20;

/// The token the request's device cookie carries, if it has the right shape.
pub fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.cookie(COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What ties a device to one admin password: the SHA-256 of its bcrypt hash.
fn password_tag(hash: &str) -> String {
    hex::encode(Sha256::digest(hash.as_bytes()))
}

/// Is `token` a remembered device, issued under the admin password now in the hash file?
pub async fn trusted(state: &AppState, token: String) -> Result<bool, ApiError> {
    let store = state.store.clone();
    let path = state.admin_hash_path.clone();
    let now = state.sessions.clock.now();
    let found = web::block(move || {
        let device = store.read(|txn| devices::get(&txn.open_table(ADMIN_DEVICES)?, &key_of(&token)))?;
        let current = super::load_admin_hash(&path).ok().flatten();
        Ok::<_, crate::store::StoreError>(device.zip(current))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(found.is_some_and(|(d, hash)| d.expires_at > now && d.password_tag == password_tag(&hash)))
}

/// Issues a new device token for a login from `ip` (dropping the one it replaces); returns
/// the cookie.
pub async fn issue(
    state: &AppState,
    ip: &str,
    replaces: Option<String>,
    secure: bool,
) -> Result<Cookie<'static>, ApiError> {
    let Some(hash) = state.admin_hash.read().map_err(ApiError::internal)?.clone() else {
        return Err(ApiError::internal("a login succeeded without an admin hash"));
    };
    let token = crate::secure_files::random_hex(32);
    let now = state.sessions.clock.now();
    let record = RememberedDevice {
        created_at: now,
        expires_at: now + LIFETIME_SECS,
        password_tag: password_tag(&hash),
        ip: ip.to_owned(),
    };
    let store = state.store.clone();
    let key = key_of(&token);
    web::block(move || {
        store.write(|txn| {
            let mut table = txn.open_table(ADMIN_DEVICES)?;
            if let Some(old) = replaces {
                table.remove(key_of(&old).as_str())?;
            }
            devices::put(&mut table, &key, &record, now, MAX_DEVICES)
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Cookie::build(COOKIE, token)
        .path("/api/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(CookieDuration::seconds(LIFETIME_SECS))
        .finish())
}

/// Forgets every remembered device (the admin password changed).
pub async fn revoke_all(state: &AppState) -> Result<u64, ApiError> {
    let store = state.store.clone();
    web::block(move || store.write(|txn| devices::clear(&mut txn.open_table(ADMIN_DEVICES)?)))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}
