//! The panel's HTTP side: the whole route table and the state every handler shares. One file
//! per resource; [`server`] starts the actors and serves.

pub mod admin_auth;
pub mod admin_password;
pub mod audit;
pub mod audited;
pub mod auth_cache;
pub mod backup;
pub mod bans;
pub mod cert_expiry;
pub mod devices;
pub mod error;
pub mod guard;
pub mod host_metrics;
pub mod hosts;
pub mod internal;
pub mod login;
pub mod login_failures;
pub mod metrics;
pub mod node_keys;
pub mod node_view;
pub mod nodes;
pub mod payload;
pub mod ports;
pub mod public_address;
pub mod server;
pub mod session;
pub mod settings;
pub mod sni;
pub mod static_files;
pub mod stopping;
pub mod system;
pub mod throttle;
pub mod tls;
pub mod user_actions;
pub mod users;
pub mod ws_ipc;
pub mod ws_ui;

pub use server::{ensure_admin_token, run_panel, system_account_exists};

use crate::actors::command_runner::CommandRunner;
use crate::actors::dispatcher::ChangeDispatcher;
use crate::actors::fuse_decider::FuseDecider;
use crate::actors::node_hub::NodeHub;
use crate::actors::stats_aggregator::StatsAggregator;
use crate::actors::ui_hub::UiHub;
use crate::actors::user_registry::UserRegistry;
use crate::store::Store;
use actix::prelude::*;
use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Shared by every handler. Secrets are read once at start.
pub struct AppState {
    pub stopping: stopping::Stopping,
    pub registry: Addr<UserRegistry>,
    pub hub: Addr<NodeHub>,
    pub aggregator: Addr<StatsAggregator>,
    pub fuse: Addr<FuseDecider>,
    pub runner: Addr<CommandRunner>,
    pub ui: Addr<UiHub>,
    /// Where changes that are not the registry's (the host list) are published.
    pub dispatcher: Addr<ChangeDispatcher>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub auth_cache: auth_cache::AuthCache,
    pub store: Arc<Store>,
    pub sessions: session::Sessions,
    pub system: system::SystemSources,
    pub throttle: Mutex<throttle::Throttle>,
    pub login_failures: login_failures::LoginFailures,
    pub audit_max_rows: u64,
    pub audit_max_age_days: u64,
    /// The panel admin's bcrypt hash; `None` until the installer or `up` wrote one.
    pub admin_hash: RwLock<Option<String>>,
    pub admin_hash_path: PathBuf,
    pub admin_token: String,
    /// Bearer token for `/metrics` (Prometheus), from `<data_dir>/metrics_token`.
    pub metrics_token: String,
    pub internal_secret: String,
    pub internal_allow_remote: bool,
    /// The enrolled nodes' secrets (hashed) the panel trusts now.
    pub node_keys: node_keys::NodeKeys,
    /// SHA-256 of the panel's TLS certificate (with `panel_tls`): what enrolment tokens pin.
    pub panel_cert_sha256: Option<crate::pinned_tls::Fingerprint>,
    /// The port of the panel's main listener (set once bound, for a `panel_port` of 0): the
    /// one a node's install line names.
    pub panel_port: std::sync::atomic::AtomicU16,
    pub bcrypt_cost: u32,
    /// Verified against for unknown usernames, so they cost as much as known ones.
    pub dummy_hash: String,
}

/// Who may call a route. `Admin`: a session cookie or the admin token; `Public`: anyone
/// (only the login); `Internal`: proxies with the internal secret; `AdminSocket`: the live
/// socket, same-origin with a session; `MetricsToken`: Prometheus with the bearer token of
/// `<data_dir>/metrics_token`; `NodeToken`: a new node's one-time token. No route trusts a loopback peer: every tunnel customer reaches
/// this host's loopback through SSH port forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Admin,
    Internal,
    AdminSocket,
    MetricsToken,
    /// A new proxy node with its one-time enrolment token as bearer.
    NodeToken,
}

#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Declares every route once: the registration and `ROUTE_TABLE`, which a test walks so
/// that a route added without protection fails CI.
macro_rules! route_table {
    ($($access:ident $method:ident $path:literal => $handler:expr;)*) => {
        pub const ROUTE_TABLE: &[Route] =
            &[$(Route { method: stringify!($method), path: $path, access: Access::$access }),*];
        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::method(Method::$method).to($handler));)*
        }
    };
}

route_table! {
    Public POST "/api/login" => login::login;
    Admin POST "/api/logout" => login::logout;
    Admin GET "/api/session" => login::whoami;
    Admin PUT "/api/admin/password" => admin_password::change;
    Admin GET "/api/users" => users::list;
    Admin POST "/api/users" => users::create;
    Admin POST "/api/users/batch" => user_actions::batch;
    Admin GET "/api/users/{name}" => users::show;
    Admin PATCH "/api/users/{name}" => users::update;
    Admin DELETE "/api/users/{name}" => users::delete;
    Admin POST "/api/users/{name}/pause" => users::pause;
    Admin POST "/api/users/{name}/resume" => users::resume;
    Admin POST "/api/users/{name}/renew" => users::renew;
    Admin POST "/api/users/{name}/reset-traffic" => users::reset_traffic;
    Admin POST "/api/users/{name}/password" => users::set_password;
    Admin POST "/api/users/{name}/kick" => user_actions::kick;
    Admin GET "/api/users/{name}/traffic" => user_actions::history;
    Admin GET "/api/live" => user_actions::live;
    Admin POST "/api/qr" => user_actions::qr;
    Admin GET "/api/hosts" => hosts::get;
    Admin PUT "/api/hosts" => hosts::put;
    Admin GET "/api/settings" => settings::get;
    Admin PUT "/api/settings" => settings::put;
    Admin GET "/api/public-address" => public_address::get;
    Admin PUT "/api/public-address" => public_address::put;
    Admin POST "/api/payload" => payload::generate;
    Admin GET "/api/payload/presets" => payload::presets;
    Admin POST "/api/sni" => sni::find;
    Admin GET "/api/ports" => ports::get;
    Admin PUT "/api/ports" => ports::put;
    Admin GET "/api/bans" => bans::list;
    Admin POST "/api/bans" => bans::ban;
    Admin DELETE "/api/bans/{ip}" => bans::unban;
    Admin GET "/api/audit" => audit::list;
    Admin GET "/api/backup" => backup::download;
    Admin GET "/api/system/status" => system::status;
    Admin POST "/api/system/services/{name}/restart" => system::restart;
    Admin GET "/api/system/services/{name}/logs" => system::logs;
    Internal POST "/internal/auth" => internal::auth;
    Internal GET "/internal/nodes" => nodes::list_connected;
    Admin GET "/api/nodes" => node_view::list;
    Admin POST "/api/nodes/tokens" => nodes::make_token;
    NodeToken POST "/api/nodes/enrol" => nodes::enrol;
    Admin PUT "/api/nodes/{name}" => node_view::rename;
    Admin GET "/api/nodes/{name}/history" => node_view::history;
    Admin POST "/api/nodes/{name}/revoke" => nodes::revoke;
    MetricsToken GET "/metrics" => metrics::metrics;
    Internal GET "/ipc" => ws_ipc::ipc;
    AdminSocket GET "/ws/ui" => ws_ui::ui;
}

/// The route table, then the embedded UI for everything else (or the JSON 404).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::json_config()).app_data(error::query_config()).app_data(error::path_config());
    register(cfg);
    cfg.default_service(web::to(static_files::serve));
}

pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }))
}

/// Reads the admin's bcrypt hash; a missing file means nobody can log in yet.
pub fn load_admin_hash(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(h) if h.trim().starts_with("$2") => Ok(Some(h.trim().to_owned())),
        Ok(_) => {
            tracing::error!(event = "ADMIN_HASH_INVALID", path = %path.display());
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(event = "ADMIN_PASSWORD_NOT_SET", path = %path.display());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
