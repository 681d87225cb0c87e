//! Accept loops for the plain and the TLS port. The loops only accept and spawn: the TLS
//! handshake runs inside the connection's task, so a slow client never stalls the loop.
//! A connection is admitted (per-address and global caps on unauthenticated connections)
//! before anything is read from it; one over its address's cap is closed at once.

use super::session::{self, HANDSHAKE_TIMEOUT, Proxy};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Accepts until `stop` is cancelled; every connection is tracked for the drain at shutdown.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    proxy: Arc<Proxy>,
    tasks: TaskTracker,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.cancelled() => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(event = "ACCEPT_FAILED", error = %e);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let ticket = match proxy.admission.admit(peer.ip()) {
            Ok(t) => t,
            Err(over) => {
                // Debug only: a flood of these must not flood the journal; the count is in
                // the PREAUTH_STATS line.
                tracing::debug!(event = "PREAUTH_REFUSED", %peer, limit = over.limit);
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        session::set_keepalive(&stream);
        let proxy = proxy.clone();
        match tls.clone() {
            None => tasks.spawn(session::serve(proxy, stream, peer, ticket)),
            Some(acceptor) => tasks.spawn(async move {
                let shed = ticket.shed_signal();
                let accepting = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                let accepted = tokio::select! {
                    a = accepting => a,
                    _ = shed.cancelled() => return,
                };
                match accepted {
                    Ok(Ok(tls_stream)) => session::serve(proxy, tls_stream, peer, ticket).await,
                    Ok(Err(e)) => {
                        tracing::debug!(event = "TLS_HANDSHAKE_FAILED", %peer, error = %e)
                    }
                    Err(_) => tracing::debug!(event = "TLS_HANDSHAKE_TIMEOUT", %peer),
                }
            }),
        };
    }
}
