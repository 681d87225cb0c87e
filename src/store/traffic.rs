//! Traffic history per user per UTC day (`traffic_daily` table), bytes each way.

use super::codec::single_version_record;
use super::{Record, StoreError};
use crate::domain::Day;
use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrafficDay {
    pub up_bytes: u64,
    pub down_bytes: u64,
}
single_version_record!(TrafficDay, "traffic_day", 1);

type TrafficTable<'t> = Table<'t, (&'static str, i32), &'static [u8]>;

/// Adds bytes to a user's day.
pub fn add(
    table: &mut TrafficTable<'_>,
    username: &str,
    day: Day,
    up: u64,
    down: u64,
) -> Result<(), StoreError> {
    let mut entry = match table.get((username, day))? {
        Some(v) => TrafficDay::decode(v.value())?,
        None => TrafficDay::default(),
    };
    entry.up_bytes = entry.up_bytes.saturating_add(up);
    entry.down_bytes = entry.down_bytes.saturating_add(down);
    table.insert((username, day), entry.encode().as_slice())?;
    Ok(())
}

/// One entry per calendar day in `first..=last`, zero for days without traffic.
pub fn range(
    table: &impl ReadableTable<(&'static str, i32), &'static [u8]>,
    username: &str,
    first: Day,
    last: Day,
) -> Result<Vec<(Day, TrafficDay)>, StoreError> {
    let mut out: Vec<(Day, TrafficDay)> = (first..=last).map(|d| (d, TrafficDay::default())).collect();
    for entry in table.range((username, first)..=(username, last))? {
        let (key, value) = entry?;
        let day = key.value().1;
        if let Some(slot) = out.get_mut((day - first) as usize) {
            slot.1 = TrafficDay::decode(value.value())?;
        }
    }
    Ok(out)
}

/// Forgets a user's history (reset traffic, delete).
pub fn remove_user(table: &mut TrafficTable<'_>, username: &str) -> Result<(), StoreError> {
    table.retain_in((username, i32::MIN)..=(username, i32::MAX), |_, _| false)?;
    Ok(())
}
