//! What a change to a user means for the Linux account behind it: the system part of the
//! planner's `Plan`, so every path (admin, fuse, scheduler, traffic over quota) keeps the
//! account in step. No I/O.

use crate::domain::{Password, UserStatus, Username};
use crate::store::users::User;
use crate::system::SystemCommand;

/// The system commands, in order, that take the account from `before` to `after`.
/// `password` is the new clear-text password when the change set one.
pub fn commands(
    before: Option<&User>,
    after: Option<&User>,
    password: Option<&Password>,
) -> Vec<SystemCommand> {
    let name = after.or(before).and_then(|u| Username::parse(&u.username).ok());
    let Some(user) = name else { return Vec::new() };
    let mut out = Vec::new();
    match (before, after) {
        (None, Some(now)) => {
            out.push(SystemCommand::CreateUser { user: user.clone() });
            if now.allow_shell {
                out.push(SystemCommand::GrantShell { user: user.clone() });
            }
            if now.status != UserStatus::Active {
                out.push(SystemCommand::LockUser { user: user.clone() });
            }
        }
        (Some(_), None) => {
            out.push(SystemCommand::KillUser { user: user.clone() });
            out.push(SystemCommand::DeleteUser { user });
            return out;
        }
        (Some(was), Some(now)) => {
            if was.allow_shell != now.allow_shell {
                out.push(if now.allow_shell {
                    SystemCommand::GrantShell { user: user.clone() }
                } else {
                    SystemCommand::RevokeShell { user: user.clone() }
                });
            }
            let (was_on, is_on) = (was.status == UserStatus::Active, now.status == UserStatus::Active);
            if was_on && !is_on {
                out.push(SystemCommand::LockUser { user: user.clone() });
                out.push(SystemCommand::KillUser { user: user.clone() });
            } else if !was_on && is_on {
                out.push(SystemCommand::UnlockUser { user: user.clone() });
            }
        }
        (None, None) => return out,
    }
    if let Some(password) = password {
        // Right after create (before any lock), or a change of password.
        let at = if before.is_none() { 1 } else { out.len() };
        out.insert(
            at.min(out.len()),
            SystemCommand::SetPassword { user: user.clone(), password: password.clone() },
        );
        // chpasswd writes a fresh hash, which drops a lock.
        if after.is_some_and(|u| u.status != UserStatus::Active) && before.is_some() {
            out.push(SystemCommand::LockUser { user });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: UserStatus, shell: bool) -> User {
        User { allow_shell: shell, ..User::blank("alice", status) }
    }

    fn ops(plan: &[SystemCommand]) -> Vec<&'static str> {
        plan.iter().map(|c| c.op()).collect()
    }

    #[test]
    fn a_new_user_gets_an_account_and_a_password_then_the_shell() {
        let pw = Password::parse("s3cret").unwrap();
        let p = commands(None, Some(&user(UserStatus::Active, true)), Some(&pw));
        assert_eq!(ops(&p), ["create-user", "set-password", "grant-shell"]);
    }

    #[test]
    fn leaving_active_locks_and_kills_and_coming_back_unlocks() {
        let on = user(UserStatus::Active, false);
        for off in [UserStatus::Paused, UserStatus::Fused, UserStatus::Expired, UserStatus::Exceeded] {
            assert_eq!(ops(&commands(Some(&on), Some(&user(off, false)), None)), ["lock", "kill-user"]);
            assert_eq!(ops(&commands(Some(&user(off, false)), Some(&on), None)), ["unlock"]);
        }
        let paused = user(UserStatus::Paused, false);
        assert!(commands(Some(&paused), Some(&user(UserStatus::Expired, false)), None).is_empty());
    }

    #[test]
    fn shell_and_password_changes_and_delete() {
        let a = user(UserStatus::Active, false);
        let b = user(UserStatus::Active, true);
        assert_eq!(ops(&commands(Some(&a), Some(&b), None)), ["grant-shell"]);
        assert_eq!(ops(&commands(Some(&b), Some(&a), None)), ["revoke-shell"]);
        let pw = Password::parse("n3w").unwrap();
        assert_eq!(ops(&commands(Some(&a), Some(&a), Some(&pw))), ["set-password"]);
        let paused = user(UserStatus::Paused, false);
        assert_eq!(ops(&commands(Some(&paused), Some(&paused), Some(&pw))), ["set-password", "lock"]);
        assert_eq!(ops(&commands(Some(&a), None, None)), ["kill-user", "delete-user"]);
    }
}
