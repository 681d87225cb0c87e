//! `NodeHub`: the proxy nodes connected on `/ipc` right now, and the fan-out of the panel's
//! commands to them (kick, update_limits, reset_traffic, delete, reload_hosts). The commands
//! about users and hosts come from the `ChangeDispatcher`; a node that connects later gets
//! the last host list. It also remembers, in memory, what each session's hello said and
//! when it came and went, for the Nodes view (one entry per node name's latest run).
//! `Account` messages go to enrolled nodes only: this host's accounts are the panel's own
//! helper's.

pub use super::node_messages::{NodeGone, NodeSeen, NodeSession, ToNode};
use super::stats_aggregator::StatsAggregator;
use crate::domain::now_unix;
use crate::wire::{PanelToProxy, node_name_of};
use actix::prelude::*;
use std::collections::HashMap;

/// At most this many sessions are remembered; beyond it the longest gone is forgotten (only
/// callers with a secret open `/ipc`, but a misconfigured one could invent names).
pub const MAX_REMEMBERED: usize = 1024;

/// A session registered for `node_id`. `session` tells an old session of the same node
/// (still closing) from its replacement.
#[derive(Message)]
#[rtype(result = "()")]
pub struct NodeConnected {
    pub node_id: String,
    pub session: u64,
    pub addr: Recipient<ToNode>,
    pub info: NodeSession,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct NodeDisconnected {
    pub node_id: String,
    pub session: u64,
}

/// Sends a command to every connected node; answers how many got it.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct Broadcast(pub PanelToProxy);

#[derive(Message)]
#[rtype(result = "Vec<String>")]
pub struct ListNodes;

/// Every node session seen since the panel started (the latest runs of each node name),
/// by session id.
#[derive(Message)]
#[rtype(result = "Vec<(String, NodeSeen)>")]
pub struct ListNodeSessions;

pub struct NodeHub {
    /// Session, address, enrolled.
    nodes: HashMap<String, (u64, Recipient<ToNode>, bool)>,
    aggregator: Addr<StatsAggregator>,
    hosts: Vec<String>,
    seen: HashMap<String, NodeSeen>,
}

impl NodeHub {
    pub fn new(aggregator: Addr<StatsAggregator>, hosts: Vec<String>) -> Self {
        NodeHub { nodes: HashMap::new(), aggregator, hosts, seen: HashMap::new() }
    }
}

impl Actor for NodeHub {
    type Context = Context<Self>;
}

impl Handler<NodeConnected> for NodeHub {
    type Result = ();
    fn handle(&mut self, msg: NodeConnected, _: &mut Context<Self>) {
        tracing::info!(event = "NODE_CONNECTED", node = %msg.node_id);
        msg.addr.do_send(ToNode(PanelToProxy::ReloadHosts { hosts: self.hosts.clone() }));
        // An earlier run of the same node that is gone is replaced by this one.
        let name = node_name_of(&msg.node_id);
        self.seen.retain(|id, s| s.connected || node_name_of(id) != name);
        if self.seen.len() >= MAX_REMEMBERED {
            let oldest = self.seen.iter().filter(|(_, s)| !s.connected).min_by_key(|(_, s)| s.last_seen);
            if let Some(id) = oldest.map(|(id, _)| id.clone()) {
                self.seen.remove(&id);
            }
        }
        let enrolled = msg.info.enrolled;
        let seen = NodeSeen { session: msg.info, connected: true, connected_since: now_unix(), last_seen: 0 };
        self.seen.insert(msg.node_id.clone(), seen);
        self.nodes.insert(msg.node_id, (msg.session, msg.addr, enrolled));
    }
}

/// Forgets the node (only if it is still that session) and its live numbers.
impl Handler<NodeDisconnected> for NodeHub {
    type Result = ();
    fn handle(&mut self, msg: NodeDisconnected, _: &mut Context<Self>) {
        if self.nodes.get(&msg.node_id).is_some_and(|(s, _, _)| *s == msg.session) {
            self.nodes.remove(&msg.node_id);
            if let Some(seen) = self.seen.get_mut(&msg.node_id) {
                (seen.connected, seen.last_seen) = (false, now_unix());
            }
            tracing::info!(event = "NODE_DISCONNECTED", node = %msg.node_id);
            self.aggregator.do_send(NodeGone { node_id: msg.node_id });
        }
    }
}

impl Handler<Broadcast> for NodeHub {
    type Result = usize;
    fn handle(&mut self, msg: Broadcast, _: &mut Context<Self>) -> usize {
        if let PanelToProxy::ReloadHosts { hosts } = &msg.0 {
            self.hosts = hosts.clone();
        }
        let accounts = matches!(msg.0, PanelToProxy::Account(_) | PanelToProxy::Reconcile { .. });
        for (_, addr, enrolled) in self.nodes.values() {
            if *enrolled || !accounts {
                addr.do_send(ToNode(msg.0.clone()));
            }
        }
        if self.nodes.is_empty() && !matches!(msg.0, PanelToProxy::Ack { .. }) {
            tracing::debug!(event = "NO_NODES", command = ?msg.0);
        }
        self.nodes.len()
    }
}

impl Handler<ListNodes> for NodeHub {
    type Result = Vec<String>;
    fn handle(&mut self, _: ListNodes, _: &mut Context<Self>) -> Vec<String> {
        let mut ids: Vec<_> = self.nodes.keys().cloned().collect();
        ids.sort();
        ids
    }
}

impl Handler<ListNodeSessions> for NodeHub {
    type Result = MessageResult<ListNodeSessions>;
    fn handle(&mut self, _: ListNodeSessions, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.seen.iter().map(|(id, s)| (id.clone(), s.clone())).collect())
    }
}
