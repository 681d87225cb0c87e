//! A tunnel direction's meter: the user's token bucket (waiting when over the rate, never
//! dropping) and byte counters, counted after each write. Shared by the copy path (`pipe.rs`)
//! and the zero-copy path (`splice.rs`).

use super::ratelimit::TokenBucket;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// One direction's limiter and counter (both belong to the user, shared by their tunnels).
pub struct Meter<'a> {
    pub bucket: &'a Mutex<TokenBucket>,
    pub counter: &'a AtomicU64,
    /// This tunnel's own total, for its `CONN_END` line.
    pub tunnel_total: AtomicU64,
}

impl<'a> Meter<'a> {
    pub fn new(bucket: &'a Mutex<TokenBucket>, counter: &'a AtomicU64) -> Self {
        Meter { bucket, counter, tunnel_total: AtomicU64::new(0) }
    }
}

impl Meter<'_> {
    /// Writes all of `data`, in grants of the token bucket, counting what was written.
    pub async fn write_all<W: AsyncWrite + Unpin>(&self, dst: &mut W, data: &[u8]) -> io::Result<()> {
        let mut off = 0;
        while off < data.len() {
            let grant = self.take(data.len() - off).await;
            dst.write_all(&data[off..off + grant]).await?;
            self.count(grant);
            off += grant;
        }
        Ok(())
    }

    /// Counts bytes that reached the destination.
    pub(super) fn count(&self, n: usize) {
        self.counter.fetch_add(n as u64, Ordering::AcqRel);
        self.tunnel_total.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Waits until the bucket grants a chunk (16 KiB, or all of a smaller `want`; at most
    /// `want`), and spends it.
    pub(super) async fn take(&self, want: usize) -> usize {
        loop {
            let verdict =
                self.bucket.lock().unwrap_or_else(|p| p.into_inner()).take_chunk(want, Instant::now());
            match verdict {
                Ok(granted) => return granted,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}
