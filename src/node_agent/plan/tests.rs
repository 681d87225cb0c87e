//! Reconcile planning: every difference between the wanted list and the helper's report.

use super::*;
use crate::domain::Password;

fn hash(pw: &str) -> CryptHash {
    CryptHash::make(&Password::parse(pw).unwrap())
}

fn want(name: &str, h: &CryptHash, locked: bool, shell: bool) -> AccountState {
    AccountState { username: name.into(), crypt_hash: h.expose().into(), locked, shell, deleted: false }
}

fn have(h: Option<&CryptHash>, locked: bool, shell: bool) -> Have {
    Have { locked, shell, hash: h.map_or("-".into(), |h| fingerprint(h.expose())) }
}

fn name(n: &str) -> Username {
    Username::parse(n).unwrap()
}

fn ops(plan: &[SystemCommand]) -> Vec<String> {
    plan.iter().map(|c| format!("{} {}", c.op(), c.user().map_or("", |u| u.as_str()))).collect()
}

#[test]
fn nothing_to_do_when_the_node_matches() {
    let h = hash("Tun-Pass-1");
    let wanted = [want("alice", &h, false, false), want("bob", &h, true, true)];
    let have = BTreeMap::from([
        (name("alice"), have(Some(&h), false, false)),
        (name("bob"), have(Some(&h), true, true)),
    ]);
    assert!(plan(&wanted, &have).is_empty());
}

#[test]
fn a_missing_account_is_created_with_its_hash_shell_and_lock() {
    let h = hash("Tun-Pass-1");
    let p = plan(&[want("alice", &h, true, true)], &BTreeMap::new());
    assert_eq!(ops(&p), ["create-user alice", "grant-shell alice", "set-crypt-hash alice", "lock alice"]);
    assert_eq!(p[2], SystemCommand::SetCryptHash { user: name("alice"), hash: h });
}

#[test]
fn lock_unlock_and_a_new_hash_follow_the_panel() {
    let (old, new) = (hash("old-pass"), hash("new-pass"));
    let on = BTreeMap::from([(name("alice"), have(Some(&old), false, false))]);
    assert_eq!(ops(&plan(&[want("alice", &old, true, false)], &on)), ["lock alice", "kill-user alice"]);
    let off = BTreeMap::from([(name("alice"), have(Some(&old), true, false))]);
    assert_eq!(ops(&plan(&[want("alice", &old, false, false)], &off)), ["unlock alice"]);
    // A new hash written while paused: chpasswd drops the lock, so lock again (no kill:
    // it could not log in before).
    assert_eq!(ops(&plan(&[want("alice", &new, true, false)], &off)), ["set-crypt-hash alice", "lock alice"]);
    assert_eq!(ops(&plan(&[want("alice", &new, false, false)], &on)), ["set-crypt-hash alice"]);
}

#[test]
fn shell_changes_both_ways() {
    let h = hash("x");
    let plain = BTreeMap::from([(name("alice"), have(Some(&h), false, false))]);
    assert_eq!(ops(&plan(&[want("alice", &h, false, true)], &plain)), ["grant-shell alice"]);
    let shell = BTreeMap::from([(name("alice"), have(Some(&h), false, true))]);
    assert_eq!(ops(&plan(&[want("alice", &h, false, false)], &shell)), ["revoke-shell alice"]);
}

#[test]
fn only_the_helpers_accounts_that_are_not_wanted_are_deleted() {
    let h = hash("x");
    let gone = AccountState { deleted: true, ..want("carol", &h, false, false) };
    let have = BTreeMap::from([
        (name("bob"), have(Some(&h), false, false)),
        (name("carol"), have(None, true, false)),
    ]);
    // root, sshd, anyone not on the helper's list is not in `have`: never touched.
    let p = plan(&[want("alice", &h, false, false), gone], &have);
    assert_eq!(
        ops(&p),
        ["create-user alice", "set-crypt-hash alice", "delete-user bob", "delete-user carol"]
    );
    assert_eq!(ops(&plan(&[], &have)), ["delete-user bob", "delete-user carol"]);
}

#[test]
fn no_hash_means_no_password_and_no_unlock() {
    let none = AccountState { crypt_hash: String::new(), ..want("alice", &hash("x"), false, false) };
    assert_eq!(ops(&plan(std::slice::from_ref(&none), &BTreeMap::new())), ["create-user alice"]);
    let bare = BTreeMap::from([(name("alice"), have(None, true, false))]);
    assert!(plan(&[none], &bare).is_empty());
}

#[test]
fn invalid_wanted_entries_are_skipped_without_deleting_them() {
    let h = hash("x");
    let mut bad_hash = want("alice", &h, false, false);
    bad_hash.crypt_hash = "$1$weak$hash".into();
    let bad_name = want("root", &h, false, false);
    let have = BTreeMap::from([(name("alice"), have(Some(&h), true, false))]);
    assert!(ops(&plan(&[bad_hash, bad_name], &have)).is_empty());
}

#[test]
fn the_helpers_report_parses_strictly() {
    let fp = fingerprint(hash("x").expose());
    let text = format!("alice 0 1 {fp}\nbob 1 0 -\n");
    let have = parse_have(&text).unwrap();
    assert_eq!(have[&name("alice")], Have { locked: false, shell: true, hash: fp.clone() });
    assert_eq!(have[&name("bob")], Have { locked: true, shell: false, hash: "-".into() });
    for bad in ["alice 0 1", "alice 2 0 -", "root 0 0 -", "alice 0 0 xyz", &format!("alice 0 0 {fp} x")] {
        assert!(parse_have(bad).is_err(), "{bad:?}");
    }
}
