//! Messages between the node side of the panel (`NodeHub`, the `/ipc` sessions) and the
//! `StatsAggregator`. A leaf, so neither actor's file needs the other's.

use crate::wire::PanelToProxy;
use actix::prelude::*;

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
