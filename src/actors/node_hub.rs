//! `NodeHub`: the proxy nodes connected on `/ipc` right now, and the fan-out of the panel's
//! commands to them (kick, update_limits, reset_traffic, delete, reload_hosts). The commands
//! about users and hosts come from the `ChangeDispatcher`; a node that connects later gets
//! the last host list.

pub use super::node_messages::{NodeGone, ToNode};
use super::stats_aggregator::StatsAggregator;
use crate::wire::PanelToProxy;
use actix::prelude::*;
use std::collections::HashMap;

/// A session registered for `node_id`. `session` tells an old session of the same node
/// (still closing) from its replacement.
#[derive(Message)]
#[rtype(result = "()")]
pub struct NodeConnected {
    pub node_id: String,
    pub session: u64,
    pub addr: Recipient<ToNode>,
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

pub struct NodeHub {
    nodes: HashMap<String, (u64, Recipient<ToNode>)>,
    aggregator: Addr<StatsAggregator>,
    hosts: Vec<String>,
}

impl NodeHub {
    pub fn new(aggregator: Addr<StatsAggregator>, hosts: Vec<String>) -> Self {
        NodeHub { nodes: HashMap::new(), aggregator, hosts }
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
        self.nodes.insert(msg.node_id, (msg.session, msg.addr));
    }
}

/// Forgets the node (only if it is still that session) and its live numbers.
impl Handler<NodeDisconnected> for NodeHub {
    type Result = ();
    fn handle(&mut self, msg: NodeDisconnected, _: &mut Context<Self>) {
        if self.nodes.get(&msg.node_id).is_some_and(|(s, _)| *s == msg.session) {
            self.nodes.remove(&msg.node_id);
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
        for (_, addr) in self.nodes.values() {
            addr.do_send(ToNode(msg.0.clone()));
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
