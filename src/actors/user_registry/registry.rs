//! The `UserRegistry` actor itself: its errors, who asked, and the step every command ends
//! with: commit one transaction (with its audit record), then publish what changed.

use crate::actors::change::{Cause, Change, Publish, UserChanged};
use crate::domain::plan::period_start;
use crate::domain::{Password, Username, day_of, now_unix, settle_status};
use crate::store::audit::{self, AuditRecord};
use crate::store::tables::{AUDIT, USERS};
use crate::store::users::{self as records, User};
use crate::store::{Store, StoreError};
use actix::prelude::*;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("user '{0}' does not exist")]
    NotFound(String),
    #[error("user '{0}' already exists")]
    Exists(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::redb_errors_into!(RegistryError);

/// Who asked for a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Origin {
    pub who: String,
    pub ip: String,
}

impl Origin {
    /// The panel itself (fuse, scheduler).
    pub fn system() -> Self {
        Origin { who: "system".into(), ip: String::new() }
    }
}

pub type UserResult = Result<User, RegistryError>;

pub struct UserRegistry {
    pub(super) store: Arc<Store>,
    /// Told of every committed change (none in tests that only look at records).
    subscribers: Vec<Recipient<Publish>>,
    /// Tells whether a Linux account of that name exists (injected for tests).
    pub(super) account_exists: fn(&str) -> bool,
    pub(super) panel_user: String,
}

impl UserRegistry {
    pub fn new(store: Arc<Store>, account_exists: fn(&str) -> bool, panel_user: String) -> Self {
        Self { store, subscribers: Vec::new(), account_exists, panel_user }
    }

    /// Publishes every committed change to `subscriber`, in commit order.
    pub fn with_subscriber(mut self, subscriber: Recipient<Publish>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// Tells the subscribers what one transaction changed; call only after it committed.
    pub(super) fn publish(&self, changes: Vec<UserChanged>) {
        if changes.is_empty() {
            return;
        }
        let changes: Vec<Change> = changes.into_iter().map(|c| Change::User(Box::new(c))).collect();
        for s in &self.subscribers {
            s.do_send(Publish(changes.clone()));
        }
    }

    /// Loads, changes and stores one user plus one audit record, atomically, then publishes.
    pub(super) fn change(
        &self,
        username: &Username,
        by: &Origin,
        action: &str,
        cause: Cause,
        password: Option<Password>,
        edit: impl FnOnce(&mut User, &redb::WriteTransaction) -> Result<String, RegistryError>,
    ) -> UserResult {
        self.change_if(username, by, action, cause, password, |u, txn| edit(u, txn).map(Some))
    }

    /// `change` for edits that may change nothing: an edit answering `None` (a save with the
    /// values already stored) writes no record, no audit row and publishes nothing.
    pub(super) fn change_if(
        &self,
        username: &Username,
        by: &Origin,
        action: &str,
        cause: Cause,
        password: Option<Password>,
        edit: impl FnOnce(&mut User, &redb::WriteTransaction) -> Result<Option<String>, RegistryError>,
    ) -> UserResult {
        let name = username.as_str();
        let (before, after) = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let mut user =
                records::get(&table, name)?.ok_or_else(|| RegistryError::NotFound(name.to_owned()))?;
            let before = user.clone();
            let Some(detail) = edit(&mut user, txn)? else { return Ok((before, None)) };
            settle(&mut user, now_unix());
            records::put(&mut table, &user)?;
            audit::append(&mut txn.open_table(AUDIT)?, &record(by, action, name, detail))?;
            Ok::<_, RegistryError>((before, Some(user)))
        })?;
        let Some(after) = after else { return Ok(before) };
        self.publish(vec![changed(Some(before), Some(after.clone()), cause, password)]);
        Ok(after)
    }
}

impl Actor for UserRegistry {
    type Context = SyncContext<Self>;
}

/// The event for one user; the name is the record's (`after`, else `before`).
pub(super) fn changed(
    before: Option<User>,
    after: Option<User>,
    cause: Cause,
    password: Option<Password>,
) -> UserChanged {
    let username = after.as_ref().or(before.as_ref()).map(|u| u.username.clone()).unwrap_or_default();
    UserChanged { username, before, after, cause, password }
}

/// Starts a new quota period when a reset day has come since the last one (the all-time
/// totals and the history stay), then re-derives expired/exceeded, after any change.
pub(super) fn settle(user: &mut User, now: i64) {
    let today = day_of(now);
    if let Some(start) = period_start(user.quota_reset, user.quota_reset_day, today)
        && user.period_started.is_none_or(|p| p < start)
    {
        user.period_started = Some(start);
        user.period_base_bytes = user.used_bytes();
    }
    let expired = user.expires_on.is_some_and(|d| today >= d);
    let over_quota = user.quota_bytes > 0 && user.period_used_bytes() >= user.quota_bytes;
    user.status = settle_status(user.status, expired, over_quota);
}

pub(super) fn record(by: &Origin, action: &str, target: &str, detail: String) -> AuditRecord {
    AuditRecord {
        at: now_unix(),
        who: by.who.clone(),
        ip: by.ip.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail,
    }
}
