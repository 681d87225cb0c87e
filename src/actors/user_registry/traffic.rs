//! Traffic: the usage the proxies counted, applied exactly once per batch, and the admin's
//! reset. Usage alone is not published (it moves every second); a status it moves is.

use super::registry::{Origin, RegistryError, UserRegistry, UserResult, changed, settle};
use crate::actors::change::Cause;
use crate::domain::{Username, day_of, now_unix};
use crate::store::tables::{NODE_SEQ, NODE_TRAFFIC, TRAFFIC, USERS};
use crate::store::traffic;
use crate::store::users as records;
use actix::prelude::*;
use redb::ReadableTable;
use std::collections::BTreeMap;

/// Traffic the proxies counted: `(node id, batch)` in arrival order.
#[derive(Message)]
#[rtype(result = "Result<TrafficApplied, RegistryError>")]
pub struct ApplyTraffic {
    pub batches: Vec<(String, crate::wire::TrafficBatch)>,
}

#[derive(Debug, Default)]
pub struct TrafficApplied {
    /// Per node, the highest sequence number now stored (applied now or before).
    pub acks: Vec<(String, u64)>,
    /// Users this traffic pushed over their quota.
    pub exceeded: Vec<String>,
    /// Bytes applied now (not counting batches applied before).
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// Zeroes usage and forgets the history.
#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct ResetTraffic {
    pub username: Username,
    pub by: Origin,
}

/// Adds every batch not applied before to the users' totals and today's history, to its
/// node's day (`node_traffic_daily`, under the node's name), and moves each node's sequence
/// number, all in one transaction. Bytes of deleted users are dropped from the users' side
/// only: the node did carry them.
impl Handler<ApplyTraffic> for UserRegistry {
    type Result = Result<TrafficApplied, RegistryError>;
    fn handle(&mut self, msg: ApplyTraffic, _: &mut Self::Context) -> Self::Result {
        let now = now_unix();
        let mut moved = Vec::new();
        let applied = self.store.write(|txn| {
            let mut users_t = txn.open_table(USERS)?;
            let mut traffic_t = txn.open_table(TRAFFIC)?;
            let mut seq_t = txn.open_table(NODE_SEQ)?;
            let mut node_t = txn.open_table(NODE_TRAFFIC)?;
            let mut out = TrafficApplied::default();
            let mut acks: BTreeMap<String, u64> = BTreeMap::new();
            for (node, batch) in &msg.batches {
                let last = seq_t.get(node.as_str())?.map(|v| v.value()).unwrap_or(0);
                if batch.seq > last {
                    let (up, down) = batch.bytes.values().fold((0u64, 0u64), |(u, d), (bu, bd)| {
                        (u.saturating_add(*bu), d.saturating_add(*bd))
                    });
                    out.bytes_up = out.bytes_up.saturating_add(up);
                    out.bytes_down = out.bytes_down.saturating_add(down);
                    if up > 0 || down > 0 {
                        let name = crate::wire::node_name_of(node);
                        traffic::add(&mut node_t, name, day_of(now), up, down)?;
                    }
                    for (name, (up, down)) in &batch.bytes {
                        let Some(before) = records::get(&users_t, name)? else {
                            continue;
                        };
                        let mut user = before.clone();
                        user.used_up_bytes = user.used_up_bytes.saturating_add(*up);
                        user.used_down_bytes = user.used_down_bytes.saturating_add(*down);
                        settle(&mut user, now);
                        if before.status != user.status {
                            if user.status == crate::domain::UserStatus::Exceeded {
                                out.exceeded.push(name.clone());
                            }
                            moved.push((before, user.clone()));
                        }
                        records::put(&mut users_t, &user)?;
                        traffic::add(&mut traffic_t, name, day_of(now), *up, *down)?;
                    }
                    seq_t.insert(node.as_str(), batch.seq)?;
                }
                let ack = acks.entry(node.clone()).or_default();
                *ack = (*ack).max(batch.seq.max(last));
            }
            out.acks = acks.into_iter().collect();
            Ok::<_, RegistryError>(out)
        })?;
        self.publish(
            moved.into_iter().map(|(b, a)| changed(Some(b), Some(a), Cause::Traffic, None)).collect(),
        );
        Ok(applied)
    }
}

impl Handler<ResetTraffic> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: ResetTraffic, _: &mut Self::Context) -> UserResult {
        self.change(&msg.username, &msg.by, "USER_RESET_TRAFFIC", Cause::TrafficReset, None, |u, txn| {
            let detail = format!("up={} down={}", u.used_up_bytes, u.used_down_bytes);
            u.used_up_bytes = 0;
            u.used_down_bytes = 0;
            u.period_base_bytes = 0;
            traffic::remove_user(&mut txn.open_table(TRAFFIC)?, &u.username)?;
            Ok(detail)
        })
    }
}
