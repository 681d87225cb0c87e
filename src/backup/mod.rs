//! Backups: a consistent snapshot of the store in a checked file format (`file`), taken by
//! the running panel (`GET /api/backup`, `wss-panel backup`, the schedule in `schedule`)
//! and restored with the panel stopped (`restore`).

pub mod file;
pub mod restore;
pub mod schedule;

use crate::client::{ClientError, PanelClient};
use std::path::{Path, PathBuf};

/// `YYYYMMDD-HHMMSS` (UTC), for file names that sort by time.
pub fn stamp(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => unix.to_string(),
    }
}

/// `wss-panel backup`: downloads a snapshot from the running panel into `out` (default
/// `wss-panel-STAMP.wssbak` here), through a temp file, and checks it. Returns the path
/// and size.
pub fn download(client: &PanelClient, out: Option<&Path>, now: i64) -> Result<(PathBuf, u64), ClientError> {
    let out = out
        .map(Path::to_owned)
        .unwrap_or_else(|| format!("wss-panel-{}.{}", stamp(now), file::EXTENSION).into());
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let tmp = file::temp_path(&dir, "download");
    let failed = |e: &dyn std::fmt::Display| ClientError::Usage(format!("backup to {}: {e}", out.display()));
    let result = (|| {
        let mut f = file::private_file(&tmp).map_err(|e| failed(&e))?;
        client.download("/api/backup", &mut f)?;
        f.sync_all().map_err(|e| failed(&e))?;
        file::check(&tmp).map_err(|e| failed(&e))?;
        std::fs::rename(&tmp, &out).map_err(|e| failed(&e))?;
        std::fs::metadata(&out).map(|m| m.len()).map_err(|e| failed(&e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|size| (out, size))
}
