//! `MaintenanceScheduler`: every interval (60 s), expiry and quota move users between
//! `active` and `expired`/`exceeded`; a user who stops being active is kicked from every node
//! at once (the original never did); the registry locks or unlocks the system account.

use super::node_hub::{Broadcast, NodeHub};
use super::user_registry::{SettleAll, UserRegistry};
use crate::domain::{UserStatus, now_unix};
use crate::wire::PanelToProxy;
use actix::prelude::*;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Other periodic work run at each tick (audit retention); it must not block: it spawns.
pub type Housekeeping = Box<dyn Fn()>;

pub struct MaintenanceScheduler {
    registry: Addr<UserRegistry>,
    hub: Addr<NodeHub>,
    interval: Duration,
    housekeeping: Option<Housekeeping>,
}

impl MaintenanceScheduler {
    pub fn new(registry: Addr<UserRegistry>, hub: Addr<NodeHub>, interval: Duration) -> Self {
        MaintenanceScheduler { registry, hub, interval, housekeeping: None }
    }

    pub fn with_housekeeping(mut self, work: Housekeeping) -> Self {
        self.housekeeping = Some(work);
        self
    }

    fn sync(&mut self, ctx: &mut Context<Self>) {
        if let Some(work) = &self.housekeeping {
            work();
        }
        self.registry
            .send(SettleAll { now: now_unix() })
            .into_actor(self)
            .map(|result, act, _| match result {
                Ok(Ok(changed)) => {
                    tracing::info!(event = "SYNC", changed = changed.len());
                    for (before, user) in &changed {
                        tracing::info!(event = "USER_STATUS", user = %user.username, from = %before, to = %user.status);
                        if user.status != UserStatus::Active {
                            act.hub.do_send(Broadcast(PanelToProxy::Kick { username: user.username.clone() }));
                        }
                    }
                }
                Ok(Err(e)) => tracing::error!(event = "SYNC_FAILED", error = %e),
                Err(e) => tracing::error!(event = "SYNC_FAILED", error = %e),
            })
            .wait(ctx);
    }
}

impl Actor for MaintenanceScheduler {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.sync(ctx);
        ctx.run_interval(self.interval, |act, ctx| act.sync(ctx));
    }
}
