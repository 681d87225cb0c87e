//! `/ws/ui`: one WebSocket per open admin page (actix-web-actors, alone in this file). The
//! upgrade needs a same-origin `Origin` and a valid session; the session is checked again
//! every `RECHECK`, so a logout elsewhere, a password change or a timeout closes the socket.
//! The browser sends nothing but pongs; everything it gets comes from `UiHub`.

use super::AppState;
use super::admin_auth::session_valid;
use super::error::ApiError;
use super::{guard, session};
use crate::actors::ui_hub::{Join, Leave, UiHub, UiPush};
use actix::prelude::*;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_actors::ws;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const RECHECK: Duration = Duration::from_secs(20);
const PING_EVERY: Duration = Duration::from_secs(15);
/// The browser sends nothing big.
const MAX_FRAME_BYTES: usize = 4096;

static NEXT_SOCKET: AtomicU64 = AtomicU64::new(1);

pub struct UiSession {
    id: u64,
    session_id: String,
    hub: Addr<UiHub>,
    state: web::Data<AppState>,
}

impl Actor for UiSession {
    type Context = ws::WebsocketContext<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let key = Some(session::key_of(&self.session_id));
        self.hub.do_send(Join { id: self.id, key, addr: ctx.address().recipient() });
        ctx.text(r#"{"type":"status_connected"}"#);
        self.state.stopping.close_on_stop(ctx);
        ctx.run_interval(PING_EVERY, |_, ctx| ctx.ping(b""));
        ctx.run_interval(RECHECK, |act, ctx| {
            // Not admin activity: the re-check does not keep an idle session alive.
            if act.state.sessions.check(&act.session_id, false).ok() != Some(true) {
                ctx.close(Some(ws::CloseCode::Policy.into()));
                ctx.stop();
            }
        });
    }

    fn stopping(&mut self, _: &mut Self::Context) -> Running {
        self.hub.do_send(Leave { id: self.id });
        Running::Stop
    }
}

impl Handler<UiPush> for UiSession {
    type Result = ();
    fn handle(&mut self, msg: UiPush, ctx: &mut Self::Context) {
        match msg {
            UiPush::Text(text) => ctx.text(text.to_string()),
            UiPush::Close => {
                ctx.close(Some(ws::CloseCode::Policy.into()));
                ctx.stop();
            }
        }
    }
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for UiSession {
    fn handle(&mut self, msg: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match msg {
            Ok(ws::Message::Ping(p)) => ctx.pong(&p),
            Ok(ws::Message::Close(_)) | Err(_) => ctx.stop(),
            _ => {}
        }
    }
}

pub async fn ui(
    req: HttpRequest,
    stream: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin != Some(guard::own_origin(&req).as_str()) {
        tracing::warn!(event = "WS_UI_BAD_ORIGIN", origin = ?origin);
        return Err(ApiError::Forbidden("cross-site socket refused".into()).into());
    }
    let Some(session_id) = session::cookie_id(&req) else { return Err(ApiError::Unauthorized.into()) };
    if !session_valid(&req, &state, true)? {
        return Err(ApiError::Unauthorized.into());
    }
    let id = NEXT_SOCKET.fetch_add(1, Ordering::Relaxed);
    let actor = UiSession { id, session_id, hub: state.ui.clone(), state: state.clone() };
    ws::WsResponseBuilder::new(actor, &req, stream).frame_size(MAX_FRAME_BYTES).start()
}
