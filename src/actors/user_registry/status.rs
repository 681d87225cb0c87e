//! Status commands: pause and resume by hand, the fuse, the scheduler's re-derivation of
//! expiry and quota, and the re-assertion that users who may not connect have no tunnels.

use super::registry::{Origin, RegistryError, UserRegistry, UserResult, changed, record, settle};
use crate::actors::change::Cause;
use crate::domain::{UserStatus, Username};
use crate::store::audit;
use crate::store::tables::{AUDIT, USERS};
use crate::store::users::{self as records, User};
use actix::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Pause,
    /// Leaves `paused` or `fused`; lands on whatever expiry and quota allow.
    Resume,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct SetUserStatus {
    pub username: Username,
    pub action: StatusAction,
    pub by: Origin,
}

/// The fuse tripped: `active` → `fused`. Answers the user if this call changed it.
#[derive(Message)]
#[rtype(result = "Result<Option<User>, RegistryError>")]
pub struct FuseUser {
    pub username: Username,
    pub speed_kbps: f64,
    pub threshold_kbps: u32,
}

/// Re-derives every user's status for `now` (expiry, quota), starting new quota periods
/// whose reset day has come. Answers the users whose status changed, with the status they
/// had before; a reset alone is stored, audited and published but not in the answer.
#[derive(Message)]
#[rtype(result = "Result<Vec<(UserStatus, User)>, RegistryError>")]
pub struct SettleAll {
    pub now: i64,
}

/// The proxies report tunnels of these users: each one that may not connect (not active,
/// or gone) is published again as it is stored (`Cause::Reasserted`), so its tunnels end.
/// Answers those names.
#[derive(Message)]
#[rtype(result = "Result<Vec<String>, RegistryError>")]
pub struct ReassertNotActive {
    pub usernames: Vec<String>,
}

/// Pause or resume by hand.
impl Handler<SetUserStatus> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: SetUserStatus, _: &mut Self::Context) -> UserResult {
        let (action, status, cause) = match msg.action {
            StatusAction::Pause => ("USER_PAUSE", UserStatus::Paused, Cause::Paused),
            StatusAction::Resume => ("USER_RESUME", UserStatus::Active, Cause::Resumed),
        };
        self.change(&msg.username, &msg.by, action, cause, None, |u, _| {
            let from = u.status;
            u.status = status;
            Ok(format!("from={from}"))
        })
    }
}

impl Handler<FuseUser> for UserRegistry {
    type Result = Result<Option<User>, RegistryError>;
    fn handle(&mut self, msg: FuseUser, _: &mut Self::Context) -> Self::Result {
        let name = msg.username.as_str();
        let fused = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let Some(before) = records::get(&table, name)? else { return Ok(None) };
            if before.status != UserStatus::Active {
                return Ok(None);
            }
            let user = User { status: UserStatus::Fused, ..before.clone() };
            records::put(&mut table, &user)?;
            let detail = format!("speed_kbps={:.0} threshold_kbps={}", msg.speed_kbps, msg.threshold_kbps);
            let rec = record(&Origin::system(), "USER_FUSED", name, detail);
            audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
            Ok::<_, RegistryError>(Some((before, user)))
        })?;
        let Some((before, user)) = fused else { return Ok(None) };
        self.publish(vec![changed(Some(before), Some(user.clone()), Cause::Fused, None)]);
        Ok(Some(user))
    }
}

impl Handler<SettleAll> for UserRegistry {
    type Result = Result<Vec<(UserStatus, User)>, RegistryError>;
    fn handle(&mut self, msg: SettleAll, _: &mut Self::Context) -> Self::Result {
        let changes = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let mut changes = Vec::new();
            for before in records::list(&table)? {
                let mut user = before.clone();
                settle(&mut user, msg.now);
                if user != before {
                    changes.push((before, user));
                }
            }
            let mut audit_t = txn.open_table(AUDIT)?;
            for (before, user) in &changes {
                records::put(&mut table, user)?;
                if user.period_started != before.period_started {
                    let detail = format!("period_used_bytes={}", before.period_used_bytes());
                    let rec = record(&Origin::system(), "USER_QUOTA_RESET", &user.username, detail);
                    audit::append(&mut audit_t, &rec)?;
                }
                if user.status != before.status {
                    let detail = format!("from={} to={}", before.status, user.status);
                    let rec = record(&Origin::system(), "USER_STATUS_SYNC", &user.username, detail);
                    audit::append(&mut audit_t, &rec)?;
                }
            }
            Ok::<_, RegistryError>(changes)
        })?;
        let moved = changes.iter().filter(|(before, user)| before.status != user.status);
        let answer = moved.map(|(before, user)| (before.status, user.clone())).collect();
        let events = changes.into_iter().map(|(b, a)| changed(Some(b), Some(a), Cause::Settled, None));
        self.publish(events.collect());
        Ok(answer)
    }
}

impl Handler<ReassertNotActive> for UserRegistry {
    type Result = Result<Vec<String>, RegistryError>;
    fn handle(&mut self, msg: ReassertNotActive, _: &mut Self::Context) -> Self::Result {
        let stored = self.store.read(|txn| {
            let table = txn.open_table(USERS)?;
            let mut out = Vec::new();
            for name in msg.usernames {
                let user = records::get(&table, &name)?;
                if !user.as_ref().is_some_and(|u| u.status == UserStatus::Active) {
                    out.push((name, user));
                }
            }
            Ok::<_, RegistryError>(out)
        })?;
        let mut names = Vec::new();
        let mut events = Vec::new();
        for (name, user) in stored {
            tracing::info!(event = "KICK_NOT_ACTIVE", user = ?name);
            let mut event = changed(user.clone(), user, Cause::Reasserted, None);
            event.username = name.clone();
            events.push(event);
            names.push(name);
        }
        self.publish(events);
        Ok(names)
    }
}
