//! The panel's HTTP side: the whole route table, the shared state, and `run_panel`, which
//! opens the store, starts the actors and serves. One file per resource.

pub mod admin_auth;
pub mod audit;
pub mod audited;
pub mod auth_cache;
pub mod bans;
pub mod error;
pub mod hosts;
pub mod internal;
pub mod metrics;
pub mod nodes;
pub mod settings;
pub mod users;
pub mod ws_ipc;

use crate::actors::command_runner::{Backend, CommandRunner};
use crate::actors::fuse_decider::FuseDecider;
use crate::actors::maintenance::MaintenanceScheduler;
use crate::actors::node_hub::NodeHub;
use crate::actors::stats_aggregator::StatsAggregator;
use crate::actors::stats_aggregator::{KickVia, Subscribe};
use crate::actors::user_registry::UserRegistry;
use crate::config::{CommandBackend, Config};
use crate::store::Store;
use actix::prelude::*;
use actix_web::{App, HttpResponse, HttpServer, web};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Shared by every handler. Secrets are read once at start.
pub struct AppState {
    pub registry: Addr<UserRegistry>,
    pub hub: Addr<NodeHub>,
    pub aggregator: Addr<StatsAggregator>,
    pub fuse: Addr<FuseDecider>,
    pub runner: Addr<CommandRunner>,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub auth_cache: auth_cache::AuthCache,
    pub store: Arc<Store>,
    pub admin_token: String,
    pub internal_secret: String,
    pub internal_allow_remote: bool,
    pub bcrypt_cost: u32,
    /// Verified against for unknown usernames, so they cost as much as known ones.
    pub dummy_hash: String,
}

/// The route table. Everything under `/api` requires the `Admin` extractor; `/internal`
/// requires the internal secret.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(error::json_config())
        .app_data(error::query_config())
        .app_data(error::path_config())
        .service(
            web::scope("/api")
                .route("/users", web::get().to(users::list))
                .route("/users", web::post().to(users::create))
                .route("/users/{name}", web::get().to(users::show))
                .route("/users/{name}", web::patch().to(users::update))
                .route("/users/{name}", web::delete().to(users::delete))
                .route("/users/{name}/pause", web::post().to(users::pause))
                .route("/users/{name}/resume", web::post().to(users::resume))
                .route("/users/{name}/renew", web::post().to(users::renew))
                .route("/users/{name}/reset-traffic", web::post().to(users::reset_traffic))
                .route("/users/{name}/password", web::post().to(users::set_password))
                .route("/hosts", web::get().to(hosts::get))
                .route("/hosts", web::put().to(hosts::put))
                .route("/settings", web::get().to(settings::get))
                .route("/settings", web::put().to(settings::put))
                .route("/bans", web::get().to(bans::list))
                .route("/bans", web::post().to(bans::ban))
                .route("/bans/{ip}", web::delete().to(bans::unban))
                .route("/audit", web::get().to(audit::list)),
        )
        .service(
            web::scope("/internal")
                .route("/auth", web::post().to(internal::auth))
                .route("/nodes", web::get().to(nodes::list)),
        )
        .route("/ipc", web::get().to(ws_ipc::ipc))
        .route("/metrics", web::get().to(metrics::metrics))
        .default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }))
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
    let panel_user = config.panel_user.clone();
    let runner = CommandRunner::new(backend_of(&config)).start();
    bans::reapply(&store, &runner)?;
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
    let interval = std::time::Duration::from_secs(config.maintenance_interval_secs);
    MaintenanceScheduler::new(registry.clone(), hub.clone(), interval).start();
    let dummy_hash = bcrypt::non_truncating_hash(random_hex(16), config.bcrypt_cost)?;
    let state = web::Data::new(AppState {
        registry,
        hub,
        aggregator,
        fuse,
        runner,
        store,
        admin_token,
        internal_secret: config.internal_api_secret.clone(),
        internal_allow_remote: config.internal_allow_remote,
        metrics,
        auth_cache: auth_cache::AuthCache::new(std::time::Duration::from_secs(config.auth_cache_secs)),
        bcrypt_cost: config.bcrypt_cost,
        dummy_hash,
    });
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(routes))
        .bind((config.panel_bind, config.panel_port))?;
    let addr = server.addrs()[0];
    if config.panel_port == 0 {
        std::fs::write(config.panel_addr_path(), addr.to_string())?;
    }
    tracing::info!(event = "PANEL_LISTENING", %addr);
    server.run().await?;
    Ok(())
}

/// Reads the admin token, creating it (mode 0600, owned by whoever runs the panel) on first
/// start. Only root and the panel user can read it; the `user` CLI does.
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

/// Creates a directory (and parents) readable only by its owner.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// Creates (or truncates) a file readable only by its owner.
pub fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

/// `n` random bytes from the OS, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the OS random source is available");
    hex::encode(buf)
}
