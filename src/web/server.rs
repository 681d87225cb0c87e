//! Starting the panel: open the store, start the actors in dependency order, wire the
//! change dispatcher, and serve the route table (TLS when configured, plus the plain loopback
//! listener for proxies and the CLI on this host).

use super::{
    AppState, audit, auth_cache, bans, guard, hosts, load_admin_hash, routes, session, settings, stopping,
    system, throttle, tls,
};
use crate::actors::backup_scheduler::BackupScheduler;
use crate::actors::command_runner::{Backend, CommandRunner, Run};
use crate::actors::dispatcher::ChangeDispatcher;
use crate::actors::fuse_decider::FuseDecider;
use crate::actors::maintenance::MaintenanceScheduler;
use crate::actors::node_hub::NodeHub;
use crate::actors::stats_aggregator::{StatsAggregator, Subscribe};
use crate::actors::ui_hub::UiHub;
use crate::actors::user_registry::UserRegistry;
use crate::config::{CommandBackend, Config};
use crate::secure_files::{create_private_dir, open_private, random_hex};
use crate::store::Store;
use crate::system::SystemCommand;
use actix::prelude::*;
use actix_web::{App, HttpServer, web};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

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
    adopt_legacy_state(&config)?;
    super::public_address::seed(&store, &config)?;
    let admin_token = ensure_admin_token(&config.admin_token_path())?;
    let metrics_token = ensure_admin_token(&config.metrics_token_path())?;
    let panel_user = config.panel_user.clone();
    let runner = CommandRunner::with_timeout(backend_of(&config), config.helper_timeout).start();
    bans::reapply(&store, &runner)?;
    // Rules live until reboot: every start applies the tunnel customers' firewall again.
    runner.do_send(Run(SystemCommand::GuardTunnels { udpgw_port: config.udpgw_port }));
    // The dispatcher's address exists before the actors it delivers to (which need the
    // registry); it starts once they do, and keeps what was published meanwhile.
    let dispatch_ctx = Context::<ChangeDispatcher>::new();
    let dispatcher = dispatch_ctx.address();
    let registry_store = store.clone();
    let registry_subscriber = dispatcher.clone().recipient();
    let registry = SyncArbiter::start(1, move || {
        UserRegistry::new(registry_store.clone(), system_account_exists, panel_user.clone())
            .with_subscriber(registry_subscriber.clone())
    });
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let aggregator = StatsAggregator::new(registry.clone(), metrics.clone()).start();
    let hub = NodeHub::new(aggregator.clone(), hosts::load(&store)?).start();
    let threshold = settings::load(&store)?.fuse_threshold_kbps;
    let fuse = FuseDecider::new(registry.clone(), threshold, metrics.clone()).start();
    aggregator.do_send(Subscribe(fuse.clone().recipient()));
    let dummy_hash = bcrypt::non_truncating_hash(random_hex(16), config.bcrypt_cost)?;
    let system = system::SystemSources {
        registry: registry.clone(),
        aggregator: aggregator.clone(),
        runner: runner.clone(),
        config: config.clone(),
        store: store.clone(),
        cert: super::cert_expiry::CertWatch::new(config.tls_cert.clone()),
    };
    let sources = system.clone();
    let watched = system.clone();
    let ui = UiHub::new(
        Arc::new(move || Box::pin(system::gather(sources.clone()))),
        Arc::new(move || system::alert_fingerprint(&watched)),
    )
    .start();
    aggregator.do_send(Subscribe(ui.clone().recipient()));
    let plan_to = (runner.clone().recipient(), hub.clone().recipient(), ui.clone().recipient());
    dispatch_ctx
        .run(ChangeDispatcher::new(plan_to.0, plan_to.1, plan_to.2).with_settle(runner.clone().recipient()));
    let admin_hash_path = config.admin_password_path();
    let sessions = session::Sessions::new(store.clone(), session::Clock::from_env());
    let known_ips = known_admin_ips(&store, &sessions)?;
    let node_keys = super::node_keys::NodeKeys::load(&store)?;
    let panel_cert_sha256 = match config.panel_tls {
        true => Some(crate::pinned_tls::fingerprint_of_pem(&config.tls_cert).map_err(anyhow::Error::msg)?),
        false => None,
    };
    let state = web::Data::new(AppState {
        stopping: stopping::Stopping::on_signals()?,
        registry,
        hub,
        aggregator,
        fuse,
        runner,
        ui,
        dispatcher,
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
        node_keys,
        panel_cert_sha256,
        panel_port: std::sync::atomic::AtomicU16::new(config.panel_port),
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
    if config.backup_interval_secs > 0 {
        let every = std::time::Duration::from_secs(config.backup_interval_secs);
        BackupScheduler::new(
            state.store.clone(),
            config.data_dir.clone(),
            every,
            config.backup_keep as usize,
        )
        .start();
    }
    MaintenanceScheduler::new(state.registry.clone(), interval)
        .with_housekeeping(Box::new(housekeeping))
        .start();
    let (workers, per_worker) = connection_caps();
    let bound = state.clone();
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
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .workers(workers)
    .max_connections(per_worker);
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
    bound.panel_port.store(addr.port(), std::sync::atomic::Ordering::Relaxed);
    if config.panel_port == 0 {
        std::fs::write(config.panel_addr_path(), addr.to_string())?;
    }
    // `addr` stays the last field: scripts and tests read it from the end of the line.
    let connections = workers * per_worker;
    tracing::info!(event = "PANEL_LISTENING", tls = config.panel_tls, connections, %addr);
    server.run().await?;
    Ok(())
}

/// File descriptors the panel keeps out of its HTTP connection cap: the store, backups, the
/// root helper's pipes, its own outgoing sockets.
const FD_RESERVE: u64 = 128;

/// (workers, connections per worker). The soft fd limit is raised to the hard one first;
/// then the connection cap keeps `FD_RESERVE` fds free. At the cap actix stops accepting and
/// resumes the moment a connection ends; without it, running out of fds made actix back off
/// 500 ms per `EMFILE`, and every round of queued connections cost another backoff (1.3 to
/// 1.8 s to serve again after a flood of 1,000 at 256 fds, instead of < 1 s).
fn connection_caps() -> (usize, usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let soft = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if hard > soft && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() => hard,
        Ok((soft, _)) => soft,
        Err(_) => 1024,
    };
    let usable = soft.saturating_sub(FD_RESERVE).max(workers as u64 * 16);
    (workers, (usable / workers as u64).min(25_000) as usize)
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

/// Releases before the root-owned `/etc/wss-panel` kept the admin password hash and the
/// admin token beside config.json: copied into the data dir once (the installer moves them
/// too), so an upgraded binary started before the installer ran still lets the admin in.
fn adopt_legacy_state(config: &Config) -> std::io::Result<()> {
    for (old, new) in config.legacy_state_paths() {
        if old == new || new.exists() {
            continue;
        }
        if let Some(text) = crate::secure_files::read_nofollow(&old)? {
            let mut file = open_private(&new)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            tracing::info!(event = "LEGACY_STATE_ADOPTED", from = %old.display(), to = %new.display());
        }
    }
    Ok(())
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
