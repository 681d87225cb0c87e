//! The node agent's decision: the accounts the panel wants (its `Reconcile` list, kept up to
//! date by `Account` messages) against what the helper reports of the accounts it created
//! (`list-accounts`), as the helper commands that make them equal. Only accounts on the
//! helper's list are ever changed or deleted; a wanted name that exists outside the list
//! makes a `create-user` the helper refuses. No I/O.

use crate::domain::{CryptHash, Username};
use crate::system::SystemCommand;
use crate::system::shadow::fingerprint;
use crate::wire::AccountState;
use std::collections::BTreeMap;

/// One account as `list-accounts` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Have {
    pub locked: bool,
    pub shell: bool,
    /// Hex SHA-256 of its shadow hash, `-` for none.
    pub hash: String,
}

/// `list-accounts` output by name; a line that does not parse means the helper and the
/// agent disagree about the format: an error, never a guess (a guess could delete).
pub fn parse_have(text: &str) -> Result<BTreeMap<Username, Have>, String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let bad = || format!("unexpected list-accounts line {line:?}");
            let f: Vec<&str> = line.split(' ').collect();
            let [name, locked, shell, hash] = f[..] else { return Err(bad()) };
            let flag = |v: &str| match v {
                "0" => Ok(false),
                "1" => Ok(true),
                _ => Err(bad()),
            };
            let user = Username::parse(name).map_err(|_| bad())?;
            let hash_ok = hash == "-" || (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
            if !hash_ok {
                return Err(bad());
            }
            Ok((user, Have { locked: flag(locked)?, shell: flag(shell)?, hash: hash.to_owned() }))
        })
        .collect()
}

/// The commands, in order, that make the helper's accounts what `wanted` says. Wanted
/// entries with an invalid name or hash are skipped (the panel validated both; a bad one
/// must not stop the others), as are `deleted` ones (absent means delete).
pub fn plan(wanted: &[AccountState], have: &BTreeMap<Username, Have>) -> Vec<SystemCommand> {
    let mut out = Vec::new();
    let mut keep = std::collections::BTreeSet::new();
    for w in wanted.iter().filter(|w| !w.deleted) {
        let Ok(user) = Username::parse(&w.username) else { continue };
        // Wanted, even if this entry cannot be applied: never deleted for it.
        keep.insert(user.clone());
        let hash = match w.crypt_hash.as_str() {
            "" => None,
            raw => match CryptHash::parse(raw) {
                Ok(h) => Some(h),
                Err(_) => continue,
            },
        };
        out.extend(one(&user, w, hash, have.get(&user)));
    }
    for user in have.keys().filter(|u| !keep.contains(*u)) {
        out.push(SystemCommand::DeleteUser { user: user.clone() });
    }
    out
}

/// One account: create it if missing, then shell, hash and lock as wanted. Writing a hash
/// drops a lock, so the lock follows it. An account with no hash has no password to
/// unlock: it stays as it is until the panel has a hash for it.
fn one(
    user: &Username,
    w: &AccountState,
    hash: Option<CryptHash>,
    have: Option<&Have>,
) -> Vec<SystemCommand> {
    let u = || user.clone();
    let mut out = Vec::new();
    let missing = Have { locked: true, shell: false, hash: "-".into() };
    if have.is_none() {
        out.push(SystemCommand::CreateUser { user: u() });
    }
    let have = have.unwrap_or(&missing);
    if w.shell != have.shell {
        out.push(if w.shell {
            SystemCommand::GrantShell { user: u() }
        } else {
            SystemCommand::RevokeShell { user: u() }
        });
    }
    let mut locked = have.locked;
    if let Some(hash) = hash
        && fingerprint(hash.expose()) != have.hash
    {
        out.push(SystemCommand::SetCryptHash { user: u(), hash });
        locked = false;
    }
    let usable = !w.crypt_hash.is_empty() || have.hash != "-";
    if w.locked && !locked {
        out.push(SystemCommand::LockUser { user: u() });
        if have.hash != "-" && !have.locked {
            // It could log in until now: end its sessions on this node too.
            out.push(SystemCommand::KillUser { user: u() });
        }
    } else if !w.locked && locked && usable {
        out.push(SystemCommand::UnlockUser { user: u() });
    }
    out
}

#[cfg(test)]
mod tests;
