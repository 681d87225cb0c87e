//! Global settings (`settings` table, one record under `GLOBAL`).

use super::codec::single_version_record;
use super::{Record, StoreError, tables::SETTINGS};
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

pub const GLOBAL: &str = "global";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// A user whose summed speed reaches this is fused; 0 = off.
    pub fuse_threshold_kbps: u32,
}
single_version_record!(Settings, "settings", 1);

pub fn get(table: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<Settings, StoreError> {
    match table.get(GLOBAL)? {
        Some(v) => Ok(Settings::decode(v.value())?),
        None => Ok(Settings::default()),
    }
}

pub fn put(table: &mut Table<&str, &[u8]>, settings: &Settings) -> Result<(), StoreError> {
    table.insert(GLOBAL, settings.encode().as_slice())?;
    Ok(())
}

/// Opens the table in `txn` and reads the settings.
pub fn read(txn: &redb::ReadTransaction) -> Result<Settings, StoreError> {
    get(&txn.open_table(SETTINGS)?)
}
