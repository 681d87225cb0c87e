//! One helper for the admin changes that are not user records (hosts, settings, bans): the
//! change and its audit record in one durable transaction, off the async threads.

use super::error::ApiError;
use crate::actors::user_registry::Origin;
use crate::domain::now_unix;
use crate::store::audit::{self, AuditRecord};
use crate::store::tables::AUDIT;
use crate::store::{Store, StoreError};
use actix_web::web;
use redb::WriteTransaction;
use std::sync::Arc;

/// Runs `change` (which answers the audit detail) and appends `action` by `by` on `target`.
/// A change that answers `None` changed nothing (a save of the stored values): no audit row.
pub async fn write(
    store: Arc<Store>,
    by: Origin,
    action: &'static str,
    target: String,
    change: impl FnOnce(&WriteTransaction) -> Result<Option<String>, StoreError> + Send + 'static,
) -> Result<(), ApiError> {
    web::block(move || {
        store.write(|txn| -> Result<(), StoreError> {
            let Some(detail) = change(txn)? else { return Ok(()) };
            let rec =
                AuditRecord { at: now_unix(), who: by.who, ip: by.ip, action: action.into(), target, detail };
            audit::append(&mut txn.open_table(AUDIT)?, &rec)?;
            Ok(())
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Reads on the blocking pool.
pub async fn read<T: Send + 'static>(
    store: Arc<Store>,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(move || f(&store)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}
