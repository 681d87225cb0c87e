//! Moving a tunnel's bytes: one direction at a time, through the user's token bucket
//! (waiting when over the rate, never dropping), counted after each write. Buffers exist only
//! while data flows: a plain TCP reader waits for readability before one is allocated, so an
//! idle tunnel holds no copy buffer.

use super::ratelimit::TokenBucket;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub const COPY_BUFFER_BYTES: usize = 16 * 1024;

/// A read half that can say "data is waiting" without a buffer.
pub trait ReadHalf: AsyncRead + Unpin + Send {
    fn ready(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl ReadHalf for OwnedReadHalf {
    async fn ready(&self) -> io::Result<()> {
        self.readable().await
    }
}

impl<T: AsyncRead + Send + Sync> ReadHalf for tokio::io::ReadHalf<T> {
    /// TLS keeps its own buffers; readiness is found by reading.
    async fn ready(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A client connection: plain TCP or TLS over TCP.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    type Read: ReadHalf + 'static;
    type Write: AsyncWrite + Unpin + Send + 'static;
    fn into_halves(self) -> (Self::Read, Self::Write);
}

impl Stream for TcpStream {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;
    fn into_halves(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        self.into_split()
    }
}

impl Stream for tokio_rustls::server::TlsStream<TcpStream> {
    type Read = tokio::io::ReadHalf<Self>;
    type Write = tokio::io::WriteHalf<Self>;
    fn into_halves(self) -> (Self::Read, Self::Write) {
        tokio::io::split(self)
    }
}

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
            self.counter.fetch_add(grant as u64, Ordering::AcqRel);
            self.tunnel_total.fetch_add(grant as u64, Ordering::Relaxed);
            off += grant;
        }
        Ok(())
    }

    /// Waits until the bucket grants at least one byte of `want`.
    async fn take(&self, want: usize) -> usize {
        loop {
            let verdict = self.bucket.lock().unwrap_or_else(|p| p.into_inner()).take(want, Instant::now());
            match verdict {
                Ok(granted) => return granted,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

/// Copies until `src` ends, then half-closes `dst`. Returns the bytes copied.
pub async fn copy<R: ReadHalf, W: AsyncWrite + Unpin>(
    src: &mut R,
    dst: &mut W,
    meter: &Meter<'_>,
) -> io::Result<u64> {
    let mut total = 0u64;
    loop {
        src.ready().await?;
        let mut buf = vec![0u8; COPY_BUFFER_BYTES];
        let n = src.read(&mut buf).await?;
        if n == 0 {
            dst.shutdown().await?;
            return Ok(total);
        }
        meter.write_all(dst, &buf[..n]).await?;
        total += n as u64;
    }
}
