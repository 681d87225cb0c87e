//! Who may call `/api`: the `Admin` extractor. A caller proves itself with either a valid
//! panel session cookie (the browser UI) or the admin token file from the config dir
//! (`Authorization: Bearer ...`, the `user` CLI), compared in constant time. The extractor
//! also records the caller's real address for the audit log.

use super::AppState;
use super::error::ApiError;
use super::session;
use crate::actors::user_registry::Origin;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

/// An authenticated admin request.
pub struct Admin(pub Origin);

/// The audit name of a browser session's admin.
pub const SESSION_ADMIN: &str = "admin";

/// Constant-time equality for secrets of any length.
pub fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && bool::from(given.ct_eq(expected))
}

/// The peer's address as the socket saw it; proxies' headers are not trusted.
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

/// The bearer token of the request, if it carries one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Is the session cookie of `req` valid (touching it when `touch`)? Answers without waiting
/// (see `Sessions::check`), so that authentication is decided before any body is parsed.
pub fn session_valid(req: &HttpRequest, state: &AppState, touch: bool) -> Result<bool, ApiError> {
    let Some(id) = session::cookie_id(req) else { return Ok(false) };
    state.sessions.check(&id, touch).map_err(ApiError::internal)
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Admin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("app state missing")));
        };
        let ip = client_ip(req);
        let result = if let Some(token) = bearer(req) {
            if secrets_match(token.as_bytes(), state.admin_token.as_bytes()) {
                Ok(Admin(Origin { who: "admin-token".into(), ip }))
            } else {
                Err(ApiError::Unauthorized)
            }
        } else {
            match session_valid(req, state, true) {
                Ok(true) => Ok(Admin(Origin { who: SESSION_ADMIN.into(), ip })),
                Ok(false) => Err(ApiError::Unauthorized),
                Err(e) => Err(e),
            }
        };
        ready(result)
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
