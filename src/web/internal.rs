//! `/internal/*`: the API proxies call. Guarded by the internal secret (constant time), from
//! loopback peers too (a tunnel customer reaches this host's loopback through SSH port
//! forwarding), and unless configured otherwise also by a loopback peer address. The proxy
//! never hashes: it asks here, and bcrypt runs on the blocking pool, at most a few at once
//! (`AuthCache::gate`): when the queue is full the answer is 503 at once. Names and paths are
//! logged with `?` (escaped): a newline from a client never starts a journal line.

use super::AppState;
use super::admin_auth::{client_ip, secrets_match};
use super::error::ApiError;
use crate::actors::stats_aggregator::GetConnectionsElsewhere;
use crate::actors::user_registry::{GetUser, MarkFirstUse};
use crate::domain::{UserStatus, format_day};
use crate::store::users::User;
use crate::wire::{
    AuthRequest, AuthVerdict, DenyReason, NODE_NAME_HEADER, NODE_SECRET_HEADER, SECRET_HEADER, TunnelAuth,
    TunnelVerdict, UserLimits,
};
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, web};

/// Who passed the `/internal` and `/ipc` gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The internal secret (the proxy on the panel's host, or `internal_allow_remote`).
    Local,
    /// An enrolled node by its own secret; `secret_sha256` tells a later revocation or
    /// re-enrolment apart.
    Node { name: String, secret_sha256: String },
}

/// Refuses callers without the internal secret or a trusted node's own secret; a loopback
/// peer is never enough on its own. A node secret is taken only over TLS (or from loopback,
/// the plain listener on this host): it never crosses a network in the clear.
pub fn check_secret(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let header = |name| req.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
    if let (Some(name), Some(secret)) = (header(NODE_NAME_HEADER), header(NODE_SECRET_HEADER)) {
        if (req.app_config().secure() || loopback)
            && let Some(secret_sha256) = state.node_keys.check(name, secret)
        {
            return Ok(Caller::Node { name: name.to_owned(), secret_sha256 });
        }
        tracing::warn!(event = "INTERNAL_UNAUTHORIZED", peer = %client_ip(req), path = ?req.path(), node = ?name);
        return Err(ApiError::Unauthorized);
    }
    let given = req.headers().get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    let peer_ok = state.internal_allow_remote || loopback;
    if peer_ok && secrets_match(given, state.internal_secret.as_bytes()) {
        return Ok(Caller::Local);
    }
    tracing::warn!(event = "INTERNAL_UNAUTHORIZED", peer = %client_ip(req), path = ?req.path());
    Err(ApiError::Unauthorized)
}

/// A caller holding the internal secret (a proxy) or a node secret. As an extractor it is
/// decided before the body is parsed, so a caller without a secret learns nothing from body
/// errors.
pub struct InternalCaller(pub Caller);

impl actix_web::FromRequest for InternalCaller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<InternalCaller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<AppState>>() {
            Some(state) => check_secret(req, state).map(InternalCaller),
            None => Err(ApiError::internal("app state missing")),
        };
        std::future::ready(result)
    }
}

pub async fn auth(
    InternalCaller(caller): InternalCaller,
    state: web::Data<AppState>,
    body: web::Json<TunnelAuth>,
) -> Result<HttpResponse, ApiError> {
    let TunnelAuth { auth: AuthRequest { username, password }, node_id } = body.into_inner();
    // A node speaks only for its own sessions: the live counts it is told exclude its own.
    if let Caller::Node { name, .. } = &caller
        && !super::node_keys::session_of(&node_id, name)
    {
        return Err(ApiError::BadRequest(format!("node_id must be a session of node {name}")));
    }
    let user = state.registry.send(GetUser { username: username.clone() }).await??;
    let first_use = user.as_ref().is_some_and(|u| u.first_used_at.is_none());
    let verdict = match password {
        Some(password) => match verify(user, password, &state).await? {
            Some(verdict) => verdict,
            None => {
                // Debug only: under a flood this is most answers.
                tracing::debug!(event = "PANEL_AUTH_BUSY", user = ?username);
                state.metrics.count_auth("busy");
                return Ok(HttpResponse::ServiceUnavailable().finish());
            }
        },
        None => lite(user),
    };
    state.metrics.count_auth(match &verdict {
        AuthVerdict::Allow { .. } => "allow",
        AuthVerdict::Deny { reason } => reason.as_str(),
    });
    let connections_elsewhere = match &verdict {
        AuthVerdict::Deny { reason } => {
            tracing::info!(event = "PANEL_AUTH_DENIED", user = ?username, ?reason);
            0
        }
        AuthVerdict::Allow { .. } => {
            if first_use {
                // Before answering: a "days from first use" plan shows its date at once.
                let marked = state.registry.send(MarkFirstUse { username: username.clone() }).await??;
                if let Some(u) = marked {
                    tracing::info!(event = "USER_FIRST_USE", user = ?u.username, expires_on = ?u.expires_on.map(format_day));
                }
            }
            state.aggregator.send(GetConnectionsElsewhere { username, node_id }).await?
        }
    };
    Ok(HttpResponse::Ok().json(TunnelVerdict { verdict, connections_elsewhere }))
}

/// A password verified recently against the same stored hash skips bcrypt (and the gate).
/// Unknown names are verified against a dummy hash of the same cost, so they answer no
/// faster than known ones. `None`: the gate is full, try later.
async fn verify(
    user: Option<User>,
    password: String,
    state: &AppState,
) -> Result<Option<AuthVerdict>, ApiError> {
    let now = std::time::Instant::now();
    if let Some(u) = &user
        && state.auth_cache.hit(&u.username, &password, &u.password_hash, now)
    {
        return Ok(Some(by_status(u)));
    }
    let Some(_turn) = state.auth_cache.gate.enter(super::auth_cache::QUEUE_WAIT).await else {
        return Ok(None);
    };
    let hash = user.as_ref().map_or(state.dummy_hash.clone(), |u| u.password_hash.clone());
    let checked = password.clone();
    let matches = super::auth_cache::verify_in_background(checked, hash).await.map_err(ApiError::internal)?;
    Ok(Some(match user {
        None => deny(DenyReason::NoSuchUser),
        Some(_) if !matches => deny(DenyReason::BadCredentials),
        Some(u) => {
            state.auth_cache.remember(&u.username, &password, &u.password_hash, now);
            by_status(&u)
        }
    }))
}

/// `/?user=NAME`: no password, so only for users who opted out of the header.
fn lite(user: Option<User>) -> AuthVerdict {
    match user {
        None => deny(DenyReason::NoSuchUser),
        Some(u) if u.require_auth_header => deny(DenyReason::AuthHeaderRequired),
        Some(u) => by_status(&u),
    }
}

fn by_status(u: &User) -> AuthVerdict {
    match u.status {
        UserStatus::Active => AuthVerdict::Allow {
            limits: UserLimits {
                rate_kbps: u.rate_kbps,
                max_connections: u.max_connections,
                require_auth_header: u.require_auth_header,
            },
        },
        UserStatus::Paused => deny(DenyReason::Paused),
        UserStatus::Expired => deny(DenyReason::Expired),
        UserStatus::Exceeded => deny(DenyReason::Exceeded),
        UserStatus::Fused => deny(DenyReason::Fused),
    }
}

fn deny(reason: DenyReason) -> AuthVerdict {
    AuthVerdict::Deny { reason }
}
