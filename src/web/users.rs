//! `/api/users`: the admin's user resource. Validates input into domain types, hashes
//! passwords on the blocking pool, then asks the `UserRegistry`. What a change means for
//! the proxies, the account and open pages follows from the registry's change event.

use super::AppState;
use super::admin_auth::Admin;
use super::error::ApiError;
use crate::actors::user_registry::*;
use crate::domain::plan::QuotaReset;
use crate::domain::{Days, Password, UserStatus, Username, day_of, format_day, now_unix, parse_day};
use crate::store::users::User;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

const GIB: f64 = (1u64 << 30) as f64;

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct UserView {
    pub username: String,
    pub status: UserStatus,
    pub created_at: i64,
    pub expires_on: Option<String>,
    pub quota_bytes: u64,
    pub used_up_bytes: u64,
    pub used_down_bytes: u64,
    pub used_bytes: u64,
    pub rate_kbps: u32,
    pub max_connections: u32,
    pub require_auth_header: bool,
    pub allow_shell: bool,
    pub note: String,
    pub quota_reset: QuotaReset,
    pub quota_reset_day: u8,
    pub expire_after_first_use_days: Option<u32>,
    pub first_used_at: Option<i64>,
    /// Usage since the last quota reset: what `quota_bytes` applies to.
    pub usage_period_bytes: u64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            username: u.username.clone(),
            status: u.status,
            created_at: u.created_at,
            expires_on: u.expires_on.map(format_day),
            quota_bytes: u.quota_bytes,
            used_up_bytes: u.used_up_bytes,
            used_down_bytes: u.used_down_bytes,
            used_bytes: u.used_bytes(),
            rate_kbps: u.rate_kbps,
            max_connections: u.max_connections,
            require_auth_header: u.require_auth_header,
            allow_shell: u.allow_shell,
            note: u.note.clone(),
            quota_reset: u.quota_reset,
            quota_reset_day: u.quota_reset_day,
            expire_after_first_use_days: u.expire_after_first_use_days,
            first_used_at: u.first_used_at,
            usage_period_bytes: u.period_used_bytes(),
        }
    }
}

/// Waits until the system commands of the change just committed have run (the registry
/// queued them before answering): a script that adds a user can log in as it right away.
async fn settled(state: &AppState) -> Result<(), ApiError> {
    Ok(state.dispatcher.send(crate::actors::command_runner::Settled).await?)
}

fn ok(user: &User) -> HttpResponse {
    HttpResponse::Ok().json(UserView::from(user))
}

/// The user a path names. A name no account can have names nobody: 404, like a missing one.
pub(crate) fn target(name: web::Path<String>) -> Result<Username, ApiError> {
    let name = name.into_inner();
    Username::parse(&name).map_err(|_| RegistryError::NotFound(name).into())
}

/// Limits shared by create and update. Quota in bytes or GiB; expiry as a date or days.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsInput {
    /// Absent: unchanged; `null` or `""`: never expires.
    #[serde(default, deserialize_with = "present")]
    pub expires_on: Option<Option<String>>,
    pub days: Option<u32>,
    pub quota_bytes: Option<u64>,
    pub quota_gb: Option<f64>,
    pub rate_kbps: Option<u32>,
    pub max_connections: Option<u32>,
    pub require_auth_header: Option<bool>,
    pub allow_shell: Option<bool>,
    pub note: Option<String>,
    /// `none`, `daily`, `weekly` (with `quota_reset_day` 1=Mon..7=Sun) or `monthly` (1..28).
    pub quota_reset: Option<String>,
    pub quota_reset_day: Option<u8>,
    /// Absent: unchanged; `null`: no "days from first use" plan.
    #[serde(default, deserialize_with = "present")]
    pub expire_after_first_use_days: Option<Option<u32>>,
}

/// Tells a `null` field (`Some(None)`) from an absent one (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl LimitsInput {
    fn into_patch(self) -> Result<UserPatch, ApiError> {
        let bad = |m: &str| Err(ApiError::BadRequest(m.to_owned()));
        let expires_on = match (self.expires_on, self.days) {
            (Some(_), Some(_)) => return bad("give either expires_on or days, not both"),
            (Some(None), None) => Some(None),
            (Some(Some(s)), None) if s.is_empty() => Some(None),
            (Some(Some(s)), None) => {
                Some(Some(parse_day(&s).map_err(|e| ApiError::BadRequest(e.to_string()))?))
            }
            (None, Some(d)) => Some(Some(Days::new(d)?.after(day_of(now_unix())))),
            (None, None) => None,
        };
        let quota_bytes = match (self.quota_bytes, self.quota_gb) {
            (Some(_), Some(_)) => return bad("give either quota_bytes or quota_gb, not both"),
            (None, Some(gb)) if !(0.0..=1e9).contains(&gb) => {
                return bad("quota_gb must be between 0 and 1e9");
            }
            (None, Some(gb)) => Some((gb * GIB).round() as u64),
            (b, None) => b,
        };
        let bad_note = |n: &String| n.chars().count() > 500 || n.chars().any(|c| c.is_control() && c != '\n');
        if self.note.as_ref().is_some_and(bad_note) {
            return bad("note must be at most 500 characters without control characters");
        }
        let quota_reset = match (self.quota_reset, self.quota_reset_day) {
            (None, Some(_)) => return bad("quota_reset_day needs quota_reset"),
            (None, None) => None,
            (Some(rule), day) => {
                let rule = QuotaReset::parse(&rule).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let day = day.unwrap_or(0);
                rule.check_day(day).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                Some((rule, day))
            }
        };
        let first_use = self.expire_after_first_use_days;
        if let Some(Some(d)) = first_use {
            Days::new(d)?;
        }
        if matches!(first_use, Some(Some(_))) && matches!(expires_on, Some(Some(_))) {
            return bad("give either an expiry (expires_on, days) or expire_after_first_use_days, not both");
        }
        Ok(UserPatch {
            quota_reset,
            expire_after_first_use_days: first_use,
            expires_on,
            quota_bytes,
            rate_kbps: self.rate_kbps,
            max_connections: self.max_connections,
            require_auth_header: self.require_auth_header,
            allow_shell: self.allow_shell,
            note: self.note,
        })
    }
}

fn take_string(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<String, ApiError> {
    match fields.remove(key) {
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::BadRequest(format!("{key} must be a string"))),
        None => Err(ApiError::BadRequest(format!("{key} is required"))),
    }
}

/// The shortest password the API sets for a tunnel user: customers' passwords travel in
/// payloads and guessing them opens a tunnel, so three characters (accepted before) is too few.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A password the admin sets through the API: the domain's rules plus the minimum length.
fn new_password(raw: &str) -> Result<Password, ApiError> {
    let password = Password::parse(raw)?;
    if raw.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::BadRequest(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(password)
}

/// The password's bcrypt hash (the panel's check) and its crypt(3) SHA-512 hash (the nodes'
/// Linux accounts).
pub struct Hashes {
    pub bcrypt: String,
    pub crypt: String,
}

/// bcrypt and crypt on the blocking pool, never on an actor's or the server's thread.
pub async fn hash_password(password: Password, cost: u32) -> Result<Hashes, ApiError> {
    web::block(move || {
        let crypt = crate::domain::CryptHash::make(&password).expose().to_owned();
        bcrypt::non_truncating_hash(password.expose(), cost).map(|bcrypt| Hashes { bcrypt, crypt })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
}

pub async fn list(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = query.status.as_deref().map(UserStatus::parse).transpose()?;
    let needle = query.q.as_deref().unwrap_or("").to_lowercase();
    let users = state.registry.send(ListUsers).await??;
    let views: Vec<UserView> = users
        .iter()
        .filter(|u| status.is_none_or(|s| u.status == s))
        .filter(|u| u.username.contains(&needle) || u.note.to_lowercase().contains(&needle))
        .map(UserView::from)
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

pub async fn create(
    Admin(by): Admin,
    state: web::Data<AppState>,
    body: web::Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse, ApiError> {
    // username and password come out first; the rest must be exactly `LimitsInput`.
    let mut fields = body.into_inner();
    let username = Username::parse(&take_string(&mut fields, "username")?)?;
    let password = new_password(&take_string(&mut fields, "password")?)?;
    let limits: LimitsInput = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let patch = limits.into_patch()?;
    let hashes = hash_password(password.clone(), state.bcrypt_cost).await?;
    let user = NewUser {
        username,
        password_hash: hashes.bcrypt,
        crypt_hash: hashes.crypt,
        expires_on: patch.expires_on.flatten(),
        quota_bytes: patch.quota_bytes.unwrap_or(0),
        rate_kbps: patch.rate_kbps.unwrap_or(0),
        max_connections: patch.max_connections.unwrap_or(0),
        require_auth_header: patch.require_auth_header.unwrap_or(true),
        allow_shell: patch.allow_shell.unwrap_or(false),
        note: patch.note.unwrap_or_default(),
        quota_reset: patch.quota_reset.map_or(QuotaReset::None, |(rule, _)| rule),
        quota_reset_day: patch.quota_reset.map_or(0, |(_, day)| day),
        expire_after_first_use_days: patch.expire_after_first_use_days.flatten(),
    };
    let created = state.registry.send(CreateUser { user, by, password: Some(password) }).await??;
    settled(&state).await?;
    tracing::info!(event = "USER_ADD", user = %created.username);
    Ok(HttpResponse::Created().json(UserView::from(&created)))
}

pub async fn show(
    _: Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    match state.registry.send(GetUser { username: name.clone() }).await?? {
        Some(user) => Ok(ok(&user)),
        None => Err(RegistryError::NotFound(name).into()),
    }
}

pub async fn update(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<LimitsInput>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner().into_patch()?;
    let username = target(name)?;
    let user = state.registry.send(UpdateUser { username, patch, by }).await??;
    settled(&state).await?;
    Ok(ok(&user))
}

pub async fn delete(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = state.registry.send(DeleteUser { username: target(name)?, by }).await??;
    tracing::info!(event = "USER_DELETE", user = %user.username);
    Ok(ok(&user))
}

async fn set_status(
    by: Origin,
    state: &AppState,
    name: web::Path<String>,
    action: StatusAction,
) -> Result<HttpResponse, ApiError> {
    let user = state.registry.send(SetUserStatus { username: target(name)?, action, by }).await??;
    Ok(ok(&user))
}

pub async fn pause(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_status(by, &state, name, StatusAction::Pause).await
}

pub async fn resume(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_status(by, &state, name, StatusAction::Resume).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewInput {
    pub days: u32,
}

pub async fn renew(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<RenewInput>,
) -> Result<HttpResponse, ApiError> {
    let msg = RenewUser { username: target(name)?, days: Days::new(body.days)?, by };
    let user = state.registry.send(msg).await??;
    Ok(ok(&user))
}

pub async fn reset_traffic(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let msg = ResetTraffic { username: target(name)?, by };
    let user = state.registry.send(msg).await??;
    Ok(ok(&user))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordInput {
    pub password: String,
}

pub async fn set_password(
    Admin(by): Admin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<PasswordInput>,
) -> Result<HttpResponse, ApiError> {
    let username = target(name)?;
    let password = new_password(&body.password)?;
    // Refuse before spending a bcrypt on a user who is not there.
    if state.registry.send(GetUser { username: username.to_string() }).await??.is_none() {
        return Err(RegistryError::NotFound(username.to_string()).into());
    }
    let hashes = hash_password(password.clone(), state.bcrypt_cost).await?;
    let msg = SetPassword {
        username,
        password_hash: hashes.bcrypt,
        crypt_hash: hashes.crypt,
        password: Some(password),
        by,
    };
    // Tunnels opened with the old password end (the planner kicks on a new hash).
    let user = state.registry.send(msg).await??;
    settled(&state).await?;
    Ok(ok(&user))
}
