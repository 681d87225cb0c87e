//! The planner on every kind of change: each status transition, delete, password, limits,
//! shell, kick, re-assertion and hosts. One row per case: what the account, the proxies and
//! open pages get.

use super::*;
use crate::domain::Password;
use crate::domain::UserStatus::{self, *};

fn user(status: UserStatus) -> User {
    User { password_hash: "h1".into(), ..User::blank("alice", status) }
}

fn change(before: Option<User>, after: Option<User>, cause: Cause, pw: bool) -> Change {
    let password = pw.then(|| Password::parse("n3w-pass").unwrap());
    Change::User(Box::new(UserChanged { username: "alice".into(), before, after, cause, password }))
}

/// The plan in words: system ops, proxy commands, page notices.
fn summary(p: &Plan) -> (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>) {
    let proxy = p
        .proxy
        .iter()
        .map(|c| match c {
            PanelToProxy::Kick { .. } => "kick",
            PanelToProxy::UpdateLimits { .. } => "update_limits",
            PanelToProxy::ResetTraffic { .. } => "reset_traffic",
            PanelToProxy::Delete { .. } => "delete",
            PanelToProxy::ReloadHosts { .. } => "reload_hosts",
            PanelToProxy::Ack { .. } => "ack",
            PanelToProxy::Account(a) if a.deleted => "delete_account",
            PanelToProxy::Account(_) => "account",
            PanelToProxy::Reconcile { .. } => "reconcile",
        })
        .collect();
    let ui =
        p.ui.iter()
            .map(|e| match e {
                UiEvent::UsersChanged => "users_changed",
                UiEvent::HostsChanged => "hosts_changed",
            })
            .collect();
    (p.system.iter().map(|c| c.op()).collect(), proxy, ui)
}

fn check(case: &str, c: Change, system: &[&str], proxy: &[&str], ui: &[&str]) {
    let (s, p, u) = summary(&plan(&c));
    assert_eq!((s.as_slice(), p.as_slice(), u.as_slice()), (system, proxy, ui), "{case}");
}

const USERS: &[&str] = &["users_changed"];
const NONE: &[&str] = &[];

#[test]
fn leaving_active_for_any_reason_locks_kills_and_kicks_everywhere() {
    for (to, cause) in [
        (Paused, Cause::Paused),
        (Expired, Cause::Settled),
        (Exceeded, Cause::Traffic),
        (Fused, Cause::Fused),
    ] {
        let c = change(Some(user(Active)), Some(user(to)), cause, false);
        check(&format!("active -> {to}"), c, &["lock", "kill-user"], &["kick", "account"], USERS);
    }
    // The same transition is planned the same whatever caused it.
    for cause in [Cause::Updated, Cause::Settled, Cause::Traffic, Cause::Renewed] {
        let c = change(Some(user(Active)), Some(user(Exceeded)), cause, false);
        check(&format!("{cause:?}"), c, &["lock", "kill-user"], &["kick", "account"], USERS);
    }
}

#[test]
fn coming_back_to_active_unlocks_and_sends_the_limits() {
    for (from, cause) in [
        (Paused, Cause::Resumed),
        (Fused, Cause::Resumed),
        (Expired, Cause::Renewed),
        (Expired, Cause::Settled),
    ] {
        let c = change(Some(user(from)), Some(user(Active)), cause, false);
        check(&format!("{from} -> active"), c, &["unlock"], &["update_limits", "account"], USERS);
    }
    let c = change(Some(user(Exceeded)), Some(user(Active)), Cause::TrafficReset, false);
    let proxy = ["update_limits", "reset_traffic", "account"];
    check("reset brings exceeded back", c, &["unlock"], &proxy, USERS);
}

#[test]
fn moving_between_states_that_may_not_connect_only_kicks_again() {
    let c = change(Some(user(Paused)), Some(user(Expired)), Cause::Settled, false);
    check("paused -> expired", c, NONE, &["kick"], USERS);
    let c = change(Some(user(Expired)), Some(user(Exceeded)), Cause::Settled, false);
    check("expired -> exceeded", c, NONE, &["kick"], USERS);
    let mut noted = user(Paused);
    noted.note = "called".into();
    check(
        "edit of a paused user",
        change(Some(user(Paused)), Some(noted), Cause::Updated, false),
        NONE,
        &["kick"],
        USERS,
    );
}

#[test]
fn create_and_delete() {
    let mut new = user(Active);
    new.allow_shell = true;
    let c = change(None, Some(new), Cause::Created, true);
    check("create with shell", c, &["create-user", "set-password", "grant-shell"], &["account"], USERS);
    let c = change(None, Some(user(Expired)), Cause::Created, true);
    check("create already expired", c, &["create-user", "set-password", "lock"], &["account"], USERS);
    let c = change(Some(user(Active)), None, Cause::Deleted, false);
    check("delete", c, &["kill-user", "delete-user"], &["delete", "delete_account"], USERS);
    let c = change(Some(user(Paused)), None, Cause::Deleted, false);
    check("delete paused", c, &["kill-user", "delete-user"], &["delete", "delete_account"], USERS);
}

#[test]
fn a_new_password_ends_the_tunnels_opened_with_the_old_one() {
    let mut after = user(Active);
    (after.password_hash, after.crypt_hash) = ("h2".into(), "c2".into());
    check(
        "active",
        change(Some(user(Active)), Some(after), Cause::PasswordSet, true),
        &["set-password"],
        &["kick", "account"],
        USERS,
    );
    let mut after = user(Paused);
    (after.password_hash, after.crypt_hash) = ("h2".into(), "c2".into());
    let c = change(Some(user(Paused)), Some(after), Cause::PasswordSet, true);
    let (system, proxy) = (["set-password", "lock"], ["kick", "account"]);
    check("paused: chpasswd drops the lock, so lock again", c, &system, &proxy, USERS);
}

#[test]
fn a_change_the_proxies_hold_nothing_of_keeps_their_cached_verdicts() {
    let mut noted = user(Active);
    noted.note = "paid until June".into();
    noted.used_up_bytes = 4096;
    let p = plan(&change(Some(user(Active)), Some(noted), Cause::Updated, false));
    assert!(p.proxy.is_empty(), "{:?}", p.proxy);
}

#[test]
fn limits_changes_reach_the_proxies_and_shell_changes_only_the_account() {
    let mut faster = user(Active);
    faster.rate_kbps = 512;
    faster.max_connections = 3;
    faster.require_auth_header = false;
    let p = plan(&change(Some(user(Active)), Some(faster.clone()), Cause::Updated, false));
    assert_eq!(
        p.proxy,
        [PanelToProxy::UpdateLimits { username: "alice".into(), limits: limits_of(&faster) }]
    );
    assert_eq!(
        limits_of(&faster),
        UserLimits { rate_kbps: 512, max_connections: 3, require_auth_header: false }
    );
    assert!(p.system.is_empty());
    let mut shell = user(Active);
    shell.allow_shell = true;
    check(
        "grant",
        change(Some(user(Active)), Some(shell.clone()), Cause::Updated, false),
        &["grant-shell"],
        &["account"],
        USERS,
    );
    check(
        "revoke",
        change(Some(shell), Some(user(Active)), Cause::Updated, false),
        &["revoke-shell"],
        &["account"],
        USERS,
    );
    // Nothing the proxies hold changed: their cached verdicts stay.
    let c = change(Some(user(Active)), Some(user(Active)), Cause::Renewed, false);
    check("no visible change sends nothing", c, NONE, NONE, NONE);
}

#[test]
fn kicks_end_tunnels_and_processes_and_reassertions_only_tunnels() {
    check(
        "kick",
        change(Some(user(Active)), Some(user(Active)), Cause::Kicked, false),
        &["kill-user"],
        &["kick"],
        NONE,
    );
    for s in [Paused, Expired, Exceeded, Fused] {
        let c = change(Some(user(s)), Some(user(s)), Cause::Reasserted, false);
        check(&format!("reassert {s}"), c, NONE, &["kick"], NONE);
    }
    check("reassert a deleted user", change(None, None, Cause::Reasserted, false), NONE, &["kick"], NONE);
    let c = change(Some(user(Active)), Some(user(Active)), Cause::Reasserted, false);
    check("an active user keeps their tunnels", c, NONE, NONE, NONE);
}

#[test]
fn the_account_message_carries_the_state_the_panel_holds() {
    let mut now = user(Paused);
    (now.crypt_hash, now.allow_shell) = ("$6$s$h".into(), true);
    let p = plan(&change(Some(user(Active)), Some(now), Cause::Paused, false));
    let want = AccountState {
        username: "alice".into(),
        crypt_hash: "$6$s$h".into(),
        locked: true,
        shell: true,
        deleted: false,
    };
    assert_eq!(p.proxy.last(), Some(&PanelToProxy::Account(want.clone())));
    let p = plan(&change(Some(user(Paused)), None, Cause::Deleted, false));
    let gone = AccountState { crypt_hash: String::new(), shell: false, deleted: true, ..want };
    assert_eq!(p.proxy.last(), Some(&PanelToProxy::Account(gone)));
}

#[test]
fn a_saved_host_list_reaches_every_proxy_and_the_hosts_page() {
    let p = plan(&Change::Hosts(vec!["cdn.example.com".into()]));
    assert_eq!(p.proxy, [PanelToProxy::ReloadHosts { hosts: vec!["cdn.example.com".into()] }]);
    check("hosts", Change::Hosts(vec![]), NONE, &["reload_hosts"], &["hosts_changed"]);
}
