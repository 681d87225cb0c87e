//! Whether the store's last write went through, for `/metrics`, the dashboard and doctor,
//! with one `STORE_WRITE_FAILED` line when writes start failing and one `STORE_RECOVERED`
//! when they work again (not a line per failed write: a full disk fails every second).

use super::StoreError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub(super) struct Health {
    failing: Mutex<Option<String>>,
    failures: AtomicU64,
}

/// ENOSPC and EDQUOT: the filesystem (or the account's quota) has no room.
fn out_of_space(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(122))
}

impl Health {
    /// Counts the failure, logs the first of a run, and names it for the caller: `Full`
    /// when the disk has no room (also for the `PreviousIo` that follows such a failure).
    pub(super) fn classify(&self, e: redb::Error) -> StoreError {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        let full = match &e {
            redb::Error::Io(io) => out_of_space(io),
            redb::Error::PreviousIo => failing.as_deref().is_some_and(|f| f.starts_with(FULL)),
            _ => false,
        };
        let reason = if full { format!("{FULL}: {e}") } else { e.to_string() };
        if failing.is_none() {
            tracing::error!(event = "STORE_WRITE_FAILED", reason = %reason);
        }
        *failing = Some(reason.clone());
        match (&e, full) {
            (_, true) => StoreError::Full(e.to_string()),
            (redb::Error::Io(_) | redb::Error::PreviousIo, false) => StoreError::Unavailable(e.to_string()),
            _ => StoreError::Redb(e),
        }
    }

    pub(super) fn succeeded(&self) {
        let mut failing = self.failing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(was) = failing.take() {
            tracing::info!(event = "STORE_RECOVERED", after = %was);
        }
    }

    pub(super) fn writable(&self) -> bool {
        self.failing.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    pub(super) fn last_failure(&self) -> Option<String> {
        self.failing.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(super) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

const FULL: &str = "disk full";

/// Free space under the store below which the panel and doctor warn: 64 MiB (a day of
/// traffic history and a few backups), or a twentieth of a smaller filesystem.
pub fn space_is_low(total: u64, available: u64) -> bool {
    available < (64 * 1024 * 1024).min(total / 20)
}

/// Total and available bytes of the filesystem that holds `dir`.
pub fn space_under(dir: &std::path::Path) -> Result<(u64, u64), nix::Error> {
    let s = nix::sys::statvfs::statvfs(dir)?;
    let frag = s.fragment_size() as u64;
    Ok((s.blocks() as u64 * frag, s.blocks_available() as u64 * frag))
}

#[cfg(test)]
mod tests {
    use super::space_is_low;

    #[test]
    fn space_is_low_under_64_mib_or_a_twentieth_of_a_small_disk() {
        let mib = 1024 * 1024;
        assert!(space_is_low(20_000 * mib, 63 * mib));
        assert!(!space_is_low(20_000 * mib, 64 * mib));
        assert!(space_is_low(16 * mib, 0));
        assert!(!space_is_low(16 * mib, mib));
    }
}
