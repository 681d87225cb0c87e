//! Writing a `Plan` into the store in one transaction. Idempotent: a user the store already
//! has is never overwritten (the same record counts as already imported, a different one is
//! kept and reported), bans and whitelist hosts are added when missing, the fuse threshold
//! is set when it differs. A second run over the same files therefore writes nothing.

use super::plan::Plan;
use crate::domain::now_unix;
use crate::store::hosts::AllowedHost;
use crate::store::settings::{self, Settings};
use crate::store::tables::{HOSTS, IP_BANS, SETTINGS, TRAFFIC, USERS};
use crate::store::traffic::TrafficDay;
use crate::store::users::{self, User};
use crate::store::{Record, StoreError};
use redb::{ReadableTable, WriteTransaction};

/// What one run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub users_added: Vec<String>,
    /// Already in the store with exactly these values (a previous import).
    pub users_same: Vec<String>,
    /// Already in the store with other values: the store's record is kept.
    pub users_kept: Vec<String>,
    pub history_days: usize,
    pub bans_added: Vec<String>,
    pub hosts_added: Vec<String>,
    /// (old, new) when the global fuse threshold changes.
    pub fuse_change: Option<(u32, u32)>,
}

impl Outcome {
    pub fn changes_anything(&self) -> bool {
        !self.users_added.is_empty()
            || self.history_days > 0
            || !self.bans_added.is_empty()
            || !self.hosts_added.is_empty()
            || self.fuse_change.is_some()
    }
}

/// Applies `plan` inside `txn` (the caller commits, or aborts for a dry run).
pub fn apply(txn: &WriteTransaction, plan: &Plan) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    let mut user_table = txn.open_table(USERS)?;
    let mut traffic = txn.open_table(TRAFFIC)?;
    for user in &plan.users {
        match users::get(&user_table, &user.username)? {
            Some(existing) if same_import(&existing, user) => out.users_same.push(user.username.clone()),
            Some(_) => out.users_kept.push(user.username.clone()),
            None => {
                users::put(&mut user_table, user)?;
                out.users_added.push(user.username.clone());
            }
        }
    }
    // History only for users this run adds: a kept user's history stays the store's.
    let added: std::collections::BTreeSet<&str> = out.users_added.iter().map(String::as_str).collect();
    for ((name, day), bytes) in &plan.history {
        if added.contains(name.as_str()) {
            let value = TrafficDay { up_bytes: 0, down_bytes: *bytes };
            traffic.insert((name.as_str(), *day), value.encode().as_slice())?;
            out.history_days += 1;
        }
    }
    let mut bans = txn.open_table(IP_BANS)?;
    for ban in &plan.bans {
        if bans.get(ban.ip.as_str())?.is_none() {
            bans.insert(ban.ip.as_str(), ban.encode().as_slice())?;
            out.bans_added.push(ban.ip.clone());
        }
    }
    let mut hosts = txn.open_table(HOSTS)?;
    for host in &plan.hosts {
        if hosts.get(host.as_str())?.is_none() {
            let value = AllowedHost { host: host.clone(), added_at: now_unix() };
            hosts.insert(host.as_str(), value.encode().as_slice())?;
            out.hosts_added.push(host.clone());
        }
    }
    let mut settings_table = txn.open_table(SETTINGS)?;
    let current = settings::get(&settings_table)?;
    if let Some(new) = plan.fuse_threshold_kbps
        && new != current.fuse_threshold_kbps
    {
        let mut changed: Settings = current.clone();
        changed.fuse_threshold_kbps = new;
        settings::put(&mut settings_table, &changed)?;
        out.fuse_change = Some((current.fuse_threshold_kbps, new));
    }
    Ok(out)
}

/// A record a previous import wrote, possibly settled since by the maintenance tick (which
/// changes only the status) or used since (usage only grows). `created_at` is not compared:
/// an unreadable original value becomes the time of each run.
fn same_import(existing: &User, imported: &User) -> bool {
    let comparable = |u: &User| User {
        status: imported.status,
        used_down_bytes: 0,
        used_up_bytes: 0,
        created_at: 0,
        ..u.clone()
    };
    comparable(existing) == comparable(imported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserStatus;

    #[test]
    fn a_user_imported_in_an_earlier_run_is_the_same_import() {
        let first = User {
            password_hash: "$2b$04$abcdefghijklmnopqrstuuJ2ZbYxS6oWmW0c3Y1k8P1a5yq2j1H1e".into(),
            created_at: 1_000,
            used_down_bytes: 10,
            ..User::blank("bob", UserStatus::Active)
        };
        // A later run: an unreadable created_at became that run's time; since the first run the
        // user was settled and has used traffic.
        let later = User { created_at: 2_000, ..first.clone() };
        let settled = User { status: UserStatus::Expired, used_down_bytes: 99, ..first.clone() };
        assert!(same_import(&settled, &later));
        assert!(!same_import(&User { rate_kbps: 5, ..first.clone() }, &later));
    }
}
