//! Messages between the node side of the panel (`NodeHub`, the `/ipc` sessions) and the
//! `StatsAggregator`. A leaf, so neither actor's file needs the other's.

use crate::wire::PanelToProxy;
use actix::prelude::*;
use serde::Serialize;

/// A command for one node's IPC session.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct ToNode(pub PanelToProxy);

/// A node's session ended: its live view goes, its traffic stays counted.
#[derive(Message)]
#[rtype(result = "()")]
pub struct NodeGone {
    pub node_id: String,
}

/// What a node's `/ipc` upgrade said about it, and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeSession {
    /// The peer address of its `/ipc` connection.
    pub address: String,
    /// Its hello's protocol version.
    pub protocol: u32,
    /// Its release, if it says (older proxies do not).
    pub release: Option<String>,
    /// Unix seconds its process started, if it says.
    pub started_at: Option<i64>,
    /// An enrolled node (its own secret), not this host's loopback proxy: it gets the
    /// account messages.
    #[serde(skip)]
    pub enrolled: bool,
}

/// A node session as the `NodeHub` last saw it: connected now, or when it went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeSeen {
    pub session: NodeSession,
    pub connected: bool,
    /// Unix seconds of its (latest) connect.
    pub connected_since: i64,
    /// Unix seconds it disconnected; 0 while connected.
    pub last_seen: i64,
}
