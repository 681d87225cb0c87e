//! What one proxy node knows, shared by its connection tasks and its IPC task: per-user
//! limits, token buckets, live tunnels and byte counters; the Host whitelist; short-lived
//! auth verdicts; and the traffic batches the panel has not acknowledged yet.

use super::batches::Batches;
use super::ratelimit::TokenBucket;
pub use super::verdict_cache::AUTH_CACHE_TTL;
use super::verdict_cache::{CacheKey, VerdictCache};
use crate::wire::{PanelToProxy, StatsReport, UserLimits, UserStats};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Locks a mutex even if a panicking task poisoned it: the data stay consistent because
/// every critical section here is a few plain assignments.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One live tunnel, as the panel's tunnels view shows it.
#[derive(Debug, Clone)]
pub struct TunnelInfo {
    pub ip: String,
    pub since_unix: i64,
}

/// Per credentials being verified, the lock their verifies take turns on.
type Turns = Arc<Mutex<HashMap<CacheKey, Arc<tokio::sync::Mutex<()>>>>>;
/// Above this many entries, those nobody holds or waits for are pruned.
const TURNS_PRUNE_AT: usize = 64;

/// One connection's turn to ask the panel about its credentials; the next waiter's on drop.
pub struct VerifyTurn {
    turns: Turns,
    key: CacheKey,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for VerifyTurn {
    fn drop(&mut self) {
        let mut turns = lock(&self.turns);
        // Released under the map's lock: waiters take their reference under it too, so a
        // count of one (the map's) means nobody holds or waits for this entry.
        drop(self.guard.take());
        if turns.get(&self.key).is_some_and(|slot| Arc::strong_count(slot) == 1) {
            turns.remove(&self.key);
        }
    }
}

/// The Host whitelist's answer for one handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostVerdict {
    Allowed,
    Rejected,
    /// The panel's list has not arrived since this proxy started.
    Unknown,
}

/// A user on this node. Created at the first tunnel; removed when idle and fully reported.
pub struct UserEntry {
    pub name: String,
    pub limits: Mutex<UserLimits>,
    pub up: Mutex<TokenBucket>,
    pub down: Mutex<TokenBucket>,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    tunnels: Mutex<HashMap<u64, TunnelInfo>>,
    kick: Mutex<CancellationToken>,
    /// UDPGW flows and datagrams of this user's clients.
    pub udp: super::udpgw::counters::UdpCounters,
}

impl UserEntry {
    /// An entry no node lists: never reported, never kicked (root's UDPGW probe).
    pub fn unlisted(name: &str) -> Arc<Self> {
        Arc::new(Self::new(name, UserLimits { rate_kbps: 0, max_connections: 0, require_auth_header: false }))
    }

    fn new(name: &str, limits: UserLimits) -> Self {
        let now = Instant::now();
        UserEntry {
            name: name.to_owned(),
            limits: Mutex::new(limits),
            up: Mutex::new(TokenBucket::for_kib_per_sec(limits.rate_kbps, now)),
            down: Mutex::new(TokenBucket::for_kib_per_sec(limits.rate_kbps, now)),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            tunnels: Mutex::new(HashMap::new()),
            kick: Mutex::new(CancellationToken::new()),
            udp: Default::default(),
        }
    }

    fn set_limits(&self, limits: UserLimits) {
        let now = Instant::now();
        let rate = u64::from(limits.rate_kbps) * 1024;
        lock(&self.up).set_rate(rate, now);
        lock(&self.down).set_rate(rate, now);
        *lock(&self.limits) = limits;
    }

    pub fn live_tunnels(&self) -> usize {
        lock(&self.tunnels).len()
    }

    /// Cancelled when the panel kicks this user.
    pub fn kick_token(&self) -> CancellationToken {
        lock(&self.kick).clone()
    }

    fn kick(&self) {
        let mut token = lock(&self.kick);
        token.cancel();
        *token = CancellationToken::new();
    }
}

/// Why a tunnel may not start.
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyConnections {
    pub live: u32,
    pub max: u32,
}

/// Removes the tunnel from its user when dropped, however the connection ends.
pub struct TunnelGuard {
    pub user: Arc<UserEntry>,
    id: u64,
}

impl Drop for TunnelGuard {
    fn drop(&mut self) {
        lock(&self.user.tunnels).remove(&self.id);
    }
}

/// The node's shared state; the pure parts (verdict cache, batches) sit behind mutexes.
pub struct NodeState {
    pub node_id: String,
    /// Unix seconds this proxy started (the `/ipc` hello tells the panel, for its uptime).
    pub started_unix: i64,
    users: Mutex<HashMap<String, Arc<UserEntry>>>,
    /// `None` until the panel's first list arrives.
    hosts: RwLock<Option<Arc<HashSet<String>>>>,
    auth_cache: Mutex<VerdictCache>,
    /// Credentials being verified by the panel now (see [`NodeState::verify_turn`]).
    turns: Turns,
    batches: Mutex<Batches>,
    next_tunnel: AtomicU64,
    last_tick: Mutex<Instant>,
}

impl NodeState {
    pub fn new(node_id: String) -> Self {
        NodeState {
            node_id,
            started_unix: crate::domain::now_unix(),
            users: Mutex::new(HashMap::new()),
            hosts: RwLock::new(None),
            auth_cache: Mutex::new(VerdictCache::new()),
            turns: Turns::default(),
            batches: Mutex::new(Batches::default()),
            next_tunnel: AtomicU64::new(1),
            last_tick: Mutex::new(Instant::now()),
        }
    }

    /// What the Host whitelist says of `host`. An empty whitelist allows every host; a proxy
    /// that has not heard the panel's list yet (just started) knows nothing, so it admits
    /// nobody rather than hosts the seller never allowed. A list once heard stays in force
    /// while the panel is away.
    pub fn host_verdict(&self, host: Option<&str>) -> HostVerdict {
        let hosts = self.hosts.read().unwrap_or_else(|p| p.into_inner()).clone();
        match hosts {
            None => HostVerdict::Unknown,
            Some(hosts) if hosts.is_empty() || host.is_some_and(|h| hosts.contains(h)) => {
                HostVerdict::Allowed
            }
            Some(_) => HostVerdict::Rejected,
        }
    }

    pub fn set_hosts(&self, hosts: Vec<String>) {
        let set = hosts.into_iter().map(|h| h.trim().trim_end_matches('.').to_lowercase()).collect();
        *self.hosts.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(set));
    }

    /// A verdict for this user and password seen less than `AUTH_CACHE_TTL` ago.
    pub fn cached_verdict(&self, user: &str, password: &str, now: Instant) -> Option<(UserLimits, u32)> {
        lock(&self.auth_cache).get(user, password, now)
    }

    /// Waits until no other connection of this node is asking the panel about the same user
    /// and password, and holds the turn until dropped. An app opening several tunnels at once,
    /// or a reconnect storm after a restart, then asks the panel once and the rest find the
    /// verdict cached, instead of each counting as one more unanswered attempt against the
    /// address in the failed-login throttle (64 at once met it, 429).
    pub async fn verify_turn(&self, user: &str, password: &str) -> VerifyTurn {
        let key = lock(&self.auth_cache).key(user, password);
        let slot = {
            let mut turns = lock(&self.turns);
            // Entries of waiters that gave up (closed connections) are dropped here.
            if turns.len() > TURNS_PRUNE_AT {
                turns.retain(|_, slot| Arc::strong_count(slot) > 1);
            }
            turns.entry(key.clone()).or_default().clone()
        };
        let guard = slot.lock_owned().await;
        VerifyTurn { turns: self.turns.clone(), key, guard: Some(guard) }
    }

    pub fn remember_verdict(
        &self,
        user: &str,
        password: &str,
        limits: UserLimits,
        elsewhere: u32,
        now: Instant,
    ) {
        lock(&self.auth_cache).remember(user, password, limits, elsewhere, now);
    }

    fn forget_verdicts(&self, user: &str) {
        lock(&self.auth_cache).forget(user);
    }

    /// The user's entry, created with `limits` or updated to them.
    pub fn user(&self, name: &str, limits: UserLimits) -> Arc<UserEntry> {
        let mut users = lock(&self.users);
        if let Some(entry) = users.get(name) {
            if *lock(&entry.limits) != limits {
                entry.set_limits(limits);
            }
            return entry.clone();
        }
        let entry = Arc::new(UserEntry::new(name, limits));
        users.insert(name.to_owned(), entry.clone());
        entry
    }

    /// Registers a tunnel if the user is under `max_connections` (counting `elsewhere`,
    /// the user's tunnels on other nodes). Check and insert happen under one lock.
    pub fn open_tunnel(
        &self,
        user: &Arc<UserEntry>,
        ip: String,
        elsewhere: u32,
    ) -> Result<TunnelGuard, TooManyConnections> {
        let max = lock(&user.limits).max_connections;
        let mut tunnels = lock(&user.tunnels);
        let live = tunnels.len() as u32 + elsewhere;
        if max > 0 && live >= max {
            return Err(TooManyConnections { live, max });
        }
        let id = self.next_tunnel.fetch_add(1, Ordering::Relaxed);
        tunnels.insert(id, TunnelInfo { ip, since_unix: crate::domain::now_unix() });
        Ok(TunnelGuard { user: user.clone(), id })
    }

    /// The user's entry while the user has a live tunnel on this node (the UDPGW serves
    /// nobody else).
    pub fn live_user(&self, name: &str) -> Option<Arc<UserEntry>> {
        lock(&self.users).get(name).filter(|e| e.live_tunnels() > 0).cloned()
    }

    /// Carries out a command from the panel.
    pub fn apply(&self, command: PanelToProxy) {
        match command {
            PanelToProxy::Ack { seq } => lock(&self.batches).ack(seq),
            PanelToProxy::Kick { username } => self.kick(&username),
            PanelToProxy::Delete { username } => {
                self.kick(&username);
            }
            PanelToProxy::UpdateLimits { username, limits } => {
                self.forget_verdicts(&username);
                if let Some(entry) = lock(&self.users).get(&username) {
                    entry.set_limits(limits);
                }
            }
            PanelToProxy::ResetTraffic { .. } => {}
            PanelToProxy::ReloadHosts { hosts } => self.set_hosts(hosts),
            // The node agent's business (`proxy::account_spool`), not the data plane's.
            PanelToProxy::Account(_) | PanelToProxy::Reconcile { .. } => {}
        }
    }

    fn kick(&self, username: &str) {
        self.forget_verdicts(username);
        if let Some(entry) = lock(&self.users).get(username) {
            entry.kick();
        }
    }

    /// Once a second while connected to the panel: moves the byte counters into a new batch
    /// (each byte lands in exactly one batch), computes speeds, drops idle users, and returns
    /// the report to send now. While disconnected nobody calls it and the counters just grow.
    pub fn tick(&self, now: Instant) -> StatsReport {
        let secs = {
            let mut last = lock(&self.last_tick);
            let secs = now.duration_since(*last).as_secs_f64().max(0.001);
            *last = now;
            secs
        };
        let mut stats = BTreeMap::new();
        let mut bytes = BTreeMap::new();
        lock(&self.users).retain(|name, entry| {
            let up = entry.bytes_up.swap(0, Ordering::AcqRel);
            let down = entry.bytes_down.swap(0, Ordering::AcqRel);
            if up + down > 0 {
                bytes.insert(name.clone(), (up, down));
            }
            let tunnels = lock(&entry.tunnels);
            let (udp_flows, udp_datagrams_up, udp_datagrams_down) = entry.udp.take_report();
            if tunnels.is_empty()
                && up + down + u64::from(udp_flows) + udp_datagrams_up + udp_datagrams_down == 0
            {
                return Arc::strong_count(entry) > 1;
            }
            stats.insert(
                name.clone(),
                UserStats {
                    speed_up_kbps: up as f64 / 1024.0 / secs,
                    speed_down_kbps: down as f64 / 1024.0 / secs,
                    connections: tunnels.len() as u32,
                    ips: tunnels.values().map(|t| (t.ip.clone(), t.since_unix)).collect(),
                    udp_flows,
                    udp_datagrams_up,
                    udp_datagrams_down,
                },
            );
            true
        });
        StatsReport {
            node_id: self.node_id.clone(),
            users: stats,
            batches: lock(&self.batches).seal(bytes),
            ..Default::default()
        }
    }

    /// Bytes counted but not yet acknowledged by the panel (for tests and shutdown).
    pub fn unacknowledged_bytes(&self) -> u64 {
        let pending = lock(&self.batches).pending_bytes();
        let live: u64 = lock(&self.users)
            .values()
            .map(|e| e.bytes_up.load(Ordering::Acquire) + e.bytes_down.load(Ordering::Acquire))
            .sum();
        pending + live
    }
}

impl NodeState {
    /// True while some handed-out batch is not yet acknowledged.
    pub fn has_pending_batches(&self) -> bool {
        !lock(&self.batches).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whitelist_is_unknown_until_the_panel_sends_it_then_empty_allows_all() {
        let node = NodeState::new("n".into());
        assert_eq!(node.host_verdict(Some("a.example")), HostVerdict::Unknown);
        node.set_hosts(vec![]);
        assert_eq!(node.host_verdict(Some("a.example")), HostVerdict::Allowed);
        assert_eq!(node.host_verdict(None), HostVerdict::Allowed);
        node.set_hosts(vec![" A.Example. ".into()]);
        assert_eq!(node.host_verdict(Some("a.example")), HostVerdict::Allowed);
        assert_eq!(node.host_verdict(Some("b.example")), HostVerdict::Rejected);
        assert_eq!(node.host_verdict(None), HostVerdict::Rejected);
    }

    #[tokio::test]
    async fn verifies_of_the_same_credentials_take_turns_and_leave_nothing_behind() {
        let node = Arc::new(NodeState::new("n".into()));
        let first = node.verify_turn("alice", "pw").await;
        // Other credentials do not wait.
        drop(node.verify_turn("alice", "other").await);
        let waiter = tokio::spawn({
            let node = node.clone();
            async move { drop(node.verify_turn("alice", "pw").await) }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "the same credentials wait for the first verify");
        drop(first);
        waiter.await.unwrap();
        assert!(lock(&node.turns).is_empty(), "no entry outlives its turns");
    }
}
