//! Accept loops for the plain and the TLS port. The loops only accept and spawn: the TLS
//! handshake runs inside the connection's task, so a slow client never stalls the loop.
//! A connection is admitted (per-address and global caps on unauthenticated connections)
//! before anything is read from it; one over its address's cap is closed at once.
//! Connections are capped below the fd limit (`connection_slots` in the proxy module), so that running
//! out of fds means waiting for a slot, not failing `accept` in a backoff loop.
//! Its handshake deadline starts at accept and covers the TLS handshake too: a client
//! cannot buy a second deadline by finishing TLS just before the first runs out.

use super::session::{self, Proxy};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Accepts until `stop` is cancelled; every connection is tracked for the drain at shutdown.
/// Each holds one of `slots` (shared by both ports) until it ends: with none free the loop
/// waits, the kernel queues new connections, and accepting resumes the moment one ends.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    proxy: Arc<Proxy>,
    tasks: TaskTracker,
    slots: Arc<Semaphore>,
    stop: CancellationToken,
) {
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => return,
            },
            _ = stop.cancelled() => return,
        };
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
        let deadline = tokio::time::Instant::now() + proxy.handshake_timeout;
        let _ = stream.set_nodelay(true);
        session::set_keepalive(&stream);
        let proxy = proxy.clone();
        match tls.clone() {
            None => tasks.spawn(async move {
                session::serve(proxy, stream, peer, ticket, deadline).await;
                drop(slot);
            }),
            Some(acceptor) => tasks.spawn(async move {
                let _slot = slot;
                let shed = ticket.shed_signal();
                // Boxed: its state (a whole TlsStream) is freed with the handshake instead of
                // sizing this task for the life of the tunnel.
                let accepting = Box::pin(tokio::time::timeout_at(deadline, acceptor.accept(stream)));
                let accepted = tokio::select! {
                    a = accepting => a,
                    _ = shed.cancelled() => return,
                };
                match accepted {
                    Ok(Ok(tls_stream)) => {
                        let client = super::pipe::TlsHalf::new(tls_stream);
                        session::serve(proxy, client, peer, ticket, deadline).await
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(event = "TLS_HANDSHAKE_FAILED", %peer, error = %e)
                    }
                    Err(_) => tracing::debug!(event = "TLS_HANDSHAKE_TIMEOUT", %peer),
                }
            }),
        };
    }
}
