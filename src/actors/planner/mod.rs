//! The one place that decides what a committed change means. The `UserRegistry` publishes a
//! `UserChanged` (before, after, cause; see `change`) after every commit, and the hosts
//! resource a `Change::Hosts`; `plan` turns each into the system commands for the Linux account, the
//! commands for every proxy and the notices for open admin pages. The `ChangeDispatcher`
//! only delivers the plan, so no other code sends a kick. Pure: no I/O, no actix.

pub mod system;
#[cfg(test)]
mod tests;

pub use super::change::{Cause, Change, UserChanged};
use super::ui_hub::UiEvent;
use crate::domain::UserStatus;
use crate::store::users::User;
use crate::system::SystemCommand;
use crate::wire::{AccountState, PanelToProxy, UserLimits};

/// Everything one change causes, in delivery order for each destination.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    pub system: Vec<SystemCommand>,
    pub proxy: Vec<PanelToProxy>,
    pub ui: Vec<UiEvent>,
}

/// The consequences of one change.
pub fn plan(change: &Change) -> Plan {
    match change {
        Change::Hosts(hosts) => Plan {
            system: Vec::new(),
            proxy: vec![PanelToProxy::ReloadHosts { hosts: hosts.clone() }],
            ui: vec![UiEvent::HostsChanged],
        },
        Change::User(c) => Plan {
            system: system_commands(c),
            proxy: proxy_commands(c),
            // Pages show records: they reload when a record differs, not on a kick.
            ui: if c.before != c.after { vec![UiEvent::UsersChanged] } else { Vec::new() },
        },
    }
}

/// The account's commands; a kick also ends every process of the account (the original's
/// `kill_all`): the SSH sessions the tunnels carried and shell sessions through stunnel,
/// which no proxy sees.
fn system_commands(c: &UserChanged) -> Vec<SystemCommand> {
    let mut out = system::commands(c.before.as_ref(), c.after.as_ref(), c.password.as_ref());
    let kill_needed = !out.iter().any(|cmd| matches!(cmd, SystemCommand::KillUser { .. }));
    let user = c.after.as_ref().and_then(|u| crate::domain::Username::parse(&u.username).ok());
    if let (Cause::Kicked, true, Some(user)) = (c.cause, kill_needed, user) {
        out.push(SystemCommand::KillUser { user });
    }
    out
}

/// A user who may not connect is kicked (which also drops the proxies' cached verdicts); a
/// new password ends tunnels opened with the old one; otherwise an active user's tunnels get
/// the current limits. A change the proxies hold nothing of (a note, the first use, traffic
/// counters) sends nothing: an update would drop the user's cached verdicts, and a flood of
/// wrong guesses for that name would then throttle the known-good password (issue 9, item 4).
/// A deleted user is deleted everywhere; a new one needs nothing yet.
fn proxy_commands(c: &UserChanged) -> Vec<PanelToProxy> {
    let username = c.username.clone();
    let kick = PanelToProxy::Kick { username: username.clone() };
    let may_connect = |u: &User| u.status == UserStatus::Active;
    let mut out = match (&c.before, &c.after) {
        _ if c.cause == Cause::Kicked => vec![kick],
        (_, Some(now)) if c.cause == Cause::Reasserted && may_connect(now) => Vec::new(),
        _ if c.cause == Cause::Reasserted => vec![kick],
        (None, None) => Vec::new(),
        (Some(_), None) => vec![PanelToProxy::Delete { username: username.clone() }],
        (None, Some(_)) => Vec::new(),
        (Some(was), Some(now)) if !may_connect(now) || was.password_hash != now.password_hash => vec![kick],
        (Some(was), Some(now)) if was.status == now.status && limits_of(was) == limits_of(now) => Vec::new(),
        (Some(_), Some(now)) => {
            vec![PanelToProxy::UpdateLimits { username: username.clone(), limits: limits_of(now) }]
        }
    };
    if c.cause == Cause::TrafficReset {
        out.push(PanelToProxy::ResetTraffic { username });
    }
    out.extend(account_command(c));
    out
}

/// The Linux account on the other nodes follows the record: created, re-hashed, locked,
/// unlocked, given or denied the shell, deleted (`NodeHub` sends it to enrolled nodes only).
fn account_command(c: &UserChanged) -> Option<PanelToProxy> {
    match (&c.before, &c.after) {
        (Some(was), None) => Some(PanelToProxy::Account(AccountState { deleted: true, ..account_of(was) })),
        (None, Some(now)) => Some(PanelToProxy::Account(account_of(now))),
        (Some(was), Some(now)) if account_of(was) != account_of(now) => {
            Some(PanelToProxy::Account(account_of(now)))
        }
        _ => None,
    }
}

/// What a node's Linux account for `u` must look like.
pub fn account_of(u: &User) -> AccountState {
    AccountState {
        username: u.username.clone(),
        crypt_hash: u.crypt_hash.clone(),
        locked: u.status != UserStatus::Active,
        shell: u.allow_shell,
        deleted: false,
    }
}

/// What a proxy enforces for a user's tunnels.
pub fn limits_of(u: &User) -> UserLimits {
    UserLimits {
        rate_kbps: u.rate_kbps,
        max_connections: u.max_connections,
        require_auth_header: u.require_auth_header,
    }
}
