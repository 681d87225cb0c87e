//! Proxy nodes: `/api/nodes` (enrolment tokens, revoke) for the admin, the enrolment
//! itself (`POST /api/nodes/enrol`, the one-time token as bearer) for a new node, and
//! `GET /internal/nodes` (the connected ones, for `wss-panel doctor`). The list, labels and
//! traffic of the Nodes view are `web::node_view`.
//!
//! A token reads `wssn1.<name>.<32 hex random>.<panel certificate SHA-256>`: the node learns
//! the fingerprint to pin from the token itself, so the first connection is already pinned.
//! Tokens and secrets are stored as SHA-256 only (`store/nodes`).

use super::AppState;
use super::admin_auth::{Admin, bearer, client_ip};
use super::error::ApiError;
use super::internal::check_secret;
use super::node_keys::sha256_hex;
use crate::actors::node_hub::ListNodes;
use crate::actors::user_registry::Origin;
use crate::secure_files::random_hex;
use crate::store::audit::{self, AuditRecord};
use crate::store::nodes::{self, NodeRecord};
use crate::store::tables::{AUDIT, NODES};
use crate::store::{Store, StoreError};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

pub const TOKEN_PREFIX: &str = "wssn1.";
pub const DEFAULT_TOKEN_SECS: u64 = 3600;
pub const MAX_TOKEN_SECS: u64 = 7 * 86_400;

/// Node names as config.json allows them: 1-64 letters, digits, '-', '_' or '.'.
pub fn valid_node_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A token's parts: (node name, the whole token, the pinned fingerprint).
pub fn parse_token(token: &str) -> Option<(&str, crate::pinned_tls::Fingerprint)> {
    let rest = token.trim().strip_prefix(TOKEN_PREFIX)?;
    let mut parts = rest.rsplitn(3, '.');
    let fp = parts.next()?;
    let random = parts.next()?;
    let name = parts.next()?;
    let random_ok = random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit());
    let fp = crate::pinned_tls::parse_fingerprint(fp).ok()?;
    (random_ok && valid_node_name(name)).then_some((name, fp))
}

pub async fn list_connected(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    check_secret(&req, &state)?;
    let nodes = state.hub.send(ListNodes).await?;
    Ok(HttpResponse::Ok().json(json!({ "nodes": nodes })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub expires_secs: Option<u64>,
}

/// Makes a one-time enrolment token for a new node (or a revoked one coming back).
pub async fn make_token(
    Admin(by): Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<TokenInput>,
) -> Result<HttpResponse, ApiError> {
    let Some(fp) = state.panel_cert_sha256 else {
        return Err(ApiError::Conflict(
            "nodes enrol over TLS: set panel_tls (and tls_cert) on the panel first".into(),
        ));
    };
    let TokenInput { name, expires_secs } = body.into_inner();
    let name = name.unwrap_or_else(|| format!("node-{}", random_hex(3)));
    if !valid_node_name(&name) {
        return Err(ApiError::BadRequest(format!(
            "node name {name:?} must be 1-64 letters, digits, '-', '_' or '.'"
        )));
    }
    let secs = expires_secs.unwrap_or(DEFAULT_TOKEN_SECS);
    if !(1..=MAX_TOKEN_SECS).contains(&secs) {
        return Err(ApiError::BadRequest(format!("expires_secs must be 1..={MAX_TOKEN_SECS}")));
    }
    let token =
        format!("{TOKEN_PREFIX}{name}.{}.{}", random_hex(16), crate::pinned_tls::fingerprint_hex(&fp));
    let now = state.sessions.clock.now();
    let expires_at = now + secs as i64;
    let (hash, key) = (sha256_hex(&token), name.clone());
    let outcome = write(state.store.clone(), by, "NODE_TOKEN", name.clone(), move |old| match old {
        Some(n) if n.is_trusted() => {
            Err(format!("node {key} is enrolled; revoke it before enrolling it again"))
        }
        old => Ok(NodeRecord {
            created_at: old.map_or(now, |o| o.created_at),
            token_sha256: Some(hash),
            token_expires_at: expires_at,
            ..Default::default()
        }),
    })
    .await?;
    outcome.map_err(ApiError::Conflict)?;
    tracing::info!(event = "NODE_TOKEN_CREATED", node = %name, expires_at);
    let panel_url = panel_https_url(&req, &state).await?;
    let install = format!("install.sh --node --panel {panel_url} --token {token}");
    Ok(HttpResponse::Ok().json(json!({
        "name": name, "token": token, "expires_at": expires_at, "panel_url": panel_url, "install": install,
        "panel_cert_sha256": crate::pinned_tls::fingerprint_hex(&fp),
    })))
}

/// `https://HOST:PORT` as a node would reach the panel: the public address's host if the
/// admin set one, else the host this request was addressed to; the main listener's port.
async fn panel_https_url(req: &HttpRequest, state: &AppState) -> Result<String, ApiError> {
    let public = super::public_address::load(state).await?.host;
    let info = req.connection_info();
    let asked = info.host();
    // The Host header without its port ("[::1]:80", "a.example:80", "a.example").
    let asked = match asked.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => host,
        _ => asked,
    };
    let host = if public.trim().is_empty() { asked.to_owned() } else { public.trim().to_owned() };
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
    Ok(format!("https://{host}:{}", state.panel_port.load(std::sync::atomic::Ordering::Relaxed)))
}

/// The node's side: its one-time token (as bearer) for its own secret. Every refusal is the
/// same 401 to the caller; the log says which.
pub async fn enrol(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let ip = client_ip(&req);
    let token = bearer(&req).unwrap_or_default().to_owned();
    let Some((name, _)) = parse_token(&token) else {
        tracing::warn!(event = "NODE_ENROL_REFUSED", %ip, reason = "malformed token");
        return Err(ApiError::Unauthorized);
    };
    let (name, now) = (name.to_owned(), state.sessions.clock.now());
    let secret = random_hex(32);
    let (given, secret_hash, from) = (sha256_hex(&token), sha256_hex(&secret), ip.clone());
    let by = Origin { who: format!("node:{name}"), ip: ip.clone() };
    let outcome = write(state.store.clone(), by, "NODE_ENROLLED", name.clone(), move |old| {
        let Some(old) = old else { return Err("unknown node") };
        let Some(expected) = &old.token_sha256 else { return Err("no pending token (used or revoked)") };
        if !super::admin_auth::secrets_match(given.as_bytes(), expected.as_bytes()) {
            return Err("wrong token");
        }
        if old.token_expires_at <= now {
            return Err("token expired");
        }
        Ok(NodeRecord {
            token_sha256: None,
            token_expires_at: 0,
            secret_sha256: Some(secret_hash),
            enrolled_at: now,
            enrolled_from: from,
            revoked_at: None,
            ..old
        })
    })
    .await?;
    if let Err(reason) = outcome {
        tracing::warn!(event = "NODE_ENROL_REFUSED", %ip, node = ?name, reason);
        return Err(ApiError::Unauthorized);
    }
    state.node_keys.trust(&name, sha256_hex(&secret));
    tracing::info!(event = "NODE_ENROLLED", node = %name, %ip);
    Ok(HttpResponse::Ok().json(json!({ "name": name, "node_secret": secret })))
}

/// Revokes a node: its secret stops opening anything, its `/ipc` session closes at its next
/// frame (within a second), a pending token dies.
pub async fn revoke(
    Admin(by): Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let now = state.sessions.clock.now();
    let outcome = write(state.store.clone(), by, "NODE_REVOKED", name.clone(), move |old| match old {
        None => Err("no such node"),
        Some(n) => Ok(NodeRecord { token_sha256: None, revoked_at: Some(now), ..n }),
    })
    .await?;
    outcome.map_err(|e| ApiError::NotFound(e.into()))?;
    state.node_keys.forget(&name);
    tracing::info!(event = "NODE_REVOKED", node = %name);
    Ok(HttpResponse::Ok().json(json!({ "name": name, "revoked_at": now })))
}

/// Reads node `name`, lets `change` decide its new record (or refuse), and stores it with an
/// audit row, in one transaction on the blocking pool.
async fn write<E: Send + 'static>(
    store: std::sync::Arc<Store>,
    by: Origin,
    action: &'static str,
    name: String,
    change: impl FnOnce(Option<NodeRecord>) -> Result<NodeRecord, E> + Send + 'static,
) -> Result<Result<(), E>, ApiError> {
    web::block(move || {
        store.write(|txn| -> Result<Result<(), E>, StoreError> {
            let mut table = txn.open_table(NODES)?;
            let node = match change(nodes::get(&table, &name)?) {
                Ok(node) => node,
                Err(e) => return Ok(Err(e)),
            };
            nodes::put(&mut table, &name, &node)?;
            let at = crate::domain::now_unix();
            let rec = AuditRecord {
                at,
                who: by.who,
                ip: by.ip,
                action: action.into(),
                target: name,
                detail: String::new(),
            };
            audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
            Ok(Ok(()))
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}
