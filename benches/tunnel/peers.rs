//! Both ends of the traffic, on 127.0.0.1: the upstream ("sshd") that the proxy forwards
//! to and that direct runs connect to, and the client side (direct TCP or a tunnel).
//!
//! The upstream reads one mode byte per connection: `S` sinks everything and, at EOF,
//! answers with the byte count (u64, little endian); `E` echoes. Direct and tunnelled runs
//! speak the same protocol, so their ratio is the cost of the proxy.

use base64::Engine;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub const SINK: u8 = b'S';
pub const ECHO: u8 = b'E';
const CHUNK_BYTES: usize = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts the upstream on 127.0.0.1:0; it serves until the runtime stops.
pub async fn start_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
    let addr = listener.local_addr().expect("upstream address");
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve_upstream(stream));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    });
    addr
}

async fn serve_upstream(mut s: TcpStream) -> io::Result<()> {
    let _ = s.set_nodelay(true);
    match s.read_u8().await? {
        SINK => {
            let mut buf = vec![0u8; CHUNK_BYTES];
            let mut total = 0u64;
            loop {
                match s.read(&mut buf).await? {
                    0 => break,
                    n => total += n as u64,
                }
            }
            s.write_all(&total.to_le_bytes()).await
        }
        _ => {
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf).await? {
                    0 => return Ok(()),
                    n => s.write_all(&buf[..n]).await?,
                }
            }
        }
    }
}

/// Where a client connection goes.
#[derive(Clone, Copy)]
pub enum Route {
    Direct(SocketAddr),
    Tunnel(SocketAddr),
    /// A tunnel through a TLS port (the proxy's or the rustls ceiling's), trusting the
    /// connector in [`TLS`]; pushes only.
    Tls(SocketAddr),
}

/// The TLS client for [`Route::Tls`], set once by `main`.
pub static TLS: std::sync::OnceLock<TlsConnector> = std::sync::OnceLock::new();

fn upgrade_head() -> String {
    upgrade_head_as(crate::rig::USER, crate::rig::PASSWORD)
}

fn upgrade_head_as(user: &str, password: &str) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!(
        "GET / HTTP/1.1\r\nHost: bench.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nProxy-Authorization: Basic {basic}\r\n\r\n"
    )
}

/// Connects; for a tunnel, sends the upgrade head and reads the whole `101` answer.
pub async fn open(route: Route) -> io::Result<TcpStream> {
    let (addr, tunnel) = match route {
        Route::Direct(a) => (a, false),
        Route::Tunnel(a) => (a, true),
        Route::Tls(_) => unreachable!("TLS routes carry pushes only"),
    };
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    if tunnel {
        upgrade(&mut s).await?;
    }
    Ok(s)
}

/// Sends the upgrade head and reads the whole answer, which must be a `101`.
async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> io::Result<()> {
    s.write_all(upgrade_head().as_bytes()).await?;
    s.flush().await?;
    let head = tokio::time::timeout(IO_TIMEOUT, read_head(s))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to the upgrade"))??;
    if !head.starts_with(b"HTTP/1.1 101") {
        let text = String::from_utf8_lossy(&head).into_owned();
        return Err(io::Error::other(format!("upgrade refused: {text}")));
    }
    Ok(())
}

/// A tunnel through the TLS port, trusting the rig's self-signed certificate, after one
/// small round trip (like [`open_warm`]).
pub async fn open_warm_tls(addr: SocketAddr, tls: &TlsConnector) -> io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("a DNS name");
    let mut s = tls.connect(name, tcp).await?;
    upgrade(&mut s).await?;
    s.write_all(&[ECHO]).await?;
    s.write_all(b"SSH-2.0-bench\r\n").await?;
    s.flush().await?;
    let mut back = [0u8; 15];
    tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut back))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no echo"))??;
    Ok(s)
}

/// A TLS client that trusts exactly the certificate in `cert_pem`.
pub fn tls_connector(cert_pem: &std::path::Path) -> TlsConnector {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert_pem).expect("cert file") {
        roots.add(cert.expect("cert")).expect("trust the cert");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(std::sync::Arc::new(config))
}

/// The proxy sends nothing after the 101 until the client speaks, so whole reads are safe.
async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(128);
    let mut buf = [0u8; 256];
    while !head.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(head)
}

/// Opens a connection in sink mode, writes for `length`, half-closes and waits for the
/// sink's count. Returns the bytes the sink received and when it had them all.
pub async fn push(route: Route, length: Duration) -> io::Result<(u64, Instant)> {
    match route {
        Route::Tls(addr) => {
            let tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("a DNS name");
            let mut s = TLS.get().expect("TLS connector set").connect(name, tcp).await?;
            upgrade(&mut s).await?;
            push_stream(s, length).await
        }
        _ => push_stream(open(route).await?, length).await,
    }
}

async fn push_stream<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    length: Duration,
) -> io::Result<(u64, Instant)> {
    s.write_all(&[SINK]).await?;
    let chunk = vec![0x5au8; CHUNK_BYTES];
    let deadline = Instant::now() + length;
    while Instant::now() < deadline {
        s.write_all(&chunk).await?;
    }
    s.shutdown().await?;
    let mut count = [0u8; 8];
    tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut count))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no count from the sink"))??;
    Ok((u64::from_le_bytes(count), Instant::now()))
}

/// A tunnel for `user` in sink mode: what it writes is counted by the upstream.
pub async fn open_sink_as(proxy: SocketAddr, user: &str, password: &str) -> io::Result<TcpStream> {
    let mut s = TcpStream::connect(proxy).await?;
    s.set_nodelay(true)?;
    s.write_all(upgrade_head_as(user, password).as_bytes()).await?;
    let head = tokio::time::timeout(IO_TIMEOUT, read_head(&mut s))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to the upgrade"))??;
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(io::Error::other(format!("upgrade refused: {}", String::from_utf8_lossy(&head))));
    }
    s.write_all(&[SINK]).await?;
    Ok(s)
}

/// Writes to a sink connection for `length`, half-closes, and returns the sink's count and
/// how long from the first write until the sink had it all (bytes still buffered in the
/// sockets at the deadline cross the proxy after it, at the same pace).
pub async fn push_on(mut s: TcpStream, length: Duration) -> io::Result<(u64, Duration)> {
    let start = Instant::now();
    let chunk = vec![0x5au8; CHUNK_BYTES];
    let deadline = Instant::now() + length;
    while Instant::now() < deadline {
        match tokio::time::timeout_at(deadline.into(), s.write_all(&chunk)).await {
            Ok(r) => r?,
            Err(_) => break,
        }
    }
    s.shutdown().await?;
    let mut count = [0u8; 8];
    tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut count))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no count from the sink"))??;
    Ok((u64::from_le_bytes(count), start.elapsed()))
}

/// Opens an echo connection and does one small round trip, so bytes have crossed both ways.
pub async fn open_warm(route: Route) -> io::Result<TcpStream> {
    let mut s = open(route).await?;
    s.write_all(&[ECHO]).await?;
    s.write_all(b"SSH-2.0-bench\r\n").await?;
    let mut back = [0u8; 15];
    tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut back))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no echo"))??;
    Ok(s)
}

/// `rounds` timed 64-byte round trips on an open echo connection (after `warmup` untimed),
/// with blocking calls on this thread so that no client-side scheduler adds to the time.
pub fn ping(s: &mut std::net::TcpStream, warmup: usize, rounds: usize) -> io::Result<Vec<Duration>> {
    use std::io::{Read, Write};
    s.set_nonblocking(false)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    let msg = [0xa5u8; 64];
    let mut back = [0u8; 64];
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..warmup + rounds {
        let t = Instant::now();
        s.write_all(&msg)?;
        s.read_exact(&mut back)?;
        if i >= warmup {
            samples.push(t.elapsed());
        }
    }
    Ok(samples)
}
