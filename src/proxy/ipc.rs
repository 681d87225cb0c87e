//! The proxy's line to the panel: a WebSocket client on `/ipc` (tokio-tungstenite) that
//! sends one `StatsReport` a second and carries out the panel's commands. Reconnects with
//! back-off; traffic batches stay pending until acknowledged, so a panel restart neither
//! loses nor double-counts a byte.

use super::state::NodeState;
use crate::wire::{GuardStats, NODE_HEADER, PanelToProxy, ProxyToPanel, SECRET_HEADER};
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
    #[error("Unauthorized: the panel refused the internal secret")]
    Unauthorized,
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

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Where a report's [`GuardStats`] come from (the proxy's admission caps and auth throttle).
pub type GuardSource = Arc<dyn Fn() -> GuardStats + Send + Sync>;

/// Runs until `stop`; then sends a last report and waits briefly for its acknowledgement.
pub async fn run(
    node: Arc<NodeState>,
    guard: GuardSource,
    panel_url: String,
    secret: String,
    stop: CancellationToken,
) {
    let url = format!("{}/ipc", panel_url.trim_end_matches('/').replacen("http", "ws", 1));
    let mut backoff = Duration::from_millis(500);
    while !stop.is_cancelled() {
        match connect(&url, &secret, &node.node_id).await {
            Ok(ws) => {
                tracing::info!(event = "IPC_CONNECTED", %url);
                backoff = Duration::from_millis(500);
                if let Err(e) = session(ws, &node, &guard, &stop).await {
                    tracing::warn!(event = "IPC_WSC", "[IPC_WSC] connection lost: {e}");
                }
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

async fn connect(url: &str, secret: &str, node_id: &str) -> Result<Ws, IpcError> {
    let mut request = url.into_client_request().map_err(IpcError::BadUrl)?;
    let headers = request.headers_mut();
    headers.insert(SECRET_HEADER, secret.parse().map_err(|_| IpcError::BadHeader("internal secret"))?);
    headers.insert(NODE_HEADER, node_id.parse().map_err(|_| IpcError::BadHeader("node id"))?);
    let connecting = tokio_tungstenite::connect_async(request);
    match tokio::time::timeout(Duration::from_secs(5), connecting).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(r))) if r.status() == 401 => Err(IpcError::Unauthorized),
        Ok(Err(e)) => Err(IpcError::Connect(e)),
        Err(_) => Err(IpcError::ConnectTimeout),
    }
}

/// One connected session: report every second, apply commands as they come.
async fn session(
    ws: Ws,
    node: &NodeState,
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
                Some(Ok(Message::Text(text))) => apply(node, &text),
                Some(Ok(Message::Close(_))) | None => return Err(IpcError::ClosedByPanel),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
            },
            _ = stop.cancelled() => {
                send_report(&mut sink, node, guard).await?;
                let deadline = Instant::now() + FINAL_ACK_WAIT;
                while node.has_pending_batches() && Instant::now() < deadline {
                    match tokio::time::timeout_at(deadline.into(), stream.next()).await {
                        Ok(Some(Ok(Message::Text(text)))) => apply(node, &text),
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
    report.guard = guard();
    let text = serde_json::to_string(&ProxyToPanel::StatsUpdate(report))?;
    Ok(sink.send(Message::Text(text.into())).await?)
}

fn apply(node: &NodeState, text: &str) {
    match serde_json::from_str::<PanelToProxy>(text) {
        Ok(command) => {
            if !matches!(command, PanelToProxy::Ack { .. }) {
                tracing::info!(event = "IPC_COMMAND", ?command);
            }
            node.apply(command);
        }
        Err(e) => tracing::warn!(event = "IPC_BAD_MESSAGE", error = %e),
    }
}
