//! `/ipc`: one WebSocket session per proxy node (actix-web-actors; kept alone in this file so
//! a move to actix-ws stays a one-file change). Guarded by the internal secret or a node's
//! own secret (a revoked node's session ends at its next frame); frames are
//! bounded; a node silent for `NODE_SILENCE_LIMIT` is dropped. An enrolled node gets every
//! user's account state (`Reconcile`) first thing, before any other command.

use super::AppState;
use super::error::ApiError;
use super::internal::{Caller, check_secret};
use crate::actors::node_hub::{NodeConnected, NodeDisconnected, NodeHub, NodeSession, ToNode};
use crate::actors::planner::account_of;
use crate::actors::stats_aggregator::{ApplyStatsReport, NODE_SILENCE_LIMIT, StatsAggregator};
use crate::actors::user_registry::ListUsers;
use crate::wire::{
    NODE_HEADER, NODE_RELEASE_HEADER, NODE_STARTED_HEADER, PROTOCOL_HEADER, PROTOCOL_VERSION, PanelToProxy,
    ProxyToPanel, UNVERSIONED, protocol_compatible,
};
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
    /// What its hello said, for the Nodes view.
    info: NodeSession,
    /// How it authenticated: a node session ends when its secret stops being trusted.
    caller: Caller,
    state: web::Data<AppState>,
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
        let (node_id, info) = (self.node_id.clone(), self.info.clone());
        let enrolled = info.enrolled;
        self.hub.do_send(NodeConnected { node_id, session: self.session, addr, info });
        if enrolled {
            self.send_reconcile(ctx);
        }
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

impl IpcSession {
    /// The full account list, taken after the hub knows this session: `ctx.wait` holds the
    /// session's other messages (a change's `Account` among them) until it is sent, so what
    /// follows it is never older than it.
    fn send_reconcile(&mut self, ctx: &mut ws::WebsocketContext<Self>) {
        let users = self.state.registry.send(ListUsers);
        ctx.wait(users.into_actor(self).map(|answer, act, ctx| match answer {
            Ok(Ok(users)) => {
                let accounts = users.iter().map(account_of).collect();
                Handler::handle(act, ToNode(PanelToProxy::Reconcile { accounts }), ctx);
            }
            _ => {
                tracing::error!(event = "IPC_RECONCILE_FAILED", node = %act.node_id);
                ctx.stop();
            }
        }));
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for IpcSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        self.last_heard = Instant::now();
        if let Caller::Node { name, secret_sha256 } = &self.caller
            && !self.state.node_keys.still_trusted(name, secret_sha256)
        {
            tracing::warn!(event = "NODE_REFUSED", node = %self.node_id, reason = "revoked");
            ctx.close(Some(ws::CloseReason {
                code: ws::CloseCode::Policy,
                description: Some("node revoked".into()),
            }));
            ctx.stop();
            return;
        }
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
    let caller = check_secret(&req, &state)?;
    let node_id = req.headers().get(NODE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !valid_node_id(node_id) {
        return Err(ApiError::BadRequest(format!("missing or invalid {NODE_HEADER} header")).into());
    }
    if let Caller::Node { name, .. } = &caller
        && !super::node_keys::session_of(node_id, name)
    {
        return Err(ApiError::BadRequest(format!("{NODE_HEADER} must be a session of node {name}")).into());
    }
    let version = match req.headers().get(PROTOCOL_HEADER) {
        None => Some(UNVERSIONED),
        Some(v) => v.to_str().ok().and_then(|v| v.trim().parse::<u32>().ok()),
    };
    if !version.is_some_and(protocol_compatible) {
        let theirs =
            req.headers().get(PROTOCOL_HEADER).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        tracing::warn!(event = "NODE_REFUSED", node = %node_id, reason = "incompatible protocol", theirs = ?theirs, ours = PROTOCOL_VERSION);
        let error = format!(
            "this panel speaks /ipc protocol {PROTOCOL_VERSION} and accepts {}..={}; upgrade the proxy or the panel",
            PROTOCOL_VERSION - 1,
            PROTOCOL_VERSION + 1
        );
        return Ok(HttpResponse::build(actix_web::http::StatusCode::UPGRADE_REQUIRED)
            .insert_header((PROTOCOL_HEADER, PROTOCOL_VERSION.to_string()))
            .json(serde_json::json!({ "error": error })));
    }
    let header =
        |name| req.headers().get(name).and_then(|v: &actix_web::http::header::HeaderValue| v.to_str().ok());
    let info = NodeSession {
        address: super::admin_auth::client_ip(&req),
        protocol: version.unwrap_or(UNVERSIONED),
        release: header(NODE_RELEASE_HEADER).filter(|r| r.len() <= 40).map(str::to_owned),
        started_at: header(NODE_STARTED_HEADER).and_then(|v| v.trim().parse().ok()),
        enrolled: matches!(caller, Caller::Node { .. }),
    };
    let session = IpcSession {
        node_id: node_id.to_owned(),
        info,
        caller,
        state: state.clone(),
        session: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
        hub: state.hub.clone(),
        aggregator: state.aggregator.clone(),
        last_heard: Instant::now(),
        stopping: state.stopping.clone(),
    };
    let mut response =
        ws::WsResponseBuilder::new(session, &req, stream).frame_size(MAX_FRAME_BYTES).start()?;
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static(PROTOCOL_HEADER),
        actix_web::http::header::HeaderValue::from(PROTOCOL_VERSION),
    );
    Ok(response)
}
