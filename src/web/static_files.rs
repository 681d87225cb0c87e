//! The admin UI: the files under `static/`, embedded in the binary at build time (also in
//! debug builds, so tests serve what ships). Nothing else is served: no directory on disk is
//! ever mapped to a URL, so the config dir and the store are unreachable by construction.
//! Anything that is not an embedded file is the JSON 404.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse};

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct Assets;

/// A request path as a file name inside `static/`, or `None` if it could not be one. The
/// path is taken raw (not percent-decoded): `%2e%2e` stays literal and matches nothing.
pub fn asset_name(path: &str) -> Option<&str> {
    let name = match path {
        "/" => "index.html",
        p => p.strip_prefix('/')?,
    };
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/".contains(c);
    let clean = name.chars().all(allowed)
        && !name.starts_with(['.', '/'])
        && !name.contains("..")
        && !name.contains("//")
        && !name.ends_with('/');
    clean.then_some(name)
}

pub async fn serve(req: HttpRequest) -> HttpResponse {
    let file = (matches!(*req.method(), Method::GET | Method::HEAD))
        .then(|| asset_name(req.path()))
        .flatten()
        .and_then(Assets::get);
    let Some(file) = file else { return super::not_found().await };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.data.into_owned())
}

/// Every embedded file name (for tests).
pub fn names() -> Vec<String> {
    Assets::iter().map(|n| n.into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::asset_name;

    #[test]
    fn only_plain_names_inside_static_are_asset_names() {
        assert_eq!(asset_name("/"), Some("index.html"));
        assert_eq!(asset_name("/js/app.js"), Some("js/app.js"));
        for bad in ["/../config.json", "/js/../../x", "/%2e%2e/x", "//etc/passwd", "/.env", "/js/", "/a\\b"] {
            assert_eq!(asset_name(bad), None, "{bad}");
        }
    }
}
