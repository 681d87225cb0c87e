//! The panel's own HTTPS: a rustls server config from the PEM certificate and key named in
//! config.json (`tls_cert`, `tls_key`; the installer points them at its certificate). Over
//! TLS the session cookie gets `Secure` (actix marks such connections `secure()`) and every
//! answer carries HSTS.

pub use crate::tls::{TlsError, server_config};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, STRICT_TRANSPORT_SECURITY};
use actix_web::middleware::Next;

/// One year; no `includeSubDomains`: the panel's host name may serve other things.
pub const HSTS: &str = "max-age=31536000";

/// Adds `Strict-Transport-Security` to answers on a TLS listener (never on plain HTTP, where
/// browsers ignore it and the loopback listener serves the proxies).
pub async fn hsts(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req.app_config().secure();
    let mut res = next.call(req).await?;
    if secure {
        res.headers_mut().insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    Ok(res)
}
