//! `UserRegistry`: owns the users table and is the store's single writer for user changes.
//! Every command is one redb transaction that also appends its audit record. Runs on a
//! `SyncArbiter` thread because redb commits block; password hashes arrive already computed.

use super::command_runner::Run;
use crate::domain::{Day, Password, UserStatus, Username, day_of, now_unix, settle_status};
use crate::store::audit::{self, AuditRecord};
use crate::store::tables::{AUDIT, TRAFFIC, USERS};
use crate::store::users::{self, User};
use crate::store::{Store, StoreError, traffic};
use actix::prelude::*;
use redb::ReadableTable;
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

/// Everything a new user needs; the hash was computed off the actor thread.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    pub expires_on: Option<Day>,
    pub quota_bytes: u64,
    pub rate_kbps: u32,
    pub max_connections: u32,
    pub require_auth_header: bool,
    pub allow_shell: bool,
    pub note: String,
}

/// Fields an admin may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub expires_on: Option<Option<Day>>,
    pub quota_bytes: Option<u64>,
    pub rate_kbps: Option<u32>,
    pub max_connections: Option<u32>,
    pub require_auth_header: Option<bool>,
    pub allow_shell: Option<bool>,
    pub note: Option<String>,
}

type UserResult = Result<User, RegistryError>;

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct CreateUser {
    pub user: NewUser,
    /// For the system account (`chpasswd`); the store keeps only the hash.
    pub password: Option<Password>,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct UpdateUser {
    pub username: String,
    pub patch: UserPatch,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct DeleteUser {
    pub username: String,
    pub by: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Pause,
    /// Leaves `paused` or `fused`; lands on whatever expiry and quota allow.
    Resume,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct SetUserStatus {
    pub username: String,
    pub action: StatusAction,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct RenewUser {
    pub username: String,
    pub days: u32,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct ResetTraffic {
    pub username: String,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct SetPassword {
    pub username: String,
    pub password_hash: String,
    /// For the system account (`chpasswd`); the store keeps only the hash.
    pub password: Option<Password>,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "Result<Option<User>, RegistryError>")]
pub struct GetUser {
    pub username: String,
}

#[derive(Message)]
#[rtype(result = "Result<Vec<User>, RegistryError>")]
pub struct ListUsers;

pub struct UserRegistry {
    store: Arc<Store>,
    /// Where the account's system commands go (none in tests that only look at records).
    runner: Option<Recipient<Run>>,
    /// Tells whether a Linux account of that name exists (injected for tests).
    account_exists: fn(&str) -> bool,
    panel_user: String,
}

impl UserRegistry {
    pub fn new(store: Arc<Store>, account_exists: fn(&str) -> bool, panel_user: String) -> Self {
        Self { store, runner: None, account_exists, panel_user }
    }

    /// Sends every committed change's system commands to `runner`, in order.
    pub fn with_runner(mut self, runner: Recipient<Run>) -> Self {
        self.runner = Some(runner);
        self
    }

    /// A status change made by the panel itself (fuse, scheduler, quota).
    fn emit_status_change(&self, before: UserStatus, user: &User) {
        let was = User { status: before, ..user.clone() };
        self.emit(Some(&was), Some(user), None);
    }

    /// Hands the account's side of a committed change to the `CommandRunner`.
    fn emit(&self, before: Option<&User>, after: Option<&User>, password: Option<&Password>) {
        let Some(runner) = &self.runner else { return };
        for command in super::effects::plan(before, after, password) {
            runner.do_send(Run(command));
        }
    }

    /// Loads, changes and stores one user plus one audit record, atomically.
    fn change(
        &self,
        username: &str,
        by: &Origin,
        action: &str,
        password: Option<&Password>,
        edit: impl FnOnce(&mut User, &redb::WriteTransaction) -> Result<String, RegistryError>,
    ) -> UserResult {
        let (before, after) = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let mut user =
                users::get(&table, username)?.ok_or_else(|| RegistryError::NotFound(username.to_owned()))?;
            let before = user.clone();
            let detail = edit(&mut user, txn)?;
            settle(&mut user, now_unix());
            users::put(&mut table, &user)?;
            audit::append(&mut txn.open_table(AUDIT)?, &record(by, action, username, detail))?;
            Ok::<_, RegistryError>((before, user))
        })?;
        self.emit(Some(&before), Some(&after), password);
        Ok(after)
    }

    fn check_new_name(&self, name: &Username) -> Result<(), RegistryError> {
        if name.as_str() == self.panel_user {
            return Err(RegistryError::Invalid(format!(
                "username '{name}' is the panel's own service account"
            )));
        }
        if (self.account_exists)(name.as_str()) {
            return Err(RegistryError::Invalid(format!(
                "a system account named '{name}' already exists and was not created by this panel"
            )));
        }
        Ok(())
    }
}

impl Actor for UserRegistry {
    type Context = SyncContext<Self>;
}

/// Re-derives expired/exceeded after any change.
fn settle(user: &mut User, now: i64) {
    let expired = user.expires_on.is_some_and(|d| day_of(now) >= d);
    let over_quota = user.quota_bytes > 0 && user.used_bytes() >= user.quota_bytes;
    user.status = settle_status(user.status, expired, over_quota);
}

fn record(by: &Origin, action: &str, target: &str, detail: String) -> AuditRecord {
    AuditRecord {
        at: now_unix(),
        who: by.who.clone(),
        ip: by.ip.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail,
    }
}

/// Creates the record; refuses duplicates, the panel user and foreign system accounts.
impl Handler<CreateUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: CreateUser, _: &mut Self::Context) -> UserResult {
        let n = msg.user;
        let name = n.username.as_str().to_owned();
        let user = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            if users::get(&table, &name)?.is_some() {
                return Err(RegistryError::Exists(name.clone()));
            }
            self.check_new_name(&n.username)?;
            let mut user = User {
                username: name.clone(),
                password_hash: n.password_hash,
                created_at: now_unix(),
                status: UserStatus::Active,
                expires_on: n.expires_on,
                quota_bytes: n.quota_bytes,
                used_up_bytes: 0,
                used_down_bytes: 0,
                rate_kbps: n.rate_kbps,
                max_connections: n.max_connections,
                require_auth_header: n.require_auth_header,
                allow_shell: n.allow_shell,
                note: n.note,
            };
            settle(&mut user, now_unix());
            users::put(&mut table, &user)?;
            let detail = limits_detail(&user);
            audit::append(&mut txn.open_table(AUDIT)?, &record(&msg.by, "USER_ADD", &name, detail))?;
            Ok::<_, RegistryError>(user)
        })?;
        self.emit(None, Some(&user), msg.password.as_ref());
        Ok(user)
    }
}

fn limits_detail(u: &User) -> String {
    format!(
        "expires_on={} quota_bytes={} rate_kbps={} max_connections={} require_auth_header={} allow_shell={}",
        u.expires_on.map(crate::domain::format_day).unwrap_or_else(|| "never".into()),
        u.quota_bytes,
        u.rate_kbps,
        u.max_connections,
        u.require_auth_header,
        u.allow_shell
    )
}

/// Applies a patch; status re-settles (a later expiry or a larger quota reactivates).
impl Handler<UpdateUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: UpdateUser, _: &mut Self::Context) -> UserResult {
        let p = msg.patch;
        self.change(&msg.username, &msg.by, "USER_UPDATE", None, |u, _| {
            if let Some(v) = p.expires_on {
                u.expires_on = v;
            }
            if let Some(v) = p.quota_bytes {
                u.quota_bytes = v;
            }
            if let Some(v) = p.rate_kbps {
                u.rate_kbps = v;
            }
            if let Some(v) = p.max_connections {
                u.max_connections = v;
            }
            if let Some(v) = p.require_auth_header {
                u.require_auth_header = v;
            }
            if let Some(v) = p.allow_shell {
                u.allow_shell = v;
            }
            if let Some(v) = p.note {
                u.note = v;
            }
            Ok(limits_detail(u))
        })
    }
}

/// Removes the user and their traffic history.
impl Handler<DeleteUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: DeleteUser, _: &mut Self::Context) -> UserResult {
        let name = msg.username;
        let user = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let user = users::get(&table, &name)?.ok_or_else(|| RegistryError::NotFound(name.clone()))?;
            users::remove(&mut table, &name)?;
            traffic::remove_user(&mut txn.open_table(TRAFFIC)?, &name)?;
            let rec = record(&msg.by, "USER_DELETE", &name, String::new());
            audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
            Ok::<_, RegistryError>(user)
        })?;
        self.emit(Some(&user), None, None);
        Ok(user)
    }
}

/// Pause or resume by hand.
impl Handler<SetUserStatus> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: SetUserStatus, _: &mut Self::Context) -> UserResult {
        let (action, status) = match msg.action {
            StatusAction::Pause => ("USER_PAUSE", UserStatus::Paused),
            StatusAction::Resume => ("USER_RESUME", UserStatus::Active),
        };
        self.change(&msg.username, &msg.by, action, None, |u, _| {
            let from = u.status;
            u.status = status;
            Ok(format!("from={from}"))
        })
    }
}

/// Extends expiry by `days` from the later of today and the current expiry.
impl Handler<RenewUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: RenewUser, _: &mut Self::Context) -> UserResult {
        if msg.days == 0 || msg.days > 36_500 {
            return Err(RegistryError::Invalid("days must be between 1 and 36500".into()));
        }
        let today = day_of(now_unix());
        self.change(&msg.username, &msg.by, "USER_RENEW", None, |u, _| {
            let from = u.expires_on.unwrap_or(today).max(today);
            u.expires_on = Some(from + msg.days as Day);
            Ok(format!("days={} expires_on={}", msg.days, crate::domain::format_day(from + msg.days as Day)))
        })
    }
}

/// Zeroes usage and forgets the history.
impl Handler<ResetTraffic> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: ResetTraffic, _: &mut Self::Context) -> UserResult {
        self.change(&msg.username, &msg.by, "USER_RESET_TRAFFIC", None, |u, txn| {
            let detail = format!("up={} down={}", u.used_up_bytes, u.used_down_bytes);
            u.used_up_bytes = 0;
            u.used_down_bytes = 0;
            traffic::remove_user(&mut txn.open_table(TRAFFIC)?, &u.username)?;
            Ok(detail)
        })
    }
}

/// Replaces the hash; the old password stops working at once.
impl Handler<SetPassword> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: SetPassword, _: &mut Self::Context) -> UserResult {
        self.change(&msg.username, &msg.by, "USER_PASSWORD", msg.password.as_ref(), |u, _| {
            u.password_hash = msg.password_hash;
            Ok(String::new())
        })
    }
}

impl Handler<GetUser> for UserRegistry {
    type Result = Result<Option<User>, RegistryError>;
    fn handle(&mut self, msg: GetUser, _: &mut Self::Context) -> Self::Result {
        self.store.read(|txn| Ok(users::get(&txn.open_table(USERS)?, &msg.username)?))
    }
}

impl Handler<ListUsers> for UserRegistry {
    type Result = Result<Vec<User>, RegistryError>;
    fn handle(&mut self, _: ListUsers, _: &mut Self::Context) -> Self::Result {
        self.store.read(|txn| Ok(users::list(&txn.open_table(USERS)?)?))
    }
}

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

/// Adds every batch not applied before to the users' totals and today's history, and moves
/// each node's sequence number, all in one transaction. Bytes of deleted users are dropped.
impl Handler<ApplyTraffic> for UserRegistry {
    type Result = Result<TrafficApplied, RegistryError>;
    fn handle(&mut self, msg: ApplyTraffic, _: &mut Self::Context) -> Self::Result {
        let now = now_unix();
        let mut crossed = Vec::new();
        let applied = self.store.write(|txn| {
            let mut users_t = txn.open_table(USERS)?;
            let mut traffic_t = txn.open_table(TRAFFIC)?;
            let mut seq_t = txn.open_table(crate::store::tables::NODE_SEQ)?;
            let mut out = TrafficApplied::default();
            let mut acks: std::collections::BTreeMap<String, u64> = Default::default();
            for (node, batch) in &msg.batches {
                let last = seq_t.get(node.as_str())?.map(|v| v.value()).unwrap_or(0);
                if batch.seq > last {
                    for (name, (up, down)) in &batch.bytes {
                        let Some(mut user) = users::get(&users_t, name)? else {
                            continue;
                        };
                        user.used_up_bytes = user.used_up_bytes.saturating_add(*up);
                        user.used_down_bytes = user.used_down_bytes.saturating_add(*down);
                        let before = user.status;
                        settle(&mut user, now);
                        if before != user.status && user.status == UserStatus::Exceeded {
                            out.exceeded.push(name.clone());
                            crossed.push((before, user.clone()));
                        }
                        users::put(&mut users_t, &user)?;
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
        for (before, user) in &crossed {
            self.emit_status_change(*before, user);
        }
        Ok(applied)
    }
}

/// The fuse tripped: `active` → `fused`. Answers the user if this call changed it.
#[derive(Message)]
#[rtype(result = "Result<Option<User>, RegistryError>")]
pub struct FuseUser {
    pub username: String,
    pub speed_kbps: f64,
    pub threshold_kbps: u32,
}

impl Handler<FuseUser> for UserRegistry {
    type Result = Result<Option<User>, RegistryError>;
    fn handle(&mut self, msg: FuseUser, _: &mut Self::Context) -> Self::Result {
        let fused = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let Some(mut user) = users::get(&table, &msg.username)? else { return Ok(None) };
            if user.status != UserStatus::Active {
                return Ok(None);
            }
            user.status = UserStatus::Fused;
            users::put(&mut table, &user)?;
            let detail = format!("speed_kbps={:.0} threshold_kbps={}", msg.speed_kbps, msg.threshold_kbps);
            let by = Origin { who: "system".into(), ip: String::new() };
            audit::append(&mut txn.open_table(AUDIT)?, &record(&by, "USER_FUSED", &msg.username, detail))?;
            Ok::<_, RegistryError>(Some(user))
        })?;
        if let Some(user) = &fused {
            self.emit_status_change(UserStatus::Active, user);
        }
        Ok(fused)
    }
}

/// Re-derives every user's status for `now` (expiry, quota). Answers the users whose status
/// changed, with the status they had before.
#[derive(Message)]
#[rtype(result = "Result<Vec<(UserStatus, User)>, RegistryError>")]
pub struct SettleAll {
    pub now: i64,
}

impl Handler<SettleAll> for UserRegistry {
    type Result = Result<Vec<(UserStatus, User)>, RegistryError>;
    fn handle(&mut self, msg: SettleAll, _: &mut Self::Context) -> Self::Result {
        let changed = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let mut changed = Vec::new();
            for mut user in users::list(&table)? {
                let before = user.status;
                settle(&mut user, msg.now);
                if user.status != before {
                    changed.push((before, user));
                }
            }
            let by = Origin { who: "system".into(), ip: String::new() };
            let mut audit_t = txn.open_table(AUDIT)?;
            for (before, user) in &changed {
                users::put(&mut table, user)?;
                let detail = format!("from={before} to={}", user.status);
                audit::append(&mut audit_t, &record(&by, "USER_STATUS_SYNC", &user.username, detail))?;
            }
            Ok::<_, RegistryError>(changed)
        })?;
        for (before, user) in &changed {
            self.emit_status_change(*before, user);
        }
        Ok(changed)
    }
}

/// Of these names, the ones that may not have tunnels: not active, or no longer existing.
#[derive(Message)]
#[rtype(result = "Result<Vec<String>, RegistryError>")]
pub struct FilterNotActive {
    pub usernames: Vec<String>,
}

impl Handler<FilterNotActive> for UserRegistry {
    type Result = Result<Vec<String>, RegistryError>;
    fn handle(&mut self, msg: FilterNotActive, _: &mut Self::Context) -> Self::Result {
        self.store.read(|txn| {
            let table = txn.open_table(USERS)?;
            let mut out = Vec::new();
            for name in msg.usernames {
                if !users::get(&table, &name)?.is_some_and(|u| u.status == UserStatus::Active) {
                    out.push(name);
                }
            }
            Ok(out)
        })
    }
}
