//! `GET /api/backup`: a consistent snapshot of the store, streamed as a backup file
//! (`backup::file`). The snapshot is written to an unlinked temp file in the data dir first
//! (one read transaction, so writers never wait and the copy is one committed point), then
//! streamed from it with its length known.

use super::AppState;
use super::admin_auth::Admin;
use super::audit;
use super::error::ApiError;
use crate::backup::{file, stamp};
use crate::domain::now_unix;
use actix_web::{HttpResponse, web};

pub async fn download(Admin(by): Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    let dir = state.system.config.data_dir.clone();
    let now = now_unix();
    let (handle, size) = web::block(move || -> Result<(std::fs::File, u64), file::BackupError> {
        let path = file::temp_path(&dir, "download");
        let size = file::create(&store, &path, now)?;
        let handle = std::fs::File::open(&path);
        // Unlinked at once: the open handle keeps the bytes, nothing is left behind.
        std::fs::remove_file(&path)?;
        Ok((handle?, size))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    audit::record(&state, &by, "BACKUP_DOWNLOAD", "store", &format!("{size} bytes")).await?;
    tracing::info!(event = "BACKUP_DOWNLOAD", bytes = size);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(handle));
    Ok(HttpResponse::Ok()
        .content_type("application/octet-stream")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"wss-panel-{}.{}\"", stamp(now), file::EXTENSION),
        ))
        .no_chunking(size)
        .streaming(stream))
}
