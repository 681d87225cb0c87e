//! `list-accounts`: what a node agent needs to reconcile, and no more. For every account on
//! the helper's list that exists: locked or not, in the shell group or not, and a SHA-256
//! fingerprint of its shadow hash (the agent compares it with the fingerprint of the hash
//! it wants; the hash itself never leaves root). Root-side I/O: reads `/etc/shadow`.

use super::accounts::State;
use super::error::HelperError;
use super::users::{is_member, lookup};
use sha2::{Digest, Sha256};

const SHADOW: &str = "/etc/shadow";

/// One line per account: `NAME LOCKED SHELL HASH` (see `SystemCommand::ListAccounts`).
pub fn list_accounts(state: &State) -> Result<String, HelperError> {
    let shadow = std::fs::read_to_string(SHADOW).map_err(|e| HelperError::State(format!("{SHADOW}: {e}")))?;
    let mut out = String::new();
    for user in state.accounts()? {
        if lookup(&user)?.is_none() {
            continue;
        }
        let field = shadow
            .lines()
            .find_map(|line| line.strip_prefix(user.as_str())?.strip_prefix(':'))
            .and_then(|rest| rest.split(':').next())
            .unwrap_or("!");
        let (locked, hash) = lock_and_hash(field);
        let shell = u8::from(is_member(user.as_str()));
        out.push_str(&format!("{user} {} {shell} {}\n", u8::from(locked), fingerprint(hash)));
    }
    Ok(out)
}

/// A shadow password field: locked when it starts with `!`; the hash after the lock marks.
pub fn lock_and_hash(field: &str) -> (bool, &str) {
    (field.starts_with('!'), field.trim_start_matches('!'))
}

/// Hex SHA-256 of a crypt hash, or `-` for no usable hash (empty, `*`, `x`).
pub fn fingerprint(hash: &str) -> String {
    if hash.starts_with('$') { hex::encode(Sha256::digest(hash.as_bytes())) } else { "-".to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_marks_and_missing_hashes() {
        assert_eq!(lock_and_hash("!$6$s$h"), (true, "$6$s$h"));
        assert_eq!(lock_and_hash("$6$s$h"), (false, "$6$s$h"));
        assert_eq!(lock_and_hash("!"), (true, ""));
        assert_eq!(fingerprint(""), "-");
        assert_eq!(fingerprint("*"), "-");
        assert_eq!(fingerprint("$6$s$h").len(), 64);
    }
}
