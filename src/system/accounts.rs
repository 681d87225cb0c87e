//! The helper's own list of the Linux accounts it created, kept where only root can write:
//! `/var/lib/wss-panel-helper/accounts` (directory 0700, file 0600, one name per line,
//! replaced atomically). The helper touches no account that is not on this list, so even a
//! compromised panel cannot lock, delete or re-password `root`, a system account or any
//! account someone else made. The path is fixed at compile time: nothing the panel user can
//! influence (environment, config, arguments) moves it.

use super::error::HelperError;
use super::validate;
use crate::domain::Username;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Root-owned; never inside anything the panel user owns.
pub const STATE_DIR: &str = "/var/lib/wss-panel-helper";
const ACCOUNTS_FILE: &str = "accounts";
const LOCK_FILE: &str = "lock";

/// The state directory, locked for the lifetime of this value: one helper operation at a
/// time, so two concurrent calls never lose each other's list update.
pub struct State {
    dir: PathBuf,
    _lock: File,
}

impl State {
    /// Creates the directory if needed, checks nobody but root can write it, and locks it.
    pub fn open() -> Result<State, HelperError> {
        Self::open_at(Path::new(STATE_DIR))
    }

    fn open_at(dir: &Path) -> Result<State, HelperError> {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| state_error(dir, e))?;
        let meta = fs::symlink_metadata(dir).map_err(|e| state_error(dir, e))?;
        if !meta.is_dir() || meta.uid() != 0 || meta.mode() & 0o022 != 0 {
            return Err(HelperError::State(format!(
                "{} must be a directory owned by root and writable by root only",
                dir.display()
            )));
        }
        let lock_path = dir.join(LOCK_FILE);
        let lock = private_file(&lock_path, false).map_err(|e| state_error(&lock_path, e))?;
        lock.lock().map_err(|e| state_error(&lock_path, e))?;
        Ok(State { dir: dir.to_owned(), _lock: lock })
    }

    fn path(&self) -> PathBuf {
        self.dir.join(ACCOUNTS_FILE)
    }

    /// The accounts this helper created. A line that is not a valid name means the file was
    /// tampered with: everything stops rather than guessing.
    pub fn accounts(&self) -> Result<BTreeSet<Username>, HelperError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(state_error(&path, e)),
        };
        text.lines()
            .filter(|line| !line.is_empty())
            .map(|line| {
                validate::username(line)
                    .map_err(|e| HelperError::State(format!("{} is corrupt: {e}", path.display())))
            })
            .collect()
    }

    pub fn contains(&self, user: &Username) -> Result<bool, HelperError> {
        Ok(self.accounts()?.contains(user))
    }

    pub fn add(&self, user: &Username) -> Result<(), HelperError> {
        let mut all = self.accounts()?;
        if all.insert(user.clone()) {
            self.write(&all)?;
        }
        Ok(())
    }

    pub fn remove(&self, user: &Username) -> Result<(), HelperError> {
        let mut all = self.accounts()?;
        if all.remove(user) {
            self.write(&all)?;
        }
        Ok(())
    }

    /// Write to a temp file, fsync, rename over the list, fsync the directory.
    fn write(&self, all: &BTreeSet<Username>) -> Result<(), HelperError> {
        let path = self.path();
        let tmp = self.dir.join(format!("{ACCOUNTS_FILE}.tmp"));
        let body: String = all.iter().map(|u| format!("{u}\n")).collect();
        let result = (|| {
            let mut file = private_file(&tmp, true)?;
            file.write_all(body.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        })();
        result.map_err(|e| state_error(&path, e))
    }
}

/// Opens (creating with mode 0600) a file in the state directory. Symlink games are not a
/// concern: only root can write the directory (checked in `open_at`).
fn private_file(path: &Path, truncate: bool) -> std::io::Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(truncate).mode(0o600).open(path)
}

fn state_error(path: &Path, e: std::io::Error) -> HelperError {
    HelperError::State(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// These tests need root (the state directory must be root-owned). The suite's one rule
    /// for a missing requirement: a failure under `WSS_REQUIRE_TOOLS=1` (CI), else a noted skip.
    fn root() -> bool {
        if nix::unistd::geteuid().is_root() {
            return true;
        }
        let required = std::env::var("WSS_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
        assert!(!required, "this test needs root (WSS_REQUIRE_TOOLS=1)");
        eprintln!("note: not root; skipping this check");
        false
    }

    fn state_in(dir: &Path) -> State {
        State::open_at(&dir.join("state")).unwrap()
    }

    #[test]
    fn the_list_survives_reopening_and_stays_private() {
        if !root() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let alice = Username::parse("alice").unwrap();
        {
            let state = state_in(tmp.path());
            state.add(&alice).unwrap();
            state.add(&Username::parse("bob").unwrap()).unwrap();
            state.remove(&Username::parse("bob").unwrap()).unwrap();
        }
        let state = state_in(tmp.path());
        assert_eq!(state.accounts().unwrap().into_iter().collect::<Vec<_>>(), [alice]);
        let file = fs::metadata(tmp.path().join("state/accounts")).unwrap();
        assert_eq!(file.mode() & 0o777, 0o600);
        let dir = fs::metadata(tmp.path().join("state")).unwrap();
        assert_eq!(dir.mode() & 0o777, 0o700);
    }

    #[test]
    fn a_tampered_list_stops_everything() {
        if !root() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let state = state_in(tmp.path());
        fs::write(tmp.path().join("state/accounts"), "alice\nroot\n").unwrap();
        assert!(matches!(state.accounts(), Err(HelperError::State(_))));
    }

    #[test]
    fn a_state_dir_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(State::open_at(&dir), Err(HelperError::State(_))));
    }
}
