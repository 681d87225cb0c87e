//! The panel is stopping: set on SIGTERM (what `systemctl stop|restart` sends) or SIGINT, next
//! to actix's own graceful stop. The long-lived sockets, proxies' `/ipc` and browsers' `/ws/ui`,
//! close themselves on it: they never end on their own, and the graceful stop would otherwise
//! wait its whole grace period for them (issue 16: 30 s per restart). Proxies reconnect and
//! browsers retry by themselves.

use actix::prelude::*;
use actix_web_actors::ws;
use tokio::sync::watch;

#[derive(Clone)]
pub struct Stopping(watch::Receiver<bool>);

impl Stopping {
    /// Starts listening for SIGTERM and SIGINT on the running actix system.
    pub fn on_signals() -> std::io::Result<Stopping> {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, rx) = watch::channel(false);
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        actix_web::rt::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!(event = "PANEL_STOPPING");
            let _ = tx.send(true);
        });
        Ok(Stopping(rx))
    }

    /// Closes the WebSocket of `ctx` ("going away") as soon as the panel is stopping.
    pub fn close_on_stop<A>(&self, ctx: &mut ws::WebsocketContext<A>)
    where
        A: Actor<Context = ws::WebsocketContext<A>>,
    {
        let mut rx = self.0.clone();
        let stopped = async move {
            // An error means the sender is gone: the panel is going down anyway.
            let _ = rx.wait_for(|stopping| *stopping).await;
        };
        ctx.spawn(fut::wrap_future::<_, A>(stopped).map(|(), _act, ctx: &mut ws::WebsocketContext<A>| {
            ctx.close(Some(ws::CloseCode::Away.into()));
            ctx.stop();
        }));
    }
}
