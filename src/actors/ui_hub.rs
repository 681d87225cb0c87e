//! `UiHub`: the admin browsers' live sockets (`/ws/ui` sessions) and what is pushed to them.
//! Every `LiveTick` of the `StatsAggregator` (already merged over all proxy nodes) becomes
//! ONE `live_update` per second, serialized once for all sockets; `users_changed` and
//! `hosts_changed` follow every committed change (the admin's and the panel's own: expiry,
//! quota, fuse), as the `ChangeDispatcher` delivers them; `system_update` comes every few
//! seconds while anyone watches. Logout and password change close the sockets of the
//! sessions they end.

use super::stats_aggregator::{LiveTick, LiveView};
use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const SYSTEM_EVERY: Duration = Duration::from_secs(5);
/// How often the cheap watch (which ports listen, whether the store writes) is read: a
/// change pushes the whole `system_update` at once, so that "sshd stopped listening" reaches
/// the dashboard within about a second instead of at the next 5 s tick.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);
/// At most one notice of a kind per interval (the last one is never lost): a batch action on
/// a thousand users makes a few pushes, not a thousand page reloads.
pub const NOTICE_EVERY: Duration = Duration::from_millis(250);

/// How long to hold a notice whose kind was last pushed at `last`; `None`: push now. Pure.
pub fn notice_delay(last: Option<Instant>, now: Instant) -> Option<Duration> {
    let since = now.saturating_duration_since(last?);
    (since < NOTICE_EVERY).then(|| NOTICE_EVERY - since)
}

/// What a session is told to do.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub enum UiPush {
    Text(Arc<str>),
    Close,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    pub id: u64,
    /// The store key of the session behind the socket (`None` for a bearer-token client).
    pub key: Option<String>,
    pub addr: Recipient<UiPush>,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiEvent {
    UsersChanged,
    HostsChanged,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Notify(pub UiEvent);

/// Closes the sockets of one session, or of all when `key` is `None`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseSessions {
    pub key: Option<String>,
}

/// Produces the `system_update` payload (CPU, memory, services, ...); given by the web layer.
pub type Gather = Arc<dyn Fn() -> LocalBoxFuture<'static, serde_json::Value>>;

/// A cheap fingerprint of what the dashboard's alerts depend on; given by the web layer.
pub type Watch = Arc<dyn Fn() -> String>;

/// The `live_update` message for one tick. Pure.
pub fn live_json(view: &LiveView) -> String {
    let users: serde_json::Map<String, serde_json::Value> = view
        .users
        .iter()
        .map(|(name, u)| {
            let v = serde_json::json!({
                "up": u.speed_up_kbps, "down": u.speed_down_kbps, "conns": u.connections, "udp_flows": u.udp_flows,
            });
            (name.clone(), v)
        })
        .collect();
    let ips: Vec<_> = view
        .users
        .iter()
        .flat_map(|(name, u)| {
            u.ips.iter().map(move |(ip, node, since)| {
                serde_json::json!({ "ip": ip, "user": name, "node": node, "since": since })
            })
        })
        .collect();
    serde_json::json!({
        "type": "live_update",
        "at": crate::domain::now_unix(),
        "up": view.speed_up_kbps,
        "down": view.speed_down_kbps,
        "connections": view.connections,
        "udp_flows": view.udp_flows,
        "nodes": view.nodes,
        "node_stats": view.per_node,
        "users": users,
        "ips": ips,
    })
    .to_string()
}

pub struct UiHub {
    sessions: HashMap<u64, (Option<String>, Recipient<UiPush>)>,
    gather: Gather,
    watch: Watch,
    /// The watch's last value: a change triggers a `system_update` at once.
    watched: String,
    /// When each kind of notice was last pushed, and the kinds held for a later push.
    noticed: HashMap<UiEvent, Instant>,
    held: HashSet<UiEvent>,
}

impl UiHub {
    pub fn new(gather: Gather, watch: Watch) -> Self {
        let watched = watch();
        UiHub {
            sessions: HashMap::new(),
            gather,
            watch,
            watched,
            noticed: HashMap::new(),
            held: HashSet::new(),
        }
    }

    /// Gathers the system status and pushes it to every socket.
    fn push_system(&self, ctx: &mut Context<Self>) {
        (self.gather)()
            .into_actor(self)
            .map(|payload, act, _| {
                act.push(serde_json::json!({ "type": "system_update", "payload": payload }).to_string())
            })
            .spawn(ctx);
    }

    fn notice(&mut self, event: UiEvent) {
        self.noticed.insert(event, Instant::now());
        let kind = match event {
            UiEvent::UsersChanged => "users_changed",
            UiEvent::HostsChanged => "hosts_changed",
        };
        self.push(serde_json::json!({ "type": kind }).to_string());
    }

    fn push(&self, text: String) {
        let text: Arc<str> = text.into();
        for (_, addr) in self.sessions.values() {
            addr.do_send(UiPush::Text(text.clone()));
        }
    }
}

impl Actor for UiHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(SYSTEM_EVERY, |act, ctx| {
            if !act.sessions.is_empty() {
                act.push_system(ctx);
            }
        });
        // Read only while someone watches: `/proc/net/tcp` grows with every connection on
        // the host, and a panel nobody looks at has no reason to parse it twice a second.
        ctx.run_interval(WATCH_EVERY, |act, ctx| {
            if act.sessions.is_empty() {
                return;
            }
            let now = (act.watch)();
            if now != act.watched {
                act.watched = now;
                act.push_system(ctx);
            }
        });
    }
}

impl Handler<Join> for UiHub {
    type Result = ();
    fn handle(&mut self, msg: Join, _: &mut Context<Self>) {
        self.sessions.insert(msg.id, (msg.key, msg.addr));
    }
}

impl Handler<Leave> for UiHub {
    type Result = ();
    fn handle(&mut self, msg: Leave, _: &mut Context<Self>) {
        self.sessions.remove(&msg.id);
    }
}

/// One message per tick, however many nodes reported.
impl Handler<LiveTick> for UiHub {
    type Result = ();
    fn handle(&mut self, LiveTick(view): LiveTick, _: &mut Context<Self>) {
        if !self.sessions.is_empty() {
            self.push(live_json(&view));
        }
    }
}

impl Handler<Notify> for UiHub {
    type Result = ();
    fn handle(&mut self, Notify(event): Notify, ctx: &mut Context<Self>) {
        if self.held.contains(&event) {
            return;
        }
        match notice_delay(self.noticed.get(&event).copied(), Instant::now()) {
            None => self.notice(event),
            Some(delay) => {
                self.held.insert(event);
                ctx.run_later(delay, move |act, _| {
                    act.held.remove(&event);
                    act.notice(event);
                });
            }
        }
    }
}

impl Handler<CloseSessions> for UiHub {
    type Result = ();
    fn handle(&mut self, msg: CloseSessions, _: &mut Context<Self>) {
        self.sessions.retain(|_, (key, addr)| {
            let doomed = msg.key.is_none() || *key == msg.key;
            if doomed {
                addr.do_send(UiPush::Close);
            }
            !doomed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_goes_out_at_once_unless_one_of_its_kind_just_did() {
        let now = Instant::now();
        assert_eq!(notice_delay(None, now), None);
        assert_eq!(notice_delay(Some(now), now), Some(NOTICE_EVERY));
        let later = now + Duration::from_millis(100);
        assert_eq!(notice_delay(Some(now), later), Some(NOTICE_EVERY - Duration::from_millis(100)));
        assert_eq!(notice_delay(Some(now), now + NOTICE_EVERY), None);
    }
}
