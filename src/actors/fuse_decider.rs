//! `FuseDecider`: on every live tick, whether or not an admin is watching, fuses users whose
//! summed speed (up + down, all nodes) reaches the global threshold. The decision is the pure
//! `decide`; the actor asks the registry once per user (no double fuse while one is in
//! flight). What a fuse means (lock, kill, kick everywhere) is the planner's business.

use super::stats_aggregator::{LiveTick, LiveView};
use super::user_registry::{FuseUser, UserRegistry};
use crate::domain::Username;
use crate::metrics::Metrics;
use actix::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Users to fuse now: at or above `threshold_kbps` (0 = fuse off), not already in flight.
pub fn decide(view: &LiveView, threshold_kbps: u32, in_flight: &HashSet<String>) -> Vec<(String, f64)> {
    if threshold_kbps == 0 {
        return Vec::new();
    }
    view.users
        .iter()
        .map(|(name, u)| (name, u.speed_up_kbps + u.speed_down_kbps))
        .filter(|(name, speed)| *speed >= f64::from(threshold_kbps) && !in_flight.contains(*name))
        .map(|(name, speed)| (name.clone(), speed))
        .collect()
}

/// The admin changed the global threshold.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetFuseThreshold(pub u32);

pub struct FuseDecider {
    registry: Addr<UserRegistry>,
    threshold_kbps: u32,
    in_flight: HashSet<String>,
    metrics: Arc<Metrics>,
}

impl FuseDecider {
    pub fn new(registry: Addr<UserRegistry>, threshold_kbps: u32, metrics: Arc<Metrics>) -> Self {
        FuseDecider { registry, threshold_kbps, in_flight: HashSet::new(), metrics }
    }
}

impl Actor for FuseDecider {
    type Context = Context<Self>;
}

impl Handler<SetFuseThreshold> for FuseDecider {
    type Result = ();
    fn handle(&mut self, msg: SetFuseThreshold, _: &mut Context<Self>) {
        self.threshold_kbps = msg.0;
    }
}

/// Fuses each user `decide` names; the registry's change event does the rest.
impl Handler<LiveTick> for FuseDecider {
    type Result = ();
    fn handle(&mut self, msg: LiveTick, ctx: &mut Context<Self>) {
        for (username, speed_kbps) in decide(&msg.0, self.threshold_kbps, &self.in_flight) {
            // A name no account can have has no record to fuse.
            let Ok(name) = Username::parse(&username) else { continue };
            self.in_flight.insert(username.clone());
            let threshold_kbps = self.threshold_kbps;
            let fuse = FuseUser { username: name, speed_kbps, threshold_kbps };
            self.registry
                .send(fuse)
                .into_actor(self)
                .map(move |result, act, _| {
                    act.in_flight.remove(&username);
                    match result {
                        Ok(Ok(Some(_))) => {
                            tracing::warn!(event = "USER_FUSED", user = %username, speed_kbps, threshold_kbps);
                            act.metrics.fuse_trips.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => tracing::error!(event = "FUSE_FAILED", user = %username, error = %e),
                        Err(e) => tracing::error!(event = "FUSE_FAILED", user = %username, error = %e),
                    }
                })
                .spawn(ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actors::stats_aggregator::LiveUser;

    fn view(speeds: &[(&str, f64, f64)]) -> LiveView {
        let users = speeds
            .iter()
            .map(|(n, up, down)| {
                (n.to_string(), LiveUser { speed_up_kbps: *up, speed_down_kbps: *down, ..Default::default() })
            })
            .collect();
        LiveView { users, ..Default::default() }
    }

    #[test]
    fn users_at_or_above_the_threshold_are_fused_and_others_are_not() {
        let v = view(&[("fast", 600.0, 424.0), ("slow", 10.0, 10.0), ("edge", 1000.0, 0.0)]);
        let mut fused: Vec<_> = decide(&v, 1000, &HashSet::new()).into_iter().map(|(n, _)| n).collect();
        fused.sort();
        assert_eq!(fused, ["edge", "fast"]);
    }

    #[test]
    fn a_zero_threshold_means_the_fuse_is_off() {
        assert!(decide(&view(&[("fast", 1e9, 1e9)]), 0, &HashSet::new()).is_empty());
    }

    #[test]
    fn a_user_already_being_fused_is_not_fused_twice() {
        let in_flight = HashSet::from(["fast".to_owned()]);
        assert!(decide(&view(&[("fast", 5000.0, 0.0)]), 1000, &in_flight).is_empty());
    }
}
