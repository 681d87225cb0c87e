//! `/api/payload`: the generator behind the Payload view and the connection card. The form's
//! fields override the chosen preset's; the R2 host defaults to the configured public host,
//! `[host_port]` is that host and its WSS port. `/api/payload/presets`: each preset's form.

use super::AppState;
use super::admin_auth::Admin;
use super::error::ApiError;
use super::public_address;
use crate::actors::user_registry::GetUser;
use crate::payload::address::host_port;
use crate::payload::{self, AuthMode, Headers, PayloadSpec, Preset, R1Method, R2Method};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadInput {
    #[serde(default)]
    pub preset: Option<Preset>,
    pub split: Option<bool>,
    pub r1_method: Option<R1Method>,
    pub r1_host: Option<String>,
    pub r2_method: Option<R2Method>,
    pub r2_host: Option<String>,
    pub headers: Option<Headers>,
    pub auth: Option<AuthMode>,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl PayloadInput {
    fn over_preset(self) -> PayloadSpec {
        let d = self.preset.unwrap_or(Preset::HttpInjector).defaults();
        PayloadSpec {
            preset: d.preset,
            split: self.split.unwrap_or(d.split),
            r1_method: self.r1_method.unwrap_or(d.r1_method),
            r1_host: self.r1_host.map(|h| h.trim().to_owned()).unwrap_or(d.r1_host),
            r2_method: self.r2_method.unwrap_or(d.r2_method),
            r2_host: self.r2_host.map(|h| h.trim().to_owned()).unwrap_or(d.r2_host),
            headers: self.headers.unwrap_or(d.headers),
            auth: self.auth.unwrap_or(d.auth),
            user: self.user.unwrap_or_default(),
            password: self.password.unwrap_or_default(),
        }
    }
}

pub async fn generate(
    _: Admin,
    state: web::Data<AppState>,
    body: web::Json<PayloadInput>,
) -> Result<HttpResponse, ApiError> {
    let public = public_address::load(&state).await?;
    let spec = body
        .into_inner()
        .over_preset()
        .validated(&public.host)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // The picker lists real users; a typed name must be one too, or the payload is a 401.
    if !spec.user.is_empty() && state.registry.send(GetUser { username: spec.user.clone() }).await??.is_none()
    {
        return Err(ApiError::BadRequest(format!("user: no user {:?}", spec.user)));
    }
    let target = if public.host.is_empty() { spec.r2_host.clone() } else { public.host.clone() };
    let host_port = host_port(&target, public.wss_port);
    let text = payload::generate(&spec, &host_port);
    Ok(HttpResponse::Ok().json(json!({
        "payload": text,
        "host_port": host_port,
        "public_configured": !public.host.is_empty(),
        "spec": spec,
    })))
}

/// Each preset's starting form, for the view's preset picker.
pub async fn presets(_: Admin) -> HttpResponse {
    let all: Vec<PayloadSpec> = [Preset::HttpInjector, Preset::HttpCustom, Preset::Napsternetv]
        .into_iter()
        .map(Preset::defaults)
        .collect();
    HttpResponse::Ok().json(json!({ "presets": all, "r2_methods": R2Method::ALL }))
}
