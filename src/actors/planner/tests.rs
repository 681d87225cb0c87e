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
        check(&format!("active -> {to}"), c, &["lock", "kill-user"], &["kick"], USERS);
    }
    // The same transition is planned the same whatever caused it.
    for cause in [Cause::Updated, Cause::Settled, Cause::Traffic, Cause::Renewed] {
        let c = change(Some(user(Active)), Some(user(Exceeded)), cause, false);
        check(&format!("{cause:?}"), c, &["lock", "kill-user"], &["kick"], USERS);
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
        check(&format!("{from} -> active"), c, &["unlock"], &["update_limits"], USERS);
    }
    let c = change(Some(user(Exceeded)), Some(user(Active)), Cause::TrafficReset, false);
    check("reset brings exceeded back", c, &["unlock"], &["update_limits", "reset_traffic"], USERS);
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
    check("create with shell", c, &["create-user", "set-password", "grant-shell"], NONE, USERS);
    let c = change(None, Some(user(Expired)), Cause::Created, true);
    check("create already expired", c, &["create-user", "set-password", "lock"], NONE, USERS);
    let c = change(Some(user(Active)), None, Cause::Deleted, false);
    check("delete", c, &["kill-user", "delete-user"], &["delete"], USERS);
    let c = change(Some(user(Paused)), None, Cause::Deleted, false);
    check("delete paused", c, &["kill-user", "delete-user"], &["delete"], USERS);
}

#[test]
fn a_new_password_ends_the_tunnels_opened_with_the_old_one() {
    let mut after = user(Active);
    after.password_hash = "h2".into();
    check(
        "active",
        change(Some(user(Active)), Some(after), Cause::PasswordSet, true),
        &["set-password"],
        &["kick"],
        USERS,
    );
    let mut after = user(Paused);
    after.password_hash = "h2".into();
    let c = change(Some(user(Paused)), Some(after), Cause::PasswordSet, true);
    check("paused: chpasswd drops the lock, so lock again", c, &["set-password", "lock"], &["kick"], USERS);
}

#[test]
fn limits_and_shell_changes_reach_the_proxies_of_an_active_user() {
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
        &["update_limits"],
        USERS,
    );
    check(
        "revoke",
        change(Some(shell), Some(user(Active)), Cause::Updated, false),
        &["revoke-shell"],
        &["update_limits"],
        USERS,
    );
    let c = change(Some(user(Active)), Some(user(Active)), Cause::Renewed, false);
    check("no visible change still refreshes the limits", c, NONE, &["update_limits"], NONE);
}

#[test]
fn kicks_and_reassertions_change_nothing_but_the_tunnels() {
    check(
        "kick",
        change(Some(user(Active)), Some(user(Active)), Cause::Kicked, false),
        NONE,
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
fn a_saved_host_list_reaches_every_proxy_and_the_hosts_page() {
    let p = plan(&Change::Hosts(vec!["cdn.example.com".into()]));
    assert_eq!(p.proxy, [PanelToProxy::ReloadHosts { hosts: vec!["cdn.example.com".into()] }]);
    check("hosts", Change::Hosts(vec![]), NONE, &["reload_hosts"], &["hosts_changed"]);
}
