//! `ApiError`: every failure of the HTTP API as JSON `{"error": "..."}` with the right status.
//! 5xx bodies reveal nothing; the cause goes to the log.

use crate::actors::user_registry::RegistryError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    /// A failed login: the same answer whether the name or the password was wrong.
    #[error("invalid username or password")]
    BadLogin,
    #[error("too many failed logins; try again later")]
    TooManyAttempts,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Something the panel depends on (the firewall, a service) failed; the message is safe
    /// to show.
    #[error("{0}")]
    Unavailable(String),
    /// The store could not save (disk full, or not reopened yet); the message says which and
    /// that nothing was saved.
    #[error("{message}")]
    StoreDown { message: String, full: bool },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadLogin => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::BAD_GATEWAY,
            ApiError::StoreDown { full: true, .. } => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::StoreDown { full: false, .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(event = "API_INTERNAL_ERROR", ?cause);
        }
        HttpResponse::build(self.status_code()).json(serde_json::json!({ "error": self.to_string() }))
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NotFound(_) => ApiError::NotFound(e.to_string()),
            RegistryError::Exists(_) => ApiError::Conflict(e.to_string()),
            RegistryError::Invalid(m) => ApiError::BadRequest(m),
            RegistryError::Store(s) => s.into(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::Full(_) => ApiError::StoreDown { message: e.to_string(), full: true },
            StoreError::Unavailable(_) => ApiError::StoreDown { message: e.to_string(), full: false },
            other => ApiError::internal(other),
        }
    }
}

impl From<actix::MailboxError> for ApiError {
    fn from(e: actix::MailboxError) -> Self {
        ApiError::internal(e)
    }
}

impl From<crate::domain::DomainError> for ApiError {
    fn from(e: crate::domain::DomainError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

/// Malformed JSON, query strings and paths become 400s in the same shape.
pub fn json_config() -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _| ApiError::BadRequest(err.to_string()).into())
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|err, _| ApiError::BadRequest(err.to_string()).into())
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default().error_handler(|err, _| ApiError::BadRequest(err.to_string()).into())
}
