//! A committed change, as it is published: what the `UserRegistry` (and the hosts resource)
//! hand to the `ChangeDispatcher`, which plans it with `planner::plan`. A leaf: it imports
//! no actor, so the publishers and the dispatcher both depend on it and not on each other.

use crate::domain::Password;
use crate::store::users::User;
use actix::Message;

/// Which command (or which of the panel's own rules) made the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    Created,
    Updated,
    Deleted,
    Paused,
    Resumed,
    Renewed,
    TrafficReset,
    PasswordSet,
    /// The admin ended the user's tunnels; the record itself did not change.
    Kicked,
    /// Applying the traffic the proxies counted moved the status (over quota, or an expiry
    /// that passed since the scheduler last ran).
    Traffic,
    /// The fuse tripped.
    Fused,
    /// The scheduler re-derived the status (expiry, quota) as time passed.
    Settled,
    /// No change: the proxies report tunnels of a user who may not have any (a kick lost
    /// while no node was connected, a panel restart), so the stored state is asserted again.
    Reasserted,
}

/// One committed change to one user, as the registry saw it inside the transaction.
/// `before` / `after` are `None` where the user did not / no longer exists.
#[derive(Debug, Clone)]
pub struct UserChanged {
    pub username: String,
    pub before: Option<User>,
    pub after: Option<User>,
    pub cause: Cause,
    /// The new clear-text password when the change set one (for `chpasswd`).
    pub password: Option<Password>,
}

/// Whatever the dispatcher is handed.
#[derive(Debug, Clone)]
pub enum Change {
    /// Boxed: two user records are large next to a host list.
    User(Box<UserChanged>),
    /// The Host whitelist was saved (normalized).
    Hosts(Vec<String>),
}

/// Changes committed in one transaction, in commit order.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Publish(pub Vec<Change>);
