//! Scheduled backups: `<data_dir>/backups/wss_panel-STAMP.wssbak` (directory 0700, files
//! 0600), one when the newest is older than the interval, the oldest beyond `keep` removed.
//! The file names sort by time, so rotation needs no clock but the names.

use super::file::{self, BackupError, EXTENSION};
use crate::store::Store;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const DIR: &str = "backups";
const PREFIX: &str = "wss_panel-";

pub fn dir_of(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

/// Scheduled backups in `dir`, oldest first.
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with(PREFIX) && name.ends_with(&format!(".{EXTENSION}"))
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    out.sort();
    Ok(out)
}

/// Is a backup due: none yet, or the newest older than `interval`?
pub fn is_due(dir: &Path, interval: Duration) -> std::io::Result<bool> {
    let Some(newest) = list(dir)?.pop() else { return Ok(true) };
    let age = std::fs::metadata(&newest)?.modified()?.elapsed().unwrap_or_default();
    Ok(age >= interval)
}

/// Removes the oldest backups beyond `keep`; returns the removed paths.
pub fn rotate(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let all = list(dir)?;
    let excess = all.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = all.into_iter().take(excess).collect();
    for path in &removed {
        std::fs::remove_file(path)?;
    }
    Ok(removed)
}

/// Writes one scheduled backup and rotates. Returns its path and size.
pub fn run_once(
    store: &Store,
    data_dir: &Path,
    keep: usize,
    now: i64,
) -> Result<(PathBuf, u64), BackupError> {
    let dir = dir_of(data_dir);
    crate::secure_files::create_private_dir(&dir)?;
    let mut path = dir.join(format!("{PREFIX}{}.{EXTENSION}", super::stamp(now)));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{PREFIX}{}-{n}.{EXTENSION}", super::stamp(now)));
    }
    let size = file::create(store, &path, now)?;
    rotate(&dir, keep)?;
    Ok((path, size))
}
