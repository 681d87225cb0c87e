//! `StatsAggregator`: the latest report of every proxy node, merged into one live view, and
//! the traffic they counted, persisted once per tick. Batches from all nodes go to the store
//! in ONE transaction (through `UserRegistry`, the single writer) together with each node's
//! last applied sequence number; only then are the nodes acknowledged. A batch resent after
//! a reconnect has a sequence number already applied, so it counts once. What the stored
//! traffic changes (a user over quota) the registry publishes; this actor sends no kicks.

pub use super::node_messages::NodeGone;
use super::node_messages::ToNode;
use super::user_registry::{ApplyTraffic, UserRegistry};
use crate::wire::{PanelToProxy, StatsReport, TrafficBatch};
use actix::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

pub const TICK: Duration = Duration::from_secs(1);
/// A node that has not reported for this long no longer counts: reports come every second,
/// so with the 1 s tick a vanished node stops counting within 10 s of its last report.
pub const NODE_SILENCE_LIMIT: Duration = Duration::from_secs(8);

/// One user's live numbers summed over all nodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveUser {
    pub speed_up_kbps: f64,
    pub speed_down_kbps: f64,
    pub connections: u32,
    /// (client ip, node, connected since unix secs)
    pub ips: Vec<(String, String, i64)>,
    /// Live UDPGW flows, and datagrams each way in the nodes' latest report intervals.
    pub udp_flows: u32,
    pub udp_datagrams_up: u64,
    pub udp_datagrams_down: u64,
}

/// One node session's live numbers, from its latest report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveNode {
    pub connections: u32,
    /// Users with at least one tunnel on it.
    pub users: u32,
    pub speed_up_kbps: f64,
    pub speed_down_kbps: f64,
    /// What the node said of its own host in its latest report (older proxies: none).
    pub health: Option<crate::wire::NodeHealth>,
}

/// The whole system right now: what the dashboard and the fuse look at.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveView {
    pub users: BTreeMap<String, LiveUser>,
    pub nodes: Vec<String>,
    /// By node session id.
    pub per_node: BTreeMap<String, LiveNode>,
    pub speed_up_kbps: f64,
    pub speed_down_kbps: f64,
    pub connections: u32,
    /// The nodes' pre-auth guards, summed.
    pub guard: crate::wire::GuardStats,
    pub udp_flows: u32,
}

/// Merges the latest report of each node. Pure.
pub fn merge<'a>(reports: impl Iterator<Item = &'a StatsReport>) -> LiveView {
    let mut view = LiveView::default();
    for report in reports {
        view.nodes.push(report.node_id.clone());
        let g = &report.guard;
        view.guard.pending += g.pending;
        view.guard.refused_per_ip += g.refused_per_ip;
        view.guard.shed += g.shed;
        view.guard.throttled += g.throttled;
        let node = view.per_node.entry(report.node_id.clone()).or_default();
        node.health = report.health.clone();
        for s in report.users.values().filter(|s| s.connections > 0) {
            node.connections += s.connections;
            node.users += 1;
        }
        for s in report.users.values() {
            node.speed_up_kbps += s.speed_up_kbps;
            node.speed_down_kbps += s.speed_down_kbps;
        }
        for (name, s) in &report.users {
            let u = view.users.entry(name.clone()).or_default();
            u.speed_up_kbps += s.speed_up_kbps;
            u.speed_down_kbps += s.speed_down_kbps;
            u.connections += s.connections;
            u.ips.extend(s.ips.iter().map(|(ip, since)| (ip.clone(), report.node_id.clone(), *since)));
            u.udp_flows += s.udp_flows;
            u.udp_datagrams_up += s.udp_datagrams_up;
            u.udp_datagrams_down += s.udp_datagrams_down;
            view.udp_flows += s.udp_flows;
            view.speed_up_kbps += s.speed_up_kbps;
            view.speed_down_kbps += s.speed_down_kbps;
            view.connections += s.connections;
        }
    }
    view.nodes.sort();
    view
}

/// A node's report, with the session to acknowledge.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ApplyStatsReport {
    pub report: StatsReport,
    pub reply_to: Recipient<ToNode>,
}

#[derive(Message)]
#[rtype(result = "LiveView")]
pub struct GetLiveView;

/// The user's live tunnels on every node except `node_id`.
#[derive(Message)]
#[rtype(result = "u32")]
pub struct GetConnectionsElsewhere {
    pub username: String,
    pub node_id: String,
}

/// Sent to subscribers after every tick.
#[derive(Message, Clone)]
#[rtype(result = "()")]
pub struct LiveTick(pub std::sync::Arc<LiveView>);

#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe(pub Recipient<LiveTick>);

struct NodeState {
    report: StatsReport,
    last_seen: Instant,
    session: Recipient<ToNode>,
}

pub struct StatsAggregator {
    registry: Addr<UserRegistry>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    nodes: HashMap<String, NodeState>,
    pending: Vec<(String, TrafficBatch)>,
    subscribers: Vec<Recipient<LiveTick>>,
    flushing: bool,
    /// Reports received since start; `metrics.stats_reports_settled` trails it.
    received: u64,
}

impl StatsAggregator {
    pub fn new(registry: Addr<UserRegistry>, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Self {
        StatsAggregator {
            registry,
            metrics,
            nodes: HashMap::new(),
            pending: Vec::new(),
            subscribers: Vec::new(),
            flushing: false,
            received: 0,
        }
    }

    /// Drops nodes gone silent, publishes the live view, persists the pending batches.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        self.nodes.retain(|id, n| {
            let alive = now.duration_since(n.last_seen) < NODE_SILENCE_LIMIT;
            if !alive {
                tracing::warn!(event = "NODE_SILENT", node = %id);
            }
            alive
        });
        let view = std::sync::Arc::new(merge(self.nodes.values().map(|n| &n.report)));
        for s in &self.subscribers {
            s.do_send(LiveTick(view.clone()));
        }
        self.reassert_not_active(&view);
        self.flush(ctx);
    }

    /// Self-healing enforcement: tunnels of users who may not connect (a kick lost while no
    /// node was connected, a panel restart) end on the next tick. The registry publishes
    /// those users as stored, and the planner kicks them like any other change.
    fn reassert_not_active(&self, view: &LiveView) {
        if !view.users.is_empty() {
            let usernames = view.users.keys().cloned().collect();
            self.registry.do_send(super::user_registry::ReassertNotActive { usernames });
        }
    }

    fn flush(&mut self, ctx: &mut Context<Self>) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.flushing {
            return;
        }
        if self.pending.is_empty() {
            self.metrics.stats_reports_settled.fetch_max(self.received, Relaxed);
            return;
        }
        self.flushing = true;
        let upto = self.received;
        let batches = std::mem::take(&mut self.pending);
        let count = batches.len() as u64;
        self.registry
            .send(ApplyTraffic { batches: batches.clone() })
            .into_actor(self)
            .map(move |result, act, _| {
                act.flushing = false;
                match result {
                    Ok(Ok(applied)) => {
                        act.acknowledge(applied.acks);
                        act.metrics.stats_reports_settled.fetch_max(upto, Relaxed);
                        act.metrics.bytes_up.fetch_add(applied.bytes_up, Relaxed);
                        act.metrics.bytes_down.fetch_add(applied.bytes_down, Relaxed);
                        act.metrics.traffic_writes.fetch_add(1, Relaxed);
                        act.metrics.traffic_batches.fetch_add(count, Relaxed);
                        for username in applied.exceeded {
                            tracing::info!(event = "USER_EXCEEDED", user = %username);
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::error!(event = "TRAFFIC_PERSIST_FAILED", error = %e);
                        act.requeue(batches);
                    }
                    Err(e) => {
                        tracing::error!(event = "TRAFFIC_PERSIST_FAILED", error = %e);
                        act.requeue(batches);
                    }
                }
            })
            .spawn(ctx);
    }

    /// Failed batches go back in front; the nodes also keep them until acknowledged.
    fn requeue(&mut self, mut batches: Vec<(String, TrafficBatch)>) {
        batches.append(&mut self.pending);
        self.pending = batches;
    }

    fn acknowledge(&self, acks: Vec<(String, u64)>) {
        for (node_id, seq) in acks {
            if let Some(n) = self.nodes.get(&node_id) {
                n.session.do_send(ToNode(PanelToProxy::Ack { seq }));
            }
        }
    }
}

impl Actor for StatsAggregator {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(TICK, |act, ctx| act.tick(ctx));
    }
}

/// Keeps the report as the node's latest and queues its new batches.
impl Handler<ApplyStatsReport> for StatsAggregator {
    type Result = ();
    fn handle(&mut self, msg: ApplyStatsReport, _: &mut Context<Self>) {
        let node_id = msg.report.node_id.clone();
        self.received += 1;
        for s in msg.report.users.values() {
            self.metrics.udp_datagrams_up.fetch_add(s.udp_datagrams_up, std::sync::atomic::Ordering::Relaxed);
            self.metrics
                .udp_datagrams_down
                .fetch_add(s.udp_datagrams_down, std::sync::atomic::Ordering::Relaxed);
        }
        let queued_max =
            self.pending.iter().filter(|(n, _)| *n == node_id).map(|(_, b)| b.seq).max().unwrap_or(0);
        for batch in &msg.report.batches {
            if batch.seq > queued_max {
                self.pending.push((node_id.clone(), batch.clone()));
            }
        }
        let state = NodeState { report: msg.report, last_seen: Instant::now(), session: msg.reply_to };
        self.nodes.insert(node_id, state);
    }
}

impl Handler<NodeGone> for StatsAggregator {
    type Result = ();
    fn handle(&mut self, msg: NodeGone, _: &mut Context<Self>) {
        self.nodes.remove(&msg.node_id);
    }
}

impl Handler<GetLiveView> for StatsAggregator {
    type Result = MessageResult<GetLiveView>;
    fn handle(&mut self, _: GetLiveView, _: &mut Context<Self>) -> Self::Result {
        MessageResult(merge(self.nodes.values().map(|n| &n.report)))
    }
}

impl Handler<GetConnectionsElsewhere> for StatsAggregator {
    type Result = u32;
    fn handle(&mut self, msg: GetConnectionsElsewhere, _: &mut Context<Self>) -> u32 {
        self.nodes
            .iter()
            .filter(|(id, _)| **id != msg.node_id)
            .filter_map(|(_, n)| n.report.users.get(&msg.username))
            .map(|u| u.connections)
            .sum()
    }
}

impl Handler<Subscribe> for StatsAggregator {
    type Result = ();
    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) {
        self.subscribers.push(msg.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::UserStats;

    fn report(node: &str, user: &str, up: f64, conns: u32) -> StatsReport {
        let stats = UserStats {
            speed_up_kbps: up,
            speed_down_kbps: 1.0,
            connections: conns,
            ips: vec![("198.51.100.1".into(), 7)],
            ..Default::default()
        };
        StatsReport { node_id: node.into(), users: [(user.to_owned(), stats)].into(), ..Default::default() }
    }

    #[test]
    fn udpgw_flows_and_datagrams_add_up_over_nodes() {
        let mut reports = [report("a", "u1", 1.0, 1), report("b", "u1", 1.0, 1)];
        for (i, r) in reports.iter_mut().enumerate() {
            let s = r.users.get_mut("u1").unwrap();
            (s.udp_flows, s.udp_datagrams_up, s.udp_datagrams_down) = (2 + i as u32, 10, 20);
        }
        let view = merge(reports.iter());
        let u1 = &view.users["u1"];
        assert_eq!(
            (u1.udp_flows, u1.udp_datagrams_up, u1.udp_datagrams_down, view.udp_flows),
            (5, 20, 40, 5)
        );
        // A report from a proxy without a UDPGW still parses.
        let old: crate::wire::UserStats =
            serde_json::from_str(r#"{"speed_up_kbps":1,"speed_down_kbps":2,"connections":3}"#).unwrap();
        assert_eq!(old.udp_flows, 0);
    }

    #[test]
    fn reports_from_several_nodes_merge_into_one_view() {
        let reports = [report("a", "u1", 10.0, 1), report("b", "u1", 5.0, 2), report("b", "u2", 1.0, 1)];
        let view = merge(reports.iter());
        assert_eq!(view.nodes, ["a", "b", "b"]);
        let u1 = &view.users["u1"];
        assert_eq!((u1.speed_up_kbps, u1.speed_down_kbps, u1.connections), (15.0, 2.0, 3));
        assert_eq!(u1.ips.len(), 2);
        assert_eq!((view.connections, view.speed_up_kbps), (4, 16.0));
        let b = &view.per_node["b"];
        assert_eq!((b.connections, b.users, b.speed_up_kbps, b.speed_down_kbps), (3, 2, 6.0, 2.0));
        assert_eq!((view.per_node["a"].connections, view.per_node["a"].users), (1, 1));
    }
}
