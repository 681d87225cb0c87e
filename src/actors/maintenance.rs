//! `MaintenanceScheduler`: every interval (60 s), expiry and quota move users between
//! `active` and `expired`/`exceeded`. The registry publishes each move, and the planner turns
//! it into the lock or unlock and, for a user who stops being active, a kick on every node
//! (the original never kicked).

use super::user_registry::{SettleAll, UserRegistry};
use crate::domain::now_unix;
use actix::prelude::*;
use std::time::Duration;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);

/// Other periodic work run at each tick (audit retention); it must not block: it spawns.
pub type Housekeeping = Box<dyn Fn()>;

pub struct MaintenanceScheduler {
    registry: Addr<UserRegistry>,
    interval: Duration,
    housekeeping: Option<Housekeeping>,
}

impl MaintenanceScheduler {
    pub fn new(registry: Addr<UserRegistry>, interval: Duration) -> Self {
        MaintenanceScheduler { registry, interval, housekeeping: None }
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
            .map(|result, _, _| match result {
                Ok(Ok(changed)) => {
                    tracing::info!(event = "SYNC", changed = changed.len());
                    for (before, user) in &changed {
                        tracing::info!(event = "USER_STATUS", user = %user.username, from = %before, to = %user.status);
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
