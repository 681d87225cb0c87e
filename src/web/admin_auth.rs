//! Who may call `/api`: the `Admin` extractor. For now the caller proves itself with the
//! admin token file from the config dir (`Authorization: Bearer ...`), compared in constant
//! time. The extractor also records the caller's real address for the audit log.

use super::AppState;
use super::error::ApiError;
use crate::actors::user_registry::Origin;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

/// An authenticated admin request.
pub struct Admin(pub Origin);

/// Constant-time equality for secrets of any length.
pub fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && bool::from(given.ct_eq(expected))
}

/// The peer's address as the socket saw it; proxies' headers are not trusted.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Admin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("app state missing")));
        };
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let ok = bearer.is_some_and(|t| secrets_match(t.as_bytes(), state.admin_token.as_bytes()));
        ready(if ok {
            Ok(Admin(Origin { who: "admin-token".into(), ip: client_ip(req) }))
        } else {
            Err(ApiError::Unauthorized)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::secrets_match;

    #[test]
    fn secrets_must_match_exactly() {
        assert!(secrets_match(b"abc", b"abc"));
        assert!(!secrets_match(b"abc", b"abd"));
        assert!(!secrets_match(b"ab", b"abc"));
        assert!(!secrets_match(b"", b"abc"));
    }
}
