//! The proxy's line to the panel: a WebSocket client on `/ipc` (tokio-tungstenite) that
//! sends one `StatsReport` a second and carries out the panel's commands. Reconnects with
//! back-off; traffic batches stay pending until acknowledged, so a panel restart neither
//! loses nor double-counts a byte. An enrolled node's account messages also go to its
//! [`AccountSpool`] for the node agent.

use super::account_spool::AccountSpool;
use super::state::NodeState;
use crate::config::PanelCredential;
use crate::pinned_tls::Fingerprint;
use crate::wire::{
    GuardStats, NODE_HEADER, NODE_NAME_HEADER, NODE_RELEASE_HEADER, NODE_SECRET_HEADER, NODE_STARTED_HEADER,
    NodeHealth, PROTOCOL_HEADER, PROTOCOL_VERSION, PanelToProxy, ProxyToPanel, SECRET_HEADER,
    protocol_compatible,
};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

pub const REPORT_INTERVAL: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long shutdown waits for the panel to acknowledge the last report.
const FINAL_ACK_WAIT: Duration = Duration::from_secs(2);

/// Why the line to the panel failed; each says which side it was.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    #[error(
        "Unauthorized: the panel refused this proxy's secret (internal_api_secret, or node_secret: revoked?)"
    )]
    Unauthorized,
    #[error(
        "the panel speaks /ipc protocol {panel}, this proxy {PROTOCOL_VERSION}: releases more than one apart; upgrade the older side"
    )]
    Incompatible { panel: String },
    #[error("TLS to the panel failed: {0}")]
    Tls(std::io::Error),
    #[error("{0} is not a valid header value")]
    BadHeader(&'static str),
    #[error("bad panel URL: {0}")]
    BadUrl(tungstenite::Error),
    #[error("connect timed out")]
    ConnectTimeout,
    #[error("panel unreachable: {0}")]
    Connect(tungstenite::Error),
    #[error("closed by the panel")]
    ClosedByPanel,
    #[error("connection to the panel failed: {0}")]
    Transport(#[from] tungstenite::Error),
    #[error("report could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The socket under the WebSocket: plain TCP (loopback) or TLS pinned to the panel.
pub trait PanelStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> PanelStream for T {}

type Ws = tokio_tungstenite::WebSocketStream<Box<dyn PanelStream>>;

/// Where the panel is and how this proxy proves itself to it.
pub struct PanelLink {
    /// `http://` (loopback) or `https://` (pinned to `pin`).
    pub url: String,
    pub credential: PanelCredential,
    pub pin: Option<Fingerprint>,
    /// Where the panel's account messages go (enrolled nodes); `None`: ignored.
    pub accounts: Option<Arc<AccountSpool>>,
}

/// What a report carries besides the node's counters: its [`GuardStats`] (the proxy's
/// admission caps and auth throttle) and its health (`proxy::health`).
pub type GuardSource = Arc<dyn Fn() -> (GuardStats, Option<NodeHealth>) + Send + Sync>;

/// Runs until `stop`; then sends a last report and waits briefly for its acknowledgement.
pub async fn run(node: Arc<NodeState>, guard: GuardSource, link: PanelLink, stop: CancellationToken) {
    let url = format!("{}/ipc", link.url.trim_end_matches('/').replacen("http", "ws", 1));
    let mut backoff = Duration::from_millis(500);
    while !stop.is_cancelled() {
        match connect(&url, &link, &node).await {
            Ok(ws) => {
                tracing::info!(event = "IPC_CONNECTED", %url);
                backoff = Duration::from_millis(500);
                if let Err(e) = session(ws, &node, link.accounts.as_deref(), &guard, &stop).await {
                    tracing::warn!(event = "IPC_WSC", "[IPC_WSC] connection lost: {e}");
                }
            }
            Err(e @ IpcError::Incompatible { .. }) => {
                tracing::error!(event = "NODE_REFUSED", %url, "{e}")
            }
            Err(e) => tracing::warn!(event = "IPC_WSC", "[IPC_WSC] {url}: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.cancelled() => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn connect(url: &str, link: &PanelLink, node: &NodeState) -> Result<Ws, IpcError> {
    let mut request = url.into_client_request().map_err(IpcError::BadUrl)?;
    let headers = request.headers_mut();
    let value = |v: &str, what| v.parse().map_err(|_| IpcError::BadHeader(what));
    match &link.credential {
        PanelCredential::Internal(secret) => {
            headers.insert(SECRET_HEADER, value(secret, "internal secret")?);
        }
        PanelCredential::Node { name, secret } => {
            headers.insert(NODE_NAME_HEADER, value(name, "node name")?);
            headers.insert(NODE_SECRET_HEADER, value(secret, "node secret")?);
        }
    }
    headers.insert(NODE_HEADER, value(&node.node_id, "node id")?);
    headers.insert(PROTOCOL_HEADER, PROTOCOL_VERSION.into());
    headers.insert(NODE_RELEASE_HEADER, value(env!("CARGO_PKG_VERSION"), "release")?);
    headers.insert(NODE_STARTED_HEADER, node.started_unix.into());
    let connecting = async {
        let stream = open_stream(&request, link.pin).await?;
        let panel_version = |headers: &tungstenite::http::HeaderMap| {
            headers.get(PROTOCOL_HEADER).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        match tokio_tungstenite::client_async(request, stream).await {
            Ok((ws, answer)) => match panel_version(answer.headers()) {
                // A panel from before the hello sends none: one version apart by definition.
                None => Ok(ws),
                Some(v) if v.trim().parse().is_ok_and(protocol_compatible) => Ok(ws),
                Some(panel) => Err(IpcError::Incompatible { panel }),
            },
            Err(tungstenite::Error::Http(r)) if r.status() == 401 => Err(IpcError::Unauthorized),
            Err(tungstenite::Error::Http(r)) if r.status() == 426 => Err(IpcError::Incompatible {
                panel: panel_version(r.headers()).unwrap_or_else(|| "?".into()),
            }),
            Err(e) => Err(IpcError::Connect(e)),
        }
    };
    tokio::time::timeout(Duration::from_secs(5), connecting).await.unwrap_or(Err(IpcError::ConnectTimeout))
}

/// TCP to the panel, then TLS pinned to `pin` for `wss://` (no pin: no TLS, refused).
async fn open_stream(
    request: &tungstenite::handshake::client::Request,
    pin: Option<Fingerprint>,
) -> Result<Box<dyn PanelStream>, IpcError> {
    let uri = request.uri();
    let host = uri.host().unwrap_or_default().to_owned();
    let tls = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|e| IpcError::Connect(e.into()))?;
    tcp.set_nodelay(true).map_err(|e| IpcError::Connect(e.into()))?;
    if !tls {
        return Ok(Box::new(tcp));
    }
    let pin = pin.ok_or_else(|| IpcError::Tls(std::io::Error::other("wss:// without panel_cert_sha256")))?;
    let name = crate::pinned_tls::server_name(&host).map_err(|e| IpcError::Tls(std::io::Error::other(e)))?;
    let connector = tokio_rustls::TlsConnector::from(crate::pinned_tls::client_config(pin));
    Ok(Box::new(connector.connect(name, tcp).await.map_err(IpcError::Tls)?))
}

/// One connected session: report every second, apply commands as they come.
async fn session(
    ws: Ws,
    node: &NodeState,
    spool: Option<&AccountSpool>,
    guard: &GuardSource,
    stop: &CancellationToken,
) -> Result<(), IpcError> {
    let (mut sink, mut stream) = ws.split();
    let mut ticker = tokio::time::interval(REPORT_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => send_report(&mut sink, node, guard).await?,
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => apply(node, spool, &text),
                Some(Ok(Message::Close(_))) | None => return Err(IpcError::ClosedByPanel),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
            },
            _ = stop.cancelled() => {
                send_report(&mut sink, node, guard).await?;
                let deadline = Instant::now() + FINAL_ACK_WAIT;
                while node.has_pending_batches() && Instant::now() < deadline {
                    match tokio::time::timeout_at(deadline.into(), stream.next()).await {
                        Ok(Some(Ok(Message::Text(text)))) => apply(node, spool, &text),
                        Ok(Some(Ok(_))) => {}
                        _ => break,
                    }
                }
                let _ = sink.send(Message::Close(None)).await;
                return Ok(());
            }
        }
    }
}

async fn send_report<S>(sink: &mut S, node: &NodeState, guard: &GuardSource) -> Result<(), IpcError>
where
    S: futures_util::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let mut report = node.tick(Instant::now());
    (report.guard, report.health) = guard();
    let text = serde_json::to_string(&ProxyToPanel::StatsUpdate(report))?;
    Ok(sink.send(Message::Text(text.into())).await?)
}

fn apply(node: &NodeState, spool: Option<&AccountSpool>, text: &str) {
    match serde_json::from_str::<PanelToProxy>(text) {
        Ok(command) => {
            match &command {
                PanelToProxy::Ack { .. } => {}
                PanelToProxy::Reconcile { accounts } => {
                    tracing::info!(event = "IPC_COMMAND", action = "reconcile", accounts = accounts.len())
                }
                _ => tracing::info!(event = "IPC_COMMAND", ?command),
            }
            if let Some(spool) = spool {
                spool.apply(&command);
            }
            node.apply(command);
        }
        Err(e) => tracing::warn!(event = "IPC_BAD_MESSAGE", error = %e),
    }
}
