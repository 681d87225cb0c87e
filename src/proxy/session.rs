//! One client connection, start to end: `handshake → auth → limits → upstream → 101 →
//! tunnel → close`. The pure parts live in `handshake`, `ratelimit` and `state`; this file
//! does the reads, writes and timeouts, and logs one line per event.
//!
//! The 101 is sent after the upstream connect succeeds, so that an sshd that refuses gets
//! the client a `502` instead of a dead tunnel. Bytes the client sent with or after the
//! upgrade head are kept and reach sshd first, in order.
//!
//! Until it has authenticated, a connection holds an admission [`Ticket`]: the pre-auth
//! phase ends early if the ticket is shed to make room for a newer connection.
//!
//! Every way it ends badly is a [`SessionError`] naming the side that failed ([`Side`]),
//! which sets the level of its `CONN_CLOSED` line and the `side` field of `CONN_END`.

use super::admission::Ticket;
use super::auth::{authorize, credentials};
use super::busy_poll::BusyPoll;
pub use super::context::Proxy;
use super::handshake::{Handshake, Head, Status, Step, strip_post_upgrade_request};
use super::meter::Meter;
use super::outcome::{SessionError, Side};
use super::pipe::{ReadHalf, Stream, copy};
use super::state::HostVerdict;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::Instrument;

const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const KEEPALIVE_IDLE: Duration = Duration::from_secs(60);

const RESPONSE_200: &[u8] = b"HTTP/1.1 200 OK\r\n\r\n";
const RESPONSE_101: &[u8] =
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

/// Serves one accepted connection; never panics, logs how it ended. The pre-101 phase
/// (request heads and auth) ends at `deadline`, set at accept.
pub async fn serve<S: Stream>(
    proxy: Arc<Proxy>,
    client: S,
    peer: SocketAddr,
    ticket: Ticket,
    deadline: tokio::time::Instant,
) {
    let span = tracing::info_span!("conn", %peer, user = tracing::field::Empty);
    async move {
        // Each phase in an allocation of its own size that ends with it: an idle tunnel
        // holds what the relay needs, not room for the handshake, the head and the auth call.
        let relay = match Box::pin(open(&proxy, client, peer, ticket, deadline)).await {
            Ok(opened) => Box::pin(relay(&proxy, opened)),
            Err(e) => return e.log(),
        };
        if let Err(e) = relay.await {
            e.log();
        }
    }
    .instrument(span)
    .await
}

/// An authorized tunnel whose `101` has been sent: what the relay phase takes over.
struct Opened<S> {
    client: S,
    upstream: TcpStream,
    /// Bytes the client sent after its upgrade head.
    rest: Vec<u8>,
    entry: Arc<super::state::UserEntry>,
    guard: super::state::TunnelGuard,
}

/// Up to the `101`: heads, auth, limits, the upstream connect.
async fn open<S: Stream>(
    proxy: &Proxy,
    mut client: S,
    peer: SocketAddr,
    ticket: Ticket,
    deadline: tokio::time::Instant,
) -> Result<Opened<S>, SessionError> {
    let shed = ticket.shed_signal();
    let pre_auth = tokio::time::timeout_at(deadline, pre_auth(proxy, &mut client, peer));
    let authorized = tokio::select! {
        r = pre_auth => r.map_err(|_| SessionError::client("no upgrade request before the deadline"))?,
        _ = shed.cancelled() => {
            tracing::debug!(event = "PREAUTH_SHED");
            return Err(SessionError::Failed {
                side: Side::Limit,
                what: "shed: too many unauthenticated connections".into(),
            });
        }
    };
    let (user, limits, elsewhere, rest) = match authorized {
        Ok(a) => a,
        Err(Refusal::Status(status)) => return Err(refuse(&mut client, status).await),
        Err(Refusal::Session(e)) => return Err(e),
    };
    // Authenticated: the slot goes to the next unauthenticated connection.
    drop(ticket);
    let entry = proxy.node.user(&user, limits);
    let guard = match proxy.node.open_tunnel(&entry, peer.ip().to_string(), elsewhere) {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(event = "REJECTED_CONCURRENCY", live = e.live, max = e.max);
            return Err(refuse(&mut client, "429 Too Many Connections").await);
        }
    };
    let upstream = match connect_upstream(proxy.upstream).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(event = "UPSTREAM_REFUSED", port = proxy.upstream.port(), error = %e);
            return Err(refuse(&mut client, "502 Bad Gateway").await);
        }
    };
    if limits.rate_kbps > 0 {
        let bytes = receive_buffer_for(limits.rate_kbps);
        client.set_receive_buffer(bytes);
        let _ = socket2::SockRef::from(&upstream).set_recv_buffer_size(bytes);
    }
    client.write_all(RESPONSE_101).await.map_err(client_err)?;
    tracing::info!(event = "CONN_START");
    Ok(Opened { client, upstream, rest, entry, guard })
}

/// From the `101` to the end: relays both ways, then logs the totals.
async fn relay<S: Stream>(proxy: &Proxy, opened: Opened<S>) -> Result<(), SessionError> {
    let Opened { client, upstream, rest, entry, guard } = opened;
    let started = Instant::now();
    let up = Meter::new(&entry.up, &entry.bytes_up);
    let down = Meter::new(&entry.down, &entry.bytes_down);
    let busy = BusyPoll::new(proxy.busy_poll);
    let result =
        tunnel(client, upstream, rest, (&up, &down, &busy), entry.kick_token(), proxy.upstream).await;
    tracing::info!(
        event = "CONN_END",
        up = up.tunnel_total.load(Ordering::Relaxed),
        down = down.tunnel_total.load(Ordering::Relaxed),
        secs = started.elapsed().as_secs(),
        how = result.as_ref().map_or_else(|e| e.to_string(), |end| end.to_string()),
        side = result.as_ref().err().map(|e| e.side().as_str()),
    );
    drop(guard);
    result.map(|_| ())
}

/// How the pre-auth phase ended without a tunnel.
enum Refusal {
    /// Answer with this status line, then close.
    Status(&'static str),
    Session(SessionError),
}

/// Reads the heads and authenticates: (user, limits, tunnels elsewhere, bytes after the head).
async fn pre_auth<S: Stream>(
    proxy: &Proxy,
    client: &mut S,
    peer: SocketAddr,
) -> Result<(String, crate::wire::UserLimits, u32, Vec<u8>), Refusal> {
    let (head, rest) = read_upgrade(client, proxy.max_header_lines).await.map_err(Refusal::Session)?;
    let host = head.host();
    match host_verdict(proxy, host.as_deref()).await {
        HostVerdict::Allowed => {}
        HostVerdict::Rejected => {
            tracing::warn!(event = "REJECTED_HOST", host = host.as_deref().unwrap_or(""));
            return Err(Refusal::Status("403 Forbidden"));
        }
        HostVerdict::Unknown => {
            tracing::warn!(event = "HOSTS_UNKNOWN", host = host.as_deref().unwrap_or(""));
            return Err(Refusal::Status("503 Service Unavailable"));
        }
    }
    let (user, password) = credentials(&head).map_err(Refusal::Status)?;
    // The head is not needed again; a tunnel may live for days.
    drop(head);
    // `&str` fields are recorded escaped (Debug), whatever the client put in the name.
    tracing::Span::current().record("user", user.as_str());
    let (limits, elsewhere) =
        authorize(proxy, peer.ip(), &user, password.as_deref()).await.map_err(Refusal::Status)?;
    Ok((user, limits, elsewhere, rest))
}

/// How long a handshake waits for the panel's first Host list after the proxy started.
const FIRST_HOSTS_WAIT: Duration = Duration::from_secs(3);

/// The whitelist's verdict, waiting up to `FIRST_HOSTS_WAIT` while the list is still unknown.
async fn host_verdict(proxy: &Proxy, host: Option<&str>) -> HostVerdict {
    let deadline = tokio::time::Instant::now() + FIRST_HOSTS_WAIT;
    loop {
        let verdict = proxy.node.host_verdict(host);
        if verdict != HostVerdict::Unknown || tokio::time::Instant::now() >= deadline {
            return verdict;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn client_err(e: std::io::Error) -> SessionError {
    SessionError::client(e.to_string())
}

/// Answers dummy heads with 200 until the upgrade head; returns it and the bytes after it.
async fn read_upgrade<S: Stream>(
    client: &mut S,
    max_header_lines: usize,
) -> Result<(Head, Vec<u8>), SessionError> {
    let mut hs = Handshake::with_max_header_lines(max_header_lines);
    let mut buf = vec![0u8; 4096];
    loop {
        match hs.next() {
            Ok(Step::NeedMore) => {
                let n = client.read(&mut buf).await.map_err(client_err)?;
                if n == 0 {
                    return Err(SessionError::client("closed during the handshake"));
                }
                hs.feed(&buf[..n]);
            }
            Ok(Step::Dummy(_)) => client.write_all(RESPONSE_200).await.map_err(client_err)?,
            Ok(Step::Upgrade(head)) => return Ok((head, hs.take_rest())),
            Err(e) => {
                // A client fault, but kept at info: it is the one line an operator gets when
                // an app's payload is wrong, and `CONN_CLOSED` stays silent for refusals.
                tracing::info!(event = "BAD_HANDSHAKE", side = Side::Client.as_str(), error = %e);
                let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
                return Err(SessionError::Refused { status: "400 Bad Request" });
            }
        }
    }
}

/// Answers `status` and closes; the refusal, for the caller to return.
async fn refuse<S: Stream>(client: &mut S, status: &'static str) -> SessionError {
    let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = client.write_all(response.as_bytes()).await;
    let _ = client.shutdown().await;
    SessionError::Refused { status }
}

async fn connect_upstream(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = tokio::time::timeout(UPSTREAM_CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    // On loopback (sshd on this host, the usual case) a dead peer is reported by the kernel at
    // once; keepalive matters only for an sshd across a network (three syscalls per tunnel).
    if !addr.ip().is_loopback() {
        set_keepalive(&stream);
    }
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// TCP keepalive so that dead peers do not pin tunnels (and their slots) forever.
pub fn set_keepalive(stream: &TcpStream) {
    let sock = socket2::SockRef::from(stream);
    let ka = socket2::TcpKeepalive::new().with_time(KEEPALIVE_IDLE).with_interval(Duration::from_secs(10));
    let _ = sock.set_tcp_keepalive(&ka);
}

/// The receive buffer of a rate-limited tunnel's sockets: one second at its rate, within
/// 64 KiB..4 MiB (`net.core.rmem_max`). Left to autotuning, a socket whose reader the token
/// bucket holds back grows to `tcp_rmem`'s maximum (32 MiB on current kernels; measured
/// 20-23 MiB per tunnel at 1 MiB/s): kernel memory per tunnel, and half a minute of stale
/// bytes still trickling through after the client stopped. One second of the rate still fills
/// any path with a round trip under a second.
fn receive_buffer_for(rate_kbps: u32) -> usize {
    (rate_kbps as usize * 1024).clamp(64 * 1024, 4 * 1024 * 1024)
}

/// How a tunnel ended.
#[derive(Debug)]
enum End {
    Closed,
    Kicked,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            End::Closed => "closed",
            End::Kicked => "kicked",
        })
    }
}

/// Pipes both ways until both sides are done, a side fails, or the user is kicked.
async fn tunnel<S: Stream>(
    client: S,
    upstream: TcpStream,
    rest: Vec<u8>,
    (up, down, busy): (&Meter<'_>, &Meter<'_>, &BusyPoll),
    kick: tokio_util::sync::CancellationToken,
    upstream_addr: SocketAddr,
) -> Result<End, SessionError> {
    let (mut cr, mut cw) = client.into_halves();
    let (mut ur, mut uw) = upstream.into_split();
    let upward = async {
        let first = eat_extra_request(&mut cr, rest).await?;
        up.write_all(&mut uw, &first).await?;
        drop(first); // not held for the life of the tunnel
        copy(&mut cr, &mut uw, up, busy).await
    };
    let downward = copy(&mut ur, &mut cw, down, busy);
    tokio::select! {
        result = async { tokio::try_join!(upward, downward) } => result
            .map(|_| End::Closed)
            // Mostly a client dropping its connection; sshd failures show up at connect.
            .map_err(|e| SessionError::client(format!("tunnel to {upstream_addr}: {e}"))),
        _ = kick.cancelled() => Ok(End::Kicked),
    }
}

/// How long undecided bytes after the 101 wait for the rest of a possible HTTP request line
/// before they go to sshd as they are (a client that sends a few bytes and waits).
const EAT_WAIT: Duration = Duration::from_millis(500);

/// After the 101 some apps send one more HTTP request before SSH: drop it, keep the rest.
async fn eat_extra_request<R: ReadHalf>(cr: &mut R, mut buf: Vec<u8>) -> std::io::Result<Vec<u8>> {
    loop {
        match strip_post_upgrade_request(&buf) {
            Ok(Status::Complete(n)) => {
                buf.drain(..n);
                return Ok(buf);
            }
            Err(_) => return Ok(buf),
            Ok(Status::Partial) => {
                let mut more = vec![0u8; 4096];
                let n = if buf.is_empty() {
                    cr.read(&mut more).await?
                } else {
                    match tokio::time::timeout(EAT_WAIT, cr.read(&mut more)).await {
                        Ok(read) => read?,
                        Err(_) => return Ok(buf),
                    }
                };
                if n == 0 {
                    return Ok(buf);
                }
                buf.extend_from_slice(&more[..n]);
            }
        }
    }
}
