//! The redb store: the only durable state. One file, one process owns it (the panel).
//! Every write is one transaction with immediate durability and two-phase commit, so a
//! committed change survives `kill -9` and power loss. Record families live one per file.

pub mod audit;
pub mod codec;
pub mod devices;
pub mod hosts;
pub mod ip_bans;
pub mod offline;
pub mod sessions;
pub mod settings;
pub mod snapshot;
pub mod tables;
pub mod traffic;
pub mod users;

use redb::{Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use std::path::Path;

pub use codec::{CodecError, Record};

/// The release line that created a store file, recorded once in `META`.
pub const FORMAT_TAG: &[u8] = b"wss-panel store v1";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Redb(#[from] redb::Error),
    #[error("store: {0}")]
    Codec(#[from] CodecError),
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
    db: Database,
}

impl Store {
    /// Opens the file, creating it (and every table) if it does not exist yet.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path)?;
        let store = Store { db };
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
        let mut txn = self.db.begin_write().map_err(StoreError::from)?;
        txn.set_durability(Durability::Immediate).map_err(StoreError::from)?;
        txn.set_two_phase_commit(true);
        let out = f(&txn)?;
        txn.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` on a consistent snapshot.
    pub fn read<R, E>(&self, f: impl FnOnce(&ReadTransaction) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let txn = self.db.begin_read().map_err(StoreError::from)?;
        f(&txn)
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
