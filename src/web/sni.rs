//! `POST /api/sni`: the SNI finder. Connects to `host:443` and answers the names of the
//! certificate it is shown, so an operator can pick an SNI / bug host. Only public unicast
//! addresses are contacted: every address the name resolves to is checked, and the
//! connection goes to a checked address (no second lookup that DNS could answer otherwise).

use super::admin_auth::Admin;
use super::error::ApiError;
use crate::connect::AcceptAny;
use crate::payload::address::{is_host, is_public};
use actix_web::{HttpResponse, web};
use rustls::pki_types::ServerName;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Lookup, connect and handshake together; a slow or silent host is an answer, not a hang.
pub const SNI_TIMEOUT: Duration = Duration::from_secs(5);
pub const SNI_PORT: u16 = 443;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SniInput {
    pub host: String,
}

pub async fn find(_: Admin, body: web::Json<SniInput>) -> Result<HttpResponse, ApiError> {
    let host = body.host.trim().trim_end_matches('.').to_ascii_lowercase();
    if !is_host(&host) {
        return Err(ApiError::BadRequest("host: a DNS name or an IP address (no port, no scheme)".into()));
    }
    let outcome = tokio::time::timeout(SNI_TIMEOUT, lookup(&host)).await;
    let result = match outcome {
        Ok(r) => r,
        Err(_) => {
            Err(ApiError::Unavailable(format!("no answer from {host} within {}s", SNI_TIMEOUT.as_secs())))
        }
    };
    match &result {
        Ok((addr, names)) => tracing::info!(event = "SNI_LOOKUP", ?host, %addr, names = names.len()),
        Err(e) => tracing::info!(event = "SNI_LOOKUP", ?host, error = %e),
    }
    let (addr, names) = result?;
    Ok(HttpResponse::Ok().json(json!({ "host": host, "address": addr.ip().to_string(), "names": names })))
}

/// Resolves, refuses if any address is not public, connects to the first, reads the names.
async fn lookup(host: &str) -> Result<(SocketAddr, Vec<String>), ApiError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, SNI_PORT))
        .await
        .map_err(|_| ApiError::BadRequest(format!("{host} does not resolve")))?
        .collect();
    let first = *addrs.first().ok_or_else(|| ApiError::BadRequest(format!("{host} does not resolve")))?;
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(ApiError::Forbidden(format!(
            "{host} resolves to {}, which is not a public address; refused",
            bad.ip()
        )));
    }
    let tcp = tokio::net::TcpStream::connect(first)
        .await
        .map_err(|e| ApiError::Unavailable(format!("{first}: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(ApiError::internal)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| ApiError::Unavailable(format!("TLS with {first}: {e}")))?;
    let cert = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).cloned();
    let cert = cert.ok_or_else(|| ApiError::Unavailable(format!("{first} showed no certificate")))?;
    let names = match webpki::EndEntityCert::try_from(&cert) {
        Ok(ee) => ee.valid_dns_names().map(str::to_owned).collect(),
        Err(e) => return Err(ApiError::Unavailable(format!("{first}: unreadable certificate ({e})"))),
    };
    Ok((first, names))
}
