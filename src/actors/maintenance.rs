//! `MaintenanceScheduler`: every interval (60 s), and at the moment the next expiry passes,
//! expiry and quota move users between `active` and `expired`/`exceeded`. The registry publishes each move, and the planner turns
//! it into the lock or unlock and, for a user who stops being active, a kick on every node
//! (the original never kicked).

use super::user_registry::{SettleAll, UserRegistry};
use crate::domain::{SECS_PER_DAY, now_unix};
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

/// How long until the next UTC midnight, the only moments an expiry can pass (dates are
/// whole days: a user expiring on day D stops at D 00:00 UTC). Whole seconds rounded up from
/// `now`, so the timer never fires before the moment.
pub fn until_next_expiry_moment(now: i64) -> Duration {
    Duration::from_secs((SECS_PER_DAY - now.rem_euclid(SECS_PER_DAY)) as u64)
}

impl MaintenanceScheduler {
    /// Settles at the next midnight, then arms itself again; the interval only catches what
    /// no moment announces (quota, a clock that jumped).
    fn arm_expiry_timer(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(until_next_expiry_moment(now_unix()), |act, ctx| {
            act.sync(ctx);
            act.arm_expiry_timer(ctx);
        });
    }
}

impl Actor for MaintenanceScheduler {
    type Context = Context<Self>;
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.sync(ctx);
        ctx.run_interval(self.interval, |act, ctx| act.sync(ctx));
        self.arm_expiry_timer(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_aims_at_the_next_utc_midnight_never_before_it() {
        let midnight = 20_000 * SECS_PER_DAY;
        assert_eq!(until_next_expiry_moment(midnight - 3), Duration::from_secs(3));
        assert_eq!(until_next_expiry_moment(midnight), Duration::from_secs(86_400));
        assert_eq!(until_next_expiry_moment(midnight + 1), Duration::from_secs(86_399));
    }
}
