//! The backup file: a fixed header (magic, format version, creation time, payload length,
//! SHA-256 of the payload) followed by the payload, a redb store file made by
//! `Store::snapshot_to`. Written to a temp file, synced, renamed: a backup on disk is whole
//! or absent. `check` refuses anything else before a single byte of the store is touched.

use crate::store::Store;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const MAGIC: &[u8; 16] = b"WSSPANEL-BACKUP\n";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: u64 = 16 + 4 + 8 + 8 + 32;
pub const EXTENSION: &str = "wssbak";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} is not a wss-panel backup (it does not start with the backup header)")]
    Foreign { path: String },
    #[error("{path} is a backup of format version {version}; this release reads version {VERSION}")]
    NewerFormat { path: String, version: u32 },
    #[error("{path} is truncated: the header promises {expected} bytes of store, the file has {found}")]
    Truncated { path: String, expected: u64, found: u64 },
    #[error("{path} is damaged: its checksum does not match")]
    Checksum { path: String },
    #[error("{path}: the store inside does not open: {why}")]
    BadStore { path: String, why: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Snapshot(#[from] crate::store::snapshot::SnapshotError),
}

/// A header as read from a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    pub created_at: i64,
    pub payload_len: u64,
    pub sha256: [u8; 32],
}

/// Writes a complete backup of `store` to `dest` (0600, temp + fsync + rename). Returns
/// the file's size.
pub fn create(store: &Store, dest: &Path, now: i64) -> Result<u64, BackupError> {
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let snapshot = temp_path(dir, "snapshot");
    let tmp = temp_path(dir, "part");
    let result = (|| {
        store.snapshot_to(&snapshot)?;
        let mut payload = File::open(&snapshot)?;
        let mut hasher = Sha256::new();
        let len = std::io::copy(&mut payload, &mut hasher)?;
        payload.seek(SeekFrom::Start(0))?;
        let header = Header { created_at: now, payload_len: len, sha256: hasher.finalize().into() };
        let mut out = private_file(&tmp)?;
        out.write_all(&encode_header(&header))?;
        std::io::copy(&mut payload, &mut out)?;
        out.sync_all()?;
        std::fs::rename(&tmp, dest)?;
        File::open(dir)?.sync_all()?;
        Ok(HEADER_LEN + len)
    })();
    let _ = std::fs::remove_file(&snapshot);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Checks magic, version, length and checksum; the header on success.
pub fn check(path: &Path) -> Result<Header, BackupError> {
    let shown = path.display().to_string();
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    let mut head = [0u8; HEADER_LEN as usize];
    if size < HEADER_LEN {
        let mut start = Vec::new();
        file.read_to_end(&mut start)?;
        return Err(if MAGIC.starts_with(&start) && !start.is_empty() {
            BackupError::Truncated { path: shown, expected: HEADER_LEN, found: size }
        } else {
            BackupError::Foreign { path: shown }
        });
    }
    file.read_exact(&mut head)?;
    let header = decode_header(&head).map_err(|version| match version {
        None => BackupError::Foreign { path: shown.clone() },
        Some(version) => BackupError::NewerFormat { path: shown.clone(), version },
    })?;
    let found = size - HEADER_LEN;
    if found != header.payload_len {
        return Err(BackupError::Truncated { path: shown, expected: header.payload_len, found });
    }
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    if <[u8; 32]>::from(hasher.finalize()) != header.sha256 {
        return Err(BackupError::Checksum { path: shown });
    }
    Ok(header)
}

/// Copies the payload of a checked backup into `dest` (0600) and syncs it.
pub fn extract(path: &Path, dest: &Path) -> Result<(), BackupError> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(HEADER_LEN))?;
    let mut out = private_file(dest)?;
    std::io::copy(&mut file, &mut out)?;
    out.sync_all()?;
    Ok(())
}

pub fn encode_header(h: &Header) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&h.created_at.to_le_bytes());
    out.extend_from_slice(&h.payload_len.to_le_bytes());
    out.extend_from_slice(&h.sha256);
    out
}

/// `Err(None)`: not a backup; `Err(Some(v))`: a format this release does not read.
fn decode_header(b: &[u8; HEADER_LEN as usize]) -> Result<Header, Option<u32>> {
    if &b[..16] != MAGIC {
        return Err(None);
    }
    let version = u32::from_le_bytes(b[16..20].try_into().unwrap_or_default());
    if version != VERSION {
        return Err(Some(version));
    }
    let int = |r: std::ops::Range<usize>| b[r].try_into().unwrap_or_default();
    Ok(Header {
        created_at: i64::from_le_bytes(int(20..28)),
        payload_len: u64::from_le_bytes(int(28..36)),
        sha256: b[36..68].try_into().unwrap_or_default(),
    })
}

/// A fresh name next to the destination (same file system, so rename is atomic).
pub fn temp_path(dir: &Path, what: &str) -> PathBuf {
    dir.join(format!(".wss-panel-{what}-{}-{}.tmp", std::process::id(), crate::secure_files::random_hex(6)))
}

pub fn private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}
