//! A built-in, badvpn-compatible UDPGW: tunnel apps (HTTP Injector, HTTP Custom,
//! NapsternetV) open an SSH `direct-tcpip` channel to `127.0.0.1:udpgw_port` and carry UDP
//! (DNS, VoIP, games) over it as length-prefixed frames.
//!
//! Pure cores: [`codec`] (the wire format), [`flows`] (LRU and idle policy), [`counters`]
//! (per-user flows and datagrams), [`resolver`] (resolv.conf), [`destination`] (this host's
//! own addresses are refused unless listed in `udpgw_allow_local`). I/O: [`peer`] (who connected:
//! procfs and the account database), [`client`] (one client), and the accept loop here.
//!
//! Listens on loopback only. Each client is attributed to the tunnel account whose sshd
//! session opened it and served only while that user has a live tunnel on this node; a kick
//! of the user (pause, expiry, fuse, delete) ends its clients and so its flows. At a cap a
//! client or flow is refused with a log line instead of running out of descriptors.

pub mod client;
pub mod codec;
pub mod counters;
pub mod destination;
pub mod flows;
pub mod peer;
pub mod resolver;

use super::state::{NodeState, UserEntry};
use crate::config::UdpgwConfig;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Descriptors kept for tunnels and everything else when sizing the flow budget: UDPGW flows
/// may use at most half of the process's descriptor limit.
const FLOW_SHARE_OF_NOFILE: u64 = 2;

/// The name root's health probe is logged under (never a tunnel account: those are checked
/// against the account rules, which refuse parentheses).
pub const ROOT_PROBE: &str = "(root probe)";

/// How a client's connection is tied to a user.
pub enum Attribution {
    /// Production: the peer socket's owner must be a tunnel account with a live tunnel here.
    TunnelAccounts,
    /// Every client is this user's (benchmarks and in-process tests; never from config).
    Fixed(Arc<UserEntry>),
}

/// Everything the UDPGW's tasks share.
pub struct Gateway {
    pub config: UdpgwConfig,
    pub node: Arc<NodeState>,
    pub attribution: Attribution,
    /// Cancelled at shutdown: the accept loop and every client end.
    pub stop: CancellationToken,
    clients: Arc<Semaphore>,
    flows: Arc<AtomicUsize>,
    max_flows: usize,
    refused_flows: AtomicU64,
}

/// One flow counted against the node's budget until dropped.
pub struct NodeFlowSlot(Arc<AtomicUsize>);

impl Drop for NodeFlowSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gateway {
    pub fn new(
        config: UdpgwConfig,
        node: Arc<NodeState>,
        attribution: Attribution,
        stop: CancellationToken,
    ) -> Self {
        let wanted = u64::from(config.max_clients) * u64::from(config.max_flows_per_client);
        let max_flows = wanted.min(nofile_limit() / FLOW_SHARE_OF_NOFILE) as usize;
        Gateway {
            clients: Arc::new(Semaphore::new(config.max_clients as usize)),
            flows: Arc::new(AtomicUsize::new(0)),
            max_flows,
            refused_flows: AtomicU64::new(0),
            config,
            node,
            attribution,
            stop,
        }
    }

    /// Flows this node may hold at once (the configured caps, bounded by the fd limit).
    pub fn max_flows(&self) -> usize {
        self.max_flows
    }

    /// Live flows of all clients.
    pub fn live_flows(&self) -> usize {
        self.flows.load(Ordering::Acquire)
    }

    /// Flows refused at a cap or for want of a socket since the start.
    pub fn refused_flows(&self) -> u64 {
        self.refused_flows.load(Ordering::Acquire)
    }

    fn count_refused(&self) {
        self.refused_flows.fetch_add(1, Ordering::AcqRel);
    }

    fn flow_slot(&self) -> Option<NodeFlowSlot> {
        let max = self.max_flows;
        let counted =
            self.flows.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1));
        counted.ok().map(|_| NodeFlowSlot(self.flows.clone()))
    }

    /// The client's user, and whether it is root's health probe (`wss-panel doctor`): root
    /// may send DNS-flagged queries, counted against no user (it could send UDP itself).
    async fn attribute(&self, peer: SocketAddr, ours: SocketAddr) -> Result<(Arc<UserEntry>, bool), String> {
        match &self.attribution {
            Attribution::Fixed(user) => Ok((user.clone(), false)),
            Attribution::TunnelAccounts => {
                let name = tokio::task::spawn_blocking(move || {
                    let uid = peer::peer_uid(peer, ours).ok_or(peer::NotATunnelUser::NoOwner)?;
                    if uid == 0 {
                        return Ok(None);
                    }
                    peer::tunnel_account(uid).map(Some)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                let Some(name) = name else { return Ok((UserEntry::unlisted(ROOT_PROBE), true)) };
                let user = self
                    .node
                    .live_user(&name)
                    .ok_or_else(|| format!("{name} has no live tunnel on this node"))?;
                Ok((user, false))
            }
        }
    }

    async fn serve_client(&self, stream: TcpStream, peer: SocketAddr) {
        let user = match stream.local_addr() {
            Ok(ours) => self.attribute(peer, ours).await,
            Err(e) => Err(e.to_string()),
        };
        let (user, dns_only) = match user {
            Ok(u) => u,
            Err(reason) => {
                tracing::warn!(event = "UDPGW_CLIENT_REFUSED", %peer, reason = %reason);
                return;
            }
        };
        tracing::info!(event = "UDPGW_CLIENT_START", user = %user.name, %peer);
        let end = client::run(self, stream, user.clone(), dns_only).await;
        let reason = end.reason();
        match end {
            client::End::BadFrame(_) => {
                tracing::warn!(event = "UDPGW_CLIENT_END", user = %user.name, %peer, reason)
            }
            _ => tracing::info!(event = "UDPGW_CLIENT_END", user = %user.name, %peer, reason),
        }
    }
}

/// Binds `127.0.0.1:port`: the UDPGW is for sshd's forwarded channels only.
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    socket.listen(1024)
}

/// Accepts until `gw.stop` is cancelled; a client over `max_clients` is refused at once.
pub async fn serve(listener: TcpListener, gw: Arc<Gateway>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = gw.stop.cancelled() => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(event = "UDPGW_ACCEPT_FAILED", error = %e);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = gw.clients.clone().try_acquire_owned() else {
            tracing::warn!(event = "UDPGW_CLIENT_REFUSED", %peer, reason = "max clients");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let gw = gw.clone();
        tokio::spawn(async move {
            gw.serve_client(stream, peer).await;
            drop(permit);
        });
    }
}

/// Starts the UDPGW when `udpgw_port` is set. A port in use (say, badvpn still running) is
/// logged and the tunnels run on without it.
pub fn start(config: &UdpgwConfig, node: Arc<NodeState>, stop: CancellationToken) -> Option<Arc<Gateway>> {
    if config.port == 0 {
        return None;
    }
    let listener = match bind(config.port) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(event = "UDPGW_BIND_FAILED", port = config.port, error = %e);
            return None;
        }
    };
    let gw = Arc::new(Gateway::new(config.clone(), node, Attribution::TunnelAccounts, stop));
    tracing::info!(
        event = "UDPGW_LISTENING",
        addr = %SocketAddr::from(([127, 0, 0, 1], config.port)),
        max_clients = config.max_clients,
        max_flows = gw.max_flows()
    );
    tokio::spawn(serve(listener, gw.clone()));
    Some(gw)
}

/// The soft descriptor limit, raised to the hard limit first (no privilege needed).
fn nofile_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else { return 1024 };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return hard;
    }
    soft
}
