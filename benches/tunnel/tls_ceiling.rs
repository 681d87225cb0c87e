//! The TLS ceiling: a plain rustls relay, the least work a TLS-terminating relay can do with
//! the proxy's own TLS settings (`proxy::tls::acceptor`, same certificate). It runs on a
//! runtime of its own (as the proxy runs in its own process), answers any head with a 101
//! and then `copy_bidirectional` to the upstream with the proxy's 16 KiB buffers: no auth,
//! no metering, no limits, no logs. The proxy's TLS throughput is judged against it.

use std::net::SocketAddr;
use std::path::Path;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BUFFER_BYTES: usize = 16 * 1024;

/// Starts the relay on 127.0.0.1:0 on a two-worker runtime of its own; it serves until the
/// process exits.
pub fn start(upstream: SocketAddr, cert: &Path, key: &Path) -> SocketAddr {
    let acceptor = wss_panel::proxy::tls::acceptor(cert, key).expect("the rig's TLS files");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the TLS ceiling");
    let addr = listener.local_addr().expect("relay address");
    listener.set_nonblocking(true).expect("non-blocking listener");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        rt.expect("relay runtime").block_on(async move {
            let listener = TcpListener::from_std(listener).expect("listener");
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    if let Ok(tls) = acceptor.accept(client).await {
                        let _ = relay(tls, upstream).await;
                    }
                });
            }
        });
    });
    addr
}

async fn relay<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut client: S,
    upstream: SocketAddr,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(client.read_u8().await?);
    }
    let mut up = TcpStream::connect(upstream).await?;
    up.set_nodelay(true)?;
    client.write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n").await?;
    client.flush().await?;
    tokio::io::copy_bidirectional_with_sizes(&mut client, &mut up, BUFFER_BYTES, BUFFER_BYTES).await?;
    Ok(())
}
