//! The data plane: a tokio service that turns HTTP-upgrade "payloads" into SSH tunnels.
//! Never imports actix; talks to the panel only through [`crate::wire`] types.
//!
//! Pure cores: [`handshake`] (request heads), [`ratelimit`] (token buckets), [`batches`]
//! (exactly-once traffic batches), [`verdict_cache`] (short-lived auth verdicts),
//! [`throttle`] (auth failures per address and name), [`admission`] (caps on
//! unauthenticated connections); [`state`] is the node's shared state around them (users,
//! tunnels, kicks, locks); [`auth`] is the order in which a tunnel is authenticated;
//! [`outcome`] says which side ended a connection. I/O shells: [`session`] (one
//! connection), [`pipe`] (byte moving; zero-copy `splice` between plain TCP sockets on
//! Linux; [`busy_poll`] for small answers, opt-in), [`listener`] (accept loops),
//! [`panel_client`] (auth), [`ipc`] (reports and commands), [`tls`], [`udpgw`] (the built-in
//! UDPGW on loopback).

pub mod account_spool;
pub mod admission;
pub mod auth;
pub mod batches;
pub mod busy_poll;
pub mod context;
pub mod handshake;
pub mod health;
pub mod ipc;
pub mod listener;
pub mod meter;
pub mod outcome;
pub mod panel_client;
pub mod pipe;
pub mod ratelimit;
pub mod session;
#[cfg(target_os = "linux")]
mod splice;
pub mod state;
pub mod throttle;
pub mod tls;
pub mod udpgw;
pub mod verdict_cache;

use crate::config::Config;
use session::Proxy;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long tunnels may keep running after SIGTERM before the process exits.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Bound listening sockets: plain and TLS.
pub struct Listeners {
    pub http: TcpListener,
    pub tls: Option<TcpListener>,
}

/// Connections the kernel may queue before the accept loop takes them. tokio's default is
/// 1024; a reconnect storm (every client of a restarted node at once) should wait in the
/// queue, not lose its SYNs and retry a second later. The kernel caps it at
/// `net.core.somaxconn`.
pub const ACCEPT_BACKLOG: u32 = 4096;

impl Listeners {
    /// Binds `wss_bind` on both configured ports (0 = any free port).
    pub async fn bind(config: &Config) -> std::io::Result<Listeners> {
        let http = listen(SocketAddr::new(config.wss_bind, config.wss_http_port))?;
        let tls = listen(SocketAddr::new(config.wss_bind, config.wss_tls_port))?;
        Ok(Listeners { http, tls: Some(tls) })
    }
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// `name-xxxxxxxx`: the configured node name plus a per-start suffix, so that the panel
/// never confuses this run's report numbers with an earlier run's.
pub fn node_id(name: &str) -> String {
    format!("{name}-{}", crate::secure_files::random_hex(4))
}

/// Serves until `stop` is cancelled, then drains: stops accepting, sends the last report,
/// and gives live tunnels up to `SHUTDOWN_GRACE`.
pub async fn run(config: Config, listeners: Listeners, stop: CancellationToken) -> anyhow::Result<()> {
    let cert = listeners.tls.is_some().then(|| config.tls_cert.clone());
    let tls = match &listeners.tls {
        Some(_) => Some(tls::acceptor(&config.tls_cert, &config.tls_key)?),
        None => None,
    };
    let node = Arc::new(state::NodeState::new(node_id(&config.node_name)));
    let upstream = SocketAddr::new(config.forward_host, config.internal_forward_port);
    let proxy = Arc::new(Proxy {
        node: node.clone(),
        panel: panel_client::PanelClient::new(
            &config.panel_url,
            config.panel_credential(),
            config.panel_cert_sha256,
        ),
        upstream,
        max_header_lines: config.max_header_lines,
        handshake_timeout: config.handshake_timeout,
        busy_poll: busy_poll::window_here(config.busy_poll),
        admission: admission::Admission::new(config.preauth_per_ip, config.preauth_global),
        throttle: Default::default(),
    });
    let http_addr = listeners.http.local_addr()?;
    let tls_addr = listeners.tls.as_ref().map(|l| l.local_addr()).transpose()?;
    let cap = connection_slots();
    tracing::info!(event = "PROXY_LISTENING", connections = cap, busy_poll_us = proxy.busy_poll.as_micros() as u64, http = %http_addr, tls = ?tls_addr, node = %node.node_id, upstream = %upstream);
    let tasks = TaskTracker::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(cap));
    let accept_stop = stop.child_token();
    let _udpgw = udpgw::start(&config.udpgw, node.clone(), accept_stop.clone());
    let mut loops = vec![tokio::spawn(listener::serve(
        listeners.http,
        None,
        proxy.clone(),
        tasks.clone(),
        slots.clone(),
        accept_stop.clone(),
    ))];
    if let (Some(l), Some(acceptor)) = (listeners.tls, tls) {
        loops.push(tokio::spawn(listener::serve(
            l,
            Some(acceptor),
            proxy.clone(),
            tasks.clone(),
            slots.clone(),
            accept_stop.clone(),
        )));
    }
    tokio::spawn(log_guard_stats(proxy.clone(), accept_stop.clone()));
    let ipc_stop = CancellationToken::new();
    let guard_of = proxy.clone();
    let health = health::HealthProbe::new(
        (config.forward_host, config.internal_forward_port),
        config.udpgw.port,
        cert,
    );
    let ipc = tokio::spawn(ipc::run(
        node.clone(),
        Arc::new(move || (guard_stats(&guard_of), Some(health.current(std::time::Instant::now())))),
        ipc::PanelLink {
            url: config.panel_url.clone(),
            credential: config.panel_credential(),
            pin: config.panel_cert_sha256,
            accounts: match config.panel_credential() {
                crate::config::PanelCredential::Node { .. } => {
                    Some(Arc::new(account_spool::AccountSpool::new(config.account_spool_path())))
                }
                crate::config::PanelCredential::Internal(_) => None,
            },
        },
        ipc_stop.clone(),
    ));
    stop.cancelled().await;
    // The accept loops own the listeners: once they have returned, nothing new gets in, and
    // only then is the stop announced.
    for l in loops {
        let _ = l.await;
    }
    tracing::info!(event = "PROXY_STOPPING", tunnels = tasks.len());
    tasks.close();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait()).await;
    ipc_stop.cancel();
    let _ = ipc.await;
    tracing::info!(event = "PROXY_STOPPED", unreported_bytes = node.unacknowledged_bytes());
    Ok(())
}

/// File descriptors kept out of the connection cap: listeners, the panel connections, the
/// UDPGW's sockets, resolv.conf.
const FD_RESERVE: u64 = 64;

/// Client connections served at once: a tunnel takes two fds (client and sshd), and
/// `FD_RESERVE` stay free. The soft fd limit is raised to the hard one first (the unit sets
/// both to 262,144; a shell's soft 1,024 would otherwise cap a hand-started proxy).
fn connection_slots() -> usize {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let soft = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if hard > soft && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() => hard,
        Ok((soft, _)) => soft,
        Err(_) => 1024,
    };
    (soft.saturating_sub(FD_RESERVE) / 2).clamp(16, tokio::sync::Semaphore::MAX_PERMITS as u64) as usize
}

/// How often the pre-auth counters are logged (only when they changed).
const GUARD_STATS_INTERVAL: Duration = Duration::from_secs(10);

/// The pre-auth guards' numbers, for the report to the panel and the `PREAUTH_STATS` line.
fn guard_stats(proxy: &Proxy) -> crate::wire::GuardStats {
    let a = proxy.admission.stats();
    crate::wire::GuardStats {
        pending: a.pending as u64,
        refused_per_ip: a.refused,
        shed: a.shed,
        throttled: proxy.throttle().refused(),
    }
}

/// One `PREAUTH_STATS` line per interval while anything changed: unauthenticated
/// connections now, and since start those refused at the per-address cap, shed at the
/// global cap, and auth attempts throttled. Single refusals are logged at debug only, so
/// that a flood does not flood the journal; this line is where operators see it.
async fn log_guard_stats(proxy: Arc<Proxy>, stop: CancellationToken) {
    let mut last = None;
    let mut ticker = tokio::time::interval(GUARD_STATS_INTERVAL);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.cancelled() => return,
        }
        let g = guard_stats(&proxy);
        let (ips, names) = proxy.throttle().tracked();
        let now = (g, ips, names);
        if last != Some(now) && (g.refused_per_ip, g.shed, g.throttled) != (0, 0, 0) {
            tracing::info!(
                event = "PREAUTH_STATS",
                pending = g.pending,
                refused_per_ip = g.refused_per_ip,
                shed = g.shed,
                throttled = g.throttled,
                tracked_ips = ips,
                tracked_names = names,
            );
        }
        last = Some(now);
    }
}

/// `wss-panel proxy`: a multi-thread runtime (one worker per core), SIGTERM/SIGINT drain.
pub fn main(config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listeners = Listeners::bind(&config).await?;
        let stop = CancellationToken::new();
        tokio::spawn(cancel_on_signal(stop.clone()));
        run(config, listeners, stop).await
    })
}

/// Cancels `stop` on SIGTERM or SIGINT.
pub async fn cancel_on_signal(stop: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    stop.cancel();
}
