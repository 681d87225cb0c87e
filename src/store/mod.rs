//! The redb store: the only durable state. One file, one process owns it (the panel).
//! Every write is one transaction with immediate durability and two-phase commit, so a
//! committed change survives `kill -9` and power loss. Record families live one per file.

pub mod audit;
pub mod codec;
pub mod devices;
pub mod health;
pub mod hosts;
pub mod ip_bans;
pub mod nodes;
pub mod offline;
pub mod sessions;
pub mod settings;
pub mod snapshot;
pub mod tables;
pub mod traffic;
pub mod users;

use redb::{Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

pub use codec::{CodecError, Record};

/// The release line that created a store file, recorded once in `META`.
pub const FORMAT_TAG: &[u8] = b"wss-panel store v1";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Redb(#[from] redb::Error),
    #[error("store: {0}")]
    Codec(#[from] CodecError),
    /// The filesystem under the store has no room (ENOSPC or EDQUOT): nothing was committed.
    #[error(
        "the disk under the store is full ({0}): nothing was saved; free space and the panel recovers by itself"
    )]
    Full(String),
    /// An earlier write failed and the store could not be reopened yet.
    #[error("the store is not writable ({0}): nothing was saved; the panel retries by itself")]
    Unavailable(String),
}

/// Lets `?` turn any redb error into `$target` (which must be `From<StoreError>`), so that
/// code running inside a transaction can use its own error type.
macro_rules! redb_errors_into {
    ($target:ty) => {
        $crate::store::redb_errors_into!(@each $target; redb::DatabaseError, redb::TransactionError,
            redb::TableError, redb::StorageError, redb::CommitError, redb::SetDurabilityError);
    };
    (@each $target:ty; $($ty:ty),*) => {$(
        impl From<$ty> for $target {
            fn from(e: $ty) -> Self {
                <$target>::from($crate::store::StoreError::Redb(e.into()))
            }
        }
    )*};
}
pub(crate) use redb_errors_into;
redb_errors_into!(StoreError);

pub struct Store {
    path: PathBuf,
    /// `None` after a failed write until a reopen succeeds: redb refuses every use of a
    /// handle that met an I/O error (`PreviousIo`), so the way back is a fresh open, which
    /// recovers the last commit.
    db: RwLock<Option<Database>>,
    health: health::Health,
}

impl Store {
    /// Opens the file, creating it (and every table) if it does not exist yet.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path)?;
        let store = Store { path: path.to_owned(), db: RwLock::new(Some(db)), health: Default::default() };
        store.write(|txn| -> Result<(), StoreError> {
            txn.open_table(tables::USERS)?;
            txn.open_table(tables::SETTINGS)?;
            txn.open_table(tables::TRAFFIC)?;
            txn.open_table(tables::IP_BANS)?;
            txn.open_table(tables::HOSTS)?;
            txn.open_table(tables::AUDIT)?;
            txn.open_table(tables::NODE_SEQ)?;
            txn.open_table(tables::ADMIN_SESSIONS)?;
            txn.open_table(tables::ADMIN_DEVICES)?;
            txn.open_table(tables::NODES)?;
            txn.open_table(tables::NODE_TRAFFIC)?;
            txn.open_table(tables::NODE_LABELS)?;
            let mut meta = txn.open_table(tables::META)?;
            if meta.get("format")?.is_none() {
                meta.insert("format", FORMAT_TAG)?;
            }
            Ok(())
        })?;
        Ok(store)
    }

    /// Runs `f` in one write transaction and commits it durably; nothing is written if `f`
    /// fails.
    pub fn write<R, E>(&self, f: impl FnOnce(&WriteTransaction) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let mut txn = self.begin_write()?;
        txn.set_durability(Durability::Immediate).map_err(StoreError::from)?;
        txn.set_two_phase_commit(true);
        let out = f(&txn)?;
        match txn.commit() {
            Ok(()) => {
                self.health.succeeded();
                Ok(out)
            }
            Err(e) => Err(self.failed(e.into()).into()),
        }
    }

    /// Runs `f` on a consistent snapshot.
    pub fn read<R, E>(&self, f: impl FnOnce(&ReadTransaction) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let txn = self.begin_read()?;
        f(&txn)
    }

    /// A write transaction on the open handle, reopening the file first when an earlier
    /// write failed.
    pub(crate) fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        let began = self.with_db(|db| db.begin_write().map_err(redb::Error::from))?;
        began.map_err(|e| self.failed(e))
    }

    pub(crate) fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        let began = self.with_db(|db| db.begin_read().map_err(redb::Error::from))?;
        began.map_err(|e| self.failed(e))
    }

    /// Runs `f` on the open handle; with none (an earlier failure), opens the file again.
    fn with_db<T>(&self, f: impl FnOnce(&Database) -> T) -> Result<T, StoreError> {
        {
            let db = self.db.read().unwrap_or_else(|p| p.into_inner());
            if let Some(db) = db.as_ref() {
                return Ok(f(db));
            }
        }
        let mut slot = self.db.write().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            match Database::create(&self.path) {
                Ok(db) => *slot = Some(db),
                Err(e) => return Err(self.health.classify(e.into())),
            }
        }
        Ok(f(slot.as_ref().expect("just opened")))
    }

    /// Records a failure; after an I/O error the handle is dropped so that the next use
    /// reopens the file (redb answers `PreviousIo` to everything else on this handle).
    fn failed(&self, e: redb::Error) -> StoreError {
        let io = matches!(e, redb::Error::Io(_) | redb::Error::PreviousIo);
        let out = self.health.classify(e);
        if io {
            self.db.write().unwrap_or_else(|p| p.into_inner()).take();
        }
        out
    }

    /// False while the last write failed: what `/metrics` and the dashboard show.
    pub fn writable(&self) -> bool {
        self.health.writable()
    }

    /// Why the last write failed, while it is failing.
    pub fn last_failure(&self) -> Option<String> {
        self.health.last_failure()
    }

    /// Writes that failed since start.
    pub fn write_failures(&self) -> u64 {
        self.health.failures()
    }
}

impl StoreError {
    /// True when the disk was full: the API answers 507 with this error's text.
    pub fn is_full(&self) -> bool {
        matches!(self, StoreError::Full(_))
    }
}

/// Decodes every value of a `&str`-keyed table.
fn decode_all<T: Record>(
    table: &impl redb::ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, value) = entry?;
        out.push(T::decode(value.value())?);
    }
    Ok(out)
}
