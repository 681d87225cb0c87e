//! `/ipc`: one WebSocket session per proxy node (actix-web-actors; kept alone in this file so
//! a move to actix-ws stays a one-file change). Guarded by the internal secret; frames are
//! bounded; a node silent for `NODE_SILENCE_LIMIT` is dropped.

use super::AppState;
use super::error::ApiError;
use super::internal::check_secret;
use crate::actors::node_hub::{NodeConnected, NodeDisconnected, NodeHub, ToNode};
use crate::actors::stats_aggregator::{ApplyStatsReport, NODE_SILENCE_LIMIT, StatsAggregator};
use crate::wire::{NODE_HEADER, ProxyToPanel};
use actix::prelude::*;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_actors::ws;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A report of a few thousand users fits easily; anything bigger is refused.
pub const MAX_FRAME_BYTES: usize = 4 << 20;
const PING_EVERY: Duration = Duration::from_secs(5);

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

pub struct IpcSession {
    node_id: String,
    session: u64,
    hub: Addr<NodeHub>,
    aggregator: Addr<StatsAggregator>,
    last_heard: Instant,
    stopping: super::stopping::Stopping,
}

impl Actor for IpcSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let addr = ctx.address().recipient();
        self.hub.do_send(NodeConnected { node_id: self.node_id.clone(), session: self.session, addr });
        self.stopping.close_on_stop(ctx);
        ctx.run_interval(PING_EVERY, |act, ctx| {
            if act.last_heard.elapsed() > NODE_SILENCE_LIMIT {
                tracing::warn!(event = "IPC_NODE_SILENT", node = %act.node_id);
                ctx.stop();
            } else {
                ctx.ping(b"");
            }
        });
    }

    fn stopping(&mut self, _: &mut Self::Context) -> Running {
        self.hub.do_send(NodeDisconnected { node_id: self.node_id.clone(), session: self.session });
        Running::Stop
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for IpcSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        match msg {
            Ok(ws::Message::Text(text)) => match serde_json::from_str::<ProxyToPanel>(&text) {
                Ok(ProxyToPanel::StatsUpdate(mut report)) => {
                    // The session's node id is the authenticated one.
                    report.node_id = self.node_id.clone();
                    let reply_to = ctx.address().recipient();
                    self.aggregator.do_send(ApplyStatsReport { report, reply_to });
                }
                Err(e) => {
                    tracing::warn!(event = "IPC_BAD_MESSAGE", node = %self.node_id, error = ?e.to_string())
                }
            },
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(event = "IPC_PROTOCOL_ERROR", node = %self.node_id, error = ?e.to_string());
                ctx.stop();
            }
        }
    }
}

impl Handler<ToNode> for IpcSession {
    type Result = ();
    fn handle(&mut self, msg: ToNode, ctx: &mut Self::Context) {
        match serde_json::to_string(&msg.0) {
            Ok(text) => ctx.text(text),
            Err(e) => tracing::error!(event = "IPC_ENCODE_FAILED", error = %e),
        }
    }
}

/// Node ids are short printable names (`name-xxxxxxxx`).
fn valid_node_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 80 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

pub async fn ipc(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    check_secret(&req, &state)?;
    let node_id = req.headers().get(NODE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !valid_node_id(node_id) {
        return Err(ApiError::BadRequest(format!("missing or invalid {NODE_HEADER} header")).into());
    }
    let session = IpcSession {
        node_id: node_id.to_owned(),
        session: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
        hub: state.hub.clone(),
        aggregator: state.aggregator.clone(),
        last_heard: Instant::now(),
        stopping: state.stopping.clone(),
    };
    ws::WsResponseBuilder::new(session, &req, stream).frame_size(MAX_FRAME_BYTES).start()
}
