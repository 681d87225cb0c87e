//! The panel's own HTTPS: a rustls server config from the PEM certificate and key named in
//! config.json (`tls_cert`, `tls_key`; the installer points them at its certificate). Over
//! TLS the session cookie gets `Secure` (actix marks such connections `secure()`).

pub use crate::tls::{TlsError, server_config};
