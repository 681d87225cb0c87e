//! Moving a tunnel's bytes: one direction at a time, through the user's token bucket
//! (waiting when over the rate, never dropping), counted after each write. Buffers exist only
//! while data flows: every reader (plain TCP, or TLS with nothing decrypted and waiting) waits
//! for readability before one is allocated, so an idle tunnel holds no copy buffer. Between
//! two plain TCP sockets on Linux small writes are copied (cheaper than a pipe round trip)
//! and bulk goes through `splice` (see `splice.rs`), with this copy as the fallback.

use super::busy_poll::BusyPoll;
use super::meter::Meter;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::server::TlsStream;

pub const COPY_BUFFER_BYTES: usize = 16 * 1024;
/// What one plain read takes between two TCP sockets before a burst goes on through
/// `splice`: above an SSH interactive packet or a small echo, below a bulk burst.
pub const SMALL_READ_BYTES: usize = 2 * 1024;

/// A read half that can say "data is waiting" without a buffer.
pub trait ReadHalf: AsyncRead + Unpin + Send {
    fn ready(&self) -> impl Future<Output = io::Result<()>> + Send;
    /// The plain TCP socket underneath, if that is what this is (for `splice`).
    fn tcp(&self) -> Option<&TcpStream> {
        None
    }
}

/// A write half; plain TCP ones expose their socket (for `splice`).
pub trait WriteHalf: AsyncWrite + Unpin + Send {
    fn tcp(&self) -> Option<&TcpStream> {
        None
    }
}

impl ReadHalf for OwnedReadHalf {
    async fn ready(&self) -> io::Result<()> {
        self.readable().await
    }
    fn tcp(&self) -> Option<&TcpStream> {
        Some(self.as_ref())
    }
}

impl WriteHalf for OwnedWriteHalf {
    fn tcp(&self) -> Option<&TcpStream> {
        Some(self.as_ref())
    }
}

/// A TLS stream, or either half of one: the stream sits behind a lock, as with
/// `tokio::io::split`, but the read half can wait for data without a buffer. The session
/// takes the stream in this form from the start (a pointer, where `TlsStream` is 1.2 KiB),
/// since every async fn it passes through keeps its arguments for as long as it runs.
pub struct TlsHalf(Arc<Mutex<TlsStream<TcpStream>>>);

impl TlsHalf {
    pub fn new(stream: TlsStream<TcpStream>) -> Self {
        TlsHalf(Arc::new(Mutex::new(stream)))
    }

    fn stream(&self) -> MutexGuard<'_, TlsStream<TcpStream>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ReadHalf for TlsHalf {
    /// Ready when rustls holds decrypted bytes (or an end or error to report), else when
    /// the socket has bytes.
    async fn ready(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| {
            let mut stream = self.stream();
            let (tcp, tls) = stream.get_mut();
            match tls.process_new_packets() {
                Ok(state) if state.plaintext_bytes_to_read() == 0 && !state.peer_has_closed() => {
                    tcp.poll_read_ready(cx)
                }
                _ => Poll::Ready(Ok(())),
            }
        })
        .await
    }
}

impl WriteHalf for TlsHalf {}

impl AsyncRead for TlsHalf {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.stream()).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsHalf {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.stream()).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.stream()).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.stream()).poll_shutdown(cx)
    }
}

/// A client connection: plain TCP or TLS over TCP.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    type Read: ReadHalf + 'static;
    type Write: WriteHalf + 'static;
    fn into_halves(self) -> (Self::Read, Self::Write);
    /// Fixes the TCP socket's receive buffer (`SO_RCVBUF`, which ends autotuning).
    fn set_receive_buffer(&self, bytes: usize);
}

impl Stream for TcpStream {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;
    fn into_halves(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        self.into_split()
    }
    fn set_receive_buffer(&self, bytes: usize) {
        let _ = socket2::SockRef::from(self).set_recv_buffer_size(bytes);
    }
}

impl Stream for TlsHalf {
    type Read = TlsHalf;
    type Write = TlsHalf;
    fn into_halves(self) -> (TlsHalf, TlsHalf) {
        (TlsHalf(self.0.clone()), self)
    }
    fn set_receive_buffer(&self, bytes: usize) {
        let _ = socket2::SockRef::from(self.stream().get_ref().0).set_recv_buffer_size(bytes);
    }
}

/// Forwards until `src` ends, then half-closes `dst`. Returns the bytes moved.
///
/// Between two plain TCP sockets a burst starts with one read of at most
/// [`SMALL_READ_BYTES`] into a short-lived buffer and one write: most tunnel traffic is that
/// small (keystrokes, acks, an echo), and a short read tells tokio the socket is drained, so
/// it costs two syscalls where the pipe costs three (splice in, splice out, and the splice in
/// that finds nothing). Only a read that fills the buffer means more is waiting: the rest of
/// the burst goes through `splice`, and so do the following bursts for as long as each moves
/// more than a small read would (a bulk transfer then skips the copy entirely).
///
/// Small reads between plain TCP sockets open the tunnel's [`BusyPoll`] window (if the
/// node has one): the answer to a small message is read by polling, not after a wake-up.
pub async fn copy<R: ReadHalf, W: WriteHalf>(
    src: &mut R,
    dst: &mut W,
    meter: &Meter<'_>,
    busy: &BusyPoll,
) -> io::Result<u64> {
    let mut total = 0u64;
    let mut zero_copy = cfg!(target_os = "linux") && src.tcp().is_some() && dst.tcp().is_some();
    let mut bulk = false;
    loop {
        if !bulk {
            let size = if zero_copy { SMALL_READ_BYTES } else { COPY_BUFFER_BYTES };
            let (buf, n) = read_small(src, size, zero_copy.then_some(busy)).await?;
            if n == 0 {
                dst.shutdown().await?;
                return Ok(total);
            }
            meter.write_all(dst, &buf[..n]).await?;
            total += n as u64;
            bulk = zero_copy && n == size;
            if zero_copy && !bulk {
                busy.touch();
            }
        } else {
            src.ready().await?;
        }
        #[cfg(target_os = "linux")]
        if bulk && let (Some(from), Some(to)) = (src.tcp(), dst.tcp()) {
            match super::splice::forward(from, to, meter).await? {
                super::splice::Outcome::Eof(n) => {
                    dst.shutdown().await?;
                    return Ok(total + n);
                }
                super::splice::Outcome::Dry(n) => {
                    total += n;
                    bulk = n > SMALL_READ_BYTES as u64;
                }
                super::splice::Outcome::Unsupported(n) => {
                    total += n;
                    (zero_copy, bulk) = (false, false);
                }
            }
        }
    }
}

/// One read of at most `size` bytes into a fresh buffer, allocated only once data waits (an
/// idle tunnel's future holds none); plain TCP through `busy` (polling while its window is
/// open). Returns the buffer and the bytes read (0: the end).
async fn read_small<R: ReadHalf>(
    src: &mut R,
    size: usize,
    busy: Option<&BusyPoll>,
) -> io::Result<(Vec<u8>, usize)> {
    if let (Some(busy), Some(tcp)) = (busy, src.tcp()) {
        return busy.read(tcp, size).await;
    }
    src.ready().await?;
    let mut buf = vec![0u8; size];
    let n = src.read(&mut buf).await?;
    Ok((buf, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::ratelimit::TokenBucket;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;
    use std::time::Instant;
    use tokio::net::TcpListener;

    /// A connected loopback pair: (client end, server end).
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (client, listener.accept().await.unwrap().0)
    }

    fn noise(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// Sends `data` into a fresh pair, forwards it with `copy` into another, reads it out.
    /// Returns (bytes `copy` reported, bytes read at the far end, the meter's count, the
    /// bucket afterwards).
    async fn forward_through(data: Vec<u8>, bucket: TokenBucket) -> (u64, Vec<u8>, u64, TokenBucket) {
        let ((mut sender, near), (far, mut receiver)) = (pair().await, pair().await);
        let (bucket, counter) = (Mutex::new(bucket), AtomicU64::new(0));
        let meter = Meter::new(&bucket, &counter);
        let (mut src, _near_w) = near.into_split();
        let (_far_r, mut dst) = far.into_split();
        let send = async move {
            sender.write_all(&data).await.unwrap();
            sender.shutdown().await.unwrap();
            sender
        };
        let (mut got, no_polling) = (Vec::new(), BusyPoll::new(Duration::ZERO));
        let (copied, _, _) =
            tokio::join!(copy(&mut src, &mut dst, &meter, &no_polling), send, receiver.read_to_end(&mut got));
        (copied.unwrap(), got, counter.load(Ordering::Relaxed), bucket.into_inner().unwrap())
    }

    #[tokio::test]
    async fn tcp_to_tcp_moves_every_byte_in_order_counts_it_and_passes_the_end_on() {
        let data = noise(3 << 20);
        let unlimited = TokenBucket::new(0, Duration::from_secs(2), Instant::now());
        let (copied, got, counted, _) = forward_through(data.clone(), unlimited).await;
        assert!(got == data, "the far end got {} of {} bytes, or not in order", got.len(), data.len());
        assert_eq!((copied, counted), (data.len() as u64, data.len() as u64));
    }

    #[tokio::test]
    async fn tcp_to_tcp_waits_for_the_bucket_and_spends_exactly_what_it_moves() {
        let rate: u64 = 1 << 20;
        // Emptied at `start`, and never full again while the copy keeps draining it (the
        // burst is 500 ms), so by `end` it earned exactly rate × (end - start).
        let start = Instant::now();
        let mut bucket = TokenBucket::new(rate, Duration::from_millis(500), start);
        assert_eq!(bucket.take(usize::MAX, start), Ok((rate / 2) as usize));
        let data = noise(1 << 20);
        let (copied, got, counted, mut bucket) = forward_through(data.clone(), bucket).await;
        let end = Instant::now();
        let took = (end - start).as_secs_f64();
        let floor = data.len() as f64 / rate as f64;
        assert!(
            took >= floor * 0.95,
            "{} bytes at {rate} B/s took {took:.3} s, under {floor:.3} s",
            data.len()
        );
        assert!(got == data);
        assert_eq!((copied, counted), (data.len() as u64, data.len() as u64));
        let earned = (u128::from(rate) * (end - start).as_nanos() / 1_000_000_000) as u64;
        let left = bucket.take(usize::MAX, end).unwrap_or(0) as u64;
        let spent = earned - left;
        assert!(
            spent.abs_diff(data.len() as u64) <= 1,
            "the bucket was charged {spent} bytes for {} moved (earned {earned}, left {left})",
            data.len()
        );
    }
}
