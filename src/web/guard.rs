//! What wraps every request: security headers on every response (errors and static files
//! included), and the CSRF gate for state-changing requests. A browser request that changes
//! something must be same-origin (`Origin` or `Sec-Fetch-Site`) AND carry the custom header
//! `X-Requested-With: wss-panel`, which no HTML form can send and no cross-site script can
//! send without a preflight the panel never grants. Bearer-token (CLI) and secret-guarded
//! proxy requests are not browser requests and pass; their own checks follow. The gate infers
//! nothing about what a request changes: open pages hear of changes from the planner.

use super::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, ResponseError};

pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "wss-panel";

/// No inline script, nothing from another origin, never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        // API answers hold user data: never cached (static files set their own `no-cache`).
        .add((header::CACHE_CONTROL, "no-store"))
}

/// What the gate looks at, taken out of the request so the rule is a pure function.
pub struct CsrfFacts<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub has_bearer: bool,
    pub custom_header: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub fetch_site: Option<&'a str>,
    /// `http://host:port` (or https) as this panel is addressed.
    pub own_origin: &'a str,
}

/// May this request go on? Pure.
pub fn csrf_allows(f: &CsrfFacts) -> bool {
    let safe = matches!(*f.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let not_browser = f.path.starts_with("/internal/") || f.path == "/ipc" || f.has_bearer;
    if safe || not_browser {
        return true;
    }
    let origin_ok = f.origin.map(|o| o == f.own_origin);
    let site_ok = f.fetch_site.map(|s| s == "same-origin");
    let same_origin = match (origin_ok, site_ok) {
        (None, None) => false,
        (o, s) => o.unwrap_or(true) && s.unwrap_or(true),
    };
    same_origin && f.custom_header == Some(CSRF_VALUE)
}

/// `scheme://host` of this panel as the request addressed it (the Host header, not the
/// `Forwarded` headers, which a client could set freely).
pub fn own_origin(req: &actix_web::HttpRequest) -> String {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let scheme = if req.app_config().secure() { "https" } else { "http" };
    format!("{scheme}://{host}")
}

fn header_str(req: &ServiceRequest, name: impl header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The CSRF gate.
pub async fn csrf<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let own = own_origin(req.request());
    let facts = CsrfFacts {
        method: req.method(),
        path: req.path(),
        has_bearer: super::admin_auth::bearer(req.request()).is_some(),
        custom_header: header_str(&req, CSRF_HEADER),
        origin: header_str(&req, header::ORIGIN),
        fetch_site: header_str(&req, "sec-fetch-site"),
        own_origin: &own,
    };
    if !csrf_allows(&facts) {
        tracing::warn!(event = "CSRF_REFUSED", path = ?req.path(), peer = %super::admin_auth::client_ip(req.request()));
        let response = ApiError::Forbidden("cross-site request refused".into()).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        method: &'a Method,
        origin: Option<&'a str>,
        site: Option<&'a str>,
        custom: Option<&'a str>,
    ) -> CsrfFacts<'a> {
        CsrfFacts {
            method,
            path: "/api/users",
            has_bearer: false,
            custom_header: custom,
            origin,
            fetch_site: site,
            own_origin: "http://127.0.0.1:1234",
        }
    }

    #[test]
    fn state_changes_need_same_origin_and_the_custom_header() {
        let post = Method::POST;
        let own = Some("http://127.0.0.1:1234");
        let c = Some(CSRF_VALUE);
        assert!(csrf_allows(&facts(&post, own, Some("same-origin"), c)));
        assert!(csrf_allows(&facts(&post, own, None, c)));
        assert!(csrf_allows(&facts(&post, None, Some("same-origin"), c)));
        assert!(!csrf_allows(&facts(&post, own, Some("same-origin"), None)), "no custom header");
        assert!(!csrf_allows(&facts(&post, Some("http://evil.example"), None, c)));
        assert!(!csrf_allows(&facts(&post, own, Some("cross-site"), c)));
        assert!(!csrf_allows(&facts(&post, None, Some("same-site"), c)));
        assert!(!csrf_allows(&facts(&post, None, None, c)), "neither origin signal");
        assert!(!csrf_allows(&facts(&post, Some("null"), None, c)));
        assert!(csrf_allows(&facts(&Method::GET, None, None, None)));
        let mut bearer = facts(&post, None, None, None);
        bearer.has_bearer = true;
        assert!(csrf_allows(&bearer));
    }
}
