//! The admin's user commands (create, edit, renew, password, kick, delete) and the queries.

use super::limits::{limits_detail, limits_diff};
use super::registry::{Origin, RegistryError, UserRegistry, UserResult, changed, record, settle};
use crate::actors::change::Cause;
use crate::domain::plan::QuotaReset;
use crate::domain::{Day, Days, Password, UserStatus, Username, day_of, format_day, now_unix};
use crate::store::audit;
use crate::store::tables::{AUDIT, TRAFFIC, USERS};
use crate::store::traffic;
use crate::store::users::{self as records, User};
use actix::prelude::*;

/// Everything a new user needs; the hash was computed off the actor thread.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    /// `$6$` crypt hash for the nodes' accounts (`domain::crypt`).
    pub crypt_hash: String,
    pub expires_on: Option<Day>,
    pub quota_bytes: u64,
    pub rate_kbps: u32,
    pub max_connections: u32,
    pub require_auth_header: bool,
    pub allow_shell: bool,
    pub note: String,
    pub quota_reset: QuotaReset,
    pub quota_reset_day: u8,
    pub expire_after_first_use_days: Option<u32>,
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
    /// The rule and its day, checked together (`QuotaReset::check_day`).
    pub quota_reset: Option<(QuotaReset, u8)>,
    /// `Some(None)` removes the plan; an expiry already set from a first use stays.
    pub expire_after_first_use_days: Option<Option<u32>>,
}

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
    pub username: Username,
    pub patch: UserPatch,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct DeleteUser {
    pub username: Username,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct RenewUser {
    pub username: Username,
    pub days: Days,
    pub by: Origin,
}

#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct SetPassword {
    pub username: Username,
    pub password_hash: String,
    pub crypt_hash: String,
    /// For the system account (`chpasswd`); the store keeps only the hashes.
    pub password: Option<Password>,
    pub by: Origin,
}

/// Ends the user's tunnels on every node now (audited; the record stays as it is).
#[derive(Message)]
#[rtype(result = "UserResult")]
pub struct KickUser {
    pub username: Username,
    pub by: Origin,
}

/// A name from anywhere (a proxy's auth request included): one that is not a valid
/// `Username` is simply not found.
#[derive(Message)]
#[rtype(result = "Result<Option<User>, RegistryError>")]
pub struct GetUser {
    pub username: String,
}

#[derive(Message)]
#[rtype(result = "Result<Vec<User>, RegistryError>")]
pub struct ListUsers;

impl UserRegistry {
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

/// Creates the record; refuses duplicates, the panel user and foreign system accounts.
impl Handler<CreateUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: CreateUser, _: &mut Self::Context) -> UserResult {
        let n = msg.user;
        let name = n.username.as_str().to_owned();
        let user = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            if records::get(&table, &name)?.is_some() {
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
                quota_reset: n.quota_reset,
                quota_reset_day: n.quota_reset_day,
                period_started: None,
                period_base_bytes: 0,
                expire_after_first_use_days: n.expire_after_first_use_days,
                first_used_at: None,
                crypt_hash: n.crypt_hash,
            };
            settle(&mut user, now_unix());
            records::put(&mut table, &user)?;
            let detail = limits_detail(&user);
            audit::append(&mut txn.open_table(AUDIT)?, &record(&msg.by, "USER_ADD", &name, detail))?;
            Ok::<_, RegistryError>(user)
        })?;
        self.publish(vec![changed(None, Some(user.clone()), Cause::Created, msg.password)]);
        Ok(user)
    }
}

/// Applies a patch; status re-settles (a later expiry or a larger quota reactivates).
impl Handler<UpdateUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: UpdateUser, _: &mut Self::Context) -> UserResult {
        let p = msg.patch;
        self.change_if(&msg.username, &msg.by, "USER_UPDATE", Cause::Updated, None, |u, _| {
            let before = u.clone();
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
            if let Some((rule, day)) = p.quota_reset {
                // A new rule starts counting at its next reset day, not retroactively.
                if (rule, day) != (u.quota_reset, u.quota_reset_day) {
                    u.period_started = crate::domain::plan::period_start(rule, day, day_of(now_unix()));
                }
                u.quota_reset = rule;
                u.quota_reset_day = day;
            }
            if let Some(v) = p.expire_after_first_use_days {
                u.expire_after_first_use_days = v;
                // Already used: the plan counts from that first use.
                if let (Some(days), Some(at)) = (v, u.first_used_at) {
                    u.expires_on = Some(day_of(at) + days as Day);
                }
            }
            // A save of the stored values changes nothing: no record, no audit row.
            let diff = limits_diff(&before, u);
            Ok((!diff.is_empty()).then_some(diff))
        })
    }
}

/// Removes the user and their traffic history.
impl Handler<DeleteUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: DeleteUser, _: &mut Self::Context) -> UserResult {
        let name = msg.username.as_str();
        let user = self.store.write(|txn| {
            let mut table = txn.open_table(USERS)?;
            let user = records::get(&table, name)?.ok_or_else(|| RegistryError::NotFound(name.to_owned()))?;
            records::remove(&mut table, name)?;
            traffic::remove_user(&mut txn.open_table(TRAFFIC)?, name)?;
            let rec = record(&msg.by, "USER_DELETE", name, String::new());
            audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
            Ok::<_, RegistryError>(user)
        })?;
        self.publish(vec![changed(Some(user.clone()), None, Cause::Deleted, None)]);
        Ok(user)
    }
}

/// Extends expiry by `days` from the later of today and the current expiry.
impl Handler<RenewUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: RenewUser, _: &mut Self::Context) -> UserResult {
        let today = day_of(now_unix());
        let days = msg.days;
        self.change(&msg.username, &msg.by, "USER_RENEW", Cause::Renewed, None, |u, _| {
            let until = days.after(u.expires_on.unwrap_or(today).max(today));
            u.expires_on = Some(until);
            Ok(format!("days={} expires_on={}", days.get(), format_day(until)))
        })
    }
}

/// Replaces the hash; the old password stops working at once.
impl Handler<SetPassword> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: SetPassword, _: &mut Self::Context) -> UserResult {
        let (hash, crypt) = (msg.password_hash, msg.crypt_hash);
        self.change(&msg.username, &msg.by, "USER_PASSWORD", Cause::PasswordSet, msg.password, |u, _| {
            u.password_hash = hash;
            u.crypt_hash = crypt;
            Ok(String::new())
        })
    }
}

impl Handler<KickUser> for UserRegistry {
    type Result = UserResult;
    fn handle(&mut self, msg: KickUser, _: &mut Self::Context) -> UserResult {
        self.change(&msg.username, &msg.by, "USER_KICK", Cause::Kicked, None, |_, _| Ok(String::new()))
    }
}

/// The proxies let this user in for the first time: remember when, and start a
/// "days from first use" plan. Answers `None` when the user had been used before (or is gone).
#[derive(Message)]
#[rtype(result = "Result<Option<User>, RegistryError>")]
pub struct MarkFirstUse {
    pub username: String,
}

impl Handler<MarkFirstUse> for UserRegistry {
    type Result = Result<Option<User>, RegistryError>;
    fn handle(&mut self, msg: MarkFirstUse, _: &mut Self::Context) -> Self::Result {
        let Ok(name) = Username::parse(&msg.username) else { return Ok(None) };
        let stored = self
            .store
            .read(|txn| Ok::<_, RegistryError>(records::get(&txn.open_table(USERS)?, name.as_str())?))?;
        if stored.is_none_or(|u| u.first_used_at.is_some()) {
            return Ok(None);
        }
        let by = Origin::system();
        let user = self.change(&name, &by, "USER_FIRST_USE", Cause::Updated, None, |u, _| {
            // Read just above in another transaction: keep a first use recorded meanwhile.
            let first = *u.first_used_at.get_or_insert(now_unix());
            if let Some(days) = u.expire_after_first_use_days {
                u.expires_on = Some(day_of(first) + days as Day);
            }
            Ok(format!("expires_on={}", u.expires_on.map(format_day).unwrap_or_else(|| "never".into())))
        })?;
        Ok(Some(user))
    }
}

impl Handler<GetUser> for UserRegistry {
    type Result = Result<Option<User>, RegistryError>;
    fn handle(&mut self, msg: GetUser, _: &mut Self::Context) -> Self::Result {
        self.store.read(|txn| Ok(records::get(&txn.open_table(USERS)?, &msg.username)?))
    }
}

impl Handler<ListUsers> for UserRegistry {
    type Result = Result<Vec<User>, RegistryError>;
    fn handle(&mut self, _: ListUsers, _: &mut Self::Context) -> Self::Result {
        self.store.read(|txn| Ok(records::list(&txn.open_table(USERS)?)?))
    }
}
