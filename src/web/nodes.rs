//! `GET /internal/nodes`: the proxies connected to `/ipc` right now, for `wss-panel doctor`.
//! Guarded like the rest of `/internal` (the internal secret, loopback by default).

use super::AppState;
use super::error::ApiError;
use super::internal::check_secret;
use crate::actors::node_hub::ListNodes;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    check_secret(&req, &state)?;
    let nodes = state.hub.send(ListNodes).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "nodes": nodes })))
}
