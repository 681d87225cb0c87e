//! The panel's HTTP side: the whole route table, the shared state, and `run_panel`, which
//! opens the store, starts the actors and serves. One file per resource.

pub mod admin_auth;
pub mod admin_password;
pub mod audit;
pub mod audited;
pub mod auth_cache;
pub mod bans;
pub mod devices;
pub mod error;
pub mod guard;
pub mod host_metrics;
pub mod hosts;
pub mod internal;
pub mod login;
pub mod login_failures;
pub mod metrics;
pub mod nodes;
pub mod ports;
pub mod session;
pub mod settings;
pub mod static_files;
pub mod stopping;
pub mod system;
pub mod throttle;
pub mod tls;
pub mod user_actions;
pub mod users;
pub mod ws_ipc;
pub mod ws_ui;

use crate::actors::command_runner::{Backend, CommandRunner, Run};
use crate::actors::fuse_decider::FuseDecider;
use crate::actors::maintenance::MaintenanceScheduler;
use crate::actors::node_hub::NodeHub;
use crate::actors::stats_aggregator::StatsAggregator;
use crate::actors::stats_aggregator::{KickVia, Subscribe};
use crate::actors::ui_hub::UiHub;
use crate::actors::user_registry::UserRegistry;
use crate::config::{CommandBackend, Config};
use crate::secure_files::{create_private_dir, open_private, random_hex};
use crate::store::Store;
use crate::system::SystemCommand;
use actix::prelude::*;
use actix_web::http::Method;
use actix_web::{App, HttpResponse, HttpServer, web};
use std::io::Write;
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
    pub bcrypt_cost: u32,
    /// Verified against for unknown usernames, so they cost as much as known ones.
    pub dummy_hash: String,
}

/// Who may call a route. `Admin`: a session cookie or the admin token; `Public`: anyone
/// (only the login); `Internal`: proxies with the internal secret; `AdminSocket`: the live
/// socket, same-origin with a session; `MetricsToken`: Prometheus with the bearer token of
/// `<data_dir>/metrics_token`. No route trusts a loopback peer: every tunnel customer reaches
/// this host's loopback through SSH port forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Admin,
    Internal,
    AdminSocket,
    MetricsToken,
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
    Admin GET "/api/ports" => ports::get;
    Admin PUT "/api/ports" => ports::put;
    Admin GET "/api/bans" => bans::list;
    Admin POST "/api/bans" => bans::ban;
    Admin DELETE "/api/bans/{ip}" => bans::unban;
    Admin GET "/api/audit" => audit::list;
    Admin GET "/api/system/status" => system::status;
    Admin POST "/api/system/services/{name}/restart" => system::restart;
    Admin GET "/api/system/services/{name}/logs" => system::logs;
    Internal POST "/internal/auth" => internal::auth;
    Internal GET "/internal/nodes" => nodes::list;
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

fn backend_of(config: &Config) -> Backend {
    let helper_path = config.helper_path.clone();
    match config.command_backend {
        CommandBackend::Sudo => Backend::Sudo { helper_path },
        CommandBackend::Direct => Backend::Direct { helper_path },
        CommandBackend::Recording => Backend::Recording(Default::default()),
    }
}

/// Does a Linux account of that name exist (passwd database, NSS included)?
pub fn system_account_exists(name: &str) -> bool {
    matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
}

/// Runs the panel until the server stops.
pub async fn run_panel(config: Config) -> anyhow::Result<()> {
    create_private_dir(&config.data_dir)?;
    let store = Arc::new(Store::open(&config.store_path())?);
    // The store holds password hashes: owner only.
    set_mode(&config.store_path(), 0o600)?;
    let admin_token = ensure_admin_token(&config.admin_token_path())?;
    let metrics_token = ensure_admin_token(&config.metrics_token_path())?;
    let panel_user = config.panel_user.clone();
    let runner = CommandRunner::new(backend_of(&config)).start();
    bans::reapply(&store, &runner)?;
    // Rules live until reboot: every start applies the tunnel customers' firewall again.
    runner.do_send(Run(SystemCommand::GuardTunnels { udpgw_port: config.udpgw_port }));
    let registry_store = store.clone();
    let registry_runner = runner.clone().recipient();
    let registry = SyncArbiter::start(1, move || {
        UserRegistry::new(registry_store.clone(), system_account_exists, panel_user.clone())
            .with_runner(registry_runner.clone())
    });
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let aggregator = StatsAggregator::new(registry.clone(), metrics.clone()).start();
    let hub = NodeHub::new(aggregator.clone(), hosts::load(&store)?).start();
    let threshold = settings::load(&store)?.fuse_threshold_kbps;
    let fuse = FuseDecider::new(registry.clone(), hub.clone(), threshold, metrics.clone()).start();
    aggregator.do_send(Subscribe(fuse.clone().recipient()));
    aggregator.do_send(KickVia(hub.clone().recipient()));
    let dummy_hash = bcrypt::non_truncating_hash(random_hex(16), config.bcrypt_cost)?;
    let system = system::SystemSources {
        registry: registry.clone(),
        aggregator: aggregator.clone(),
        runner: runner.clone(),
        config: config.clone(),
        store: store.clone(),
    };
    let sources = system.clone();
    let ui = UiHub::new(Arc::new(move || Box::pin(system::gather(sources.clone())))).start();
    aggregator.do_send(Subscribe(ui.clone().recipient()));
    let admin_hash_path = config.admin_password_path();
    let sessions = session::Sessions::new(store.clone(), session::Clock::from_env());
    let known_ips = known_admin_ips(&store, &sessions)?;
    let state = web::Data::new(AppState {
        stopping: stopping::Stopping::on_signals()?,
        registry,
        hub,
        aggregator,
        fuse,
        runner,
        ui,
        store,
        sessions,
        system,
        throttle: Mutex::new(throttle::Throttle::knowing(known_ips)),
        login_failures: Default::default(),
        audit_max_rows: config.audit_max_rows,
        audit_max_age_days: config.audit_max_age_days,
        admin_hash: RwLock::new(load_admin_hash(&admin_hash_path)?),
        admin_hash_path,
        admin_token,
        metrics_token,
        internal_secret: config.internal_api_secret.clone(),
        internal_allow_remote: config.internal_allow_remote,
        metrics,
        auth_cache: auth_cache::AuthCache::new(std::time::Duration::from_secs(config.auth_cache_secs)),
        bcrypt_cost: config.bcrypt_cost,
        dummy_hash,
    });
    let interval = std::time::Duration::from_secs(config.maintenance_interval_secs);
    let upkeep = state.clone();
    let housekeeping = move || {
        let state = upkeep.clone();
        actix_web::rt::spawn(async move { audit::housekeeping(&state).await });
    };
    MaintenanceScheduler::new(state.registry.clone(), state.hub.clone(), interval)
        .with_housekeeping(Box::new(housekeeping))
        .start();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes)
            .wrap(actix_web::middleware::from_fn(guard::csrf))
            .wrap(guard::security_headers())
            .wrap(actix_web::middleware::from_fn(tls::hsts))
    })
    // Proxies' `/ipc` and browsers' `/ws` sockets never end by themselves: the default
    // graceful wait (30 s) made every `systemctl stop|restart wss_panel` take that long. Plain
    // requests finish within this; proxies reconnect and browsers retry on their own.
    .shutdown_timeout(SHUTDOWN_GRACE_SECS);
    let listen = (config.panel_bind, config.panel_port);
    let server = if config.panel_tls {
        server.bind_rustls_0_23(listen, tls::server_config(&config.tls_cert, &config.tls_key)?)?
    } else {
        server.bind(listen)?
    };
    // Proxies and the `user` CLI on this host speak plain HTTP to loopback.
    let server = match config.panel_local_port {
        Some(port) => server.bind((std::net::Ipv4Addr::LOCALHOST, port))?,
        None => server,
    };
    let addr = server.addrs()[0];
    if config.panel_port == 0 {
        std::fs::write(config.panel_addr_path(), addr.to_string())?;
    }
    tracing::info!(event = "PANEL_LISTENING", tls = config.panel_tls, %addr);
    server.run().await?;
    Ok(())
}

/// How long a stopping panel lets open connections finish (seconds).
const SHUTDOWN_GRACE_SECS: u64 = 1;

/// Reads a token file (the admin token, the metrics token), creating it (mode 0600, owned by
/// whoever runs the panel) on first start. Only root and the panel user can read it; the
/// `user` CLI reads the admin token, Prometheus a copy of the metrics token.
pub fn ensure_admin_token(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(token) if !token.trim().is_empty() => return Ok(token.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let token = random_hex(32);
    let mut file = open_private(path)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    Ok(token)
}

/// IPs the admin logged in from, as the stored remembered devices say.
fn known_admin_ips(
    store: &Store,
    sessions: &session::Sessions,
) -> Result<Vec<String>, crate::store::StoreError> {
    let now = sessions.clock.now();
    store.read(|txn| {
        crate::store::devices::issuing_ips(&txn.open_table(crate::store::tables::ADMIN_DEVICES)?, now)
    })
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
