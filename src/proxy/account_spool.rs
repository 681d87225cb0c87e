//! An enrolled node's proxy keeps what the panel says about Linux accounts (`Reconcile`,
//! then `Account`) in `<node_spool_dir>/node-accounts.json` for the node agent, which applies it
//! through the root helper: the proxy itself needs no privilege. The file is the complete
//! wanted list (deleted users absent), replaced atomically (temp file, fsync, rename), mode
//! 0640: the agent runs as the panel account, whose group the installed spool directory
//! hands down (setgid). Nothing is written before the panel's first `Reconcile` of this run.

use crate::wire::{AccountState, PanelToProxy};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::Mutex;

pub struct AccountSpool {
    path: PathBuf,
    /// `None` until the first `Reconcile`.
    wanted: Mutex<Option<BTreeMap<String, AccountState>>>,
}

impl AccountSpool {
    pub fn new(path: PathBuf) -> Self {
        AccountSpool { path, wanted: Mutex::new(None) }
    }

    /// Takes the account messages (others are not its business) and rewrites the file.
    pub fn apply(&self, command: &PanelToProxy) {
        let mut wanted = self.wanted.lock().unwrap_or_else(|p| p.into_inner());
        match command {
            PanelToProxy::Reconcile { accounts } => {
                let live = accounts.iter().filter(|a| !a.deleted);
                *wanted = Some(live.map(|a| (a.username.clone(), a.clone())).collect());
            }
            PanelToProxy::Account(a) => {
                let Some(all) = wanted.as_mut() else { return };
                if a.deleted {
                    all.remove(&a.username);
                } else {
                    all.insert(a.username.clone(), a.clone());
                }
            }
            _ => return,
        }
        let Some(all) = wanted.as_ref() else { return };
        if let Err(e) = self.write(all) {
            tracing::error!(event = "ACCOUNT_SPOOL_FAILED", path = %self.path.display(), error = %e);
        }
    }

    fn write(&self, all: &BTreeMap<String, AccountState>) -> std::io::Result<()> {
        let list: Vec<&AccountState> = all.values().collect();
        let body = serde_json::to_vec(&list)?;
        let tmp = self.path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        // Group-readable only now (the unit's umask would mask it at open), never world.
        file.set_permissions(std::fs::Permissions::from_mode(0o640))?;
        file.write_all(&body)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, locked: bool) -> AccountState {
        AccountState {
            username: name.into(),
            crypt_hash: String::new(),
            locked,
            shell: false,
            deleted: false,
        }
    }

    fn read(path: &std::path::Path) -> Vec<AccountState> {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn nothing_before_reconcile_then_the_full_list_follows_each_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node-accounts.json");
        let spool = AccountSpool::new(path.clone());
        spool.apply(&PanelToProxy::Account(account("early", false)));
        assert!(!path.exists());
        let gone = AccountState { deleted: true, ..account("gone", false) };
        spool.apply(&PanelToProxy::Reconcile { accounts: vec![account("alice", false), gone] });
        assert_eq!(read(&path), [account("alice", false)]);
        spool.apply(&PanelToProxy::Account(account("bob", true)));
        spool.apply(&PanelToProxy::Account(account("alice", true)));
        assert_eq!(read(&path), [account("alice", true), account("bob", true)]);
        spool.apply(&PanelToProxy::Account(AccountState { deleted: true, ..account("alice", true) }));
        spool.apply(&PanelToProxy::Kick { username: "bob".into() });
        assert_eq!(read(&path), [account("bob", true)]);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }
}
