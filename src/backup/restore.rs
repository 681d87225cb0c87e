//! `wss-panel restore FILE`, with the panel stopped. The file is checked (header, length,
//! checksum), its store extracted next to the live one and opened with every record
//! decoded; only then is the live store hard-linked aside (`wss_panel.redb.before-restore-
//! STAMP`) and the new one renamed over it. At every moment the store path holds either
//! the old store or the whole new one.

use super::file::{self, BackupError, temp_path};
use crate::config::Config;
use crate::store::Store;
use crate::store::offline::OfflineError;
use crate::store::snapshot::{Counts, verify_file};
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("{0}; the store was not changed")]
    Refused(BackupError),
    #[error(transparent)]
    InUse(#[from] OfflineError),
    #[error("restore failed, the store was not changed: {0}")]
    Io(#[from] std::io::Error),
    #[error("restore failed: {0}")]
    Other(#[from] anyhow::Error),
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub created_at: i64,
    pub counts: Counts,
    /// Where the previous store is kept (none if there was none).
    pub aside: Option<PathBuf>,
}

pub fn restore(config: &Config, backup: &Path, now: i64) -> Result<Restored, RestoreError> {
    let header = file::check(backup).map_err(RestoreError::Refused)?;
    crate::secure_files::create_private_dir(&config.data_dir)?;
    let store_path = config.store_path();
    let tmp = temp_path(&config.data_dir, "restore");
    let result = (|| {
        file::extract(backup, &tmp).map_err(RestoreError::Refused)?;
        let counts = verify_file(&tmp).map_err(|e| {
            RestoreError::Refused(BackupError::BadStore {
                path: backup.display().to_string(),
                why: e.to_string(),
            })
        })?;
        // Holding the live store open proves the panel is stopped and keeps it stopped.
        let live = if store_path.exists() { Some(Store::open_offline(&store_path)?) } else { None };
        crate::import::hand_to_data_dir_owner(&config.data_dir, &tmp)?;
        let aside = match live {
            Some(_) => {
                let aside = aside_path(&store_path, now);
                std::fs::hard_link(&store_path, &aside)?;
                Some(aside)
            }
            None => None,
        };
        std::fs::rename(&tmp, &store_path)?;
        File::open(&config.data_dir)?.sync_all()?;
        drop(live);
        Ok(Restored { created_at: header.created_at, counts, aside })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    if result.is_ok() {
        tracing::info!(event = "STORE_RESTORED", from = %backup.display());
    }
    result
}

fn aside_path(store: &Path, now: i64) -> PathBuf {
    let mut name = store.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".before-restore-{}", super::stamp(now)));
    store.with_file_name(name)
}
