//! TLS for the WSS port (settings shared with the panel in `crate::tls`), and self-signed
//! certificates for `up` and fresh installs.

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

pub use crate::tls::TlsError;

pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    Ok(TlsAcceptor::from(Arc::new(crate::tls::server_config(cert, key)?)))
}

/// A self-signed certificate and key (PEM) for `names`, for `up` and fresh installs.
pub fn self_signed(names: Vec<String>) -> Result<(String, String), rcgen::Error> {
    let cert = rcgen::generate_simple_self_signed(names)?;
    Ok((cert.cert.pem(), cert.signing_key.serialize_pem()))
}
