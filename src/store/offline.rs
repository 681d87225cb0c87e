//! Opening the store from a command-line tool while the panel is stopped (`import-original`,
//! `restore`), and trying a write without keeping it (`--dry-run`). redb locks its file, so
//! a running panel makes `open_offline` fail with a message rather than two writers.

use super::{Store, StoreError};
use redb::WriteTransaction;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    #[error("the store {path} is in use: stop the panel first (systemctl stop wss_panel)")]
    InUse { path: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// `Store::open`, with "the panel has it open" told apart from other failures.
    pub fn open_offline(path: &Path) -> Result<Store, OfflineError> {
        match Store::open(path) {
            Err(StoreError::Redb(redb::Error::DatabaseAlreadyOpen)) => {
                Err(OfflineError::InUse { path: path.display().to_string() })
            }
            other => Ok(other?),
        }
    }

    /// Runs `f` in a write transaction and throws the transaction away: what `f` reports is
    /// what a real write would do, and the file stays as it was.
    pub fn write_discarded<R, E>(&self, f: impl FnOnce(&WriteTransaction) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let txn = self.begin_write()?;
        let out = f(&txn)?;
        txn.abort().map_err(StoreError::from)?;
        Ok(out)
    }
}
