//! `BackupScheduler`: scheduled backups of the store into `<data_dir>/backups` (see
//! `backup::schedule`). It looks every `check_every` (at most ten minutes) whether the newest
//! backup is older than the interval; the snapshot runs on the blocking pool, one at a time.

use crate::backup::schedule;
use crate::domain::now_unix;
use crate::store::Store;
use actix::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const MAX_CHECK_EVERY: Duration = Duration::from_secs(600);

pub struct BackupScheduler {
    store: Arc<Store>,
    data_dir: PathBuf,
    interval: Duration,
    keep: usize,
    busy: bool,
}

impl BackupScheduler {
    pub fn new(store: Arc<Store>, data_dir: PathBuf, interval: Duration, keep: usize) -> Self {
        BackupScheduler { store, data_dir, interval, keep, busy: false }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.busy {
            return;
        }
        self.busy = true;
        let (store, data_dir, interval, keep) =
            (self.store.clone(), self.data_dir.clone(), self.interval, self.keep);
        let work = actix_web::rt::task::spawn_blocking(move || {
            if !schedule::is_due(&schedule::dir_of(&data_dir), interval)? {
                return Ok(None);
            }
            schedule::run_once(&store, &data_dir, keep, now_unix()).map(Some)
        });
        work.into_actor(self)
            .map(|result, act, _| {
                act.busy = false;
                match result {
                    Ok(Ok(Some((path, bytes)))) => {
                        tracing::info!(event = "BACKUP_WRITTEN", path = %path.display(), bytes)
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => tracing::error!(event = "BACKUP_FAILED", error = %e),
                    Err(e) => tracing::error!(event = "BACKUP_FAILED", error = %e),
                }
            })
            .wait(ctx);
    }
}

impl Actor for BackupScheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.tick(ctx);
        ctx.run_interval(self.interval.min(MAX_CHECK_EVERY), |act, ctx| act.tick(ctx));
    }
}
